//! A document quarantined only because its NHS number fails the check digit can still be the
//! practice's patient: a person who knows who it is may match it by hand to a patient on the
//! register, for the practice's own use. The hospital was already told the message is invalid
//! (the infrastructure response), so no business response follows. Anything else wrong with
//! the message keeps it in quarantine.

use handover_store::{Actor, Store, StoreError};
use handover_toc::{Parsed, Severity};
use handover_workflow::{StepResult, WorkflowConfig, WorkflowError};

use crate::classify::document_record;

/// Why a quarantined message cannot be matched by hand, or None when it can: it holds a
/// readable document, and every error-level diagnostic is about the patient's NHS number.
pub fn why_not_matchable(parsed: &Parsed) -> Option<String> {
    if parsed.document.is_none() {
        return Some("the message holds no readable document".into());
    }
    let others: Vec<String> = parsed
        .diagnostics_at_least(Severity::Error)
        .filter(|d| d.location != "Patient.identifier")
        .map(|d| format!("{}: {}", d.location, d.message))
        .collect();
    if !others.is_empty() {
        return Some(format!(
            "it was quarantined for more than its NHS number: {}",
            others.join("; ")
        ));
    }
    let nhs_invalid = parsed
        .document
        .as_ref()
        .and_then(|d| d.patient.as_ref())
        .is_some_and(|p| p.nhs_number.is_some() && !p.nhs_number_valid);
    if !nhs_invalid {
        return Some("its NHS number is not the reason it was quarantined".into());
    }
    None
}

/// Keeps a quarantined message's document as a document, matched to the register's patient
/// with `nhs_number`, with the person's reason: one transaction, recorded as events.
pub fn match_quarantined(
    store: &Store,
    actor: &Actor,
    message_id: i64,
    nhs_number: &str,
    reason: String,
    config: &WorkflowConfig,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    handover_workflow::require_permission(actor, handover_workflow::Permission::Match)?;
    let raw = store
        .message_raw(message_id)?
        .ok_or(StoreError::MessageNotFound { id: message_id })?;
    let parsed = handover_toc::parse(&raw);
    if store.quarantined(message_id)?.is_none() {
        return Err(StoreError::MessageNotFound { id: message_id }.into());
    }
    if let Some(why) = why_not_matchable(&parsed) {
        return Err(WorkflowError::InvalidTransition(why));
    }
    let doc = parsed.document.as_ref().expect("checked above");
    let nhs: String = nhs_number.chars().filter(|c| !c.is_whitespace()).collect();
    if store.register_patient(&nhs)?.is_none() {
        return Err(WorkflowError::Invalid(format!(
            "NHS number {nhs} is not on the practice register"
        )));
    }
    let record = document_record(&parsed, doc);
    store.atomically(|s| {
        let id = s.promote_quarantined(message_id, &record)?;
        let responder = handover_toc::response::Responder {
            ods_code: config.practice_ods.clone(),
            name: config.practice_name.clone(),
            mailbox: String::new(),
        };
        handover_workflow::received(s, id, &parsed, &responder, config, at)?;
        handover_workflow::match_patient(s, actor, id, None, Some(nhs.clone()), reason, config, at)
    })
}
