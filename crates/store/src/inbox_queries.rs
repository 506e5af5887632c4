//! The inbox's queries: paged, filtered, sorted and searched lists; one document; quarantine.
//! Every list is a bounded page (LIMIT/OFFSET on an index), so the UI stays fast with years of
//! documents.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};
use serde::{Deserialize, Serialize};

use handover_toc::DocumentKind;

use crate::{
    DocumentStatus, MatchState, MessageOutcome, MessageSource, Queue, Sort, Store, StoreError,
};

/// What the inbox list asks for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct ListQuery {
    /// Which documents: by status, or all (the default).
    pub queue: Option<Queue>,
    /// Only this kind of document.
    pub kind: Option<DocumentKind>,
    /// Exact sending organisation, as listed.
    pub sender: Option<String>,
    /// Free text: patient name, NHS number (spaces ignored) or any words of the document.
    pub search: Option<String>,
    /// The order (newest first by default).
    pub sort: Option<Sort>,
    /// Received on or after this UTC date (`yyyy-mm-dd`), or this instant (RFC 3339 in UTC,
    /// `2026-07-01T23:00:00.000Z`: the UI sends the UTC instant a UK day starts).
    pub received_from: Option<String>,
    /// Received on or before this UTC date (`yyyy-mm-dd`, the whole day), or before this
    /// instant (RFC 3339 in UTC, exclusive: the UI sends the start of the next UK day).
    pub received_to: Option<String>,
    /// Only documents that add, change, stop or hold a medicine.
    #[serde(default)]
    pub with_medicine_changes: bool,
    /// Only documents that ask something of the practice not yet done.
    #[serde(default)]
    pub with_practice_actions: bool,
    pub offset: u32,
    pub limit: u32,
}

/// One inbox row.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct DocumentRow {
    #[ts(type = "number")]
    pub id: i64,
    pub kind: DocumentKind,
    pub nhs_number: Option<String>,
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub title: Option<String>,
    pub sender: Option<String>,
    pub care_setting: Option<String>,
    pub document_date: Option<String>,
    pub received_at: String,
    pub status: DocumentStatus,
    #[ts(type = "number | null")]
    pub superseded_by: Option<i64>,
    pub replaces: Option<String>,
    pub flags: RowFlags,
    /// The MESH message id the document arrived in (None for other sources).
    pub mesh_message_id: Option<String>,
    /// How many times the document was delivered (1, plus each duplicate delivery).
    #[ts(type = "number")]
    pub times_received: u32,
    /// Identity warnings on the document (a reused identifier, a replacement that does not
    /// match): a person must look at them.
    #[ts(type = "number")]
    pub identity_warnings: u32,
    /// Raised by every change: an action names the version it was made on, and is refused
    /// when the document changed since (see `Store::write_work`).
    #[ts(type = "number")]
    pub version: i64,
    /// Whether it is matched to a patient on the practice register.
    pub match_state: MatchState,
    /// The person (a name) or role lane (`role:gp`) it is assigned to.
    pub assigned_to: Option<String>,
    /// The ITK3 business response code queued or sent for it.
    pub business_response: Option<String>,
}

/// The list flags of a row.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
#[serde(default)]
pub struct RowFlags {
    #[ts(type = "number")]
    pub medication_changes: u32,
    #[ts(type = "number")]
    pub medications: u32,
    #[ts(type = "number")]
    pub attachments: u32,
    #[ts(type = "number")]
    pub allergies: u32,
    #[ts(type = "number")]
    pub unrecognised: u32,
    pub nhs_number_valid: bool,
    /// This document replaces an earlier one.
    pub superseding: bool,
    /// The "Plan and requested actions" section asks something of the practice (it has text).
    pub requested_actions: bool,
    #[ts(type = "number")]
    pub warnings: u32,
    /// Medicines by change: added, amended (dose or form changed), stopped, on hold.
    #[ts(type = "number")]
    pub added: u32,
    #[ts(type = "number")]
    pub amended: u32,
    #[ts(type = "number")]
    pub stopped: u32,
    #[ts(type = "number")]
    pub on_hold: u32,
    /// Actions for the practice not yet done, and the first of them, word for word.
    #[ts(type = "number")]
    pub practice_actions: u32,
    pub first_action: Option<String>,
    /// High-risk medicines in the document (anticoagulants, insulin, opioids, ...).
    #[ts(type = "number")]
    pub high_risk_medicines: u32,
    /// Its medicines reconciliation is not signed off: the 7-day clock from `received_at` runs.
    pub medrec_open: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct DocumentPage {
    /// Matching documents; for a search, counted up to [`SEARCH_COUNT_CAP`] (see `total_capped`).
    #[ts(type = "number")]
    pub total: u64,
    /// A search matched more than `total` documents; only the newest pages are listed.
    pub total_capped: bool,
    pub offset: u32,
    pub rows: Vec<DocumentRow>,
    /// Why a search found nothing without looking (it held no letters or digits), in plain words.
    pub search_hint: Option<String>,
    /// For a search: how many of its matches are in each status (whatever queue is shown), so
    /// the window can say "0 in New, 2 in Filed".
    pub search_by_status: Option<StatusCounts>,
}

/// Documents by status.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct StatusCounts {
    #[ts(type = "number")]
    pub new: u64,
    #[ts(type = "number")]
    pub needs_gp_review: u64,
    #[ts(type = "number")]
    pub needs_action: u64,
    #[ts(type = "number")]
    pub unmatched: u64,
    #[ts(type = "number")]
    pub filed: u64,
    #[ts(type = "number")]
    pub rejected: u64,
    #[ts(type = "number")]
    pub superseded: u64,
}

impl StatusCounts {
    pub fn add(&mut self, status: DocumentStatus, n: u64) {
        *self.get_mut(status) += n;
    }

    pub fn get(&self, status: DocumentStatus) -> u64 {
        let mut copy = self.clone();
        *copy.get_mut(status)
    }

    fn get_mut(&mut self, status: DocumentStatus) -> &mut u64 {
        match status {
            DocumentStatus::New => &mut self.new,
            DocumentStatus::NeedsGpReview => &mut self.needs_gp_review,
            DocumentStatus::NeedsAction => &mut self.needs_action,
            DocumentStatus::Unmatched => &mut self.unmatched,
            DocumentStatus::Filed => &mut self.filed,
            DocumentStatus::Rejected => &mut self.rejected,
            DocumentStatus::Superseded => &mut self.superseded,
        }
    }

    pub fn total(&self) -> u64 {
        DocumentStatus::ALL.iter().map(|s| self.get(*s)).sum()
    }

    /// Documents still waiting for someone.
    pub fn pending(&self) -> u64 {
        DocumentStatus::ALL
            .iter()
            .filter(|s| s.is_pending())
            .map(|s| self.get(*s))
            .sum()
    }
}

/// A stored document: its row, the parse model (JSON) and where it came from.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub row: DocumentRow,
    pub model_json: String,
    pub message: MessageProvenance,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct MessageProvenance {
    #[ts(type = "number")]
    pub message_id: i64,
    pub source: MessageSource,
    pub mailbox: String,
    pub source_id: String,
    pub workflow_id: Option<String>,
    pub sender_mailbox: Option<String>,
    pub received_at: String,
    pub acknowledged_at: Option<String>,
    pub sha256: String,
    #[ts(type = "number")]
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct QuarantineRow {
    pub message: MessageProvenance,
    pub reason: String,
    /// The parser's diagnostics, JSON.
    pub diagnostics: String,
    /// What the mailbox said about the message (headers, and why it could not be read), JSON.
    pub mailbox_meta: Option<String>,
    /// When someone marked it as dealt with, and their note (the message is kept either way).
    pub dealt_with_at: Option<String>,
    pub dealt_with_note: Option<String>,
}

/// A search counts its matches up to this many; the list pages through the newest of them.
pub const SEARCH_COUNT_CAP: u64 = 5000;

const ROW_COLUMNS: &str = "d.id, d.kind, d.nhs_number, d.patient_name, d.birth_date, d.title, d.sender, \
     d.care_setting, d.document_date, d.received_at, d.status, d.superseded_by, d.replaces, d.flags, \
     (SELECT m2.source_id FROM messages m2 WHERE m2.id = d.message_id AND m2.source = 'mesh'), \
     1 + (SELECT count(*) FROM messages m3 WHERE m3.duplicate_of = d.id), \
     (SELECT count(*) FROM document_issues i WHERE i.document_id = d.id), d.version, \
     d.match_state, d.assigned_to, d.business_response";

/// The number of columns in [`ROW_COLUMNS`].
const ROW_COLUMN_COUNT: usize = 21;

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentRow> {
    let flags: String = r.get(13)?;
    let kind: String = r.get(1)?;
    Ok(DocumentRow {
        id: r.get(0)?,
        kind: DocumentKind::parse(&kind).unwrap_or_default(),
        nhs_number: r.get(2)?,
        patient_name: r.get(3)?,
        birth_date: r.get(4)?,
        title: r.get(5)?,
        sender: r.get(6)?,
        care_setting: r.get(7)?,
        document_date: r.get(8)?,
        received_at: r.get(9)?,
        status: r.get(10)?,
        superseded_by: r.get(11)?,
        replaces: r.get(12)?,
        flags: serde_json::from_str(&flags).unwrap_or_default(),
        mesh_message_id: r.get(14)?,
        times_received: r.get(15)?,
        identity_warnings: r.get(16)?,
        match_state: r.get(18)?,
        assigned_to: r.get(19)?,
        business_response: r.get(20)?,
        version: r.get(17)?,
    })
}

/// One delivery of a document: the message it first came in, or a later duplicate.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct Delivery {
    pub message: MessageProvenance,
    /// `stored` (the first delivery) or `duplicate`.
    pub outcome: MessageOutcome,
}

/// An identity warning kept with a document.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct DocumentIssue {
    pub kind: crate::IssueKind,
    /// The other document involved.
    #[ts(type = "number | null")]
    pub other_document_id: Option<i64>,
    pub detail: String,
    pub created_at: String,
}

const PROVENANCE_COLUMNS: &str =
    "m.id, m.source, m.mailbox, m.source_id, m.workflow_id, m.sender_mailbox, \
     m.received_at, m.acknowledged_at, m.sha256, coalesce(m.raw_size, length(m.raw))";

fn provenance(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<MessageProvenance> {
    Ok(MessageProvenance {
        message_id: r.get(at)?,
        source: r.get(at + 1)?,
        mailbox: r.get(at + 2)?,
        source_id: r.get(at + 3)?,
        workflow_id: r.get(at + 4)?,
        sender_mailbox: r.get(at + 5)?,
        received_at: r.get(at + 6)?,
        acknowledged_at: r.get(at + 7)?,
        sha256: r.get(at + 8)?,
        size: r.get::<_, i64>(at + 9)? as u64,
    })
}

fn quarantine_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<QuarantineRow> {
    Ok(QuarantineRow {
        message: provenance(r, 0)?,
        reason: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
        diagnostics: r.get(11)?,
        mailbox_meta: r.get(12)?,
        dealt_with_at: r.get(13)?,
        dealt_with_note: r.get(14)?,
    })
}

/// Turns what a person typed into an FTS5 query: every word must match (as a prefix); quotes
/// keep FTS syntax characters literal. An NHS number typed with spaces becomes one token.
pub fn fts_query(input: &str) -> Option<String> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let words: Vec<String> = if compact.len() == 10 && compact.chars().all(|c| c.is_ascii_digit()) {
        vec![compact]
    } else {
        input
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect()
    };
    if words.is_empty() {
        return None;
    }
    Some(
        words
            .iter()
            .map(|w| format!("\"{}\"*", w.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

/// Document ids as a JSON array, for `json_each`.
fn id_list(ids: &[i64]) -> Value {
    let mut text = String::with_capacity(ids.len() * 7 + 2);
    text.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&id.to_string());
    }
    text.push(']');
    Value::Text(text)
}

impl Store {
    /// One page of the inbox.
    pub fn query_documents(&self, q: &ListQuery) -> Result<DocumentPage, StoreError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        // Status, kind and dates narrow the list only a little. Under a name, sender or kind sort
        // it is faster to walk an index in that order and filter as we go than to sort every
        // match. The kind (or, without one, the status) leads such a walk: each has an index with
        // every sort's columns after it (schema 7), so the walk stays inside that kind or status
        // instead of skipping the rows of the others (each skipped row is a table row read). The
        // other filter columns are kept away from the planner (unary `+`) in that case.
        let date_sort = matches!(
            q.sort,
            None | Some(Sort::ReceivedDesc) | Some(Sort::ReceivedAsc)
        );
        // "+d." marks a weak filter column; the count keeps its index.
        let weak = if date_sort { "" } else { "+" };
        let status_weak = if q.kind.is_some() { weak } else { "" };
        if let Some(status) = q.queue.and_then(Queue::status) {
            conditions.push(format!("{status_weak}d.status = ?"));
            args.push(Value::Text(status.as_str().into()));
        }
        if let Some(kind) = q.kind {
            conditions.push("d.kind = ?".into());
            args.push(Value::Text(kind.as_str().into()));
        }
        if let Some(sender) = q.sender.as_deref().filter(|s| !s.is_empty()) {
            conditions.push("d.sender = ? COLLATE NOCASE".into());
            args.push(Value::Text(sender.into()));
        }
        if let Some(from) = q.received_from.as_deref().filter(|s| !s.is_empty()) {
            conditions.push(format!("{weak}d.received_at >= ?"));
            args.push(Value::Text(from.into()));
        }
        if q.with_medicine_changes {
            conditions.push("d.med_changes > 0".into());
        }
        if q.with_practice_actions {
            conditions.push("d.practice_actions > 0".into());
        }
        if let Some(to) = q.received_to.as_deref().filter(|s| !s.is_empty()) {
            conditions.push(format!("{weak}d.received_at < ?"));
            args.push(Value::Text(if to.len() == 10 {
                format!("{to}T99") // inclusive of the whole day
            } else {
                to.to_string()
            }));
        }
        let typed = q.search.as_deref().filter(|s| !s.trim().is_empty());
        let fts = typed.and_then(fts_query);
        if typed.is_some() && fts.is_none() {
            // Only punctuation: searching for nothing must not show everything.
            return Ok(DocumentPage {
                total: 0,
                total_capped: false,
                offset: q.offset,
                rows: vec![],
                search_hint: Some(
                    "Search for a name, an NHS number or words: punctuation alone matches nothing."
                        .into(),
                ),
                search_by_status: None,
            });
        }
        let limit = q.limit.clamp(1, 500);
        if let Some(fts) = fts {
            return self.search_documents(&fts, &conditions, args, q, limit);
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let order = match q.sort.unwrap_or(Sort::ReceivedDesc) {
            Sort::ReceivedAsc => "d.received_at ASC, d.id ASC",
            Sort::Patient => "d.patient_name COLLATE NOCASE ASC, d.received_at DESC, d.id DESC",
            Sort::Kind => "d.kind ASC, d.received_at DESC, d.id DESC",
            Sort::Sender => "d.sender COLLATE NOCASE ASC, d.received_at DESC, d.id DESC",
            Sort::ReceivedDesc => "d.received_at DESC, d.id DESC",
        };
        let count_sql = format!(
            "SELECT count(*) FROM documents d {}",
            filter.replace("+d.", "d.")
        );
        let total: i64 = self
            .conn
            .query_row(&count_sql, params_from_iter(args.iter()), |r| r.get(0))?;
        // The page's ids first, then its columns: the row's subqueries (MESH id, deliveries,
        // identity warnings) run for the page alone, never for the rows a sort or an offset
        // passes over. The outer sort orders the page's rows again (the same order, id last).
        let page_sql = format!(
            "SELECT {ROW_COLUMNS} FROM
                (SELECT d.id FROM documents d {filter} ORDER BY {order} LIMIT {limit} OFFSET {}) p
             CROSS JOIN documents d ON d.id = p.id ORDER BY {order}",
            q.offset
        );
        let mut stmt = self.conn.prepare_cached(&page_sql)?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DocumentPage {
            total: total as u64,
            total_capped: false,
            offset: q.offset,
            rows,
            search_hint: None,
            search_by_status: None,
        })
    }

    /// A search: driven by the full-text index, newest first (document ids follow arrival), so
    /// a page costs the same whether a word matches three documents or all of them. Other sorts
    /// apply within the newest matches.
    ///
    /// The full-text query is run once for its newest matches (ids, at most one more than
    /// [`SEARCH_COUNT_CAP`]); the count, the page and the counts by status are taken from those
    /// ids. A word that is a prefix of many words is costly to look up, and a search used to
    /// look it up three times.
    fn search_documents(
        &self,
        fts: &str,
        conditions: &[String],
        mut args: Vec<Value>,
        q: &ListQuery,
        limit: u32,
    ) -> Result<DocumentPage, StoreError> {
        let cap = SEARCH_COUNT_CAP as usize;
        args.insert(0, Value::Text(fts.to_string()));
        let extra = if conditions.is_empty() {
            String::new()
        } else {
            format!(" AND {}", conditions.join(" AND "))
        };
        // The newest matches of the full-text query alone (the counts by status are of these,
        // whatever else is filtered).
        let newest = self.ids(
            &format!(
                "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?
                 ORDER BY rowid DESC LIMIT {}",
                cap + 1
            ),
            &args[..1],
        )?;
        // The newest matches with the other filters; without any, every full-text match is a
        // document.
        let matches_sql = format!(
            "SELECT d.id FROM documents_fts f CROSS JOIN documents d ON d.id = f.rowid
             WHERE documents_fts MATCH ?{extra} ORDER BY f.rowid DESC"
        );
        let matches = if conditions.is_empty() {
            newest.clone()
        } else {
            self.ids(&format!("{matches_sql} LIMIT {}", cap + 1), &args)?
        };
        let counted = matches.len();
        let total_capped = counted > cap;
        let offset = q.offset as usize;
        let page: Vec<i64> = match q.sort.unwrap_or(Sort::ReceivedDesc) {
            Sort::ReceivedDesc if !total_capped || offset + limit as usize <= counted => matches
                .iter()
                .skip(offset)
                .take(limit as usize)
                .copied()
                .collect(),
            // A page past the newest matches: from the index, as far as it goes.
            Sort::ReceivedDesc => self.ids(
                &format!("{matches_sql} LIMIT {limit} OFFSET {}", q.offset),
                &args,
            )?,
            sort => {
                let order = match sort {
                    Sort::ReceivedAsc => "d.received_at ASC, d.id ASC",
                    Sort::Patient => "d.patient_name COLLATE NOCASE ASC, d.id DESC",
                    Sort::Kind => "d.kind ASC, d.id DESC",
                    Sort::Sender => "d.sender COLLATE NOCASE ASC, d.id DESC",
                    Sort::ReceivedDesc => unreachable!("handled above"),
                };
                self.ids(
                    &format!(
                        "SELECT d.id FROM documents d WHERE d.id IN (SELECT value FROM json_each(?1))
                         ORDER BY {order} LIMIT {limit} OFFSET {}",
                        q.offset
                    ),
                    &[id_list(&matches[..counted.min(cap)])],
                )?
            }
        };
        let rows = self.rows_in_order(&page)?;
        let search_by_status = Some(self.status_counts(&newest[..newest.len().min(cap)])?);
        Ok(DocumentPage {
            total: (counted as u64).min(SEARCH_COUNT_CAP),
            total_capped,
            offset: q.offset,
            rows,
            search_hint: None,
            search_by_status,
        })
    }

    /// The ids a query returns, in its order.
    fn ids(&self, sql: &str, args: &[Value]) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let ids = stmt
            .query_map(params_from_iter(args.iter()), |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(ids)
    }

    /// The inbox rows of these documents, in this order.
    fn rows_in_order(&self, ids: &[i64]) -> Result<Vec<DocumentRow>, StoreError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM json_each(?1) j CROSS JOIN documents d ON d.id = j.value
             ORDER BY j.key"
        ))?;
        let rows = stmt
            .query_map(params![id_list(ids)], row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// How these documents (a search's newest [`SEARCH_COUNT_CAP`] full-text matches) fall into
    /// the statuses.
    fn status_counts(&self, ids: &[i64]) -> Result<StatusCounts, StoreError> {
        let mut counts = StatusCounts::default();
        if ids.is_empty() {
            return Ok(counts);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.status, count(*) FROM documents d
             WHERE d.id IN (SELECT value FROM json_each(?1)) GROUP BY d.status",
        )?;
        let rows = stmt.query_map(params![id_list(ids)], |r| {
            Ok((r.get::<_, DocumentStatus>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        for row in rows {
            let (status, n) = row?;
            counts.add(status, n);
        }
        Ok(counts)
    }

    /// Up to `limit` documents from `offset`, newest first: the inbox's rows, for scripts
    /// (`handover list`), paging through [`Store::query_documents`].
    pub fn list_documents(&self, limit: u32, offset: u32) -> Result<Vec<DocumentRow>, StoreError> {
        let mut rows = Vec::new();
        while (rows.len() as u32) < limit {
            let want = (limit - rows.len() as u32).min(500);
            let page = self.query_documents(&ListQuery {
                offset: offset + rows.len() as u32,
                limit: want,
                ..Default::default()
            })?;
            let got = page.rows.len() as u32;
            rows.extend(page.rows);
            if got < want {
                break;
            }
        }
        Ok(rows)
    }

    /// The distinct senders, for the sender filter.
    pub fn senders(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT sender FROM documents WHERE sender IS NOT NULL ORDER BY sender COLLATE NOCASE LIMIT 500",
        )?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// One document with its model and provenance.
    pub fn document(&self, id: i64) -> Result<Option<StoredDocument>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS}, dm.model, {PROVENANCE_COLUMNS}
             FROM documents d JOIN messages m ON m.id = d.message_id
             JOIN document_models dm ON dm.document_id = d.id WHERE d.id = ?1"
        ))?;
        Ok(stmt
            .query_row(params![id], |r| {
                Ok(StoredDocument {
                    row: row(r)?,
                    model_json: r.get(ROW_COLUMN_COUNT)?,
                    message: provenance(r, ROW_COLUMN_COUNT + 1)?,
                })
            })
            .optional()?)
    }

    /// The document a document replaces (by its composition or bundle identifier), if stored.
    pub fn document_replaced_by(&self, id: i64) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM documents WHERE superseded_by = ?1 ORDER BY id")?;
        let ids = stmt
            .query_map(params![id], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(ids)
    }

    /// Every delivery of a document, first delivery first: the message it was stored from and
    /// each later delivery of the same content.
    pub fn document_deliveries(&self, id: i64) -> Result<Vec<Delivery>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PROVENANCE_COLUMNS}, m.outcome FROM messages m
             WHERE m.id = (SELECT message_id FROM documents WHERE id = ?1) OR m.duplicate_of = ?1
             ORDER BY m.received_at, m.id"
        ))?;
        let rows = stmt.query_map(params![id], |r| {
            Ok(Delivery {
                message: provenance(r, 0)?,
                outcome: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The identity warnings kept with a document, oldest first.
    pub fn document_issues(&self, id: i64) -> Result<Vec<DocumentIssue>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, other_document_id, detail, created_at FROM document_issues
             WHERE document_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![id], |r| {
            let kind: String = r.get(0)?;
            Ok(DocumentIssue {
                kind: crate::IssueKind::parse(&kind)
                    .unwrap_or(crate::IssueKind::IdentifierConflict),
                other_document_id: r.get(1)?,
                detail: r.get(2)?,
                created_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Moves a document to `status`, if it is still at `expected_version`: the store's own tests
    /// of versioned changes. The product changes a document only through `crates/workflow`,
    /// which records the event with the change ([`Store::write_work`]).
    #[cfg(test)]
    pub(crate) fn set_document_status(
        &self,
        id: i64,
        status: DocumentStatus,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let changed = self.conn.query_row(
            "UPDATE documents SET status = ?2, version = version + 1
             WHERE id = ?1 AND version = ?3 RETURNING version",
            params![id, status, expected_version],
            |r| r.get::<_, i64>(0),
        );
        match changed.optional()? {
            Some(version) => Ok(version),
            None => {
                let current: Option<i64> = self
                    .conn
                    .query_row(
                        "SELECT version FROM documents WHERE id = ?1",
                        params![id],
                        |r| r.get(0),
                    )
                    .optional()?;
                Err(match current {
                    Some(current) => StoreError::DocumentChanged {
                        id,
                        expected: expected_version,
                        current,
                    },
                    None => StoreError::DocumentNotFound { id },
                })
            }
        }
    }

    /// Marks a quarantined message as dealt with, with a note (the message is kept).
    pub fn mark_quarantine_dealt_with(
        &self,
        message_id: i64,
        note: &str,
        by_user: Option<&str>,
        at: &str,
    ) -> Result<(), StoreError> {
        let quarantined: bool = self.conn.query_row(
            "SELECT count(*) > 0 FROM messages WHERE id = ?1 AND outcome = 'quarantined'",
            params![message_id],
            |r| r.get(0),
        )?;
        if !quarantined {
            return Err(StoreError::MessageNotFound { id: message_id });
        }
        self.conn.execute(
            "INSERT INTO quarantine_notes (message_id, dealt_with_at, note, by_user) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (message_id) DO UPDATE SET dealt_with_at = excluded.dealt_with_at,
                 note = excluded.note, by_user = excluded.by_user",
            params![message_id, at, note, by_user],
        )?;
        Ok(())
    }

    /// Quarantined messages, newest first.
    pub fn quarantine(&self, limit: u32, offset: u32) -> Result<Vec<QuarantineRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PROVENANCE_COLUMNS}, m.quarantine_reason, m.diagnostics, m.mailbox_meta,
                    q.dealt_with_at, q.note
             FROM messages m LEFT JOIN quarantine_notes q ON q.message_id = m.id
             WHERE m.outcome = 'quarantined' ORDER BY m.received_at DESC, m.id DESC LIMIT ?1 OFFSET ?2"
        ))?;
        let rows = stmt
            .query_map(params![limit, offset], quarantine_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One quarantined message.
    pub fn quarantined(&self, message_id: i64) -> Result<Option<QuarantineRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PROVENANCE_COLUMNS}, m.quarantine_reason, m.diagnostics, m.mailbox_meta,
                    q.dealt_with_at, q.note
             FROM messages m LEFT JOIN quarantine_notes q ON q.message_id = m.id
             WHERE m.outcome = 'quarantined' AND m.id = ?1"
        ))?;
        Ok(stmt
            .query_row(params![message_id], quarantine_row)
            .optional()?)
    }

    /// The raw bytes of a stored message, exactly as received (checked against the SHA-256
    /// recorded when they were received).
    pub fn message_raw(&self, message_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>, String, String)> = self
            .conn
            .query_row(
                "SELECT raw, raw_encoding, sha256 FROM messages WHERE id = ?1",
                params![message_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(stored, encoding, sha256)| {
            crate::raw::decode(message_id, &encoding, stored, &sha256)
        })
        .transpose()
    }
}
