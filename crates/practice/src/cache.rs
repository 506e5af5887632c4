//! What a desktop pulls into its encrypted cache (schema 3): the practice's documents in
//! `doc_seq` order, each with the message that first brought it (its bytes as received, which
//! the desktop keeps as it keeps a message from its own mailbox), and who the server is.
//!
//! `doc_seq` is given from a head row locked to the end of the inserting transaction, so
//! documents commit in `doc_seq` order with no gap, and a reader pulling `doc_seq > cursor`
//! never passes one that commits later (the event log's `seq` argument, see `schema.rs`).

use serde::Serialize;

use crate::{PracticeDb, PracticeError};

/// Who the practice server is: its database's identity (a random id made when the schema was
/// created) and the practice of this login. A cache is of one server and one practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerIdentity {
    pub server_id: String,
    pub practice_id: String,
    pub practice_name: String,
    pub schema_version: i32,
}

/// Where this login's practice stands on the server: its log's head (seq and hash) and its
/// documents' head (`doc_seq`). A desktop compares them with its cache's cursors to find a
/// server that has gone back (restored from an older backup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerHeads {
    pub event_seq: i64,
    pub event_hash: String,
    pub document_seq: i64,
}

/// A document as the practice server holds it, with the message that first brought it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledDocument {
    /// The practice's change number for documents: the desktop's cursor.
    pub doc_seq: i64,
    /// The content hash.
    pub document_key: String,
    /// The server's id of the message that first brought it.
    pub message_id: i64,
    /// The practice's mailbox and the MESH message id it came under.
    pub mailbox: String,
    pub source_id: String,
    pub workflow_id: Option<String>,
    pub sender_mailbox: Option<String>,
    pub itk_message_id: Option<String>,
    /// The message's bytes as received.
    pub raw: Vec<u8>,
    /// JSON.
    pub mailbox_meta: Option<String>,
    /// JSON: the parser's diagnostics.
    pub diagnostics: String,
    /// When the server received the message (RFC 3339, UTC, milliseconds).
    pub received_at: String,
    pub kind: String,
    pub document_bundle_id: Option<String>,
    pub composition_id: Option<String>,
    pub replaces: Option<String>,
    pub nhs_number: Option<String>,
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub title: Option<String>,
    pub sender: Option<String>,
    pub sender_org: Option<String>,
    pub care_setting: Option<String>,
    pub document_date: Option<String>,
    /// JSON.
    pub flags: String,
    pub med_changes: i32,
    pub practice_actions: i32,
    /// JSON: the parse model as the desktop stores it.
    pub model: String,
    pub search_text: String,
}

const UTC_MS: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

impl PracticeDb {
    /// Who this server is, for this login (`practice_not_member` if the login is in no
    /// practice).
    pub async fn server_identity(&self) -> Result<ServerIdentity, PracticeError> {
        let practice_id = self.session_practice().await?;
        let ready: bool = self
            .client
            .query_one("SELECT to_regclass('handover.server') IS NOT NULL", &[])
            .await?
            .get(0);
        if !ready {
            return Err(PracticeError::Database(
                "the practice server's schema is older than desktops need (schema 3): run \
                 `handover practice init` on it first"
                    .into(),
            ));
        }
        let row = self
            .client
            .query_one(
                "SELECT s.server_id::text, p.name,
                        (SELECT max(version) FROM handover.schema_migrations)
                   FROM handover.server s, handover.practices p
                  WHERE p.practice_id = $1",
                &[&practice_id],
            )
            .await?;
        Ok(ServerIdentity {
            server_id: row.get(0),
            practice_id,
            practice_name: row.get(1),
            schema_version: row.get(2),
        })
    }

    /// The heads of this login's practice's log and documents.
    pub async fn heads(&self) -> Result<ServerHeads, PracticeError> {
        let row = self
            .client
            .query_one(
                "SELECT h.seq, h.hash, coalesce(d.doc_seq, 0)
                   FROM handover.practice_heads h
                   LEFT JOIN handover.document_heads d ON d.practice_id = h.practice_id
                  WHERE h.practice_id = handover.session_practice()",
                &[],
            )
            .await?;
        Ok(ServerHeads {
            event_seq: row.get(0),
            event_hash: row.get(1),
            document_seq: row.get(2),
        })
    }

    /// The hash of the practice log's event `seq` (None if the log has no such event).
    pub async fn event_hash_at(&self, seq: i64) -> Result<Option<String>, PracticeError> {
        Ok(self
            .client
            .query_opt(
                "SELECT hash FROM handover.events
                  WHERE practice_id = handover.session_practice() AND seq = $1",
                &[&seq],
            )
            .await?
            .map(|r| r.get(0)))
    }

    /// The content hash of the practice's document `doc_seq` (None if there is none).
    pub async fn document_key_at(&self, doc_seq: i64) -> Result<Option<String>, PracticeError> {
        Ok(self
            .client
            .query_opt(
                "SELECT document_key FROM handover.documents
                  WHERE practice_id = handover.session_practice() AND doc_seq = $1",
                &[&doc_seq],
            )
            .await?
            .map(|r| r.get(0)))
    }

    /// Of these documents (content hashes), the ones the practice has.
    pub async fn documents_held(&self, keys: &[String]) -> Result<Vec<String>, PracticeError> {
        let mut held = Vec::new();
        for chunk in keys.chunks(10_000) {
            let rows = self
                .client
                .query(
                    "SELECT document_key FROM handover.documents
                      WHERE practice_id = handover.session_practice()
                        AND document_key = ANY($1)",
                    &[&chunk],
                )
                .await?;
            held.extend(rows.iter().map(|r| r.get::<_, String>(0)));
        }
        Ok(held)
    }

    /// The documents of this login's practice after `after` (a `doc_seq`), in `doc_seq`
    /// order, at most `limit` (1 to 1,000).
    pub async fn pull_documents(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<PulledDocument>, PracticeError> {
        let limit = i64::from(limit.clamp(1, 1_000));
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT d.doc_seq, d.document_key, d.message_id, m.mailbox, m.source_id,
                        m.workflow_id, m.sender_mailbox, d.itk_message_id, m.raw,
                        m.mailbox_meta::text, m.diagnostics::text,
                        to_char(m.received_at AT TIME ZONE 'UTC', {UTC_MS}),
                        d.kind, d.document_bundle_id, d.composition_id, d.replaces,
                        d.nhs_number, d.patient_name, d.birth_date, d.title, d.sender,
                        d.sender_org, d.care_setting, d.document_date, d.flags::text,
                        d.med_changes, d.practice_actions, d.model::text, d.search_text
                   FROM handover.documents d
                   JOIN handover.messages m
                     ON m.practice_id = d.practice_id AND m.message_id = d.message_id
                  WHERE d.practice_id = handover.session_practice() AND d.doc_seq > $1
                  ORDER BY d.doc_seq LIMIT $2"
                ),
                &[&after, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| PulledDocument {
                doc_seq: r.get(0),
                document_key: r.get(1),
                message_id: r.get(2),
                mailbox: r.get(3),
                source_id: r.get(4),
                workflow_id: r.get(5),
                sender_mailbox: r.get(6),
                itk_message_id: r.get(7),
                raw: r.get(8),
                mailbox_meta: r.get(9),
                diagnostics: r.get(10),
                received_at: r.get(11),
                kind: r.get(12),
                document_bundle_id: r.get(13),
                composition_id: r.get(14),
                replaces: r.get(15),
                nhs_number: r.get(16),
                patient_name: r.get(17),
                birth_date: r.get(18),
                title: r.get(19),
                sender: r.get(20),
                sender_org: r.get(21),
                care_setting: r.get(22),
                document_date: r.get(23),
                flags: r.get(24),
                med_changes: r.get(25),
                practice_actions: r.get(26),
                model: r.get(27),
                search_text: r.get(28),
            })
            .collect())
    }
}
