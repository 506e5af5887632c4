//! What desktops pull (schema 3), on a real PostgreSQL 15: documents numbered per practice by
//! `doc_seq`, gapless and in commit order (a second writer waits for the first to end, so a
//! reader paging `doc_seq > cursor` cannot pass a document that commits later), a rolled-back
//! document giving its number back, paging, row-level security, and the server's identity.

use std::time::Duration;

use handover_errors::{Coded, ErrorCode};
use handover_practice::testing::Cluster;
use handover_practice::{
    connect, MessageOutcome, NewPracticeEvent, PracticeDb, PulledDocument, ReceivedDocument,
    ReceivedMessage,
};

const PASSWORD: &str = "correct horse battery";

async fn cluster() -> Cluster {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    for (practice, puller, gp) in [("PRC1", "puller_1", "gp_1"), ("PRC2", "puller_2", "gp_2")] {
        su.init(practice, &format!("Practice {practice}"))
            .await
            .unwrap();
        su.add_user(practice, puller, "puller", PASSWORD)
            .await
            .unwrap();
        su.add_user(practice, gp, "gp", PASSWORD).await.unwrap();
    }
    cluster
}

async fn login(cluster: &Cluster, user: &str) -> PracticeDb {
    connect(&cluster.url(user, PASSWORD)).await.unwrap()
}

fn key(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn message<'a>(source_id: &'a str, key: &'a str) -> ReceivedMessage<'a> {
    ReceivedMessage {
        mailbox: "A12345",
        source_id,
        workflow_id: Some("TOC_FHIR_IP_DISCH"),
        sender_mailbox: Some("RA7OT001"),
        itk_message_id: Some(source_id),
        raw: source_id.as_bytes(),
        mailbox_meta: Some("{}"),
        diagnostics: "[]",
        outcome: MessageOutcome::Stored,
        reason: None,
        document_key: Some(key),
    }
}

fn document(key: &str) -> ReceivedDocument<'_> {
    ReceivedDocument {
        document_key: key,
        kind: "inpatient-discharge",
        itk_message_id: None,
        document_bundle_id: None,
        composition_id: None,
        replaces: None,
        nhs_number: Some("9434765919"),
        patient_name: Some("SMITH, Jane"),
        birth_date: None,
        title: Some("Discharge summary"),
        sender: None,
        sender_org: None,
        care_setting: None,
        document_date: None,
        flags: "{}",
        med_changes: 0,
        practice_actions: 0,
        model: "{}",
        search_text: "",
    }
}

/// Stores one document in its own committed ingest.
async fn store(db: &mut PracticeDb, epoch: i64, source_id: &str, n: u8) {
    let k = key(n);
    let ingest = db.begin_ingest("host-a", epoch).await.unwrap();
    ingest
        .store_message(&message(source_id, &k), Some(&document(&k)), &[])
        .await
        .unwrap();
    ingest.commit().await.unwrap();
}

fn seqs(docs: &[PulledDocument]) -> Vec<i64> {
    docs.iter().map(|d| d.doc_seq).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_numbered_per_practice_and_paged() {
    let cluster = cluster().await;
    let mut puller = login(&cluster, "puller_1").await;
    let epoch = puller
        .acquire_lease("host-a", Duration::from_secs(30))
        .await
        .unwrap();
    store(&mut puller, epoch, "MSG-1", 1).await;
    store(&mut puller, epoch, "MSG-2", 2).await;
    // A document whose transaction rolls back gives its number back.
    {
        let k = key(9);
        let ingest = puller.begin_ingest("host-a", epoch).await.unwrap();
        ingest
            .store_message(&message("MSG-GONE", &k), Some(&document(&k)), &[])
            .await
            .unwrap();
        drop(ingest);
    }
    // A duplicate delivery is a message, not a document: no number.
    {
        let k = key(1);
        let ingest = puller.begin_ingest("host-a", epoch).await.unwrap();
        let mut m = message("MSG-1-AGAIN", &k);
        m.outcome = MessageOutcome::Duplicate;
        ingest.store_message(&m, None, &[]).await.unwrap();
        ingest.commit().await.unwrap();
    }
    store(&mut puller, epoch, "MSG-3", 3).await;

    // A person of the practice pulls them in pages, with the first message's bytes.
    let gp = login(&cluster, "gp_1").await;
    let first = gp.pull_documents(0, 2).await.unwrap();
    assert_eq!(seqs(&first), vec![1, 2]);
    assert_eq!(first[0].document_key, key(1));
    assert_eq!(first[0].raw, b"MSG-1");
    assert_eq!(first[0].source_id, "MSG-1");
    assert_eq!(first[0].nhs_number.as_deref(), Some("9434765919"));
    assert!(
        first[0].received_at.ends_with('Z'),
        "{}",
        first[0].received_at
    );
    let rest = gp.pull_documents(2, 2).await.unwrap();
    assert_eq!(seqs(&rest), vec![3]);
    assert_eq!(rest[0].document_key, key(3));
    assert!(gp.pull_documents(3, 2).await.unwrap().is_empty());

    // A client cannot choose the number: the trigger gives the next one whatever is sent
    // (and a person cannot insert at all).
    let refused = gp
        .client()
        .execute("UPDATE handover.document_heads SET doc_seq = 0", &[])
        .await;
    assert!(refused.is_err(), "a member cannot move the head");

    // Another practice numbers its own documents from 1 and sees none of these.
    let mut other = login(&cluster, "puller_2").await;
    let other_epoch = other
        .acquire_lease("host-c", Duration::from_secs(30))
        .await
        .unwrap();
    let k = key(4);
    let ingest = other.begin_ingest("host-c", other_epoch).await.unwrap();
    ingest
        .store_message(&message("MSG-1", &k), Some(&document(&k)), &[])
        .await
        .unwrap();
    ingest.commit().await.unwrap();
    let gp2 = login(&cluster, "gp_2").await;
    let theirs = gp2.pull_documents(0, 100).await.unwrap();
    assert_eq!(seqs(&theirs), vec![1]);
    assert_eq!(theirs[0].document_key, key(4));

    // One server, two practices: the same server id, each login its own practice.
    let a = gp.server_identity().await.unwrap();
    let b = gp2.server_identity().await.unwrap();
    assert_eq!(a.server_id, b.server_id);
    assert_eq!(a.server_id.len(), 36);
    assert_eq!(
        (a.practice_id.as_str(), b.practice_id.as_str()),
        ("PRC1", "PRC2")
    );
    assert_eq!(a.practice_name, "Practice PRC1");
    assert_eq!(
        a.schema_version,
        handover_practice::schema::latest_version()
    );
}

/// Two transactions store documents at once (two connections under the same lease): the
/// second waits on the head row until the first ends, so numbers are handed out in commit
/// order and a reader never sees 2 while 1 may still commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_number_never_commits_before_an_earlier_one() {
    let cluster = cluster().await;
    let mut a = login(&cluster, "puller_1").await;
    let epoch = a
        .acquire_lease("host-a", Duration::from_secs(60))
        .await
        .unwrap();
    let mut b = login(&cluster, "puller_1").await;
    let gp = login(&cluster, "gp_1").await;

    let ka = key(1);
    let ingest_a = a.begin_ingest("host-a", epoch).await.unwrap();
    ingest_a
        .store_message(&message("MSG-A", &ka), Some(&document(&ka)), &[])
        .await
        .unwrap();

    // B stores its document meanwhile: it must wait for A.
    let (tx, mut started) = tokio::sync::oneshot::channel::<()>();
    let writer_b = tokio::spawn(async move {
        let kb = key(2);
        let ingest_b = b.begin_ingest("host-a", epoch).await.unwrap();
        let _ = tx.send(());
        ingest_b
            .store_message(&message("MSG-B", &kb), Some(&document(&kb)), &[])
            .await
            .unwrap();
        ingest_b.commit().await.unwrap();
    });
    (&mut started).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!writer_b.is_finished(), "B waits for A's head row lock");
    assert!(gp.pull_documents(0, 100).await.unwrap().is_empty());

    ingest_a.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), writer_b)
        .await
        .expect("B finishes once A has committed")
        .unwrap();
    let pulled = gp.pull_documents(0, 100).await.unwrap();
    assert_eq!(seqs(&pulled), vec![1, 2]);
    assert_eq!(
        pulled
            .iter()
            .map(|d| d.source_id.as_str())
            .collect::<Vec<_>>(),
        vec!["MSG-A", "MSG-B"]
    );
}

/// Schema 3 over a server that stored documents under schema 2: the documents already there
/// are numbered per practice in the order they were stored, and new ones carry on from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_3_numbers_the_documents_already_stored() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    for (practice, puller, gp) in [("PRC1", "puller_1", "gp_1"), ("PRC2", "puller_2", "gp_2")] {
        let report = su.init_at_version(practice, "Practice", 2).await.unwrap();
        assert_eq!(report.schema_version, 2);
        su.add_user(practice, puller, "puller", PASSWORD)
            .await
            .unwrap();
        su.add_user(practice, gp, "gp", PASSWORD).await.unwrap();
    }
    assert_eq!(su.schema_version().await.unwrap(), 2);
    // A desktop cannot pull from it yet, and says why.
    let early = login(&cluster, "gp_1").await.server_identity().await;
    let early = early.unwrap_err();
    assert_eq!(early.code(), ErrorCode::DatabaseError);
    assert!(early.to_string().contains("practice init"), "{early}");
    let mut one = login(&cluster, "puller_1").await;
    let epoch = one
        .acquire_lease("host-a", Duration::from_secs(30))
        .await
        .unwrap();
    // Two in one ingest, then one more; and one in the other practice between them.
    {
        let (k1, k2) = (key(1), key(2));
        let ingest = one.begin_ingest("host-a", epoch).await.unwrap();
        ingest
            .store_message(&message("MSG-1", &k1), Some(&document(&k1)), &[])
            .await
            .unwrap();
        ingest
            .store_message(&message("MSG-2", &k2), Some(&document(&k2)), &[])
            .await
            .unwrap();
        ingest.commit().await.unwrap();
    }
    let mut two = login(&cluster, "puller_2").await;
    let epoch_two = two
        .acquire_lease("host-b", Duration::from_secs(30))
        .await
        .unwrap();
    {
        let k = key(7);
        let ingest = two.begin_ingest("host-b", epoch_two).await.unwrap();
        ingest
            .store_message(&message("MSG-X", &k), Some(&document(&k)), &[])
            .await
            .unwrap();
        ingest.commit().await.unwrap();
    }
    store(&mut one, epoch, "MSG-3", 3).await;

    let report = su.init("PRC1", "Practice").await.unwrap();
    assert_eq!(
        report.migrations_applied,
        (3..=handover_practice::schema::latest_version()).collect::<Vec<_>>()
    );

    store(&mut one, epoch, "MSG-4", 4).await;
    let gp = login(&cluster, "gp_1").await;
    let pulled = gp.pull_documents(0, 100).await.unwrap();
    assert_eq!(seqs(&pulled), vec![1, 2, 3, 4]);
    assert_eq!(
        pulled
            .iter()
            .map(|d| d.source_id.as_str())
            .collect::<Vec<_>>(),
        vec!["MSG-1", "MSG-2", "MSG-3", "MSG-4"]
    );
    {
        let k = key(8);
        let ingest = two.begin_ingest("host-b", epoch_two).await.unwrap();
        ingest
            .store_message(&message("MSG-Y", &k), Some(&document(&k)), &[])
            .await
            .unwrap();
        ingest.commit().await.unwrap();
    }
    let gp2 = login(&cluster, "gp_2").await;
    assert_eq!(seqs(&gp2.pull_documents(0, 100).await.unwrap()), vec![1, 2]);
}

/// The first filing wins (schema 4): a second `filed` for a document filed and not unfiled
/// since is refused with who filed it and when; after an unfiling it may be filed again; the
/// first filing sent again is still only found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_filing_wins() {
    let cluster = cluster().await;
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    su.add_user("PRC1", "gp_1b", "gp", PASSWORD).await.unwrap();
    let mut first = login(&cluster, "gp_1").await;
    let mut second = login(&cluster, "gp_1b").await;
    let k = key(5);
    let event = |device: &str, n: u32, kind: &str| NewPracticeEvent {
        event_id: format!("{device}:{n}"),
        at: format!("2026-07-01T10:00:0{n}.000Z"),
        os_user: "someone".into(),
        device: device.into(),
        document_key: Some(k.clone()),
        kind: kind.into(),
        details: "{}".into(),
    };
    let filed = event("desk-a", 1, "filed");
    let seq = first
        .append_events(std::slice::from_ref(&filed))
        .await
        .unwrap();
    let refused = second
        .append_events(&[event("desk-b", 2, "filed")])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::AlreadyFiled);
    assert_eq!(
        refused.to_string(),
        "already filed by gp_1 at 2026-07-01T10:00:01.000Z"
    );
    // Sent again after a lost reply: found, not refused.
    assert_eq!(first.append_events(&[filed]).await.unwrap(), seq);
    // A note is no filing; unfiled, it may be filed again.
    second
        .append_events(&[
            event("desk-b", 3, "note_added"),
            event("desk-b", 4, "returned_to_new"),
        ])
        .await
        .unwrap();
    second
        .append_events(&[event("desk-b", 5, "filed")])
        .await
        .unwrap();
    // Another document is not affected.
    let mut other = event("desk-a", 6, "filed");
    other.document_key = Some(key(6));
    first.append_events(&[other]).await.unwrap();
    assert!(first.verify_chain().await.unwrap().ok);
}
