//! `handover serve`, the practice server's MESH puller, as the real binary against a real
//! PostgreSQL 15 (a throwaway cluster per test) and a folder mailbox of generated ToC messages:
//! stored once, acknowledged only after the commit, fenced by the lease's epoch, and safe across
//! a paused puller (SIGSTOP past its lease), a crash between commit and acknowledgement, and a
//! connection killed mid-ingest.
//!
//! Fault injection uses `handover-inbox`'s `test-hooks` feature (on only in this package's test
//! builds): `HANDOVER_TEST_HOLD_BEFORE_COMMIT=1` holds a batch open just before COMMIT until a
//! line arrives on stdin; `HANDOVER_TEST_CRASH_AFTER_COMMIT=1` aborts just after the commit.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use handover_practice::testing::Cluster;
use handover_practice::{connect, PracticeDb};

const PASSWORD: &str = "correct horse battery";

/// A cluster with practice PRC1 and two puller logins, `puller_a` and `puller_b`.
struct Server {
    cluster: Cluster,
    rt: tokio::runtime::Runtime,
    su: PracticeDb,
}

impl Server {
    fn start() -> Server {
        let cluster = Cluster::start();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let su = rt.block_on(async {
            let mut su = connect(&cluster.superuser_url()).await.unwrap();
            su.init("PRC1", "Riverside Surgery").await.unwrap();
            for login in ["puller_a", "puller_b"] {
                su.add_user("PRC1", login, "puller", PASSWORD)
                    .await
                    .unwrap();
            }
            su
        });
        Server { cluster, rt, su }
    }

    fn url(&self, login: &str) -> String {
        self.cluster.url(login, PASSWORD)
    }

    /// One number from SQL run as the superuser.
    fn count(&self, sql: &str) -> i64 {
        self.rt
            .block_on(self.su.client().query_one(sql, &[]))
            .unwrap()
            .get(0)
    }

    fn strings(&self, sql: &str) -> Vec<String> {
        self.rt
            .block_on(self.su.client().query(sql, &[]))
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }
}

/// A folder mailbox with `n` generated messages; returns its root and the fixtures.
fn mailbox(tmp: &Path, n: usize, seed: u64) -> (PathBuf, Vec<handover_fixtures::Fixture>) {
    let inbox = tmp.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let fixtures = handover_fixtures::generate(n, seed);
    for f in &fixtures {
        std::fs::write(inbox.join(&f.file_name), &f.bytes).unwrap();
    }
    (inbox, fixtures)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Message files waiting in the folder mailbox (a `.ctl` file is part of its `.dat`).
fn waiting(inbox: &Path) -> usize {
    files_in(inbox)
        .iter()
        .filter(|f| !f.ends_with(".ctl"))
        .count()
}

fn serve(server: &Server, login: &str, inbox: &Path, holder: &str, lease_ms: u64) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
    cmd.args([
        "serve",
        "--once",
        "--json",
        "--holder",
        holder,
        "--lease-ms",
    ])
    .arg(lease_ms.to_string())
    .arg("--folder")
    .arg(inbox)
    .env("HANDOVER_PRACTICE_DATABASE", server.url(login))
    .env("HANDOVER_PRACTICE_ODS", "Y99999")
    .env("HANDOVER_PRACTICE_NAME", "Riverside Surgery")
    .env_remove("HANDOVER_TEST_HOLD_BEFORE_COMMIT")
    .env_remove("HANDOVER_TEST_CRASH_AFTER_COMMIT")
    .env_remove("HANDOVER_MAILBOX_DIR")
    .env_remove("HANDOVER_MESH_URL")
    .env_remove("HANDOVER_MESH_MAILBOX")
    .env_remove("HANDOVER_MESH_PASSWORD")
    .env_remove("HANDOVER_MESH_SHARED_KEY")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a round to the end; it must succeed. Returns its JSON summary.
fn round(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

/// Whether the sender of each message asked for an infrastructure response (or its flags
/// cannot be read, when one is sent anyway).
fn asks(bytes: &[u8]) -> bool {
    let parsed = handover_toc::parse(bytes);
    parsed
        .message
        .as_ref()
        .and_then(|m| m.handling.inf_ack_requested)
        != Some(false)
}

/// A round over a folder mailbox: each document stored once, the malformed one quarantined with
/// its reason, exactly the messages taken acknowledged, one infrastructure response queued (and
/// sent) per message that asked; the documents' columns are the desktop's; a second round finds
/// nothing; the same document delivered again is a duplicate, not a second document.
#[test]
fn a_round_stores_each_document_once_and_acknowledges_after_the_commit() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let (inbox, fixtures) = mailbox(tmp.path(), 10, 7);
    // A malformed message, as a MESH-client .dat/.ctl pair naming its sender, and an exact copy
    // of the first document under another name (another MESH message).
    std::fs::write(
        inbox.join("zz-broken.dat"),
        b"<Bundle xmlns=\"http://hl7.org/fhir\"><oops",
    )
    .unwrap();
    std::fs::write(
        inbox.join("zz-broken.ctl"),
        "<DTSControl><MessageType>Data</MessageType><From_DTS>RBROKEN1</From_DTS>\
         <To_DTS>FOLDER</To_DTS><WorkflowId>TOC_FHIR_EC_DISCH</WorkflowId>\
         <DTSId>BROKEN-0001</DTSId></DTSControl>",
    )
    .unwrap();
    std::fs::write(inbox.join("zz-copy.xml"), &fixtures[0].bytes).unwrap();
    let n = fixtures.len() as i64;
    let asked = fixtures.iter().filter(|f| asks(&f.bytes)).count() as i64
        + 1 // the broken one: its flags cannot be read
        + i64::from(asks(&fixtures[0].bytes)); // the copy

    let started = Instant::now();
    let summary = round(&mut serve(&server, "puller_a", &inbox, "host-a", 30_000));
    eprintln!("first round: {:?}", started.elapsed());
    assert_eq!(summary["epoch"], 1);
    assert_eq!(summary["downloaded"], n + 2, "{summary}");
    assert_eq!(summary["stored"], n);
    assert_eq!(summary["duplicates"], 1);
    assert_eq!(summary["quarantined"], 1);
    assert_eq!(summary["acknowledged"], n + 2);
    assert_eq!(summary["responses_queued"], asked);
    assert_eq!(summary["responses_sent"], asked);

    // On the server: every message once, as received, acknowledged; each document once.
    assert_eq!(
        server.count("SELECT count(*) FROM handover.messages"),
        n + 2
    );
    assert_eq!(
        server.count(
            "SELECT count(*) FROM handover.messages WHERE acknowledged_at IS NOT NULL \
             AND practice_id = 'PRC1' AND stored_by = 'puller_a' AND holder = 'host-a' \
             AND epoch = 1 AND sha256 = encode(sha256(raw), 'hex')"
        ),
        n + 2
    );
    assert_eq!(server.count("SELECT count(*) FROM handover.documents"), n);
    let reasons = server.strings(
        "SELECT reason FROM handover.messages WHERE outcome = 'quarantined' \
         AND source_id LIKE 'BROKEN-0001%'",
    );
    assert_eq!(reasons.len(), 1, "the broken message is quarantined");
    assert!(!reasons[0].is_empty());
    let raw: Vec<u8> = server
        .rt
        .block_on(server.su.client().query_one(
            "SELECT raw FROM handover.messages WHERE outcome = 'quarantined'",
            &[],
        ))
        .unwrap()
        .get(0);
    assert_eq!(
        raw, b"<Bundle xmlns=\"http://hl7.org/fhir\"><oops",
        "kept as received"
    );
    // The copy is a duplicate of the first document: answered 20007 (same ITK3 message id).
    let dup = server.strings(
        "SELECT m.document_key || ' ' || o.response_code FROM handover.messages m \
         JOIN handover.outbox o USING (practice_id, message_id) WHERE m.outcome = 'duplicate'",
    );
    assert_eq!(dup.len(), usize::from(asks(&fixtures[0].bytes)));
    // One infrastructure response per message that asked, each sent once, in the folder's outbox.
    assert_eq!(
        server.count(
            "SELECT count(*) FROM handover.outbox WHERE kind = 'infrastructure' \
             AND sent_at IS NOT NULL AND attempts = 1"
        ),
        asked
    );
    assert_eq!(
        server.count("SELECT count(DISTINCT message_id) FROM handover.outbox"),
        asked
    );
    assert_eq!(
        server.strings("SELECT to_mailbox FROM handover.outbox WHERE response_code = '10009'"),
        vec!["RBROKEN1".to_string()]
    );
    let outbox_dir = inbox.join("outbox");
    assert_eq!(
        files_in(&outbox_dir)
            .iter()
            .filter(|f| f.ends_with(".dat"))
            .count() as i64,
        asked
    );
    // Acknowledged = moved to processed/: every file, nothing left waiting.
    assert_eq!(waiting(&inbox), 0);
    assert_eq!(files_in(&inbox.join("processed")).len() as i64, n + 3);

    // The documents' columns are the desktop's (the same classify over the same parse).
    for f in &fixtures {
        let parsed = handover_toc::parse(&f.bytes);
        let record = handover_inbox::document_record(&parsed, parsed.document.as_ref().unwrap());
        let key = record.content_sha256.clone().unwrap();
        let row = server
            .rt
            .block_on(server.su.client().query_one(
                "SELECT kind, nhs_number, title, sender, flags::text, model::text, med_changes \
                 FROM handover.documents WHERE document_key = $1",
                &[&key],
            ))
            .unwrap();
        assert_eq!(row.get::<_, String>(0), record.kind.as_str());
        assert_eq!(row.get::<_, Option<String>>(1), record.nhs_number);
        assert_eq!(row.get::<_, Option<String>>(2), record.title);
        assert_eq!(row.get::<_, Option<String>>(3), record.sender);
        assert_eq!(row.get::<_, String>(4), record.flags);
        assert_eq!(row.get::<_, String>(5), record.model);
        assert_eq!(row.get::<_, i32>(6) as u32, record.med_changes);
    }

    // Again: nothing new.
    let summary = round(&mut serve(&server, "puller_a", &inbox, "host-a", 30_000));
    assert_eq!(summary["downloaded"], 0, "{summary}");
    assert_eq!(summary["acknowledged"], 0);
    assert_eq!(summary["responses_sent"], 0);

    // The same document delivered again (another MESH message): a duplicate, not a document.
    std::fs::write(inbox.join("zz-again.xml"), &fixtures[3].bytes).unwrap();
    let summary = round(&mut serve(&server, "puller_b", &inbox, "host-b", 30_000));
    // Each `--once` round takes the lease afresh after the last one released it: a new epoch.
    assert_eq!(summary["epoch"], 3);
    assert_eq!(summary["downloaded"], 1, "{summary}");
    assert_eq!(summary["duplicates"], 1);
    assert_eq!(summary["stored"], 0);
    assert_eq!(summary["acknowledged"], 1);
    assert_eq!(server.count("SELECT count(*) FROM handover.documents"), n);
    assert_eq!(
        server.count("SELECT count(*) FROM handover.messages"),
        n + 3
    );
    assert_eq!(waiting(&inbox), 0);

    // People read; only the puller writes.
    server.rt.block_on(async {
        let mut su = connect(&server.cluster.superuser_url()).await.unwrap();
        su.add_user("PRC1", "gp_one", "gp", PASSWORD).await.unwrap();
        let gp = connect(&server.url("gp_one")).await.unwrap();
        let seen: i64 = gp
            .client()
            .query_one("SELECT count(*) FROM handover.documents", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(seen, n);
        let refused = gp
            .client()
            .execute("UPDATE handover.messages SET acknowledged_at = NULL", &[])
            .await;
        assert!(refused.is_err(), "a person cannot change what was received");
    });
}

/// A child `handover serve` whose stderr is collected line by line; killed (after SIGCONT) if
/// the test fails before it exits.
struct Puller {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Puller {
    fn spawn(mut cmd: Command) -> Puller {
        let mut child = cmd.stdin(Stdio::piped()).spawn().unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Default::default();
        let stderr = child.stderr.take().unwrap();
        let reader = {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            })
        };
        Puller {
            child,
            lines,
            reader: Some(reader),
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Waits (up to 30 s) until it says `what` on stderr.
    fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.lines.lock().unwrap().iter().any(|l| l.contains(what)) {
            assert!(
                Instant::now() < deadline,
                "the puller never said {what:?}: {:?}",
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Lets a held commit go on.
    fn release_commit(&mut self) {
        let mut stdin = self.child.stdin.take().unwrap();
        stdin.write_all(b"go\n").unwrap();
    }

    /// Waits for it to exit: (success, stdout, stderr).
    fn finish(mut self) -> (bool, String, String) {
        drop(self.child.stdin.take());
        let mut stdout = String::new();
        std::io::Read::read_to_string(self.child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
        let status = self.child.wait().unwrap();
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        let stderr = self.lines.lock().unwrap().join("\n");
        (status.success(), stdout, stderr)
    }
}

impl Drop for Puller {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            signal(&self.child.id().to_string(), "-CONT");
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn signal(pid: &str, sig: &str) {
    let status = Command::new("kill").args([sig, pid]).status().unwrap();
    assert!(status.success(), "kill {sig} {pid}");
}

/// Two pullers. B cannot take the lease while A's is live (A renews it while its batch is open).
/// A is paused (SIGSTOP) with its batch written but not committed; its lease expires; B takes
/// the lease and ingests, waiting on A's uncommitted rows. After SIGCONT A's commit is refused
/// (`lease_lost`): nothing is stored twice, A acknowledges nothing, B stores and acknowledges
/// everything and sends each response once.
#[test]
fn a_paused_puller_cannot_commit_after_another_takes_its_lease() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let (inbox, fixtures) = mailbox(tmp.path(), 6, 11);
    let n = fixtures.len() as i64;
    let asked = fixtures.iter().filter(|f| asks(&f.bytes)).count() as i64;
    let lease_ms = 1_000;

    let mut a = {
        let mut cmd = serve(&server, "puller_a", &inbox, "host-a", lease_ms);
        cmd.env("HANDOVER_TEST_HOLD_BEFORE_COMMIT", "1");
        Puller::spawn(cmd)
    };
    a.wait_for("holding before commit");
    // A's batch is open and A keeps renewing: B is refused, well past A's first lease term.
    std::thread::sleep(Duration::from_millis(lease_ms + 200));
    let out = serve(&server, "puller_b", &inbox, "host-b", 30_000)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[lease_held]"),
        "{}",
        text(&out)
    );

    // A is paused past its lease; B takes over.
    signal(&a.pid(), "-STOP");
    std::thread::sleep(Duration::from_millis(lease_ms + 300));
    let b = Puller::spawn(serve(&server, "puller_b", &inbox, "host-b", 30_000));
    // B has taken the lease and waits on A's uncommitted rows.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.count(
        "SELECT count(*) FROM pg_stat_activity WHERE usename = 'puller_b' \
         AND wait_event_type = 'Lock'",
    ) == 0
    {
        assert!(Instant::now() < deadline, "B never reached A's rows");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        server.strings("SELECT holder || ':' || epoch FROM handover.leases"),
        vec!["host-b:2".to_string()]
    );

    signal(&a.pid(), "-CONT");
    a.release_commit();
    let (a_ok, a_out, a_err) = a.finish();
    assert!(!a_ok, "A's commit must be refused: {a_out}\n{a_err}");
    assert!(a_err.contains("[lease_lost]"), "{a_err}");
    assert!(a_out.trim().is_empty(), "A reports no round: {a_out}");

    let (b_ok, b_out, b_err) = b.finish();
    assert!(b_ok, "{b_out}\n{b_err}");
    let summary: serde_json::Value = serde_json::from_str(&b_out).unwrap();
    assert_eq!(summary["epoch"], 2);
    assert_eq!(summary["stored"], n, "{summary}");
    assert_eq!(summary["acknowledged"], n);
    assert_eq!(summary["responses_sent"], asked);

    // Nothing stored twice, all of it under B's epoch; nothing A wrote survived.
    assert_eq!(server.count("SELECT count(*) FROM handover.messages"), n);
    assert_eq!(server.count("SELECT count(*) FROM handover.documents"), n);
    assert_eq!(
        server.count(
            "SELECT count(*) FROM handover.messages WHERE holder = 'host-b' AND epoch = 2 \
             AND stored_by = 'puller_b' AND acknowledged_at IS NOT NULL"
        ),
        n
    );
    // Every acknowledged message is stored; each response went out once.
    assert_eq!(waiting(&inbox), 0);
    assert_eq!(files_in(&inbox.join("processed")).len() as i64, n);
    assert_eq!(
        server.count(
            "SELECT count(*) FROM handover.outbox WHERE attempts = 1 AND sent_at IS NOT NULL"
        ),
        asked
    );
    assert_eq!(
        files_in(&inbox.join("outbox"))
            .iter()
            .filter(|f| f.ends_with(".dat"))
            .count() as i64,
        asked
    );
}

/// A crash between commit and acknowledgement (the process aborts right after COMMIT): the
/// messages are stored and still in the mailbox; the next round downloads nothing again, finds
/// them stored, acknowledges them and sends their responses; nothing is stored twice.
#[test]
fn a_crash_between_commit_and_acknowledgement_is_finished_by_the_next_round() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let (inbox, fixtures) = mailbox(tmp.path(), 5, 23);
    let n = fixtures.len() as i64;
    let asked = fixtures.iter().filter(|f| asks(&f.bytes)).count() as i64;

    let out = serve(&server, "puller_a", &inbox, "host-a", 500)
        .env("HANDOVER_TEST_CRASH_AFTER_COMMIT", "1")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("crashing after commit"),
        "{}",
        text(&out)
    );
    // Committed, not acknowledged: all still waiting in the mailbox.
    assert_eq!(server.count("SELECT count(*) FROM handover.messages"), n);
    assert_eq!(
        server.count("SELECT count(*) FROM handover.messages WHERE acknowledged_at IS NULL"),
        n
    );
    assert_eq!(waiting(&inbox), fixtures.len());
    assert_eq!(
        server.count("SELECT count(*) FROM handover.outbox WHERE sent_at IS NULL"),
        asked
    );

    // The crashed puller's lease runs out; another round (another process) finishes the work.
    std::thread::sleep(Duration::from_millis(600));
    let summary = round(&mut serve(&server, "puller_a", &inbox, "host-a2", 30_000));
    assert_eq!(summary["epoch"], 2);
    assert_eq!(summary["downloaded"], 0, "{summary}");
    assert_eq!(summary["already_stored"], n);
    assert_eq!(summary["stored"], 0);
    assert_eq!(summary["acknowledged"], n);
    assert_eq!(summary["responses_sent"], asked);
    assert_eq!(server.count("SELECT count(*) FROM handover.messages"), n);
    assert_eq!(server.count("SELECT count(*) FROM handover.documents"), n);
    assert_eq!(
        server.count("SELECT count(*) FROM handover.messages WHERE acknowledged_at IS NULL"),
        0
    );
    assert_eq!(waiting(&inbox), 0);
}

/// The puller's connection is killed (pg_terminate_backend) while its batch transaction is open:
/// nothing is committed, nothing acknowledged; the next round stores and acknowledges it all.
#[test]
fn a_connection_killed_mid_ingest_commits_and_acknowledges_nothing() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let (inbox, fixtures) = mailbox(tmp.path(), 5, 31);
    let n = fixtures.len() as i64;

    let mut a = {
        let mut cmd = serve(&server, "puller_a", &inbox, "host-a", 30_000);
        cmd.env("HANDOVER_TEST_HOLD_BEFORE_COMMIT", "1");
        Puller::spawn(cmd)
    };
    a.wait_for("holding before commit");
    // The backend of A's open ingest (its lease keeper's connection is idle, not in a
    // transaction); the pid is looked up first, so nothing else can be terminated.
    let pid = server.count(
        "SELECT pid::bigint FROM pg_stat_activity WHERE usename = 'puller_a' \
         AND state = 'idle in transaction'",
    );
    assert_eq!(
        server.count(&format!(
            "SELECT count(*) FROM (SELECT pg_terminate_backend({pid}) AS t) k WHERE t"
        )),
        1,
        "the ingest's backend was killed"
    );
    a.release_commit();
    let (ok, out, err) = a.finish();
    assert!(!ok, "{out}\n{err}");
    assert!(err.contains("[practice_unreachable]"), "{err}");
    assert_eq!(server.count("SELECT count(*) FROM handover.messages"), 0);
    assert_eq!(server.count("SELECT count(*) FROM handover.outbox"), 0);
    assert_eq!(waiting(&inbox), fixtures.len(), "nothing was acknowledged");

    // A released its lease on the way out (its lease connection was alive): no wait.
    let summary = round(&mut serve(&server, "puller_a", &inbox, "host-a2", 30_000));
    assert_eq!(summary["stored"], n, "{summary}");
    assert_eq!(summary["acknowledged"], n);
    assert_eq!(server.count("SELECT count(*) FROM handover.messages"), n);
    assert_eq!(server.count("SELECT count(*) FROM handover.documents"), n);
    assert_eq!(waiting(&inbox), 0);
}
