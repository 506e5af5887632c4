//! Events and the state they lead to.
//!
//! Every workflow change is a [`WorkEvent`], appended to the store's hash-chained log. A
//! document's [`WorkState`] is the fold of its events ([`WorkState::apply`]) and nothing else:
//! the columns the inbox queries (lane, match state, assignee, business response) are a
//! projection of it, written in the same transaction as the event, and [`crate::rebuild`]
//! recomputes them from the log alone. Events name what happened in the words of the practice
//! ("filed", "matched"), never a resulting status, so that a log shared by several desktops
//! (see ARCHITECTURE.md) folds to the same state on each.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use handover_store::{DocumentStatus, MatchState, Registration, Role};

use crate::matching::MatchDecision;
use crate::review::ReviewReason;

/// Who did something, and when (as recorded on the event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Stamp {
    pub by: String,
    pub role: Option<Role>,
    pub at: String,
}

/// What a person decided about one requested action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "decision", rename_all = "kebab-case")]
#[ts(export)]
pub enum Decision {
    /// Done at the practice (for example "medication changed on the record").
    Done { note: Option<String> },
    /// Given to a person or a role's lane, due by a date (`yyyy-mm-dd`).
    Delegated {
        to_user: Option<String>,
        to_role: Option<Role>,
        due: String,
        note: Option<String>,
    },
    /// Not for the practice to do, with the reason.
    NotApplicable { reason: String },
}

/// One workflow change. `kind` in the log is the variant's snake_case name; the rest are its
/// details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkEvent {
    /// The document was stored: how it matched, whether it needs a GP's review, and (for a
    /// document stored before the workflow existed) the status it already had.
    Received {
        #[serde(rename = "match")]
        matching: MatchDecision,
        gp_review: Vec<ReviewReason>,
        /// Requested actions for the practice that need a decision.
        actions_for_practice: u32,
        legacy_status: Option<DocumentStatus>,
    },
    /// A later version from the same sender about the same patient replaced it.
    Superseded {
        by: i64,
    },
    /// Matched to a patient on the register, automatically or by a person (with a reason).
    Matched {
        nhs_number: String,
        registration: Option<Registration>,
        reason: String,
        automatic: bool,
    },
    /// A match was undone (it stays in the log).
    MatchUndone {
        reason: String,
    },
    /// The patient is registering with the practice.
    AwaitingRegistration {
        reason: Option<String>,
    },
    /// Rejected as not known to the practice.
    RejectedNotKnown {
        reason: String,
    },
    /// An ITK3 business response was queued for the hospital.
    BusinessResponseQueued {
        code: String,
        automatic: bool,
    },
    /// Someone opened it.
    Viewed,
    MarkedNeedsAction {
        note: Option<String>,
    },
    /// Back to New (from Needs action, or from Filed: "unfiled").
    ReturnedToNew {
        reason: Option<String>,
    },
    Filed {
        note: Option<String>,
        /// The person filing is a GP: their filing is the GP review.
        gp_reviewed: bool,
    },
    Assigned {
        to_user: Option<String>,
        to_role: Option<Role>,
        note: Option<String>,
    },
    Claimed,
    ActionDecided {
        index: u32,
        text: String,
        #[serde(flatten)]
        decision: Decision,
    },
    TaskCompleted {
        index: u32,
        note: Option<String>,
    },
    GpReviewSignedOff {
        note: Option<String>,
    },
    NoteAdded {
        markdown: String,
    },
    /// A decision about one row of the medicines reconciliation (`row` is its key: see
    /// `crate::medrec::row_key`), made against practice list version `list_version`.
    MedrecDecided {
        row: String,
        category: String,
        choice: crate::medrec::MedChoice,
        intent: Option<crate::medrec::MedIntent>,
        note: Option<String>,
        list_version: Option<i64>,
        /// A follow-up task the decision opens (an on-hold restart to review, a query to the
        /// hospital), with its due date; None cancels an earlier one of the row.
        #[serde(default)]
        follow_up: Option<crate::medrec::FollowUp>,
    },
    /// A reconciliation row's follow-up task was done.
    MedrecFollowUpDone {
        row: String,
        note: Option<String>,
    },
    /// The reconciliation was signed off; the reconciled list is practice list `list_version`.
    MedrecSignedOff {
        list_version: i64,
        rows: u32,
    },
    /// The signed-off reconciliation left Handover: printed as a summary, or exported as FHIR.
    MedrecExported {
        format: crate::medrec::MedrecExportFormat,
        list_version: Option<i64>,
    },
    /// Not about a document: a profile was added.
    UserAdded {
        name: String,
        role: Role,
    },
    /// Not about a document: the practice register was imported.
    RegisterImported {
        imported: u64,
        updated: u64,
        rejected: u64,
    },
    /// Not about a document: practice medication lists were imported (a new version for each
    /// patient in the file).
    MedicationListsImported {
        patients: u64,
        lines: u64,
        rejected: u64,
        file: Option<String>,
    },
    /// Not about a document: the audit trail was exported.
    AuditExported {
        events: u64,
    },
}

impl WorkEvent {
    /// The name the log keeps (`filed`, `matched`, ...).
    pub fn kind(&self) -> String {
        self.to_json()["kind"]
            .as_str()
            .expect("every event has a kind")
            .to_string()
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("events serialise")
    }

    /// The details the log keeps (everything but the kind).
    pub fn details(&self) -> serde_json::Value {
        let mut v = self.to_json();
        v.as_object_mut()
            .expect("events are objects")
            .remove("kind");
        v
    }

    /// Reads an event back from the log; None for a kind this version does not know (a newer
    /// desktop's event), which folds to no change.
    pub fn from_log(kind: &str, details: &serde_json::Value) -> Option<WorkEvent> {
        let mut v = details.clone();
        v.as_object_mut()?
            .insert("kind".into(), serde_json::Value::String(kind.into()));
        serde_json::from_value(v).ok()
    }

    /// Whether it changes what someone acting on an older view would see (and so raises the
    /// document's version). Viewing and notes do not: they always succeed.
    pub fn changes_document(&self) -> bool {
        !matches!(
            self,
            WorkEvent::Viewed
                | WorkEvent::NoteAdded { .. }
                | WorkEvent::BusinessResponseQueued { .. }
                | WorkEvent::MedrecExported { .. }
        )
    }
}

/// A decision as recorded, with who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DecisionRecord {
    pub text: String,
    #[serde(flatten)]
    pub decision: Decision,
    pub stamp: Stamp,
    /// For a delegated action: when it was done.
    pub completed: Option<Stamp>,
}

/// A document's workflow state: the fold of its events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(default)]
pub struct WorkState {
    /// Stored before the workflow existed: no business response is ever sent for it.
    pub legacy: bool,
    pub match_state: MatchState,
    pub matched_nhs_number: Option<String>,
    pub registration: Option<Registration>,
    /// Why it matched or did not, in plain words.
    pub match_reason: Option<String>,
    pub matched: Option<Stamp>,
    pub gp_review: Vec<ReviewReason>,
    pub gp_reviewed: Option<Stamp>,
    pub needs_action: Option<Stamp>,
    pub filed: Option<Stamp>,
    pub rejected: Option<Stamp>,
    pub reject_reason: Option<String>,
    #[ts(type = "number | null")]
    pub superseded_by: Option<i64>,
    pub assigned_user: Option<String>,
    pub assigned_role: Option<Role>,
    pub decisions: BTreeMap<u32, DecisionRecord>,
    pub business_response: Option<String>,
    pub notes: u32,
    pub last_viewed: Option<Stamp>,
    /// The medicines reconciliation's decisions, by row key.
    pub medrec: BTreeMap<String, crate::medrec::MedDecisionRecord>,
    /// The practice list version the decisions were made against (pinned by the first one).
    #[ts(type = "number | null")]
    pub medrec_list_version: Option<i64>,
    pub medrec_signed_off: Option<Stamp>,
    /// The practice list version the sign-off wrote.
    #[ts(type = "number | null")]
    pub medrec_signed_off_version: Option<i64>,
}

impl WorkState {
    /// The state after `event`, done by `stamp`.
    pub fn apply(&mut self, event: &WorkEvent, stamp: &Stamp) {
        match event {
            WorkEvent::Received {
                matching,
                gp_review,
                legacy_status,
                ..
            } => {
                self.match_state = matching.state;
                self.match_reason = Some(matching.reason.clone());
                if matching.state == MatchState::Matched {
                    self.matched_nhs_number = matching.nhs_number.clone();
                    self.registration = matching.registration;
                    self.matched = Some(stamp.clone());
                }
                self.gp_review = gp_review.clone();
                if let Some(status) = legacy_status {
                    self.legacy = true;
                    match status {
                        DocumentStatus::Filed => self.filed = Some(stamp.clone()),
                        DocumentStatus::NeedsAction => self.needs_action = Some(stamp.clone()),
                        _ => {}
                    }
                }
            }
            WorkEvent::Superseded { by } => self.superseded_by = Some(*by),
            WorkEvent::Matched {
                nhs_number,
                registration,
                reason,
                ..
            } => {
                self.match_state = MatchState::Matched;
                self.matched_nhs_number = Some(nhs_number.clone());
                self.registration = *registration;
                self.match_reason = Some(reason.clone());
                self.matched = Some(stamp.clone());
                self.rejected = None;
                self.reject_reason = None;
            }
            WorkEvent::MatchUndone { reason } => {
                self.match_state = MatchState::NeedsDecision;
                self.matched_nhs_number = None;
                self.registration = None;
                self.matched = None;
                self.match_reason = Some(format!("match undone: {reason}"));
            }
            WorkEvent::AwaitingRegistration { reason } => {
                self.match_state = MatchState::AwaitingRegistration;
                self.match_reason = reason.clone().or(Some("awaiting registration".into()));
            }
            WorkEvent::RejectedNotKnown { reason } => {
                self.match_state = MatchState::NotKnown;
                self.rejected = Some(stamp.clone());
                self.reject_reason = Some(reason.clone());
            }
            WorkEvent::BusinessResponseQueued { code, .. } => {
                self.business_response = Some(code.clone())
            }
            WorkEvent::Viewed => self.last_viewed = Some(stamp.clone()),
            WorkEvent::MarkedNeedsAction { .. } => self.needs_action = Some(stamp.clone()),
            WorkEvent::ReturnedToNew { .. } => {
                self.needs_action = None;
                self.filed = None;
            }
            WorkEvent::Filed { gp_reviewed, .. } => {
                self.filed = Some(stamp.clone());
                self.needs_action = None;
                if *gp_reviewed && self.gp_reviewed.is_none() && !self.gp_review.is_empty() {
                    self.gp_reviewed = Some(stamp.clone());
                }
            }
            WorkEvent::Assigned {
                to_user, to_role, ..
            } => {
                self.assigned_user = to_user.clone();
                self.assigned_role = *to_role;
            }
            WorkEvent::Claimed => {
                self.assigned_user = Some(stamp.by.clone());
                self.assigned_role = None;
            }
            WorkEvent::ActionDecided {
                index,
                text,
                decision,
            } => {
                self.decisions.insert(
                    *index,
                    DecisionRecord {
                        text: text.clone(),
                        decision: decision.clone(),
                        stamp: stamp.clone(),
                        completed: None,
                    },
                );
            }
            WorkEvent::TaskCompleted { index, .. } => {
                if let Some(d) = self.decisions.get_mut(index) {
                    d.completed = Some(stamp.clone());
                }
            }
            WorkEvent::GpReviewSignedOff { .. } => self.gp_reviewed = Some(stamp.clone()),
            WorkEvent::MedrecDecided {
                row,
                choice,
                intent,
                note,
                list_version,
                follow_up,
                ..
            } => {
                self.medrec.insert(
                    row.clone(),
                    crate::medrec::MedDecisionRecord {
                        choice: *choice,
                        intent: *intent,
                        note: note.clone(),
                        stamp: stamp.clone(),
                        follow_up: follow_up.clone(),
                        follow_up_done: None,
                    },
                );
                if self.medrec_list_version.is_none() {
                    self.medrec_list_version = *list_version;
                }
            }
            WorkEvent::MedrecFollowUpDone { row, .. } => {
                if let Some(d) = self.medrec.get_mut(row) {
                    d.follow_up_done = Some(stamp.clone());
                }
            }
            WorkEvent::MedrecSignedOff { list_version, .. } => {
                self.medrec_signed_off = Some(stamp.clone());
                self.medrec_signed_off_version = Some(*list_version);
            }
            WorkEvent::MedrecExported { .. } => {}
            WorkEvent::NoteAdded { .. } => self.notes += 1,
            WorkEvent::UserAdded { .. }
            | WorkEvent::RegisterImported { .. }
            | WorkEvent::MedicationListsImported { .. }
            | WorkEvent::AuditExported { .. } => {}
        }
    }

    /// The lane it is in: filed > rejected > superseded > unmatched > needs GP review > needs
    /// action > new.
    pub fn lane(&self) -> DocumentStatus {
        if self.filed.is_some() {
            DocumentStatus::Filed
        } else if self.rejected.is_some() {
            DocumentStatus::Rejected
        } else if self.superseded_by.is_some() {
            DocumentStatus::Superseded
        } else if self.is_unmatched() {
            DocumentStatus::Unmatched
        } else if self.needs_gp_review() {
            DocumentStatus::NeedsGpReview
        } else if self.needs_action.is_some() {
            DocumentStatus::NeedsAction
        } else {
            DocumentStatus::New
        }
    }

    /// Waiting for a person to decide who the patient is.
    pub fn is_unmatched(&self) -> bool {
        matches!(
            self.match_state,
            MatchState::NotOnRegister
                | MatchState::NeedsDecision
                | MatchState::AwaitingRegistration
        )
    }

    /// No signed-off reconciliation and the document still counts (a superseded or rejected
    /// document's medicines are reconciled from the document that replaced it, or not at all;
    /// a document stored before the workflow existed was dealt with outside Handover, so no clock
    /// runs for it).
    pub fn medrec_pending(&self) -> bool {
        self.medrec_signed_off.is_none()
            && self.superseded_by.is_none()
            && self.rejected.is_none()
            && !self.legacy
    }

    /// Needs a GP's review that has not happened.
    pub fn needs_gp_review(&self) -> bool {
        !self.gp_review.is_empty() && self.gp_reviewed.is_none()
    }

    /// Who it is assigned to, for the list: a person's name, or a role's label.
    pub fn assignee(&self) -> Option<String> {
        self.assigned_user
            .clone()
            .or_else(|| self.assigned_role.map(|r| format!("role:{}", r.as_str())))
    }
}

#[cfg(test)]
mod medrec_clock_tests {
    use super::*;

    #[test]
    fn the_reconciliation_clock_runs_until_sign_off_and_never_for_what_predates_the_workflow() {
        let st = Stamp {
            by: "Pat".into(),
            role: Some(Role::Pharmacist),
            at: "2026-12-02T10:00:00Z".into(),
        };
        assert!(WorkState::default().medrec_pending());
        let mut signed = WorkState::default();
        signed.apply(
            &WorkEvent::MedrecSignedOff {
                list_version: 2,
                rows: 3,
            },
            &st,
        );
        assert!(!signed.medrec_pending());
        assert_eq!(signed.medrec_signed_off_version, Some(2));
        let mut superseded = WorkState::default();
        superseded.apply(&WorkEvent::Superseded { by: 9 }, &st);
        assert!(!superseded.medrec_pending());
        let legacy = WorkState {
            legacy: true,
            ..WorkState::default()
        };
        assert!(!legacy.medrec_pending());
    }
}
