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

/// Where the local log's refused steps are listed (a small JSON array of local seqs).
const REFUSED: &str = "practice_refused_seqs";

impl Store {
    /// The document key (content hash, or `local:ID` for documents stored before hashes were
    /// kept) that events about document `id` carry.
    pub fn document_key_of(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT coalesce(content_sha256, 'local:' || id) FROM documents WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The document's version in the practice log as this desktop knows it (issue 14, practice
    /// schema 6): how many steps carrying an `expected_version` the practice log has for it
    /// (as pulled), and this desktop's own still in the outbox (sent or not, not yet pulled
    /// back; assumed accepted: if one is refused, the ones after it are refused too).
    pub fn practice_document_version(&self, document_key: &str) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM practice_events
                      WHERE document_key = ?1
                        AND json_extract(details, '$.expected_version') IS NOT NULL)
                  + (SELECT count(*) FROM practice_outbox o JOIN events e ON e.seq = o.seq
                      WHERE e.document_key = ?1
                        AND json_extract(e.details, '$.expected_version') IS NOT NULL)",
            params![document_key],
            |r| r.get(0),
        )?)
    }

    /// Records that the practice log refused the local log's event `seq` (another person
    /// filed the document first, or changed it since it was seen): it stays in this desktop's
    /// own log (its audit trail), and is no longer folded into the document's state.
    pub fn mark_practice_refused(&self, seq: i64) -> Result<(), StoreError> {
        let mut seqs = self.practice_refused_seqs()?;
        if seqs.insert(seq) {
            let json = serde_json::to_string(&seqs).expect("serialises");
            self.put_meta(REFUSED, Some(&json))?;
        }
        Ok(())
    }

    /// The local log's events the practice log refused (see [`Store::mark_practice_refused`]).
    pub fn practice_refused_seqs(&self) -> Result<std::collections::BTreeSet<i64>, StoreError> {
        Ok(self
            .meta_value(REFUSED)?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }
}

/// A person of the practice as the server lists them (see [`Store::set_practice_people`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticePerson {
    pub login: String,
    pub role: crate::Role,
    pub display_name: Option<String>,
    /// When the practice removed them (RFC 3339); None while they work there.
    pub removed_at: Option<String>,
}

/// Who this desktop works as on the practice server (its login), once a pull has found out.
const PERSON: &str = "practice_person";
/// The practice's logins as last pulled (a JSON array).
const PRACTICE_LOGINS: &str = "practice_logins";

impl Store {
    /// Records the practice's people (from the server: login, role, display name, removal) as
    /// this desktop's profiles, so they can be assigned to and named alike everywhere, and
    /// which of them this desktop works as: on a desktop of a practice every step is that
    /// login's, with the role the practice gave it (see `handover_workflow::actor_for`). A
    /// role, display name or removal changed on the server is changed here.
    pub fn set_practice_people(
        &self,
        me: &str,
        people: &[PracticePerson],
        at: &str,
    ) -> Result<(), StoreError> {
        self.atomically(|s| {
            for p in people {
                s.conn.execute(
                    "INSERT INTO users (name, role, added_at, display_name, removed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (name) DO UPDATE SET role = excluded.role,
                         display_name = excluded.display_name, removed_at = excluded.removed_at",
                    params![p.login, p.role, at, p.display_name, p.removed_at],
                )?;
            }
            // Anyone else (a profile made while this desktop worked alone, a login the server
            // no longer has) can no longer be given work here: on a desktop of a practice only
            // the practice's people work. Kept, as the audit trail names them.
            let logins: Vec<&str> = people.iter().map(|p| p.login.as_str()).collect();
            let list = serde_json::to_string(&logins).expect("serialises");
            s.conn.execute(
                "UPDATE users SET removed_at = ?2
                  WHERE removed_at IS NULL
                    AND name NOT IN (SELECT value FROM json_each(?1))",
                params![list, at],
            )?;
            s.put_meta(PRACTICE_LOGINS, Some(&list))?;
            s.put_meta(PERSON, Some(me))
        })
    }

    /// The people who work here: on a desktop of a practice the practice's people as last
    /// pulled (removed ones too, for their names), else every profile.
    pub fn people(&self) -> Result<Vec<crate::User>, StoreError> {
        let users = self.users()?;
        let Some(list) = self.meta_value(PRACTICE_LOGINS)? else {
            return Ok(users);
        };
        let logins: Vec<String> = serde_json::from_str(&list).unwrap_or_default();
        Ok(users
            .into_iter()
            .filter(|u| logins.iter().any(|l| l.eq_ignore_ascii_case(&u.name)))
            .collect())
    }

    /// The practice login this desktop works as, and its role, once known (None: it works
    /// alone, or has not reached its practice server yet, or the login has no person's role).
    pub fn practice_person(&self) -> Result<Option<crate::User>, StoreError> {
        match self.meta_value(PERSON)? {
            Some(login) => self.user(&login),
            None => Ok(None),
        }
    }
}

/// Where a document's answer to the hospital (its ITK3 business response) stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AnswerStatus {
    pub response_code: String,
    /// When it went to MESH (RFC 3339); None while it waits.
    pub sent_at: Option<String>,
    /// Why the last attempt to send it failed, if it did.
    pub last_error: Option<String>,
    /// The document came from the practice server: the answer is handed to the server, which
    /// sends it (`sent_at` is then when it was handed over).
    pub from_practice: bool,
    /// The MESH message id it went under, or for one handed to the practice server
    /// `practice-outbox:ID` (`...:CODE-from-another-desktop` when another desktop's went).
    pub sent_as: Option<String>,
}

impl Store {
    /// The business response queued for document `id`'s message, and whether it was sent.
    pub fn answer_status(&self, id: i64) -> Result<Option<AnswerStatus>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT o.response_code, o.sent_at, o.last_error, m.source = 'practice',
                        o.mesh_message_id
                   FROM documents d JOIN outbox o ON o.message_id = d.message_id
                   JOIN messages m ON m.id = d.message_id
                  WHERE d.id = ?1 AND o.kind = 'business'",
                params![id],
                |r| {
                    Ok(AnswerStatus {
                        response_code: r.get(0)?,
                        sent_at: r.get(1)?,
                        last_error: r.get(2)?,
                        from_practice: r.get(3)?,
                        sent_as: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}

/// The practice's MESH mailbox id (the server's), as the documents pulled from it say: the
/// `source.endpoint` of this desktop's answers to hospitals.
const MESH_MAILBOX: &str = "practice_mesh_mailbox";

/// An answer to a hospital this desktop built for a document from the practice server, to be
/// handed to the server (which sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerToHandOver {
    pub outbox_id: i64,
    pub document_key: String,
    pub response_code: String,
    pub to_mailbox: String,
    pub workflow_id: String,
    pub local_id: String,
    pub body: Vec<u8>,
}

impl Store {
    /// Records the practice's MESH mailbox id (from a pulled document).
    pub fn set_practice_mesh_mailbox(&self, mailbox: &str) -> Result<(), StoreError> {
        self.put_meta(MESH_MAILBOX, Some(mailbox))
    }

    /// The MESH mailbox an answer about message `message_id` comes from: for a message pulled
    /// from the practice server, the practice's (the local row names the practice instead);
    /// None for any other message (its own mailbox is in the row).
    pub fn practice_mesh_mailbox_for(&self, message_id: i64) -> Result<Option<String>, StoreError> {
        let practice: bool = self
            .conn
            .query_row(
                "SELECT source = 'practice' FROM messages WHERE id = ?1",
                params![message_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false);
        if !practice {
            return Ok(None);
        }
        self.meta_value(MESH_MAILBOX)
    }

    /// The answers to hospitals queued here for documents from the practice server and not yet
    /// handed to it, oldest first.
    pub fn answers_to_hand_over(&self) -> Result<Vec<AnswerToHandOver>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, d.content_sha256, o.response_code, o.to_mailbox, o.workflow_id,
                    o.local_id, o.body
               FROM outbox o JOIN messages m ON m.id = o.message_id
               JOIN documents d ON d.message_id = o.message_id
              WHERE o.kind = 'business' AND o.sent_at IS NULL AND m.source = 'practice'
                AND d.content_sha256 IS NOT NULL
              ORDER BY o.id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AnswerToHandOver {
                    outbox_id: r.get(0)?,
                    document_key: r.get(1)?,
                    response_code: r.get(2)?,
                    to_mailbox: r.get(3)?,
                    workflow_id: r.get(4)?,
                    local_id: r.get(5)?,
                    body: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

impl Store {
    /// Verifies the copy of the practice log this cache keeps (`practice_events`): every event
    /// from 1 to the event cursor, none missing, each following the one before it and hashed
    /// as the server hashes it (`handover_chain`), so a copy changed on this desktop, or a
    /// server that served a changed log, is found. What `handover practice audit` reports for
    /// the cache.
    pub fn verify_practice_log(&self) -> Result<crate::AuditVerification, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, event_id, at, actor, role, os_user, device, document_key, kind, details,
                    prev_hash, hash
               FROM practice_events ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut count = 0u64;
        let mut prev_hash = handover_chain::GENESIS_HASH.to_string();
        let mut prev_seq = 0i64;
        let bad = |seq: i64, count: u64, problem: String| crate::AuditVerification {
            events: count,
            ok: false,
            first_bad_event: Some(seq),
            problem: Some(problem),
        };
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let (event_id, at, actor): (String, String, String) = (r.get(1)?, r.get(2)?, r.get(3)?);
            let role: Option<String> = r.get(4)?;
            let (os_user, device): (String, String) = (r.get(5)?, r.get(6)?);
            let document_key: Option<String> = r.get(7)?;
            let (kind, details): (String, String) = (r.get(8)?, r.get(9)?);
            let (stored_prev, hash): (String, String) = (r.get(10)?, r.get(11)?);
            count += 1;
            if seq != prev_seq + 1 {
                return Ok(bad(
                    prev_seq + 1,
                    count,
                    format!(
                        "practice events {} to {} are missing",
                        prev_seq + 1,
                        seq - 1
                    ),
                ));
            }
            if stored_prev != prev_hash {
                return Ok(bad(
                    seq,
                    count,
                    format!("practice event {seq} does not follow the event before it"),
                ));
            }
            let fields = handover_chain::ChainFields {
                seq,
                event_id: &event_id,
                at: &at,
                actor: &actor,
                role: role.as_deref(),
                os_user: &os_user,
                device: &device,
                document_key: document_key.as_deref(),
                kind: &kind,
                details: &details,
            };
            if handover_chain::event_hash(&prev_hash, &fields) != hash {
                return Ok(bad(
                    seq,
                    count,
                    format!("practice event {seq} is not as it was recorded"),
                ));
            }
            prev_hash = hash;
            prev_seq = seq;
        }
        let (_, cursor) = self.practice_cursors()?;
        if cursor != prev_seq {
            return Ok(bad(
                prev_seq + 1,
                count,
                format!("the copy ends at event {prev_seq}, but was pulled to event {cursor}"),
            ));
        }
        Ok(crate::AuditVerification {
            events: count,
            ok: true,
            first_bad_event: None,
            problem: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::MemoryKeyStore;
    use crate::{DataDir, PracticeEventRecord, Store};

    /// On joining a practice, only the practice's people work here: a profile made while the
    /// desktop worked alone is kept (the trail names it) but no longer offered, and a login
    /// the server no longer lists stops too; alone, every profile is listed.
    #[test]
    fn only_the_practices_people_work_on_a_desktop_of_a_practice() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(
            &DataDir::new(tmp.path().join("d")),
            &MemoryKeyStore::default(),
        )
        .unwrap();
        store
            .add_user("Alice Local", crate::Role::Gp, "t0")
            .unwrap();
        assert_eq!(store.people().unwrap().len(), 1, "alone: every profile");
        let person = |login: &str| super::PracticePerson {
            login: login.into(),
            role: crate::Role::Admin,
            display_name: Some(format!("{login} shown")),
            removed_at: None,
        };
        store
            .set_practice_people(
                "alex_admin",
                &[person("alex_admin"), person("gita_gp")],
                "t1",
            )
            .unwrap();
        let names: Vec<String> = store
            .people()
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(names, vec!["alex_admin", "gita_gp"]);
        let alice = store.user("alice local").unwrap().unwrap();
        assert_eq!(
            alice.removed_at.as_deref(),
            Some("t1"),
            "kept, no longer working here"
        );
        // The server stops listing gita_gp: she stops here too; alex_admin stays.
        store
            .set_practice_people("alex_admin", &[person("ALEX_ADMIN")], "t2")
            .unwrap();
        let gita = store.user("gita_gp").unwrap().unwrap();
        assert_eq!(gita.removed_at.as_deref(), Some("t2"));
        assert_eq!(store.user("alex_admin").unwrap().unwrap().removed_at, None);
        assert_eq!(store.people().unwrap().len(), 1);
    }

    /// A practice log of `n` events hashed as the server hashes them.
    fn chain(n: i64) -> Vec<PracticeEventRecord> {
        let mut prev = handover_chain::GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = PracticeEventRecord {
                    seq,
                    event_id: format!("desk-1:{seq}"),
                    at: "2026-07-01T10:00:00.000Z".into(),
                    actor: "gp_one".into(),
                    role: Some("gp".into()),
                    os_user: "alice".into(),
                    device: "desk-1".into(),
                    document_key: Some("ab".repeat(32)),
                    kind: "note_added".into(),
                    details: format!("{{\"n\":{seq}}}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                    recorded_at: "2026-07-01T10:00:01.000Z".into(),
                };
                e.hash = handover_chain::event_hash(
                    &prev,
                    &handover_chain::ChainFields {
                        seq,
                        event_id: &e.event_id,
                        at: &e.at,
                        actor: &e.actor,
                        role: e.role.as_deref(),
                        os_user: &e.os_user,
                        device: &e.device,
                        document_key: e.document_key.as_deref(),
                        kind: &e.kind,
                        details: &e.details,
                    },
                );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn the_copy_of_the_practice_log_verifies_until_it_is_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(
            &DataDir::new(tmp.path().join("d")),
            &MemoryKeyStore::default(),
        )
        .unwrap();
        store
            .bind_practice_server("srv", "PRC1", "Riverside")
            .unwrap();
        store.record_practice_events(&chain(4), "now").unwrap();
        let v = store.verify_practice_log().unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.events, 4);

        // One event's details changed in the copy: found, at that event.
        store
            .conn
            .execute(
                "UPDATE practice_events SET details = '{\"n\":99}' WHERE seq = 3",
                [],
            )
            .unwrap();
        let v = store.verify_practice_log().unwrap();
        assert!(!v.ok);
        assert_eq!(v.first_bad_event, Some(3), "{v:?}");

        // An event missing from the copy: found too.
        store
            .conn
            .execute(
                "UPDATE practice_events SET details = '{\"n\":3}' WHERE seq = 3",
                [],
            )
            .unwrap();
        assert!(store.verify_practice_log().unwrap().ok);
        store
            .conn
            .execute("DELETE FROM practice_events WHERE seq = 2", [])
            .unwrap();
        let v = store.verify_practice_log().unwrap();
        assert_eq!(v.first_bad_event, Some(2), "{v:?}");
    }
}
