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

/// A decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct MedDecisionRecord {
    pub choice: MedChoice,
    pub intent: Option<MedIntent>,
    pub note: Option<String>,
    pub stamp: Stamp,
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
    /// Received + 7 days (NICE QS120: reconciled within a week of the practice receiving it).
    pub due_by: String,
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

fn due_by(received_at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(received_at)
        .map(|t| {
            (t + chrono::Duration::days(7))
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
        signed_off: state.medrec_signed_off.clone(),
    })
}

/// Records a decision about one row.
#[allow(clippy::too_many_arguments)]
pub fn medrec_decide(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    row: &str,
    choice: MedChoice,
    intent: Option<MedIntent>,
    note: Option<String>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    let view = medrec_view(store, id)?;
    let Some(r) = view.rows.iter().find(|r| r.key == row) else {
        return Err(WorkflowError::Invalid(format!(
            "document {id}'s reconciliation has no row {row}"
        )));
    };
    if view.signed_off.is_some() {
        return Err(WorkflowError::InvalidTransition(
            "the reconciliation is signed off".into(),
        ));
    }
    if r.row.category != Category::Unchanged
        && choice == MedChoice::QueryHospital
        && note.as_deref().is_none_or(|n| n.trim().is_empty())
    {
        return Err(WorkflowError::Invalid(
            "say what to ask the hospital".into(),
        ));
    }
    let category = serde_json::to_value(r.row.category)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
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
                row: row.to_string(),
                category,
                choice,
                intent,
                note,
                list_version,
            })
        },
    )
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
