//! What the MESH puller receives (schema 2), on a real PostgreSQL 15: the database itself
//! fences every message by the lease's epoch at COMMIT, keeps each message and each document
//! once, lets only the puller write, and keeps each practice to its own rows.

use std::time::Duration;

use handover_errors::{Coded, ErrorCode};
use handover_practice::testing::Cluster;
use handover_practice::{
    connect, MessageOutcome, PracticeDb, QueuedResponse, ReceivedDocument, ReceivedMessage,
};

const PASSWORD: &str = "correct horse battery";
const KEY: &str = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";

async fn cluster() -> Cluster {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    for (practice, puller, gp) in [("PRC1", "puller_1", "gp_1"), ("PRC2", "puller_2", "gp_2")] {
        su.init(practice, "Practice").await.unwrap();
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

fn message<'a>(source_id: &'a str, outcome: MessageOutcome) -> ReceivedMessage<'a> {
    ReceivedMessage {
        mailbox: "A12345",
        source_id,
        workflow_id: Some("TOC_FHIR_IP_DISCH"),
        sender_mailbox: Some("RA7OT001"),
        itk_message_id: Some("itk-1"),
        raw: b"<Bundle/>",
        mailbox_meta: Some("{}"),
        diagnostics: "[]",
        outcome,
        reason: None,
        document_key: Some(KEY),
    }
}

fn document() -> ReceivedDocument<'static> {
    ReceivedDocument {
        document_key: KEY,
        kind: "inpatient-discharge",
        itk_message_id: Some("itk-1"),
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

fn code<T>(r: Result<T, impl Coded>) -> ErrorCode {
    match r {
        Ok(_) => panic!("should be refused"),
        Err(e) => e.code(),
    }
}

/// A message, its document and its response commit under the current epoch; the same MESH
/// message or the same content cannot be stored twice; a puller whose lease moved on cannot
/// commit even by plain SQL that skips `check_epoch` (the deferred fence trigger refuses it at
/// COMMIT); a person cannot write; each practice sees only its own rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_fences_and_scopes_what_the_puller_stores() {
    let cluster = cluster().await;
    let mut puller = login(&cluster, "puller_1").await;
    let epoch = puller
        .acquire_lease("host-a", Duration::from_secs(30))
        .await
        .unwrap();
    let ingest = puller.begin_ingest("host-a", epoch).await.unwrap();
    let id = ingest
        .store_message(
            &message("MSG-1", MessageOutcome::Stored),
            Some(&document()),
            &[QueuedResponse {
                kind: "infrastructure",
                response_code: "20013",
                to_mailbox: "RA7OT001",
                workflow_id: "TOC_FHIR_IP_DISCH_ACK",
                local_id: "HANDOVER-MSG-1-INFRASTRUCTURE",
                body: b"<ack/>",
            }],
        )
        .await
        .unwrap();
    assert_eq!(
        ingest.find_document(KEY).await.unwrap(),
        Some(Some("itk-1".to_string())),
        "seen inside the transaction"
    );
    ingest.commit().await.unwrap();
    let found = puller
        .find_message("A12345", "MSG-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.message_id, id);
    assert_eq!(found.outcome, MessageOutcome::Stored);
    assert!(!found.acknowledged);
    assert_eq!(puller.pending_outbox(10).await.unwrap().len(), 1);
    assert_eq!(puller.mark_acknowledged(&[id]).await.unwrap(), 1);

    // The same MESH message again, or the same content as a second document: refused.
    let ingest = puller.begin_ingest("host-a", epoch).await.unwrap();
    assert_eq!(
        code(
            ingest
                .store_message(&message("MSG-1", MessageOutcome::Duplicate), None, &[])
                .await
        ),
        ErrorCode::DatabaseError
    );
    drop(ingest);
    let ingest = puller.begin_ingest("host-a", epoch).await.unwrap();
    assert_eq!(
        code(
            ingest
                .store_message(
                    &message("MSG-2", MessageOutcome::Stored),
                    Some(&document()),
                    &[]
                )
                .await
        ),
        ErrorCode::DatabaseError
    );
    drop(ingest);

    // The lease moves on (released, taken again: a new epoch). A write under the old epoch
    // that never calls check_epoch is still refused, at COMMIT, by the database.
    puller.release_lease("host-a", epoch).await.unwrap();
    let newer = puller
        .acquire_lease("host-b", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(newer, epoch + 1);
    let tx = puller.client_mut().transaction().await.unwrap();
    tx.execute(
        "INSERT INTO handover.messages (mailbox, source_id, raw, sha256, diagnostics, outcome,
             reason, holder, epoch)
         VALUES ('A12345', 'MSG-STALE', '\\x00', repeat('0', 64), '[]', 'quarantined', 'x',
             'host-a', $1)",
        &[&epoch],
    )
    .await
    .unwrap();
    let refused = tx
        .commit()
        .await
        .map_err(handover_practice::PracticeError::from);
    assert_eq!(code(refused), ErrorCode::LeaseLost);
    assert!(puller
        .find_message("A12345", "MSG-STALE")
        .await
        .unwrap()
        .is_none());

    // A person reads but cannot write; stored_by is the session, whatever is sent.
    let gp = login(&cluster, "gp_1").await;
    let seen: i64 = gp
        .client()
        .query_one("SELECT count(*) FROM handover.documents", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 1);
    let denied = gp
        .client()
        .execute(
            "INSERT INTO handover.messages (mailbox, source_id, raw, sha256, diagnostics,
                 outcome, reason, holder, epoch)
             VALUES ('A12345', 'MSG-GP', '\\x00', repeat('0', 64), '[]', 'quarantined', 'x',
                 'host-b', $1)",
            &[&newer],
        )
        .await
        .map_err(handover_practice::PracticeError::from);
    assert_eq!(code(denied), ErrorCode::PermissionDenied);
    let stored_by: String = gp
        .client()
        .query_one("SELECT stored_by FROM handover.messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored_by, "puller_1");

    // Another practice sees none of it, and its puller cannot write into PRC1.
    let other = login(&cluster, "puller_2").await;
    let seen: i64 = other
        .client()
        .query_one(
            "SELECT (SELECT count(*) FROM handover.messages) + \
                    (SELECT count(*) FROM handover.documents) + \
                    (SELECT count(*) FROM handover.outbox)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 0);
    let other_epoch = other
        .acquire_lease("host-c", Duration::from_secs(30))
        .await
        .unwrap();
    let crossed = other
        .client()
        .execute(
            "INSERT INTO handover.messages (practice_id, mailbox, source_id, raw, sha256,
                 diagnostics, outcome, reason, holder, epoch)
             VALUES ('PRC1', 'A12345', 'MSG-X', '\\x00', repeat('0', 64), '[]', 'quarantined',
                 'x', 'host-c', $1)",
            &[&other_epoch],
        )
        .await
        .map_err(handover_practice::PracticeError::from);
    assert_eq!(code(crossed), ErrorCode::PermissionDenied);
}
