//! Storing what a mailbox delivers: each message, its outcome and the responses it needs, in one
//! transaction. The sync engine acknowledges a message to its mailbox only after this commits.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError};

/// A message as delivered by a mailbox.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    /// `mesh`, `folder` or `import`.
    pub source: &'a str,
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
}

/// The searchable summary of a parsed document; `model` is the full parse result as JSON.
#[derive(Debug, Clone, Default)]
pub struct DocumentRecord {
    pub kind: String,
    pub document_bundle_id: Option<String>,
    pub composition_id: Option<String>,
    pub replaces: Option<String>,
    pub nhs_number: Option<String>,
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub title: Option<String>,
    pub sender: Option<String>,
    pub care_setting: Option<String>,
    pub document_date: Option<String>,
    /// JSON object of list flags (medication changes, attachments, ...).
    pub flags: String,
    pub model: String,
    /// Everything searchable in the document (titles, narrative text, medicines), for FTS.
    pub search_text: String,
}

/// What the parser made of a message.
#[derive(Debug, Clone)]
pub enum Classification {
    Document {
        itk_message_id: Option<String>,
        document: Box<DocumentRecord>,
    },
    /// An ITK3 response addressed to us.
    Response { itk_message_id: Option<String> },
    /// A MESH non-delivery report.
    Report,
    /// Unreadable or invalid: kept, with the reason, for a person to look at.
    Quarantine {
        itk_message_id: Option<String>,
        reason: String,
    },
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
    /// Same MessageHeader id as a message already stored (ITK 20007).
    DuplicateMessage {
        message_id: i64,
        existing_document_id: i64,
    },
    /// Same document identity as a document already stored (ITK 20008).
    DuplicateDocument {
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
            | IngestOutcome::DuplicateMessage { message_id, .. }
            | IngestOutcome::DuplicateDocument { message_id, .. }
            | IngestOutcome::Quarantined { message_id }
            | IngestOutcome::Response { message_id }
            | IngestOutcome::Report { message_id } => *message_id,
        }
    }
}

/// An ITK3 response to queue, decided by the caller from the outcome.
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
fn local_id(source_id: &str, kind: &str) -> String {
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
        source: &str,
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

    /// Stores a message and what became of it, and queues the responses `respond` asks for, all
    /// in one transaction (a SAVEPOINT: its own durable transaction when none is open, or part
    /// of the caller's). Idempotent: a message already stored under the same mailbox id is not
    /// stored again (and gets no new responses).
    pub fn ingest(
        &mut self,
        incoming: &Incoming<'_>,
        classification: &Classification,
        diagnostics_json: &str,
        respond: impl FnOnce(&IngestOutcome) -> Vec<PlannedResponse>,
    ) -> Result<IngestOutcome, StoreError> {
        let tx = self.conn.savepoint()?;
        if let Some(message_id) = tx
            .query_row(
                "SELECT id FROM messages WHERE source = ?1 AND mailbox = ?2 AND source_id = ?3",
                params![incoming.source, incoming.mailbox, incoming.source_id],
                |r| r.get(0),
            )
            .optional()?
        {
            return Ok(IngestOutcome::AlreadyStored { message_id });
        }

        let outcome = match classification {
            Classification::Document {
                itk_message_id,
                document,
            } => ingest_document(
                &tx,
                incoming,
                itk_message_id.as_deref(),
                document,
                diagnostics_json,
            )?,
            Classification::Response { itk_message_id } => {
                let id = insert_message(
                    &tx,
                    incoming,
                    itk_message_id.as_deref(),
                    "response",
                    None,
                    None,
                    diagnostics_json,
                )?;
                IngestOutcome::Response { message_id: id }
            }
            Classification::Report => {
                let id =
                    insert_message(&tx, incoming, None, "report", None, None, diagnostics_json)?;
                IngestOutcome::Report { message_id: id }
            }
            Classification::Quarantine {
                itk_message_id,
                reason,
            } => {
                let id = insert_message(
                    &tx,
                    incoming,
                    itk_message_id.as_deref(),
                    "quarantined",
                    None,
                    Some(reason),
                    diagnostics_json,
                )?;
                IngestOutcome::Quarantined { message_id: id }
            }
        };

        let message_id = outcome.message_id();
        for response in respond(&outcome) {
            tx.execute(
                "INSERT INTO outbox (message_id, kind, response_code, to_mailbox, workflow_id, local_id, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    message_id,
                    response.kind,
                    response.response_code,
                    response.to_mailbox,
                    response.workflow_id,
                    local_id(incoming.source_id, response.kind),
                    response.body,
                    incoming.received_at,
                ],
            )?;
        }
        tx.commit()?;
        Ok(outcome)
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
        source: &str,
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

fn insert_message(
    tx: &Connection,
    m: &Incoming<'_>,
    itk_message_id: Option<&str>,
    outcome: &str,
    duplicate_of: Option<i64>,
    quarantine_reason: Option<&str>,
    diagnostics_json: &str,
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
                               itk_message_id, outcome, duplicate_of, quarantine_reason, diagnostics)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
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
        itk_message_id,
        outcome,
        duplicate_of,
        quarantine_reason,
        diagnostics_json,
    ])?;
    Ok(tx.last_insert_rowid())
}

fn ingest_document(
    tx: &Connection,
    m: &Incoming<'_>,
    itk_message_id: Option<&str>,
    d: &DocumentRecord,
    diagnostics_json: &str,
) -> Result<IngestOutcome, StoreError> {
    // The same ITK message delivered again under a new mailbox id: 20007.
    if let Some(itk) = itk_message_id {
        let earlier: Option<i64> = tx
            .query_row(
                "SELECT d.id FROM messages m JOIN documents d ON d.message_id = m.id
                 WHERE m.itk_message_id = ?1 ORDER BY d.id LIMIT 1",
                params![itk],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(existing) = earlier {
            let id = insert_message(
                tx,
                m,
                Some(itk),
                "duplicate",
                Some(existing),
                None,
                diagnostics_json,
            )?;
            return Ok(IngestOutcome::DuplicateMessage {
                message_id: id,
                existing_document_id: existing,
            });
        }
    }
    // The same document in a new message: 20008.
    if let Some(bundle_id) = &d.document_bundle_id {
        let earlier: Option<i64> = tx
            .query_row(
                "SELECT id FROM documents WHERE document_bundle_id = ?1",
                params![bundle_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(existing) = earlier {
            let id = insert_message(
                tx,
                m,
                itk_message_id,
                "duplicate",
                Some(existing),
                None,
                diagnostics_json,
            )?;
            return Ok(IngestOutcome::DuplicateDocument {
                message_id: id,
                existing_document_id: existing,
            });
        }
    }

    let message_id = insert_message(
        tx,
        m,
        itk_message_id,
        "stored",
        None,
        None,
        diagnostics_json,
    )?;
    tx.execute(
        "INSERT INTO documents (message_id, kind, document_bundle_id, composition_id, replaces, nhs_number,
                                patient_name, birth_date, title, sender, care_setting, document_date,
                                received_at, flags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            message_id,
            d.kind,
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
        ],
    )?;
    let document_id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO document_models (document_id, model) VALUES (?1, ?2)",
        params![document_id, d.model],
    )?;
    tx.execute(
        "INSERT INTO documents_fts (rowid, patient_name, nhs_number, body) VALUES (?1, ?2, ?3, ?4)",
        params![document_id, d.patient_name, d.nhs_number, d.search_text],
    )?;

    // This document replaces an earlier one: mark the earlier one superseded.
    let mut superseded = Vec::new();
    if let Some(target) = &d.replaces {
        let mut stmt = tx.prepare(
            "UPDATE documents SET superseded_by = ?1
             WHERE id != ?1 AND superseded_by IS NULL
               AND (document_bundle_id = ?2 OR composition_id = ?2)
             RETURNING id",
        )?;
        superseded = stmt
            .query_map(params![document_id, target], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
    }
    // A replacement that arrived first: this document is already superseded.
    let ids: Vec<&String> = [&d.document_bundle_id, &d.composition_id]
        .into_iter()
        .flatten()
        .collect();
    for id in ids {
        let newer: Option<i64> = tx
            .query_row(
                "SELECT id FROM documents WHERE replaces = ?1 AND id != ?2 ORDER BY id DESC LIMIT 1",
                params![id, document_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(newer) = newer {
            tx.execute(
                "UPDATE documents SET superseded_by = ?1 WHERE id = ?2",
                params![newer, document_id],
            )?;
            break;
        }
    }
    Ok(IngestOutcome::Stored {
        message_id,
        document_id,
        superseded,
    })
}
