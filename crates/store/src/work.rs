//! What the workflow keeps: people, each document's workflow state (its lane and the rest of
//! the projection of its events), the requested actions read from it, delegated tasks, and
//! business responses queued by a person's decision. `crates/workflow` decides every value;
//! these functions only read and write them.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use handover_toc::{DocumentKind, RequestedAction};

use crate::ingest::local_id;
use crate::{
    DocumentStatus, MatchState, OutboxItem, PlannedResponse, Role, Store, StoreError, TaskStatus,
};

/// A local profile: a person who works in Handover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub added_at: String,
    /// The name the practice server gives the person ("Dr Gita Patel"); None for a local
    /// profile (its name is how it is shown) or a login given none.
    pub display_name: Option<String>,
    /// When the practice removed the person (RFC 3339); None while they work there.
    pub removed_at: Option<String>,
}

/// A document as the workflow sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentWork {
    pub id: i64,
    pub message_id: i64,
    pub kind: DocumentKind,
    pub nhs_number: Option<String>,
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub received_at: String,
    pub status: DocumentStatus,
    pub match_state: MatchState,
    pub assigned_to: Option<String>,
    pub business_response: Option<String>,
    pub superseded_by: Option<i64>,
    pub version: i64,
    /// The workflow's own state (JSON), None before its first event.
    pub workflow: Option<String>,
}

/// The workflow's values for a document, as `crates/workflow` computed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkUpdate<'a> {
    pub status: DocumentStatus,
    pub match_state: MatchState,
    pub assigned_to: Option<&'a str>,
    pub business_response: Option<&'a str>,
    pub workflow: &'a str,
    /// Requested actions for the practice still without a decision, and the first of them
    /// (its first line): the list row's "For the practice (N)" and its filter.
    pub open_actions: u32,
    pub first_open_action: Option<&'a str>,
    /// No signed-off medicines reconciliation yet and the document still counts (not superseded
    /// or rejected): with medicines on it, the reconciliation's 7-day clock runs.
    pub medrec_pending: bool,
}

/// Where a task comes from: a requested action (its index), or a row of the medicines
/// reconciliation (its key: an on-hold restart to review, a query to the hospital).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOrigin<'a> {
    Action(u32),
    Medicine(&'a str),
}

impl TaskOrigin<'_> {
    fn key(&self) -> (u32, &str) {
        match self {
            TaskOrigin::Action(i) => (*i, ""),
            TaskOrigin::Medicine(row) => (0, row),
        }
    }
}

/// A delegated action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Task {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub document_id: i64,
    /// The requested action's index (0 for a reconciliation row's task).
    #[ts(type = "number")]
    pub action_index: u32,
    /// The medicines reconciliation row the task comes from (None: a requested action's).
    pub medrec_row: Option<String>,
    pub text: String,
    pub assignee_user: Option<String>,
    pub assignee_role: Option<Role>,
    /// `yyyy-mm-dd`.
    pub due_date: String,
    pub status: TaskStatus,
    pub created_at: String,
    pub created_by: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub note: Option<String>,
    /// The document's patient, for the task list.
    pub patient_name: Option<String>,
    pub nhs_number: Option<String>,
    pub document_title: Option<String>,
}

/// A delegated action to record (the projection of a delegation event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskWrite<'a> {
    pub document_id: i64,
    pub origin: TaskOrigin<'a>,
    pub text: &'a str,
    pub assignee_user: Option<&'a str>,
    pub assignee_role: Option<Role>,
    pub due_date: &'a str,
    pub created_at: &'a str,
    pub created_by: &'a str,
}

/// Which tasks to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(default)]
pub struct TaskQuery {
    /// Open tasks for this person.
    pub user: Option<String>,
    /// Open tasks for this role's lane.
    pub role: Option<Role>,
    /// Open tasks due before this date (`yyyy-mm-dd`, exclusive): overdue when it is today.
    pub due_before: Option<String>,
    /// Open tasks due on or before this date (`yyyy-mm-dd`): "due this week".
    pub due_by: Option<String>,
    /// Include done and cancelled tasks.
    pub include_closed: bool,
    #[ts(type = "number | null")]
    pub document_id: Option<i64>,
    pub limit: u32,
}

const WORK_COLUMNS: &str =
    "d.id, d.message_id, d.kind, d.nhs_number, d.patient_name, d.birth_date, \
     d.received_at, d.status, d.match_state, d.assigned_to, d.business_response, d.superseded_by, \
     d.version, d.workflow";

fn work_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentWork> {
    let kind: String = r.get(2)?;
    Ok(DocumentWork {
        id: r.get(0)?,
        message_id: r.get(1)?,
        kind: DocumentKind::parse(&kind).unwrap_or_default(),
        nhs_number: r.get(3)?,
        patient_name: r.get(4)?,
        birth_date: r.get(5)?,
        received_at: r.get(6)?,
        status: r.get(7)?,
        match_state: r.get(8)?,
        assigned_to: r.get(9)?,
        business_response: r.get(10)?,
        superseded_by: r.get(11)?,
        version: r.get(12)?,
        workflow: r.get(13)?,
    })
}

const TASK_COLUMNS: &str = "t.id, t.document_id, t.action_index, t.text, t.assignee_user, \
     t.assignee_role, t.due_date, t.status, t.created_at, t.created_by, t.done_at, t.done_by, \
     t.note, d.patient_name, d.nhs_number, d.title, t.medrec_row";

fn task_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: r.get(0)?,
        document_id: r.get(1)?,
        action_index: r.get(2)?,
        text: r.get(3)?,
        assignee_user: r.get(4)?,
        assignee_role: r.get(5)?,
        due_date: r.get(6)?,
        status: r.get(7)?,
        created_at: r.get(8)?,
        created_by: r.get(9)?,
        done_at: r.get(10)?,
        done_by: r.get(11)?,
        note: r.get(12)?,
        patient_name: r.get(13)?,
        nhs_number: r.get(14)?,
        document_title: r.get(15)?,
        medrec_row: r
            .get::<_, String>(16)
            .map(|k| (!k.is_empty()).then_some(k))?,
    })
}

/// A document whose medicines reconciliation is not signed off (for the Tasks view): the clock
/// runs for 7 days from `received_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MedrecDue {
    #[ts(type = "number")]
    pub document_id: i64,
    pub kind: DocumentKind,
    pub title: Option<String>,
    pub patient_name: Option<String>,
    pub nhs_number: Option<String>,
    pub sender: Option<String>,
    pub received_at: String,
    pub status: DocumentStatus,
    #[ts(type = "number")]
    pub medications: u32,
}

impl Store {
    // People.

    /// Adds a profile; `user_exists` if the name (any case) is taken.
    pub fn add_user(&self, name: &str, role: Role, at: &str) -> Result<User, StoreError> {
        let added = self.conn.execute(
            "INSERT OR IGNORE INTO users (name, role, added_at) VALUES (?1, ?2, ?3)",
            params![name, role, at],
        )?;
        if added == 0 {
            return Err(StoreError::UserExists { name: name.into() });
        }
        Ok(User {
            name: name.into(),
            role,
            added_at: at.into(),
            display_name: None,
            removed_at: None,
        })
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, role, added_at, display_name, removed_at FROM users
             ORDER BY name COLLATE NOCASE",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(User {
                    name: r.get(0)?,
                    role: r.get(1)?,
                    added_at: r.get(2)?,
                    display_name: r.get(3)?,
                    removed_at: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The profile with this name (any case).
    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT name, role, added_at, display_name, removed_at FROM users WHERE name = ?1",
            )?
            .query_row(params![name.trim()], |r| {
                Ok(User {
                    name: r.get(0)?,
                    role: r.get(1)?,
                    added_at: r.get(2)?,
                    display_name: r.get(3)?,
                    removed_at: r.get(4)?,
                })
            })
            .optional()?)
    }

    // Documents' workflow state.

    pub fn document_work(&self, id: i64) -> Result<Option<DocumentWork>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {WORK_COLUMNS} FROM documents d WHERE d.id = ?1"
            ))?
            .query_row(params![id], work_row)
            .optional()?)
    }

    /// Pending documents in these match states (for matching again after a register import,
    /// and for the unmatched grace period), oldest first.
    pub fn documents_in_match_states(
        &self,
        states: &[MatchState],
        received_before: Option<&str>,
    ) -> Result<Vec<DocumentWork>, StoreError> {
        let list = states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {WORK_COLUMNS} FROM documents d
             WHERE d.match_state IN ({list})
               AND d.status NOT IN ('filed', 'rejected', 'superseded')
               AND (?1 IS NULL OR d.received_at < ?1)
             ORDER BY d.id"
        ))?;
        let rows = stmt
            .query_map(params![received_before], work_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every document id, in order (for rebuilding the workflow state from the events).
    pub fn document_ids(&self) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id FROM documents ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Writes a document's workflow state; raises its version when `changed` (a change a
    /// person acting on an older view must not overwrite). Returns the version.
    pub fn write_work(
        &self,
        id: i64,
        u: &WorkUpdate<'_>,
        changed: bool,
    ) -> Result<i64, StoreError> {
        let version = self
            .conn
            .prepare_cached(
                "UPDATE documents SET status = ?2, match_state = ?3, assigned_to = ?4,
                     business_response = ?5, workflow = ?6, version = version + ?7,
                     practice_actions = ?8,
                     medrec_open = (?10 AND coalesce(json_extract(flags, '$.medications'), 0) > 0),
                     flags = json_set(flags, '$.practice_actions', ?8, '$.first_action', ?9,
                         '$.medrec_open',
                         CASE WHEN ?10 AND coalesce(json_extract(flags, '$.medications'), 0) > 0
                              THEN json('true') ELSE json('false') END)
                 WHERE id = ?1 RETURNING version",
            )?
            .query_row(
                params![
                    id,
                    u.status,
                    u.match_state,
                    u.assigned_to,
                    u.business_response,
                    u.workflow,
                    changed as i64,
                    u.open_actions,
                    u.first_open_action,
                    u.medrec_pending
                ],
                |r| r.get(0),
            )
            .optional()?;
        version.ok_or(StoreError::DocumentNotFound { id })
    }

    // Requested actions, as read when the document arrived.

    pub fn set_document_actions(
        &self,
        id: i64,
        actions: &[RequestedAction],
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO document_actions (document_id, actions) VALUES (?1, ?2)
                 ON CONFLICT (document_id) DO NOTHING",
            )?
            .execute(params![
                id,
                serde_json::to_string(actions).expect("actions serialise")
            ])?;
        Ok(())
    }

    pub fn document_actions(&self, id: i64) -> Result<Option<Vec<RequestedAction>>, StoreError> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT actions FROM document_actions WHERE document_id = ?1")?
            .query_row(params![id], |r| r.get(0))
            .optional()?;
        Ok(json.map(|j| serde_json::from_str(&j).unwrap_or_default()))
    }

    // Tasks.

    /// Records a task (replacing an earlier one of the same origin, which is cancelled).
    pub fn write_task(&self, t: &TaskWrite<'_>) -> Result<i64, StoreError> {
        let (action_index, medrec_row) = t.origin.key();
        Ok(self
            .conn
            .prepare_cached(
                "INSERT INTO tasks (document_id, action_index, text, assignee_user, assignee_role,
                                    due_date, status, created_at, created_by, medrec_row)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8, ?9)
                 ON CONFLICT (document_id, action_index, medrec_row) DO UPDATE SET
                     text = excluded.text,
                     assignee_user = excluded.assignee_user, assignee_role = excluded.assignee_role,
                     due_date = excluded.due_date, status = 'open', created_at = excluded.created_at,
                     created_by = excluded.created_by, done_at = NULL, done_by = NULL, note = NULL
                 RETURNING id",
            )?
            .query_row(
                params![
                    t.document_id,
                    action_index,
                    t.text,
                    t.assignee_user,
                    t.assignee_role,
                    t.due_date,
                    t.created_at,
                    t.created_by,
                    medrec_row
                ],
                |r| r.get(0),
            )?)
    }

    /// Closes a task (done or cancelled).
    pub fn close_task(
        &self,
        document_id: i64,
        origin: TaskOrigin<'_>,
        status: TaskStatus,
        at: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let (action_index, medrec_row) = origin.key();
        self.conn
            .prepare_cached(
                "UPDATE tasks SET status = ?3, done_at = ?4, done_by = ?5, note = ?6
                 WHERE document_id = ?1 AND action_index = ?2 AND medrec_row = ?7
                   AND status = 'open'",
            )?
            .execute(params![
                document_id,
                action_index,
                status,
                at,
                by,
                note,
                medrec_row
            ])?;
        Ok(())
    }

    /// Documents whose medicines reconciliation is not signed off, oldest first (the first
    /// `limit`), and how many there are in all.
    pub fn medrec_due(&self, limit: u32) -> Result<(Vec<MedrecDue>, u64), StoreError> {
        let limit = if limit == 0 { 200 } else { limit.min(2000) };
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, title, patient_name, nhs_number, sender, received_at, status,
                    coalesce(json_extract(flags, '$.medications'), 0)
               FROM documents WHERE medrec_open = 1
              ORDER BY received_at, id LIMIT ?1",
        )?;
        let rows = stmt
            .query_map(params![limit], |r| {
                let kind: String = r.get(1)?;
                Ok(MedrecDue {
                    document_id: r.get(0)?,
                    kind: DocumentKind::parse(&kind).unwrap_or_default(),
                    title: r.get(2)?,
                    patient_name: r.get(3)?,
                    nhs_number: r.get(4)?,
                    sender: r.get(5)?,
                    received_at: r.get(6)?,
                    status: r.get(7)?,
                    medications: r.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let total: i64 = self.conn.query_row(
            "SELECT count(*) FROM documents WHERE medrec_open = 1",
            [],
            |r| r.get(0),
        )?;
        Ok((rows, total as u64))
    }

    pub fn task(&self, id: i64) -> Result<Option<Task>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM tasks t JOIN documents d ON d.id = t.document_id
                 WHERE t.id = ?1"
            ))?
            .query_row(params![id], task_row)
            .optional()?)
    }

    /// Tasks, soonest due first.
    pub fn tasks(&self, q: &TaskQuery) -> Result<Vec<Task>, StoreError> {
        let mut conditions: Vec<&str> = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if !q.include_closed {
            conditions.push("t.status = 'open'");
        }
        match (q.user.as_deref(), q.role) {
            (Some(user), Some(role)) => {
                conditions.push("(t.assignee_user = ? COLLATE NOCASE OR t.assignee_role = ?)");
                args.push(user.to_string().into());
                args.push(role.as_str().to_string().into());
            }
            (Some(user), None) => {
                conditions.push("t.assignee_user = ? COLLATE NOCASE");
                args.push(user.to_string().into());
            }
            (None, Some(role)) => {
                conditions.push("t.assignee_role = ?");
                args.push(role.as_str().to_string().into());
            }
            (None, None) => {}
        }
        if let Some(d) = q.due_before.as_deref() {
            conditions.push("t.due_date < ?");
            args.push(d.to_string().into());
        }
        if let Some(d) = q.due_by.as_deref() {
            conditions.push("t.due_date <= ?");
            args.push(d.to_string().into());
        }
        if let Some(id) = q.document_id {
            conditions.push("t.document_id = ?");
            args.push(id.into());
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let limit = if q.limit == 0 { 200 } else { q.limit.min(2000) };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks t JOIN documents d ON d.id = t.document_id
             {filter} ORDER BY t.due_date, t.id LIMIT {limit}"
        ))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), task_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Removes every task (before rebuilding them from the events).
    pub fn clear_tasks(&self) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM tasks", [])?;
        Ok(())
    }

    /// Removes one document's tasks (before its state is folded again from its events).
    pub fn clear_tasks_of(&self, document_id: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM tasks WHERE document_id = ?1", [document_id])?;
        Ok(())
    }

    // Responses decided by the workflow.

    /// The response codes already queued for a message, by kind (`infrastructure`, `business`).
    pub fn queued_responses(&self, message_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, response_code FROM outbox WHERE message_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![message_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Queues a response to a message (at most one of each kind: a second is refused by the
    /// outbox's constraint and `None` returned). `first_attempt` records an attempt now, for a
    /// response the caller will send as soon as its transaction commits (see `crates/inbox`'s
    /// sync); otherwise the next sync sends it.
    pub fn queue_response(
        &self,
        message_id: i64,
        response: &PlannedResponse,
        at: &str,
        first_attempt: bool,
    ) -> Result<Option<OutboxItem>, StoreError> {
        let source_id: String = self.conn.query_row(
            "SELECT source_id FROM messages WHERE id = ?1",
            params![message_id],
            |r| r.get(0),
        )?;
        let local_id = local_id(&source_id, response.kind);
        let attempts = first_attempt as i64;
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO outbox (message_id, kind, response_code, to_mailbox, workflow_id,
                                           local_id, body, created_at, attempts, last_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, CASE WHEN ?9 > 0 THEN ?8 END)",
            params![
                message_id,
                response.kind,
                response.response_code,
                response.to_mailbox,
                response.workflow_id,
                local_id,
                response.body,
                at,
                attempts
            ],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        Ok(Some(OutboxItem {
            id: self.conn.last_insert_rowid(),
            message_id,
            kind: response.kind.to_string(),
            response_code: response.response_code.clone(),
            to_mailbox: response.to_mailbox.clone(),
            workflow_id: response.workflow_id.clone(),
            local_id,
            body: response.body.clone(),
            attempts,
            sent_at: None,
            mesh_message_id: None,
        }))
    }

    /// The stored message's `(workflow_id, sender_mailbox, mailbox)`: where a response goes.
    pub fn message_route(
        &self,
        message_id: i64,
    ) -> Result<(Option<String>, Option<String>, String), StoreError> {
        Ok(self.conn.query_row(
            "SELECT workflow_id, sender_mailbox, mailbox FROM messages WHERE id = ?1",
            params![message_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }
}
