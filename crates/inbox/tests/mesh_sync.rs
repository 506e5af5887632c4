//! The sync engine against NHS's real `mesh-sandbox` (started per test on a free loopback port,
//! `STORE_MODE=memory`, explicit `SHARED_KEY`), with NHS's Python `mesh-client` sending real
//! generated Transfer of Care messages as the hospital (X26ABC2) to the practice (X26ABC1).

#[path = "support/proxy.rs"]
mod proxy;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use handover_inbox::{MailboxSettings, SyncEngine};
use handover_mesh::testing::{Sandbox, PASSWORD, SHARED_KEY};
use handover_mesh::{
    AnyMailbox, InboxListing, Mailbox, MeshConfig, MeshError, Message, OutboundMessage,
};
use handover_store::{DbKey, MailboxHealth, Store};
use support::*;

fn config(sb: &Sandbox, mailbox: &str, password: &str, key: &str) -> MeshConfig {
    MeshConfig::new(&sb.url, mailbox, password, key)
}

fn practice_engine(sb: &Sandbox) -> SyncEngine<AnyMailbox> {
    MailboxSettings::Mesh(Box::new(config(sb, PRACTICE, PASSWORD, SHARED_KEY)))
        .engine()
        .unwrap()
}

fn new_store(dir: &tempfile::TempDir) -> Store {
    Store::open_with_key(&dir.path().join("h.db"), &DbKey::generate()).unwrap()
}

/// (MESH id, count) of every stored message.
fn stored_mesh_ids(store: &Store) -> BTreeMap<String, i64> {
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT source_id, count(*) FROM messages WHERE source = 'mesh' GROUP BY source_id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn unacknowledged(store: &Store) -> i64 {
    store
        .connection()
        .query_row(
            "SELECT count(*) FROM messages WHERE acknowledged_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toc_messages_are_stored_once_acknowledged_and_answered() {
    let sb = Sandbox::start();
    let mut messages = toc_messages(12, 7, true);
    let originals = messages.clone();
    // Multi-megabyte, chunked (1 MiB chunks) and gzipped by mesh-client.
    let big = with_source_endpoint(&handover_fixtures::sized(11, 3 * 1024 * 1024), HOSPITAL);
    let mut chunked_gz = Outgoing::new(big, "TOC_FHIR_IP_DISCH");
    chunked_gz.chunk_size = Some(1024 * 1024);
    chunked_gz.compress = true;
    messages.push(chunked_gz);
    // Chunked, not compressed.
    let big2 = with_source_endpoint(&handover_fixtures::sized(12, 2_500_000), HOSPITAL);
    let mut chunked = Outgoing::new(big2, "TOC_FHIR_OP_ATTEN");
    chunked.chunk_size = Some(1024 * 1024);
    messages.push(chunked);
    // A small gzipped one.
    let mut gz = Outgoing::new(
        with_source_endpoint(&handover_fixtures::sized(13, 20_000), HOSPITAL),
        "TOC_FHIR_EC_DISCH",
    );
    gz.compress = true;
    messages.push(gz);
    // Malformed: too broken to read any flag.
    messages.push(Outgoing::new(
        b"<Bundle xmlns=\"http://hl7.org/fhir\"><oops".to_vec(),
        "TOC_FHIR_IP_DISCH",
    ));
    // The same document again, as a new MESH message.
    messages.push(originals[1].clone());
    let sent = hospital_sends(&sb, &messages);
    assert_eq!(sent.len(), messages.len());
    // And a MESH non-delivery report (REPORT message, no body) in the practice's inbox.
    let ndr = serde_json::json!({
        "mailbox_id": PRACTICE,
        "code": "14",
        "description": "Message not collected by recipient after 5 days",
        "workflow_id": "TOC_FHIR_IP_DISCH_ACK",
        "subject": "NDR: response",
        "status": "undeliverable",
    })
    .to_string();
    let resp = handover_mesh::testing::raw_http(
        sb.port,
        "POST",
        "/messageexchange/admin/report",
        Some(&ndr),
    )
    .unwrap();
    assert!(resp.contains(" 200 "), "{resp}");

    let tmp = tempfile::tempdir().unwrap();
    let mut store = new_store(&tmp);
    let engine = practice_engine(&sb);
    let summary = engine.sync_once(&mut store).await.unwrap();
    let n = messages.len() as u64;
    assert_eq!(summary.downloaded, n + 1, "{summary:?}");
    assert_eq!(summary.stored, n - 2, "{summary:?}");
    assert_eq!(summary.duplicates, 1, "{summary:?}");
    assert_eq!(summary.quarantined, 1, "{summary:?}");
    assert_eq!(summary.reports, 1, "{summary:?}");
    assert_eq!(summary.acknowledged, n + 1, "{summary:?}");
    assert_eq!(
        summary.responses_sent, n,
        "no response to a report: {summary:?}"
    );
    assert!(summary.problems.is_empty(), "{summary:?}");

    // Exactly once, byte for byte, and all acknowledged.
    let ids = stored_mesh_ids(&store);
    assert_eq!(ids.len(), sent.len() + 1);
    for id in &sent {
        assert_eq!(ids.get(id), Some(&1), "message {id}");
    }
    assert_eq!(unacknowledged(&store), 0);
    for (id, m) in sent.iter().zip(&messages) {
        let message_id: i64 = store
            .connection()
            .query_row("SELECT id FROM messages WHERE source_id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        let raw = store.message_raw(message_id).unwrap().unwrap();
        assert!(raw == m.bytes, "message {id} stored with different bytes");
    }
    assert!(
        inbox_of(&sb, PRACTICE).is_empty(),
        "the practice inbox is empty"
    );

    // Replacements supersede what they replace (fixtures 5 and 12 replace 1 and 8).
    let docs = store.list_documents(100, 0).unwrap();
    assert_eq!(docs.len() as u64, n - 2);
    let superseded = docs.iter().filter(|d| d.superseded_by.is_some()).count();
    assert_eq!(superseded, 2, "{docs:#?}");
    let listed_ids: BTreeSet<_> = docs
        .iter()
        .filter_map(|d| d.mesh_message_id.clone())
        .collect();
    assert_eq!(listed_ids.len(), docs.len());

    // The hospital holds one response per message, on the matching _ACK workflow.
    let responses = hospital_receives(&sb);
    assert_eq!(responses.len(), messages.len(), "{responses:#?}");
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    for r in &responses {
        *by_code.entry(r.code.clone()).or_default() += 1;
    }
    assert_eq!(
        by_code.get("20013"),
        Some(&(messages.len() - 2)),
        "{by_code:?}"
    );
    assert_eq!(by_code.get("10009"), Some(&1), "{by_code:?}");
    let dup_codes =
        by_code.get("20007").copied().unwrap_or(0) + by_code.get("20008").copied().unwrap_or(0);
    assert_eq!(dup_codes, 1, "{by_code:?}");
    let unreadable: Vec<_> = responses.iter().filter(|r| r.code == "10009").collect();
    assert_eq!(
        unreadable[0].original_message_id,
        "UNREADABLE-IN-ORIGINAL-MESSAGE"
    );
    assert_eq!(unreadable[0].workflow_id, "TOC_FHIR_IP_DISCH_ACK");
    for (m, expected) in messages.iter().zip(0..12) {
        let itk = itk_message_id(&m.bytes);
        let r: Vec<_> = responses
            .iter()
            .filter(|r| r.original_message_id == itk && r.code == "20013")
            .collect();
        assert_eq!(r.len(), 1, "fixture {expected}: one 20013 for {itk}");
        assert_eq!(r[0].workflow_id, format!("{}_ACK", m.workflow));
    }
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), messages.len());
    assert!(outbox
        .iter()
        .all(|o| o.sent_at.is_some() && o.attempts == 1));

    // A second sync finds nothing and sends nothing.
    let again = engine.sync_once(&mut store).await.unwrap();
    assert_eq!(
        (again.downloaded, again.responses_sent),
        (0, 0),
        "{again:?}"
    );
    assert!(hospital_receives(&sb).is_empty());
    let state = store.sync_state(PRACTICE).unwrap();
    assert_eq!(state.health, MailboxHealth::Online);
    assert!(state.last_success_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_a_page_of_messages_and_no_response_when_none_was_asked_for() {
    let sb = Sandbox::start();
    // The sandbox lists 500 ids a page.
    let messages = toc_messages(505, 3, false);
    let sent = hospital_sends(&sb, &messages);
    let tmp = tempfile::tempdir().unwrap();
    let mut store = new_store(&tmp);
    let summary = practice_engine(&sb).sync_once(&mut store).await.unwrap();
    assert_eq!(summary.downloaded, 505, "{summary:?}");
    assert_eq!(summary.acknowledged, 505);
    assert_eq!(summary.responses_sent, 0);
    assert!(summary.problems.is_empty(), "{:?}", summary.problems);
    let ids = stored_mesh_ids(&store);
    assert_eq!(ids.len(), 505);
    assert!(sent.iter().all(|id| ids.get(id) == Some(&1)));
    assert!(inbox_of(&sb, PRACTICE).is_empty());
    assert!(store.outbox().unwrap().is_empty());
    assert!(
        hospital_receives(&sb).is_empty(),
        "nobody asked for a response"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_or_mailbox_fail_clearly_and_acknowledge_nothing() {
    let sb = Sandbox::start();
    let sent = hospital_sends(&sb, &toc_messages(2, 5, true));
    let tmp = tempfile::tempdir().unwrap();
    let mut store = new_store(&tmp);
    let cases = [
        (
            PRACTICE,
            "not-the-password",
            SHARED_KEY,
            "mesh_authentication",
            "Invalid Authentication Token",
        ),
        (
            PRACTICE,
            PASSWORD,
            "NotTheKey",
            "mesh_authentication",
            "Invalid Authentication Token",
        ),
        (
            "X26ZZZ9",
            PASSWORD,
            SHARED_KEY,
            "mesh_unknown_mailbox",
            "X26ZZZ9",
        ),
    ];
    for (mailbox, password, key, code, text) in cases {
        let engine = MailboxSettings::Mesh(Box::new(config(&sb, mailbox, password, key)))
            .engine()
            .unwrap();
        let err = engine.sync_once(&mut store).await.unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert!(err.to_string().contains(text), "{err}");
        let state = store.sync_state(mailbox).unwrap();
        assert_eq!(state.health, MailboxHealth::Offline);
        assert_eq!(state.last_error_code.map(|c| c.as_str()), Some(code));
        assert!(state.last_success_at.is_none());
    }
    assert!(stored_mesh_ids(&store).is_empty());
    let mut waiting = inbox_of(&sb, PRACTICE);
    waiting.sort();
    let mut sent = sent;
    sent.sort();
    assert_eq!(waiting, sent, "nothing was acknowledged");
}

/// The MESH mailbox with its lookup of sent messages switched off (when `lookup` is false): the
/// contrast that shows what the lookup prevents.
struct WithoutLookup {
    inner: AnyMailbox,
    lookup: bool,
}

impl Mailbox for WithoutLookup {
    fn mailbox_id(&self) -> &str {
        self.inner.mailbox_id()
    }
    async fn handshake(&self) -> Result<(), MeshError> {
        self.inner.handshake().await
    }
    async fn list_inbox(&self, f: Option<&str>) -> Result<InboxListing, MeshError> {
        self.inner.list_inbox(f).await
    }
    async fn download(&self, id: &str) -> Result<Message, MeshError> {
        self.inner.download(id).await
    }
    async fn acknowledge(&self, id: &str) -> Result<(), MeshError> {
        self.inner.acknowledge(id).await
    }
    async fn send(&self, m: &OutboundMessage) -> Result<String, MeshError> {
        self.inner.send(m).await
    }
    fn can_find_sent(&self) -> bool {
        self.lookup && self.inner.can_find_sent()
    }
    async fn find_sent(&self, local_id: &str) -> Result<Option<String>, MeshError> {
        self.inner.find_sent(local_id).await
    }
}

/// The policy of `sync`'s module docs: a response whose send may have reached MESH is looked up
/// by its local id before being sent again. The send's reply is lost by dropping the connection
/// after the sandbox has accepted the message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_whose_send_outcome_is_unknown_is_not_sent_twice() {
    use proxy::{Fault, FaultProxy};
    let sb = Sandbox::start();
    for with_lookup in [true, false] {
        hospital_sends(&sb, &toc_messages(1, 21, true));
        // Lose the reply to the first POST to the outbox.
        let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let lost2 = lost.clone();
        let proxy = FaultProxy::start(
            sb.port,
            Arc::new(move |_, line: &str| {
                if line.starts_with("POST")
                    && line.contains("/outbox ")
                    && !lost2.swap(true, std::sync::atomic::Ordering::SeqCst)
                {
                    Fault::DropAfter
                } else {
                    Fault::Pass
                }
            }),
        )
        .await;
        let mut cfg = MeshConfig::new(&proxy.url, PRACTICE, PASSWORD, SHARED_KEY);
        cfg.retry = handover_mesh::RetryPolicy::none();
        let (mailbox, options) = MailboxSettings::Mesh(Box::new(cfg.clone())).open().unwrap();
        let engine = SyncEngine::new(
            WithoutLookup {
                inner: mailbox,
                lookup: with_lookup,
            },
            options,
        );
        let tmp = tempfile::tempdir().unwrap();
        let mut store = new_store(&tmp);
        let first = engine.sync_once(&mut store).await.unwrap();
        assert_eq!(first.responses_sent, 0, "{first:?}");
        assert!(
            first
                .problems
                .iter()
                .any(|p| p.code == "mesh_send_outcome_unknown"),
            "{first:?}"
        );
        assert_eq!(
            store.sync_state(PRACTICE).unwrap().health,
            MailboxHealth::Degraded
        );
        let second = engine.sync_once(&mut store).await.unwrap();
        assert!(second.problems.is_empty(), "{second:?}");
        let outbox = store.outbox().unwrap();
        assert_eq!(outbox.len(), 1);
        assert!(outbox[0].sent_at.is_some());
        let responses = hospital_receives(&sb);
        if with_lookup {
            assert_eq!(second.responses_sent, 0, "found sent, not sent again");
            assert_eq!(responses.len(), 1, "{responses:?}");
            assert_eq!(outbox[0].attempts, 1);
        } else {
            // Without the lookup the response goes twice: what the lookup prevents.
            assert_eq!(second.responses_sent, 1);
            assert_eq!(responses.len(), 2, "{responses:?}");
        }
    }
}

/// An acknowledgement that reached MESH but whose reply was lost: the message is stored, MESH
/// no longer lists it, and the next sync acknowledges it again (idempotent) and records it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_whose_reply_was_lost_is_completed_on_the_next_sync() {
    use proxy::{Fault, FaultProxy};
    let sb = Sandbox::start();
    let sent = hospital_sends(&sb, &toc_messages(2, 31, false));
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let dropped2 = dropped.clone();
    let proxy = FaultProxy::start(
        sb.port,
        Arc::new(move |_, line: &str| {
            if line.starts_with("PUT")
                && line.contains("/status/acknowledged")
                && !dropped2.swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                Fault::DropAfter
            } else {
                Fault::Pass
            }
        }),
    )
    .await;
    let mut cfg = MeshConfig::new(&proxy.url, PRACTICE, PASSWORD, SHARED_KEY);
    cfg.retry = handover_mesh::RetryPolicy::none();
    let engine = MailboxSettings::Mesh(Box::new(cfg)).engine().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut store = new_store(&tmp);
    let first = engine.sync_once(&mut store).await.unwrap();
    assert_eq!((first.stored, first.acknowledged), (2, 1), "{first:?}");
    assert_eq!(first.problems.len(), 1, "{first:?}");
    assert_eq!(unacknowledged(&store), 1);
    // MESH did acknowledge it: nothing is listed any more.
    assert!(inbox_of(&sb, PRACTICE).is_empty());
    let second = engine.sync_once(&mut store).await.unwrap();
    assert!(second.problems.is_empty(), "{second:?}");
    assert_eq!(second.downloaded, 0);
    assert_eq!(unacknowledged(&store), 0);
    let ids = stored_mesh_ids(&store);
    assert!(sent.iter().all(|id| ids.get(id) == Some(&1)));
}
