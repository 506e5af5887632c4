//! What the MESH puller receives, kept on the practice server (schema 2): each message as
//! received (`handover.messages`), each document once by its content hash
//! (`handover.documents`), and the ITK3 responses to send (`handover.outbox`).
//!
//! Written by the puller's own login: `handover_puller` alone may INSERT (and UPDATE the
//! acknowledgement and sending columns), row-level security keeps it to its practice, and
//! `practice_id` and `stored_by` are the session's, never the client's. Every message row
//! carries the lease holder and epoch it was written under; a deferred constraint trigger
//! checks them against the lease at COMMIT, so a puller that lost its lease cannot commit even
//! if it skipped [`FencedIngest::commit`]'s own check.
//!
//! Idempotent twice over: a message is stored once per (practice, mailbox, MESH message id),
//! and a document once per (practice, content hash): another delivery of the same content is
//! a `duplicate` message that points at it.

use serde::Serialize;

use crate::{FencedIngest, PracticeDb, PracticeError};

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageOutcome {
    /// A new document.
    Stored,
    /// A document already stored (the same content), delivered again.
    Duplicate,
    /// Unreadable or invalid: kept as received, with the reason.
    Quarantined,
    /// An ITK3 response to something the practice sent.
    Response,
    /// A MESH report (non-delivery).
    Report,
}

impl MessageOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageOutcome::Stored => "stored",
            MessageOutcome::Duplicate => "duplicate",
            MessageOutcome::Quarantined => "quarantined",
            MessageOutcome::Response => "response",
            MessageOutcome::Report => "report",
        }
    }

    fn parse(s: &str) -> MessageOutcome {
        match s {
            "stored" => MessageOutcome::Stored,
            "duplicate" => MessageOutcome::Duplicate,
            "quarantined" => MessageOutcome::Quarantined,
            "response" => MessageOutcome::Response,
            _ => MessageOutcome::Report,
        }
    }
}

/// A message as received, and what became of it.
#[derive(Debug, Clone)]
pub struct ReceivedMessage<'a> {
    pub mailbox: &'a str,
    pub source_id: &'a str,
    pub workflow_id: Option<&'a str>,
    pub sender_mailbox: Option<&'a str>,
    pub itk_message_id: Option<&'a str>,
    /// The bytes as received (their SHA-256 is computed by the server).
    pub raw: &'a [u8],
    /// JSON.
    pub mailbox_meta: Option<&'a str>,
    /// JSON: the parser's diagnostics.
    pub diagnostics: &'a str,
    pub outcome: MessageOutcome,
    /// Required for [`MessageOutcome::Quarantined`], else none.
    pub reason: Option<&'a str>,
    /// The document's content hash, for `Stored` and `Duplicate`.
    pub document_key: Option<&'a str>,
}

/// A parsed document, with the columns the desktop's store has for it.
#[derive(Debug, Clone)]
pub struct ReceivedDocument<'a> {
    /// The content hash (SHA-256 hex of the parsed document).
    pub document_key: &'a str,
    pub kind: &'a str,
    pub itk_message_id: Option<&'a str>,
    pub document_bundle_id: Option<&'a str>,
    pub composition_id: Option<&'a str>,
    pub replaces: Option<&'a str>,
    pub nhs_number: Option<&'a str>,
    pub patient_name: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub title: Option<&'a str>,
    pub sender: Option<&'a str>,
    pub sender_org: Option<&'a str>,
    pub care_setting: Option<&'a str>,
    pub document_date: Option<&'a str>,
    /// JSON.
    pub flags: &'a str,
    pub med_changes: i32,
    pub practice_actions: i32,
    /// JSON: the parse model as the desktop stores it.
    pub model: &'a str,
    pub search_text: &'a str,
}

/// An ITK3 response to queue with the message it answers.
#[derive(Debug, Clone)]
pub struct QueuedResponse<'a> {
    /// `infrastructure` or `business`.
    pub kind: &'a str,
    pub response_code: &'a str,
    pub to_mailbox: &'a str,
    pub workflow_id: &'a str,
    /// `mex-LocalID`: unique per practice.
    pub local_id: &'a str,
    pub body: &'a [u8],
}

/// A message already on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredMessage {
    pub message_id: i64,
    pub outcome: MessageOutcome,
    pub acknowledged: bool,
}

/// A response waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub outbox_id: i64,
    pub message_id: i64,
    pub kind: String,
    pub response_code: String,
    pub to_mailbox: String,
    pub workflow_id: String,
    pub local_id: String,
    pub body: Vec<u8>,
    /// Attempts recorded before this one (an attempt is recorded before it is made).
    pub attempts: i32,
}

const FIND_MESSAGE: &str = "SELECT message_id, outcome, acknowledged_at IS NOT NULL \
     FROM handover.messages \
     WHERE practice_id = handover.session_practice() AND mailbox = $1 AND source_id = $2";

async fn find_message<C: tokio_postgres::GenericClient>(
    client: &C,
    mailbox: &str,
    source_id: &str,
) -> Result<Option<StoredMessage>, PracticeError> {
    Ok(client
        .query_opt(FIND_MESSAGE, &[&mailbox, &source_id])
        .await?
        .map(|r| StoredMessage {
            message_id: r.get(0),
            outcome: MessageOutcome::parse(r.get(1)),
            acknowledged: r.get(2),
        }))
}

impl FencedIngest<'_> {
    /// The message already stored under this mailbox and MESH message id, if any.
    pub async fn find_message(
        &self,
        mailbox: &str,
        source_id: &str,
    ) -> Result<Option<StoredMessage>, PracticeError> {
        find_message(&self.tx, mailbox, source_id).await
    }

    /// The stored document with this content hash: `Some(its ITK3 message id)`.
    pub async fn find_document(
        &self,
        document_key: &str,
    ) -> Result<Option<Option<String>>, PracticeError> {
        Ok(self
            .tx
            .query_opt(
                "SELECT itk_message_id FROM handover.documents \
                 WHERE practice_id = handover.session_practice() AND document_key = $1",
                &[&document_key],
            )
            .await?
            .map(|r| r.get(0)))
    }

    /// Stores a message with its document (when it brings a new one) and the responses it
    /// earns, under this ingest's lease and epoch; returns the message's id. Nothing is kept
    /// unless the ingest commits.
    pub async fn store_message(
        &self,
        message: &ReceivedMessage<'_>,
        document: Option<&ReceivedDocument<'_>>,
        responses: &[QueuedResponse<'_>],
    ) -> Result<i64, PracticeError> {
        let m = message;
        let message_id: i64 = self
            .tx
            .query_one(
                "INSERT INTO handover.messages (mailbox, source_id, workflow_id, sender_mailbox,
                     itk_message_id, raw, sha256, mailbox_meta, diagnostics, outcome, reason,
                     document_key, holder, epoch)
                 VALUES ($1, $2, $3, $4, $5, $6, encode(sha256($6), 'hex'), $7::text::json,
                     $8::text::json, $9, $10, $11, $12, $13)
                 RETURNING message_id",
                &[
                    &m.mailbox,
                    &m.source_id,
                    &m.workflow_id,
                    &m.sender_mailbox,
                    &m.itk_message_id,
                    &m.raw,
                    &m.mailbox_meta,
                    &m.diagnostics,
                    &m.outcome.as_str(),
                    &m.reason,
                    &m.document_key,
                    &self.holder,
                    &self.epoch,
                ],
            )
            .await?
            .get(0);
        if let Some(d) = document {
            self.tx
                .execute(
                    "INSERT INTO handover.documents (document_key, message_id, kind,
                         itk_message_id, document_bundle_id, composition_id, replaces,
                         nhs_number, patient_name, birth_date, title, sender, sender_org,
                         care_setting, document_date, flags, med_changes, practice_actions,
                         model, search_text)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                         $16::text::json, $17, $18, $19::text::json, $20)",
                    &[
                        &d.document_key,
                        &message_id,
                        &d.kind,
                        &d.itk_message_id,
                        &d.document_bundle_id,
                        &d.composition_id,
                        &d.replaces,
                        &d.nhs_number,
                        &d.patient_name,
                        &d.birth_date,
                        &d.title,
                        &d.sender,
                        &d.sender_org,
                        &d.care_setting,
                        &d.document_date,
                        &d.flags,
                        &d.med_changes,
                        &d.practice_actions,
                        &d.model,
                        &d.search_text,
                    ],
                )
                .await?;
        }
        for r in responses {
            self.tx
                .execute(
                    "INSERT INTO handover.outbox (message_id, kind, response_code, to_mailbox,
                         workflow_id, local_id, body)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &message_id,
                        &r.kind,
                        &r.response_code,
                        &r.to_mailbox,
                        &r.workflow_id,
                        &r.local_id,
                        &r.body,
                    ],
                )
                .await?;
        }
        Ok(message_id)
    }
}

impl PracticeDb {
    /// The message already stored under this mailbox and MESH message id, if any.
    pub async fn find_message(
        &self,
        mailbox: &str,
        source_id: &str,
    ) -> Result<Option<StoredMessage>, PracticeError> {
        find_message(&self.client, mailbox, source_id).await
    }

    /// Records that the mailbox took these messages' acknowledgements (a fact, not fenced: the
    /// acknowledgement was made after the message was committed).
    pub async fn mark_acknowledged(&self, message_ids: &[i64]) -> Result<u64, PracticeError> {
        if message_ids.is_empty() {
            return Ok(0);
        }
        Ok(self
            .client
            .execute(
                "UPDATE handover.messages SET acknowledged_at = now()
                 WHERE practice_id = handover.session_practice() AND message_id = ANY($1)
                   AND acknowledged_at IS NULL",
                &[&message_ids],
            )
            .await?)
    }

    /// Stored messages of `mailbox` whose acknowledgement is not recorded: `(id, MESH id)`.
    pub async fn unacknowledged_messages(
        &self,
        mailbox: &str,
    ) -> Result<Vec<(i64, String)>, PracticeError> {
        let rows = self
            .client
            .query(
                "SELECT message_id, source_id FROM handover.messages
                 WHERE practice_id = handover.session_practice() AND mailbox = $1
                   AND acknowledged_at IS NULL
                 ORDER BY message_id",
                &[&mailbox],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// A desktop hands over the business response it built for the document `document_key`
    /// (practice schema 8): queued in the server's outbox for the message that first brought
    /// the document, unless one is queued already. Returns the one queued for that message:
    /// its outbox id, code and local id (the caller's local id when it was the first).
    pub async fn queue_business_response(
        &self,
        document_key: &str,
        response_code: &str,
        to_mailbox: &str,
        workflow_id: &str,
        local_id: &str,
        body: &[u8],
    ) -> Result<(i64, String, String), PracticeError> {
        let row = self
            .client
            .query_one(
                "SELECT outbox_id, response_code, local_id
                   FROM handover.queue_business_response($1, $2, $3, $4, $5, $6)",
                &[
                    &document_key,
                    &response_code,
                    &to_mailbox,
                    &workflow_id,
                    &local_id,
                    &body,
                ],
            )
            .await?;
        Ok((row.get(0), row.get(1), row.get(2)))
    }

    /// Responses not yet sent, oldest first, at most `limit`.
    pub async fn pending_outbox(&self, limit: i64) -> Result<Vec<OutboxEntry>, PracticeError> {
        let rows = self
            .client
            .query(
                "SELECT outbox_id, message_id, kind, response_code, to_mailbox, workflow_id,
                        local_id, body, attempts
                 FROM handover.outbox
                 WHERE practice_id = handover.session_practice() AND sent_at IS NULL
                 ORDER BY outbox_id LIMIT $1",
                &[&limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| OutboxEntry {
                outbox_id: r.get(0),
                message_id: r.get(1),
                kind: r.get(2),
                response_code: r.get(3),
                to_mailbox: r.get(4),
                workflow_id: r.get(5),
                local_id: r.get(6),
                body: r.get(7),
                attempts: r.get(8),
            })
            .collect())
    }

    /// Records an attempt before it is made (so a crash mid-send is known, and the response
    /// is looked up before it is sent again).
    pub async fn outbox_attempt(&self, outbox_id: i64) -> Result<(), PracticeError> {
        self.client
            .execute(
                "UPDATE handover.outbox SET attempts = attempts + 1, last_attempt_at = now()
                 WHERE practice_id = handover.session_practice() AND outbox_id = $1",
                &[&outbox_id],
            )
            .await?;
        Ok(())
    }

    /// Marks a response sent, with the id MESH gave it.
    pub async fn outbox_sent(&self, outbox_id: i64, mesh_id: &str) -> Result<(), PracticeError> {
        self.client
            .execute(
                "UPDATE handover.outbox SET sent_at = now(), mesh_message_id = $2,
                        last_error = NULL
                 WHERE practice_id = handover.session_practice() AND outbox_id = $1
                   AND sent_at IS NULL",
                &[&outbox_id, &mesh_id],
            )
            .await?;
        Ok(())
    }

    /// Records why a send failed (it is tried again at the next round).
    pub async fn outbox_failed(&self, outbox_id: i64, error: &str) -> Result<(), PracticeError> {
        self.client
            .execute(
                "UPDATE handover.outbox SET last_error = $2
                 WHERE practice_id = handover.session_practice() AND outbox_id = $1",
                &[&outbox_id, &error],
            )
            .await?;
        Ok(())
    }
}
