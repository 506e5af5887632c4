//! The practice's desktops are woken when its log grows (schema 5, LISTEN/NOTIFY), against a real
//! PostgreSQL 15 cluster: a committed append wakes a listener of that practice at once; a
//! rolled-back one does not; another practice's append does not; and the end of the
//! connection wakes it too (so the desktop's loop finds the server gone without waiting for
//! its poll).

use std::time::Duration;

use handover_practice::testing::Cluster;
use handover_practice::{connect, NewPracticeEvent, PracticeDb};

const PASSWORD: &str = "correct horse battery";

fn event(device: &str, n: u64) -> NewPracticeEvent {
    NewPracticeEvent {
        event_id: format!("{device}:{n}"),
        at: "2026-03-01T09:00:00Z".into(),
        os_user: "reception".into(),
        device: device.into(),
        document_key: Some(format!("sha256-{n:08}")),
        kind: "note_added".into(),
        details: serde_json::json!({ "markdown": "called the patient" }).to_string(),
    }
}

async fn login(cluster: &Cluster, user: &str) -> PracticeDb {
    connect(&cluster.url(user, PASSWORD)).await.unwrap()
}

/// Whether `wake` fires within `within`.
async fn woken(wake: &tokio::sync::Notify, within: Duration) -> bool {
    tokio::time::timeout(within, wake.notified()).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_append_wakes_the_practices_listeners_and_nothing_else_does() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    for (p, gp, admin) in [
        ("PRC1", "gp_one", "admin_one"),
        ("PRC2", "gp_two", "admin_two"),
    ] {
        su.init(p, &format!("Practice {p}")).await.unwrap();
        su.add_user(p, gp, "gp", PASSWORD).await.unwrap();
        su.add_user(p, admin, "admin", PASSWORD).await.unwrap();
    }
    let listener = login(&cluster, "gp_one").await;
    let wake = listener.listen("PRC1").await.unwrap();
    let mut writer = login(&cluster, "admin_one").await;
    let mut other_practice = login(&cluster, "admin_two").await;
    let quiet = Duration::from_millis(700);

    assert!(!woken(&wake, quiet).await, "nothing happened yet");

    // Another practice's append wakes nobody here.
    other_practice
        .append_events(&[event("desk-9", 1)])
        .await
        .unwrap();
    assert!(!woken(&wake, quiet).await, "woken by another practice");

    // The channel is the practice's secret (schema 10): another practice's login cannot read
    // it, and listening where an ODS code would name it hears nothing.
    let snoop = login(&cluster, "gp_two").await;
    let seen = snoop
        .client()
        .query(
            "SELECT notify_channel FROM handover.practices WHERE practice_id = 'PRC1'",
            &[],
        )
        .await
        .unwrap();
    assert!(seen.is_empty(), "another practice read the channel");
    snoop
        .client()
        .batch_execute("LISTEN handover_prc1")
        .await
        .unwrap();
    let snoop_wake = snoop.listen("PRC2").await.unwrap();

    // An append rolled back wakes nobody (NOTIFY is sent at COMMIT).
    {
        let tx = writer.client_mut().transaction().await.unwrap();
        PracticeDb::append_in_transaction(&tx, &[event("desk-1", 1)])
            .await
            .unwrap();
        tx.rollback().await.unwrap();
    }
    assert!(!woken(&wake, quiet).await, "woken by a rollback");

    // A committed append wakes the listener, promptly.
    let started = std::time::Instant::now();
    writer.append_events(&[event("desk-1", 2)]).await.unwrap();
    assert!(woken(&wake, Duration::from_secs(5)).await, "not woken");
    eprintln!("woken {:?} after the append", started.elapsed());
    assert_eq!(listener.pull(0, 10).await.unwrap().len(), 1);
    assert!(
        !woken(&snoop_wake, quiet).await,
        "another practice's login heard this practice's activity"
    );

    // A notification while nobody waits is kept for the next wait (not lost between rounds).
    writer.append_events(&[event("desk-1", 3)]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        woken(&wake, Duration::from_secs(5)).await,
        "a notification was lost"
    );

    // The server going away wakes the listener too.
    su.client()
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'gp_one'",
        )
        .await
        .unwrap();
    assert!(
        woken(&wake, Duration::from_secs(5)).await,
        "the connection's end did not wake"
    );
    assert!(listener.pull(0, 10).await.is_err());
}
