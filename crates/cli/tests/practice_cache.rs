//! Desktops as caches of the practice server (issue 14), with the real binary: `handover serve
//! --once` stores a folder mailbox's messages on a real PostgreSQL 15 (a throwaway cluster),
//! and two desktops (two data directories, each its own SQLCipher store with its key in the OS
//! keyring: run inside `scripts/with-keyring.sh`) pull them with `handover sync --once` and
//! `HANDOVER_PRACTICE_DATABASE`. Both list the same documents; a second pull finds nothing new;
//! what a later round stores reaches both; a desktop whose server cannot be reached fails with
//! `practice_unreachable`, keeps listing its cache and says when it last pulled; a desktop
//! pointed at another practice server refuses to mix it into its cache; other desktops'
//! workflow events in the practice log are folded into both caches alike; a person's steps on
//! one desktop reach the other through the practice log, also when taken offline; a pull
//! killed part-way loses nothing and repeats nothing.

use std::process::{Command, Output, Stdio};
use std::time::Instant;

use handover_practice::{connect, NewPracticeEvent};

mod common;
use common::{base, mailbox, serve, text, Desktop, Server, PASSWORD};

/// What only these tests ask of a desktop.
trait Listing {
    fn listing(&self) -> Vec<serde_json::Value>;
}

impl Listing for Desktop {
    /// What both desktops must agree on for each document, in list order.
    fn listing(&self) -> Vec<serde_json::Value> {
        let rows = self.json(&["list", "--json"]);
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r["id"], "nhs_number": r["nhs_number"], "patient_name": r["patient_name"],
                    "title": r["title"], "kind": r["kind"], "received_at": r["received_at"],
                    "status": r["status"], "match": r["match"], "assigned_to": r["assigned_to"],
                })
            })
            .collect()
    }
}

fn event(n: u32, key: Option<&str>) -> NewPracticeEvent {
    NewPracticeEvent {
        event_id: format!("desk-1:{n}"),
        at: "2026-07-01T10:00:00.000Z".into(),
        os_user: "alice".into(),
        device: "desk-1".into(),
        document_key: key.map(str::to_string),
        kind: "note".into(),
        details: format!("{{\"n\":{n}}}"),
    }
}

#[test]
fn two_desktops_cache_the_practice_and_keep_reading_it_offline() {
    let started = Instant::now();
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 6, 11);
    let first = serve(&server, &inbox);
    let stored = first["stored"].as_i64().unwrap();
    assert!(stored >= 5, "{first}");
    assert_eq!(
        server.count("SELECT count(*) FROM handover.documents"),
        stored
    );
    // Two events in the practice log (appended by a person, as a desktop would).
    let key = server.string("SELECT document_key FROM handover.documents WHERE doc_seq = 1");
    server.rt.block_on(async {
        let mut gp = connect(&server.url("gp_one")).await.unwrap();
        gp.append_events(&[event(1, Some(&key)), event(2, None)])
            .await
            .unwrap();
    });

    let a = Desktop {
        data_dir: tmp.path().join("desktop-a"),
        database: server.url("gp_one"),
    };
    let b = Desktop {
        data_dir: tmp.path().join("desktop-b"),
        database: server.url("gp_two"),
    };
    for desktop in [&a, &b] {
        let t = Instant::now();
        let pulled = desktop.sync();
        eprintln!("first pull: {:?}", t.elapsed());
        assert_eq!(pulled["practice_id"], "PRC1");
        assert_eq!(pulled["documents_pulled"], stored, "{pulled}");
        assert_eq!(pulled["documents_stored"], stored);
        assert_eq!(pulled["already_cached"], 0);
        assert_eq!(pulled["document_cursor"], stored);
        assert_eq!(pulled["events_pulled"], 2);
        assert_eq!(pulled["events_new"], 2);
        assert_eq!(pulled["event_cursor"], 2);
    }
    let listed = a.listing();
    assert_eq!(listed.len() as i64, stored);
    assert_eq!(listed, b.listing(), "both desktops list the same documents");
    // The document's page reads from the cache: its model and the message's bytes.
    let shown = a.json(&["show", "1", "--json"]);
    assert!(shown.is_object(), "{shown}");

    // A second pull finds nothing new.
    let again = a.sync();
    assert_eq!(again["documents_pulled"], 0, "{again}");
    assert_eq!(again["events_pulled"], 0);
    assert_eq!(again["document_cursor"], stored);

    // A later round on the server reaches both desktops.
    mailbox(&inbox, 2, 12);
    let later = serve(&server, &inbox);
    let more = later["stored"].as_i64().unwrap();
    assert!(more >= 1, "{later}");
    for desktop in [&a, &b] {
        let pulled = desktop.sync();
        assert_eq!(pulled["documents_pulled"], more, "{pulled}");
        assert_eq!(pulled["documents_stored"], more);
        assert_eq!(pulled["document_cursor"], stored + more);
    }
    let listed = a.listing();
    assert_eq!(listed.len() as i64, stored + more);
    assert_eq!(listed, b.listing());

    // The status says which server and practice the cache is of, and when it last pulled.
    let status = a.json(&["status"]);
    let practice = &status["practice"];
    assert_eq!(practice["configured"], true, "{status}");
    assert_eq!(
        practice["server_id"],
        server.string("SELECT server_id::text FROM handover.server")
    );
    assert_eq!(practice["practice_id"], "PRC1");
    assert_eq!(practice["practice_name"], "Riverside Surgery");
    assert_eq!(practice["document_cursor"], stored + more);
    assert_eq!(practice["event_cursor"], 2);
    assert_eq!(practice["documents"], stored + more);
    assert_eq!(practice["events"], 2);
    assert_eq!(practice["last_error_code"], serde_json::Value::Null);
    assert_eq!(practice["minutes_since_pull"], 0);
    let last_pull = practice["last_pull_at"].clone();
    assert!(last_pull.is_string());

    // Another practice server (another database, same practice code and login name): refused,
    // nothing mixed into the cache.
    let other = Server::start();
    let elsewhere = Desktop {
        data_dir: a.data_dir.clone(),
        database: other.url("gp_one"),
    };
    let out = elsewhere.run(&["sync", "--once"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[practice_server_changed]"),
        "{}",
        text(&out)
    );
    drop(other);

    // The server cannot be reached: a wrong port, then the server stopped. The sync fails with
    // practice_unreachable; the cache still lists everything and says when it last pulled.
    let wrong_port = Desktop {
        data_dir: a.data_dir.clone(),
        database: format!(
            "postgres://gp_one:{}@127.0.0.1:1/postgres",
            PASSWORD.replace(' ', "%20")
        ),
    };
    let stopped = Desktop {
        data_dir: a.data_dir.clone(),
        database: a.database.clone(),
    };
    drop(server);
    for desktop in [&wrong_port, &stopped] {
        let out = desktop.run(&["sync", "--once"]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("[practice_unreachable]"),
            "{}",
            text(&out)
        );
        assert_eq!(desktop.listing(), listed, "the cache keeps working");
        let status = desktop.json(&["status"]);
        let practice = &status["practice"];
        assert_eq!(practice["last_pull_at"], last_pull, "{status}");
        assert_eq!(practice["last_error_code"], "practice_unreachable");
        assert!(practice["last_attempt_at"].as_str().unwrap() >= last_pull.as_str().unwrap());
        assert_eq!(practice["minutes_since_pull"], 0);
    }
    eprintln!("whole test: {:?}", started.elapsed());
}

/// A pull killed part-way (abort just before its second page commits, pages of two) keeps the
/// first page and its cursor, and nothing of the second; the next pull takes the rest: every
/// document once, none lost, none stored twice.
#[test]
fn a_pull_killed_part_way_loses_nothing_and_repeats_nothing() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 7, 21);
    let stored = serve(&server, &inbox)["stored"].as_i64().unwrap();
    assert!(stored >= 5);
    let a = Desktop {
        data_dir: tmp.path().join("desktop-a"),
        database: server.url("gp_one"),
    };
    let out = a.run_with(
        &["sync", "--once", "--json"],
        &[
            ("HANDOVER_TEST_DOCUMENT_PAGE", "2"),
            ("HANDOVER_TEST_CRASH_BEFORE_PAGE_COMMIT", "2"),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HANDOVER-TEST crashing"));
    assert_eq!(a.listing().len(), 2, "the first page only");
    let status = a.json(&["status"]);
    assert_eq!(status["practice"]["document_cursor"], 2, "{status}");
    assert_eq!(status["practice"]["documents"], 2);

    let out = a.run_with(
        &["sync", "--once", "--json"],
        &[("HANDOVER_TEST_DOCUMENT_PAGE", "2")],
    );
    assert!(out.status.success(), "{}", text(&out));
    let pulled: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pulled["documents_pulled"], stored - 2, "{pulled}");
    assert_eq!(pulled["documents_stored"], stored - 2);
    assert_eq!(pulled["already_cached"], 0);
    assert_eq!(pulled["document_cursor"], stored);
    let listed = a.listing();
    assert_eq!(listed.len() as i64, stored);
    let mut ids: Vec<i64> = listed.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, stored, "no document twice");
    // The conservation report adds up: each message pulled is one document, once.
    let report = a.json(&["report", "--json"]);
    assert_eq!(report["balanced"], true, "{report}");
    assert_eq!(report["total"]["received"], stored);
    assert_eq!(report["total"]["stored"], stored);
}

/// Workflow events another desktop appended to the practice log (a document filed, another
/// assigned, one of them about a document stored after the first pull) reach both caches,
/// which end with the same lanes and assignees, whichever order they pulled in. A cache does
/// not apply events of its own device (their effect was made when they happened).
#[test]
fn two_caches_converge_on_the_practice_log() {
    use handover_store::Role;
    use handover_workflow::WorkEvent;

    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 5, 31);
    let stored = serve(&server, &inbox)["stored"].as_i64().unwrap();
    let a = Desktop {
        data_dir: tmp.path().join("desktop-a"),
        database: server.url("gp_one"),
    };
    let b = Desktop {
        data_dir: tmp.path().join("desktop-b"),
        database: server.url("gp_two"),
    };
    // A pulls before anything happens; B not yet.
    assert_eq!(a.sync()["documents_stored"], stored);
    let before = a.listing();
    assert!(before.iter().all(|r| r["status"] != "filed"), "{before:?}");

    // A later round, then another desktop (device desk-9) files the first document, assigns
    // the second to the pharmacists and files the one that arrived last.
    mailbox(&inbox, 1, 32);
    assert_eq!(serve(&server, &inbox)["stored"], 1);
    let key = |seq: i64| {
        server.string(&format!(
            "SELECT document_key FROM handover.documents WHERE doc_seq = {seq}"
        ))
    };
    let logged = |n: u32, seq: i64, e: WorkEvent| NewPracticeEvent {
        event_id: format!("desk-9:{n}"),
        at: format!("2026-07-01T10:00:0{n}.000Z"),
        os_user: "alice".into(),
        device: "desk-9".into(),
        document_key: Some(key(seq)),
        kind: e.kind(),
        details: e.details().to_string(),
    };
    let events = vec![
        logged(
            1,
            1,
            WorkEvent::Filed {
                note: None,
                gp_reviewed: true,
            },
        ),
        logged(
            2,
            2,
            WorkEvent::Assigned {
                to_user: None,
                to_role: Some(Role::Pharmacist),
                note: Some("medicines changed".into()),
            },
        ),
        logged(
            3,
            stored + 1,
            WorkEvent::Filed {
                note: Some("seen".into()),
                gp_reviewed: true,
            },
        ),
    ];
    server.rt.block_on(async {
        let mut gp = connect(&server.url("gp_one")).await.unwrap();
        gp.append_events(&events).await.unwrap();
    });

    // A pulls the new document and then the events; B pulls everything at once.
    let pulled = a.sync();
    assert_eq!(pulled["documents_stored"], 1, "{pulled}");
    assert_eq!(pulled["events_new"], 3);
    assert_eq!(pulled["events_applied"], 3);
    let pulled = b.sync();
    assert_eq!(pulled["documents_stored"], stored + 1, "{pulled}");
    assert_eq!(pulled["events_applied"], 3);

    let listed = a.listing();
    assert_eq!(
        listed,
        b.listing(),
        "the same lanes and assignees in both caches"
    );
    let row = |id: i64| {
        listed
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("document {id} in {listed:?}"))
            .clone()
    };
    assert_eq!(row(1)["status"], "filed");
    assert_eq!(row(2)["assigned_to"], "role:pharmacist", "{:?}", row(2));
    assert_eq!(row(stored + 1)["status"], "filed");
    assert_ne!(row(3)["status"], "filed");
    // Pulling again applies nothing twice.
    let again = a.sync();
    assert_eq!(again["events_pulled"], 0);
    assert_eq!(a.listing(), listed);

    // An event from A's own device (as A's push will send what A did, already applied in A):
    // kept by both, applied only by B.
    let audit = a.json(&[
        "audit", "list", "--json", "--log", "desktop", "--limit", "1",
    ]);
    let device = audit[0]["device"].as_str().unwrap().to_string();
    let mut own = logged(
        4,
        3,
        WorkEvent::Filed {
            note: None,
            gp_reviewed: true,
        },
    );
    own.event_id = format!("{device}:900");
    own.device = device;
    server.rt.block_on(async {
        let mut gp = connect(&server.url("gp_one")).await.unwrap();
        gp.append_events(&[own]).await.unwrap();
    });
    let pulled = a.sync();
    assert_eq!(
        (&pulled["events_new"], &pulled["events_applied"]),
        (&1.into(), &0.into())
    );
    let status_of_3 = |d: &Desktop| {
        d.listing()
            .iter()
            .find(|r| r["id"] == 3)
            .map(|r| r["status"].clone())
            .unwrap()
    };
    assert_ne!(status_of_3(&a), "filed");
    let pulled = b.sync();
    assert_eq!(
        (&pulled["events_new"], &pulled["events_applied"]),
        (&1.into(), &1.into())
    );
    assert_eq!(status_of_3(&b), "filed");
}

/// A document committed on the server between a pull's documents and its events, with an
/// event about it: the event is kept by that pull (its document is not in the cache yet) and
/// folded when the next pull brings the document.
#[test]
fn an_event_that_arrives_before_its_document_is_folded_when_the_document_does() {
    use std::io::{BufRead, BufReader, Write};

    use handover_workflow::WorkEvent;

    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 2, 41);
    let stored = serve(&server, &inbox)["stored"].as_i64().unwrap();
    let a = Desktop {
        data_dir: tmp.path().join("desktop-a"),
        database: server.url("gp_one"),
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
    base(&mut cmd)
        .args(["sync", "--once", "--json"])
        .env("HANDOVER_DATA_DIR", &a.data_dir)
        .env("HANDOVER_PRACTICE_DATABASE", &a.database)
        .env("HANDOVER_TEST_HOLD_BEFORE_EVENTS", "1")
        .stdin(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("HANDOVER-TEST holding before events") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the pull ended early"
        );
    }
    // Meanwhile: a new document on the server, and another desktop files it.
    mailbox(&inbox, 1, 42);
    assert_eq!(serve(&server, &inbox)["stored"], 1);
    let key = server.string(&format!(
        "SELECT document_key FROM handover.documents WHERE doc_seq = {}",
        stored + 1
    ));
    let filed = WorkEvent::Filed {
        note: None,
        gp_reviewed: true,
    };
    server.rt.block_on(async {
        let mut gp = connect(&server.url("gp_two")).await.unwrap();
        gp.append_events(&[NewPracticeEvent {
            event_id: "desk-9:1".into(),
            at: "2026-07-01T10:00:00.000Z".into(),
            os_user: "bob".into(),
            device: "desk-9".into(),
            document_key: Some(key),
            kind: filed.kind(),
            details: filed.details().to_string(),
        }])
        .await
        .unwrap();
    });
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let pulled: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pulled["documents_stored"], stored, "{pulled}");
    assert_eq!(pulled["events_new"], 1);
    assert_eq!(pulled["events_applied"], 0, "its document is not here yet");

    let pulled = a.sync();
    assert_eq!(pulled["documents_stored"], 1, "{pulled}");
    assert_eq!(pulled["events_new"], 0);
    assert_eq!(
        pulled["events_applied"], 1,
        "folded as the document arrived"
    );
    let listed = a.listing();
    let last = listed.iter().find(|r| r["id"] == stored + 1).unwrap();
    assert_eq!(last["status"], "filed", "{listed:?}");
}

/// A person's steps on desktop A (an assignment, a note) go into A's outbox with the step,
/// are sent by A's next sync and reach B's cache; a step taken while the server cannot be
/// reached waits in the outbox (the status says so) and goes at the next sync that reaches it.
#[test]
fn steps_on_one_desktop_reach_the_other_through_the_practice_log() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 4, 51);
    let stored = serve(&server, &inbox)["stored"].as_i64().unwrap();
    assert!(stored >= 3);
    let a = Desktop {
        data_dir: tmp.path().join("desktop-a"),
        database: server.url("gp_one"),
    };
    let b = Desktop {
        data_dir: tmp.path().join("desktop-b"),
        database: server.url("gp_two"),
    };
    assert_eq!(a.sync()["documents_stored"], stored);
    assert_eq!(b.sync()["documents_stored"], stored);
    let ok = |out: Output| assert!(out.status.success(), "{}", text(&out));
    ok(a.run(&["user", "add", "alice", "--role", "gp"]));
    // Online, each step is sent as it is taken (and pulled back).
    let assigned = a.json(&[
        "assign",
        "1",
        "--role",
        "pharmacist",
        "--as",
        "alice",
        "--json",
    ]);
    assert_eq!(assigned["practice"], "sent", "{assigned}");
    ok(a.run(&["note", "2", "Phoned the ward", "--as", "alice"]));
    assert_eq!(a.json(&["status"])["practice"]["outbox"], 0);

    let pulled = a.sync();
    assert_eq!(pulled["events_pushed"], 0, "sent with the steps: {pulled}");
    assert_eq!(pulled["events_new"], 0, "pulled back with the steps");
    assert_eq!(pulled["events_applied"], 0, "its own");
    assert_eq!(
        server.count("SELECT count(*) FROM handover.events WHERE actor = 'gp_one'"),
        2
    );
    let pulled = b.sync();
    assert_eq!(pulled["events_applied"], 2, "{pulled}");
    assert_eq!(a.listing(), b.listing());
    let row = |d: &Desktop, id: i64| d.listing().into_iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(row(&b, 1)["assigned_to"], "role:pharmacist");
    // The note counts in B's state, and B's history of the document names who wrote it (from
    // the practice log).
    let shown = b.json(&["show", "2", "--json"]);
    assert_eq!(shown["state"]["notes"], 1, "{shown}");
    assert!(
        shown["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["log"] == "practice" && e["actor"] == "gp_one" && e["kind"] == "note_added"),
        "{shown}"
    );

    // Offline: the step is taken, the sync fails, the step waits; then it goes.
    let offline = Desktop {
        data_dir: a.data_dir.clone(),
        database: format!(
            "postgres://gp_one:{}@127.0.0.1:1/postgres",
            PASSWORD.replace(' ', "%20")
        ),
    };
    let out = offline.run(&["assign", "3", "--role", "admin", "--as", "alice"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pending: queued for the practice"),
        "{}",
        text(&out)
    );
    let out = offline.run(&["sync", "--once"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("[practice_unreachable]"));
    assert_eq!(offline.json(&["status"])["practice"]["outbox"], 1);
    assert_eq!(
        row(&a, 3)["assigned_to"],
        "role:admin",
        "the step took effect here"
    );
    let pulled = a.sync();
    assert_eq!(pulled["events_pushed"], 1, "{pulled}");
    assert_eq!(a.json(&["status"])["practice"]["outbox"], 0);
    b.sync();
    assert_eq!(row(&b, 3)["assigned_to"], "role:admin");
    assert_eq!(a.listing(), b.listing());
}

/// Two desktops file the same document. Online, the step is sent as it is taken: A files
/// first; B's `handover file` fails with `already_filed`, "already filed by gp_one at TIME",
/// and B's cache shows A's filing. Offline, B's filing succeeds as pending (queued for the
/// practice); when the server is back, B's `sync --once` reports it refused, and both caches
/// end the same.
#[test]
fn the_first_filing_wins_and_the_other_desktop_is_told() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 6, 61);
    let stored = serve(&server, &inbox)["stored"].as_i64().unwrap();
    let a = Desktop {
        data_dir: tmp.path().join("desktop-a"),
        database: server.url("gp_one"),
    };
    let b = Desktop {
        data_dir: tmp.path().join("desktop-b"),
        database: server.url("gp_two"),
    };
    a.sync();
    b.sync();
    let ok = |out: Output| assert!(out.status.success(), "{}", text(&out));
    ok(a.run(&["user", "add", "alice", "--role", "gp"]));
    ok(b.run(&["user", "add", "bob", "--role", "gp"]));
    // A document either may file (no action waiting for a decision), filed by A online.
    let file_one = |after: i64| {
        (after + 1..=stored)
            .find(|id| {
                let out = a.run(&["file", &id.to_string(), "--as", "alice", "--json"]);
                if !out.status.success() {
                    return false;
                }
                let step: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(step["practice"], "sent", "{step}");
                true
            })
            .expect("a document that can be filed")
    };
    let first = file_one(0);
    assert_eq!(a.json(&["status"])["practice"]["outbox"], 0);
    // A's filings, in the order they reached the practice log.
    let filed_at = |nth: i64| {
        server.string(&format!(
            "SELECT at FROM handover.events WHERE kind = 'filed' ORDER BY seq OFFSET {nth} LIMIT 1"
        ))
    };

    // Online: B's filing is refused at once.
    let out = b.run(&["file", &first.to_string(), "--as", "bob", "--json"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error [already_filed]: already filed by gp_one at {}",
            filed_at(0)
        )),
        "{}",
        text(&out)
    );
    assert_eq!(b.json(&["status"])["practice"]["outbox"], 0);
    let row = |d: &Desktop, id: i64| d.listing().into_iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(row(&b, first)["status"], "filed", "A's filing, pulled");

    // Offline: A files another document; B, not knowing it yet, files it too, locally, and
    // the step waits.
    let second = file_one(first);
    let offline = Desktop {
        data_dir: b.data_dir.clone(),
        database: format!(
            "postgres://gp_two:{}@127.0.0.1:1/postgres",
            PASSWORD.replace(' ', "%20")
        ),
    };
    let out = offline.run(&["file", &second.to_string(), "--as", "bob", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let step: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(step["practice"], "pending", "{step}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pending: queued for the practice"),
        "{}",
        text(&out)
    );
    assert_eq!(offline.json(&["status"])["practice"]["outbox"], 1);

    // The server is back: the sync sends it, and it is refused.
    let pulled = b.sync();
    assert_eq!(pulled["events_pushed"], 0, "{pulled}");
    let refused = &pulled["refused"][0];
    assert_eq!(refused["code"], "already_filed", "{pulled}");
    assert_eq!(refused["kind"], "filed");
    assert_eq!(refused["document_id"], second);
    assert_eq!(
        refused["message"],
        format!("already filed by gp_one at {}", filed_at(1))
    );
    assert_eq!(b.json(&["status"])["practice"]["outbox"], 0);
    assert_eq!(
        server.count("SELECT count(*) FROM handover.events WHERE kind = 'filed'"),
        2
    );
    a.sync();
    assert_eq!(a.listing(), b.listing());
    assert_eq!(row(&a, second)["status"], "filed");
}

/// A step taken on a view of a document that another desktop has changed since (practice
/// schema 6) is refused by the practice log, `document_changed`, naming who changed it: online
/// at once, offline when it is sent. The refused step stays in the desktop's own log but is
/// folded out of its state, so both desktops show the other person's step, and a note (which
/// carries no version) always goes in.
#[test]
fn a_step_on_a_view_changed_elsewhere_is_refused_and_undone_here() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 4, 71);
    serve(&server, &inbox);
    let a = Desktop {
        data_dir: tmp.path().join("desktop-a"),
        database: server.url("gp_one"),
    };
    let b = Desktop {
        data_dir: tmp.path().join("desktop-b"),
        database: server.url("gp_two"),
    };
    a.sync();
    b.sync();
    let ok = |out: Output| {
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    ok(a.run(&["user", "add", "alice", "--role", "gp", "--json"]));
    ok(b.run(&["user", "add", "bob", "--role", "gp", "--json"]));
    ok(b.run(&[
        "user",
        "add",
        "casey",
        "--role",
        "care-coordinator",
        "--json",
    ]));
    let assignee = |d: &Desktop, id: &str| d.json(&["show", id, "--json"])["assigned_to"].clone();

    // Online: A assigns document 1 to itself; B, which has not pulled since, assigns it to
    // the care coordinator: refused at once, and B shows A's assignment.
    let step = ok(a.run(&["claim", "1", "--as", "alice", "--json"]));
    assert_eq!(step["practice"], "sent", "{step}");
    let out = b.run(&[
        "assign",
        "1",
        "--role",
        "care-coordinator",
        "--as",
        "bob",
        "--json",
    ]);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error [document_changed]: changed by gp_one at "),
        "{}",
        text(&out)
    );
    assert_eq!(assignee(&b, "1"), assignee(&a, "1"));
    assert_eq!(b.json(&["status"])["practice"]["outbox"], 0);
    // casey is a profile of B's only (made after B joined the practice): the other desktops
    // do not know her, so work is not given to her here.
    let out = b.run(&["assign", "3", "--to", "casey", "--as", "bob", "--json"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not one of the practice's people"),
        "{}",
        text(&out)
    );

    // Offline: A claims document 2 online; B, offline and not knowing, assigns it: pending.
    let step = ok(a.run(&["claim", "2", "--as", "alice", "--json"]));
    assert_eq!(step["practice"], "sent", "{step}");
    let offline = Desktop {
        data_dir: b.data_dir.clone(),
        database: format!(
            "postgres://gp_two:{}@127.0.0.1:1/postgres",
            PASSWORD.replace(' ', "%20")
        ),
    };
    let step = ok(offline.run(&[
        "assign",
        "2",
        "--role",
        "care-coordinator",
        "--as",
        "bob",
        "--json",
    ]));
    assert_eq!(step["practice"], "pending", "{step}");
    // A note (no version) taken offline too: it always goes in.
    ok(offline.run(&["note", "2", "Phoned the ward", "--as", "bob", "--json"]));
    assert_ne!(
        assignee(&b, "2"),
        assignee(&a, "2"),
        "B's own view, for now"
    );

    // Back online: the assignment is refused and undone on B; the note is taken.
    let pulled = b.sync();
    let refused = &pulled["refused"];
    assert_eq!(refused.as_array().unwrap().len(), 1, "{pulled}");
    assert_eq!(refused[0]["code"], "document_changed", "{pulled}");
    assert_eq!(refused[0]["kind"], "assigned", "{pulled}");
    assert!(
        refused[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("changed by gp_one at "),
        "{pulled}"
    );
    assert_eq!(pulled["events_pushed"], 1, "the note: {pulled}");
    assert_eq!(assignee(&b, "2"), assignee(&a, "2"));
    // B's own log still has the refused step (its audit trail), the practice log does not.
    let shown = b.json(&["show", "2", "--json"]);
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"assigned"), "{kinds:?}");
    assert_eq!(
        server.count(
            "SELECT count(*) FROM handover.events WHERE kind = 'assigned' AND actor = 'gp_two'"
        ),
        0
    );
    // And a rebuild agrees with what the pull left.
    let before = b.listing();
    ok(b.run(&["rebuild", "--json"]));
    assert_eq!(b.listing(), before);
    a.sync();
    assert_eq!(a.listing(), b.listing());
}

/// `handover practice audit`: the desktop's copy of the practice log and the server's own log
/// both verify after people's steps; a log changed on the server (by its superuser, past the
/// revoked UPDATE) is reported as not verifying, `audit_broken`, while the desktop's copy,
/// pulled before, still verifies: the copies are the practice's witnesses.
#[test]
fn practice_audit_verifies_the_desktops_copy_and_the_servers_log() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 3, 91);
    serve(&server, &inbox);
    let a = Desktop::new(tmp.path(), "desktop-a", server.url("gp_one"));
    a.sync();
    a.json(&["claim", "1", "--json"]);
    a.json(&["note", "2", "Called the ward", "--json"]);
    a.sync();

    let report = a.json(&["practice", "audit", "--json"]);
    assert_eq!(report["cache"]["ok"], true, "{report}");
    assert_eq!(report["server"]["ok"], true, "{report}");
    let events = report["cache"]["events"].as_u64().unwrap();
    assert!(events >= 2, "{report}");
    assert_eq!(report["server"]["events"], events, "{report}");

    // Someone with the server's superuser rewrites a step in the practice log, getting past
    // its append-only trigger (replication mode skips triggers).
    let su = server.superuser();
    server
        .rt
        .block_on(su.client().batch_execute(
            "SET session_replication_role = replica; \
             UPDATE handover.events SET details = '{\"markdown\":\"nothing happened\"}' \
             WHERE kind = 'note_added'; \
             SET session_replication_role = origin;",
        ))
        .unwrap();
    let out = a.run(&["practice", "audit", "--json"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[audit_broken]"),
        "{}",
        text(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["server"]["ok"], false, "{report}");
    assert_eq!(
        report["cache"]["ok"], true,
        "the copy pulled before: {report}"
    );
}

/// On a desktop of a practice, `handover audit list` is the practice's trail: the other
/// desktop's steps (from the practice log), this desktop's sent steps once, its pending and
/// refused steps marked, and what it derived itself (arrivals) from its own log; `--log`
/// keeps one; `audit verify` checks this desktop's log, its copy of the practice's and the
/// server's, and fails with `audit_broken` when the server's was changed; the CSV export names
/// each entry's log.
#[test]
fn the_audit_trail_on_a_practice_desktop_is_the_practices_with_this_desktops_own() {
    let server = Server::start_with(&[
        ("puller_a", "puller"),
        ("gp_one", "gp"),
        ("gp_two", "gp"),
        ("pm_one", "practice-manager"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 3, 93);
    serve(&server, &inbox);
    let a = Desktop::new(tmp.path(), "desktop-a", server.url("gp_one"));
    let b = Desktop::new(tmp.path(), "desktop-b", server.url("gp_two"));
    a.sync();
    b.sync();
    b.json(&["note", "1", "Ward phoned", "--json"]);
    a.json(&["note", "2", "Letter checked", "--json"]);
    // A files document 3 while offline, B files it online first: A's filing is refused.
    let offline = Desktop {
        data_dir: a.data_dir.clone(),
        database: format!(
            "postgres://gp_one:{}@127.0.0.1:1/postgres",
            PASSWORD.replace(' ', "%20")
        ),
    };
    assert!(offline.run(&["file", "3"]).status.success());
    b.json(&["file", "3", "--json"]);
    let _ = a.run(&["sync", "--once"]);
    // And one step still pending.
    assert!(offline.run(&["note", "1", "Not sent yet"]).status.success());

    let trail = a.json(&["audit", "list", "--json", "--limit", "500"]);
    let entries = trail.as_array().unwrap();
    let of = |log: &str, actor: &str, kind: &str| -> Vec<&serde_json::Value> {
        entries
            .iter()
            .filter(|e| e["log"] == log && e["actor"] == actor && e["kind"] == kind)
            .collect()
    };
    assert_eq!(of("practice", "gp_two", "note_added").len(), 1, "{trail}");
    assert_eq!(of("practice", "gp_two", "filed").len(), 1, "{trail}");
    assert_eq!(
        of("practice", "gp_one", "note_added").len(),
        1,
        "sent once: {trail}"
    );
    assert_eq!(
        of("desktop", "gp_one", "note_added").len(),
        1,
        "the pending one: {trail}"
    );
    assert_eq!(of("desktop", "gp_one", "note_added")[0]["state"], "pending");
    let refused = of("desktop", "gp_one", "filed");
    assert_eq!(refused.len(), 1, "{trail}");
    assert_eq!(refused[0]["state"], "refused");
    assert!(
        !of("desktop", "system", "received").is_empty(),
        "arrivals are this desktop's own: {trail}"
    );
    // Practice entries name the document as this desktop numbers it.
    let filed = of("practice", "gp_two", "filed")[0];
    assert_eq!(filed["document_id"], 3, "{filed}");
    // Newest first, by time.
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = entries
        .iter()
        .map(|e| chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // One log only; one document.
    let practice_only = a.json(&["audit", "list", "--json", "--log", "practice"]);
    assert!(practice_only
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["log"] == "practice"));
    assert_eq!(
        practice_only.as_array().unwrap().len() as i64,
        server.count("SELECT count(*) FROM handover.events"),
        "A pulled the whole practice log"
    );
    let doc3 = a.json(&["audit", "list", "--json", "--document", "3"]);
    assert!(doc3
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "gp_two" && e["kind"] == "filed"));
    assert!(
        doc3.as_array()
            .unwrap()
            .iter()
            .all(|e| e["document_id"] == 3),
        "{doc3}"
    );
    // B's trail has A's sent note too, and not A's pending or refused steps.
    let b_trail = b.json(&["audit", "list", "--json", "--limit", "500"]);
    assert!(b_trail
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["log"] == "practice" && e["actor"] == "gp_one" && e["kind"] == "note_added"));
    assert!(!b_trail
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "gp_one" && e["kind"] == "filed"));

    // The practice manager's export names each entry's log (and state).
    let pm = Desktop::new(tmp.path(), "desktop-pm", server.url("pm_one"));
    pm.sync();
    let csv_path = tmp.path().join("audit.csv");
    pm.ok(&["audit", "export", "--out", csv_path.to_str().unwrap()]);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with("log,seq,event_id,"), "{csv}");
    let practice_lines = csv.lines().filter(|l| l.starts_with("practice,")).count() as i64;
    assert_eq!(
        practice_lines,
        server.count("SELECT count(*) FROM handover.events"),
        "{csv}"
    );
    assert!(csv
        .lines()
        .any(|l| l.starts_with("desktop,") && l.contains(",system,") && l.contains(",received,")));

    let verified = a.json(&["audit", "verify", "--json"]);
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["practice"]["ok"], true, "{verified}");
    assert_eq!(
        verified["server"]["verification"]["events"], verified["practice"]["events"],
        "{verified}"
    );

    // The server's log changed behind everyone's back: verify fails, naming the server's log.
    let su = server.superuser();
    server
        .rt
        .block_on(su.client().batch_execute(
            "SET session_replication_role = replica; \
             UPDATE handover.events SET details = '{\"markdown\":\"nothing happened\"}' \
             WHERE kind = 'note_added'; \
             SET session_replication_role = origin;",
        ))
        .unwrap();
    let out = a.run(&["audit", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(3), "audit_broken: {}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["server"]["verification"]["ok"], false, "{report}");
    assert_eq!(report["desktop"]["ok"], true, "{report}");
}
