//! The practice server's MESH puller (issue 14): what `handover serve` does each round.
//!
//! One process per practice talks to MESH, beside the practice's PostgreSQL server, holding the
//! practice's lease ([`LeaseKeeper`]). A round:
//!
//! 1. lists the mailbox; messages already on the server (by mailbox and MESH message id) are
//!    only acknowledged again;
//! 2. downloads the rest in batches of [`BATCH_MESSAGES`], and parses and classifies each
//!    exactly as the desktop does (`sync::prepare`: `handover_toc::parse`, `classify`, the same
//!    infrastructure response);
//! 3. stores each batch in **one** transaction fenced by the lease's epoch
//!    ([`handover_practice::FencedIngest`]): messages as received, each document once by its
//!    content hash (the same content again is a `duplicate` message, answered 20007 when it
//!    repeats the ITK3 message id, else 20008), and the responses to send in the outbox. The
//!    epoch is checked just before COMMIT, and again by the database at COMMIT: a puller that
//!    lost its lease commits nothing (`lease_lost`);
//! 4. only after that commit acknowledges the batch's messages to the mailbox, and records
//!    the acknowledgements; nothing of a batch that did not commit is acknowledged;
//! 5. acknowledges again stored messages whose acknowledgement was never recorded (a crash
//!    between commit and acknowledgement, or between acknowledgement and recording it);
//! 6. confirms the lease is still its own, and sends the outbox: each attempt recorded before
//!    it is made, a response tried before looked up by its `mex-LocalID` first (MESH), marked
//!    sent after MESH took it.
//!
//! Not yet (see ARCHITECTURE.md, issue 14): matching to the register and the `received`
//! workflow events (the register lives on the desktops for now), business responses,
//! replacement and identifier-conflict policy (`policy::place` needs the identity reads on
//! the server), retries of undecodable messages before quarantine (quarantined at once here).

use std::collections::HashSet;

use handover_errors::{Coded, ErrorCode};
use handover_mesh::{Mailbox, MeshError, OutboundMessage};
use handover_practice::{
    LeaseKeeper, MessageOutcome, OutboxEntry, PracticeDb, PracticeError, QueuedResponse,
    ReceivedDocument, ReceivedMessage,
};
use handover_store::{ProblemKind, SyncProblem};
use handover_toc::ResponseCode;
use serde::Serialize;

use crate::classify::Classification;
use crate::sync::{infrastructure_response, is_fatal, now_rfc3339, prepare, Prepared};
use crate::SyncOptions;

/// Messages stored per transaction.
pub const BATCH_MESSAGES: usize = 64;
/// Most list-then-process passes one round makes when the mailbox says more may be waiting.
const MAX_PASSES: usize = 20;

/// What one round did; `handover serve --once --json` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServeSummary {
    /// The lease holder and the epoch this round ran under.
    pub holder: String,
    pub epoch: i64,
    pub downloaded: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub responses_received: u64,
    pub reports: u64,
    /// Listed messages found on the server already (stored by an earlier round that stopped
    /// before acknowledging): acknowledged now, not stored again.
    pub already_stored: u64,
    pub acknowledged: u64,
    pub responses_queued: u64,
    pub responses_sent: u64,
    pub problems: Vec<SyncProblem>,
}

impl ServeSummary {
    /// Every message downloaded is accounted for once.
    pub fn adds_up(&self) -> bool {
        self.downloaded
            == self.stored
                + self.duplicates
                + self.quarantined
                + self.responses_received
                + self.reports
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Mailbox(#[from] MeshError),
    #[error(transparent)]
    Practice(#[from] PracticeError),
}

impl Coded for ServeError {
    fn code(&self) -> ErrorCode {
        match self {
            ServeError::Mailbox(e) => e.code(),
            ServeError::Practice(e) => e.code(),
        }
    }
}

/// Fault injection for the crash tests (feature `test-hooks`, enabled only by the CLI's
/// dev-dependencies): `HANDOVER_TEST_HOLD_BEFORE_COMMIT=1` says so on stderr and waits for a
/// line on stdin just before a batch commits (the lease is renewed meanwhile);
/// `HANDOVER_TEST_CRASH_AFTER_COMMIT=1` aborts the process just after the first commit,
/// before anything is acknowledged; `HANDOVER_TEST_BATCH_MESSAGES=N` stores batches of N
/// messages instead of [`BATCH_MESSAGES`](super::BATCH_MESSAGES) (more commits per round, for
/// the random-kill test).
mod hooks {
    #[cfg(feature = "test-hooks")]
    fn set(name: &str) -> bool {
        std::env::var(name).is_ok_and(|v| v == "1")
    }

    /// Waits off the runtime, so the lease keeps being renewed meanwhile (until the process
    /// is stopped).
    pub(super) async fn before_commit() {
        #[cfg(feature = "test-hooks")]
        if set("HANDOVER_TEST_HOLD_BEFORE_COMMIT") {
            eprintln!("HANDOVER-TEST holding before commit");
            let _ = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)
            })
            .await;
        }
    }

    pub(super) fn batch_messages() -> usize {
        #[cfg(feature = "test-hooks")]
        if let Some(n) = std::env::var("HANDOVER_TEST_BATCH_MESSAGES")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
        {
            return n;
        }
        super::BATCH_MESSAGES
    }

    pub(super) fn after_commit() {
        #[cfg(feature = "test-hooks")]
        if set("HANDOVER_TEST_CRASH_AFTER_COMMIT") {
            eprintln!("HANDOVER-TEST crashing after commit");
            std::process::abort();
        }
    }
}

fn problem(kind: ProblemKind, subject: &str, e: &MeshError) -> SyncProblem {
    SyncProblem {
        kind,
        code: e.code(),
        message: format!("{subject}: {e}"),
        subject: Some(subject.to_string()),
    }
}

/// One round: take what waits in the mailbox into the practice server, acknowledge it, send
/// the outbox. `db` is the puller's connection for the work; `lease` holds the lease on one
/// of its own. Stops with `lease_lost` as soon as the lease is known to be gone; nothing of a
/// batch that did not commit is acknowledged.
pub async fn serve_round<M: Mailbox>(
    db: &mut PracticeDb,
    lease: &LeaseKeeper,
    mailbox: &M,
    options: &SyncOptions,
) -> Result<ServeSummary, ServeError> {
    let mut summary = ServeSummary {
        holder: lease.holder().to_string(),
        epoch: lease.epoch(),
        ..ServeSummary::default()
    };
    let mut seen = HashSet::new();
    for _ in 0..MAX_PASSES {
        lease.check()?;
        let listing = mailbox
            .list_inbox(options.workflow_filter.as_deref())
            .await?;
        let fresh = crate::sync::take_listing(&listing, &mut seen, &mut summary.problems);
        let found_new = !fresh.is_empty();
        for batch in fresh.chunks(hooks::batch_messages()) {
            take_batch(db, lease, mailbox, options, batch, &mut summary).await?;
        }
        if !listing.maybe_more || !found_new {
            break;
        }
    }
    finish_acknowledgements(db, mailbox, options, &seen, &mut summary).await?;
    send_outbox(db, lease, mailbox, &mut summary).await?;
    Ok(summary)
}

/// Downloads, stores (one fenced transaction) and then acknowledges one batch of listed ids.
async fn take_batch<M: Mailbox>(
    db: &mut PracticeDb,
    lease: &LeaseKeeper,
    mailbox: &M,
    options: &SyncOptions,
    ids: &[String],
    summary: &mut ServeSummary,
) -> Result<(), ServeError> {
    let key = options.mailbox_key.as_str();
    // (MESH id, server message id) to acknowledge once the batch is committed.
    let mut to_ack: Vec<(String, i64)> = Vec::new();
    let mut prepared: Vec<Prepared> = Vec::new();
    for id in ids {
        if let Some(stored) = db.find_message(key, id).await? {
            summary.already_stored += 1;
            to_ack.push((id.clone(), stored.message_id));
            continue;
        }
        match mailbox.download(id).await {
            Ok(message) => {
                summary.downloaded += 1;
                prepared.push(prepare(options, mailbox.mailbox_id(), id.clone(), message));
            }
            Err(e) if is_fatal(&e) => return Err(e.into()),
            Err(e) => {
                summary
                    .problems
                    .push(problem(ProblemKind::Download, &format!("message {id}"), &e))
            }
        }
    }
    if !prepared.is_empty() {
        let stored = store_batch(db, lease, options, &prepared, summary).await?;
        to_ack.extend(stored);
    }
    // Committed (or stored before): now, and only now, tell the mailbox.
    let mut acknowledged = Vec::with_capacity(to_ack.len());
    let mut fatal = None;
    for (id, message_id) in to_ack {
        match mailbox.acknowledge(&id).await {
            Ok(()) | Err(MeshError::Gone { .. }) => acknowledged.push(message_id),
            Err(e) => {
                summary.problems.push(problem(
                    ProblemKind::Acknowledgement,
                    &format!("message {id}"),
                    &e,
                ));
                if is_fatal(&e) {
                    fatal = Some(e);
                    break;
                }
            }
        }
    }
    summary.acknowledged += acknowledged.len() as u64;
    db.mark_acknowledged(&acknowledged).await?;
    match fatal {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Stores a batch in one transaction that commits only under the lease's current epoch.
/// Returns `(MESH id, server message id)` of every message in it, to acknowledge.
async fn store_batch(
    db: &mut PracticeDb,
    lease: &LeaseKeeper,
    options: &SyncOptions,
    batch: &[Prepared],
    summary: &mut ServeSummary,
) -> Result<Vec<(String, i64)>, ServeError> {
    lease.check()?;
    let key = options.mailbox_key.as_str();
    let received_at = now_rfc3339();
    let mut counts = ServeSummary::default();
    let mut out = Vec::with_capacity(batch.len());
    let ingest = db.begin_ingest(lease.holder(), lease.epoch()).await?;
    for p in batch {
        // Stored meanwhile (a puller that held the lease before us): acknowledge only.
        if let Some(stored) = ingest.find_message(key, &p.id).await? {
            counts.already_stored += 1;
            out.push((p.id.clone(), stored.message_id));
            continue;
        }
        let itk_message_id = p.classified.classification.itk_message_id();
        let (outcome, reason, document, code) = match &p.classified.classification {
            Classification::Document { document, .. } => {
                match document.content_sha256.as_deref() {
                    Some(content) => match ingest.find_document(content).await? {
                        Some(first) => {
                            let code = if first.is_some() && first.as_deref() == itk_message_id {
                                ResponseCode::DuplicateMessage
                            } else {
                                ResponseCode::DuplicateDocument
                            };
                            (MessageOutcome::Duplicate, None, Some(document), Some(code))
                        }
                        None => (
                            MessageOutcome::Stored,
                            None,
                            Some(document),
                            Some(ResponseCode::Success),
                        ),
                    },
                    // Never so for a fresh parse; kept rather than lost if it were.
                    None => (
                        MessageOutcome::Quarantined,
                        Some("the document has no content hash".to_string()),
                        None,
                        Some(ResponseCode::PayloadInvalid),
                    ),
                }
            }
            Classification::Quarantine { reason, .. } => (
                MessageOutcome::Quarantined,
                Some(reason.clone()),
                None,
                Some(p.classified.infrastructure_code),
            ),
            Classification::Response { .. } => (MessageOutcome::Response, None, None, None),
            Classification::Report => (MessageOutcome::Report, None, None, None),
        };
        let planned: Vec<_> = code
            .and_then(|code| infrastructure_response(p, code, &received_at))
            .into_iter()
            .collect();
        let local_ids: Vec<String> = planned
            .iter()
            .map(|r| handover_store::local_id(&p.id, r.kind))
            .collect();
        let responses: Vec<QueuedResponse> = planned
            .iter()
            .zip(&local_ids)
            .map(|(r, local_id)| QueuedResponse {
                kind: r.kind,
                response_code: &r.response_code,
                to_mailbox: &r.to_mailbox,
                workflow_id: &r.workflow_id,
                local_id,
                body: &r.body,
            })
            .collect();
        let kind = document.map(|d| d.kind.as_str());
        let new_document = match (outcome, document) {
            (MessageOutcome::Stored, Some(d)) => Some(ReceivedDocument {
                document_key: d.content_sha256.as_deref().unwrap_or_default(),
                kind: kind.unwrap_or_default(),
                itk_message_id,
                document_bundle_id: d.document_bundle_id.as_deref(),
                composition_id: d.composition_id.as_deref(),
                replaces: d.replaces.as_deref(),
                nhs_number: d.nhs_number.as_deref(),
                patient_name: d.patient_name.as_deref(),
                birth_date: d.birth_date.as_deref(),
                title: d.title.as_deref(),
                sender: d.sender.as_deref(),
                sender_org: d.sender_org.as_deref(),
                care_setting: d.care_setting.as_deref(),
                document_date: d.document_date.as_deref(),
                flags: &d.flags,
                med_changes: d.med_changes as i32,
                practice_actions: d.practice_actions as i32,
                model: &d.model,
                search_text: &d.search_text,
            }),
            _ => None,
        };
        let message = ReceivedMessage {
            mailbox: key,
            source_id: &p.id,
            workflow_id: p.message.meta.workflow_id.as_deref(),
            sender_mailbox: p.message.meta.from.as_deref(),
            itk_message_id,
            raw: &p.message.body,
            mailbox_meta: Some(&p.mailbox_meta),
            diagnostics: &p.diagnostics,
            outcome,
            reason: reason.as_deref(),
            document_key: document.and_then(|d| d.content_sha256.as_deref()),
        };
        let message_id = ingest
            .store_message(&message, new_document.as_ref(), &responses)
            .await?;
        counts.responses_queued += responses.len() as u64;
        match outcome {
            MessageOutcome::Stored => counts.stored += 1,
            MessageOutcome::Duplicate => counts.duplicates += 1,
            MessageOutcome::Quarantined => counts.quarantined += 1,
            MessageOutcome::Response => counts.responses_received += 1,
            MessageOutcome::Report => counts.reports += 1,
        }
        out.push((p.id.clone(), message_id));
    }
    hooks::before_commit().await;
    // The lease as this process knows it, then as the database knows it (inside COMMIT).
    lease.check()?;
    ingest.commit().await?;
    hooks::after_commit();
    summary.already_stored += counts.already_stored;
    summary.stored += counts.stored;
    summary.duplicates += counts.duplicates;
    summary.quarantined += counts.quarantined;
    summary.responses_received += counts.responses_received;
    summary.reports += counts.reports;
    summary.responses_queued += counts.responses_queued;
    Ok(out)
}

/// Stored messages whose acknowledgement was never recorded and that the mailbox no longer
/// lists (acknowledged, but the process stopped before recording it): acknowledging is
/// idempotent, so acknowledge again and record it.
async fn finish_acknowledgements<M: Mailbox>(
    db: &PracticeDb,
    mailbox: &M,
    options: &SyncOptions,
    listed: &HashSet<String>,
    summary: &mut ServeSummary,
) -> Result<(), ServeError> {
    let pending = db.unacknowledged_messages(&options.mailbox_key).await?;
    let mut done = Vec::new();
    for (message_id, source_id) in pending {
        if listed.contains(&source_id) {
            continue; // taken above; still unacknowledged only if that failed
        }
        match mailbox.acknowledge(&source_id).await {
            Ok(()) | Err(MeshError::Gone { .. }) => done.push(message_id),
            Err(e) if is_fatal(&e) => {
                db.mark_acknowledged(&done).await?;
                return Err(e.into());
            }
            Err(e) => summary.problems.push(problem(
                ProblemKind::Acknowledgement,
                &format!("message {source_id}"),
                &e,
            )),
        }
    }
    db.mark_acknowledged(&done).await?;
    Ok(())
}

fn outbound(item: &OutboxEntry) -> OutboundMessage {
    crate::sync::response_message(
        &item.to_mailbox,
        &item.workflow_id,
        &item.body,
        &item.local_id,
        &item.response_code,
    )
}

/// Sends the outbox, while the lease is this puller's.
async fn send_outbox<M: Mailbox>(
    db: &PracticeDb,
    lease: &LeaseKeeper,
    mailbox: &M,
    summary: &mut ServeSummary,
) -> Result<(), ServeError> {
    // Sending is not fenced by a commit: confirm the lease with the database first.
    lease.confirm().await?;
    let pending = db.pending_outbox(10_000).await?;
    for item in &pending {
        lease.check()?;
        let subject = format!("response {} to {}", item.response_code, item.to_mailbox);
        if item.attempts > 0 && mailbox.can_find_sent() {
            match mailbox.find_sent(&item.local_id).await {
                Ok(Some(mesh_id)) => {
                    // An earlier attempt reached MESH: record it, do not send again.
                    db.outbox_sent(item.outbox_id, &mesh_id).await?;
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    db.outbox_failed(item.outbox_id, &format!("[{}] {e}", e.code()))
                        .await?;
                    summary
                        .problems
                        .push(problem(ProblemKind::Response, &subject, &e));
                    if is_fatal(&e) {
                        return Err(e.into());
                    }
                    if e.is_transient() {
                        return Ok(()); // MESH is struggling: the rest wait for the next round
                    }
                    continue;
                }
            }
        }
        db.outbox_attempt(item.outbox_id).await?;
        match mailbox.send(&outbound(item)).await {
            Ok(mesh_id) => {
                db.outbox_sent(item.outbox_id, &mesh_id).await?;
                summary.responses_sent += 1;
            }
            Err(e) => {
                db.outbox_failed(item.outbox_id, &format!("[{}] {e}", e.code()))
                    .await?;
                summary
                    .problems
                    .push(problem(ProblemKind::Response, &subject, &e));
                if is_fatal(&e) {
                    return Err(e.into());
                }
                if e.is_transient() {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}
