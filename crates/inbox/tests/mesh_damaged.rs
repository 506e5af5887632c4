//! Messages MESH delivers that cannot be read as they are: a broken gzip stream, a gzip bomb,
//! a message whose chunks add up to more than the bound. Each is kept in quarantine as received
//! (never retried for ever, never lost), acknowledged, and answered (10009 or 20015), against
//! NHS's real mesh-sandbox with NHS's mesh-client as the hospital.

mod support;

use handover_inbox::{MailboxSettings, SyncEngine, MAX_DECODE_ATTEMPTS};
use handover_mesh::testing::{Sandbox, PASSWORD, SHARED_KEY};
use handover_mesh::{AnyMailbox, FaultKind, Mailbox, MeshClient, MeshConfig};
use handover_store::{DbKey, ProblemKind, Store};
use support::*;

fn practice_engine(sb: &Sandbox) -> SyncEngine<AnyMailbox> {
    MailboxSettings::Mesh(Box::new(MeshConfig::new(
        &sb.url, PRACTICE, PASSWORD, SHARED_KEY,
    )))
    .engine()
    .unwrap()
}

fn new_store(dir: &tempfile::TempDir) -> Store {
    Store::open_with_key(&dir.path().join("h.db"), &DbKey::generate()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_gzip_is_retried_a_few_times_then_kept_in_quarantine_as_received() {
    let sb = Sandbox::start();
    // A gzip header followed by garbage: MESH serves it back exactly, declared gzip-encoded.
    let mut broken = vec![0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff];
    broken.extend(b"this is not a deflate stream at all, it is words".iter());
    let dir = tempfile::tempdir().unwrap();
    let mut out = Outgoing::new(broken.clone(), "TOC_FHIR_IP_DISCH");
    out.precompressed = true;
    let good = toc_messages(1, 5, true);
    let sent = hospital_sends(&sb, &[out, good[0].clone()]);

    let mut store = new_store(&dir);
    let engine = practice_engine(&sb);
    for attempt in 1..MAX_DECODE_ATTEMPTS {
        let summary = engine.sync_once(&mut store).await.unwrap();
        assert!(summary.adds_up(), "{summary:?}");
        assert_eq!(
            (summary.retrying, summary.quarantined),
            (1, 0),
            "{summary:?}"
        );
        let problem = summary
            .problems
            .iter()
            .find(|p| p.kind == ProblemKind::Undecodable)
            .unwrap_or_else(|| panic!("{summary:?}"));
        assert!(
            problem
                .message
                .contains(&format!("attempt {attempt} of {MAX_DECODE_ATTEMPTS}")),
            "{problem:?}"
        );
        // Not acknowledged: still waiting in the mailbox for the next try.
        assert_eq!(inbox_of(&sb, PRACTICE), vec![sent[0].clone()]);
        assert_eq!(store.document_counts().unwrap().quarantined, 0);
    }
    let summary = engine.sync_once(&mut store).await.unwrap();
    assert!(summary.adds_up(), "{summary:?}");
    assert_eq!(
        (summary.retrying, summary.quarantined),
        (0, 1),
        "{summary:?}"
    );
    assert!(inbox_of(&sb, PRACTICE).is_empty(), "acknowledged once kept");
    let row = &store.quarantine(10, 0).unwrap()[0];
    assert!(row.reason.contains("10009"), "{}", row.reason);
    assert!(
        row.reason.contains("could not be decompressed"),
        "{}",
        row.reason
    );
    // Kept exactly as it arrived (still gzip-encoded), with the mailbox's headers.
    let raw = store.message_raw(row.message.message_id).unwrap().unwrap();
    assert_eq!(raw, broken);
    assert_eq!(row.message.source_id, sent[0]);
    // The sender is told it was unreadable.
    let received = hospital_receives(&sb);
    let codes: Vec<&str> = received.iter().map(|r| r.code.as_str()).collect();
    assert!(codes.contains(&"10009"), "{codes:?}");
    assert!(codes.contains(&"20013"), "{codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_quarantined_at_once_with_20015() {
    let sb = Sandbox::start();
    // 256 MiB of zeros, about 256 KB on the wire: four times the 64 MiB bound.
    let mut bomb = Outgoing::new(vec![], "TOC_FHIR_IP_DISCH");
    bomb.gzip_bomb_bytes = Some(256 * 1024 * 1024);
    let sent = hospital_sends(&sb, &[bomb]);
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(&dir);
    let summary = practice_engine(&sb).sync_once(&mut store).await.unwrap();
    assert!(summary.adds_up(), "{summary:?}");
    assert_eq!(
        (summary.quarantined, summary.acknowledged),
        (1, 1),
        "{summary:?}"
    );
    assert!(inbox_of(&sb, PRACTICE).is_empty());
    let row = &store.quarantine(10, 0).unwrap()[0];
    assert_eq!(row.message.source_id, sent[0]);
    assert!(row.reason.contains("20015"), "{}", row.reason);
    assert!(
        row.reason.contains("inflates to more than"),
        "{}",
        row.reason
    );
    // What is kept is what arrived: the compressed stream, not 64 MiB of its inflation.
    let raw = store.message_raw(row.message.message_id).unwrap().unwrap();
    assert!(
        raw.starts_with(&[0x1f, 0x8b]) && raw.len() < 2 * 1024 * 1024,
        "{}",
        raw.len()
    );
    let codes: Vec<String> = hospital_receives(&sb).into_iter().map(|r| r.code).collect();
    assert_eq!(codes, ["20015"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_that_add_up_past_the_bound_are_not_downloaded() {
    let sb = Sandbox::start();
    // Bytes that do not compress (MESH may gzip what it serves): 600 KB in three chunks.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let big: Vec<u8> = (0..600_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut chunked = Outgoing::new(big.clone(), "TOC_FHIR_IP_DISCH");
    chunked.chunk_size = Some(200_000);
    let sent = hospital_sends(&sb, &[chunked]);
    // A client bounded at 300 KB: chunk 1 (200 KB) tells it the message is about 600 KB.
    let mut config = MeshConfig::new(&sb.url, PRACTICE, PASSWORD, SHARED_KEY);
    config.max_message_bytes = 300_000;
    let client = MeshClient::new(config).unwrap();
    let msg = client.download(&sent[0]).await.unwrap();
    let fault = msg.fault.expect("too large");
    assert_eq!(fault.kind, FaultKind::TooLarge);
    assert!(fault.truncated);
    assert!(
        fault.reason.contains("only chunk 1 was downloaded"),
        "{}",
        fault.reason
    );
    // Chunk 1 as received (MESH may have gzipped it on the way): the start of the message.
    assert!(msg.body.len() <= 300_000);
    let chunk1 = if fault.content_encoding.as_deref() == Some("gzip") {
        handover_mesh::codec::gunzip_multi(&msg.body).unwrap()
    } else {
        msg.body.clone()
    };
    assert!(chunk1.len() == 200_000 && chunk1[..] == big[..200_000]);
    // With the usual bound it reads in full.
    let client = MeshClient::new(MeshConfig::new(&sb.url, PRACTICE, PASSWORD, SHARED_KEY)).unwrap();
    let msg = client.download(&sent[0]).await.unwrap();
    assert!(msg.fault.is_none());
    assert!(msg.body == big);
    // The sync engine quarantines what the bounded client could not read, as 20015.
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(&dir);
    let mut config = MeshConfig::new(&sb.url, PRACTICE, PASSWORD, SHARED_KEY);
    config.max_message_bytes = 300_000;
    let (_, options) = MailboxSettings::Mesh(Box::new(config.clone()))
        .open()
        .unwrap();
    let engine = SyncEngine::new(MeshClient::new(config).unwrap(), options);
    let summary = engine.sync_once(&mut store).await.unwrap();
    assert_eq!(
        (summary.quarantined, summary.acknowledged),
        (1, 1),
        "{summary:?}"
    );
    assert!(store.quarantine(1, 0).unwrap()[0].reason.contains("20015"));
    assert_eq!(engine.mailbox().mailbox_id(), PRACTICE);
}
