//! The audit trail: every workflow change as an append-only, hash-chained event.
//!
//! Each event's `hash` is SHA-256 over the previous event's hash and the event's own fields
//! (its sequence number included), so editing, deleting or reordering any event breaks the
//! chain from that event on, and [`Store::verify_audit`] names the first event that does not
//! verify. The head of the chain (last sequence number and hash) is also kept in `app_meta`,
//! so removing events from the end is caught too. SQL triggers refuse UPDATE and DELETE on the
//! table; the chain catches whoever drops them.
//!
//! The store records events; what an event means, and the state it leads to, is decided in
//! `crates/workflow`. Events name their document by `document_key` (the document's content
//! hash), the same on every desktop, so the log can later be shared by a practice.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::{Role, Store, StoreError};

/// The hash before the first event.
pub use handover_chain::GENESIS_HASH;

/// Who did something, where: recorded on every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Actor {
    /// The person's profile name, or `system` for what Handover did by itself.
    pub name: String,
    pub role: Option<Role>,
    /// The operating-system account the app or command ran under.
    pub os_user: String,
    /// This installation's device id.
    pub device: String,
}

/// The name recorded for what Handover does by itself (ingest, automatic matching).
pub const SYSTEM_ACTOR: &str = "system";

/// The operating-system user running this process.
pub fn os_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(uid_name)
        .unwrap_or_else(|| "unknown".into())
}

/// The account name of this process's user id, from /etc/passwd (for processes started without
/// USER, such as a desktop launcher or a test driver).
fn uid_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _ = f.next();
        (f.next()? == uid).then(|| name.to_string())
    })
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub actor: &'a Actor,
    pub at: &'a str,
    pub document_id: Option<i64>,
    /// What happened (`filed`, `matched`, ...: see `crates/workflow`).
    pub kind: &'a str,
    /// Its details, as JSON.
    pub details: &'a serde_json::Value,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StoredEvent {
    #[ts(type = "number")]
    pub seq: i64,
    pub event_id: String,
    pub at: String,
    pub actor: String,
    pub role: Option<Role>,
    pub os_user: String,
    pub device: String,
    #[ts(type = "number | null")]
    pub document_id: Option<i64>,
    pub document_key: Option<String>,
    pub kind: String,
    #[ts(type = "Record<string, unknown>")]
    pub details: serde_json::Value,
    pub hash: String,
}

/// What `handover audit verify` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditVerification {
    #[ts(type = "number")]
    pub events: u64,
    pub ok: bool,
    /// The sequence number of the first event that does not verify.
    #[ts(type = "number | null")]
    pub first_bad_event: Option<i64>,
    /// What is wrong, in plain words.
    pub problem: Option<String>,
}

/// Which events the audit view lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(default)]
pub struct AuditQuery {
    /// Only the entries of this log (the audit trail on a desktop of a practice has two; see
    /// [`Store::audit_trail`]).
    pub log: Option<crate::AuditLog>,
    /// Only this person's events: their name or login, or the display name the practice gave
    /// them (any case).
    pub actor: Option<String>,
    /// Only events of this kind.
    pub kind: Option<String>,
    #[ts(type = "number | null")]
    pub document_id: Option<i64>,
    /// From this instant or date (inclusive), RFC 3339 or `yyyy-mm-dd`.
    pub from: Option<String>,
    /// Before this instant, or up to the end of this date.
    pub to: Option<String>,
    /// Newest first when true (the audit view); oldest first otherwise.
    pub newest_first: bool,
    pub offset: u32,
    pub limit: u32,
}

/// The event's hash: [`handover_chain::event_hash`], shared with the practice-wide log.
fn event_hash(prev: &str, e: &StoredEvent, details: &str) -> String {
    handover_chain::event_hash(
        prev,
        &handover_chain::ChainFields {
            seq: e.seq,
            event_id: &e.event_id,
            at: &e.at,
            actor: &e.actor,
            role: e.role.map(|r| r.as_str()),
            os_user: &e.os_user,
            device: &e.device,
            document_key: e.document_key.as_deref(),
            kind: &e.kind,
            details,
        },
    )
}

const EVENT_COLUMNS: &str = "seq, event_id, at, actor, role, os_user, device, document_id, \
                             document_key, kind, details, hash, prev_hash";

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(StoredEvent, String, String)> {
    let details: String = r.get(10)?;
    Ok((
        StoredEvent {
            seq: r.get(0)?,
            event_id: r.get(1)?,
            at: r.get(2)?,
            actor: r.get(3)?,
            role: r.get(4)?,
            os_user: r.get(5)?,
            device: r.get(6)?,
            document_id: r.get(7)?,
            document_key: r.get(8)?,
            kind: r.get(9)?,
            details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
            hash: r.get(11)?,
        },
        details,
        r.get(12)?,
    ))
}

impl Store {
    /// This installation's device id (made on first use and kept in the database).
    pub fn device_id(&self) -> Result<String, StoreError> {
        if let Some(id) = self
            .conn
            .query_row(
                "SELECT value FROM app_meta WHERE key = 'device_id'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
        {
            return Ok(id);
        }
        let mut bytes = [0u8; 16];
        rand::Rng::fill(&mut rand::rng(), &mut bytes);
        let id = format!("dev-{}", hex::encode(bytes));
        self.conn.execute(
            "INSERT OR IGNORE INTO app_meta (key, value) VALUES ('device_id', ?1)",
            params![id],
        )?;
        Ok(self.conn.query_row(
            "SELECT value FROM app_meta WHERE key = 'device_id'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Appends an event to the chain (inside the caller's transaction, or its own).
    pub fn append_event(&self, e: &NewEvent<'_>) -> Result<StoredEvent, StoreError> {
        self.atomically(|s| {
            let (last_seq, prev) = s
                .conn
                .query_row(
                    "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                )
                .optional()?
                .unwrap_or((0, GENESIS_HASH.to_string()));
            let document_key = match e.document_id {
                Some(id) => Some(
                    s.document_key_of(id)?
                        .ok_or(StoreError::DocumentNotFound { id })?,
                ),
                None => None,
            };
            let details = e.details.to_string();
            let seq = last_seq + 1;
            let mut stored = StoredEvent {
                seq,
                event_id: format!("{}:{seq}", e.actor.device),
                at: e.at.to_string(),
                actor: e.actor.name.clone(),
                role: e.actor.role,
                os_user: e.actor.os_user.clone(),
                device: e.actor.device.clone(),
                document_id: e.document_id,
                document_key,
                kind: e.kind.to_string(),
                details: e.details.clone(),
                hash: String::new(),
            };
            stored.hash = event_hash(&prev, &stored, &details);
            s.conn.prepare_cached(&format!(
                "INSERT INTO events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ))?
            .execute(params![
                stored.seq,
                stored.event_id,
                stored.at,
                stored.actor,
                stored.role,
                stored.os_user,
                stored.device,
                stored.document_id,
                stored.document_key,
                stored.kind,
                details,
                stored.hash,
                prev,
            ])?;
            s.conn.prepare_cached(
                "INSERT INTO app_meta (key, value) VALUES ('audit_head', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![format!("{seq}:{}", stored.hash)])?;
            Ok(stored)
        })
    }

    /// Checks the whole chain: every event's hash, its link to the one before, no gap in the
    /// sequence, and the last event against the recorded head.
    pub fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        let mut count = 0u64;
        let mut prev_hash = GENESIS_HASH.to_string();
        let mut prev_seq = 0i64;
        let bad = |seq: i64, count: u64, problem: String| AuditVerification {
            events: count,
            ok: false,
            first_bad_event: Some(seq),
            problem: Some(problem),
        };
        while let Some(r) = rows.next()? {
            let (event, details, stored_prev) = event_row(r)?;
            count += 1;
            if event.seq != prev_seq + 1 {
                return Ok(bad(
                    prev_seq + 1,
                    count,
                    format!("events {} to {} are missing", prev_seq + 1, event.seq - 1),
                ));
            }
            if stored_prev != prev_hash {
                return Ok(bad(
                    event.seq,
                    count,
                    format!("event {} does not follow the event before it", event.seq),
                ));
            }
            if event_hash(&prev_hash, &event, &details) != event.hash {
                return Ok(bad(
                    event.seq,
                    count,
                    format!("event {} was changed after it was recorded", event.seq),
                ));
            }
            prev_hash = event.hash;
            prev_seq = event.seq;
        }
        let head: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM app_meta WHERE key = 'audit_head'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(head) = head {
            let (seq, hash) = head.split_once(':').unwrap_or(("0", ""));
            let seq: i64 = seq.parse().unwrap_or(0);
            if seq != prev_seq || hash != prev_hash {
                let first = (prev_seq + 1).min(seq.max(1));
                return Ok(bad(
                    first,
                    count,
                    if seq > prev_seq {
                        format!("the last events (after {prev_seq}, up to {seq}) are missing")
                    } else {
                        format!("the chain's recorded head ({seq}) does not match its last event ({prev_seq})")
                    },
                ));
            }
        } else if count > 0 {
            return Ok(bad(1, count, "the chain's head is missing".into()));
        }
        Ok(AuditVerification {
            events: count,
            ok: true,
            first_bad_event: None,
            problem: None,
        })
    }

    /// Every event of one document, oldest first.
    pub fn document_events(&self, document_id: i64) -> Result<Vec<StoredEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE document_id = ?1 ORDER BY seq"
        ))?;
        let rows = stmt
            .query_map(params![document_id], |r| event_row(r).map(|(e, _, _)| e))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Events after `seq`, oldest first, up to `limit` (for replaying the log).
    pub fn events_after(&self, seq: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![seq, limit], |r| event_row(r).map(|(e, _, _)| e))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// SQLite's `data_version`: it changes when another connection (another process, or
    /// another connection of this one) commits to the database, not for this connection's own
    /// commits.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// How many events there are.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Runs `f` in one transaction: its own (`BEGIN IMMEDIATE`, so two processes writing at
    /// once wait for each other instead of failing), or a savepoint inside the caller's.
    pub fn atomically<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let outer = self.conn.is_autocommit();
        let begin = if outer {
            "BEGIN IMMEDIATE"
        } else {
            "SAVEPOINT handover_step"
        };
        self.conn
            .execute_batch(begin)
            .map_err(|e| E::from(StoreError::from(e)))?;
        match f(self) {
            Ok(value) => {
                let end = if outer {
                    "COMMIT"
                } else {
                    "RELEASE handover_step"
                };
                self.conn
                    .execute_batch(end)
                    .map_err(|e| E::from(StoreError::from(e)))?;
                Ok(value)
            }
            Err(e) => {
                let undo = if outer {
                    "ROLLBACK"
                } else {
                    "ROLLBACK TO handover_step; RELEASE handover_step"
                };
                let _ = self.conn.execute_batch(undo);
                Err(e)
            }
        }
    }
}
