//! The practice register shared through the server (schema 7), against a real PostgreSQL 15
//! cluster: only a GP, an admin or the practice manager may import one (the server refuses
//! the others, whatever the desktop does); each import is a new version per practice, in
//! order, kept (no update or delete, even by the owner), an import sent again adds nothing;
//! who imported it is the session's login; the rows come back exactly as sent, checked
//! against their hash; another practice can neither read nor number its versions; an import
//! wakes the practice's desktops; a server still at schema 5 has no register.

use std::time::Duration;

use handover_errors::{Coded, ErrorCode};
use handover_practice::testing::Cluster;
use handover_practice::{connect, sha256_hex, PracticeDb, PracticeError, RegisterUpload};

const PASSWORD: &str = "correct horse battery";

async fn login(cluster: &Cluster, user: &str) -> PracticeDb {
    connect(&cluster.url(user, PASSWORD)).await.unwrap()
}

fn upload(rows: &[&str], file: &str) -> RegisterUpload {
    let patients: Vec<serde_json::Value> = rows
        .iter()
        .map(|nhs| serde_json::json!({ "nhs_number": nhs, "family_name": "Smith" }))
        .collect();
    RegisterUpload {
        patients_json: serde_json::to_string(&patients).unwrap(),
        file_sha256: sha256_hex(file.as_bytes()),
        file_name: Some("register.csv".into()),
        rejected: 1,
    }
}

async fn count(db: &PracticeDb, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).await.unwrap().get(0)
}

fn code(e: &PracticeError) -> ErrorCode {
    e.code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_is_imported_by_allowed_roles_in_versions_read_by_the_practice_only() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    let report = su.init("PRC1", "Riverside Surgery").await.unwrap();
    assert_eq!(
        report.schema_version,
        handover_practice::schema::latest_version()
    );
    su.init("PRC2", "Hillside Surgery").await.unwrap();
    for (login_name, role) in [
        ("gp_one", "gp"),
        ("admin_one", "admin"),
        ("pm_one", "practice-manager"),
        ("cc_one", "care-coordinator"),
        ("pharm_one", "pharmacist"),
        ("puller_one", "puller"),
    ] {
        su.add_user("PRC1", login_name, role, PASSWORD)
            .await
            .unwrap();
    }
    su.add_user("PRC2", "gp_two", "gp", PASSWORD).await.unwrap();

    let gp = login(&cluster, "gp_one").await;
    assert_eq!(gp.latest_register().await.unwrap(), None);
    assert!(gp.register_version(1).await.unwrap().is_none());

    // Refused by the server for the roles that may not match documents to the register.
    for who in ["cc_one", "pharm_one", "puller_one"] {
        let db = login(&cluster, who).await;
        let refused = db
            .import_register(&upload(&["9434765919"], "a"))
            .await
            .unwrap_err();
        assert_eq!(
            code(&refused),
            ErrorCode::PermissionDenied,
            "{who}: {refused}"
        );
        assert!(refused.to_string().contains("may not import"), "{refused}");
        // And not round it, with plain SQL: members have no INSERT on the table.
        let insert = db
            .client()
            .execute(
                "INSERT INTO handover.registers (practice_id, version, imported_by, role,
                     file_sha256, patients, patient_count, rejected, sha256)
                 VALUES ('PRC1', 1, 'x', 'gp', repeat('0', 64), '[]', 0, 0, repeat('0', 64))",
                &[],
            )
            .await
            .unwrap_err();
        assert_eq!(
            code(&PracticeError::from(insert)),
            ErrorCode::PermissionDenied
        );
    }
    assert_eq!(
        count(&su, "SELECT count(*) FROM handover.registers").await,
        0
    );

    // A GP imports version 1; the same again adds nothing; an admin and the practice manager
    // import versions 2 and 3.
    let first = upload(&["9434765919", "9434765870"], "file one");
    let v1 = gp.import_register(&first).await.unwrap();
    assert_eq!((v1.version, v1.created), (1, true));
    let again = gp.import_register(&first).await.unwrap();
    assert_eq!((again.version, again.created), (1, false));
    let admin = login(&cluster, "admin_one").await;
    let v2 = admin
        .import_register(&upload(
            &["9434765919", "9434765870", "9434765838"],
            "file two",
        ))
        .await
        .unwrap();
    assert_eq!((v2.version, v2.created), (2, true));
    // The same rows from another file are another import.
    let pm = login(&cluster, "pm_one").await;
    let v3 = pm
        .import_register(&upload(
            &["9434765919", "9434765870", "9434765838"],
            "file three",
        ))
        .await
        .unwrap();
    assert_eq!((v3.version, v3.created), (3, true));

    // Who imported each is the session's login; every version is kept, readable by any member
    // of the practice (a care coordinator reads it, though it may not import one).
    let cc = login(&cluster, "cc_one").await;
    let latest = cc.latest_register().await.unwrap().unwrap();
    assert_eq!(latest.version, 3);
    assert_eq!(latest.imported_by, "pm_one");
    assert_eq!(latest.role, "practice-manager");
    assert_eq!(latest.patient_count, 3);
    assert_eq!(latest.rejected, 1);
    let history = cc.register_history().await.unwrap();
    let who: Vec<(i32, &str)> = history
        .iter()
        .map(|h| (h.version, h.imported_by.as_str()))
        .collect();
    assert_eq!(who, [(1, "gp_one"), (2, "admin_one"), (3, "pm_one")]);
    let read = cc.register_version(1).await.unwrap().unwrap();
    assert_eq!(read.patients_json, first.patients_json, "the rows as sent");
    assert_eq!(read.head.sha256, sha256_hex(first.patients_json.as_bytes()));
    assert_eq!(read.head.file_sha256, first.file_sha256);
    assert_eq!(read.head.file_name.as_deref(), Some("register.csv"));

    // Another practice sees none of it, and numbers its own from 1.
    let other = login(&cluster, "gp_two").await;
    assert_eq!(other.latest_register().await.unwrap(), None);
    assert!(other.register_version(1).await.unwrap().is_none());
    let seen: i64 = other
        .client()
        .query_one("SELECT count(*) FROM handover.registers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 0, "row-level security");
    let theirs = other
        .import_register(&upload(&["9434765919"], "theirs"))
        .await
        .unwrap();
    assert_eq!(theirs.version, 1);
    assert_eq!(gp.latest_register().await.unwrap().unwrap().version, 3);

    // Kept as imported: not even the owner may change or remove a version.
    for sql in [
        "UPDATE handover.registers SET patients = '[]' WHERE practice_id = 'PRC1'",
        "DELETE FROM handover.registers WHERE practice_id = 'PRC1'",
        "TRUNCATE handover.registers",
    ] {
        let tx = su.client_mut().transaction().await.unwrap();
        tx.batch_execute("SET LOCAL ROLE handover_owner")
            .await
            .unwrap();
        let e = tx.batch_execute(sql).await.unwrap_err();
        assert_eq!(
            code(&PracticeError::from(e)),
            ErrorCode::PermissionDenied,
            "{sql}"
        );
        tx.rollback().await.unwrap();
    }
    assert_eq!(
        count(&su, "SELECT count(*) FROM handover.registers").await,
        4
    );
    // A member cannot change it either.
    let e = gp
        .client()
        .execute("UPDATE handover.registers SET rejected = 0", &[])
        .await
        .unwrap_err();
    assert_eq!(code(&PracticeError::from(e)), ErrorCode::PermissionDenied);

    // Rows that are not a JSON array are refused, and add nothing.
    for bad in ["{\"nhs_number\": 1}", "not json"] {
        let mut u = upload(&[], "bad");
        u.patients_json = bad.into();
        let e = gp.import_register(&u).await.unwrap_err();
        assert_eq!(code(&e), ErrorCode::InvalidArgument, "{bad}: {e}");
    }
    assert_eq!(gp.latest_register().await.unwrap().unwrap().version, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_at_once_take_versions_in_order_and_wake_the_practice() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    for p in ["PRC1", "PRC2"] {
        su.init(p, &format!("Practice {p}")).await.unwrap();
    }
    su.add_user("PRC2", "gp_two", "gp", PASSWORD).await.unwrap();
    let writers = ["gp_a", "gp_b", "gp_c", "gp_d"];
    for w in writers {
        su.add_user("PRC1", w, "gp", PASSWORD).await.unwrap();
    }
    let listener = login(&cluster, "gp_a").await;
    let wake = listener.listen("PRC1").await.unwrap();
    let quiet = Duration::from_millis(700);

    // Another practice's import wakes nobody here.
    login(&cluster, "gp_two")
        .await
        .import_register(&upload(&["9434765919"], "other"))
        .await
        .unwrap();
    assert!(tokio::time::timeout(quiet, wake.notified()).await.is_err());

    // Four desktops import at once, each three times: twelve versions, 1 to 12, none lost.
    let mut tasks = Vec::new();
    for (i, w) in writers.into_iter().enumerate() {
        let db = login(&cluster, w).await;
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for n in 0..3 {
                let u = upload(&["9434765919"], &format!("{i}-{n}"));
                got.push(db.import_register(&u).await.unwrap().version);
            }
            got
        }));
    }
    let mut versions = Vec::new();
    for t in tasks {
        let got = t.await.unwrap();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        versions.extend(got);
    }
    versions.sort();
    assert_eq!(versions, (1..=12).collect::<Vec<_>>());
    assert!(
        tokio::time::timeout(Duration::from_secs(5), wake.notified())
            .await
            .is_ok(),
        "an import wakes the practice's desktops"
    );
    assert_eq!(
        listener.latest_register().await.unwrap().unwrap().version,
        12
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_before_schema_7_has_no_register_until_it_is_brought_up_to_date() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    su.init_at_version("PRC1", "Riverside Surgery", 6)
        .await
        .unwrap();
    su.add_user("PRC1", "gp_one", "gp", PASSWORD).await.unwrap();
    let gp = login(&cluster, "gp_one").await;
    assert_eq!(gp.latest_register().await.unwrap(), None);
    let e = gp
        .import_register(&upload(&["9434765919"], "a"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("schema 7"), "{e}");

    let report = su.init("PRC1", "Riverside Surgery").await.unwrap();
    assert_eq!(
        report.migrations_applied,
        (7..=handover_practice::schema::latest_version()).collect::<Vec<_>>()
    );
    let v = gp
        .import_register(&upload(&["9434765919"], "a"))
        .await
        .unwrap();
    assert_eq!(v.version, 1);
}
