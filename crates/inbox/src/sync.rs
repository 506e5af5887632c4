//! The sync engine: list, download, store (one transaction), then acknowledge; then send queued
//! ITK3 responses.

use handover_mesh::{Mailbox, MeshError, Message, MessageType, OutboundMessage};
use handover_store::{Incoming, IngestOutcome, PlannedResponse, Store, StoreError};
use handover_toc::response::{self, Responder, ResponseIds};
use std::sync::Arc;

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

pub struct SyncEngine<M: Mailbox> {
    mailbox: M,
    options: SyncOptions,
    progress: Option<ProgressFn>,
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl<M: Mailbox> SyncEngine<M> {
    pub fn new(mailbox: M, options: SyncOptions) -> Self {
        SyncEngine {
            mailbox,
            options,
            progress: None,
        }
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
        let listing = self
            .mailbox
            .list_inbox(self.options.workflow_filter.as_deref())
            .await?;
        let total = listing.message_ids.len() as u64;
        for (done, id) in listing.message_ids.iter().enumerate() {
            if let Some(progress) = &self.progress {
                progress(SyncProgress {
                    done: done as u64,
                    total,
                });
            }
            match self.take(store, id, &mut summary).await {
                Ok(()) => {}
                // The store failing is not a per-message problem: stop, acknowledge nothing more.
                Err(SyncError::Store(e)) => return Err(SyncError::Store(e)),
                Err(SyncError::Mailbox(e)) if !e.is_transient() && is_gone(&e) => {
                    summary.problems.push(format!("message {id}: {e}"));
                }
                Err(SyncError::Mailbox(e)) if e.is_transient() => {
                    summary.problems.push(format!("message {id}: {e}"));
                }
                Err(e) => return Err(e),
            }
        }
        if let Some(progress) = &self.progress {
            progress(SyncProgress { done: total, total });
        }
        self.flush_outbox(store, &mut summary).await?;
        Ok(summary)
    }

    /// Download, store, acknowledge one message.
    async fn take(
        &self,
        store: &mut Store,
        id: &str,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let source = self.options.source;
        let key = &self.options.mailbox_key;
        if let Some(message_id) = store.find_message(source, key, id)? {
            // Stored by an earlier sync that stopped before acknowledging.
            self.mailbox.acknowledge(id).await?;
            store.mark_acknowledged(message_id, &now_rfc3339())?;
            summary.already_stored += 1;
            summary.acknowledged += 1;
            return Ok(());
        }
        let message = self.mailbox.download(id).await?;
        summary.downloaded += 1;
        let outcome = self.store_message(store, id, &message)?;
        match &outcome {
            IngestOutcome::Stored { .. } => summary.stored += 1,
            IngestOutcome::DuplicateMessage { .. } | IngestOutcome::DuplicateDocument { .. } => {
                summary.duplicates += 1
            }
            IngestOutcome::Quarantined { .. } => summary.quarantined += 1,
            IngestOutcome::Response { .. } => summary.responses_received += 1,
            IngestOutcome::Report { .. } => summary.reports += 1,
            IngestOutcome::AlreadyStored { .. } => summary.already_stored += 1,
        }
        // Committed: now, and only now, tell the mailbox.
        self.mailbox.acknowledge(id).await?;
        store.mark_acknowledged(outcome.message_id(), &now_rfc3339())?;
        summary.acknowledged += 1;
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
    /// accepted is marked sent and never sent again.
    async fn flush_outbox(
        &self,
        store: &mut Store,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        for item in store.pending_outbox()? {
            store.outbox_attempt(item.id, &now_rfc3339())?;
            let mut out = OutboundMessage::new(
                item.to_mailbox.clone(),
                item.workflow_id.clone(),
                item.body.clone(),
            );
            out.local_id = Some(item.local_id.clone());
            out.subject = Some(format!("ITK3 response {}", item.response_code));
            out.content_type = Some("application/fhir+xml".into());
            match self.mailbox.send(&out).await {
                Ok(mesh_id) => {
                    store.outbox_sent(item.id, &mesh_id, &now_rfc3339())?;
                    summary.responses_sent += 1;
                }
                Err(e) => {
                    store.outbox_failed(item.id, &format!("[{}] {e}", e.code()))?;
                    summary.problems.push(format!(
                        "response {} to {}: {e}",
                        item.response_code, item.to_mailbox
                    ));
                    if !e.is_transient() && matches!(e, MeshError::Authentication { .. }) {
                        return Err(e.into());
                    }
                }
            }
        }
        Ok(())
    }
}

fn is_gone(e: &MeshError) -> bool {
    matches!(e, MeshError::Gone { .. })
}
