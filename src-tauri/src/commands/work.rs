//! The workflow: who is working, each document's workflow, steps, tasks, the audit trail, the
//! conservation report and the register's age. Every step goes through `crates/workflow`, which
//! checks the person's permission and the version they saw.

use handover_errors::ErrorCode;
use handover_store::{
    Actor, AuditEntry, AuditQuery, AuditTrailVerification, ConservationReport, DocumentRow,
    RegisterStatus, Role, Task, TaskQuery, User,
};
use handover_workflow::{self as workflow, Decision, Permission, WorkflowConfig, WorkflowView};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// The person working, and what their role lets them do (the window hides what the core would
/// refuse).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CurrentUser {
    pub name: String,
    /// The name the practice gives the person ("Dr Gita Patel"), shown instead of the login.
    pub display_name: Option<String>,
    pub role: Role,
    pub permissions: Vec<Permission>,
    /// The practice login this desktop works as (a desktop of a practice): nobody else can be
    /// chosen here.
    pub practice_login: bool,
}

/// A step on a document.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(tag = "step", rename_all = "kebab-case")]
#[ts(export)]
pub enum WorkStep {
    File {
        note: Option<String>,
    },
    NeedsAction {
        note: Option<String>,
    },
    /// Back to New (unfile, or clear needs action).
    Reopen {
        reason: Option<String>,
    },
    Match {
        nhs_number: Option<String>,
        reason: String,
    },
    UndoMatch {
        reason: String,
    },
    AwaitingRegistration {
        reason: Option<String>,
    },
    Reject {
        reason: String,
    },
    Decide {
        index: u32,
        decision: Decision,
    },
    Assign {
        to_user: Option<String>,
        to_role: Option<Role>,
        note: Option<String>,
    },
    Claim,
    SignOff {
        note: Option<String>,
    },
    Note {
        markdown: String,
    },
}

/// The register: how many patients, when imported, and whether that is too long ago.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RegisterView {
    #[serde(flatten)]
    pub status: RegisterStatus,
    /// Older than the threshold (HANDOVER_REGISTER_MAX_AGE_DAYS, default 7), or never imported.
    pub stale: bool,
    #[ts(type = "number")]
    pub max_age_days: u32,
}

fn now() -> String {
    handover_inbox::now_rfc3339()
}

fn actor(state: &AppState, store: &handover_store::Store) -> CmdResult<Actor> {
    let name = state.current_user();
    Ok(workflow::actor_for(store, name.as_deref())?)
}

fn current(user: User) -> CurrentUser {
    CurrentUser {
        permissions: workflow::permissions_of(user.role),
        name: user.name,
        display_name: user.display_name,
        role: user.role,
        practice_login: false,
    }
}

fn practice_login(user: User) -> CurrentUser {
    CurrentUser {
        practice_login: true,
        ..current(user)
    }
}

#[tauri::command]
pub fn list_users(state: State<'_, AppState>) -> CmdResult<Vec<User>> {
    state.with_store(|s| Ok(s.people()?))
}

/// Adds a profile (recorded in the audit trail).
#[tauri::command]
pub fn add_user(state: State<'_, AppState>, name: String, role: Role) -> CmdResult<User> {
    let name = name.trim().to_string();
    if name.is_empty() || name.eq_ignore_ascii_case(handover_store::SYSTEM_ACTOR) {
        return Err(AppError::new(
            ErrorCode::InvalidArgument,
            "Give the person's name.",
        ));
    }
    let done = state.with_store(|s| {
        // The first profile anyone may add (a fresh installation); after that, the practice
        // manager adds people.
        if !s.users()?.is_empty() {
            let a = actor(&state, s)?;
            workflow::require_permission(&a, Permission::People)?;
        }
        let at = now();
        s.atomically(|s| {
            let user = s.add_user(&name, role, &at)?;
            let system = workflow::system_actor(s)?;
            workflow::record(
                s,
                &system,
                &at,
                &workflow::WorkEvent::UserAdded {
                    name: user.name.clone(),
                    role,
                },
            )?;
            Ok::<_, AppError>(user)
        })
    });
    if done.is_ok() {
        state.stepped();
    }
    done
}

/// Chooses who is working on this desktop (until the window closes or another is chosen). On
/// a desktop of a practice the person is its practice login, whoever is chosen.
#[tauri::command]
pub fn choose_user(state: State<'_, AppState>, name: String) -> CmdResult<CurrentUser> {
    if let Some(me) = state.with_store(|s| Ok(s.practice_person()?))? {
        if !me.name.eq_ignore_ascii_case(name.trim()) {
            return Err(AppError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "On a computer of the practice you work as your practice login, {}: \
                     another person signs in to the practice server on their own computer or \
                     session.",
                    me.name
                ),
            ));
        }
        return Ok(practice_login(me));
    }
    let user = state.with_store(|s| {
        s.user(&name)?
            .ok_or_else(|| AppError::from(workflow::WorkflowError::UnknownUser(name.clone())))
    })?;
    state.set_current_user(Some(user.name.clone()));
    Ok(current(user))
}

#[tauri::command]
pub fn current_user(state: State<'_, AppState>) -> CmdResult<Option<CurrentUser>> {
    // On a desktop of a practice: its practice login, with the role the practice gave it.
    if let Some(me) = state.with_store(|s| Ok(s.practice_person()?))? {
        return Ok(Some(practice_login(me)));
    }
    let Some(name) = state.current_user() else {
        return Ok(None);
    };
    state.with_store(|s| Ok(s.user(&name)?.map(current)))
}

#[tauri::command]
pub fn document_workflow(state: State<'_, AppState>, id: i64) -> CmdResult<WorkflowView> {
    state.with_store(|s| Ok(workflow::workflow_view(s, id)?))
}

/// One step on a document, refused if the document changed since `expected_version` (the
/// version the person saw; notes always succeed). Returns the document's row as it now is.
///
/// On a desktop of a practice the step is sent to the practice server at once and waits for its
/// answer: `already_filed` when another person filed it first, `document_changed` when someone
/// changed the document since this view (the step is then not applied here either). A note is
/// sent without waiting. Offline, the step is kept, pending.
#[tauri::command]
pub async fn workflow_step<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    id: i64,
    expected_version: i64,
    step: WorkStep,
) -> CmdResult<DocumentRow> {
    let config = WorkflowConfig::from_env();
    // Every step but a note waits for the practice's answer (a note always succeeds).
    let wait = !matches!(step, WorkStep::Note { .. });
    let row = state.with_store(|s| {
        let a = actor(&state, s)?;
        let at = now();
        let v = Some(expected_version);
        match step {
            WorkStep::File { note } => workflow::file(s, &a, id, v, note, &at)?,
            WorkStep::NeedsAction { note } => workflow::mark_needs_action(s, &a, id, v, note, &at)?,
            WorkStep::Reopen { reason } => workflow::return_to_new(s, &a, id, v, reason, &at)?,
            WorkStep::Match { nhs_number, reason } => {
                workflow::match_patient(s, &a, id, v, nhs_number, reason, &config, &at)?
            }
            WorkStep::UndoMatch { reason } => workflow::undo_match(s, &a, id, v, reason, &at)?,
            WorkStep::AwaitingRegistration { reason } => {
                workflow::awaiting_registration(s, &a, id, v, reason, &at)?
            }
            WorkStep::Reject { reason } => {
                workflow::reject_not_known(s, &a, id, v, reason, &config, &at)?
            }
            WorkStep::Decide { index, decision } => {
                workflow::decide_action(s, &a, id, v, index, decision, &at)?
            }
            WorkStep::Assign {
                to_user,
                to_role,
                note,
            } => workflow::assign(s, &a, id, v, to_user, to_role, note, &at)?,
            WorkStep::Claim => workflow::claim(s, &a, id, v, &at)?,
            WorkStep::SignOff { note } => workflow::sign_off_review(s, &a, id, v, note, &at)?,
            WorkStep::Note { markdown } => workflow::add_note(s, &a, id, markdown, &at)?,
        };
        Ok(s.document(id)?
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::DocumentNotFound,
                    format!("document {id} is not in the store"),
                )
            })?
            .row)
    })?;
    crate::state::send_step(&app, &state, id, wait).await?;
    Ok(row)
}

/// Records that the person opened a document (the audit trail's "viewed").
#[tauri::command]
pub fn document_viewed(state: State<'_, AppState>, id: i64) -> CmdResult<()> {
    let done = state.with_store(|s| {
        let a = actor(&state, s)?;
        workflow::viewed(s, &a, id, &now())?;
        Ok(())
    });
    if done.is_ok() {
        state.stepped();
    }
    done
}

#[tauri::command]
pub fn list_tasks(state: State<'_, AppState>, query: TaskQuery) -> CmdResult<Vec<Task>> {
    state.with_store(|s| Ok(s.tasks(&query)?))
}

#[tauri::command]
pub fn complete_task(
    state: State<'_, AppState>,
    task_id: i64,
    note: Option<String>,
) -> CmdResult<Task> {
    let done = state.with_store(|s| {
        let a = actor(&state, s)?;
        workflow::complete_task(s, &a, task_id, note, &now())?;
        s.task(task_id)?
            .ok_or_else(|| AppError::new(ErrorCode::TaskNotFound, format!("no task {task_id}")))
    });
    if done.is_ok() {
        state.stepped();
    }
    done
}

/// The audit trail (on a desktop of a practice, the practice log with this desktop's own
/// entries that are not in it).
#[tauri::command]
pub fn audit_events(state: State<'_, AppState>, query: AuditQuery) -> CmdResult<Vec<AuditEntry>> {
    state.with_store(|s| Ok(s.audit_trail(&query)?))
}

/// Verifies this desktop's log and, on a desktop of a practice, its copy of the practice log
/// and (when it can be reached) the server's own.
#[tauri::command]
pub async fn verify_audit(state: State<'_, AppState>) -> CmdResult<AuditTrailVerification> {
    let local = state.with_store(|s| {
        let a = actor(&state, s)?;
        workflow::require_permission(&a, Permission::VerifyAudit)?;
        Ok(s.verify_audit_trail()?)
    })?;
    if local.practice.is_none() {
        return Ok(local);
    }
    let url = state.sync.practice_url();
    let server = handover_inbox::practice_settings::check_server_log(url.as_deref()).await;
    Ok(AuditTrailVerification::new(
        local.desktop,
        local.practice,
        Some(server),
    ))
}

/// Exports the audit trail as CSV into the Downloads folder (practice manager); returns the path.
#[tauri::command]
pub fn export_audit(state: State<'_, AppState>) -> CmdResult<String> {
    let done = state.with_store(|s| {
        let a = actor(&state, s)?;
        workflow::require_permission(&a, Permission::Export)?;
        let csv = workflow::audit_csv(s)?;
        let n = csv.lines().count().saturating_sub(1) as u64;
        let stem = format!(
            "handover-audit-{}",
            now().replace([':', '-'], "").get(..15).unwrap_or("export")
        );
        let path = handover_inbox::export::save_new_file(
            &handover_inbox::export::downloads_dir(),
            &stem,
            "csv",
            csv.as_bytes(),
        )
        .map_err(|e| {
            AppError::new(
                ErrorCode::SaveFailed,
                format!("the audit trail could not be saved: {e}"),
            )
        })?;
        workflow::record(
            s,
            &a,
            &now(),
            &workflow::WorkEvent::AuditExported { events: n },
        )?;
        Ok(path.display().to_string())
    });
    if done.is_ok() {
        state.stepped();
    }
    done
}

#[tauri::command]
pub fn conservation_report(state: State<'_, AppState>) -> CmdResult<ConservationReport> {
    state.with_store(|s| Ok(s.conservation_report(&now())?))
}

#[tauri::command]
pub fn register_status(state: State<'_, AppState>) -> CmdResult<RegisterView> {
    let config = WorkflowConfig::from_env();
    state.with_store(|s| {
        let status = s.register_status()?;
        let stale = !workflow::register_fresh(s, &config, &now())?;
        Ok(RegisterView {
            status,
            stale,
            max_age_days: config.register_max_age_days,
        })
    })
}

/// Keeps a quarantined message's document, matched by hand to a registered patient (only for a
/// message quarantined because its NHS number fails the check). Returns the new document's row.
#[tauri::command]
pub fn match_quarantined(
    state: State<'_, AppState>,
    message_id: i64,
    nhs_number: String,
    reason: String,
) -> CmdResult<DocumentRow> {
    let config = WorkflowConfig::from_env();
    let done = state.with_store(|s| {
        let a = actor(&state, s)?;
        let r = handover_inbox::by_hand::match_quarantined(
            s,
            &a,
            message_id,
            &nhs_number,
            reason,
            &config,
            &now(),
        )?;
        Ok(s.document(r.document_id)?
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::DocumentNotFound,
                    format!("document {} is not in the store", r.document_id),
                )
            })?
            .row)
    });
    if done.is_ok() {
        state.stepped();
    }
    done
}

/// A document's medicines reconciliation against the patient's practice list.
#[tauri::command]
pub fn medrec_view(state: State<'_, AppState>, id: i64) -> CmdResult<workflow::MedrecView> {
    state.with_store(|s| Ok(workflow::medrec_view(s, id)?))
}

/// Decides one row of a reconciliation (refused when the document changed since
/// `expected_version`); a query to the hospital or an on-hold medicine opens a follow-up task.
#[tauri::command]
pub fn medrec_decide(
    state: State<'_, AppState>,
    id: i64,
    expected_version: i64,
    decision: workflow::MedDecisionInput,
) -> CmdResult<workflow::MedrecView> {
    let done = state.with_store(|s| {
        let a = actor(&state, s)?;
        workflow::medrec_decide(s, &a, id, Some(expected_version), decision, &now())?;
        Ok(workflow::medrec_view(s, id)?)
    });
    if done.is_ok() {
        state.stepped();
    }
    done
}

/// Decides every undecided unchanged row at once ("keep the practice version").
#[tauri::command]
pub fn medrec_confirm_unchanged(
    state: State<'_, AppState>,
    id: i64,
    expected_version: i64,
) -> CmdResult<workflow::MedrecView> {
    let done = state.with_store(|s| {
        let a = actor(&state, s)?;
        workflow::medrec_confirm_unchanged(s, &a, id, Some(expected_version), &now())?;
        Ok(workflow::medrec_view(s, id)?)
    });
    if done.is_ok() {
        state.stepped();
    }
    done
}

/// The printable summary of a reconciliation (reading it records nothing).
#[tauri::command]
pub fn medrec_summary(state: State<'_, AppState>, id: i64) -> CmdResult<workflow::MedrecSummary> {
    state.with_store(|s| Ok(workflow::medrec_summary(s, id)?))
}

/// Prints the window (showing the summary) through the webview's print dialog, and records
/// that the summary left Handover.
#[tauri::command]
pub fn medrec_print<R: tauri::Runtime>(
    window: tauri::WebviewWindow<R>,
    state: State<'_, AppState>,
    id: i64,
) -> CmdResult<()> {
    state.with_store(|s| {
        let a = actor(&state, s)?;
        workflow::record_medrec_export(s, &a, id, workflow::MedrecExportFormat::Summary, &now())?;
        Ok(())
    })?;
    state.stepped();
    window.print().map_err(|e| {
        AppError::new(
            ErrorCode::SaveFailed,
            format!("the print dialog could not be opened: {e}"),
        )
    })
}

/// Saves the signed-off reconciled list as a FHIR STU3 Bundle (JSON) in Downloads, records the
/// export, and returns the path.
#[tauri::command]
pub fn medrec_export(state: State<'_, AppState>, id: i64) -> CmdResult<String> {
    let done = state.with_store(|s| {
        let a = actor(&state, s)?;
        let at = now();
        let bundle = workflow::medrec_fhir_bundle(s, id, &at)?;
        let bytes = serde_json::to_vec_pretty(&bundle).expect("a Bundle serialises");
        let path = handover_inbox::export::save_new_file(
            &handover_inbox::export::downloads_dir(),
            &format!("handover-reconciled-list-document-{id}"),
            "json",
            &bytes,
        )
        .map_err(|e| {
            AppError::new(
                ErrorCode::SaveFailed,
                format!("the reconciled list could not be saved: {e}"),
            )
        })?;
        workflow::record_medrec_export(s, &a, id, workflow::MedrecExportFormat::Fhir, &at)?;
        Ok(path.display().to_string())
    });
    if done.is_ok() {
        state.stepped();
    }
    done
}

/// Reconciliations not yet signed off, oldest first (the Tasks view), and how many in all.
#[tauri::command]
pub fn medrec_due(
    state: State<'_, AppState>,
    limit: u32,
) -> CmdResult<(Vec<handover_store::MedrecDue>, u64)> {
    state.with_store(|s| Ok(s.medrec_due(limit)?))
}

/// Signs off a reconciliation (pharmacists and GPs): the practice list gets a new version.
#[tauri::command]
pub fn medrec_sign_off(
    state: State<'_, AppState>,
    id: i64,
    expected_version: i64,
) -> CmdResult<workflow::MedrecView> {
    let done = state.with_store(|s| {
        let a = actor(&state, s)?;
        workflow::medrec_sign_off(s, &a, id, Some(expected_version), &now())?;
        Ok(workflow::medrec_view(s, id)?)
    });
    if done.is_ok() {
        state.stepped();
    }
    done
}
