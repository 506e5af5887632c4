//! The mailbox sync state.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

/// Where the store stands with one mailbox: what the stale-data banner is made from.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct SyncState {
    pub mailbox: String,
    pub last_attempt_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_code: Option<handover_errors::ErrorCode>,
    pub health: crate::MailboxHealth,
    /// When the current run of failed syncs began; None while syncs succeed.
    pub failing_since: Option<String>,
    /// What the last sync that finished could not complete (health `degraded`): messages it
    /// could not download or acknowledge, responses MESH did not accept, files in a folder
    /// mailbox it cannot read. At most [`MAX_KEPT_PROBLEMS`].
    pub problems: Vec<SyncProblem>,
    /// How many more problems there were than are kept in `problems`.
    #[ts(type = "number")]
    pub more_problems: u64,
}

/// Something a sync could not complete, typed so the app can count and word it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct SyncProblem {
    pub kind: ProblemKind,
    /// The stable code of the error, e.g. `mesh_server_error`.
    pub code: handover_errors::ErrorCode,
    /// The error in full, for the technical details.
    pub message: String,
    /// What it is about: a message id, a response (its code and recipient), a file.
    pub subject: Option<String>,
}

/// What a [`SyncProblem`] is about.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ProblemKind {
    /// A message that could not be fetched (it stays in the mailbox and is tried again).
    Download,
    /// A message that could not be decoded; it is tried again a few times, then kept in
    /// quarantine as received.
    Undecodable,
    /// A stored message whose acknowledgement the mailbox did not take.
    Acknowledgement,
    /// An ITK3 response to a hospital that the mailbox did not accept.
    Response,
    /// A file in a folder mailbox that is skipped (no control file, unreadable, empty).
    MailboxFile,
    /// Recorded by an older version, as text only.
    Other,
}

/// How many of a sync's problems are kept in the sync state.
pub const MAX_KEPT_PROBLEMS: usize = 50;

/// The kept problems as stored (`last_problems`).
#[derive(Serialize, Deserialize)]
struct KeptProblems {
    items: Vec<SyncProblem>,
    more: u64,
}

fn kept_problems(json: &str) -> (Vec<SyncProblem>, u64) {
    if let Ok(kept) = serde_json::from_str::<KeptProblems>(json) {
        return (kept.items, kept.more);
    }
    // Schema 4 kept plain lines of text.
    let lines: Vec<String> = serde_json::from_str(json).unwrap_or_default();
    let items = lines
        .into_iter()
        .map(|message| SyncProblem {
            kind: ProblemKind::Other,
            code: handover_errors::ErrorCode::Unknown,
            message,
            subject: None,
        })
        .collect();
    (items, 0)
}

impl Store {
    pub fn sync_state(&self, mailbox: &str) -> Result<SyncState, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT mailbox, last_attempt_at, last_success_at, last_error, last_error_code, health, failing_since,
                        last_problems
                 FROM sync_state WHERE mailbox = ?1",
                params![mailbox],
                |r| {
                    let (problems, more_problems) = r
                        .get::<_, Option<String>>(7)?
                        .map(|json| kept_problems(&json))
                        .unwrap_or_default();
                    Ok(SyncState {
                        mailbox: r.get(0)?,
                        last_attempt_at: r.get(1)?,
                        last_success_at: r.get(2)?,
                        last_error: r.get(3)?,
                        last_error_code: r
                            .get::<_, Option<String>>(4)?
                            .map(|c| handover_errors::ErrorCode::parse(&c)),
                        health: r.get(5)?,
                        failing_since: r.get(6)?,
                        problems,
                        more_problems,
                    })
                },
            )
            .optional()?
            .unwrap_or_else(|| SyncState { mailbox: mailbox.into(), health: crate::MailboxHealth::Unknown, ..Default::default() }))
    }

    pub fn record_sync_attempt(&self, mailbox: &str, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state (mailbox, last_attempt_at) VALUES (?1, ?2)
             ON CONFLICT (mailbox) DO UPDATE SET last_attempt_at = excluded.last_attempt_at",
            params![mailbox, at],
        )?;
        Ok(())
    }

    /// A sync finished. With `problems` (things it could not complete, to be tried again) the
    /// mailbox's health is `degraded`, and the problems are kept for the app to show.
    pub fn record_sync_success(
        &self,
        mailbox: &str,
        at: &str,
        problems: &[SyncProblem],
    ) -> Result<(), StoreError> {
        let kept = (!problems.is_empty()).then(|| {
            let kept = KeptProblems {
                items: problems.iter().take(MAX_KEPT_PROBLEMS).cloned().collect(),
                more: problems.len().saturating_sub(MAX_KEPT_PROBLEMS) as u64,
            };
            serde_json::to_string(&kept).expect("problems serialise")
        });
        self.conn.execute(
            "INSERT INTO sync_state (mailbox, last_attempt_at, last_success_at, health, last_problems)
             VALUES (?1, ?2, ?2, ?3, ?4)
             ON CONFLICT (mailbox) DO UPDATE SET last_success_at = excluded.last_success_at,
                 last_attempt_at = excluded.last_attempt_at, health = excluded.health,
                 last_problems = excluded.last_problems,
                 last_error = NULL, last_error_code = NULL, failing_since = NULL",
            params![
                mailbox,
                at,
                if problems.is_empty() {
                    crate::MailboxHealth::Online
                } else {
                    crate::MailboxHealth::Degraded
                },
                kept
            ],
        )?;
        Ok(())
    }

    pub fn record_sync_failure(
        &self,
        mailbox: &str,
        at: &str,
        code: handover_errors::ErrorCode,
        message: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state (mailbox, last_attempt_at, last_error, last_error_code, health, failing_since)
             VALUES (?1, ?2, ?4, ?3, 'offline', ?2)
             ON CONFLICT (mailbox) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
                 last_error = excluded.last_error, last_error_code = excluded.last_error_code, health = 'offline',
                 failing_since = COALESCE(sync_state.failing_since, excluded.failing_since)",
            params![mailbox, at, code.as_str(), message],
        )?;
        Ok(())
    }

    /// All mailboxes' sync states.
    pub fn sync_states(&self) -> Result<Vec<SyncState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT mailbox FROM sync_state ORDER BY mailbox")?;
        let names: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        names.iter().map(|m| self.sync_state(m)).collect()
    }
}
