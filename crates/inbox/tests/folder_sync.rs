//! The sync engine over the real folder mailbox, with generated ToC messages.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use handover_inbox::{SyncEngine, SyncOptions};
use handover_mesh::{FolderMailbox, InboxListing, Mailbox, MeshError, Message, OutboundMessage};
use handover_store::{DbKey, MailboxHealth, MessageSource, Store};

fn options(root: &Path) -> SyncOptions {
    SyncOptions {
        source: MessageSource::Folder,
        mailbox_key: root.display().to_string(),
        workflow_filter: None,
        practice: handover_workflow::WorkflowConfig {
            practice_ods: "Y99999".into(),
            practice_name: "Test Practice".into(),
            unmatched_grace_hours: 48,
            register_max_age_days: 7,
        },
    }
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

#[tokio::test]
async fn a_folder_of_messages_is_stored_exactly_once_and_moved_to_processed() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let fixtures = handover_fixtures::generate(12, 42);
    for f in &fixtures {
        std::fs::write(inbox.join(&f.file_name), &f.bytes).unwrap();
    }
    // One unreadable message, and one exact copy of a document under another name.
    // The broken one arrives as a MESH-client style .dat/.ctl pair that names its sender.
    std::fs::write(
        inbox.join("zz-broken.dat"),
        b"<Bundle xmlns=\"http://hl7.org/fhir\"><oops",
    )
    .unwrap();
    std::fs::write(
        inbox.join("zz-broken.ctl"),
        "<DTSControl><MessageType>Data</MessageType><From_DTS>RBROKEN1</From_DTS><To_DTS>FOLDER</To_DTS>\
         <WorkflowId>TOC_FHIR_EC_DISCH</WorkflowId><DTSId>BROKEN-0001</DTSId></DTSControl>",
    )
    .unwrap();
    std::fs::write(inbox.join("zz-copy.xml"), &fixtures[0].bytes).unwrap();

    let mut store = Store::open_with_key(&tmp.path().join("h.db"), &DbKey::generate()).unwrap();
    let engine = SyncEngine::new(FolderMailbox::new(&inbox, "FOLDER"), options(&inbox));
    let summary = engine.sync_once(&mut store).await.unwrap();

    let documents = fixtures.len() as u64;
    assert_eq!(summary.downloaded, documents + 2, "{summary:?}");
    assert_eq!(summary.stored, documents, "{summary:?}");
    assert_eq!(summary.duplicates, 1);
    assert_eq!(summary.quarantined, 1);
    assert_eq!(summary.acknowledged, documents + 2);
    assert!(
        files_in(&inbox).is_empty(),
        "every message was moved out of the inbox"
    );
    // Every file, including the .ctl, was moved to processed/.
    assert_eq!(
        files_in(&engine.mailbox().processed_dir()).len() as u64,
        documents + 3
    );

    let counts = store.document_counts().unwrap();
    assert_eq!(counts.total, documents);
    assert_eq!(counts.quarantined, 1);
    let listed = store.list_documents(100, 0).unwrap();
    for f in &fixtures {
        assert!(
            listed
                .iter()
                .any(|d| d.nhs_number.as_deref() == Some(f.nhs_number.as_str())),
            "{} is listed",
            f.file_name
        );
    }
    // Fixtures with a non-empty "Plan and requested actions" section are flagged in the list.
    let flagged = store
        .query_documents(&handover_store::ListQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap()
        .rows
        .iter()
        .filter(|r| r.flags.requested_actions)
        .count();
    let with_plan =
        fixtures
            .iter()
            .filter(|f| {
                let parsed = handover_toc::parse(&f.bytes);
                parsed.document.unwrap().sections.iter().any(|s| {
                    s.code.as_deref() == Some("887201000000105") && !s.text.trim().is_empty()
                })
            })
            .count();
    assert!(with_plan > 0, "the fixtures include plans");
    assert_eq!(flagged, with_plan);
    // Replacements in the fixtures supersede their originals.
    let replacements = fixtures.iter().filter(|f| f.replaces.is_some()).count();
    let superseded = listed.iter().filter(|d| d.superseded_by.is_some()).count();
    assert_eq!(superseded, replacements);

    // Responses for those that asked: all recorded as sent, written to the folder's outbox.
    let outbox = store.outbox().unwrap();
    assert!(outbox.iter().all(|o| o.sent_at.is_some()));
    assert_eq!(summary.responses_sent as usize, outbox.len());
    let unreadable = outbox
        .iter()
        .find(|o| o.response_code == "10009")
        .expect("the unreadable message is answered");
    assert_eq!(
        unreadable.to_mailbox, "RBROKEN1",
        "to the mailbox it came from"
    );
    assert_eq!(unreadable.workflow_id, "TOC_FHIR_EC_DISCH_ACK");
    let body = String::from_utf8_lossy(&unreadable.body);
    assert!(
        body.contains("UNREADABLE-IN-ORIGINAL-MESSAGE"),
        "correlated as unreadable"
    );
    assert!(outbox.iter().any(|o| o.response_code == "20013"));
    // The folder mailbox writes each sent message as a .dat/.ctl pair.
    let sent: Vec<String> = files_in(&engine.mailbox().outbox_dir())
        .into_iter()
        .filter(|f| f.ends_with(".dat"))
        .collect();
    assert_eq!(sent.len(), outbox.len());

    // A second sync finds nothing and sends nothing again.
    let again = engine.sync_once(&mut store).await.unwrap();
    assert_eq!(
        (again.downloaded, again.stored, again.responses_sent),
        (0, 0, 0)
    );
    assert_eq!(store.document_counts().unwrap().total, documents);
    let state = store.sync_state(&inbox.display().to_string()).unwrap();
    assert_eq!(state.health, MailboxHealth::Online);
    assert!(state.last_success_at.is_some());
}

/// A mailbox whose acknowledgements fail until `fail_acks` runs out: a crash or network fault
/// between commit and acknowledgement.
struct FlakyAcks {
    inner: FolderMailbox,
    fail_acks: AtomicUsize,
}

impl Mailbox for FlakyAcks {
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
        if self.fail_acks.load(Ordering::SeqCst) > 0 {
            self.fail_acks.fetch_sub(1, Ordering::SeqCst);
            return Err(MeshError::Timeout {
                operation: format!("acknowledge {id}"),
                attempts: 1,
            });
        }
        self.inner.acknowledge(id).await
    }
    async fn send(&self, m: &OutboundMessage) -> Result<String, MeshError> {
        self.inner.send(m).await
    }
}

#[tokio::test]
async fn a_lost_acknowledgement_never_stores_a_message_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let fixtures = handover_fixtures::generate(4, 7);
    for f in &fixtures {
        std::fs::write(inbox.join(&f.file_name), &f.bytes).unwrap();
    }
    let mut store = Store::open_with_key(&tmp.path().join("h.db"), &DbKey::generate()).unwrap();
    let flaky = FlakyAcks {
        inner: FolderMailbox::new(&inbox, "FOLDER"),
        fail_acks: AtomicUsize::new(2),
    };
    let engine = SyncEngine::new(flaky, options(&inbox));

    let first = engine.sync_once(&mut store).await.unwrap();
    assert_eq!(first.stored, 4);
    assert_eq!(first.acknowledged, 2, "two acknowledgements were lost");
    assert_eq!(first.problems.len(), 2);
    assert_eq!(
        files_in(&inbox).len(),
        2,
        "unacknowledged messages stay in the mailbox"
    );
    assert_eq!(
        store
            .sync_state(&inbox.display().to_string())
            .unwrap()
            .health,
        MailboxHealth::Degraded
    );

    let second = engine.sync_once(&mut store).await.unwrap();
    assert_eq!(
        (
            second.downloaded,
            second.already_stored,
            second.acknowledged
        ),
        (0, 2, 2)
    );
    assert_eq!(store.document_counts().unwrap().total, 4, "stored once");
    assert!(files_in(&inbox).is_empty());
    let responses = store.outbox().unwrap();
    let mut per_message: Vec<i64> = responses.iter().map(|o| o.message_id).collect();
    per_message.dedup();
    assert_eq!(
        per_message.len(),
        responses.len(),
        "one response per message, never two"
    );
}
