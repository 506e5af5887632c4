//! The sync engine: list, download, store (one transaction per batch), then acknowledge; and
//! send the ITK3 responses the batch queued.
//!
//! # The pipeline
//!
//! Three kinds of task share the work, so that both cores are busy:
//!
//! - a **download task** fetches the listed messages in order, parses, classifies and
//!   compresses each, and hands them over in batches of up to 64 (a one-batch channel);
//! - the **store's thread** writes each batch in one transaction (`BEGIN IMMEDIATE` …
//!   `COMMIT`, durable), together with the results of earlier deliveries;
//! - after that commit returns, and never before, a **delivery task** acknowledges the batch's
//!   messages and sends the responses it queued. Two batches' deliveries may run at once; their
//!   results (acknowledged, sent, failed) are recorded with the next batch, or at the end.
//!
//! Until a delivery's results are recorded the store holds the safe state: a message stored but
//! not marked acknowledged is acknowledged again (idempotent) by a later sync, and a response
//! whose attempt is recorded but not its success is looked up before any resend (below).
//!
//! # The response outbox: sent at most once, retried until accepted
//!
//! Every ITK3 response is queued in the store's `outbox` table in the same transaction as the
//! message it answers, with a `local_id` unique to that message and kind of response, which goes
//! out as `mex-LocalID`. Sending works item by item:
//!
//! 1. A new item's first attempt is recorded (`attempts = 1`) in the transaction that queues it;
//!    the batch's delivery task sends it straight after the commit.
//! 2. Before any later attempt, the attempt is recorded (`attempts + 1`) and committed.
//! 3. When MESH answers 202, the item is marked sent with the MESH message id and is never
//!    looked at again.
//! 4. An item that was tried before but never marked sent (a crash mid-send, a timeout or a
//!    dropped connection after the request may have reached MESH, i.e.
//!    [`MeshError::SendOutcomeUnknown`]) is first **looked up by its local id** through the
//!    mailbox ([`Mailbox::find_sent`]: MESH's tracking by local id,
//!    `GET /messageexchange/{mailbox}/outbox/tracking/{local_id}`). Found: it is marked sent
//!    with the id MESH gave it, and not sent again. Not found (404): MESH never accepted it, so
//!    it is sent again. The lookup failing: the item is left for the next sync; it is never
//!    re-sent blind.
//! 5. Failures that certainly did not reach MESH (connection refused, 4xx) are recorded on the
//!    item, and it is retried at the next sync, for as long as it takes.
//!
//! A mailbox that cannot look sends up ([`Mailbox::can_find_sent`] false: the folder mailbox,
//! whose sends are local file writes) re-sends at step 4; the folder mailbox names a response's
//! files after its local id and does not write them again while they wait in `outbox/`, so only
//! a response the MESH client had already taken could go twice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use handover_errors::{Coded, ErrorCode};
use handover_mesh::{FaultKind, Mailbox, MeshError, Message, MessageType, OutboundMessage};
use handover_store::{
    Disposition, DocumentIdentity, Incoming, IngestOutcome, Ingested, MessageSource, OutboxItem,
    PlannedResponse, ProblemKind, RawBody, Store, StoreError, SyncProblem,
};
use handover_toc::response::{self, Responder, ResponseIds};
use handover_toc::{Diagnostic, ResponseCode, Severity};
use handover_workflow::WorkflowConfig;

use rand::RngCore;
use serde::Serialize;

use crate::classify::{ack_workflow, classify, Classification, Classified};
use crate::policy::{self, Placement};

/// What one sync did; `handover sync --once --json` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncSummary {
    #[ts(type = "number")]
    pub downloaded: u64,
    #[ts(type = "number")]
    pub stored: u64,
    #[ts(type = "number")]
    pub duplicates: u64,
    #[ts(type = "number")]
    pub quarantined: u64,
    #[ts(type = "number")]
    pub acknowledged: u64,
    #[ts(type = "number")]
    pub responses_sent: u64,
    /// Messages found already stored (acknowledged now; stored earlier).
    #[ts(type = "number")]
    pub already_stored: u64,
    #[ts(type = "number")]
    pub responses_received: u64,
    #[ts(type = "number")]
    pub reports: u64,
    /// Messages that could not be decoded, left in the mailbox to be tried again (after
    /// [`MAX_DECODE_ATTEMPTS`] they are kept in quarantine instead).
    #[ts(type = "number")]
    pub retrying: u64,
    /// Per-message or per-response problems that did not stop the sync.
    pub problems: Vec<SyncProblem>,
}

impl SyncSummary {
    /// Every message downloaded is accounted for once: `downloaded = stored + duplicates +
    /// quarantined + responses_received + reports + retrying`.
    pub fn adds_up(&self) -> bool {
        self.downloaded
            == self.stored
                + self.duplicates
                + self.quarantined
                + self.responses_received
                + self.reports
                + self.retrying
    }
}

/// How many times a message that arrives but cannot be decoded is downloaded again before it is
/// kept in quarantine as received (and acknowledged): a broken transfer gets a second chance, a
/// broken message does not block the mailbox for ever.
pub const MAX_DECODE_ATTEMPTS: u32 = 3;

fn problem(kind: ProblemKind, subject: &str, e: &MeshError) -> SyncProblem {
    SyncProblem {
        kind,
        code: e.code(),
        message: format!("{subject}: {e}"),
        subject: Some(subject.to_string()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Mailbox(#[from] MeshError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn code(&self) -> ErrorCode {
        match self {
            SyncError::Mailbox(e) => e.code(),
            SyncError::Store(e) => e.code(),
        }
    }
}

impl Coded for SyncError {
    fn code(&self) -> ErrorCode {
        SyncError::code(self)
    }
}

/// How the engine identifies itself and its messages.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Recorded with each message.
    pub source: MessageSource,
    /// The mailbox key in the store (the MESH mailbox id, or the folder path).
    pub mailbox_key: String,
    /// Only messages of matching workflows are fetched (MESH filter syntax), e.g. `TOC_FHIR_*`.
    pub workflow_filter: Option<String>,
    /// The practice's identity for responses when a message does not name its receiver, and
    /// the workflow's settings (grace period for "not known", the register's freshness).
    pub practice: WorkflowConfig,
}

/// How far a sync has got: `done` of `total` messages listed in the mailbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncProgress {
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
}

type ProgressFn = Arc<dyn Fn(SyncProgress) + Send + Sync>;

/// Most list-then-process rounds one sync makes when the mailbox reports more waiting
/// (real MESH lists at most 500 ids at a time).
const MAX_ROUNDS: usize = 20;

pub struct SyncEngine<M: Mailbox> {
    mailbox: Arc<M>,
    options: SyncOptions,
    progress: Option<ProgressFn>,
}

/// Messages stored per transaction: one disk sync per batch instead of per message.
const BATCH_MESSAGES: usize = 64;
/// Committed batches being acknowledged and answered at once, while the next is stored. Two,
/// so that on a slow file system the folder mailbox's file writes use both cores.
const DELIVERIES_IN_FLIGHT: usize = 2;
/// A batch stops growing past this many downloaded bytes.
const BATCH_BYTES: usize = 32 * 1024 * 1024;

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A message downloaded and parsed, ready to store. Built by the download task, off the thread
/// that writes the store (and by the practice server's puller, `practice_sync`, the same way).
pub(crate) struct Prepared {
    pub(crate) id: String,
    pub(crate) message: Message,
    pub(crate) parsed: handover_toc::Parsed,
    pub(crate) classified: Classified,
    pub(crate) diagnostics: String,
    pub(crate) responder: Responder,
    /// The bytes as the store keeps them (compressed here, off the store's thread).
    pub(crate) body: RawBody,
    /// The mailbox's headers (and the fault, if any) as JSON, kept with the message.
    pub(crate) mailbox_meta: String,
}

/// One batch from the download task.
#[derive(Default)]
struct Fetched {
    prepared: Vec<Prepared>,
    /// Listed ids this batch accounts for (downloaded or not).
    consumed: u64,
    downloaded: u64,
    problems: Vec<SyncProblem>,
}

enum Produced {
    Batch(Fetched),
    /// The mailbox refused us (credentials, configuration): the sync stops. Messages downloaded
    /// in the unfinished batch are not stored; they stay in the mailbox.
    Fatal(MeshError),
}

/// What telling the mailbox about one committed batch did: acknowledgements made and responses
/// sent. It is recorded in the store with the next batch (or at the end of the sync); until
/// then the store's own state is the safe one (see the module docs).
#[derive(Default)]
struct Delivered {
    /// Stored message ids whose acknowledgement the mailbox accepted.
    acknowledged: Vec<i64>,
    /// `(outbox id, MESH message id)` of responses the mailbox accepted.
    sent: Vec<(i64, String)>,
    /// `(outbox id, error)` of responses that failed.
    failed: Vec<(i64, String)>,
    problems: Vec<SyncProblem>,
    fatal: Option<MeshError>,
}

impl<M: Mailbox + 'static> SyncEngine<M> {
    pub fn new(mailbox: M, options: SyncOptions) -> Self {
        SyncEngine {
            mailbox: Arc::new(mailbox),
            options,
            progress: None,
        }
    }

    pub fn options(&self) -> &SyncOptions {
        &self.options
    }

    /// Calls `f` as each message is dealt with, for progress displays.
    pub fn with_progress(mut self, f: impl Fn(SyncProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    pub fn mailbox(&self) -> &M {
        &self.mailbox
    }

    /// One full sync. Records the attempt and its result in the store's sync state. An error is
    /// returned when the mailbox could not be listed at all; per-message trouble is collected in
    /// [`SyncSummary::problems`] and the sync goes on.
    pub async fn sync_once(&self, store: &mut Store) -> Result<SyncSummary, SyncError> {
        let key = self.options.mailbox_key.clone();
        store.record_sync_attempt(&key, &now_rfc3339())?;
        match self.run(store).await {
            Ok(summary) => {
                store.record_sync_success(&key, &now_rfc3339(), &summary.problems)?;
                Ok(summary)
            }
            Err(e) => {
                store.record_sync_failure(&key, &now_rfc3339(), e.code(), &e.to_string())?;
                Err(e)
            }
        }
    }

    async fn run(&self, store: &mut Store) -> Result<SyncSummary, SyncError> {
        let mut summary = SyncSummary::default();
        let mut seen = std::collections::HashSet::new();
        // Responses tried during this sync: the final flush leaves them for the next one.
        let mut tried = std::collections::HashSet::new();
        let paused = Arc::new(AtomicBool::new(false));
        for _ in 0..MAX_ROUNDS {
            let listing = self
                .mailbox
                .list_inbox(self.options.workflow_filter.as_deref())
                .await?;
            let fresh = take_listing(&listing, &mut seen, &mut summary.problems);
            let found_new = !fresh.is_empty();
            self.take(store, fresh, &mut summary, &mut tried, &paused)
                .await?;
            // Real MESH lists at most 500 ids: list again while it says more may be waiting
            // and the last round found something new.
            if !listing.maybe_more || !found_new {
                break;
            }
        }
        self.finish_acknowledgements(store, &seen, &mut summary)
            .await?;
        // Documents not on the register that have waited their grace period: "not known"
        // (30002), queued here and sent by the flush below.
        if let Err(e) =
            handover_workflow::send_overdue_not_known(store, &self.options.practice, &now_rfc3339())
        {
            summary.problems.push(SyncProblem {
                kind: ProblemKind::Response,
                code: e.code(),
                message: format!("business responses not queued: {e}"),
                subject: None,
            });
        }
        if !paused.load(Ordering::SeqCst) {
            self.flush_outbox(store, &mut summary, &tried).await?;
        }
        Ok(summary)
    }

    /// Takes the listed messages: a download task fetches and parses batches ahead while this
    /// task stores each batch in one transaction; once a batch is committed, and only then, a
    /// delivery task acknowledges its messages and sends the responses it queued, while the
    /// next batch is stored. Three streams of work, so both cores are used.
    async fn take(
        &self,
        store: &mut Store,
        ids: Vec<String>,
        summary: &mut SyncSummary,
        tried: &mut std::collections::HashSet<i64>,
        paused: &Arc<AtomicBool>,
    ) -> Result<(), SyncError> {
        let total = ids.len() as u64;
        let mut done = 0u64;
        self.report(done, total);
        // Stored by an earlier sync that stopped before acknowledging: acknowledge only.
        let mut fetch = Vec::with_capacity(ids.len());
        let mut stored_before = Vec::new();
        for id in ids {
            match store.find_message(self.options.source, &self.options.mailbox_key, &id)? {
                Some(message_id) => stored_before.push((id, message_id)),
                None => fetch.push(id),
            }
        }
        if !stored_before.is_empty() {
            summary.already_stored += stored_before.len() as u64;
            done += stored_before.len() as u64;
            let delivered =
                deliver(self.mailbox.clone(), stored_before, vec![], paused.clone()).await;
            let mut results = Delivered::default();
            let fatal = carry(&mut results, summary, delivered);
            record(store, &results)?;
            if let Some(e) = fatal {
                return Err(e.into());
            }
            self.report(done, total);
        }
        if fetch.is_empty() {
            return Ok(());
        }

        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let producer = AbortOnDrop(tokio::spawn(produce(
            self.mailbox.clone(),
            fetch,
            self.options.clone(),
            tx,
        )));
        let mut in_flight: std::collections::VecDeque<tokio::task::JoinHandle<Delivered>> =
            std::collections::VecDeque::new();
        let mut carried = Delivered::default();
        let result = loop {
            let Some(produced) = rx.recv().await else {
                break Ok(());
            };
            let fetched = match produced {
                Produced::Batch(fetched) => fetched,
                Produced::Fatal(e) => break Err(SyncError::from(e)),
            };
            summary.downloaded += fetched.downloaded;
            summary.problems.extend(fetched.problems);
            done += fetched.consumed;
            let stored = if fetched.prepared.is_empty() {
                Ok((vec![], vec![]))
            } else {
                let mut record = std::mem::take(&mut carried);
                let stored = blocking_section(|| {
                    self.store_batch(store, &fetched.prepared, &mut record, summary)
                });
                // Whatever was not recorded with the batch (it rolled back) is recorded below.
                carried = record;
                stored
            };
            let (to_ack, to_send) = match stored {
                Ok(s) => s,
                Err(e) => break Err(e.into()),
            };
            for (_, outcome) in &to_ack {
                count(summary, outcome);
            }
            tried.extend(to_send.iter().map(|i| i.id));
            // Earlier batches' deliveries ran while this one was stored.
            let mut fatal = None;
            while in_flight.len() >= DELIVERIES_IN_FLIGHT && fatal.is_none() {
                let Some(handle) = in_flight.pop_front() else {
                    break;
                };
                fatal = carry(&mut carried, summary, join(handle).await);
            }
            if let Some(e) = fatal {
                break Err(e.into());
            }
            // Committed: now, and only now, tell the mailbox.
            in_flight.push_back(tokio::spawn(deliver(
                self.mailbox.clone(),
                to_ack
                    .into_iter()
                    .map(|(id, o)| (id, o.message_id()))
                    .collect(),
                to_send,
                paused.clone(),
            )));
            self.report(done, total);
        };
        drop(rx);
        drop(producer);
        // Whatever happened, record what the last deliveries did before returning.
        let mut fatal = None;
        for handle in in_flight {
            let stop = carry(&mut carried, summary, join(handle).await);
            fatal = fatal.or(stop);
        }
        record(store, &carried)?;
        result?;
        if let Some(e) = fatal {
            return Err(e.into());
        }
        self.report(total, total);
        Ok(())
    }

    fn report(&self, done: u64, total: u64) {
        if let Some(progress) = &self.progress {
            progress(SyncProgress { done, total });
        }
    }

    /// Stores a batch in one transaction, together with the results of earlier deliveries in
    /// `carried` (emptied when the transaction commits). Returns what to acknowledge and the
    /// responses queued, whose first attempt is recorded in the same transaction.
    #[allow(clippy::type_complexity)]
    fn store_batch(
        &self,
        store: &mut Store,
        batch: &[Prepared],
        carried: &mut Delivered,
        summary: &mut SyncSummary,
    ) -> Result<(Vec<(String, IngestOutcome)>, Vec<OutboxItem>), StoreError> {
        store.begin_batch()?;
        let mut retrying = Vec::new();
        let result = (|| {
            write_delivered(store, carried)?;
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut queued = Vec::new();
            for prepared in batch {
                if let Some(problem) = self.defer_undecodable(store, prepared)? {
                    retrying.push(problem);
                    continue;
                }
                let Ingested {
                    outcome,
                    queued: items,
                } = self.store_message(store, prepared)?;
                queued.extend(items);
                outcomes.push((prepared.id.clone(), outcome));
            }
            store.commit_batch()?;
            Ok((outcomes, queued))
        })();
        match result {
            Ok(r) => {
                *carried = Delivered::default();
                summary.retrying += retrying.len() as u64;
                summary.problems.extend(retrying);
                Ok(r)
            }
            Err(e) => {
                store.rollback_batch();
                Err(e)
            }
        }
    }

    /// A message that arrived but could not be decoded is left in the mailbox, to be downloaded
    /// again, until it has failed [`MAX_DECODE_ATTEMPTS`] times; then it is stored in quarantine
    /// as received. Returns the problem to report when it is left.
    fn defer_undecodable(
        &self,
        store: &Store,
        prepared: &Prepared,
    ) -> Result<Option<SyncProblem>, StoreError> {
        let Some(fault) = prepared
            .message
            .fault
            .as_ref()
            .filter(|f| f.kind == FaultKind::Undecodable)
        else {
            return Ok(None);
        };
        let attempts = store.note_download_failure(
            self.options.source,
            &self.options.mailbox_key,
            &prepared.id,
            &fault.reason,
            &now_rfc3339(),
        )?;
        if attempts >= MAX_DECODE_ATTEMPTS {
            return Ok(None);
        }
        Ok(Some(SyncProblem {
            kind: ProblemKind::Undecodable,
            code: ErrorCode::MeshUndecodable,
            message: format!(
                "{} (attempt {attempts} of {MAX_DECODE_ATTEMPTS}; after that it is kept in quarantine as received)",
                fault.reason
            ),
            subject: Some(prepared.id.clone()),
        }))
    }

    /// Messages stored but not recorded as acknowledged, and no longer listed: an earlier sync
    /// stopped between acknowledging on the mailbox and recording it. Acknowledging is
    /// idempotent, so acknowledge again and record it.
    async fn finish_acknowledgements(
        &self,
        store: &mut Store,
        listed: &std::collections::HashSet<String>,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let pending =
            store.unacknowledged_messages(self.options.source, &self.options.mailbox_key)?;
        for (message_id, source_id) in pending {
            if listed.contains(&source_id) {
                continue; // taken above; still unacknowledged only if that failed
            }
            match self.mailbox.acknowledge(&source_id).await {
                // Gone: MESH no longer holds it, so there is nothing left to acknowledge.
                Ok(()) | Err(MeshError::Gone { .. }) => {
                    store.mark_acknowledged(message_id, &now_rfc3339())?;
                }
                Err(e) if is_fatal(&e) => return Err(e.into()),
                Err(e) => {
                    summary.problems.push(problem(
                        ProblemKind::Acknowledgement,
                        &format!("message {source_id}"),
                        &e,
                    ));
                }
            }
        }
        Ok(())
    }

    /// Stores one message: for a document, the policy first decides (from the stored documents
    /// sharing its identifiers, read in this transaction) whether it is a duplicate, a
    /// replacement or a document of its own; then the responses it earns are built and queued
    /// with it.
    fn store_message(
        &self,
        store: &mut Store,
        prepared: &Prepared,
    ) -> Result<Ingested, StoreError> {
        let Prepared {
            id,
            message,
            classified,
            diagnostics,
            body,
            mailbox_meta,
            ..
        } = prepared;
        let received_at = now_rfc3339();
        let incoming = Incoming {
            source: self.options.source,
            mailbox: &self.options.mailbox_key,
            source_id: id,
            workflow_id: message.meta.workflow_id.as_deref(),
            sender_mailbox: message.meta.from.as_deref(),
            received_at: &received_at,
            raw: &message.body,
            body: Some(body),
            mailbox_meta: Some(mailbox_meta),
        };
        let itk_message_id = classified.classification.itk_message_id();
        let placement;
        let (disposition, code) = match &classified.classification {
            Classification::Document { document, .. } => {
                let matches = store.identity_matches(&DocumentIdentity {
                    itk_message_id,
                    document_bundle_id: document.document_bundle_id.as_deref(),
                    composition_id: document.composition_id.as_deref(),
                    replaces: document.replaces.as_deref(),
                })?;
                placement = policy::place(document, &matches);
                match &placement {
                    Placement::Duplicate { of, code } => {
                        (Disposition::Duplicate { of: *of }, Some(*code))
                    }
                    Placement::Document { links, code } => {
                        (Disposition::Document { document, links }, Some(*code))
                    }
                }
            }
            Classification::Quarantine { reason, .. } => (
                Disposition::Quarantine { reason },
                Some(classified.infrastructure_code),
            ),
            Classification::Response { .. } => (Disposition::Response, None),
            Classification::Report => (Disposition::Report, None),
        };
        let responses: Vec<PlannedResponse> = code
            .and_then(|code| infrastructure_response(prepared, code, &received_at))
            .into_iter()
            .collect();
        let mut ingested = store.ingest(
            &incoming,
            itk_message_id,
            disposition,
            diagnostics,
            &responses,
        )?;
        // The workflow starts in the same transaction: requested actions, matching, GP review,
        // and the business response a match earns (sent with the infrastructure response).
        if let IngestOutcome::Stored {
            document_id,
            superseded,
            ..
        } = &ingested.outcome
        {
            let step = |e: handover_workflow::WorkflowError| match e {
                handover_workflow::WorkflowError::Store(e) => e,
                other => StoreError::Step(other.to_string()),
            };
            handover_workflow::superseded(store, superseded, *document_id, &received_at)
                .map_err(step)?;
            let queued = handover_workflow::received(
                store,
                *document_id,
                &prepared.parsed,
                &prepared.responder,
                &self.options.practice,
                &received_at,
            )
            .map_err(step)?;
            ingested.queued.extend(queued);
        }
        Ok(ingested)
    }

    /// Sends queued responses. Each attempt is recorded before it is made; a response MESH has
    /// accepted is marked sent and never sent again; one that may have reached MESH is looked
    /// up by its local id before it is sent again (see the module docs).
    async fn flush_outbox(
        &self,
        store: &mut Store,
        summary: &mut SyncSummary,
        tried: &std::collections::HashSet<i64>,
    ) -> Result<(), SyncError> {
        let pending: Vec<OutboxItem> = store
            .pending_outbox()?
            .into_iter()
            .filter(|item| !tried.contains(&item.id))
            .collect();
        for group in pending.chunks(BATCH_MESSAGES) {
            let mut to_send = Vec::with_capacity(group.len());
            for item in group {
                if item.attempts > 0 && self.mailbox.can_find_sent() {
                    {
                        match self.mailbox.find_sent(&item.local_id).await {
                            Ok(Some(mesh_id)) => {
                                // An earlier attempt reached MESH: record it, do not send again.
                                store.outbox_sent(item.id, &mesh_id, &now_rfc3339())?;
                                continue;
                            }
                            Ok(None) => {}
                            Err(e) => {
                                self.response_failed(store, summary, item, &e)?;
                                if is_fatal(&e) {
                                    return Err(e.into());
                                }
                                if e.is_transient() {
                                    // MESH is struggling: leave the rest for the next sync.
                                    return Ok(());
                                }
                                continue;
                            }
                        }
                    }
                }
                to_send.push(item);
            }
            // The attempts are on disk before anything is sent, so a crash mid-send is known
            // about (and looked up) on restart; the sent marks are recorded together after.
            let ids: Vec<i64> = to_send.iter().map(|i| i.id).collect();
            store.outbox_attempt_many(&ids, &now_rfc3339())?;
            let mut sent: Vec<(i64, String)> = Vec::with_capacity(to_send.len());
            let mut stop: Option<SyncError> = None;
            let mut pause = false;
            for item in to_send {
                match self.mailbox.send(&outbound(item)).await {
                    Ok(mesh_id) => sent.push((item.id, mesh_id)),
                    Err(e) => {
                        self.response_failed(store, summary, item, &e)?;
                        if is_fatal(&e) {
                            stop = Some(e.into());
                            break;
                        }
                        if e.is_transient() {
                            // MESH is struggling: leave the rest for the next sync.
                            pause = true;
                            break;
                        }
                    }
                }
            }
            store.outbox_sent_many(&sent, &now_rfc3339())?;
            summary.responses_sent += sent.len() as u64;
            if let Some(e) = stop {
                return Err(e);
            }
            if pause {
                return Ok(());
            }
        }
        Ok(())
    }

    fn response_failed(
        &self,
        store: &mut Store,
        summary: &mut SyncSummary,
        item: &OutboxItem,
        e: &MeshError,
    ) -> Result<(), StoreError> {
        store.outbox_failed(item.id, &format!("[{}] {e}", e.code()))?;
        summary.problems.push(response_problem(item, e));
        Ok(())
    }
}

/// The infrastructure response a message earns, when the sender asked for one (or when its
/// flags could not be read) and it can be addressed.
pub(crate) fn infrastructure_response(
    prepared: &Prepared,
    code: ResponseCode,
    received_at: &str,
) -> Option<PlannedResponse> {
    let Prepared {
        message,
        parsed,
        classified,
        responder,
        ..
    } = prepared;
    if classified.inf_ack_requested == Some(false) {
        return None;
    }
    let mut random = [0u8; 80];
    rand::rng().fill_bytes(&mut random);
    let built = response::build(
        parsed,
        code.code(),
        responder,
        &ResponseIds::from_random(&random),
        received_at,
    )
    .ok()?;
    let to = built
        .to_mailbox
        .clone()
        .or_else(|| message.meta.from.clone())?;
    Some(PlannedResponse {
        kind: "infrastructure",
        response_code: code.code().to_string(),
        to_mailbox: to,
        workflow_id: ack_workflow(message.meta.workflow_id.as_deref(), parsed.kind),
        body: built.xml.into_bytes(),
    })
}

/// Errors that concern the mailbox as a whole (credentials, configuration, TLS), not one
/// message: the sync stops and reports them.
pub(crate) fn is_fatal(e: &MeshError) -> bool {
    matches!(
        e,
        MeshError::Authentication { .. }
            | MeshError::UnknownMailbox { .. }
            | MeshError::Tls { .. }
            | MeshError::InsecureUrl { .. }
            | MeshError::Config(_)
    )
}

/// Runs `f`, which blocks on the store, without stalling the runtime's other tasks: on a
/// multi-threaded runtime the worker's queued tasks move to another thread meanwhile.
fn blocking_section<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Aborts the task when dropped (the sync stopped early, so its downloads are not wanted).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn join(handle: tokio::task::JoinHandle<Delivered>) -> Delivered {
    handle.await.unwrap_or_else(|e| Delivered {
        problems: vec![SyncProblem {
            kind: ProblemKind::Acknowledgement,
            code: ErrorCode::Internal,
            message: format!("delivery task failed: {e}"),
            subject: None,
        }],
        ..Delivered::default()
    })
}

fn count(summary: &mut SyncSummary, outcome: &IngestOutcome) {
    match outcome {
        IngestOutcome::Stored { .. } => summary.stored += 1,
        IngestOutcome::Duplicate { .. } => summary.duplicates += 1,
        IngestOutcome::Quarantined { .. } => summary.quarantined += 1,
        IngestOutcome::Response { .. } => summary.responses_received += 1,
        IngestOutcome::Report { .. } => summary.reports += 1,
        IngestOutcome::AlreadyStored { .. } => summary.already_stored += 1,
    }
}

/// Adds a delivery's counts and problems to the summary and its results to `carried` (to be
/// recorded with the next batch). Returns the error that should stop the sync, if any.
fn carry(
    carried: &mut Delivered,
    summary: &mut SyncSummary,
    mut delivered: Delivered,
) -> Option<MeshError> {
    summary.acknowledged += delivered.acknowledged.len() as u64;
    summary.responses_sent += delivered.sent.len() as u64;
    summary.problems.append(&mut delivered.problems);
    carried.acknowledged.append(&mut delivered.acknowledged);
    carried.sent.append(&mut delivered.sent);
    carried.failed.append(&mut delivered.failed);
    delivered.fatal
}

/// Records a delivery's results in the store in one transaction of their own.
fn record(store: &Store, delivered: &Delivered) -> Result<(), StoreError> {
    if delivered.acknowledged.is_empty() && delivered.sent.is_empty() && delivered.failed.is_empty()
    {
        return Ok(());
    }
    store.begin_batch()?;
    if let Err(e) = write_delivered(store, delivered).and_then(|()| store.commit_batch()) {
        store.rollback_batch();
        return Err(e);
    }
    Ok(())
}

/// Records a delivery's results (inside the caller's transaction).
fn write_delivered(store: &Store, delivered: &Delivered) -> Result<(), StoreError> {
    let at = now_rfc3339();
    store.mark_acknowledged_many(&delivered.acknowledged, &at)?;
    store.outbox_sent_many(&delivered.sent, &at)?;
    for (id, error) in &delivered.failed {
        store.outbox_failed(*id, error)?;
    }
    Ok(())
}

/// The download task: downloads the listed messages in order, parses each, and hands them over
/// in batches of [`BATCH_MESSAGES`] (or [`BATCH_BYTES`]). The channel holds one batch, so at
/// most three are in memory: one being stored, one waiting, one being filled.
async fn produce<M: Mailbox>(
    mailbox: Arc<M>,
    ids: Vec<String>,
    options: SyncOptions,
    tx: tokio::sync::mpsc::Sender<Produced>,
) {
    let mut batch = Fetched::default();
    let mut bytes = 0usize;
    for id in ids {
        batch.consumed += 1;
        match mailbox.download(&id).await {
            Ok(message) => {
                batch.downloaded += 1;
                bytes += message.body.len();
                let prepared = prepare(&options, mailbox.mailbox_id(), id, message);
                batch.prepared.push(prepared);
            }
            Err(e) if is_fatal(&e) => {
                let _ = tx.send(Produced::Fatal(e)).await;
                return;
            }
            Err(e) => {
                batch
                    .problems
                    .push(problem(ProblemKind::Download, &format!("message {id}"), &e))
            }
        }
        if batch.prepared.len() >= BATCH_MESSAGES || bytes > BATCH_BYTES {
            bytes = 0;
            if tx
                .send(Produced::Batch(std::mem::take(&mut batch)))
                .await
                .is_err()
            {
                return; // the sync stopped
            }
        }
    }
    if batch.consumed > 0 {
        let _ = tx.send(Produced::Batch(batch)).await;
    }
}

/// Parses and classifies a downloaded message (pure CPU work, done by the download task). A
/// message the mailbox could not deliver readable (too large, undecodable) is quarantined with
/// the mailbox's reason and answered 20015 or 10009.
pub(crate) fn prepare(
    options: &SyncOptions,
    mailbox_id: &str,
    id: String,
    message: Message,
) -> Prepared {
    let is_report = message.meta.message_type == MessageType::Report || message.report.is_some();
    let mut parsed = if is_report || message.fault.is_some() {
        handover_toc::Parsed::default()
    } else {
        handover_toc::parse(&message.body)
    };
    let classified = match &message.fault {
        Some(fault) => {
            let code = match fault.kind {
                FaultKind::TooLarge => ResponseCode::TooLarge,
                FaultKind::Undecodable => ResponseCode::Unreadable,
            };
            parsed.input_size = message.body.len() as u64;
            parsed.diagnostics.push(Diagnostic {
                severity: Severity::Fatal,
                itk_code: Some(code.code()),
                location: String::new(),
                message: fault.reason.clone(),
                attention: true,
            });
            Classified {
                classification: Classification::Quarantine {
                    itk_message_id: None,
                    reason: format!("({}) {}", code.code(), fault.reason),
                },
                infrastructure_code: code,
                inf_ack_requested: None,
            }
        }
        None => classify(&parsed, is_report),
    };
    // ITK3 says to answer the message's source.endpoint; MESH says who sent it. When they
    // differ the response follows the endpoint, and the message says so.
    let endpoint = parsed
        .message
        .as_ref()
        .and_then(|m| m.sender_mailbox.clone());
    if let (Some(endpoint), Some(from)) = (&endpoint, &message.meta.from) {
        if !endpoint.trim().eq_ignore_ascii_case(from.trim()) {
            parsed.diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                itk_code: None,
                location: "MessageHeader.source.endpoint".into(),
                message: format!(
                    "responses go to mailbox {endpoint} (the message's source.endpoint), not to {from}, the mailbox that sent it"
                ),
                attention: true,
            });
        }
    }
    let diagnostics = serde_json::to_string(&parsed.diagnostics).expect("diagnostics serialise");
    let receiver = parsed.message.as_ref().and_then(|m| m.receiver.as_ref());
    let responder = Responder {
        ods_code: receiver
            .and_then(|r| r.ods_code.clone())
            .unwrap_or_else(|| options.practice.practice_ods.clone()),
        name: receiver
            .and_then(|r| r.name.clone())
            .unwrap_or_else(|| options.practice.practice_name.clone()),
        mailbox: mailbox_id.to_string(),
    };
    let mailbox_meta =
        serde_json::json!({ "meta": message.meta, "fault": message.fault }).to_string();
    Prepared {
        id,
        parsed,
        classified,
        diagnostics,
        responder,
        body: RawBody::encode(&message.body),
        mailbox_meta,
        message,
    }
}

/// The delivery task for one committed batch: acknowledges its messages, then sends the
/// responses it queued (whose attempts are already on disk). A transient failure pauses
/// sending for the rest of the sync (`paused`); an error about the mailbox as a whole stops it.
async fn deliver<M: Mailbox>(
    mailbox: Arc<M>,
    to_ack: Vec<(String, i64)>,
    to_send: Vec<OutboxItem>,
    paused: Arc<AtomicBool>,
) -> Delivered {
    let mut delivered = Delivered::default();
    for (id, message_id) in to_ack {
        match mailbox.acknowledge(&id).await {
            Ok(()) => delivered.acknowledged.push(message_id),
            Err(e) => {
                delivered.problems.push(problem(
                    ProblemKind::Acknowledgement,
                    &format!("message {id}"),
                    &e,
                ));
                if is_fatal(&e) {
                    delivered.fatal = Some(e);
                    return delivered;
                }
            }
        }
    }
    for item in to_send {
        if paused.load(Ordering::SeqCst) {
            break; // left queued, for the next sync
        }
        match mailbox.send(&outbound(&item)).await {
            Ok(mesh_id) => delivered.sent.push((item.id, mesh_id)),
            Err(e) => {
                delivered
                    .failed
                    .push((item.id, format!("[{}] {e}", e.code())));
                delivered.problems.push(response_problem(&item, &e));
                if is_fatal(&e) {
                    delivered.fatal = Some(e);
                    return delivered;
                }
                if e.is_transient() {
                    // MESH is struggling: leave the rest for the next sync.
                    paused.store(true, Ordering::SeqCst);
                }
            }
        }
    }
    delivered
}

/// The MESH message that carries a queued response.
fn outbound(item: &OutboxItem) -> OutboundMessage {
    response_message(
        &item.to_mailbox,
        &item.workflow_id,
        &item.body,
        &item.local_id,
        &item.response_code,
    )
}

/// The MESH message that carries an ITK3 response (the desktop's and the practice puller's
/// outboxes alike): its local id makes a resend findable, its subject names the code.
pub(crate) fn response_message(
    to_mailbox: &str,
    workflow_id: &str,
    body: &[u8],
    local_id: &str,
    response_code: &str,
) -> OutboundMessage {
    let mut out = OutboundMessage::new(
        to_mailbox.to_string(),
        workflow_id.to_string(),
        body.to_vec(),
    );
    out.local_id = Some(local_id.to_string());
    out.subject = Some(format!("ITK3 response {response_code}"));
    out.content_type = Some("application/fhir+xml".into());
    out
}

fn response_problem(item: &OutboxItem, e: &MeshError) -> SyncProblem {
    problem(
        ProblemKind::Response,
        &format!("response {} to {}", item.response_code, item.to_mailbox),
        e,
    )
}

/// What a mailbox listing brings to a sync: each file it could not read becomes a problem (once
/// per subject), and the ids not seen earlier in this sync are returned, in order.
pub(crate) fn take_listing(
    listing: &handover_mesh::InboxListing,
    seen: &mut std::collections::HashSet<String>,
    problems: &mut Vec<SyncProblem>,
) -> Vec<String> {
    for p in &listing.problems {
        if !problems
            .iter()
            .any(|q| q.subject.as_deref() == Some(&p.subject))
        {
            problems.push(SyncProblem {
                kind: ProblemKind::MailboxFile,
                code: ErrorCode::MailboxSkippedFile,
                message: format!("{}: {}", p.subject, p.reason),
                subject: Some(p.subject.clone()),
            });
        }
    }
    listing
        .message_ids
        .iter()
        .filter(|id| seen.insert((*id).clone()))
        .cloned()
        .collect()
}
