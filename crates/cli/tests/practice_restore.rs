//! A practice server restored from an older backup (issue 14), with the real binary, a real
//! PostgreSQL 15 (a throwaway cluster) and two desktops' real SQLCipher stores (run inside
//! `scripts/with-keyring.sh`): the backup is a `pg_dump` of the practice database, restored
//! by dropping the database and `pg_restore`-ing the dump. The desktop that pulls first after
//! the restore reports the break (`chain_break` in `sync --once --json` and in `status`),
//! keeps the documents the server lost, sends its own lost step again, and the server's log
//! then verifies with that step in it; the other desktop does the same with its own, and both
//! end as they were before the restore.
//!
//! Also `handover rebuild` on a cache: the lanes, assignees and tasks that other desktops'
//! events gave the cached documents are the same after a rebuild as before it.

use std::path::{Path, PathBuf};
use std::process::Command;

use handover_practice::connect;
use handover_practice::testing::SUPERUSER_PASSWORD;

mod common;
use common::{mailbox, text, Desktop, Server};

/// A stored-documents count from `handover serve --once` over the folder.
fn serve(server: &Server, inbox: &Path) -> i64 {
    common::serve(server, inbox)["stored"].as_i64().unwrap()
}

/// The backup and the restore, and the chain as a person sees it.
trait Backups {
    fn tool(name: &str) -> PathBuf;
    fn backup(&self, file: &Path);
    fn restore(&self, file: &Path);
    fn verify(&self) -> handover_practice::ChainReport;
}

impl Backups for Server {
    fn tool(name: &str) -> PathBuf {
        std::env::var_os("HANDOVER_PG_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
            .join(name)
    }

    /// The backup: `pg_dump` of the practice database, in the custom format.
    fn backup(&self, file: &Path) {
        let out = Command::new(Self::tool("pg_dump"))
            .args(["--format=custom", "--file"])
            .arg(file)
            .arg("--dbname")
            .arg(self.cluster.superuser_url())
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_dump: {}", text(&out));
    }

    /// The restore: the database dropped (its connections ended) and made again from the
    /// backup. The roles are the cluster's and stay.
    fn restore(&self, file: &Path) {
        let template = format!(
            "postgres://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{}/template1",
            self.cluster.port()
        );
        self.rt.block_on(async {
            let db = connect(&template).await.unwrap();
            for sql in [
                "DROP DATABASE postgres WITH (FORCE)",
                "CREATE DATABASE postgres",
            ] {
                db.client().batch_execute(sql).await.unwrap();
            }
        });
        let out = Command::new(Self::tool("pg_restore"))
            .args(["--exit-on-error", "--dbname"])
            .arg(self.cluster.superuser_url())
            .arg(file)
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_restore: {}", text(&out));
    }

    /// The practice log's chain, verified as a person's login sees it.
    fn verify(&self) -> handover_practice::ChainReport {
        self.rt.block_on(async {
            let mut gp = connect(&self.url("gp_one")).await.unwrap();
            gp.verify_chain().await.unwrap()
        })
    }
}

/// What only these tests ask of a desktop.
trait Views {
    fn view(&self) -> serde_json::Value;
    fn states(&self, ids: impl IntoIterator<Item = i64>) -> Vec<serde_json::Value>;
    fn status_of(&self, id: i64) -> serde_json::Value;
    fn file_one(&self, ids: impl IntoIterator<Item = i64>, who: &str) -> i64;
    fn delegate_one(&self, ids: impl IntoIterator<Item = i64>, who: &str) -> i64;
}

impl Views for Desktop {
    /// What must not change: each document's lane, match, assignee and open actions, in list
    /// order, and every open task.
    fn view(&self) -> serde_json::Value {
        let rows = self.json(&["list", "--json"]);
        let rows: Vec<serde_json::Value> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r["id"], "title": r["title"], "status": r["status"],
                    "match": r["match"], "assigned_to": r["assigned_to"],
                    "business_response": r["business_response"], "flags": r["flags"],
                })
            })
            .collect();
        let tasks: Vec<serde_json::Value> = self
            .json(&["tasks", "list", "--all", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                serde_json::json!({
                    "document_id": t["document_id"], "text": t["text"],
                    "assignee_role": t["assignee_role"], "assignee_user": t["assignee_user"],
                    "due_date": t["due_date"], "status": t["status"],
                })
            })
            .collect();
        serde_json::json!({ "documents": rows, "tasks": tasks })
    }

    /// Each document's whole workflow state (`show --json`'s `state`), by id.
    fn states(&self, ids: impl IntoIterator<Item = i64>) -> Vec<serde_json::Value> {
        ids.into_iter()
            .map(|id| self.json(&["show", &id.to_string(), "--json"])["state"].clone())
            .collect()
    }

    fn status_of(&self, id: i64) -> serde_json::Value {
        self.json(&["list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("document {id} not listed"))["status"]
            .clone()
    }

    /// Files the first of these documents it may (one with no action waiting for a decision).
    fn file_one(&self, ids: impl IntoIterator<Item = i64>, who: &str) -> i64 {
        ids.into_iter()
            .find(|id| {
                let out = self.run(&["file", &id.to_string(), "--as", who, "--json"]);
                if !out.status.success() {
                    return false;
                }
                let step: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(step["practice"], "sent", "{step}");
                true
            })
            .expect("a document that can be filed")
    }

    /// Delegates the first action waiting for a decision, on any of these documents, to the
    /// pharmacists; returns the document.
    fn delegate_one(&self, ids: impl IntoIterator<Item = i64>, who: &str) -> i64 {
        for id in ids {
            let shown = self.json(&["show", &id.to_string(), "--json"]);
            let Some(action) = shown["actions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["needs_decision"] == true && a["decision"].is_null())
            else {
                continue;
            };
            let index = action["index"].to_string();
            let out = self.run(&[
                "decide",
                &id.to_string(),
                &index,
                "--delegate-role",
                "pharmacist",
                "--due",
                "2030-01-31",
                "--as",
                who,
                "--json",
            ]);
            assert!(out.status.success(), "{}", text(&out));
            return id;
        }
        panic!("no action waiting for a decision");
    }
}

#[test]
fn a_server_restored_from_an_older_backup_is_detected_and_the_lost_steps_are_sent_again() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 4, 71);
    let before_backup = serve(&server, &inbox);
    assert!(before_backup >= 3);
    let a = Desktop {
        data_dir: tmp.path().join("desktop-a"),
        database: server.url("gp_one"),
    };
    let b = Desktop {
        data_dir: tmp.path().join("desktop-b"),
        database: server.url("gp_two"),
    };
    assert_eq!(a.sync()["documents_stored"], before_backup);
    assert_eq!(b.sync()["documents_stored"], before_backup);
    a.ok(&["user", "add", "alice", "--role", "gp"]);
    b.ok(&["user", "add", "bob", "--role", "gp"]);
    // A step each before the backup.
    a.ok(&["assign", "1", "--role", "pharmacist", "--as", "alice"]);
    b.ok(&["note", "2", "Phoned the ward", "--as", "bob"]);
    a.sync();
    b.sync();
    assert_eq!(server.count("SELECT count(*) FROM handover.events"), 2);

    let dump = tmp.path().join("practice.dump");
    server.backup(&dump);

    // After the backup: two more documents, A files one, B assigns another.
    mailbox(&inbox, 2, 72);
    let after_backup = serve(&server, &inbox);
    assert!(after_backup >= 1);
    let total = before_backup + after_backup;
    a.sync();
    b.sync();
    let filed = a.file_one(1..=before_backup, "alice");
    let assigned = (1..=before_backup)
        .find(|&id| id != filed && id != 1)
        .unwrap();
    b.ok(&[
        "assign",
        &assigned.to_string(),
        "--role",
        "admin",
        "--as",
        "bob",
    ]);
    a.sync();
    b.sync();
    assert_eq!(server.count("SELECT count(*) FROM handover.events"), 4);
    let before = a.view();
    assert_eq!(before, b.view(), "both caches agree before the restore");
    assert_eq!(a.status_of(filed), "filed");
    let a_status = a.json(&["status"]);
    assert_eq!(a_status["practice"]["event_cursor"], 4, "{a_status}");
    assert_eq!(a_status["practice"]["document_cursor"], total);
    assert_eq!(a_status["practice"]["chain_breaks"], 0);

    // The server is restored from the backup: two events and the later documents are gone.
    server.restore(&dump);
    assert_eq!(server.count("SELECT count(*) FROM handover.events"), 2);
    assert_eq!(
        server.count("SELECT count(*) FROM handover.documents"),
        before_backup
    );

    // A pulls: the break is reported, A's filing is sent again, B's assignment is undone in
    // A's cache (B has not sent it again yet), and the documents the server lost stay.
    let out = a.ok(&["sync", "--once", "--json"]);
    let pulled: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("handover: notice [chain_break]: the practice server has gone back"),
        "{}",
        text(&out)
    );
    let cb = &pulled["chain_break"];
    assert!(cb.is_object(), "{pulled}");
    assert_eq!(cb["server_event_seq"], 2, "{cb}");
    assert_eq!(cb["cache_event_seq"], 4);
    assert_eq!(cb["server_document_seq"], before_backup);
    assert_eq!(cb["cache_document_seq"], total);
    assert_eq!(cb["events_kept_to"], 2);
    assert_eq!(cb["documents_kept_to"], before_backup);
    assert_eq!(cb["events_lost"], 2);
    assert_eq!(cb["own_events_resent"], 1, "A's filing");
    assert_eq!(cb["documents_lost"], after_backup);
    let lost: Vec<i64> = (before_backup + 1..=total).collect();
    assert_eq!(cb["lost_document_ids"], serde_json::json!(lost));
    assert_eq!(pulled["events_pushed"], 1, "{pulled}");
    assert_eq!(pulled["event_cursor"], 3, "{pulled}");
    assert_eq!(pulled["document_cursor"], before_backup);
    assert_eq!(pulled["documents_pulled"], 0);
    assert_eq!(
        server.count(
            "SELECT count(*) FROM handover.events WHERE kind = 'filed' AND actor = 'gp_one'"
        ),
        1,
        "the filing is in the practice log again"
    );
    let chain = server.verify();
    assert!(chain.ok, "{chain:?}");
    assert_eq!(chain.events, 3);
    // Kept: every document, the server's lost ones too.
    assert_eq!(
        a.json(&["list", "--json"]).as_array().unwrap().len() as i64,
        total
    );
    assert_eq!(a.status_of(filed), "filed");
    let row = |d: &Desktop, id: i64| {
        d.view()["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_ne!(
        row(&a, assigned)["assigned_to"],
        "role:admin",
        "B's lost step, undone here until B sends it again"
    );
    assert_eq!(
        row(&a, 1)["assigned_to"],
        "role:pharmacist",
        "kept by the backup"
    );
    // The status says so too.
    let status = a.json(&["status"]);
    let practice = &status["practice"];
    assert_eq!(practice["chain_breaks"], 1, "{status}");
    assert_eq!(practice["last_chain_break"], *cb);
    assert_eq!(practice["outbox"], 0);
    assert_eq!(practice["event_cursor"], 3);
    // Pulling again finds no new break.
    let again = a.sync();
    assert!(again["chain_break"].is_null(), "{again}");

    // B pulls: its own lost step (the assignment) goes again. A's filing, sent again, came
    // back under the seq it had, after the same events: the same hash, the same event, so B
    // keeps it (the chain says the logs agree up to it).
    let pulled = b.sync();
    let cb = &pulled["chain_break"];
    assert_eq!(cb["server_event_seq"], 3, "{pulled}");
    assert_eq!(cb["cache_event_seq"], 4);
    assert_eq!(cb["events_kept_to"], 3);
    assert_eq!(cb["events_lost"], 1);
    assert_eq!(cb["own_events_resent"], 1, "B's assignment");
    assert_eq!(cb["documents_lost"], after_backup);
    assert_eq!(pulled["events_pushed"], 1);
    assert_eq!(pulled["event_cursor"], 4);
    let chain = server.verify();
    assert!(chain.ok && chain.events == 4, "{chain:?}");
    a.sync();

    // Both caches end as they were before the restore.
    assert_eq!(a.view(), before, "A converged");
    assert_eq!(b.view(), before, "B converged");

    // A new document after the restore takes a number the lost ones had: both pull it.
    mailbox(&inbox, 1, 73);
    assert_eq!(serve(&server, &inbox), 1);
    for d in [&a, &b] {
        let pulled = d.sync();
        assert!(pulled["chain_break"].is_null(), "{pulled}");
        assert_eq!(pulled["documents_stored"], 1, "{pulled}");
        assert_eq!(pulled["document_cursor"], before_backup + 1);
    }
}

/// Other desktops' events (an assignment, a delegated action with its task, a filing) are
/// folded into a cache as it pulls them; `handover rebuild` gives the same lanes, assignees and
/// tasks. Before this, rebuild folded only the desktop's own log and lost them.
#[test]
fn rebuild_folds_the_practice_events_too() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 6, 81);
    let stored = serve(&server, &inbox);
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
    a.ok(&["user", "add", "alice", "--role", "gp"]);
    b.ok(&["user", "add", "bob", "--role", "gp"]);
    // B's steps, which A only pulls.
    let delegated = b.delegate_one(1..=stored, "bob");
    let filed = b.file_one((1..=stored).filter(|&id| id != delegated), "bob");
    let assigned = (1..=stored)
        .find(|&id| id != delegated && id != filed)
        .unwrap();
    b.ok(&[
        "assign",
        &assigned.to_string(),
        "--role",
        "admin",
        "--as",
        "bob",
    ]);
    // A's own step on the assigned document after B's, and one of B's after it.
    let pulled = a.sync();
    assert_eq!(pulled["events_applied"], 3, "{pulled}");
    a.ok(&[
        "assign",
        &assigned.to_string(),
        "--role",
        "pharmacist",
        "--as",
        "alice",
    ]);
    b.ok(&["note", &assigned.to_string(), "Seen", "--as", "bob"]);
    b.ok(&[
        "assign",
        &delegated.to_string(),
        "--to",
        "gp_two",
        "--as",
        "bob",
    ]);
    a.sync();

    let before = a.view();
    let states = a.states(1..=stored);
    assert_eq!(a.status_of(filed), "filed", "{before}");
    let tasks = before["tasks"].as_array().unwrap();
    assert!(
        tasks
            .iter()
            .any(|t| t["document_id"] == delegated && t["assignee_role"] == "pharmacist"),
        "B's delegation made a task in A's cache: {before}"
    );
    let rebuilt = a.json(&["rebuild", "--json"]);
    assert!(
        rebuilt["documents"].as_i64().unwrap() >= stored,
        "{rebuilt}"
    );
    assert_eq!(a.view(), before, "the same after a rebuild");
    assert_eq!(a.states(1..=stored), states, "the same workflow states");
    assert_eq!(b.view(), before, "and the same as the other desktop");
}

/// The server is restored and then gets on with its work before this desktop pulls: new
/// events and new documents take the numbers the lost ones had, so its heads are past the
/// cache's cursors. The event at the cache's cursor has another hash, the document at its
/// document cursor is another: the break is found all the same, the cache goes back to the
/// last event and document both have, takes the new ones, and resends its own lost step.
#[test]
fn a_restored_server_that_moved_past_the_cache_is_found_by_the_hash_at_the_cursor() {
    use handover_practice::NewPracticeEvent;
    use handover_workflow::WorkEvent;

    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    mailbox(&inbox, 3, 91);
    let first = serve(&server, &inbox);
    assert!(first >= 3);
    let a = Desktop {
        data_dir: tmp.path().join("desktop-a"),
        database: server.url("gp_one"),
    };
    a.sync();
    a.ok(&["user", "add", "alice", "--role", "gp"]);
    // Another desktop's events, appended as it would (device desk-9, login gp_two).
    let key = |doc_seq: i64| {
        let su = server.superuser();
        server
            .rt
            .block_on(su.client().query_one(
                "SELECT document_key FROM handover.documents WHERE doc_seq = $1",
                &[&doc_seq],
            ))
            .unwrap()
            .get::<_, String>(0)
    };
    let other = |n: u32, doc_seq: i64, e: WorkEvent| {
        let event = NewPracticeEvent {
            event_id: format!("desk-9:{n}"),
            at: format!("2026-07-01T10:00:{n:02}.000Z"),
            os_user: "bob".into(),
            device: "desk-9".into(),
            document_key: Some(key(doc_seq)),
            kind: e.kind(),
            details: e.details().to_string(),
        };
        server.rt.block_on(async {
            let mut gp = connect(&server.url("gp_two")).await.unwrap();
            gp.append_events(&[event]).await.unwrap();
        });
    };
    let note = |text: &str| WorkEvent::NoteAdded {
        markdown: text.into(),
    };
    other(1, 1, note("one"));
    other(2, 2, note("two"));
    a.sync();
    let dump = tmp.path().join("practice.dump");
    server.backup(&dump);

    // After the backup: two documents, another desktop files document 3, A assigns document 1.
    mailbox(&inbox, 2, 92);
    assert_eq!(serve(&server, &inbox), 2);
    other(
        3,
        3,
        WorkEvent::Filed {
            note: None,
            gp_reviewed: true,
        },
    );
    a.sync();
    a.ok(&["assign", "1", "--role", "admin", "--as", "alice"]);
    a.sync();
    assert_eq!(a.status_of(3), "filed");
    let status = a.json(&["status"]);
    assert_eq!(status["practice"]["event_cursor"], 4, "{status}");
    assert_eq!(status["practice"]["document_cursor"], first + 2);

    // Restored, and then: three new documents and three new events before A pulls.
    server.restore(&dump);
    mailbox(&inbox, 3, 93);
    assert_eq!(serve(&server, &inbox), 3);
    for n in 4..=6 {
        other(n, 1, note("after the restore"));
    }
    assert_eq!(server.count("SELECT max(seq) FROM handover.events"), 5);

    let pulled = a.sync();
    let cb = &pulled["chain_break"];
    assert!(cb.is_object(), "{pulled}");
    assert_eq!(cb["server_event_seq"], 5, "{cb}");
    assert_eq!(cb["cache_event_seq"], 4);
    assert_eq!(cb["server_document_seq"], first + 3);
    assert_eq!(cb["cache_document_seq"], first + 2);
    assert_eq!(cb["events_kept_to"], 2);
    assert_eq!(cb["documents_kept_to"], first);
    assert_eq!(cb["events_lost"], 2);
    assert_eq!(cb["own_events_resent"], 1);
    assert_eq!(cb["documents_lost"], 2);
    assert_eq!(
        cb["lost_document_ids"],
        serde_json::json!([first + 1, first + 2])
    );
    assert_eq!(pulled["documents_stored"], 3, "the new ones: {pulled}");
    assert_eq!(pulled["document_cursor"], first + 3);
    assert_eq!(pulled["events_pushed"], 1);
    assert_eq!(pulled["events_new"], 4, "three new and A's own, back");
    assert_eq!(pulled["event_cursor"], 6);
    let chain = server.verify();
    assert!(chain.ok && chain.events == 6, "{chain:?}");
    assert_eq!(
        a.json(&["list", "--json"]).as_array().unwrap().len() as i64,
        first + 5,
        "the lost documents are kept"
    );
    assert_ne!(
        a.status_of(3),
        "filed",
        "the other desktop's lost filing is undone"
    );
    let listed = a.view();
    let one = listed["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == 1)
        .unwrap()
        .clone();
    assert_eq!(one["assigned_to"], "role:admin", "A's own step is kept");
    assert_eq!(a.json(&["show", "1", "--json"])["state"]["notes"], 4);
    assert!(a.sync()["chain_break"].is_null());
}
