//! Storing what a mailbox delivers: each message, its outcome and the responses it needs, in one
//! transaction. The sync engine acknowledges a message to its mailbox only after this commits.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{MessageOutcome, MessageSource, Store, StoreError};

/// A message as delivered by a mailbox.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    pub source: MessageSource,
    /// Our mailbox id (MESH) or the folder path.
    pub mailbox: &'a str,
    /// The mailbox's id for the message: the MESH message id, or the folder mailbox's file id.
    pub source_id: &'a str,
    pub workflow_id: Option<&'a str>,
    pub sender_mailbox: Option<&'a str>,
    /// RFC 3339, UTC.
    pub received_at: &'a str,
    pub raw: &'a [u8],
    /// `raw` encoded for storage ([`crate::RawBody::encode`]), when the caller prepared it off
    /// the store's thread; computed here otherwise.
    pub body: Option<&'a crate::RawBody>,
    /// What the mailbox said about the message (its `mex-*` headers, and why it could not be
    /// read when that is so), as JSON.
    pub mailbox_meta: Option<&'a str>,
}

/// The searchable summary of a parsed document; `model` is the full parse result as JSON.
#[derive(Debug, Clone, Default)]
pub struct DocumentRecord {
    pub kind: handover_toc::DocumentKind,
    pub document_bundle_id: Option<String>,
    pub composition_id: Option<String>,
    pub replaces: Option<String>,
    pub nhs_number: Option<String>,
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub title: Option<String>,
    pub sender: Option<String>,
    /// ODS code of the organisation that sent the document (custodian, else the message's
    /// sender): what a replacement must share with the document it replaces.
    pub sender_org: Option<String>,
    pub care_setting: Option<String>,
    pub document_date: Option<String>,
    /// SHA-256 of the document's content (the parsed document, attachments included): two
    /// deliveries are the same document only when this is equal.
    pub content_sha256: Option<String>,
    /// Medicines added, amended, stopped or put on hold.
    pub med_changes: u32,
    /// Requested actions for the practice that are not done yet.
    pub practice_actions: u32,
    /// JSON object of list flags (medication changes, attachments, ...).
    pub flags: String,
    pub model: String,
    /// Everything searchable in the document (titles, narrative text, medicines), for FTS.
    pub search_text: String,
}

/// What becomes of a message, decided by the caller (`crates/inbox`, where the policy lives)
/// before it is stored; the store records it.
#[derive(Debug, Clone, Copy)]
pub enum Disposition<'a> {
    /// A document, stored and shown, with its links to documents already stored.
    Document {
        document: &'a DocumentRecord,
        links: &'a DocumentLinks,
    },
    /// The same document again (equal content): recorded as another delivery of document `of`.
    Duplicate { of: i64 },
    /// Unreadable, invalid, too large: kept, with the reason, for a person to look at.
    Quarantine { reason: &'a str },
    /// An ITK3 response addressed to us.
    Response,
    /// A MESH non-delivery report.
    Report,
}

/// How a new document relates to documents already stored, as the inbox's policy decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentLinks {
    /// Documents this one replaces (same sender, same patient): marked superseded by it.
    pub supersedes: Vec<i64>,
    /// A replacement received before this document: this one is superseded by it at once.
    pub superseded_by: Option<i64>,
    /// Warnings recorded against documents (this one or others), shown on them.
    pub issues: Vec<IssueNote>,
}

/// A warning about a document's identity, kept with the document and shown on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueNote {
    /// The document the warning is shown on.
    pub on: IssueSubject,
    pub kind: IssueKind,
    /// The other document involved.
    pub other: Option<IssueSubject>,
    /// In plain words.
    pub detail: String,
}

/// A document in an [`IssueNote`]: the one being stored, or one already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueSubject {
    This,
    Stored(i64),
}

/// The kinds of identity warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum IssueKind {
    /// Another document, with other content, was sent under the same identifier.
    IdentifierConflict,
    /// A replacement names a document from another sender or about another patient: nothing
    /// was superseded.
    ReplacementMismatch,
}

impl IssueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::IdentifierConflict => "identifier-conflict",
            IssueKind::ReplacementMismatch => "replacement-mismatch",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "identifier-conflict" => Some(IssueKind::IdentifierConflict),
            "replacement-mismatch" => Some(IssueKind::ReplacementMismatch),
            _ => None,
        }
    }
}

/// What happened to a message. Every variant but `AlreadyStored` stored the message's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum IngestOutcome {
    /// The mailbox delivered this message before and it is stored: only the acknowledgement is
    /// missing (for example after a crash between commit and acknowledgement).
    AlreadyStored {
        message_id: i64,
    },
    Stored {
        message_id: i64,
        document_id: i64,
        superseded: Vec<i64>,
    },
    /// The same document delivered again: kept as a delivery of the existing document.
    Duplicate {
        message_id: i64,
        existing_document_id: i64,
    },
    Quarantined {
        message_id: i64,
    },
    Response {
        message_id: i64,
    },
    Report {
        message_id: i64,
    },
}

impl IngestOutcome {
    pub fn message_id(&self) -> i64 {
        match self {
            IngestOutcome::AlreadyStored { message_id }
            | IngestOutcome::Stored { message_id, .. }
            | IngestOutcome::Duplicate { message_id, .. }
            | IngestOutcome::Quarantined { message_id }
            | IngestOutcome::Response { message_id }
            | IngestOutcome::Report { message_id } => *message_id,
        }
    }
}

/// What [`Store::ingest`] did: the outcome and the responses it queued (their first attempt
/// recorded in the same transaction, so they may be sent as soon as it commits).
#[derive(Debug, Clone)]
pub struct Ingested {
    pub outcome: IngestOutcome,
    pub queued: Vec<OutboxItem>,
}

/// A stored document whose identifiers a new one shares: what the inbox's policy compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorDocument {
    pub id: i64,
    pub document_bundle_id: Option<String>,
    pub composition_id: Option<String>,
    pub replaces: Option<String>,
    pub nhs_number: Option<String>,
    pub sender_org: Option<String>,
    /// None for documents stored before content hashes were kept (equal to nothing).
    pub content_sha256: Option<String>,
    pub superseded_by: Option<i64>,
}

/// The identifiers of a document about to be stored.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocumentIdentity<'a> {
    pub itk_message_id: Option<&'a str>,
    pub document_bundle_id: Option<&'a str>,
    pub composition_id: Option<&'a str>,
    pub replaces: Option<&'a str>,
}

/// The stored documents a new document's identifiers lead to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityMatches {
    /// Documents from messages with the same ITK3 MessageHeader id.
    pub same_message: Vec<PriorDocument>,
    /// Documents with the same document Bundle id.
    pub same_bundle: Vec<PriorDocument>,
    /// Documents the new one says it replaces (by Bundle or Composition id), not yet superseded.
    pub named_by_replaces: Vec<PriorDocument>,
    /// Documents that say they replace the new one (received before it), newest first.
    pub replacing: Vec<PriorDocument>,
}

/// An ITK3 response to queue, decided by the caller.
#[derive(Debug, Clone)]
pub struct PlannedResponse {
    /// `infrastructure` or `business`.
    pub kind: &'static str,
    pub response_code: String,
    pub to_mailbox: String,
    pub workflow_id: String,
    pub body: Vec<u8>,
}

/// A queued ITK3 response.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub message_id: i64,
    pub kind: String,
    pub response_code: String,
    pub to_mailbox: String,
    pub workflow_id: String,
    pub local_id: String,
    pub body: Vec<u8>,
    pub attempts: i64,
    pub sent_at: Option<String>,
    pub mesh_message_id: Option<String>,
}

impl std::fmt::Debug for OutboxItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxItem")
            .field("id", &self.id)
            .field("message_id", &self.message_id)
            .field("response_code", &self.response_code)
            .field("to_mailbox", &self.to_mailbox)
            .field("workflow_id", &self.workflow_id)
            .field("body_bytes", &self.body.len())
            .field("attempts", &self.attempts)
            .field("sent_at", &self.sent_at)
            .finish()
    }
}

/// The `mex-LocalID` a response goes out with: unique to the message it answers (MESH's id for
/// it) and the kind of response, so that the outbox's sent-once lookup by local id can never
/// match a response to another message, even one sent by an earlier installation.
pub fn local_id(source_id: &str, kind: &str) -> String {
    let plain = source_id.len() <= 200
        && source_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    let id = if plain {
        source_id.to_string()
    } else {
        sha256_hex(source_id.as_bytes())[..32].to_string()
    };
    format!("HANDOVER-{id}-{}", kind.to_uppercase())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    /// The stored message a mailbox delivered under `source_id`, if any.
    pub fn find_message(
        &self,
        source: MessageSource,
        mailbox: &str,
        source_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM messages WHERE source = ?1 AND mailbox = ?2 AND source_id = ?3",
                params![source, mailbox, source_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The stored documents that share identifiers with a document about to be stored. Read
    /// inside the batch's transaction, so the decision made from it holds when it is recorded.
    pub fn identity_matches(
        &self,
        id: &DocumentIdentity<'_>,
    ) -> Result<IdentityMatches, StoreError> {
        let mut m = IdentityMatches::default();
        if let Some(itk) = id.itk_message_id {
            m.same_message = self.priors(
                "d.message_id IN (SELECT id FROM messages WHERE itk_message_id = ?1)",
                params![itk],
            )?;
        }
        if let Some(bundle) = id.document_bundle_id {
            m.same_bundle = self.priors("d.document_bundle_id = ?1", params![bundle])?;
        }
        if let Some(target) = id.replaces {
            m.named_by_replaces = self.priors(
                "d.superseded_by IS NULL AND (d.document_bundle_id = ?1 OR d.composition_id = ?1)",
                params![target],
            )?;
        }
        let own: Vec<&str> = [id.document_bundle_id, id.composition_id]
            .into_iter()
            .flatten()
            .collect();
        for own_id in own {
            for p in self.priors("d.replaces = ?1", params![own_id])? {
                if !m.replacing.iter().any(|q| q.id == p.id) {
                    m.replacing.push(p);
                }
            }
        }
        m.replacing.sort_by_key(|p| std::cmp::Reverse(p.id));
        Ok(m)
    }

    fn priors(
        &self,
        condition: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<PriorDocument>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT d.id, d.document_bundle_id, d.composition_id, d.replaces, d.nhs_number,
                    d.sender_org, d.content_sha256, d.superseded_by
             FROM documents d WHERE {condition} ORDER BY d.id"
        ))?;
        let rows = stmt.query_map(args, |r| {
            Ok(PriorDocument {
                id: r.get(0)?,
                document_bundle_id: r.get(1)?,
                composition_id: r.get(2)?,
                replaces: r.get(3)?,
                nhs_number: r.get(4)?,
                sender_org: r.get(5)?,
                content_sha256: r.get(6)?,
                superseded_by: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores a message and what the caller decided becomes of it, and queues `responses` for
    /// it (their first attempt recorded), all in one transaction (a SAVEPOINT: its own durable
    /// transaction when none is open, or part of the caller's batch). Idempotent: a message
    /// already stored under the same mailbox id is not stored again and gets no new responses.
    pub fn ingest(
        &mut self,
        incoming: &Incoming<'_>,
        itk_message_id: Option<&str>,
        disposition: Disposition<'_>,
        diagnostics_json: &str,
        responses: &[PlannedResponse],
    ) -> Result<Ingested, StoreError> {
        let tx = self.conn.savepoint()?;
        if let Some(message_id) = tx
            .query_row(
                "SELECT id FROM messages WHERE source = ?1 AND mailbox = ?2 AND source_id = ?3",
                params![incoming.source, incoming.mailbox, incoming.source_id],
                |r| r.get(0),
            )
            .optional()?
        {
            return Ok(Ingested {
                outcome: IngestOutcome::AlreadyStored { message_id },
                queued: vec![],
            });
        }
        let row = |outcome: MessageOutcome, duplicate_of, reason| MessageRow {
            itk_message_id,
            outcome,
            duplicate_of,
            quarantine_reason: reason,
            diagnostics_json,
        };
        let outcome = match disposition {
            Disposition::Document { document, links } => {
                let message_id =
                    insert_message(&tx, incoming, &row(MessageOutcome::Stored, None, None))?;
                let (document_id, superseded) =
                    insert_document(&tx, incoming, message_id, document, links)?;
                IngestOutcome::Stored {
                    message_id,
                    document_id,
                    superseded,
                }
            }
            Disposition::Duplicate { of } => IngestOutcome::Duplicate {
                message_id: insert_message(
                    &tx,
                    incoming,
                    &row(MessageOutcome::Duplicate, Some(of), None),
                )?,
                existing_document_id: of,
            },
            Disposition::Quarantine { reason } => IngestOutcome::Quarantined {
                message_id: insert_message(
                    &tx,
                    incoming,
                    &row(MessageOutcome::Quarantined, None, Some(reason)),
                )?,
            },
            Disposition::Response => IngestOutcome::Response {
                message_id: insert_message(
                    &tx,
                    incoming,
                    &row(MessageOutcome::Response, None, None),
                )?,
            },
            Disposition::Report => IngestOutcome::Report {
                message_id: insert_message(
                    &tx,
                    incoming,
                    &row(MessageOutcome::Report, None, None),
                )?,
            },
        };

        let message_id = outcome.message_id();
        tx.prepare_cached(
            "DELETE FROM download_failures WHERE source = ?1 AND mailbox = ?2 AND source_id = ?3",
        )?
        .execute(params![
            incoming.source,
            incoming.mailbox,
            incoming.source_id
        ])?;
        let mut queued = Vec::with_capacity(responses.len());
        for response in responses {
            let local_id = local_id(incoming.source_id, response.kind);
            tx.execute(
                "INSERT INTO outbox (message_id, kind, response_code, to_mailbox, workflow_id, local_id, body,
                                     created_at, attempts, last_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?8)",
                params![
                    message_id,
                    response.kind,
                    response.response_code,
                    response.to_mailbox,
                    response.workflow_id,
                    local_id,
                    response.body,
                    incoming.received_at,
                ],
            )?;
            queued.push(OutboxItem {
                id: tx.last_insert_rowid(),
                message_id,
                kind: response.kind.to_string(),
                response_code: response.response_code.clone(),
                to_mailbox: response.to_mailbox.clone(),
                workflow_id: response.workflow_id.clone(),
                local_id,
                body: response.body.clone(),
                attempts: 1,
                sent_at: None,
                mesh_message_id: None,
            });
        }
        tx.commit()?;
        Ok(Ingested { outcome, queued })
    }

    /// Counts a failed download of a message (one that could not be fetched or decoded) and
    /// returns how many times it has now failed.
    pub fn note_download_failure(
        &self,
        source: MessageSource,
        mailbox: &str,
        source_id: &str,
        error: &str,
        at: &str,
    ) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "INSERT INTO download_failures (source, mailbox, source_id, attempts, first_failed_at, last_failed_at, last_error)
             VALUES (?1, ?2, ?3, 1, ?5, ?5, ?4)
             ON CONFLICT (source, mailbox, source_id) DO UPDATE SET attempts = attempts + 1,
                 last_failed_at = excluded.last_failed_at, last_error = excluded.last_error
             RETURNING attempts",
            params![source, mailbox, source_id, error, at],
            |r| r.get(0),
        )?)
    }

    /// Starts a batch: the `ingest` calls that follow commit together, durably, at
    /// [`Store::commit_batch`] (one disk sync for the lot). Nothing in a batch may be acknowledged
    /// to a mailbox before that commit returns.
    pub fn begin_batch(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    pub fn commit_batch(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Abandons a batch: none of its messages is stored (so none may be acknowledged).
    pub fn rollback_batch(&self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    /// Records, in one transaction, that the mailbox was told about these messages.
    pub fn mark_acknowledged_many(&self, message_ids: &[i64], at: &str) -> Result<(), StoreError> {
        if message_ids.is_empty() {
            return Ok(());
        }
        self.in_transaction(|conn| {
            let mut stmt = conn.prepare_cached(
                "UPDATE messages SET acknowledged_at = ?2 WHERE id = ?1 AND acknowledged_at IS NULL",
            )?;
            for id in message_ids {
                stmt.execute(params![id, at])?;
            }
            Ok(())
        })
    }

    /// `(stored message id, mailbox message id)` of messages from this mailbox that are stored
    /// but not recorded as acknowledged, oldest first.
    pub fn unacknowledged_messages(
        &self,
        source: MessageSource,
        mailbox: &str,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, source_id FROM messages
             WHERE acknowledged_at IS NULL AND source = ?1 AND mailbox = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![source, mailbox], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that the mailbox was told about the message (after the commit above).
    pub fn mark_acknowledged(&self, message_id: i64, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE messages SET acknowledged_at = ?2 WHERE id = ?1 AND acknowledged_at IS NULL",
            params![message_id, at],
        )?;
        Ok(())
    }

    /// Responses not yet accepted by MESH, oldest first.
    pub fn pending_outbox(&self) -> Result<Vec<OutboxItem>, StoreError> {
        self.outbox_where("sent_at IS NULL", [])
    }

    pub fn outbox(&self) -> Result<Vec<OutboxItem>, StoreError> {
        self.outbox_where("1 = 1", [])
    }

    /// The responses queued for one stored message and not yet accepted by MESH.
    pub fn pending_outbox_for_message(
        &self,
        message_id: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.outbox_where("message_id = ?1 AND sent_at IS NULL", [message_id])
    }

    fn outbox_where(
        &self,
        condition: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, message_id, kind, response_code, to_mailbox, workflow_id, local_id, body, attempts,
                    sent_at, mesh_message_id
             FROM outbox WHERE {condition} ORDER BY id"
        ))?;
        let rows = stmt.query_map(args, |r| {
            Ok(OutboxItem {
                id: r.get(0)?,
                message_id: r.get(1)?,
                kind: r.get(2)?,
                response_code: r.get(3)?,
                to_mailbox: r.get(4)?,
                workflow_id: r.get(5)?,
                local_id: r.get(6)?,
                body: r.get(7)?,
                attempts: r.get(8)?,
                sent_at: r.get(9)?,
                mesh_message_id: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Notes an attempt to send before it is made, so a crash mid-send is known about on restart.
    pub fn outbox_attempt(&self, id: i64, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2 WHERE id = ?1",
            params![id, at],
        )?;
        Ok(())
    }

    /// Notes, in one transaction, an attempt at each of these responses (before sending them).
    pub fn outbox_attempt_many(&self, ids: &[i64], at: &str) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.in_transaction(|conn| {
            let mut stmt = conn.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2 WHERE id = ?1",
            )?;
            for id in ids {
                stmt.execute(params![id, at])?;
            }
            Ok(())
        })
    }

    /// Records, in one transaction, responses MESH accepted: `(outbox id, MESH message id)`.
    pub fn outbox_sent_many(&self, sent: &[(i64, String)], at: &str) -> Result<(), StoreError> {
        if sent.is_empty() {
            return Ok(());
        }
        self.in_transaction(|conn| {
            let mut stmt = conn.prepare_cached(
                "UPDATE outbox SET sent_at = ?3, mesh_message_id = ?2, last_error = NULL WHERE id = ?1",
            )?;
            for (id, mesh_id) in sent {
                stmt.execute(params![id, mesh_id, at])?;
            }
            Ok(())
        })
    }

    /// Runs `f` in its own transaction, or as part of the caller's when a batch is open.
    fn in_transaction(
        &self,
        f: impl FnOnce(&Connection) -> Result<(), rusqlite::Error>,
    ) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            return Ok(f(&self.conn)?);
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(&self.conn) {
            Ok(()) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(())
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e.into())
            }
        }
    }

    pub fn outbox_sent(&self, id: i64, mesh_message_id: &str, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET sent_at = ?3, mesh_message_id = ?2, last_error = NULL WHERE id = ?1",
            params![id, mesh_message_id, at],
        )?;
        Ok(())
    }

    pub fn outbox_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }
}

/// The columns of a `messages` row that say what became of it.
struct MessageRow<'a> {
    itk_message_id: Option<&'a str>,
    outcome: MessageOutcome,
    duplicate_of: Option<i64>,
    quarantine_reason: Option<&'a str>,
    diagnostics_json: &'a str,
}

fn insert_message(
    tx: &Connection,
    m: &Incoming<'_>,
    row: &MessageRow<'_>,
) -> Result<i64, StoreError> {
    let encoded;
    let body = match m.body {
        Some(body) => {
            debug_assert_eq!(
                body.size,
                m.raw.len(),
                "the body prepared is for these bytes"
            );
            body
        }
        None => {
            encoded = crate::RawBody::encode(m.raw);
            &encoded
        }
    };
    let mut stmt = tx.prepare_cached(
        "INSERT INTO messages (source, mailbox, source_id, workflow_id, sender_mailbox, received_at, raw,
                               raw_encoding, raw_size, sha256,
                               itk_message_id, outcome, duplicate_of, quarantine_reason, diagnostics,
                               mailbox_meta)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    stmt.execute(params![
        m.source,
        m.mailbox,
        m.source_id,
        m.workflow_id,
        m.sender_mailbox,
        m.received_at,
        body.stored,
        body.encoding,
        body.size as i64,
        body.sha256,
        row.itk_message_id,
        row.outcome,
        row.duplicate_of,
        row.quarantine_reason,
        row.diagnostics_json,
        m.mailbox_meta,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Inserts a document and records its links (what it supersedes, what supersedes it, and the
/// identity warnings the policy raised). Returns its id and the ids it superseded.
fn insert_document(
    tx: &Connection,
    m: &Incoming<'_>,
    message_id: i64,
    d: &DocumentRecord,
    links: &DocumentLinks,
) -> Result<(i64, Vec<i64>), StoreError> {
    tx.prepare_cached(
        "INSERT INTO documents (message_id, kind, document_bundle_id, composition_id, replaces, nhs_number,
                                patient_name, birth_date, title, sender, care_setting, document_date,
                                received_at, flags, sender_org, content_sha256, superseded_by,
                                med_changes, practice_actions)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )?
    .execute(params![
        message_id,
        d.kind.as_str(),
        d.document_bundle_id,
        d.composition_id,
        d.replaces,
        d.nhs_number,
        d.patient_name,
        d.birth_date,
        d.title,
        d.sender,
        d.care_setting,
        d.document_date,
        m.received_at,
        if d.flags.is_empty() { "{}" } else { &d.flags },
        d.sender_org,
        d.content_sha256,
        links.superseded_by,
        d.med_changes,
        d.practice_actions,
    ])?;
    let document_id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO document_models (document_id, model) VALUES (?1, ?2)")?
        .execute(params![document_id, d.model])?;
    tx.prepare_cached(
        "INSERT INTO documents_fts (rowid, patient_name, nhs_number, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        document_id,
        d.patient_name,
        d.nhs_number,
        d.search_text
    ])?;

    let mut superseded = Vec::with_capacity(links.supersedes.len());
    let mut mark = tx.prepare_cached(
        "UPDATE documents SET superseded_by = ?1 WHERE id = ?2 AND id != ?1 AND superseded_by IS NULL",
    )?;
    for older in &links.supersedes {
        if mark.execute(params![document_id, older])? == 1 {
            superseded.push(*older);
        }
    }
    let resolve = |s: IssueSubject| match s {
        IssueSubject::This => document_id,
        IssueSubject::Stored(id) => id,
    };
    let mut issue = tx.prepare_cached(
        "INSERT INTO document_issues (document_id, kind, other_document_id, detail, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for note in &links.issues {
        issue.execute(params![
            resolve(note.on),
            note.kind.as_str(),
            note.other.map(resolve),
            note.detail,
            m.received_at,
        ])?;
    }
    Ok((document_id, superseded))
}

impl Store {
    /// Keeps a quarantined message's document as a document after all (a person matched it by
    /// hand: see `crates/inbox/src/by_hand.rs`). The message is then stored, no longer in
    /// quarantine; its quarantine reason stays recorded on it. Returns the document's id.
    pub fn promote_quarantined(
        &self,
        message_id: i64,
        record: &DocumentRecord,
    ) -> Result<i64, StoreError> {
        self.atomically(|s| {
            let row: Option<(String, String, MessageSource, String, String)> = s
                .conn
                .query_row(
                    "SELECT outcome, received_at, source, mailbox, source_id FROM messages WHERE id = ?1",
                    params![message_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((outcome, received_at, source, mailbox, source_id)) = row else {
                return Err(StoreError::MessageNotFound { id: message_id });
            };
            if outcome != MessageOutcome::Quarantined.as_str() {
                return Err(StoreError::MessageNotFound { id: message_id });
            }
            let incoming = Incoming {
                source,
                mailbox: &mailbox,
                source_id: &source_id,
                workflow_id: None,
                sender_mailbox: None,
                received_at: &received_at,
                raw: &[],
                body: None,
                mailbox_meta: None,
            };
            let (document_id, _) = insert_document(
                &s.conn,
                &incoming,
                message_id,
                record,
                &DocumentLinks::default(),
            )?;
            s.conn.execute(
                "UPDATE messages SET outcome = ?2 WHERE id = ?1",
                params![message_id, MessageOutcome::Stored],
            )?;
            Ok(document_id)
        })
    }
}
