//! The practice log on a real PostgreSQL 15 (a throwaway cluster per test; no mocks).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use handover_errors::{Coded, ErrorCode};
use handover_practice::testing::Cluster;
use handover_practice::{connect, NewPracticeEvent, PracticeDb, PracticeError};
use rand::Rng;

const PASSWORD: &str = "correct horse battery";

fn event(device: &str, n: u64, kind: &str) -> NewPracticeEvent {
    NewPracticeEvent {
        event_id: format!("{device}:{n}"),
        at: format!("2026-03-01T09:{:02}:{:02}Z", (n / 60) % 60, n % 60),
        os_user: "reception".into(),
        device: device.into(),
        document_key: Some(format!("sha256-{n:08}")),
        kind: kind.into(),
        details: serde_json::json!({ "n": n, "note": "checked" }).to_string(),
    }
}

/// A cluster with practice `PRC1` (and `PRC2` when asked) and logins: for each practice a GP
/// `gp_p1`, an admin `admin_p1` and two pullers `puller_a_p1`, `puller_b_p1` (`_p2` for PRC2).
async fn practice_cluster(practices: &[&str]) -> Cluster {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut admin = connect(&cluster.superuser_url()).await.unwrap();
    for p in practices {
        let report = admin.init(p, &format!("Practice {p}")).await.unwrap();
        assert!(report.practice_created);
        // Logins are named after the practice's last character: gp_p1 for PRC1.
        let l = format!("p{}", &p[p.len() - 1..]);
        admin
            .add_user(p, &format!("gp_{l}"), "gp", PASSWORD)
            .await
            .unwrap();
        admin
            .add_user(p, &format!("admin_{l}"), "admin", PASSWORD)
            .await
            .unwrap();
        admin
            .add_user(p, &format!("puller_a_{l}"), "puller", PASSWORD)
            .await
            .unwrap();
        admin
            .add_user(p, &format!("puller_b_{l}"), "puller", PASSWORD)
            .await
            .unwrap();
    }
    cluster
}

async fn login(cluster: &Cluster, user: &str) -> PracticeDb {
    connect(&cluster.url(user, PASSWORD)).await.unwrap()
}

fn code<T>(r: Result<T, PracticeError>) -> ErrorCode {
    match r {
        Ok(_) => panic!("should be refused"),
        Err(e) => e.code(),
    }
}

/// 30 appenders on their own connections append in transactions, a third of them rolled back,
/// while a reader pages `seq > cursor` the whole time. The log ends gapless, holds exactly the
/// committed events, the reader saw each exactly once (none skipped), and the chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appenders_and_a_reader_see_a_gapless_log() {
    let cluster = practice_cluster(&["PRC1"]).await;
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let mut db = login(&cluster, "admin_p1").await;
        let done = done.clone();
        tokio::spawn(async move {
            let mut cursor = 0i64;
            let mut seen: Vec<(i64, String)> = Vec::new();
            let mut pages = 0u32;
            loop {
                // Read `done` before pulling: the last pull starts after every commit.
                let finished = done.load(Ordering::SeqCst);
                let page = db.pull(cursor, 7).await.unwrap();
                pages += 1;
                for e in &page {
                    assert_eq!(
                        e.seq,
                        cursor + 1,
                        "the reader was given a gap after {cursor}"
                    );
                    cursor = e.seq;
                    seen.push((e.seq, e.event_id.clone()));
                }
                if page.is_empty() {
                    if finished {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
            assert!(db.verify_chain().await.unwrap().ok);
            (seen, pages)
        })
    };

    let mut appenders = Vec::new();
    for a in 0..30u64 {
        let user = if a % 2 == 0 { "gp_p1" } else { "admin_p1" };
        let mut db = login(&cluster, user).await;
        appenders.push(tokio::spawn(async move {
            let device = format!("dev-{a:02}");
            let mut committed = Vec::new();
            let mut rolled_back = Vec::new();
            let mut n = 0u64;
            for _ in 0..8 {
                let (size, rollback) = {
                    let mut rng = rand::rng();
                    (rng.random_range(1..=3u64), rng.random_bool(0.3))
                };
                let batch: Vec<_> = (0..size)
                    .map(|_| {
                        n += 1;
                        event(&device, n, "viewed")
                    })
                    .collect();
                let tx = db.client_mut().transaction().await.unwrap();
                let seqs = PracticeDb::append_in_transaction(&tx, &batch)
                    .await
                    .unwrap();
                assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
                if rollback {
                    tx.rollback().await.unwrap();
                    rolled_back.extend(batch.into_iter().map(|e| e.event_id));
                } else {
                    tx.commit().await.unwrap();
                    committed.extend(batch.into_iter().map(|e| e.event_id));
                }
                tokio::task::yield_now().await;
            }
            (committed, rolled_back)
        }));
    }
    let mut committed = BTreeSet::new();
    let mut rolled_back = BTreeSet::new();
    for a in appenders {
        let (c, r) = a.await.unwrap();
        committed.extend(c);
        rolled_back.extend(r);
    }
    done.store(true, Ordering::SeqCst);
    let (seen, pages) = reader.await.unwrap();

    let mut admin = login(&cluster, "admin_p1").await;
    let log = admin.pull(0, 10_000).await.unwrap();
    let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=log.len() as i64).collect::<Vec<_>>(),
        "seq has a gap"
    );
    let logged: BTreeSet<String> = log.iter().map(|e| e.event_id.clone()).collect();
    assert_eq!(logged, committed, "the log is exactly the committed events");
    assert!(logged.is_disjoint(&rolled_back));
    assert!(!rolled_back.is_empty(), "some transactions rolled back");
    let final_log: Vec<(i64, String)> = log.iter().map(|e| (e.seq, e.event_id.clone())).collect();
    assert_eq!(seen, final_log, "the reader saw every event once, in order");
    assert!(pages > 3, "the reader paged while the appenders ran");
    for e in &log {
        let expected = if e.event_id[4..6].parse::<u32>().unwrap() % 2 == 0 {
            ("gp_p1", Some("gp"))
        } else {
            ("admin_p1", Some("admin"))
        };
        assert_eq!((e.actor.as_str(), e.role.as_deref()), expected);
    }
    let report = admin.verify_chain().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, committed.len() as u64);
}

/// A batch resent after a lost reply gets the seqs it already has and is stored once; an id
/// reused for a different event is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_sent_twice_is_stored_once() {
    let cluster = practice_cluster(&["PRC1"]).await;
    let mut gp = login(&cluster, "gp_p1").await;
    gp.append_events(&[event("dev-x", 100, "viewed")])
        .await
        .unwrap();
    let batch: Vec<_> = (1..=5).map(|n| event("dev-a", n, "noted")).collect();
    let first = gp.append_events(&batch).await.unwrap();
    assert_eq!(first, vec![2, 3, 4, 5, 6]);

    // The reply was lost: the desktop sends the batch again, with one new event at the end,
    // from a new connection.
    let mut again = login(&cluster, "gp_p1").await;
    let mut resent = batch.clone();
    resent.push(event("dev-a", 6, "noted"));
    assert_eq!(
        again.append_events(&resent).await.unwrap(),
        vec![2, 3, 4, 5, 6, 7]
    );

    // Two connections sending the same new batch at once: both get the same seqs.
    let racing: Vec<_> = (7..=20).map(|n| event("dev-a", n, "noted")).collect();
    let (a, b) = tokio::join!(gp.append_events(&racing), again.append_events(&racing));
    assert_eq!(a.unwrap(), b.unwrap());

    let log = gp.pull(0, 1000).await.unwrap();
    assert_eq!(log.len(), 21);
    let ids: BTreeSet<_> = log.iter().map(|e| &e.event_id).collect();
    assert_eq!(ids.len(), 21, "no event twice");

    // The same id with other content is not the same event.
    let mut changed = event("dev-a", 3, "filed");
    changed.details = "{}".into();
    assert_eq!(
        code(gp.append_events(&[changed]).await),
        ErrorCode::EventIdConflict
    );
    // Nor is the same event appended by another person.
    let mut admin = login(&cluster, "admin_p1").await;
    assert_eq!(
        code(admin.append_events(&[event("dev-a", 3, "noted")]).await),
        ErrorCode::EventIdConflict
    );
    // An event id that is not its device's, and details that are not JSON, are refused.
    let mut foreign = event("dev-a", 99, "noted");
    foreign.device = "dev-b".into();
    assert_eq!(
        code(gp.append_events(&[foreign]).await),
        ErrorCode::InvalidArgument
    );
    let mut bad = event("dev-a", 98, "noted");
    bad.details = "{not json".into();
    assert_eq!(
        code(gp.append_events(&[bad]).await),
        ErrorCode::InvalidArgument
    );
    assert_eq!(gp.pull(0, 1000).await.unwrap().len(), 21);
    assert!(gp.verify_chain().await.unwrap().ok);
}

/// People can read and call append_event, nothing else: UPDATE, DELETE, INSERT and TRUNCATE
/// on the log are refused to them (by privilege) and UPDATE, DELETE and TRUNCATE even to the
/// superuser (by trigger); the actor is always the session's login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_append_only_and_the_actor_is_the_session() {
    let cluster = practice_cluster(&["PRC1"]).await;
    let mut gp = login(&cluster, "gp_p1").await;
    gp.append_events(&[event("dev-a", 1, "filed")])
        .await
        .unwrap();
    let c = gp.client();
    for sql in [
        "UPDATE handover.events SET kind = 'rejected'",
        "DELETE FROM handover.events",
        "TRUNCATE handover.events",
        "INSERT INTO handover.events (practice_id, seq, event_id, at, actor, os_user, device, \
         kind, details, prev_hash, hash) SELECT practice_id, seq + 1, 'dev-a:2', at, \
         'admin_p1', os_user, device, kind, details, hash, hash FROM handover.events",
        "UPDATE handover.practice_heads SET seq = 0",
        "UPDATE handover.members SET role = 'gp'",
        "UPDATE handover.leases SET epoch = 100",
        "SELECT handover.acquire_lease('me', 1000)",
    ] {
        let e = c.batch_execute(sql).await.expect_err(sql);
        assert_eq!(
            PracticeError::from(e).code(),
            ErrorCode::PermissionDenied,
            "{sql}"
        );
    }
    // No way to name another actor: the function takes none, and the session cannot become
    // another login.
    let e = c
        .batch_execute(
            "SELECT handover.append_event('dev-a:2', 'now', 'x', 'dev-a', NULL, 'filed', '{}', 'admin_p1')",
        )
        .await
        .expect_err("no actor argument");
    let message = e.as_db_error().expect("the server's refusal").message();
    assert!(message.contains("does not exist"), "{message}");
    for sql in ["SET SESSION AUTHORIZATION admin_p1", "SET ROLE admin_p1"] {
        assert!(c.batch_execute(sql).await.is_err(), "{sql}");
    }
    // SET ROLE to its own group is allowed, but the actor stays the login.
    c.batch_execute("SET ROLE handover_gp").await.unwrap();
    gp.append_events(&[event("dev-a", 2, "noted")])
        .await
        .unwrap();
    let log = gp.pull(0, 10).await.unwrap();
    assert!(log
        .iter()
        .all(|e| e.actor == "gp_p1" && e.role.as_deref() == Some("gp")));

    // Even the superuser cannot change or remove events (the trigger).
    let su = connect(&cluster.superuser_url()).await.unwrap();
    for sql in [
        "UPDATE handover.events SET kind = 'rejected'",
        "DELETE FROM handover.events",
        "TRUNCATE handover.events",
    ] {
        let e = PracticeError::from(su.client().batch_execute(sql).await.expect_err(sql));
        assert_eq!(e.code(), ErrorCode::PermissionDenied, "{sql}");
        assert!(e.to_string().contains("append-only"), "{e}");
    }
    // Whoever gets round the trigger is caught by the chain.
    su.client()
        .batch_execute(
            "ALTER TABLE handover.events DISABLE TRIGGER events_append_only;
             UPDATE handover.events SET kind = 'rejected' WHERE seq = 1;",
        )
        .await
        .unwrap();
    let report = gp.verify_chain().await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_bad_event, Some(1));
    // And removing the last event is caught by the head row.
    su.client()
        .batch_execute(
            "UPDATE handover.events SET kind = 'filed' WHERE seq = 1;
             DELETE FROM handover.events WHERE seq = 2;",
        )
        .await
        .unwrap();
    let report = gp.verify_chain().await.unwrap();
    assert!(!report.ok, "{report:?}");
    assert_eq!(report.first_bad_event, Some(2));
}

/// A login of one practice sees nothing of another's, however it asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_cannot_read_another_practices_events() {
    let cluster = practice_cluster(&["PRC1", "PRC2"]).await;
    let mut p1 = login(&cluster, "gp_p1").await;
    let mut p2 = login(&cluster, "gp_p2").await;
    p1.append_events(&[event("dev-1", 1, "filed"), event("dev-1", 2, "noted")])
        .await
        .unwrap();
    p2.append_events(&[event("dev-2", 1, "noted")])
        .await
        .unwrap();
    // The same event id in two practices is two events.
    p2.append_events(&[event("dev-1", 1, "filed")])
        .await
        .unwrap();

    assert_eq!(p1.session_practice().await.unwrap(), "PRC1");
    let mine = p1.pull(0, 100).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|e| e.practice_id == "PRC1"));
    for table in ["events", "practice_heads", "practices", "members", "leases"] {
        let rows = p1
            .client()
            .query(
                &format!("SELECT practice_id FROM handover.{table} WHERE practice_id <> 'PRC1'"),
                &[],
            )
            .await
            .unwrap();
        assert!(rows.is_empty(), "{table}: P1 sees another practice's rows");
    }
    let seqs: Vec<i64> = p2
        .pull(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2]);
    assert!(p1.verify_chain().await.unwrap().ok);
    assert!(p2.verify_chain().await.unwrap().ok);
    // A login outside every practice reads nothing and cannot append.
    let su = connect(&cluster.superuser_url()).await.unwrap();
    su.client()
        .batch_execute(
            "CREATE ROLE outsider LOGIN PASSWORD 'correct horse battery' IN ROLE handover_gp",
        )
        .await
        .unwrap();
    let mut outsider = login(&cluster, "outsider").await;
    assert!(outsider.pull(0, 100).await.unwrap().is_empty());
    assert_eq!(
        code(outsider.append_events(&[event("dev-9", 1, "filed")]).await),
        ErrorCode::PracticeNotMember
    );
}

/// Puller A's lease expires and B takes it (epoch 2): A's ingest at epoch 1 is refused with
/// lease_lost and nothing it wrote is committed, also when the lease expired while A's
/// transaction was open; B's ingest commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_puller_cannot_commit_after_another_takes_the_lease() {
    let cluster = practice_cluster(&["PRC1"]).await;
    let mut a = login(&cluster, "puller_a_p1").await;
    let mut b = login(&cluster, "puller_b_p1").await;
    let ttl = Duration::from_millis(300);

    let epoch_a = a.acquire_lease("host-a", ttl).await.unwrap();
    assert_eq!(epoch_a, 1);
    assert_eq!(
        a.acquire_lease("host-a", ttl).await.unwrap(),
        1,
        "held: same epoch"
    );
    assert_eq!(
        code(b.acquire_lease("host-b", ttl).await),
        ErrorCode::LeaseHeld
    );
    a.renew_lease("host-a", epoch_a, ttl).await.unwrap();
    // A ingests while it holds the lease.
    assert_eq!(
        a.ingest("host-a", epoch_a, &[event("puller-a", 1, "received")])
            .await
            .unwrap(),
        vec![1]
    );

    // A stalls past its lease; B takes it.
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    let epoch_b = b.acquire_lease("host-b", ttl * 10).await.unwrap();
    assert_eq!(epoch_b, 2);
    assert_eq!(
        code(
            a.ingest("host-a", epoch_a, &[event("puller-a", 2, "received")])
                .await
        ),
        ErrorCode::LeaseLost
    );
    assert_eq!(
        code(a.renew_lease("host-a", epoch_a, ttl).await),
        ErrorCode::LeaseLost
    );
    // The same login cannot pass itself off as B without B's epoch, nor B's holder name
    // with an old epoch.
    assert_eq!(
        code(
            a.ingest("host-b", epoch_a, &[event("puller-a", 2, "received")])
                .await
        ),
        ErrorCode::LeaseLost
    );
    b.ingest("host-b", epoch_b, &[event("puller-b", 1, "received")])
        .await
        .unwrap();
    b.release_lease("host-b", epoch_b).await.unwrap();

    // The lease expires while A's transaction is open: its writes are rolled back.
    let epoch_a2 = a.acquire_lease("host-a", ttl).await.unwrap();
    assert_eq!(epoch_a2, 3, "a released lease is taken at a new epoch");
    {
        let mut ingest = a.begin_ingest("host-a", epoch_a2).await.unwrap();
        ingest
            .append(&[
                event("puller-a", 3, "received"),
                event("puller-a", 4, "received"),
            ])
            .await
            .unwrap();
        tokio::time::sleep(ttl + Duration::from_millis(50)).await;
        assert_eq!(code(ingest.commit().await), ErrorCode::LeaseLost);
    }
    let log = b.pull(0, 100).await.unwrap();
    let ids: Vec<&str> = log.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, vec!["puller-a:1", "puller-b:1"]);
    assert!(b.verify_chain().await.unwrap().ok);
    // People cannot take the lease.
    let gp = login(&cluster, "gp_p1").await;
    assert_eq!(
        code(gp.acquire_lease("gp", ttl).await),
        ErrorCode::PermissionDenied
    );
}

/// The server hashes as the desktop's chain does (crates/chain), whatever the strings hold:
/// quotes, backslashes, control characters, non-ASCII, line separators.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_hashes_exactly_as_the_desktop_chain() {
    let cluster = practice_cluster(&["PRC1"]).await;
    let mut gp = login(&cluster, "gp_p1").await;
    let awkward = [
        "plain",
        "quote \" backslash \\ slash / </script>",
        "tab\tnewline\nreturn\rbell\u{7}form\u{c}backspace\u{8}unit\u{1f}del\u{7f}",
        "Zoë Ní Bhriain — 🩺 \u{2028}\u{2029} \u{feff}",
        "",
    ];
    let mut batch = Vec::new();
    for (i, s) in awkward.iter().enumerate() {
        let n = i as u64 + 1;
        batch.push(NewPracticeEvent {
            event_id: format!("dév-1:{n}{s}"),
            at: format!("2026-03-01T09:00:0{n}Z"),
            os_user: s.to_string(),
            device: "dév-1".into(),
            document_key: (i % 2 == 0).then(|| s.to_string()),
            kind: format!("kind {s}"),
            details:
                serde_json::json!({ "text": s, "n": [1.5, -0.0, 1e300], "nested": { "x": null } })
                    .to_string(),
        });
    }
    gp.append_events(&batch).await.unwrap();
    let log = gp.pull(0, 100).await.unwrap();
    let mut prev = handover_practice::GENESIS_HASH.to_string();
    for e in &log {
        assert_eq!(e.prev_hash, prev);
        assert_eq!(
            e.hash,
            e.expected_hash(&prev),
            "event {} ({:?})",
            e.seq,
            e.os_user
        );
        prev = e.hash.clone();
    }
    assert!(gp.verify_chain().await.unwrap().ok);
}

/// init runs again without harm; add_user refuses bad names, roles, short passwords, unknown
/// practices and existing logins; a wrong password is an authentication error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_is_idempotent_and_add_user_checks_its_input() {
    let cluster = practice_cluster(&["PRC1"]).await;
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    let again = su.init("PRC1", "Renamed").await.unwrap();
    assert!(again.migrations_applied.is_empty());
    assert!(!again.practice_created);
    assert_eq!(
        su.schema_version().await.unwrap(),
        handover_practice::schema::latest_version()
    );
    assert_eq!(
        su.practices().await.unwrap(),
        vec![("PRC1".to_string(), "Practice PRC1".to_string())]
    );
    let cases: BTreeMap<&str, (&str, &str, &str, &str, ErrorCode)> = BTreeMap::from([
        (
            "bad name",
            (
                "PRC1",
                "Robert'); DROP",
                "gp",
                PASSWORD,
                ErrorCode::InvalidArgument,
            ),
        ),
        (
            "reserved",
            (
                "PRC1",
                "handover_owner",
                "gp",
                PASSWORD,
                ErrorCode::InvalidArgument,
            ),
        ),
        (
            "role",
            (
                "PRC1",
                "bob",
                "surgeon",
                PASSWORD,
                ErrorCode::InvalidArgument,
            ),
        ),
        (
            "password",
            ("PRC1", "bob", "gp", "short", ErrorCode::InvalidArgument),
        ),
        (
            "practice",
            ("PRC9", "bob", "gp", PASSWORD, ErrorCode::PracticeNotFound),
        ),
        (
            "ods",
            ("prc1", "bob", "gp", PASSWORD, ErrorCode::InvalidArgument),
        ),
        (
            "exists",
            ("PRC1", "gp_p1", "gp", PASSWORD, ErrorCode::UserExists),
        ),
    ]);
    for (case, (p, name, role, pw, expected)) in cases {
        assert_eq!(
            code(su.add_user(p, name, role, pw).await),
            expected,
            "{case}"
        );
    }
    let wrong = connect(&cluster.url("gp_p1", "not the password")).await;
    assert_eq!(code(wrong), ErrorCode::PracticeAuthentication);
    // A non-superuser cannot init.
    let mut gp = login(&cluster, "gp_p1").await;
    assert_eq!(
        code(gp.init("PRC2", "Other").await),
        ErrorCode::PermissionDenied
    );
}

/// A server that is not on this machine is reached only over TLS: asked for in the clear
/// (`sslmode=disable`), the connection is refused before any attempt (these addresses are
/// never dialled: the refusal is immediate).
#[tokio::test]
async fn remote_servers_are_refused_in_the_clear() {
    for url in [
        "postgres://u:p@practice-server.example:5432/handover?sslmode=disable",
        "postgres://u:p@10.0.0.5/handover?sslmode=disable",
        "host=db.example user=u sslmode=disable",
        "host=localhost hostaddr=10.0.0.5 user=u sslmode=disable",
    ] {
        let started = std::time::Instant::now();
        assert_eq!(
            code(connect(url).await),
            ErrorCode::PracticeInsecureConnection,
            "{url}"
        );
        assert!(started.elapsed() < Duration::from_secs(1), "{url}");
    }
    assert_eq!(
        code(connect("not a url ::").await),
        ErrorCode::InvalidArgument
    );
}
