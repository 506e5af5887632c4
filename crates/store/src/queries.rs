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
}

impl Store {
    pub fn sync_state(&self, mailbox: &str) -> Result<SyncState, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT mailbox, last_attempt_at, last_success_at, last_error, last_error_code, health, failing_since
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

    /// A sync finished. `degraded` when it succeeded only after retries.
    pub fn record_sync_success(
        &self,
        mailbox: &str,
        at: &str,
        degraded: bool,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state (mailbox, last_attempt_at, last_success_at, health) VALUES (?1, ?2, ?2, ?3)
             ON CONFLICT (mailbox) DO UPDATE SET last_success_at = excluded.last_success_at,
                 last_attempt_at = excluded.last_attempt_at, health = excluded.health,
                 last_error = NULL, last_error_code = NULL, failing_since = NULL",
            params![mailbox, at, if degraded { "degraded" } else { "online" }],
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
