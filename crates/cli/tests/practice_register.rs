//! The practice register shared through the practice server (issue 14, schema 7), with the
//! real binary, a throwaway PostgreSQL 15 cluster and real SQLCipher stores (their keys in the
//! OS keyring: run inside `scripts/with-keyring.sh`).
//!
//! Desktop A imports the register (`handover register import` with
//! `HANDOVER_PRACTICE_DATABASE`): it goes to the server as version 1, and A takes it back as
//! every desktop does. Desktop B, which never imported one, takes it at its next `sync --once`
//! and matches the same documents the same way (the same lanes in `list --json`); a document
//! unmatched on B because its patient was not on version 1 is matched once A imports version
//! 2; a new desktop takes both versions before its first documents, so it matches them at
//! once. A login whose role may not import a register is refused by the server; an import
//! while the server is down fails with `practice_unreachable`, saying the register did NOT
//! reach the practice, and changes nothing, here or on the server. A server gone back to an
//! older register is followed (its latest taken again; a version number reused with other rows
//! told apart by the hash). A pull killed between taking a version and matching the waiting
//! documents again (`HANDOVER_TEST_CRASH_BEFORE_REMATCH`) matches them at the next pull.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;
use common::{text, Desktop, Server};

/// PRC1 with a puller, two GPs, an admin and a care coordinator.
fn start() -> Server {
    Server::start_with(&[
        ("puller_a", "puller"),
        ("gp_one", "gp"),
        ("gp_two", "gp"),
        ("admin_one", "admin"),
        ("cc_one", "care-coordinator"),
    ])
}

/// The register on the server, and the server stopped and started again.
trait Registers {
    fn registers(&self) -> Vec<(i32, String, i32)>;
    fn pg_ctl(&self, args: &[&str]);
    fn stop(&self);
    fn restart(&self);
}

impl Registers for Server {
    /// The register's versions on the server: (version, imported_by, patient_count).
    fn registers(&self) -> Vec<(i32, String, i32)> {
        let su = self.superuser();
        self.rt
            .block_on(su.client().query(
                "SELECT version, imported_by, patient_count FROM handover.registers
                  ORDER BY version",
                &[],
            ))
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    }

    /// `pg_ctl` on the cluster (as the `postgres` OS user when run as root, as the cluster
    /// itself runs).
    fn pg_ctl(&self, args: &[&str]) {
        let bin = std::env::var_os("HANDOVER_PG_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
        let root = std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next().map(|u| u == "0"))
            .unwrap_or(false);
        let mut cmd = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join("pg_ctl"));
            c
        } else {
            Command::new(bin.join("pg_ctl"))
        };
        let data = self.cluster.socket_dir().join("data");
        let out = cmd
            .args(args)
            .arg("-D")
            .arg(&data)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl {args:?}: {}", text(&out));
    }

    fn stop(&self) {
        self.pg_ctl(&["stop", "-w", "-m", "fast"]);
    }

    /// Starts it again on the same port and socket directory.
    fn restart(&self) {
        let dir = self.cluster.socket_dir();
        let options = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c fsync=off -c log_min_messages=warning",
            self.cluster.port(),
            dir.display()
        );
        let log = dir.join("server.log").display().to_string();
        self.pg_ctl(&["start", "-w", "-t", "30", "-l", &log, "-o", &options]);
    }
}

/// `handover serve --once` over the folder; returns how many documents it stored.
fn serve(server: &Server, inbox: &Path) -> i64 {
    common::serve(server, inbox)["stored"].as_i64().unwrap()
}

/// What only these tests ask of a desktop.
trait RegisterViews {
    fn import(&self, register: &Path) -> serde_json::Value;
    fn lanes(&self) -> Vec<serde_json::Value>;
    fn match_of(&self, nhs: &str) -> String;
    fn register_version(&self) -> serde_json::Value;
    fn register_patients(&self) -> i64;
}

impl RegisterViews for Desktop {
    fn import(&self, register: &Path) -> serde_json::Value {
        self.json(&["register", "import", register.to_str().unwrap(), "--json"])
    }

    /// Each document's lane as the list shows it, in list order (ids are each store's own).
    fn lanes(&self) -> Vec<serde_json::Value> {
        let rows = self.json(&["list", "--json"]);
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "nhs_number": r["nhs_number"], "title": r["title"],
                    "received_at": r["received_at"], "status": r["status"],
                    "match": r["match"], "match_state": r["match_state"],
                    "assigned_to": r["assigned_to"],
                    "business_response": r["business_response"],
                })
            })
            .collect()
    }

    /// The match state of the document about this patient.
    fn match_of(&self, nhs: &str) -> String {
        let lanes = self.lanes();
        let row = lanes
            .iter()
            .find(|r| r["nhs_number"] == nhs)
            .unwrap_or_else(|| panic!("no document for {nhs}: {lanes:?}"));
        row["match_state"].as_str().unwrap().to_string()
    }

    fn register_version(&self) -> serde_json::Value {
        self.json(&["status"])["practice"]["register_version"].clone()
    }

    fn register_patients(&self) -> i64 {
        self.json(&["register", "status", "--json"])["patients"]
            .as_i64()
            .unwrap()
    }
}

struct Patient {
    nhs: String,
    family: String,
    given: String,
    birth: String,
}

/// A folder mailbox of `n` documents about distinct patients (no replacements, nothing
/// hostile), and those patients.
fn mailbox(inbox: &Path, n: usize, seed: u64) -> Vec<Patient> {
    std::fs::create_dir_all(inbox).unwrap();
    let mut seen = std::collections::HashSet::new();
    let fixtures: Vec<_> = handover_fixtures::generate(n * 8, seed)
        .into_iter()
        .filter(|f| f.replaces.is_none() && !f.hostile && seen.insert(f.nhs_number.clone()))
        .take(n)
        .collect();
    assert_eq!(fixtures.len(), n);
    fixtures
        .iter()
        .map(|f| {
            std::fs::write(inbox.join(format!("s{seed}-{}", f.file_name)), &f.bytes).unwrap();
            let p = handover_toc::parse(&f.bytes)
                .document
                .and_then(|d| d.patient)
                .unwrap();
            Patient {
                nhs: p.nhs_number.unwrap(),
                family: p.family.unwrap_or_default(),
                given: p.given.first().cloned().unwrap_or_default(),
                birth: p.birth_date.unwrap()[..10].to_string(),
            }
        })
        .collect()
}

/// A register CSV of these patients, all registered, with one bad row (rejected).
fn register_file(dir: &Path, name: &str, people: &[&Patient]) -> PathBuf {
    let mut csv = String::from(
        "nhs_number,family_name,given_name,birth_date,gender,postcode,registration,deceased_date\n",
    );
    for p in people {
        csv += &format!(
            "{},{},{},{},unknown,LS1 4AP,registered,\n",
            p.nhs, p.family, p.given, p.birth
        );
    }
    csv += "1234567890,Nobody,Bad,2001-01-01,unknown,,registered,\n";
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn a_register_imported_on_one_desktop_is_the_register_of_every_desktop() {
    let server = start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let people = mailbox(&inbox, 6, 41);
    assert_eq!(serve(&server, &inbox), 6);

    let a = Desktop::new(tmp.path(), "desktop-a", server.url("gp_one"));
    let b = Desktop::new(tmp.path(), "desktop-b", server.url("gp_two"));
    for desktop in [&a, &b] {
        let pulled = desktop.sync();
        assert_eq!(pulled["documents_stored"], 6, "{pulled}");
        assert_eq!(pulled["register_version"], 0, "no register yet: {pulled}");
        assert_eq!(pulled["register"], serde_json::Value::Null);
    }
    assert!(a.lanes().iter().all(|r| r["match_state"] == "unchecked"));

    // A imports version 1, without the last patient: it goes to the practice, and A takes it
    // back (matching its documents again).
    let (x, others) = people.split_last().unwrap();
    let v1 = register_file(
        tmp.path(),
        "register-1.csv",
        &others.iter().collect::<Vec<_>>(),
    );
    let imported = a.import(&v1);
    assert_eq!(imported["practice"]["version"], 1, "{imported}");
    assert_eq!(imported["practice"]["created"], true);
    assert_eq!(imported["practice"]["register_version"], 1);
    assert_eq!(imported["imported"], 5, "{imported}");
    assert_eq!(imported["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(
        imported["rematched"], 6,
        "every document's match changed: {imported}"
    );
    assert_eq!(server.registers(), [(1, "gp_one".to_string(), 5)]);
    assert_eq!(a.register_version(), 1);
    assert_eq!(a.match_of(&x.nhs), "not-on-register");
    for p in others {
        assert_eq!(a.match_of(&p.nhs), "matched");
    }

    // B never imported a register: its next pull takes version 1 and matches the same.
    assert_eq!(b.register_patients(), 0);
    assert_ne!(a.lanes(), b.lanes(), "before B's pull, the two differ");
    let pulled = b.sync();
    assert_eq!(pulled["register_version"], 1, "{pulled}");
    assert_eq!(pulled["register"]["versions"], serde_json::json!([1]));
    assert_eq!(pulled["register"]["imported"], 5);
    assert_eq!(pulled["register"]["rematched"], 6);
    assert_eq!(b.lanes(), a.lanes(), "the same lanes on both desktops");
    assert_eq!(b.register_patients(), 5);
    assert_eq!(b.register_version(), 1);
    assert_eq!(b.match_of(&x.nhs), "not-on-register");
    // Nothing new at the next pull.
    let again = b.sync();
    assert_eq!(again["register"], serde_json::Value::Null, "{again}");
    assert_eq!(again["register_version"], 1);

    // The same file again adds no version.
    let same = a.import(&v1);
    assert_eq!(same["practice"]["version"], 1, "{same}");
    assert_eq!(same["practice"]["created"], false);
    assert_eq!(server.registers().len(), 1);

    // A imports version 2, with the missing patient: B's document about them is matched at
    // B's next pull.
    let v2 = register_file(
        tmp.path(),
        "register-2.csv",
        &people.iter().collect::<Vec<_>>(),
    );
    let imported = a.import(&v2);
    assert_eq!(imported["practice"]["version"], 2, "{imported}");
    assert_eq!(imported["imported"], 1, "{imported}");
    assert_eq!(imported["unchanged"], 5);
    assert_eq!(imported["rematched"], 1);
    assert_eq!(a.match_of(&x.nhs), "matched");
    assert_eq!(b.match_of(&x.nhs), "not-on-register", "not yet pulled");
    let pulled = b.sync();
    assert_eq!(
        pulled["register"]["versions"],
        serde_json::json!([2]),
        "{pulled}"
    );
    assert_eq!(pulled["register"]["rematched"], 1);
    assert_eq!(b.match_of(&x.nhs), "matched");
    assert_eq!(b.lanes(), a.lanes());
    assert_eq!(b.register_version(), 2);

    // An admin's desktop, new: its first pull takes both versions before the documents, so
    // it matches them as they arrive (none waits to be matched again).
    let c = Desktop::new(tmp.path(), "desktop-c", server.url("admin_one"));
    let pulled = c.sync();
    assert_eq!(
        pulled["register"]["versions"],
        serde_json::json!([1, 2]),
        "{pulled}"
    );
    assert_eq!(pulled["register"]["rematched"], 0, "{pulled}");
    assert_eq!(pulled["documents_stored"], 6);
    assert_eq!(c.lanes(), a.lanes());
    assert_eq!(c.register_patients(), 6);

    // A later document about a registered patient is matched on every desktop.
    let more = mailbox(&inbox, 1, 42);
    assert_eq!(serve(&server, &inbox), 1);
    let v3 = register_file(
        tmp.path(),
        "register-3.csv",
        &people.iter().chain(&more).collect::<Vec<_>>(),
    );
    // Imported on B this time (any desktop may): the register first, then the document.
    let imported = b.import(&v3);
    assert_eq!(imported["practice"]["version"], 3, "{imported}");
    for desktop in [&a, &c] {
        let pulled = desktop.sync();
        assert_eq!(
            pulled["register"]["versions"],
            serde_json::json!([3]),
            "{pulled}"
        );
        assert_eq!(pulled["documents_stored"], 1);
        assert_eq!(pulled["register"]["rematched"], 0, "{pulled}");
        assert_eq!(desktop.match_of(&more[0].nhs), "matched");
    }
    assert_eq!(a.lanes(), b.lanes());
    assert_eq!(c.lanes(), b.lanes());
    let history: Vec<(i32, String)> = server
        .registers()
        .into_iter()
        .map(|(v, by, _)| (v, by))
        .collect();
    assert_eq!(
        history,
        [
            (1, "gp_one".to_string()),
            (2, "gp_one".to_string()),
            (3, "gp_two".to_string())
        ]
    );
}

#[test]
fn an_import_refused_or_not_sent_changes_nothing_and_says_so() {
    let server = start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let people = mailbox(&inbox, 3, 51);
    assert_eq!(serve(&server, &inbox), 3);
    let register = register_file(
        tmp.path(),
        "register.csv",
        &people.iter().collect::<Vec<_>>(),
    );

    // A care coordinator may not import the register: the server refuses it (the desktop does
    // not check the role itself), and nothing changes.
    let cc = Desktop::new(tmp.path(), "desktop-cc", server.url("cc_one"));
    cc.sync();
    let before = cc.lanes();
    let out = cc.run(&["register", "import", register.to_str().unwrap(), "--json"]);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[permission_denied]"), "{}", text(&out));
    assert!(stderr.contains("NOT imported"), "{}", text(&out));
    assert!(
        stderr.contains("may not import"),
        "the server's words: {}",
        text(&out)
    );
    assert!(server.registers().is_empty());
    assert_eq!(cc.register_patients(), 0);
    assert_eq!(cc.register_version(), 0);
    assert_eq!(cc.lanes(), before);

    // The server down: the import fails, saying the register did not reach the practice, and
    // changes nothing here; back up, the server has no register either.
    let a = Desktop::new(tmp.path(), "desktop-a", server.url("gp_one"));
    a.sync();
    let before = a.lanes();
    server.stop();
    let out = a.run(&["register", "import", register.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[practice_unreachable]"), "{}", text(&out));
    assert!(
        stderr.contains("NOT imported") && stderr.contains("did not reach the practice"),
        "{}",
        text(&out)
    );
    assert_eq!(a.register_patients(), 0, "nothing imported here");
    assert_eq!(a.lanes(), before);
    assert_eq!(a.register_version(), 0);
    server.restart();
    assert!(server.registers().is_empty(), "nothing at the practice");
    let pulled = a.sync();
    assert_eq!(pulled["register_version"], 0, "{pulled}");
    assert_eq!(a.lanes(), before);

    // A desktop of the practice without the server configured does not import on its own
    // (its register would differ from the other desktops').
    let alone = Desktop {
        data_dir: a.data_dir.clone(),
        database: String::new(),
    };
    let out = alone.run(&["register", "import", register.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NOT imported"),
        "{}",
        text(&out)
    );
    assert_eq!(a.register_patients(), 0);

    // With the server up, the GP's import goes through.
    let imported = a.import(&register);
    assert_eq!(imported["practice"]["version"], 1, "{imported}");
    assert_eq!(a.register_patients(), 3);
    assert!(a.lanes().iter().all(|r| r["match_state"] == "matched"));
}

/// A server that has gone back to an older register (as after a restore from an older backup;
/// here its last version is removed behind the append-only trigger): a desktop takes the
/// server's latest again, keeps the patients it had, and takes what the server numbers after
/// it, also under a number it had taken before with other rows (told apart by the hash).
#[test]
fn a_server_gone_back_to_an_older_register_is_followed() {
    let server = start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let people = mailbox(&inbox, 3, 61);
    assert_eq!(serve(&server, &inbox), 3);
    let a = Desktop::new(tmp.path(), "desktop-a", server.url("gp_one"));
    let b = Desktop::new(tmp.path(), "desktop-b", server.url("gp_two"));
    let c = Desktop::new(tmp.path(), "desktop-c", server.url("admin_one"));
    a.sync();
    let v1 = register_file(tmp.path(), "register-1.csv", &[&people[0]]);
    let v2 = register_file(tmp.path(), "register-2.csv", &[&people[0], &people[1]]);
    a.import(&v1);
    assert_eq!(a.import(&v2)["practice"]["version"], 2);
    for desktop in [&b, &c] {
        assert_eq!(desktop.sync()["register_version"], 2);
        assert_eq!(desktop.register_patients(), 2);
    }

    // The server loses version 2.
    let su = server.superuser();
    server
        .rt
        .block_on(su.client().batch_execute(
            "ALTER TABLE handover.registers DISABLE TRIGGER registers_append_only;
             DELETE FROM handover.registers WHERE version = 2;
             ALTER TABLE handover.registers ENABLE TRIGGER registers_append_only;",
        ))
        .unwrap();
    // C takes the server's latest, version 1, again; it keeps the patients it had.
    let pulled = c.sync();
    assert_eq!(
        pulled["register"]["versions"],
        serde_json::json!([1]),
        "{pulled}"
    );
    assert_eq!(pulled["register_version"], 1);
    assert_eq!(c.register_patients(), 2);
    assert_eq!(c.match_of(&people[1].nhs), "matched");

    // A new version 2, with other rows: every desktop takes it, B although it had a version 2.
    let v2b = register_file(tmp.path(), "register-2b.csv", &[&people[0], &people[2]]);
    let imported = a.import(&v2b);
    assert_eq!(imported["practice"]["version"], 2, "{imported}");
    assert_eq!(
        imported["practice"]["versions_taken"],
        serde_json::json!([2])
    );
    for desktop in [&b, &c] {
        let pulled = desktop.sync();
        assert_eq!(
            pulled["register"]["versions"],
            serde_json::json!([2]),
            "{pulled}"
        );
        assert_eq!(desktop.match_of(&people[2].nhs), "matched");
        assert_eq!(desktop.register_patients(), 3);
    }
    assert_eq!(a.match_of(&people[2].nhs), "matched");
    assert_eq!(a.lanes(), b.lanes());
    assert_eq!(c.lanes(), b.lanes());
}

/// A pull killed after it took a register version and before it matched the waiting documents
/// again: the version is recorded with its rows, and the next pull matches them (nothing new to
/// take, the documents matched as on the desktop that imported it).
#[test]
fn a_pull_killed_before_matching_again_matches_at_the_next_pull() {
    let server = start();
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let people = mailbox(&inbox, 3, 71);
    assert_eq!(serve(&server, &inbox), 3);
    let a = Desktop::new(tmp.path(), "desktop-a", server.url("gp_one"));
    let b = Desktop::new(tmp.path(), "desktop-b", server.url("gp_two"));
    a.sync();
    b.sync();
    let register = register_file(
        tmp.path(),
        "register.csv",
        &people.iter().collect::<Vec<_>>(),
    );
    assert_eq!(a.import(&register)["rematched"], 3);

    let out = b.run_with(
        &["sync", "--once", "--json"],
        &[("HANDOVER_TEST_CRASH_BEFORE_REMATCH", "1")],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("HANDOVER-TEST crashing before the rematch"),
        "{}",
        text(&out)
    );
    assert_eq!(b.register_version(), 1, "the version was taken");
    assert_eq!(b.register_patients(), 3);
    assert!(b.lanes().iter().all(|r| r["match_state"] == "unchecked"));

    let pulled = b.sync();
    assert_eq!(
        pulled["register"]["versions"],
        serde_json::json!([]),
        "{pulled}"
    );
    assert_eq!(pulled["register"]["rematched"], 3, "{pulled}");
    assert_eq!(b.lanes(), a.lanes());
    assert!(b.lanes().iter().all(|r| r["match_state"] == "matched"));
    let again = b.sync();
    assert_eq!(again["register"], serde_json::Value::Null, "{again}");
}
