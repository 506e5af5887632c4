//! What a message is, when it shares an identifier with one already stored: the same document
//! again (a duplicate, recorded as another delivery), or a different document that must be
//! shown as its own (never hidden, never answered as a duplicate); and what a replacement may
//! supersede (only its own sender's document about the same patient). Real generated messages
//! through the real folder mailbox.

mod support;

use std::path::Path;

use handover_fixtures::Fixture;
use handover_inbox::{SyncEngine, SyncOptions};
use handover_mesh::FolderMailbox;
use handover_store::{DbKey, IssueKind, MessageSource, Store};

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

fn replace(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(text.contains(from), "{from} not in the message");
    text.replace(from, to).into_bytes()
}

/// Fixtures that are not replacements, asking for an infrastructure response.
fn plain_fixtures(seed: u64) -> Vec<Fixture> {
    handover_fixtures::generate(16, seed)
        .into_iter()
        .filter(|f| f.replaces.is_none() && !f.hostile)
        .map(|mut f| {
            f.bytes = support::with_inf_ack(&f.bytes, true);
            f
        })
        .collect()
}

struct Harness {
    _tmp: tempfile::TempDir,
    inbox: std::path::PathBuf,
    store: Store,
    engine: SyncEngine<FolderMailbox>,
}

impl Harness {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let inbox = tmp.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        let store = Store::open_with_key(&tmp.path().join("h.db"), &DbKey::generate()).unwrap();
        let engine = SyncEngine::new(FolderMailbox::new(&inbox, "FOLDER"), options(&inbox));
        Harness {
            _tmp: tmp,
            inbox,
            store,
            engine,
        }
    }

    async fn deliver(&mut self, name: &str, bytes: &[u8]) -> handover_inbox::SyncSummary {
        std::fs::write(self.inbox.join(name), bytes).unwrap();
        let summary = self.engine.sync_once(&mut self.store).await.unwrap();
        assert!(summary.adds_up(), "{summary:?}");
        summary
    }

    fn document_of(&self, nhs: &str) -> handover_store::DocumentRow {
        let rows: Vec<_> = self
            .store
            .list_documents(100, 0)
            .unwrap()
            .into_iter()
            .filter(|r| r.nhs_number.as_deref() == Some(nhs))
            .collect();
        assert_eq!(rows.len(), 1, "one document for {nhs}: {rows:?}");
        rows.into_iter().next().unwrap()
    }

    /// The response codes queued for the last stored message.
    fn last_response(&self) -> String {
        self.store
            .outbox()
            .unwrap()
            .last()
            .expect("a response")
            .response_code
            .clone()
    }
}

#[tokio::test]
async fn another_patients_document_under_a_used_identifier_is_kept_and_shown() {
    let f = plain_fixtures(3);
    let (a, b) = (
        &f[0],
        f.iter().find(|x| x.nhs_number != f[0].nhs_number).unwrap(),
    );
    let mut h = Harness::new();
    h.deliver("1-a.xml", &a.bytes).await;

    // Patient B's document, sent reusing the Bundle id of patient A's.
    let b_reusing = replace(&b.bytes, &b.document_id, &a.document_id);
    let s = h.deliver("2-b.xml", &b_reusing).await;
    assert_eq!((s.stored, s.duplicates), (1, 0), "{s:?}");
    assert_eq!(
        h.last_response(),
        "20013",
        "answered as received, never 20008"
    );
    let doc_a = h.document_of(&a.nhs_number);
    let doc_b = h.document_of(&b.nhs_number);
    for (doc, other) in [(&doc_a, &doc_b), (&doc_b, &doc_a)] {
        assert_eq!(doc.identity_warnings, 1);
        let issues = h.store.document_issues(doc.id).unwrap();
        assert_eq!(issues[0].kind, IssueKind::IdentifierConflict);
        assert_eq!(issues[0].other_document_id, Some(other.id));
        assert!(issues[0].detail.contains("another patient"), "{issues:?}");
    }

    // The very same message again, under another file name: a duplicate, shown as a delivery.
    let s = h.deliver("3-a-again.xml", &a.bytes).await;
    assert_eq!((s.stored, s.duplicates), (0, 1), "{s:?}");
    assert_eq!(h.last_response(), "20007");
    let doc_a = h.document_of(&a.nhs_number);
    assert_eq!(doc_a.times_received, 2);
    let deliveries = h.store.document_deliveries(doc_a.id).unwrap();
    assert_eq!(
        deliveries
            .iter()
            .map(|d| d.outcome.as_str())
            .collect::<Vec<_>>(),
        ["stored", "duplicate"]
    );
    assert_eq!(h.store.document_counts().unwrap().total, 2);
}

#[tokio::test]
async fn a_reused_dts_id_in_a_folder_never_hides_a_document() {
    let f = plain_fixtures(5);
    let (c, d) = (
        &f[0],
        f.iter().find(|x| x.nhs_number != f[0].nhs_number).unwrap(),
    );
    let ctl = |from: &str| {
        format!(
            "<DTSControl><MessageType>Data</MessageType><From_DTS>{from}</From_DTS><To_DTS>FOLDER</To_DTS>\
             <WorkflowId>TOC_FHIR_IP_DISCH</WorkflowId><DTSId>20261201090000000_AAAAAA</DTSId></DTSControl>"
        )
    };
    let mut h = Harness::new();
    std::fs::write(h.inbox.join("P1.ctl"), ctl("RHOSP1")).unwrap();
    h.deliver("P1.dat", &c.bytes).await;
    // The same DTSId, for another patient's document.
    std::fs::write(h.inbox.join("P2.ctl"), ctl("RHOSP1")).unwrap();
    let s = h.deliver("P2.dat", &d.bytes).await;
    assert_eq!((s.stored, s.already_stored), (1, 0), "{s:?}");
    h.document_of(&c.nhs_number);
    h.document_of(&d.nhs_number);
}

#[tokio::test]
async fn a_replacement_supersedes_only_its_own_senders_document_about_the_same_patient() {
    let all: Vec<Fixture> = handover_fixtures::generate(24, 11)
        .into_iter()
        .map(|mut f| {
            f.bytes = support::with_inf_ack(&f.bytes, true);
            f
        })
        .collect();
    let r = all
        .iter()
        .find(|f| f.replaces.is_some())
        .expect("a replacement");
    let o = all
        .iter()
        .find(|f| Some(&f.composition_id) == r.replaces.as_ref())
        .expect("its original");
    let x = all
        .iter()
        .find(|f| f.nhs_number != o.nhs_number && f.replaces.is_none())
        .unwrap();
    let mut h = Harness::new();
    h.deliver("1-original.xml", &o.bytes).await;

    // A replacement naming patient O's document, but about patient X.
    let wrong = replace(&r.bytes, &r.nhs_number, &x.nhs_number);
    let s = h.deliver("2-wrong.xml", &wrong).await;
    assert_eq!(s.stored, 1, "{s:?}");
    assert_eq!(
        h.last_response(),
        "20014",
        "unable to process the replacement"
    );
    let original = h.document_of(&o.nhs_number);
    assert_eq!(original.superseded_by, None, "nothing superseded");
    let wrong_doc = h.document_of(&x.nhs_number);
    for doc in [&original, &wrong_doc] {
        let issues = h.store.document_issues(doc.id).unwrap();
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].kind, IssueKind::ReplacementMismatch);
        assert!(issues[0].detail.contains("another patient"), "{issues:?}");
    }

    // The genuine replacement from the same hospital about the same patient supersedes it.
    let s = h.deliver("3-right.xml", &r.bytes).await;
    assert_eq!(s.stored, 1);
    assert_eq!(h.last_response(), "20013");
    let rows = h.store.list_documents(10, 0).unwrap();
    let original = rows.iter().find(|d| d.id == original.id).unwrap();
    let right = rows
        .iter()
        .find(|d| d.replaces.is_some() && d.nhs_number.as_deref() == Some(&o.nhs_number))
        .unwrap();
    assert_eq!(original.superseded_by, Some(right.id));
}

#[tokio::test]
async fn a_mismatched_replacement_received_first_never_supersedes_the_original() {
    let all = handover_fixtures::generate(24, 11);
    let r = all.iter().find(|f| f.replaces.is_some()).unwrap();
    let o = all
        .iter()
        .find(|f| Some(&f.composition_id) == r.replaces.as_ref())
        .unwrap();
    let x = all
        .iter()
        .find(|f| f.nhs_number != o.nhs_number && f.replaces.is_none())
        .unwrap();
    let mut h = Harness::new();
    h.deliver(
        "1-wrong.xml",
        &replace(&r.bytes, &r.nhs_number, &x.nhs_number),
    )
    .await;
    h.deliver("2-original.xml", &o.bytes).await;
    let original = h.document_of(&o.nhs_number);
    assert_eq!(original.superseded_by, None);
    assert_eq!(original.identity_warnings, 1);
}
