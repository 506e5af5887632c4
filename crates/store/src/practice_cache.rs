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
//!
//! Schema 12: which document the practice numbered each `doc_seq` (`practice_documents`),
//! where in this desktop's own log each practice event was folded into a document
//! (`practice_folds`, what `rebuild` orders by), and the breaks found in the practice's chain
//! (`practice_chain_breaks`): a server restored from an older backup no longer has the
//! events and documents after its backup; [`Store::rewind_practice_cache`] takes the cache
//! back to what the server still has (never dropping a cached document).

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
/// The practice register's version this cache last took from the server (JSON,
/// [`PracticeRegisterRecord`]).
const REGISTER: &str = "practice_register";

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
    /// How many times the server was found to have gone back (restored from an older
    /// backup), and the last time, as reported then.
    pub chain_breaks: u64,
    pub last_chain_break: Option<ChainBreak>,
    /// The version of the practice register (schema 6 on the server) this cache last took:
    /// 0 when it has taken none. Every desktop of the practice that has taken version N
    /// matches documents against the same register.
    pub register_version: i64,
    /// That version as the server recorded it (who imported it and when), and when this
    /// cache took it.
    pub register: Option<PracticeRegisterRecord>,
}

/// The version of the practice register a cache took from the practice server, recorded in
/// the transaction that wrote its rows into the local register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PracticeRegisterRecord {
    pub version: i64,
    /// SHA-256 of the version's rows as the server holds them.
    pub sha256: String,
    /// When and by whom (the database login) it was imported on the server.
    pub imported_at: String,
    pub imported_by: String,
    /// When this cache took it.
    pub taken_at: String,
    /// Whether the documents waiting for a match have been matched again against it (set
    /// once that is done; a pull finding it unset does it).
    pub rematched: bool,
}

/// The practice server found to have gone back: its log no longer has the event at this
/// cache's cursor with the hash the cache kept (its head is lower, or the event there is
/// another), or its documents end before the cache's document cursor, or the document at that
/// cursor is another. What a restore from an older backup looks like. Reported in the pull's
/// summary and in `handover status` (`practice.last_chain_break`); not an error of the pull.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ChainBreak {
    /// When this desktop found it (RFC 3339, UTC).
    pub detected_at: String,
    /// The server's log head (seq and hash) and documents' head (`doc_seq`) when found.
    pub server_event_seq: i64,
    pub server_event_hash: String,
    pub server_document_seq: i64,
    /// What the cache had pulled: its event cursor and that event's hash, its document cursor.
    pub cache_event_seq: i64,
    pub cache_event_hash: Option<String>,
    pub cache_document_seq: i64,
    /// The last event (and document) the server and the cache still have alike: the cursors
    /// go back to these, and the pull carries on from there.
    pub events_kept_to: i64,
    pub documents_kept_to: i64,
    /// Practice events the cache had that the server no longer has (dropped from the cache).
    pub events_lost: u64,
    /// Of those, this desktop's own: put back in the outbox, to be sent again (same event
    /// ids, so nothing is doubled).
    pub own_events_resent: u64,
    /// Documents in the cache the server no longer has (kept in the cache: clinical content
    /// is never dropped), and their ids here.
    pub documents_lost: u64,
    pub lost_document_ids: Vec<i64>,
    /// In words.
    pub message: String,
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

    pub(crate) fn put_meta(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
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
        let register = self.practice_register()?;
        let (chain_breaks, last_break): (i64, Option<String>) = self.conn.query_row(
            "SELECT count(*), (SELECT report FROM practice_chain_breaks ORDER BY id DESC LIMIT 1)
             FROM practice_chain_breaks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
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
            chain_breaks: chain_breaks as u64,
            last_chain_break: last_break.and_then(|r| serde_json::from_str(&r).ok()),
            register_version: register.as_ref().map_or(0, |r| r.version),
            register,
        })
    }

    /// The version of the practice register this cache last took (None: none yet).
    pub fn practice_register(&self) -> Result<Option<PracticeRegisterRecord>, StoreError> {
        Ok(self
            .meta_value(REGISTER)?
            .and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Records the version of the practice register this cache has taken (call it in the
    /// transaction that writes the version's rows).
    pub fn set_practice_register(&self, record: &PracticeRegisterRecord) -> Result<(), StoreError> {
        self.put_meta(
            REGISTER,
            Some(&serde_json::to_string(record).expect("serialises")),
        )
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
        let rows = stmt.query_map(params![document_key], practice_event_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The hash of the practice event this cache keeps under `seq` (None if it keeps none).
    pub fn practice_event_hash(&self, seq: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT hash FROM practice_events WHERE seq = ?1",
                params![seq],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The document the practice numbered `doc_seq`, as this cache pulled it (None if the
    /// cache does not know: not pulled, or pulled before schema 12).
    pub fn practice_document_key(&self, doc_seq: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT document_key FROM practice_documents WHERE doc_seq = ?1",
                params![doc_seq],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records which document the practice numbered `doc_seq` (inside the page's batch).
    pub fn record_practice_document(
        &self,
        doc_seq: i64,
        document_key: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO practice_documents (doc_seq, document_key) VALUES (?1, ?2)
                 ON CONFLICT (doc_seq) DO UPDATE SET document_key = excluded.document_key",
            )?
            .execute(params![doc_seq, document_key])?;
        Ok(())
    }

    /// Cached documents from the practice that the server may no longer have once it has gone
    /// back to `doc_seq`: those it numbered after it, and those pulled before schema 12 (whose
    /// number this cache does not know). Each as (content hash, the document's id here), by id.
    pub fn practice_documents_after(&self, doc_seq: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT key, id FROM (
                 SELECT p.document_key AS key,
                        (SELECT min(d.id) FROM documents d
                          WHERE d.content_sha256 = p.document_key) AS id
                   FROM practice_documents p WHERE p.doc_seq > ?1
                 UNION
                 SELECT d.content_sha256, min(d.id) FROM documents d
                   JOIN messages m ON m.id = d.message_id
                  WHERE m.source = 'practice' AND d.content_sha256 IS NOT NULL
                    AND d.content_sha256 NOT IN (SELECT document_key FROM practice_documents)
                  GROUP BY d.content_sha256)
             WHERE id IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt.query_map(params![doc_seq], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Takes the cache back to what a server that has gone back still has, in one
    /// transaction: this desktop's own events the server lost go back into the outbox (they
    /// are in this desktop's own log; sent again with the same ids), the practice events
    /// after `report.events_kept_to` are dropped with where they were folded, the documents'
    /// numbers after `report.documents_kept_to` are forgotten (the documents themselves stay),
    /// the cursors go back to those two, and the break is recorded. Fills in
    /// `report.events_lost` and `report.own_events_resent`. Rebuilding the projections
    /// without the dropped events is the caller's (the workflow's `rebuild`), in the same
    /// transaction if it wants one.
    pub fn rewind_practice_cache(&self, report: &mut ChainBreak) -> Result<(), StoreError> {
        self.atomically(|s| {
            let kept = report.events_kept_to;
            report.own_events_resent = s.conn.execute(
                "INSERT OR IGNORE INTO practice_outbox (seq, queued_at)
                 SELECT e.seq, ?2 FROM events e JOIN practice_events p ON p.event_id = e.event_id
                  WHERE p.seq > ?1",
                params![kept, report.detected_at],
            )? as u64;
            s.conn.execute(
                "DELETE FROM practice_folds WHERE practice_seq > ?1",
                params![kept],
            )?;
            report.events_lost = s
                .conn
                .execute("DELETE FROM practice_events WHERE seq > ?1", params![kept])?
                as u64;
            s.conn.execute(
                "DELETE FROM practice_documents WHERE doc_seq > ?1",
                params![report.documents_kept_to],
            )?;
            report.message = format!(
                "the practice server has gone back (restored from an older backup?): its log \
                 ends at event {} and its documents at {}; this desktop had pulled to event {} \
                 and document {}. {} events it no longer has were dropped from this cache ({} \
                 of them this desktop's own, sent again); {} documents it no longer has are \
                 kept here",
                report.server_event_seq,
                report.server_document_seq,
                report.cache_event_seq,
                report.cache_document_seq,
                report.events_lost,
                report.own_events_resent,
                report.documents_lost,
            );
            s.put_meta(EVENT_CURSOR, Some(&kept.to_string()))?;
            s.put_meta(DOCUMENT_CURSOR, Some(&report.documents_kept_to.to_string()))?;
            s.conn.execute(
                "INSERT INTO practice_chain_breaks (detected_at, report) VALUES (?1, ?2)",
                params![
                    report.detected_at,
                    serde_json::to_string(&report).expect("serialises")
                ],
            )?;
            Ok(())
        })
    }

    /// Records that the practice event `practice_seq` was folded into document `document_id`
    /// now, after this desktop's own log's last event (inside the fold's transaction), so
    /// `rebuild` folds it at the same place.
    pub fn record_practice_fold(
        &self,
        practice_seq: i64,
        document_id: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO practice_folds (practice_seq, document_id, after_event)
                 VALUES (?1, ?2, (SELECT coalesce(max(seq), 0) FROM events))
                 ON CONFLICT (practice_seq, document_id) DO NOTHING",
            )?
            .execute(params![practice_seq, document_id])?;
        Ok(())
    }

    /// The practice events about document `document_id` (by its content hash, when it is the
    /// document the pull folds them into: the first with that content), in the practice's
    /// order, each with the local log's seq it was folded after (None if not recorded: folded
    /// before schema 12, or not folded).
    pub fn practice_events_of_document(
        &self,
        document_id: i64,
    ) -> Result<Vec<(PracticeEventRecord, Option<i64>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.seq, p.event_id, p.at, p.actor, p.role, p.os_user, p.device,
                    p.document_key, p.kind, p.details, p.prev_hash, p.hash, p.recorded_at,
                    f.after_event
             FROM documents d
             JOIN practice_events p ON p.document_key = d.content_sha256
             LEFT JOIN practice_folds f ON f.practice_seq = p.seq AND f.document_id = d.id
             WHERE d.id = ?1
               AND d.id = (SELECT min(o.id) FROM documents o
                            WHERE o.content_sha256 = d.content_sha256)
             ORDER BY p.seq",
        )?;
        let rows = stmt.query_map(params![document_id], |r| {
            Ok((practice_event_row(r)?, r.get(13)?))
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

/// A `practice_events` row from its 13 columns in table order (seq ... recorded_at), first in
/// the SELECT.
fn practice_event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PracticeEventRecord> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryKeyStore;
    use crate::{Actor, DataDir, NewEvent, Role};

    fn event(seq: i64, id: &str, device: &str, prev: &str) -> PracticeEventRecord {
        PracticeEventRecord {
            seq,
            event_id: id.into(),
            at: "2026-07-01T10:00:00.000Z".into(),
            actor: "gp_one".into(),
            role: Some("gp".into()),
            os_user: "alice".into(),
            device: device.into(),
            document_key: None,
            kind: "note_added".into(),
            details: "{}".into(),
            prev_hash: prev.into(),
            hash: format!("hash-{seq}"),
            recorded_at: "2026-07-01T10:00:01.000Z".into(),
        }
    }

    /// The cache pulled events 1 to 5 (2 and 4 this desktop's own) and documents 1 to 3; the
    /// server went back to event 1 and document 1. The rewind requeues this desktop's two lost
    /// events (and nothing else), drops events 2 to 5 and the numbers of documents 2 and 3,
    /// moves both cursors back, and records the break for the status; the own log is whole.
    #[test]
    fn the_rewind_requeues_own_lost_events_and_drops_only_what_the_server_lost() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(
            &DataDir::new(tmp.path().join("d")),
            &MemoryKeyStore::default(),
        )
        .unwrap();
        store
            .bind_practice_server("srv", "PRC1", "Riverside")
            .unwrap();
        let device = store.device_id().unwrap();
        let actor = Actor {
            name: "alice".into(),
            role: Some(Role::Gp),
            os_user: "alice".into(),
            device: device.clone(),
        };
        let details = serde_json::json!({ "markdown": "x" });
        let mut own = Vec::new();
        for _ in 0..3 {
            let e = store
                .append_event(&NewEvent {
                    actor: &actor,
                    at: "2026-07-01T10:00:00Z",
                    document_id: None,
                    kind: "note_added",
                    details: &details,
                })
                .unwrap();
            assert!(store.queue_practice_push(e.seq, "now").unwrap());
            own.push(e);
        }
        // The third own event is still waiting to be sent.
        let pulled = vec![
            event(1, "other:1", "other", "0"),
            event(2, &own[0].event_id, &device, "hash-1"),
            event(3, "other:2", "other", "hash-2"),
            event(4, &own[1].event_id, &device, "hash-3"),
            event(5, "other:3", "other", "hash-4"),
        ];
        assert_eq!(
            store.record_practice_events(&pulled, "now").unwrap().len(),
            5
        );
        assert_eq!(store.practice_outbox_len().unwrap(), 1);
        for n in 1..=3 {
            store
                .record_practice_document(n, &format!("doc-{n}"))
                .unwrap();
        }
        store.set_practice_document_cursor(3).unwrap();
        assert_eq!(store.practice_cursors().unwrap(), (3, 5));

        let mut report = ChainBreak {
            detected_at: "2026-07-02T09:00:00.000Z".into(),
            server_event_seq: 1,
            server_event_hash: "hash-1".into(),
            server_document_seq: 1,
            cache_event_seq: 5,
            cache_event_hash: store.practice_event_hash(5).unwrap(),
            cache_document_seq: 3,
            events_kept_to: 1,
            documents_kept_to: 1,
            ..ChainBreak::default()
        };
        store.rewind_practice_cache(&mut report).unwrap();
        assert_eq!(report.events_lost, 4);
        assert_eq!(report.own_events_resent, 2);
        assert!(report.message.contains("4 events"), "{}", report.message);
        assert_eq!(store.practice_cursors().unwrap(), (1, 1));
        assert_eq!(
            store.practice_event_hash(1).unwrap().as_deref(),
            Some("hash-1")
        );
        assert_eq!(store.practice_event_hash(2).unwrap(), None);
        assert_eq!(
            store.practice_document_key(1).unwrap().as_deref(),
            Some("doc-1")
        );
        assert_eq!(store.practice_document_key(2).unwrap(), None);
        let queued: Vec<String> = store
            .practice_outbox(0, 10)
            .unwrap()
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        let all_own: Vec<String> = own.iter().map(|e| e.event_id.clone()).collect();
        assert_eq!(queued, all_own, "the two lost ones and the one never sent");
        assert_eq!(store.event_count().unwrap(), 3, "the own log is whole");
        let state = store.practice_cache_state().unwrap();
        assert_eq!(state.chain_breaks, 1);
        assert_eq!(state.events, 1);
        assert_eq!(state.last_chain_break, Some(report));

        // Pulled again from the server, the resent events leave the outbox as before.
        let back = vec![
            event(2, &own[0].event_id, &device, "hash-1"),
            event(3, &own[1].event_id, &device, "hash-2"),
            event(4, &own[2].event_id, &device, "hash-3"),
        ];
        assert_eq!(store.record_practice_events(&back, "now").unwrap().len(), 3);
        assert_eq!(store.practice_outbox_len().unwrap(), 0);
    }
}
