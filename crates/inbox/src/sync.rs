//! The sync engine: list, download, store (one transaction), then acknowledge; then send queued
//! ITK3 responses.
//!
//! # The response outbox: sent at most once, retried until accepted
//!
//! Every ITK3 response is queued in the store's `outbox` table in the same transaction as the
//! message it answers, with a unique `local_id` that goes out as `mex-LocalID`. Flushing works
//! item by item:
//!
//! 1. An item that was never tried is sent straight away.
//! 2. Before each attempt, the attempt is recorded (`attempts + 1`) and committed.
//! 3. When MESH answers 202, the item is marked sent with the MESH message id and is never
//!    looked at again.
//! 4. An item that was tried before but never marked sent (a crash mid-send, a timeout or a
//!    dropped connection after the request may have reached MESH, i.e.
//!    [`MeshError::SendOutcomeUnknown`]) is first **looked up by its local id** through the
//!    engine's [`SentLookup`] (MESH's tracking by local id,
//!    `GET /messageexchange/{mailbox}/outbox/tracking/{local_id}`). Found: it is marked sent
//!    with the id MESH gave it, and not sent again. Not found (404): MESH never accepted it, so
//!    it is sent again. The lookup failing: the item is left for the next sync; it is never
//!    re-sent blind.
//! 5. Failures that certainly did not reach MESH (connection refused, 4xx) are recorded on the
//!    item, and it is retried at the next sync, for as long as it takes.
//!
//! Without a [`SentLookup`] (the folder mailbox, whose sends are local file writes) step 4
//! re-sends, so a crash between writing a response and recording it can repeat that response.
//! [`crate::MailboxSettings::engine`] always installs the lookup for MESH.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use handover_mesh::{Mailbox, MeshError, Message, MessageType, OutboundMessage};
use handover_store::{Incoming, IngestOutcome, OutboxItem, PlannedResponse, Store, StoreError};
use handover_toc::response::{self, Responder, ResponseIds};

use rand::RngCore;
use serde::Serialize;

use crate::classify::{ack_workflow, classify};

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
    /// Per-message or per-response problems that did not stop the sync.
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Mailbox(#[from] MeshError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Mailbox(e) => e.code(),
            SyncError::Store(e) => e.code(),
        }
    }
}

/// How the engine identifies itself and its messages.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// `mesh` or `folder`: recorded with each message.
    pub source: &'static str,
    /// The mailbox key in the store (the MESH mailbox id, or the folder path).
    pub mailbox_key: String,
    /// Only messages of matching workflows are fetched (MESH filter syntax), e.g. `TOC_FHIR_*`.
    pub workflow_filter: Option<String>,
    /// Fallback identity for responses when a message does not name its receiver.
    pub practice_ods: String,
    pub practice_name: String,
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

/// A boxed, `Send` future (what [`SentLookup`] returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Finds a message this mailbox already sent, by the `mex-LocalID` it was sent with: how the
/// outbox learns whether a send whose outcome is unknown reached MESH (see the module docs).
pub trait SentLookup: Send + Sync {
    /// `Ok(Some(mesh_message_id))` when MESH holds a message sent with `local_id`,
    /// `Ok(None)` when it certainly does not.
    fn find_sent<'a>(
        &'a self,
        local_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, MeshError>>;
}

/// Most list-then-process rounds one sync makes when the mailbox reports more waiting
/// (real MESH lists at most 500 ids at a time).
const MAX_ROUNDS: usize = 20;

pub struct SyncEngine<M: Mailbox> {
    mailbox: M,
    options: SyncOptions,
    progress: Option<ProgressFn>,
    sent_lookup: Option<Arc<dyn SentLookup>>,
}

/// Messages stored per transaction: one disk sync per batch instead of per message.
const BATCH_MESSAGES: usize = 64;
/// A batch stops growing past this many downloaded bytes.
const BATCH_BYTES: usize = 32 * 1024 * 1024;

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl<M: Mailbox> SyncEngine<M> {
    pub fn new(mailbox: M, options: SyncOptions) -> Self {
        SyncEngine {
            mailbox,
            options,
            progress: None,
            sent_lookup: None,
        }
    }

    /// Installs the lookup used before re-sending a response whose earlier attempt may have
    /// reached MESH (see the module docs). [`crate::MailboxSettings::engine`] does this.
    pub fn with_sent_lookup(mut self, lookup: Arc<dyn SentLookup>) -> Self {
        self.sent_lookup = Some(lookup);
        self
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
                store.record_sync_success(&key, &now_rfc3339(), !summary.problems.is_empty())?;
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
        for _ in 0..MAX_ROUNDS {
            let listing = self
                .mailbox
                .list_inbox(self.options.workflow_filter.as_deref())
                .await?;
            let fresh: Vec<&String> = listing
                .message_ids
                .iter()
                .filter(|id| seen.insert((*id).clone()))
                .collect();
            let total = fresh.len() as u64;
            let mut done = 0u64;
            for batch in fresh.chunks(BATCH_MESSAGES) {
                if let Some(progress) = &self.progress {
                    progress(SyncProgress { done, total });
                }
                self.take_batch(store, batch, &mut summary).await?;
                done += batch.len() as u64;
            }
            if let Some(progress) = &self.progress {
                progress(SyncProgress { done: total, total });
            }
            // Real MESH lists at most 500 ids: list again while it says more may be waiting
            // and the last round found something new.
            if !listing.maybe_more || fresh.is_empty() {
                break;
            }
        }
        self.finish_acknowledgements(store, &seen, &mut summary)
            .await?;
        self.flush_outbox(store, &mut summary).await?;
        Ok(summary)
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
        let pending: Vec<(i64, String)> = {
            let mut stmt = store
                .connection()
                .prepare(
                    "SELECT id, source_id FROM messages
                     WHERE acknowledged_at IS NULL AND source = ?1 AND mailbox = ?2 ORDER BY id",
                )
                .map_err(StoreError::from)?;
            let rows = stmt
                .query_map(
                    [self.options.source, self.options.mailbox_key.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(StoreError::from)?;
            rows.collect::<Result<_, _>>().map_err(StoreError::from)?
        };
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
                    summary
                        .problems
                        .push(format!("message {source_id}: [{}] {e}", e.code()));
                }
            }
        }
        Ok(())
    }

    /// Download a batch of messages, store them in one transaction, then acknowledge each.
    /// Per-message mailbox trouble is noted in the summary (the message stays in the mailbox
    /// and is taken on a later sync); store trouble or a mailbox that refuses us stops the sync.
    async fn take_batch(
        &self,
        store: &mut Store,
        ids: &[&String],
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let source = self.options.source;
        let key = self.options.mailbox_key.clone();
        // (mailbox id, stored message id) to acknowledge once the batch is committed.
        let mut to_ack: Vec<(String, i64)> = Vec::new();
        let mut downloaded: Vec<(String, Message)> = Vec::new();
        let mut bytes = 0usize;
        let mut consumed = 0usize;
        for id in ids {
            consumed += 1;
            if let Some(message_id) = store.find_message(source, &key, id)? {
                // Stored by an earlier sync that stopped before acknowledging.
                summary.already_stored += 1;
                to_ack.push(((*id).clone(), message_id));
                continue;
            }
            match self.mailbox.download(id).await {
                Ok(message) => {
                    summary.downloaded += 1;
                    bytes += message.body.len();
                    downloaded.push(((*id).clone(), message));
                }
                Err(e) if is_fatal(&e) => return Err(e.into()),
                Err(e) => summary
                    .problems
                    .push(format!("message {id}: [{}] {e}", e.code())),
            }
            // Keep a batch's memory bounded when messages are large.
            if bytes > BATCH_BYTES {
                break;
            }
        }
        if !downloaded.is_empty() {
            store.begin_batch()?;
            let mut outcomes = Vec::with_capacity(downloaded.len());
            for (id, message) in &downloaded {
                match self.store_message(store, id, message) {
                    Ok(outcome) => outcomes.push((id.clone(), outcome)),
                    Err(e) => {
                        store.rollback_batch();
                        return Err(e.into());
                    }
                }
            }
            if let Err(e) = store.commit_batch() {
                store.rollback_batch();
                return Err(e.into());
            }
            for (id, outcome) in outcomes {
                match &outcome {
                    IngestOutcome::Stored { .. } => summary.stored += 1,
                    IngestOutcome::DuplicateMessage { .. }
                    | IngestOutcome::DuplicateDocument { .. } => summary.duplicates += 1,
                    IngestOutcome::Quarantined { .. } => summary.quarantined += 1,
                    IngestOutcome::Response { .. } => summary.responses_received += 1,
                    IngestOutcome::Report { .. } => summary.reports += 1,
                    IngestOutcome::AlreadyStored { .. } => summary.already_stored += 1,
                }
                to_ack.push((id, outcome.message_id()));
            }
        }
        // Committed: now, and only now, tell the mailbox.
        let mut acknowledged = Vec::with_capacity(to_ack.len());
        for (id, message_id) in &to_ack {
            match self.mailbox.acknowledge(id).await {
                Ok(()) => acknowledged.push(*message_id),
                Err(e) if is_fatal(&e) => {
                    store.mark_acknowledged_many(&acknowledged, &now_rfc3339())?;
                    return Err(e.into());
                }
                Err(e) => summary
                    .problems
                    .push(format!("message {id}: [{}] {e}", e.code())),
            }
        }
        store.mark_acknowledged_many(&acknowledged, &now_rfc3339())?;
        summary.acknowledged += acknowledged.len() as u64;
        // A batch cut short by size leaves the rest for the next round of this sync.
        if consumed < ids.len() {
            Box::pin(self.take_batch(store, &ids[consumed..], summary)).await?;
        }
        Ok(())
    }

    fn store_message(
        &self,
        store: &mut Store,
        id: &str,
        message: &Message,
    ) -> Result<IngestOutcome, StoreError> {
        let is_report =
            message.meta.message_type == MessageType::Report || message.report.is_some();
        let parsed = if is_report {
            handover_toc::Parsed::default()
        } else {
            handover_toc::parse(&message.body)
        };
        let classified = classify(&parsed, is_report);
        let received_at = now_rfc3339();
        let incoming = Incoming {
            source: self.options.source,
            mailbox: &self.options.mailbox_key,
            source_id: id,
            workflow_id: message.meta.workflow_id.as_deref(),
            sender_mailbox: message.meta.from.as_deref(),
            received_at: &received_at,
            raw: if is_report && message.body.is_empty() {
                b""
            } else {
                &message.body
            },
        };
        let diagnostics =
            serde_json::to_string(&parsed.diagnostics).expect("diagnostics serialise");
        let responder = self.responder(&parsed);
        store.ingest(
            &incoming,
            &classified.classification,
            &diagnostics,
            |outcome| {
                let code = match outcome {
                    IngestOutcome::Stored { .. } | IngestOutcome::Quarantined { .. } => {
                        classified.infrastructure_code
                    }
                    IngestOutcome::DuplicateMessage { .. } => 20007,
                    IngestOutcome::DuplicateDocument { .. } => 20008,
                    _ => return vec![],
                };
                // A response only when asked for, or when the flags could not be read.
                if classified.inf_ack_requested == Some(false) {
                    return vec![];
                }
                let mut random = [0u8; 80];
                rand::rng().fill_bytes(&mut random);
                let Ok(built) = response::build(
                    &parsed,
                    code,
                    &responder,
                    &ResponseIds::from_random(&random),
                    &received_at,
                ) else {
                    return vec![];
                };
                let Some(to) = built
                    .to_mailbox
                    .clone()
                    .or_else(|| message.meta.from.clone())
                else {
                    return vec![];
                };
                vec![PlannedResponse {
                    kind: "infrastructure",
                    response_code: code.to_string(),
                    to_mailbox: to,
                    workflow_id: ack_workflow(message.meta.workflow_id.as_deref(), parsed.kind),
                    body: built.xml.into_bytes(),
                }]
            },
        )
    }

    fn responder(&self, parsed: &handover_toc::Parsed) -> Responder {
        let receiver = parsed.message.as_ref().and_then(|m| m.receiver.as_ref());
        Responder {
            ods_code: receiver
                .and_then(|r| r.ods_code.clone())
                .unwrap_or_else(|| self.options.practice_ods.clone()),
            name: receiver
                .and_then(|r| r.name.clone())
                .unwrap_or_else(|| self.options.practice_name.clone()),
            mailbox: self.mailbox.mailbox_id().to_string(),
        }
    }

    /// Sends queued responses. Each attempt is recorded before it is made; a response MESH has
    /// accepted is marked sent and never sent again; one that may have reached MESH is looked
    /// up by its local id before it is sent again (see the module docs).
    async fn flush_outbox(
        &self,
        store: &mut Store,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let pending = store.pending_outbox()?;
        for group in pending.chunks(BATCH_MESSAGES) {
            let mut to_send = Vec::with_capacity(group.len());
            for item in group {
                if item.attempts > 0 {
                    if let Some(lookup) = &self.sent_lookup {
                        match lookup.find_sent(&item.local_id).await {
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
                let mut out = OutboundMessage::new(
                    item.to_mailbox.clone(),
                    item.workflow_id.clone(),
                    item.body.clone(),
                );
                out.local_id = Some(item.local_id.clone());
                out.subject = Some(format!("ITK3 response {}", item.response_code));
                out.content_type = Some("application/fhir+xml".into());
                match self.mailbox.send(&out).await {
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
        summary.problems.push(format!(
            "response {} to {}: [{}] {e}",
            item.response_code,
            item.to_mailbox,
            e.code()
        ));
        Ok(())
    }
}

/// Errors that concern the mailbox as a whole (credentials, configuration, TLS), not one
/// message: the sync stops and reports them.
fn is_fatal(e: &MeshError) -> bool {
    matches!(
        e,
        MeshError::Authentication { .. }
            | MeshError::UnknownMailbox { .. }
            | MeshError::Tls { .. }
            | MeshError::InsecureUrl { .. }
            | MeshError::Config(_)
    )
}
