//! Steps carry the version of the document they were taken on (practice schema 6), against a
//! real PostgreSQL 15 cluster: a step on the current version is taken and raises it; a step
//! on an older version is refused (`document_changed`, naming who changed it and when) and
//! leaves nothing; events without a version (notes, views, events of older desktops) always
//! go in and do not move it; a resent step is found by its id whatever the version now is;
//! and two desktops racing with the same version: exactly one wins.

use handover_errors::{Coded, ErrorCode};
use handover_practice::testing::Cluster;
use handover_practice::{connect, NewPracticeEvent, PracticeDb};

const PASSWORD: &str = "correct horse battery";

fn step(device: &str, n: u64, key: &str, kind: &str, version: Option<i64>) -> NewPracticeEvent {
    let mut details = serde_json::json!({ "n": n });
    if let Some(v) = version {
        details["expected_version"] = v.into();
    }
    NewPracticeEvent {
        event_id: format!("{device}:{n}"),
        at: format!("2026-03-01T09:00:{n:02}Z"),
        os_user: "reception".into(),
        device: device.into(),
        document_key: Some(key.into()),
        kind: kind.into(),
        details: details.to_string(),
    }
}

async fn login(cluster: &Cluster, user: &str) -> PracticeDb {
    connect(&cluster.url(user, PASSWORD)).await.unwrap()
}

async fn version(db: &PracticeDb, key: &str) -> i64 {
    db.client()
        .query_opt(
            "SELECT version FROM handover.document_versions WHERE document_key = $1",
            &[&key],
        )
        .await
        .unwrap()
        .map(|r| r.get(0))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_on_an_older_version_of_the_document_is_refused() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    su.init("PRC1", "Riverside Surgery").await.unwrap();
    for (l, role) in [("gp_one", "gp"), ("admin_one", "admin")] {
        su.add_user("PRC1", l, role, PASSWORD).await.unwrap();
    }
    let mut gp = login(&cluster, "gp_one").await;
    let mut admin = login(&cluster, "admin_one").await;
    let key = "sha256-doc-1";

    // Version 0 -> 1 -> 2, each step on the version it saw.
    gp.append_events(&[step("desk-gp", 1, key, "assigned", Some(0))])
        .await
        .unwrap();
    admin
        .append_events(&[step("desk-admin", 1, key, "action_decided", Some(1))])
        .await
        .unwrap();
    assert_eq!(version(&gp, key).await, 2);

    // A step taken on version 1 (before the admin's decision) is refused, naming who and when.
    let refused = gp
        .append_events(&[step("desk-gp", 2, key, "action_decided", Some(1))])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::DocumentChanged);
    let message = refused.to_string();
    assert!(
        message.contains("changed by admin_one at 2026-03-01T09:00:01Z since it was seen"),
        "{message}"
    );
    assert_eq!(version(&gp, key).await, 2, "a refused step moves nothing");
    assert_eq!(gp.pull(0, 10).await.unwrap().len(), 2, "nor is it logged");

    // A note (no version) always goes in and does not move the version.
    gp.append_events(&[step("desk-gp", 3, key, "note_added", None)])
        .await
        .unwrap();
    assert_eq!(version(&gp, key).await, 2);
    // Another document has its own count.
    gp.append_events(&[step("desk-gp", 4, "sha256-doc-2", "filed", Some(0))])
        .await
        .unwrap();
    assert_eq!(version(&gp, "sha256-doc-2").await, 1);

    // A step resent after a lost reply is found by its id, whatever the version is now.
    let first = admin
        .append_events(&[step("desk-admin", 1, key, "action_decided", Some(1))])
        .await
        .unwrap();
    assert_eq!(first, vec![2]);

    // Two desktops racing on version 2: exactly one of them is taken.
    let (mine, theirs) = (
        [step("desk-gp", 5, key, "assigned", Some(2))],
        [step("desk-admin", 6, key, "assigned", Some(2))],
    );
    let (a, b) = tokio::join!(gp.append_events(&mine), admin.append_events(&theirs));
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{outcomes:?}");
    let lost = if a.is_ok() { b } else { a };
    assert_eq!(lost.unwrap_err().code(), ErrorCode::DocumentChanged);
    assert_eq!(version(&gp, key).await, 3);
    // The log still verifies.
    let report = gp.verify_chain().await.unwrap();
    assert!(report.ok, "{report:?}");
}
