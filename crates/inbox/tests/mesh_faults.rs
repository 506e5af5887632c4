//! The sync engine through a fault-injecting proxy in front of NHS's `mesh-sandbox`: 500s,
//! responses held past the client timeout, dropped connections (before and after the server
//! acted) and truncated bodies (including chunks of a multi-megabyte message). The engine
//! retries, reports degraded health, and still ends with every message stored exactly once,
//! nothing left in the inbox, and exactly one ITK3 response per message at the hospital.

#[path = "support/proxy.rs"]
mod proxy;
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use handover_inbox::MailboxSettings;
use handover_mesh::testing::{Sandbox, PASSWORD, SHARED_KEY};
use handover_mesh::{MeshConfig, RetryPolicy};
use handover_store::{DbKey, Store};
use proxy::{Fault, FaultProxy};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_between_client_and_mesh_never_lose_or_repeat_a_message() {
    let sb = Sandbox::start();
    let mut messages = toc_messages(24, 99, true);
    let big = with_source_endpoint(&handover_fixtures::sized(5, 2_500_000), HOSPITAL);
    let mut chunked = Outgoing::new(big, "TOC_FHIR_MH_DISCH");
    chunked.chunk_size = Some(1024 * 1024);
    messages.push(chunked);
    let sent = hospital_sends(&sb, &messages);

    let client_timeout = Duration::from_millis(1500);
    // A fixed schedule over request numbers: every kind of fault, many times.
    let schedule: proxy::Schedule = Arc::new(move |n, _line: &str| match n % 23 {
        3 | 14 => Fault::Error500,
        5 => Fault::Truncate,
        8 => Fault::DropAfter,
        11 => Fault::DropBefore,
        19 if n % 46 == 19 => Fault::SlowResponse(client_timeout + Duration::from_millis(700)),
        _ => Fault::Pass,
    });
    let proxy = FaultProxy::start(sb.port, schedule).await;

    let mut cfg = MeshConfig::new(&proxy.url, PRACTICE, PASSWORD, SHARED_KEY);
    cfg.request_timeout = client_timeout;
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.retry = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
    };
    let engine = MailboxSettings::Mesh(Box::new(cfg)).engine().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open_with_key(&tmp.path().join("h.db"), &DbKey::generate()).unwrap();

    let mut health_seen = BTreeMap::<&str, usize>::new();
    let mut failed_syncs = 0;
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds <= 40, "the engine did not converge: {health_seen:?}");
        match engine.sync_once(&mut store).await {
            Ok(_) => {}
            Err(e) => {
                // Listing itself failed after its retries: offline this time, retried next.
                assert!(e.code().as_str().starts_with("mesh_"), "{e}");
                failed_syncs += 1;
            }
        }
        *health_seen
            .entry(store.sync_state(PRACTICE).unwrap().health.as_str())
            .or_default() += 1;
        let pending = store.pending_outbox().unwrap().len();
        let unacked: i64 = store
            .connection()
            .query_row(
                "SELECT count(*) FROM messages WHERE acknowledged_at IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let stored: i64 = store
            .connection()
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap();
        if pending == 0 && unacked == 0 && stored as usize == sent.len() {
            break;
        }
    }
    eprintln!(
        "converged after {rounds} syncs ({failed_syncs} failed); health seen {health_seen:?}; faults {:?}",
        proxy.injected()
    );

    // Every fault kind was injected, including truncated downloads.
    let injected = proxy.injected();
    for kind in ["500", "truncate", "drop-before", "drop-after", "timeout"] {
        assert!(
            injected.get(kind).copied().unwrap_or(0) > 0,
            "{kind}: {injected:?}"
        );
    }
    assert!(
        proxy
            .requests()
            .iter()
            .any(|(line, f)| *f == Fault::Truncate
                && line.starts_with("GET")
                && line.contains("/inbox/")),
        "a download was truncated"
    );
    assert!(
        proxy.requests().iter().any(|(line, f)| {
            matches!(
                f,
                Fault::DropAfter | Fault::SlowResponse(_) | Fault::Truncate
            ) && line.starts_with("POST")
                && line.contains("/outbox ")
        }),
        "a response was accepted by MESH but its reply lost: {:#?}",
        proxy.requests()
    );
    assert!(health_seen.contains_key("degraded"), "{health_seen:?}");

    // Exactly once.
    let mut stmt = store
        .connection()
        .prepare("SELECT source_id, count(*) FROM messages GROUP BY source_id")
        .unwrap();
    let counts: BTreeMap<String, i64> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(counts.len(), sent.len());
    for id in &sent {
        assert_eq!(counts.get(id), Some(&1), "{id}");
    }
    for (id, m) in sent.iter().zip(&messages) {
        let message_id: i64 = store
            .connection()
            .query_row("SELECT id FROM messages WHERE source_id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        let raw = store.message_raw(message_id).unwrap().unwrap();
        assert!(raw == m.bytes, "{id} stored intact");
    }
    assert!(inbox_of(&sb, PRACTICE).is_empty());

    // One response per message: none lost, none repeated (lost replies to sends were looked
    // up by local id rather than sent again).
    let responses = hospital_receives(&sb);
    let mut per_original = BTreeMap::<String, usize>::new();
    for r in &responses {
        assert_eq!(r.code, "20013");
        *per_original
            .entry(r.original_message_id.clone())
            .or_default() += 1;
    }
    assert_eq!(responses.len(), messages.len(), "{per_original:?}");
    assert!(per_original.values().all(|&c| c == 1), "{per_original:?}");
    let outbox = store.outbox().unwrap();
    assert!(outbox.iter().all(|o| o.sent_at.is_some()));
}
