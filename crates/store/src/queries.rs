//! The mailbox sync state.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::{Store, StoreError};

/// Where the store stands with one mailbox: what the stale-data banner is made from.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct SyncState {
    pub mailbox: String,
    pub last_attempt_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_code: Option<String>,
    /// `unknown`, `online`, `degraded` or `offline`.
    pub health: String,
    /// When the current run of failed syncs began; None while syncs succeed.
    pub failing_since: Option<String>,
    /// What the last sync that finished could not complete (health `degraded`): messages it
    /// could not download or acknowledge, responses MESH did not accept. At most
    /// [`MAX_KEPT_PROBLEMS`], the last line saying how many more there were.
    pub problems: Vec<String>,
}

/// How many of a sync's problems are kept in the sync state.
pub const MAX_KEPT_PROBLEMS: usize = 50;

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
                    Ok(SyncState {
                        mailbox: r.get(0)?,
                        last_attempt_at: r.get(1)?,
                        last_success_at: r.get(2)?,
                        last_error: r.get(3)?,
                        last_error_code: r.get(4)?,
                        health: r.get(5)?,
                        failing_since: r.get(6)?,
                        problems: r
                            .get::<_, Option<String>>(7)?
                            .and_then(|json| serde_json::from_str(&json).ok())
                            .unwrap_or_default(),
                    })
                },
            )
            .optional()?
            .unwrap_or_else(|| SyncState { mailbox: mailbox.into(), health: "unknown".into(), ..Default::default() }))
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
        problems: &[String],
    ) -> Result<(), StoreError> {
        let kept = (!problems.is_empty()).then(|| {
            let mut kept: Vec<String> = problems.iter().take(MAX_KEPT_PROBLEMS).cloned().collect();
            if problems.len() > MAX_KEPT_PROBLEMS {
                kept.push(format!("… and {} more", problems.len() - MAX_KEPT_PROBLEMS));
            }
            serde_json::to_string(&kept).expect("strings serialise")
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
                if problems.is_empty() { "online" } else { "degraded" },
                kept
            ],
        )?;
        Ok(())
    }

    pub fn record_sync_failure(
        &self,
        mailbox: &str,
        at: &str,
        code: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state (mailbox, last_attempt_at, last_error, last_error_code, health, failing_since)
             VALUES (?1, ?2, ?4, ?3, 'offline', ?2)
             ON CONFLICT (mailbox) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
                 last_error = excluded.last_error, last_error_code = excluded.last_error_code, health = 'offline',
                 failing_since = COALESCE(sync_state.failing_since, excluded.failing_since)",
            params![mailbox, at, code, message],
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
