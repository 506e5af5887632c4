//! How the practice pull stands, read cheaply for the window (issue 14): the stale banner's
//! figures and this desktop's steps still waiting for the practice log. Unlike
//! [`Store::practice_cache_state`] nothing here counts the cache, so the app may read it after
//! every pull.

use handover_errors::ErrorCode;
use rusqlite::{params, OptionalExtension};

use crate::practice_cache::{
    ErrorRecord, ServerRecord, FAILING_SINCE, LAST_ATTEMPT, LAST_ERROR, LAST_PULL, SERVER,
};
use crate::{Store, StoreError};

/// The practice pull as the stale banner needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PracticePullState {
    /// The practice's name, once a pull has reached the server.
    pub practice_name: Option<String>,
    /// When a pull last finished (RFC 3339, UTC): what is shown is "as of" this.
    pub last_pull_at: Option<String>,
    pub last_attempt_at: Option<String>,
    /// When the current run of failed pulls began; None while pulls succeed.
    pub failing_since: Option<String>,
    pub last_error_code: Option<ErrorCode>,
    pub last_error: Option<String>,
    /// This desktop's steps not yet seen in the practice log (its records that someone opened
    /// a document wait in the outbox too, but are not steps, so are not counted).
    pub pending: u64,
    /// The last time this cache found the server gone back to an older copy (see
    /// [`crate::ChainBreak`]).
    pub last_chain_break: Option<crate::ChainBreak>,
}

impl Store {
    /// See [`PracticePullState`].
    pub fn practice_pull_state(&self) -> Result<PracticePullState, StoreError> {
        let server: Option<ServerRecord> = self
            .meta_value(SERVER)?
            .and_then(|v| serde_json::from_str(&v).ok());
        let error: Option<ErrorRecord> = self
            .meta_value(LAST_ERROR)?
            .and_then(|v| serde_json::from_str(&v).ok());
        let last_break: Option<String> = self
            .conn
            .query_row(
                "SELECT report FROM practice_chain_breaks ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(PracticePullState {
            last_chain_break: last_break.and_then(|r| serde_json::from_str(&r).ok()),
            practice_name: server.map(|s| s.practice_name),
            last_pull_at: self.meta_value(LAST_PULL)?,
            last_attempt_at: self.meta_value(LAST_ATTEMPT)?,
            failing_since: self.meta_value(FAILING_SINCE)?,
            last_error_code: error.as_ref().map(|e| e.code),
            last_error: error.map(|e| e.message),
            pending: self.conn.query_row(
                "SELECT count(*) FROM practice_outbox o JOIN events e ON e.seq = o.seq
                 WHERE e.kind <> 'viewed'",
                [],
                |r| r.get::<_, i64>(0),
            )? as u64,
        })
    }

    /// The local log's steps on `document_id` that wait for the practice log (sent or not, not
    /// yet pulled back; not the records that it was opened), oldest first: the window marks
    /// them "pending".
    pub fn practice_pending_for(&self, document_id: i64) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.seq FROM practice_outbox o JOIN events e ON e.seq = o.seq
             WHERE e.document_id = ?1 AND e.kind <> 'viewed' ORDER BY e.seq",
        )?;
        let rows = stmt
            .query_map(params![document_id], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(rows)
    }
}
