//! This desktop as a cache of the practice server (issue 14): where the pull stands.
//!
//! Documents pulled from the practice are stored as any message is ([`Store::ingest`], source
//! [`crate::MessageSource::Practice`], the practice as the mailbox, the document's content hash
//! as the message id), each batch in one transaction with the cursor it advances
//! ([`Store::set_practice_document_cursor`]), so a pull that stops anywhere loses nothing and
//! repeats nothing. The practice log's events are kept as pulled (`practice_events`, by the
//! practice's seq), with their cursor, in one transaction per page; this desktop's own events
//! wait in `practice_outbox` until a pull finds them there. Which server and practice
//! the cache is of, the cursors and when the last pull succeeded are in `app_meta`.

use handover_errors::ErrorCode;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::{Store, StoreError};

pub(crate) const SERVER: &str = "practice_server";
const DOCUMENT_CURSOR: &str = "practice_document_cursor";
const EVENT_CURSOR: &str = "practice_event_cursor";
pub(crate) const LAST_PULL: &str = "practice_last_pull_at";
pub(crate) const LAST_ATTEMPT: &str = "practice_last_attempt_at";
pub(crate) const LAST_ERROR: &str = "practice_last_error";
/// When the current run of failed pulls began (cleared by a pull that succeeds).
pub(crate) const FAILING_SINCE: &str = "practice_failing_since";

/// Where this desktop's cache of the practice server stands: what `handover status` shows and
/// the stale banner is made from ("practice server unreachable, last pulled N minutes ago").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PracticeCacheState {
    /// The practice server the cache was filled from (its database's id) and the practice.
    pub server_id: Option<String>,
    pub practice_id: Option<String>,
    pub practice_name: Option<String>,
    /// The last document (`doc_seq`) and event (`seq`) of the practice in the cache.
    pub document_cursor: i64,
    pub event_cursor: i64,
    /// When a pull last finished (RFC 3339, UTC).
    pub last_pull_at: Option<String>,
    /// When a pull was last tried, and why it failed if it did.
    pub last_attempt_at: Option<String>,
    pub last_error_code: Option<ErrorCode>,
    pub last_error: Option<String>,
    /// Documents in the cache that came from the practice, and practice events.
    pub documents: u64,
    pub events: u64,
    /// This desktop's events not yet seen in the practice log (waiting to be sent, or sent
    /// and not yet pulled back).
    pub outbox: u64,
}

/// One of this desktop's events to append to the practice log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEvent {
    /// The local log's seq.
    pub seq: i64,
    /// `device:seq`: the idempotency key.
    pub event_id: String,
    pub at: String,
    pub os_user: String,
    pub device: String,
    pub document_key: Option<String>,
    pub kind: String,
    pub details: String,
}

/// An event of the practice log, as pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeEventRecord {
    pub seq: i64,
    pub event_id: String,
    pub at: String,
    pub actor: String,
    pub role: Option<String>,
    pub os_user: String,
    pub device: String,
    pub document_key: Option<String>,
    pub kind: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
    pub recorded_at: String,
}

#[derive(Serialize, serde::Deserialize)]
pub(crate) struct ServerRecord {
    pub(crate) server_id: String,
    pub(crate) practice_id: String,
    pub(crate) practice_name: String,
}

#[derive(Serialize, serde::Deserialize)]
pub(crate) struct ErrorRecord {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl Store {
    pub(crate) fn meta_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM app_meta WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn put_meta(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO app_meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, v],
            )?,
            None => self
                .conn
                .execute("DELETE FROM app_meta WHERE key = ?1", params![key])?,
        };
        Ok(())
    }

    fn meta_i64(&self, key: &str) -> Result<i64, StoreError> {
        Ok(self
            .meta_value(key)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The pull's cursors: the last `doc_seq` and the last event `seq` kept (0 and 0 before
    /// the first pull). Cheap, unlike [`Store::practice_cache_state`], which counts the
    /// cached documents (a scan of the messages).
    pub fn practice_cursors(&self) -> Result<(i64, i64), StoreError> {
        Ok((
            self.meta_i64(DOCUMENT_CURSOR)?,
            self.meta_i64(EVENT_CURSOR)?,
        ))
    }

    /// How many of this desktop's events wait in the outbox.
    pub fn practice_outbox_len(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM practice_outbox", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Where the cache of the practice server stands (all empty when there is none).
    pub fn practice_cache_state(&self) -> Result<PracticeCacheState, StoreError> {
        let server: Option<ServerRecord> = self
            .meta_value(SERVER)?
            .and_then(|v| serde_json::from_str(&v).ok());
        let error: Option<ErrorRecord> = self
            .meta_value(LAST_ERROR)?
            .and_then(|v| serde_json::from_str(&v).ok());
        let documents: i64 = self.conn.query_row(
            "SELECT count(*) FROM messages WHERE source = 'practice' AND outcome = 'stored'",
            [],
            |r| r.get(0),
        )?;
        let events: i64 = self
            .conn
            .query_row("SELECT count(*) FROM practice_events", [], |r| r.get(0))?;
        let outbox: i64 = self
            .conn
            .query_row("SELECT count(*) FROM practice_outbox", [], |r| r.get(0))?;
        Ok(PracticeCacheState {
            server_id: server.as_ref().map(|s| s.server_id.clone()),
            practice_id: server.as_ref().map(|s| s.practice_id.clone()),
            practice_name: server.map(|s| s.practice_name),
            document_cursor: self.meta_i64(DOCUMENT_CURSOR)?,
            event_cursor: self.meta_i64(EVENT_CURSOR)?,
            last_pull_at: self.meta_value(LAST_PULL)?,
            last_attempt_at: self.meta_value(LAST_ATTEMPT)?,
            last_error_code: error.as_ref().map(|e| e.code),
            last_error: error.map(|e| e.message),
            documents: documents as u64,
            events: events as u64,
            outbox: outbox as u64,
        })
    }

    /// Records which practice server and practice this cache is of, the first time; after
    /// that, refuses (`practice_server_changed`) a server or practice other than the one the
    /// cache was filled from. The practice's name is kept up to date.
    pub fn bind_practice_server(
        &self,
        server_id: &str,
        practice_id: &str,
        practice_name: &str,
    ) -> Result<(), StoreError> {
        self.atomically(|s| {
            if let Some(known) = s
                .meta_value(SERVER)?
                .and_then(|v| serde_json::from_str::<ServerRecord>(&v).ok())
            {
                if known.server_id != server_id || known.practice_id != practice_id {
                    return Err(StoreError::PracticeServerChanged {
                        cached_server: known.server_id,
                        cached_practice: known.practice_id,
                        server: server_id.to_string(),
                        practice: practice_id.to_string(),
                    });
                }
            }
            let record = ServerRecord {
                server_id: server_id.to_string(),
                practice_id: practice_id.to_string(),
                practice_name: practice_name.to_string(),
            };
            s.put_meta(
                SERVER,
                Some(&serde_json::to_string(&record).expect("serialises")),
            )
        })
    }

    /// Whether this store is a cache of a practice server (it has pulled from one).
    pub fn is_practice_cache(&self) -> Result<bool, StoreError> {
        Ok(self.meta_value(SERVER)?.is_some())
    }

    /// Queues the local log's event `seq` for the practice log, when this store is a cache of
    /// a practice server (inside the transaction that recorded the event). Returns whether it
    /// was queued.
    pub fn queue_practice_push(&self, seq: i64, at: &str) -> Result<bool, StoreError> {
        if !self.is_practice_cache()? {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT OR IGNORE INTO practice_outbox (seq, queued_at) VALUES (?1, ?2)",
            params![seq, at],
        )?;
        Ok(true)
    }

    /// Takes an event out of the outbox that the practice log refused for good (a filing
    /// another desktop made first): it stays in this desktop's own log.
    pub fn drop_practice_push(&self, seq: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM practice_outbox WHERE seq = ?1", params![seq])?;
        Ok(())
    }

    /// Queued events after the local log's `after_seq`, in its order, at most `limit`.
    pub fn practice_outbox(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<OutgoingEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.seq, e.event_id, e.at, e.os_user, e.device, e.document_key, e.kind,
                    e.details
             FROM practice_outbox o JOIN events e ON e.seq = o.seq
             WHERE o.seq > ?1 ORDER BY o.seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_seq, limit], |r| {
            Ok(OutgoingEvent {
                seq: r.get(0)?,
                event_id: r.get(1)?,
                at: r.get(2)?,
                os_user: r.get(3)?,
                device: r.get(4)?,
                document_key: r.get(5)?,
                kind: r.get(6)?,
                details: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The document in the store with this content hash, if any (the first stored).
    pub fn document_by_content(&self, content_sha256: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT min(id) FROM documents WHERE content_sha256 = ?1",
                params![content_sha256],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Moves the document cursor; call it inside the batch that stores those documents, so
    /// both commit together.
    pub fn set_practice_document_cursor(&self, doc_seq: i64) -> Result<(), StoreError> {
        self.put_meta(DOCUMENT_CURSOR, Some(&doc_seq.to_string()))
    }

    /// Keeps a page of the practice log's events and moves the event cursor to the last, in
    /// one transaction; returns the positions in `events` of those that were new (an event
    /// already kept, by seq and id, is not kept again; a different event under a kept seq is
    /// an error: the server's log is not the one the cache was filled from).
    pub fn record_practice_events(
        &self,
        events: &[PracticeEventRecord],
        pulled_at: &str,
    ) -> Result<Vec<usize>, StoreError> {
        self.atomically(|s| {
            let mut added = Vec::new();
            let mut last = s.meta_i64(EVENT_CURSOR)?;
            for (i, e) in events.iter().enumerate() {
                let known: Option<(String, String)> = s
                    .conn
                    .query_row(
                        "SELECT event_id, hash FROM practice_events WHERE seq = ?1",
                        params![e.seq],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                match known {
                    Some((id, hash)) if id == e.event_id && hash == e.hash => {}
                    Some(_) => {
                        return Err(StoreError::Step(format!(
                            "practice event {} differs from the one in this desktop's cache",
                            e.seq
                        )))
                    }
                    None => {
                        s.conn
                            .prepare_cached(
                                "INSERT INTO practice_events (seq, event_id, at, actor, role,
                                     os_user, device, document_key, kind, details, prev_hash,
                                     hash, recorded_at, pulled_at)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                                     ?14)",
                            )?
                            .execute(params![
                                e.seq,
                                e.event_id,
                                e.at,
                                e.actor,
                                e.role,
                                e.os_user,
                                e.device,
                                e.document_key,
                                e.kind,
                                e.details,
                                e.prev_hash,
                                e.hash,
                                e.recorded_at,
                                pulled_at,
                            ])?;
                        added.push(i);
                    }
                }
                // One of ours, now in the practice log: it leaves the outbox.
                s.conn
                    .prepare_cached(
                        "DELETE FROM practice_outbox
                         WHERE seq IN (SELECT seq FROM events WHERE event_id = ?1)",
                    )?
                    .execute(params![e.event_id])?;
                last = last.max(e.seq);
            }
            s.put_meta(EVENT_CURSOR, Some(&last.to_string()))?;
            Ok(added)
        })
    }

    /// The practice events kept for a document (by content hash), in the practice's order.
    pub fn practice_events_for(
        &self,
        document_key: &str,
    ) -> Result<Vec<PracticeEventRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, event_id, at, actor, role, os_user, device, document_key, kind, details,
                    prev_hash, hash, recorded_at
             FROM practice_events WHERE document_key = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![document_key], |r| {
            Ok(PracticeEventRecord {
                seq: r.get(0)?,
                event_id: r.get(1)?,
                at: r.get(2)?,
                actor: r.get(3)?,
                role: r.get(4)?,
                os_user: r.get(5)?,
                device: r.get(6)?,
                document_key: r.get(7)?,
                kind: r.get(8)?,
                details: r.get(9)?,
                prev_hash: r.get(10)?,
                hash: r.get(11)?,
                recorded_at: r.get(12)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records how a pull ended: `error` None for success (the time becomes the last pull).
    pub fn practice_pull_finished(
        &self,
        at: &str,
        error: Option<(ErrorCode, &str)>,
    ) -> Result<(), StoreError> {
        self.atomically(|s| {
            s.put_meta(LAST_ATTEMPT, Some(at))?;
            match error {
                None => {
                    s.put_meta(LAST_PULL, Some(at))?;
                    s.put_meta(FAILING_SINCE, None)?;
                    s.put_meta(LAST_ERROR, None)
                }
                Some((code, message)) => {
                    if s.meta_value(FAILING_SINCE)?.is_none() {
                        s.put_meta(FAILING_SINCE, Some(at))?;
                    }
                    s.put_meta(
                        LAST_ERROR,
                        Some(
                            &serde_json::to_string(&ErrorRecord {
                                code,
                                message: message.to_string(),
                            })
                            .expect("serialises"),
                        ),
                    )
                }
            }
        })
    }
}
