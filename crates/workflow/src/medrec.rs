//! Medicines reconciliation as workflow: the diff of a document's medicines against the
//! patient's latest practice list, a decision per row (recorded as events, like every other
//! step), and the sign-off (pharmacist or GP) that makes the reconciled list the practice list's
//! next version. The 7-day clock (NICE QS120) runs from the practice's receipt of the document.

use serde::{Deserialize, Serialize};

use handover_medrec::{diff, Category, Concept, ConceptKind, Dictionary, PracticeLine, Row};
use handover_store::{
    Actor, DmdKind, MedicationLineType, PracticeList, PracticeListLine, PracticeListSource, Store,
};
use handover_toc::Medication;

use crate::commands::{stored_parsed, StepResult, WorkflowError};
use crate::permissions::Permission;
use crate::state::{Stamp, WorkEvent};

/// dm+d as imported into the store.
pub struct StoreDictionary<'a>(pub &'a Store);

impl Dictionary for StoreDictionary<'_> {
    fn lookup(&self, code: &str) -> Option<Concept> {
        let c = self.0.dmd_lookup(code).ok().flatten()?;
        Some(Concept {
            code: c.code,
            kind: match c.kind {
                DmdKind::Vtm => ConceptKind::Vtm,
                DmdKind::Vmp => ConceptKind::Vmp,
                DmdKind::Amp => ConceptKind::Amp,
            },
            name: c.name,
            vmp: c.vmp,
            vtm: c.vtm,
        })
    }
}

/// What a person decided about one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum MedChoice {
    /// Take the hospital's change into the practice list.
    AcceptHospital,
    /// Keep the practice's version.
    KeepPractice,
    /// Ask the hospital: the practice line stays until they answer.
    QueryHospital,
    NotApplicable,
}

/// Whether a discrepancy was meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum MedIntent {
    IntentionalDocumented,
    IntentionalUndocumented,
    Unintentional,
}

/// A follow-up a decision opens as a task: reviewing an on-hold medicine's restart, or a query
/// to the hospital awaiting its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct FollowUp {
    pub text: String,
    /// `yyyy-mm-dd` (a UK calendar day).
    pub due: String,
    /// Who does it (None: the person who decided).
    pub to_user: Option<String>,
}

/// How a signed-off reconciliation left Handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum MedrecExportFormat {
    /// The printable summary.
    Summary,
    /// The reconciled list as a FHIR STU3 Bundle (List + MedicationStatement).
    Fhir,
}

/// A decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct MedDecisionRecord {
    pub choice: MedChoice,
    pub intent: Option<MedIntent>,
    pub note: Option<String>,
    pub stamp: Stamp,
    #[serde(default)]
    pub follow_up: Option<FollowUp>,
    #[serde(default)]
    pub follow_up_done: Option<Stamp>,
}

/// Days after which a practice list is shown as out of date (unless the practice sets another
/// figure with `HANDOVER_PRACTICE_LIST_STALE_DAYS`).
pub const DEFAULT_LIST_STALE_DAYS: u32 = 14;

/// The threshold in force.
pub fn list_stale_after_days() -> u32 {
    std::env::var("HANDOVER_PRACTICE_LIST_STALE_DAYS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_LIST_STALE_DAYS)
}

/// UK wall-clock time of an instant (GMT in winter, BST from 01:00 UTC on the last Sunday of
/// March to 01:00 UTC on the last Sunday of October).
pub fn uk_local(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    use chrono::{Datelike, NaiveDate, TimeZone, Weekday};
    let last_sunday = |month: u32| {
        let mut d =
            NaiveDate::from_ymd_opt(t.year(), month, 31).expect("March and October have 31 days");
        while d.weekday() != Weekday::Sun {
            d = d.pred_opt().expect("a day before");
        }
        chrono::Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).expect("01:00"))
    };
    let summer = t >= last_sunday(3) && t < last_sunday(10);
    (t + chrono::Duration::hours(summer as i64)).naive_utc()
}

/// The UK calendar day of an instant.
pub fn uk_day(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    uk_local(t).date()
}

/// UK wall-clock time of an RFC 3339 instant, or None when it does not read as one.
pub fn uk_local_of(instant: &str) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(instant)
        .ok()
        .map(|t| uk_local(t.with_timezone(&chrono::Utc)))
}

/// A category in the words the screen and the summary use.
pub fn category_words(c: Category) -> &'static str {
    match c {
        Category::Unchanged => "Unchanged",
        Category::Added => "Started by the hospital",
        Category::Commission => "On the discharge list, not on the practice list (no change given)",
        Category::StatusConflict => "The hospital's change status contradicts the practice list",
        Category::Stopped => "Stopped by the hospital",
        Category::Omission => "On the practice list, missing from the discharge",
        Category::DoseChanged => "Dose changed",
        Category::RouteChanged => "Route changed",
        Category::StrengthOrFormChanged => "Strength or form changed",
        Category::ProductSwitch => "Another brand or product of the same medicine",
        Category::OnHold => "On hold: needs restart criteria",
    }
}

/// The UK day of an RFC 3339 instant, or None when it does not read as one.
pub fn uk_day_of(instant: &str) -> Option<chrono::NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(instant)
        .ok()
        .map(|t| uk_day(t.with_timezone(&chrono::Utc)))
}

/// The key of a row: its two sides ("d3-p1", "d-p4", "d2-p").
pub fn row_key(r: &Row) -> String {
    let side = |i: Option<usize>| i.map(|i| i.to_string()).unwrap_or_default();
    format!("d{}-p{}", side(r.discharge_index), side(r.practice_index))
}

/// A row with its key and what was decided about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MedrecRowView {
    pub key: String,
    #[serde(flatten)]
    #[ts(flatten)]
    pub row: Row,
    pub decision: Option<MedDecisionRecord>,
}

/// The reconciliation of one document.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MedrecView {
    #[ts(type = "number")]
    pub document_id: i64,
    #[ts(type = "number")]
    pub version: i64,
    pub nhs_number: Option<String>,
    /// The practice list compared with (None: no list imported for this patient).
    pub practice_list: Option<PracticeList>,
    pub discharge: Vec<Medication>,
    pub rows: Vec<MedrecRowView>,
    /// The UK day of receipt + 7 days (NICE QS120: reconciled within a week of the practice
    /// receiving it), `yyyy-mm-dd`.
    pub due_by: String,
    /// When the practice received the document (the clock's start).
    pub received_at: String,
    /// A practice list older than this many days is shown as out of date.
    #[ts(type = "number")]
    pub list_stale_after_days: u32,
    pub signed_off: Option<Stamp>,
    /// Rows still without a decision.
    #[ts(type = "number")]
    pub undecided: u32,
}

fn practice_lines(list: &PracticeList) -> Vec<PracticeLine> {
    list.lines
        .iter()
        .map(|l| PracticeLine {
            nhs_number: list.nhs_number.clone(),
            code: l.code.clone(),
            name: l.name.clone(),
            dosage: l.dosage.clone(),
            route: l.route.clone(),
            kind: l.line_type.as_str().to_string(),
        })
        .collect()
}

/// The reconciliation's due day: the UK day the practice received the document, plus 7.
pub fn due_by(received_at: &str) -> String {
    uk_day_of(received_at)
        .map(|d| {
            (d + chrono::Duration::days(7))
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_default()
}

/// The reconciliation of document `id` against its patient's latest practice list (or, once
/// signed off, the version it was signed off against).
pub fn medrec_view(store: &Store, id: i64) -> Result<MedrecView, WorkflowError> {
    let (work, state) = crate::commands::work_and_state(store, id)?;
    let discharge = stored_parsed(store, id)?
        .and_then(|p| p.document)
        .map(|d| d.medications)
        .unwrap_or_default();
    let nhs = state
        .matched_nhs_number
        .clone()
        .or_else(|| work.nhs_number.clone());
    let practice_list = match (&nhs, state.medrec_list_version) {
        (Some(n), Some(v)) => store.practice_list_version(n, v)?,
        (Some(n), None) => store.practice_list(n)?,
        _ => None,
    };
    let lines = practice_list
        .as_ref()
        .map(practice_lines)
        .unwrap_or_default();
    let d = diff(&discharge, &lines, &StoreDictionary(store));
    let rows: Vec<MedrecRowView> = d
        .rows
        .into_iter()
        .map(|row| {
            let key = row_key(&row);
            MedrecRowView {
                decision: state.medrec.get(&key).cloned(),
                key,
                row,
            }
        })
        .collect();
    Ok(MedrecView {
        document_id: id,
        version: work.version,
        nhs_number: nhs,
        undecided: rows.iter().filter(|r| r.decision.is_none()).count() as u32,
        practice_list,
        discharge,
        rows,
        due_by: due_by(&work.received_at),
        received_at: work.received_at.clone(),
        list_stale_after_days: list_stale_after_days(),
        signed_off: state.medrec_signed_off.clone(),
    })
}

/// A decision about one row, as a person gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct MedDecisionInput {
    pub row: String,
    pub choice: MedChoice,
    pub intent: Option<MedIntent>,
    pub note: Option<String>,
    /// When the follow-up task is due (`yyyy-mm-dd`), for a query to the hospital or an
    /// on-hold medicine; None takes the default (3 days for a query, 14 for a restart review).
    #[serde(default)]
    pub follow_up_due: Option<String>,
}

/// Days until a follow-up is due when the person gives no date.
pub const QUERY_DAYS: i64 = 3;
pub const RESTART_REVIEW_DAYS: i64 = 14;

/// The medicine a row is about, in the hospital's words (or the practice's).
fn row_medicine(view: &MedrecView, r: &Row) -> String {
    r.discharge_index
        .and_then(|i| view.discharge.get(i))
        .and_then(|m| m.name.clone())
        .or_else(|| {
            r.practice_index.and_then(|j| {
                view.practice_list
                    .as_ref()
                    .and_then(|l| l.lines.get(j))
                    .map(|l| l.name.clone())
            })
        })
        .unwrap_or_else(|| "a medicine with no name".into())
}

/// The follow-up a decision opens, if any: a query to the hospital, or (for an on-hold medicine
/// the practice keeps or takes) reviewing its restart.
fn follow_up(
    view: &MedrecView,
    r: &Row,
    d: &MedDecisionInput,
    at: &str,
) -> Result<Option<FollowUp>, WorkflowError> {
    let days = match (d.choice, r.category) {
        (MedChoice::QueryHospital, _) => QUERY_DAYS,
        (MedChoice::NotApplicable, _) => return Ok(None),
        (_, Category::OnHold) => RESTART_REVIEW_DAYS,
        _ => return Ok(None),
    };
    let today = uk_day_of(at).ok_or_else(|| WorkflowError::Invalid(format!("bad time {at}")))?;
    let due = match d.follow_up_due.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => {
            let due = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
                WorkflowError::Invalid(format!("the follow-up date {t:?} is not yyyy-mm-dd"))
            })?;
            if due < today {
                return Err(WorkflowError::Invalid(format!(
                    "the follow-up date {t} is in the past"
                )));
            }
            due
        }
        _ => today + chrono::Duration::days(days),
    };
    let medicine = row_medicine(view, r);
    let note = d.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let text = if d.choice == MedChoice::QueryHospital {
        format!(
            "Medicines query to the hospital about {medicine}: {}",
            note.unwrap_or("(no question given)")
        )
    } else {
        let criteria = r
            .discharge_index
            .and_then(|i| view.discharge.get(i))
            .and_then(|m| m.change_details.clone().or(m.change_indication.clone()));
        let mut t = format!("On hold: review whether to restart {medicine}");
        if let Some(c) = criteria {
            t.push_str(&format!(" (hospital: {c})"));
        }
        if let Some(n) = note {
            t.push_str(&format!(": {n}"));
        }
        t
    };
    Ok(Some(FollowUp {
        text,
        due: due.format("%Y-%m-%d").to_string(),
        to_user: None,
    }))
}

fn category_name(c: Category) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn open_for_decisions(view: &MedrecView) -> Result<(), WorkflowError> {
    if view.signed_off.is_some() {
        return Err(WorkflowError::InvalidTransition(
            "the reconciliation is signed off".into(),
        ));
    }
    Ok(())
}

/// Records a decision about one row (and opens its follow-up task, if it needs one).
pub fn medrec_decide(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    d: MedDecisionInput,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    let view = medrec_view(store, id)?;
    let Some(r) = view.rows.iter().find(|r| r.key == d.row) else {
        return Err(WorkflowError::Invalid(format!(
            "document {id}'s reconciliation has no row {}",
            d.row
        )));
    };
    open_for_decisions(&view)?;
    if r.row.category != Category::Unchanged
        && d.choice == MedChoice::QueryHospital
        && d.note.as_deref().is_none_or(|n| n.trim().is_empty())
    {
        return Err(WorkflowError::Invalid(
            "say what to ask the hospital".into(),
        ));
    }
    let follow_up = follow_up(&view, &r.row, &d, at)?;
    let list_version = view.practice_list.as_ref().map(|l| l.version);
    crate::commands::one_event(
        store,
        actor,
        Permission::Work,
        id,
        expected_version,
        at,
        |_| {
            Ok(WorkEvent::MedrecDecided {
                row: d.row,
                category: category_name(r.row.category),
                choice: d.choice,
                intent: d.intent,
                note: d.note,
                list_version,
                follow_up,
            })
        },
    )
}

/// Confirms every undecided unchanged row at once ("keep the practice version": the lines
/// agree), one decision event per row. Returns the step and how many rows it decided.
pub fn medrec_confirm_unchanged(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    at: &str,
) -> Result<(StepResult, u32), WorkflowError> {
    crate::commands::require_permission(actor, Permission::Work)?;
    let view = medrec_view(store, id)?;
    open_for_decisions(&view)?;
    let list_version = view.practice_list.as_ref().map(|l| l.version);
    let events: Vec<WorkEvent> = view
        .rows
        .iter()
        .filter(|r| r.decision.is_none() && r.row.category == Category::Unchanged)
        .map(|r| WorkEvent::MedrecDecided {
            row: r.key.clone(),
            category: category_name(r.row.category),
            choice: MedChoice::KeepPractice,
            intent: None,
            note: Some("confirmed unchanged".into()),
            list_version,
            follow_up: None,
        })
        .collect();
    if events.is_empty() {
        return Err(WorkflowError::Invalid(
            "no unchanged row is waiting for a decision".into(),
        ));
    }
    let n = events.len() as u32;
    let step = crate::commands::step(
        store,
        actor,
        id,
        expected_version,
        at,
        |_| Ok(events),
        crate::commands::nothing_after,
    )?;
    Ok((step, n))
}

/// The practice list after the decisions: each row's line as decided.
fn reconciled(view: &MedrecView) -> Result<Vec<PracticeListLine>, WorkflowError> {
    let mut out = Vec::new();
    let practice = |j: Option<usize>| {
        j.and_then(|j| {
            view.practice_list
                .as_ref()
                .and_then(|l| l.lines.get(j))
                .cloned()
        })
    };
    for r in &view.rows {
        let Some(d) = &r.decision else {
            return Err(WorkflowError::Invalid(format!(
                "row {} has no decision",
                r.key
            )));
        };
        let hospital = r
            .row
            .discharge_index
            .and_then(|i| view.discharge.get(i))
            .map(|m| PracticeListLine {
                code: m.code.clone(),
                name: m.name.clone().unwrap_or_default(),
                dosage: m.dosage.clone(),
                route: m.route.clone(),
                line_type: practice(r.row.practice_index)
                    .map(|p| p.line_type)
                    .unwrap_or(MedicationLineType::Repeat),
            });
        let take_hospital = d.choice == MedChoice::AcceptHospital;
        let line = match r.row.category {
            // Accepting a stop, or an omission the hospital made, ends the practice line.
            Category::Stopped | Category::Omission if take_hospital => None,
            Category::Stopped | Category::Omission => practice(r.row.practice_index),
            // New lines join only when accepted.
            Category::Added | Category::Commission => {
                if take_hospital {
                    hospital
                } else {
                    None
                }
            }
            // On hold: the practice line stays as it is; the restart is a decision of its own.
            Category::OnHold => {
                practice(r.row.practice_index).or(if take_hospital { hospital } else { None })
            }
            _ if take_hospital => hospital.or_else(|| practice(r.row.practice_index)),
            _ => practice(r.row.practice_index),
        };
        out.extend(line);
    }
    Ok(out)
}

/// Signs off the reconciliation (pharmacists and GPs): every row decided; the reconciled list
/// becomes the next version of the patient's practice list.
pub fn medrec_sign_off(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    crate::commands::require_permission(actor, Permission::SignOffMedicines)?;
    store.atomically(|s| {
        let view = medrec_view(s, id)?;
        if view.signed_off.is_some() {
            return Err(WorkflowError::InvalidTransition(
                "the reconciliation is signed off already".into(),
            ));
        }
        if view.undecided > 0 {
            return Err(WorkflowError::Invalid(format!(
                "{} row(s) of the reconciliation have no decision yet",
                view.undecided
            )));
        }
        let Some(nhs) = view.nhs_number.clone() else {
            return Err(WorkflowError::Invalid(
                "the document gives no NHS number".into(),
            ));
        };
        let lines = reconciled(&view)?;
        let versions = s.write_practice_lists(
            &[(nhs, lines)],
            PracticeListSource::Reconciliation,
            Some(&format!("reconciliation of document {id}")),
            at,
        )?;
        let new_version = versions.first().copied().unwrap_or_default();
        crate::commands::one_event(
            s,
            actor,
            Permission::SignOffMedicines,
            id,
            expected_version,
            at,
            |_| {
                Ok(WorkEvent::MedrecSignedOff {
                    list_version: new_version,
                    rows: view.rows.len() as u32,
                })
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_counts_uk_calendar_days() {
        // 23:30 UTC on 1 July is 00:30 on 2 July in the UK (BST): due on 9 July.
        assert_eq!(due_by("2026-07-01T23:30:00Z"), "2026-07-09");
        // In winter UTC is UK time.
        assert_eq!(due_by("2026-12-01T23:30:00Z"), "2026-12-08");
        // The clocks go forward at 01:00 UTC on 29 March 2026 and back at 01:00 UTC on 25 October.
        let day = |s| uk_day_of(s).unwrap().format("%Y-%m-%d").to_string();
        assert_eq!(day("2026-03-29T00:59:00Z"), "2026-03-29");
        assert_eq!(day("2026-03-29T23:30:00Z"), "2026-03-30");
        assert_eq!(day("2026-10-24T23:30:00Z"), "2026-10-25");
        assert_eq!(day("2026-10-25T23:30:00Z"), "2026-10-25");
        assert_eq!(due_by("not a time"), "");
    }
}
