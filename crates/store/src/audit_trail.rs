//! The audit trail as a person reviews it: on a desktop working alone, its own log; on a
//! desktop of a practice (issue 14), the practice's log (everyone's steps, as pulled into this
//! cache) together with the entries of this desktop's own log that are not in it: what Handover
//! derived here by itself (arrivals, automatic matches and responses), non-document entries
//! (profiles, imports, exports), and this desktop's own steps still waiting for the practice or
//! refused by it. A step this desktop sent and the practice accepted is listed once, as the
//! practice's entry (it is the same event: the practice keeps its event id).
//!
//! Each entry says which log it is in and its number there, so it can be found again and
//! checked against that log's hash chain; [`Store::verify_audit_trail`] verifies both.

use rusqlite::params_from_iter;
use serde::{Deserialize, Serialize};

use crate::{AuditQuery, AuditVerification, Role, Store, StoreError};

/// Which hash-chained log an audit entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AuditLog {
    /// This desktop's own log (`events`).
    Desktop,
    /// The practice's log, as this desktop pulled it (`practice_events`).
    Practice,
}

impl AuditLog {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditLog::Desktop => "desktop",
            AuditLog::Practice => "practice",
        }
    }
}

/// Where an entry of this desktop's own log stands with the practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AuditEntryState {
    /// Recorded (in the practice log, or an entry that is only ever this desktop's).
    Recorded,
    /// A step of this desktop waiting to reach the practice log (sent or not).
    Pending,
    /// A step the practice refused (someone filed first, or the document changed since it
    /// was seen): it stays in this desktop's log, and changed nothing.
    Refused,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditEntry {
    pub log: AuditLog,
    /// Its number in its log.
    #[ts(type = "number")]
    pub seq: i64,
    pub event_id: String,
    pub at: String,
    /// The profile (alone) or practice login (on a practice) that did it, or `system`.
    pub actor: String,
    pub role: Option<Role>,
    pub os_user: String,
    pub device: String,
    /// The document on this desktop (None when this desktop has no copy of it).
    #[ts(type = "number | null")]
    pub document_id: Option<i64>,
    pub document_key: Option<String>,
    pub kind: String,
    #[ts(type = "Record<string, unknown>")]
    pub details: serde_json::Value,
    pub hash: String,
    pub state: AuditEntryState,
}

/// What verifying the audit trail found: this desktop's own log, and on a desktop of a
/// practice the copy of the practice's log pulled into it and (when the caller could reach
/// it) the server's own log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditTrailVerification {
    /// Every log checked verifies.
    pub ok: bool,
    pub desktop: AuditVerification,
    /// This desktop's copy of the practice log (None: the desktop works alone).
    pub practice: Option<AuditVerification>,
    /// The practice server's own log (None: the desktop works alone).
    pub server: Option<ServerLogCheck>,
}

/// The practice server's log, checked on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ServerLogCheck {
    /// None when it could not be checked (see `why`).
    pub verification: Option<AuditVerification>,
    /// Why it was not checked (the server cannot be reached, none is configured).
    pub why: Option<String>,
}

impl AuditTrailVerification {
    /// Puts the results together (`ok` only if every one checked verifies).
    pub fn new(
        desktop: AuditVerification,
        practice: Option<AuditVerification>,
        server: Option<ServerLogCheck>,
    ) -> Self {
        let ok = desktop.ok
            && practice.as_ref().is_none_or(|p| p.ok)
            && server
                .as_ref()
                .and_then(|s| s.verification.as_ref())
                .is_none_or(|v| v.ok);
        AuditTrailVerification {
            ok,
            desktop,
            practice,
            server,
        }
    }
}

/// This desktop's own entries that are not in the practice log (columns in [`entry_row`]'s
/// order; alone, every entry).
const DESKTOP: &str = "
    SELECT 'desktop' AS log, e.seq, e.event_id, e.at, e.actor, e.role, e.os_user, e.device,
           e.document_id, e.document_key, e.kind, e.details, e.hash,
           (o.seq IS NOT NULL) AS pending
      FROM events e LEFT JOIN practice_outbox o ON o.seq = e.seq
     WHERE NOT EXISTS (SELECT 1 FROM practice_events p WHERE p.event_id = e.event_id)";

/// The practice log as pulled (the same columns).
const PRACTICE: &str = "
    SELECT 'practice' AS log, p.seq, p.event_id, p.at, p.actor, p.role, p.os_user, p.device,
           (SELECT min(d.id) FROM documents d WHERE d.content_sha256 = p.document_key)
               AS document_id,
           p.document_key, p.kind, p.details, p.hash, 0 AS pending
      FROM practice_events p";

fn entry_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let log: String = r.get(0)?;
    let role: Option<String> = r.get(5)?;
    let details: String = r.get(11)?;
    let pending: bool = r.get(13)?;
    Ok(AuditEntry {
        log: if log == "practice" {
            AuditLog::Practice
        } else {
            AuditLog::Desktop
        },
        seq: r.get(1)?,
        event_id: r.get(2)?,
        at: r.get(3)?,
        actor: r.get(4)?,
        // A role this version does not know (a newer server's) is shown as none, not an error.
        role: role.as_deref().and_then(Role::parse),
        os_user: r.get(6)?,
        device: r.get(7)?,
        document_id: r.get(8)?,
        document_key: r.get(9)?,
        kind: r.get(10)?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
        hash: r.get(12)?,
        state: if pending {
            AuditEntryState::Pending
        } else {
            AuditEntryState::Recorded
        },
    })
}

/// An entry's time as one format sorts (RFC 3339 in UTC to the millisecond): entries are
/// recorded to the second by some commands and to the millisecond by others, and
/// "10:00:00Z" would sort after "10:00:00.338Z" as text.
const AT_KEY: &str = "coalesce(strftime('%Y-%m-%dT%H:%M:%f', at), at)";

fn at_key(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%S%.3f")
                .to_string()
        })
        .unwrap_or_else(|_| at.to_string())
}

/// A step of this desktop the practice refused is marked so (see `Store::mark_practice_refused`).
fn mark_refused(refused: &std::collections::BTreeSet<i64>, e: &mut AuditEntry) {
    if e.log == AuditLog::Desktop && refused.contains(&e.seq) {
        e.state = AuditEntryState::Refused;
    }
}

impl Store {
    /// The audit trail, filtered and paged, newest first when `newest_first`, else oldest
    /// first. Alone it is exactly this desktop's own log, in its order. On a desktop of a
    /// practice it is the practice log with this desktop's own entries that are not in it,
    /// in the order they were made (then by log and number); each log gives its newest (or
    /// oldest) `offset + limit` matching entries by its own index, and only those are sorted
    /// together. `q.log` keeps one log only.
    pub fn audit_trail(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = if q.limit == 0 {
            100
        } else {
            q.limit.min(10_000)
        };
        let practice = self.is_practice_cache()?;
        // Each log's own conditions (the same filters; a document is this desktop's by its
        // id, the practice's by its content).
        let key = match q.document_id {
            Some(id) => self.document_key_of(id)?,
            None => None,
        };
        let branch = |log: AuditLog| -> (String, Vec<rusqlite::types::Value>) {
            let mut conditions: Vec<&str> = Vec::new();
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            if let Some(actor) = q.actor.as_deref().filter(|a| !a.is_empty()) {
                // A login or profile name, or the display name the practice gave it.
                conditions.push(
                    "(actor = ? COLLATE NOCASE OR actor IN (SELECT name FROM users
                                                            WHERE display_name = ? COLLATE NOCASE))",
                );
                args.push(actor.to_string().into());
                args.push(actor.to_string().into());
            }
            if let Some(kind) = q.kind.as_deref().filter(|k| !k.is_empty()) {
                conditions.push("kind = ?");
                args.push(kind.to_string().into());
            }
            if let Some(id) = q.document_id {
                match log {
                    AuditLog::Desktop => {
                        conditions.push("document_id = ?");
                        args.push(id.into());
                    }
                    AuditLog::Practice => {
                        conditions.push("document_key = ?");
                        args.push(key.clone().unwrap_or_default().into());
                    }
                }
            }
            if let Some(from) = q.from.as_deref().filter(|s| !s.is_empty()) {
                conditions.push("at >= ?");
                args.push(from.to_string().into());
            }
            if let Some(to) = q.to.as_deref().filter(|s| !s.is_empty()) {
                if to.len() == 10 {
                    // A date: up to the end of it.
                    conditions.push("at < date(?, '+1 day')");
                    args.push(to.to_string().into());
                } else {
                    conditions.push("at < ?");
                    args.push(to.to_string().into());
                }
            }
            let filter = if conditions.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conditions.join(" AND "))
            };
            let source = match log {
                AuditLog::Desktop => DESKTOP,
                AuditLog::Practice => PRACTICE,
            };
            (format!("SELECT * FROM ({source}) {filter}"), args)
        };
        let wanted = |log: AuditLog| q.log.is_none_or(|l| l == log);
        let dir = if q.newest_first { "DESC" } else { "ASC" };
        let (sql, args) = if !practice {
            // Alone: the desktop's log in its own order.
            let (sql, args) = branch(AuditLog::Desktop);
            let sql = if wanted(AuditLog::Desktop) {
                format!("{sql} ORDER BY seq {dir} LIMIT {limit} OFFSET {}", q.offset)
            } else {
                format!("{sql} LIMIT 0")
            };
            (sql, args)
        } else {
            let n = u64::from(q.offset) + u64::from(limit);
            let mut parts = Vec::new();
            let mut args = Vec::new();
            for log in [AuditLog::Desktop, AuditLog::Practice] {
                if !wanted(log) {
                    continue;
                }
                let (sql, a) = branch(log);
                parts.push(format!(
                    "SELECT * FROM ({sql} ORDER BY at {dir}, seq {dir} LIMIT {n})"
                ));
                args.extend(a);
            }
            if parts.is_empty() {
                return Ok(Vec::new());
            }
            (
                // Each log's page is chosen by its index on `at` (times recorded in either
                // format differ only within their second), then ordered exactly.
                format!(
                    "SELECT * FROM ({}) ORDER BY {AT_KEY} {dir}, log {dir}, seq {dir} \
                     LIMIT {limit} OFFSET {}",
                    parts.join(" UNION ALL "),
                    q.offset
                ),
                args,
            )
        };
        // Not cached: the text varies with the filters and the page.
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt
            .query_map(params_from_iter(args.iter()), entry_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let refused = self.practice_refused_seqs()?;
        for e in &mut rows {
            mark_refused(&refused, e);
        }
        Ok(rows)
    }

    /// Every entry of the audit trail, oldest first, one at a time (for the CSV export, which
    /// may be a million entries): alone, this desktop's log by its number; on a desktop of a
    /// practice, the two logs merged by time as [`Store::audit_trail`] orders them.
    pub fn for_each_audit_entry(
        &self,
        mut f: impl FnMut(&AuditEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let refused = self.practice_refused_seqs()?;
        let mut desktop_stmt = self.conn.prepare(&if self.is_practice_cache()? {
            format!("{DESKTOP} ORDER BY e.at, e.seq")
        } else {
            format!("{DESKTOP} ORDER BY e.seq")
        })?;
        let mut practice_stmt = self
            .conn
            .prepare(&format!("{PRACTICE} ORDER BY p.at, p.seq"))?;
        let mut desktop = desktop_stmt.query_map([], entry_row)?.peekable();
        let mut practice = practice_stmt.query_map([], entry_row)?.peekable();
        loop {
            let take_desktop = match (desktop.peek(), practice.peek()) {
                (None, None) => return Ok(()),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(Ok(d)), Some(Ok(p))) => at_key(&d.at) <= at_key(&p.at),
                // An error is taken (and returned) first.
                (Some(Err(_)), _) => true,
                (_, Some(Err(_))) => false,
            };
            let next = if take_desktop {
                desktop.next()
            } else {
                practice.next()
            };
            if let Some(e) = next {
                let mut e = e?;
                mark_refused(&refused, &mut e);
                f(&e)?;
            }
        }
    }

    /// How many practice events this cache keeps.
    pub fn practice_event_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM practice_events", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// Verifies this desktop's own log and, on a desktop of a practice, its copy of the
    /// practice log (the server's own log is for the caller, which can reach it, to add).
    pub fn verify_audit_trail(&self) -> Result<AuditTrailVerification, StoreError> {
        let desktop = self.verify_audit()?;
        let practice = if self.is_practice_cache()? {
            Some(self.verify_practice_log()?)
        } else {
            None
        };
        Ok(AuditTrailVerification::new(desktop, practice, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryKeyStore;
    use crate::{Actor, DataDir, NewEvent, PracticeEventRecord};

    fn store(tmp: &tempfile::TempDir) -> Store {
        Store::open(
            &DataDir::new(tmp.path().join("d")),
            &MemoryKeyStore::default(),
        )
        .unwrap()
    }

    fn actor(store: &Store, name: &str) -> Actor {
        Actor {
            name: name.into(),
            role: Some(Role::Admin),
            os_user: "desk".into(),
            device: store.device_id().unwrap(),
        }
    }

    fn append(store: &Store, actor: &Actor, at: &str, kind: &str) -> crate::StoredEvent {
        store
            .append_event(&NewEvent {
                actor,
                at,
                document_id: None,
                kind,
                details: &serde_json::json!({ "n": at }),
            })
            .unwrap()
    }

    /// Practice events chained as the server chains them, so the copy verifies.
    fn chained(events: &[(&str, &str, &str, &str)]) -> Vec<PracticeEventRecord> {
        let mut prev = handover_chain::GENESIS_HASH.to_string();
        let mut out = Vec::new();
        for (i, (event_id, at, actor, kind)) in events.iter().enumerate() {
            let seq = i as i64 + 1;
            let device = event_id.split(':').next().unwrap().to_string();
            let details = "{}".to_string();
            let hash = handover_chain::event_hash(
                &prev,
                &handover_chain::ChainFields {
                    seq,
                    event_id,
                    at,
                    actor,
                    role: Some("gp"),
                    os_user: "desk",
                    device: &device,
                    document_key: None,
                    kind,
                    details: &details,
                },
            );
            out.push(PracticeEventRecord {
                seq,
                event_id: event_id.to_string(),
                at: at.to_string(),
                actor: actor.to_string(),
                role: Some("gp".into()),
                os_user: "desk".into(),
                device,
                document_key: None,
                kind: kind.to_string(),
                details,
                prev_hash: prev.clone(),
                hash: hash.clone(),
                recorded_at: at.to_string(),
            });
            prev = hash;
        }
        out
    }

    #[test]
    fn alone_the_trail_is_the_desktops_own_log() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(&tmp);
        let me = actor(&store, "alice");
        append(&store, &me, "2026-07-01T10:00:00.000Z", "user_added");
        append(&store, &me, "2026-07-01T11:00:00.000Z", "audit_exported");
        let trail = store
            .audit_trail(&AuditQuery {
                newest_first: true,
                ..Default::default()
            })
            .unwrap();
        let mut own = store.events_after(0, 100).unwrap();
        own.reverse();
        assert_eq!(trail.len(), 2);
        for (t, e) in trail.iter().zip(&own) {
            assert_eq!(
                (t.log, t.seq, &t.event_id, &t.hash),
                (AuditLog::Desktop, e.seq, &e.event_id, &e.hash)
            );
            assert_eq!(t.state, AuditEntryState::Recorded);
        }
        let v = store.verify_audit_trail().unwrap();
        assert!(
            v.ok && v.desktop.events == 2 && v.practice.is_none(),
            "{v:?}"
        );
    }

    /// On a desktop of a practice: everyone's steps from the practice log, this desktop's own
    /// sent steps once (as the practice's), its own pending and refused steps and its
    /// desktop-only entries from its own log; filters apply to both; both chains verify.
    #[test]
    fn on_a_practice_the_trail_combines_both_logs_each_entry_once() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(&tmp);
        store
            .bind_practice_server("srv", "PRC1", "Riverside")
            .unwrap();
        let me = actor(&store, "alex_admin");
        let sent = append(&store, &me, "2026-07-01T10:05:00.000Z", "note_added");
        assert!(store.queue_practice_push(sent.seq, "now").unwrap());
        let local_only = append(&store, &me, "2026-07-01T10:06:00.000Z", "audit_exported");
        let pending = append(&store, &me, "2026-07-01T10:07:00.000Z", "note_added");
        assert!(store.queue_practice_push(pending.seq, "now").unwrap());
        let refused = append(&store, &me, "2026-07-01T10:08:00.000Z", "filed");
        store.mark_practice_refused(refused.seq).unwrap();

        let pulled = chained(&[
            ("other:1", "2026-07-01T10:00:00.000Z", "gita_gp", "filed"),
            (
                &sent.event_id,
                "2026-07-01T10:05:00.000Z",
                "alex_admin",
                "note_added",
            ),
            ("other:2", "2026-07-01T10:09:00Z", "gita_gp", "note_added"),
        ]);
        store.record_practice_events(&pulled, "now").unwrap();

        let all = store
            .audit_trail(&AuditQuery {
                newest_first: true,
                ..Default::default()
            })
            .unwrap();
        let seen: Vec<(AuditLog, i64, AuditEntryState)> =
            all.iter().map(|e| (e.log, e.seq, e.state)).collect();
        assert_eq!(
            seen,
            vec![
                (AuditLog::Practice, 3, AuditEntryState::Recorded),
                (AuditLog::Desktop, refused.seq, AuditEntryState::Refused),
                (AuditLog::Desktop, pending.seq, AuditEntryState::Pending),
                (AuditLog::Desktop, local_only.seq, AuditEntryState::Recorded),
                (AuditLog::Practice, 2, AuditEntryState::Recorded),
                (AuditLog::Practice, 1, AuditEntryState::Recorded),
            ],
            "newest first, the sent step once"
        );
        assert_eq!(all[4].event_id, sent.event_id);

        // Oldest first, one person, one log, a page.
        let oldest: Vec<i64> = store
            .audit_trail(&AuditQuery::default())
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(oldest[0], 1);
        let gita = store
            .audit_trail(&AuditQuery {
                actor: Some("GITA_GP".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(gita.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 3]);
        // By the display name the practice gave the login, too.
        store
            .set_practice_people(
                "alex_admin",
                &[crate::PracticePerson {
                    login: "gita_gp".into(),
                    role: Role::Gp,
                    display_name: Some("Dr Gita Patel".into()),
                    removed_at: None,
                }],
                "now",
            )
            .unwrap();
        let by_name = store
            .audit_trail(&AuditQuery {
                actor: Some("dr gita patel".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            by_name.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![1, 3]
        );
        let desktop = store
            .audit_trail(&AuditQuery {
                log: Some(AuditLog::Desktop),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(desktop.len(), 3);
        let page = store
            .audit_trail(&AuditQuery {
                newest_first: true,
                offset: 1,
                limit: 2,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            page.iter().map(|e| (e.log, e.seq)).collect::<Vec<_>>(),
            vec![
                (AuditLog::Desktop, refused.seq),
                (AuditLog::Desktop, pending.seq)
            ]
        );

        let v = store.verify_audit_trail().unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.desktop.events, 4);
        assert_eq!(v.practice.as_ref().unwrap().events, 3);
        let broken = AuditTrailVerification::new(
            v.desktop.clone(),
            v.practice.clone(),
            Some(ServerLogCheck {
                verification: Some(AuditVerification {
                    events: 3,
                    ok: false,
                    first_bad_event: Some(2),
                    problem: Some("changed".into()),
                }),
                why: None,
            }),
        );
        assert!(
            !broken.ok,
            "a server log that does not verify fails the whole"
        );
    }
}
