//! What people (and Handover itself) do to documents. Each command is one transaction: load
//! the document's state -> check the person's permission -> check the version they saw ->
//! check the step applies -> append the event -> write the projection -> tasks and business
//! responses. A command refused leaves nothing behind.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use handover_errors::{Coded, ErrorCode};
use handover_store::{
    Actor, DocumentWork, MatchState, NewEvent, OutboxItem, PlannedResponse, Role, Store,
    StoreError, TaskOrigin, TaskStatus, TaskWrite, WorkUpdate, SYSTEM_ACTOR,
};
use handover_toc::response::{self, Responder, ResponseIds};
use handover_toc::{requested_actions, Parsed, RequestedAction, ResponseCode};

use crate::matching::{business_code, decide, DocumentPatient, MatchDecision};
use crate::permissions::{allows, Permission};
use crate::review::review_reasons;
use crate::state::{Decision, Stamp, WorkEvent, WorkState};

/// Why a workflow step was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no profile is named {0:?}: add it with `handover user add NAME --role ROLE`")]
    UnknownUser(String),
    #[error(
        "no person is chosen: choose who is working (the CLI takes --as NAME or HANDOVER_USER)"
    )]
    NoUser,
    #[error("{name} ({role}) may not {what}")]
    PermissionDenied {
        name: String,
        role: &'static str,
        what: &'static str,
    },
    #[error("{0} requested action(s) for the practice have no decision yet (done, delegated or not applicable): decide each before filing")]
    ActionsUndecided(usize),
    #[error("this document needs a GP's review ({0}); only a GP may file it, or sign off the review first")]
    GpReviewRequired(String),
    #[error("this document is not matched to a registered patient: match it, mark it awaiting registration, or reject it as not known")]
    NotMatched,
    #[error("already filed by {by} at {at}")]
    AlreadyFiled { by: String, at: String },
    #[error("{0}")]
    InvalidTransition(String),
    #[error("document {document} has no requested action {index}")]
    ActionNotFound { document: i64, index: u32 },
    #[error("{0}")]
    Invalid(String),
}

impl Coded for WorkflowError {
    fn code(&self) -> ErrorCode {
        match self {
            WorkflowError::Store(e) => e.code(),
            WorkflowError::UnknownUser(_) => ErrorCode::UnknownUser,
            WorkflowError::NoUser => ErrorCode::NoUser,
            WorkflowError::PermissionDenied { .. } => ErrorCode::PermissionDenied,
            WorkflowError::ActionsUndecided(_) => ErrorCode::ActionsUndecided,
            WorkflowError::GpReviewRequired(_) => ErrorCode::GpReviewRequired,
            WorkflowError::NotMatched => ErrorCode::NotMatched,
            WorkflowError::AlreadyFiled { .. } => ErrorCode::AlreadyFiled,
            WorkflowError::InvalidTransition(_) => ErrorCode::InvalidTransition,
            WorkflowError::ActionNotFound { .. } => ErrorCode::ActionNotFound,
            WorkflowError::Invalid(_) => ErrorCode::InvalidTransition,
        }
    }
}

/// The practice's settings the workflow needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowConfig {
    /// Used for a response when the message does not name its receiver.
    pub practice_ods: String,
    pub practice_name: String,
    /// How long a document not on the register waits before "not known" (30002) is sent by
    /// itself: `HANDOVER_UNMATCHED_GRACE_HOURS`, default 48; 0 sends at once.
    pub unmatched_grace_hours: u32,
    /// The register is fresh for this many days after its import
    /// (`HANDOVER_REGISTER_MAX_AGE_DAYS`, default 7). 30002 is never sent by itself on a stale
    /// register.
    pub register_max_age_days: u32,
}

impl WorkflowConfig {
    pub fn from_env() -> WorkflowConfig {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        WorkflowConfig {
            practice_ods: var("HANDOVER_PRACTICE_ODS").unwrap_or_else(|| "V81999".into()),
            practice_name: var("HANDOVER_PRACTICE_NAME").unwrap_or_else(|| "GP practice".into()),
            unmatched_grace_hours: var("HANDOVER_UNMATCHED_GRACE_HOURS")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(48),
            register_max_age_days: var("HANDOVER_REGISTER_MAX_AGE_DAYS")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(7),
        }
    }
}

/// The person acting, as the store records them: `name`'s profile, or on a desktop of a
/// practice the practice login (see below).
pub fn actor_for(store: &Store, name: Option<&str>) -> Result<Actor, WorkflowError> {
    // On a desktop of a practice, whoever works here is the practice login it connects as
    // (the practice log records that login as the actor of every step it sends), with the
    // role the practice gave it: a profile chosen on this desktop cannot act as another
    // person or with another role.
    if let Some(user) = store.practice_person()? {
        return Ok(Actor {
            name: user.name,
            role: Some(user.role),
            os_user: handover_store::os_user(),
            device: store.device_id()?,
        });
    }
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or(WorkflowError::NoUser)?;
    let user = store
        .user(name)?
        .ok_or_else(|| WorkflowError::UnknownUser(name.to_string()))?;
    Ok(Actor {
        name: user.name,
        role: Some(user.role),
        os_user: handover_store::os_user(),
        device: store.device_id()?,
    })
}

/// Handover itself (ingest, automatic matching).
pub fn system_actor(store: &Store) -> Result<Actor, WorkflowError> {
    Ok(Actor {
        name: SYSTEM_ACTOR.into(),
        role: None,
        os_user: handover_store::os_user(),
        device: store.device_id()?,
    })
}

fn stamp(actor: &Actor, at: &str) -> Stamp {
    Stamp {
        by: actor.name.clone(),
        role: actor.role,
        at: at.to_string(),
    }
}

fn require(actor: &Actor, permission: Permission) -> Result<(), WorkflowError> {
    match actor.role {
        Some(role) if allows(role, permission) => Ok(()),
        Some(role) => Err(WorkflowError::PermissionDenied {
            name: actor.name.clone(),
            role: role.label(),
            what: permission.words(),
        }),
        // Handover itself does only what the workflow's own rules say.
        None => Ok(()),
    }
}

/// A document's workflow, loaded for a step.
pub struct Loaded {
    pub work: DocumentWork,
    pub state: WorkState,
}

/// The parse model as stored.
pub(crate) fn stored_parsed(store: &Store, id: i64) -> Result<Option<Parsed>, WorkflowError> {
    Ok(store
        .document(id)?
        .and_then(|d| serde_json::from_str::<Parsed>(&d.model_json).ok()))
}

/// The requested actions read from a document (kept when it first entered the workflow, so
/// decisions always refer to the same list).
pub fn actions_of(store: &Store, id: i64) -> Result<Vec<RequestedAction>, WorkflowError> {
    if let Some(actions) = store.document_actions(id)? {
        return Ok(actions);
    }
    let actions = stored_parsed(store, id)?
        .and_then(|p| p.document)
        .map(|d| requested_actions(&d))
        .unwrap_or_default();
    Ok(actions)
}

/// Every word of a document's narrative and title, for the GP review rules.
fn review_text(parsed: &Parsed) -> String {
    let Some(doc) = parsed.document.as_ref() else {
        return String::new();
    };
    let mut text = doc.title.clone().unwrap_or_default();
    for s in &doc.sections {
        text.push('\n');
        text.push_str(s.title.as_deref().unwrap_or(""));
        text.push('\n');
        text.push_str(&s.text);
    }
    text
}

fn append(
    store: &Store,
    actor: &Actor,
    at: &str,
    document_id: Option<i64>,
    event: &WorkEvent,
) -> Result<(), WorkflowError> {
    let mut details = event.details();
    // On a desktop of a practice, a person's step that changes a document carries the version
    // of the document it was taken on (the practice log refuses it if someone else changed the
    // document since: practice schema 6). Added before the event is recorded, so the practice
    // log gets exactly what this desktop's log holds.
    if actor.name != SYSTEM_ACTOR && event.changes_document() && store.is_practice_cache()? {
        if let Some(key) = match document_id {
            Some(id) => store.document_key_of(id)?,
            None => None,
        }
        .filter(|k| !k.starts_with("local:"))
        {
            if let Some(obj) = details.as_object_mut() {
                obj.insert(
                    "expected_version".into(),
                    store.practice_document_version(&key)?.into(),
                );
            }
        }
    }
    let stored = store.append_event(&NewEvent {
        actor,
        at,
        document_id,
        kind: &event.kind(),
        details: &details,
    })?;
    // A person's step on a document goes to the practice log too, when this store is a cache
    // of a practice server (issue 14): queued in this transaction, sent at the next pull. What
    // Handover derives by itself (arrival, matching, supersession, automatic responses) each
    // cache derives from its own register and documents, so it is not sent.
    let derived = actor.name == SYSTEM_ACTOR
        || matches!(
            event,
            WorkEvent::Received { .. }
                | WorkEvent::Superseded { .. }
                | WorkEvent::BusinessResponseQueued { .. }
        );
    // Documents stored before content hashes were kept have only a local key.
    let shared = stored
        .document_key
        .as_deref()
        .is_some_and(|k| !k.starts_with("local:"));
    if shared && !derived {
        store.queue_practice_push(stored.seq, at)?;
    }
    Ok(())
}

/// Appends a non-document event (a profile added, a register imported, an export).
pub fn record(
    store: &Store,
    actor: &Actor,
    at: &str,
    event: &WorkEvent,
) -> Result<(), WorkflowError> {
    append(store, actor, at, None, event)
}

fn write(store: &Store, id: i64, state: &WorkState, changed: bool) -> Result<i64, WorkflowError> {
    let json = serde_json::to_string(state).expect("state serialises");
    let assignee = state.assignee();
    // What still needs a decision: the list row says so, and the filter finds it.
    let open: Vec<RequestedAction> = actions_of(store, id)?
        .into_iter()
        .enumerate()
        .filter(|(i, a)| a.needs_disposition() && !state.decisions.contains_key(&(*i as u32)))
        .map(|(_, a)| a)
        .collect();
    let first = open
        .first()
        .map(|a| handover_toc::actions::first_line(&a.text));
    Ok(store.write_work(
        id,
        &WorkUpdate {
            status: state.lane(),
            match_state: state.match_state,
            assigned_to: assignee.as_deref(),
            business_response: state.business_response.as_deref(),
            workflow: &json,
            open_actions: open.len() as u32,
            first_open_action: first.as_deref(),
            medrec_pending: state.medrec_pending(),
        },
        changed,
    )?)
}

/// Loads a document's workflow state; a document stored before the workflow existed enters it
/// here (a `received` event carrying the status it had).
fn load(store: &Store, id: i64, at: &str) -> Result<Loaded, WorkflowError> {
    let work = store
        .document_work(id)?
        .ok_or(StoreError::DocumentNotFound { id })?;
    if let Some(json) = work.workflow.as_deref() {
        let state = serde_json::from_str(json).map_err(|e| {
            WorkflowError::Invalid(format!("document {id}'s workflow state is unreadable: {e}"))
        })?;
        return Ok(Loaded { work, state });
    }
    let actor = system_actor(store)?;
    let parsed = stored_parsed(store, id)?;
    let actions = actions_of(store, id)?;
    store.set_document_actions(id, &actions)?;
    let event = WorkEvent::Received {
        matching: MatchDecision {
            state: MatchState::Unchecked,
            nhs_number: None,
            registration: None,
            deceased_date: None,
            reason: "stored before matching existed".into(),
        },
        gp_review: parsed
            .as_ref()
            .map(|p| review_reasons(work.kind, &review_text(p)))
            .unwrap_or_default(),
        actions_for_practice: actions.iter().filter(|a| a.needs_disposition()).count() as u32,
        legacy_status: Some(work.status),
    };
    let mut state = WorkState::default();
    state.apply(&event, &stamp(&actor, at));
    if let Some(by) = work.superseded_by {
        let e = WorkEvent::Superseded { by };
        state.apply(&e, &stamp(&actor, at));
        append(store, &actor, at, Some(id), &event)?;
        append(store, &actor, at, Some(id), &e)?;
    } else {
        append(store, &actor, at, Some(id), &event)?;
    }
    write(store, id, &state, false)?;
    let work = store.document_work(id)?.expect("just written");
    Ok(Loaded { work, state })
}

/// What a step returns: the document's new version and lane, and any response queued.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StepResult {
    #[ts(type = "number")]
    pub document_id: i64,
    #[ts(type = "number")]
    pub version: i64,
    pub status: handover_store::DocumentStatus,
    pub match_state: MatchState,
    pub business_response: Option<String>,
    #[serde(skip)]
    #[ts(skip)]
    pub queued: Option<OutboxItem>,
}

/// One person's step on one document, in one transaction.
pub(crate) fn step(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    at: &str,
    f: impl FnOnce(&Loaded) -> Result<Vec<WorkEvent>, WorkflowError>,
    after: impl FnOnce(&Store, &Loaded, &WorkState) -> Result<Option<OutboxItem>, WorkflowError>,
) -> Result<StepResult, WorkflowError> {
    store.atomically(|s| {
        let loaded = load(s, id, at)?;
        if let Some(expected) = expected_version {
            if loaded.work.version != expected {
                return Err(StoreError::DocumentChanged {
                    id,
                    expected,
                    current: loaded.work.version,
                }
                .into());
            }
        }
        let events = f(&loaded)?;
        let mut state = loaded.state.clone();
        let st = stamp(actor, at);
        let mut changed = false;
        for e in &events {
            state.apply(e, &st);
            changed |= e.changes_document();
            append(s, actor, at, Some(id), e)?;
            task_effects(s, id, e, &st)?;
        }
        let queued = after(s, &loaded, &state)?;
        if let Some(item) = &queued {
            let e = WorkEvent::BusinessResponseQueued {
                code: item.response_code.clone(),
                automatic: false,
            };
            state.apply(&e, &st);
            append(s, actor, at, Some(id), &e)?;
        }
        // A response queued by a person's step is sent by the next sync: never before this
        // transaction commits.
        let version = write(s, id, &state, changed)?;
        Ok(StepResult {
            document_id: id,
            version,
            status: state.lane(),
            match_state: state.match_state,
            business_response: state.business_response.clone(),
            queued,
        })
    })
}

pub(crate) fn nothing_after(
    _: &Store,
    _: &Loaded,
    _: &WorkState,
) -> Result<Option<OutboxItem>, WorkflowError> {
    Ok(None)
}

/// A one-event step (for the steps of other modules).
pub(crate) fn one_event(
    store: &Store,
    actor: &Actor,
    permission: Permission,
    id: i64,
    expected_version: Option<i64>,
    at: &str,
    f: impl FnOnce(&WorkState) -> Result<WorkEvent, WorkflowError>,
) -> Result<StepResult, WorkflowError> {
    On::new(store, actor, id, expected_version, at).one(permission, f)
}

/// A step on one document by one person: for the steps that are one event and nothing more.
struct On<'a> {
    store: &'a Store,
    actor: &'a Actor,
    id: i64,
    expected_version: Option<i64>,
    at: &'a str,
}

impl<'a> On<'a> {
    fn new(
        store: &'a Store,
        actor: &'a Actor,
        id: i64,
        expected_version: Option<i64>,
        at: &'a str,
    ) -> Self {
        On {
            store,
            actor,
            id,
            expected_version,
            at,
        }
    }

    /// Checks the person may, then appends the one event `f` decides from the state.
    fn one(
        &self,
        permission: Permission,
        f: impl FnOnce(&WorkState) -> Result<WorkEvent, WorkflowError>,
    ) -> Result<StepResult, WorkflowError> {
        require(self.actor, permission)?;
        step(
            self.store,
            self.actor,
            self.id,
            self.expected_version,
            self.at,
            |l| Ok(vec![f(&l.state)?]),
            nothing_after,
        )
    }
}

fn not_closed(state: &WorkState) -> Result<(), WorkflowError> {
    if let Some(f) = &state.filed {
        return Err(WorkflowError::AlreadyFiled {
            by: f.by.clone(),
            at: f.at.clone(),
        });
    }
    if let Some(r) = &state.rejected {
        return Err(WorkflowError::InvalidTransition(format!(
            "rejected as not known by {} at {}",
            r.by, r.at
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------- the ingest hook

/// Brings a just-stored document into the workflow (inside the ingest transaction): reads its
/// requested actions, matches it to the register, notes whether it needs a GP's review, and
/// queues the business response a match earns when the hospital asked for one. The response
/// returned has its first attempt recorded: the caller sends it once the batch commits.
pub fn received(
    store: &Store,
    document_id: i64,
    parsed: &Parsed,
    responder: &Responder,
    config: &WorkflowConfig,
    at: &str,
) -> Result<Option<OutboxItem>, WorkflowError> {
    received_with(store, document_id, parsed, Some(responder), config, at)
}

/// [`received`] for a document pulled from the practice server into this desktop's cache
/// (issue 14): the same requested actions, matching against this desktop's register (the
/// practice's, shared) and GP review, and the business response a match earns is queued here
/// too, from the practice's MESH mailbox `mesh_mailbox`. It is not sent from here: the pull
/// hands it to the practice server, which sends one per message however many desktops
/// queued one (practice schema 8).
pub fn received_from_practice(
    store: &Store,
    document_id: i64,
    parsed: &Parsed,
    mesh_mailbox: &str,
    config: &WorkflowConfig,
    at: &str,
) -> Result<(), WorkflowError> {
    let receiver = parsed.message.as_ref().and_then(|m| m.receiver.as_ref());
    let responder = Responder {
        ods_code: receiver
            .and_then(|r| r.ods_code.clone())
            .unwrap_or_else(|| config.practice_ods.clone()),
        name: receiver
            .and_then(|r| r.name.clone())
            .unwrap_or_else(|| config.practice_name.clone()),
        mailbox: mesh_mailbox.to_string(),
    };
    received_with(store, document_id, parsed, Some(&responder), config, at).map(|_| ())
}

fn received_with(
    store: &Store,
    document_id: i64,
    parsed: &Parsed,
    responder: Option<&Responder>,
    config: &WorkflowConfig,
    at: &str,
) -> Result<Option<OutboxItem>, WorkflowError> {
    store.atomically(|s| {
        let actor = system_actor(s)?;
        let Some(doc) = parsed.document.as_ref() else {
            return Ok(None);
        };
        let actions = requested_actions(doc);
        s.set_document_actions(document_id, &actions)?;
        let matching = match_document(s, parsed)?;
        let event = WorkEvent::Received {
            matching: matching.clone(),
            gp_review: review_reasons(doc.kind, &review_text(parsed)),
            actions_for_practice: actions.iter().filter(|a| a.needs_disposition()).count() as u32,
            legacy_status: None,
        };
        let st = stamp(&actor, at);
        let mut state = WorkState::default();
        state.apply(&event, &st);
        append(s, &actor, at, Some(document_id), &event)?;
        let work = s
            .document_work(document_id)?
            .ok_or(StoreError::DocumentNotFound { id: document_id })?;
        // Its replacement arrived first: it is superseded from the start.
        if let Some(by) = work.superseded_by {
            let e = WorkEvent::Superseded { by };
            state.apply(&e, &st);
            append(s, &actor, at, Some(document_id), &e)?;
        }
        let code = match (matching.state, matching.registration) {
            (MatchState::Matched, Some(reg)) => Some(business_code(
                reg,
                matching.deceased_date.as_deref(),
                today(at),
            )),
            (MatchState::NotOnRegister, _)
                if config.unmatched_grace_hours == 0 && register_fresh(s, config, at)? =>
            {
                Some(ResponseCode::PatientNotKnown)
            }
            _ => None,
        };
        let mut queued = None;
        if let (Some(code), Some(responder)) = (code, responder) {
            queued = queue_business(s, &work, &state, parsed, responder, code, at, true)?;
            if let Some(item) = &queued {
                let e = WorkEvent::BusinessResponseQueued {
                    code: item.response_code.clone(),
                    automatic: true,
                };
                state.apply(&e, &st);
                append(s, &actor, at, Some(document_id), &e)?;
            }
        }
        write(s, document_id, &state, false)?;
        Ok(queued)
    })
}

/// Folds a workflow event another desktop appended to the practice log (issue 14) into this
/// cache's projection of the document (its lane, match, decisions, tasks), as `rebuild` folds
/// the local log. Returns whether it changed anything. Not applied: this desktop's own events
/// (their effect was made here when they happened), events this version cannot read, and
/// what each cache derives for itself from its own register and documents (`received`,
/// `superseded`, `business_response_queued`). The event is kept in `practice_events`, not
/// appended to this desktop's own log.
pub fn apply_practice_event(
    store: &Store,
    document_id: i64,
    event: &handover_store::PracticeEventRecord,
) -> Result<bool, WorkflowError> {
    let Some((ev, st)) = practice_work_event(&store.device_id()?, event) else {
        return Ok(false);
    };
    store.atomically(|s| {
        let loaded = load(s, document_id, &event.at)?;
        let mut state = loaded.state;
        state.apply(&ev, &st);
        task_effects(s, document_id, &ev, &st)?;
        write(s, document_id, &state, ev.changes_document())?;
        // Where it was folded, so `rebuild` folds it at the same place.
        s.record_practice_fold(event.seq, document_id)?;
        Ok(true)
    })
}

/// The workflow event a practice event is, with its stamp, if this desktop folds it (see
/// [`apply_practice_event`]: not its own device's, readable, not what each cache derives for
/// itself).
fn practice_work_event(
    device: &str,
    event: &handover_store::PracticeEventRecord,
) -> Option<(WorkEvent, Stamp)> {
    if event.device == device {
        return None;
    }
    let details = serde_json::from_str::<serde_json::Value>(&event.details).ok()?;
    let ev = WorkEvent::from_log(&event.kind, &details)?;
    if matches!(
        ev,
        WorkEvent::Received { .. }
            | WorkEvent::Superseded { .. }
            | WorkEvent::BusinessResponseQueued { .. }
    ) {
        return None;
    }
    let st = Stamp {
        by: event.actor.clone(),
        role: event.role.as_deref().and_then(handover_store::Role::parse),
        at: event.at.clone(),
    };
    Some((ev, st))
}

/// Marks documents replaced by `by` (inside the ingest transaction).
pub fn superseded(store: &Store, ids: &[i64], by: i64, at: &str) -> Result<(), WorkflowError> {
    let actor = system_actor(store)?;
    for &id in ids {
        store.atomically(|s| {
            let loaded = load(s, id, at)?;
            let e = WorkEvent::Superseded { by };
            let mut state = loaded.state.clone();
            state.apply(&e, &stamp(&actor, at));
            append(s, &actor, at, Some(id), &e)?;
            write(s, id, &state, true)?;
            Ok::<_, WorkflowError>(())
        })?;
    }
    Ok(())
}

fn today(at: &str) -> NaiveDate {
    at.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| chrono::Utc::now().date_naive())
}

/// Whether a register has been imported within the freshness threshold.
pub fn register_fresh(
    store: &Store,
    config: &WorkflowConfig,
    at: &str,
) -> Result<bool, WorkflowError> {
    let status = store.register_status()?;
    let (Some(imported), Ok(now)) = (
        status.imported_at.as_deref(),
        chrono::DateTime::parse_from_rfc3339(at),
    ) else {
        return Ok(false);
    };
    let Ok(imported) = chrono::DateTime::parse_from_rfc3339(imported) else {
        return Ok(false);
    };
    Ok(status.patients > 0
        && now.signed_duration_since(imported)
            <= chrono::Duration::days(config.register_max_age_days as i64))
}

fn match_document(store: &Store, parsed: &Parsed) -> Result<MatchDecision, WorkflowError> {
    let patient = parsed.document.as_ref().and_then(|d| d.patient.as_ref());
    let nhs = patient.and_then(|p| p.nhs_number.as_deref());
    let on_register = match nhs {
        Some(n) => store.register_patient(n)?,
        None => None,
    };
    let empty = store.register_status()?.patients == 0;
    Ok(decide(
        &DocumentPatient {
            nhs_number: nhs,
            nhs_number_valid: patient.is_some_and(|p| p.nhs_number_valid),
            birth_date: patient.and_then(|p| p.birth_date.as_deref()),
            family_name: patient.and_then(|p| p.family.as_deref()),
            given_name: patient.and_then(|p| p.given.first().map(String::as_str)),
            postcode: patient.and_then(|p| p.postcode.as_deref()),
        },
        on_register.as_ref(),
        empty,
    ))
}

/// Queues the business response `code` for a document's message, when (and only when) the
/// hospital asked for one, none has been queued for the message, no fatal infrastructure
/// response was, and the document entered the workflow on arrival (not a legacy one).
#[allow(clippy::too_many_arguments)]
fn queue_business(
    store: &Store,
    work: &DocumentWork,
    state: &WorkState,
    parsed: &Parsed,
    responder: &Responder,
    code: ResponseCode,
    at: &str,
    first_attempt: bool,
) -> Result<Option<OutboxItem>, WorkflowError> {
    if state.legacy || state.business_response.is_some() {
        return Ok(None);
    }
    let asked = parsed
        .message
        .as_ref()
        .is_some_and(|m| m.handling.bus_ack_requested == Some(true));
    if !asked {
        return Ok(None);
    }
    let queued = store.queued_responses(work.message_id)?;
    let fatal = queued.iter().any(|(kind, code)| {
        kind == "infrastructure"
            && code
                .parse::<u32>()
                .ok()
                .and_then(ResponseCode::from_code)
                .is_none_or(ResponseCode::is_fatal)
    });
    if fatal || queued.iter().any(|(kind, _)| kind == "business") {
        return Ok(None);
    }
    let mut random = [0u8; 80];
    fill_random(&mut random);
    let Ok(built) = response::build(
        parsed,
        code.code(),
        responder,
        &ResponseIds::from_random(&random),
        at,
    ) else {
        return Ok(None);
    };
    let (workflow_id, sender_mailbox, _) = store.message_route(work.message_id)?;
    let Some(to) = built.to_mailbox.clone().or(sender_mailbox) else {
        return Ok(None);
    };
    Ok(store.queue_response(
        work.message_id,
        &PlannedResponse {
            kind: "business",
            response_code: code.code().to_string(),
            to_mailbox: to,
            workflow_id: handover_toc::codes::ack_workflow(workflow_id.as_deref(), work.kind),
            body: built.xml.into_bytes(),
        },
        at,
        first_attempt,
    )?)
}

fn fill_random(buf: &mut [u8]) {
    use rand::RngCore;
    rand::rng().fill_bytes(buf);
}

/// The responder for a person's step: the message's receiver, else the practice's settings;
/// the mailbox the message arrived in.
fn responder_for(
    store: &Store,
    work: &DocumentWork,
    parsed: &Parsed,
    config: &WorkflowConfig,
) -> Result<Responder, WorkflowError> {
    let (_, _, mailbox) = store.message_route(work.message_id)?;
    // A document pulled from the practice server: the answer comes from the practice's MESH
    // mailbox (the server's, which sends it).
    let mailbox = store
        .practice_mesh_mailbox_for(work.message_id)?
        .unwrap_or(mailbox);
    let receiver = parsed.message.as_ref().and_then(|m| m.receiver.as_ref());
    Ok(Responder {
        ods_code: receiver
            .and_then(|r| r.ods_code.clone())
            .unwrap_or_else(|| config.practice_ods.clone()),
        name: receiver
            .and_then(|r| r.name.clone())
            .unwrap_or_else(|| config.practice_name.clone()),
        mailbox,
    })
}

/// Queues a business response decided by a person (or by the grace period), sent by the
/// next sync.
fn person_business(
    store: &Store,
    loaded: &Loaded,
    state: &WorkState,
    code: ResponseCode,
    config: &WorkflowConfig,
    at: &str,
) -> Result<Option<OutboxItem>, WorkflowError> {
    let Some(parsed) = stored_parsed(store, loaded.work.id)? else {
        return Ok(None);
    };
    let responder = responder_for(store, &loaded.work, &parsed, config)?;
    queue_business(
        store,
        &loaded.work,
        state,
        &parsed,
        &responder,
        code,
        at,
        false,
    )
}

// ---------------------------------------------------------------- people's steps

/// Files a document. Refused while an action for the practice has no decision, while it needs
/// a GP's review and the person is not a GP, while it is not matched (when there is a register),
/// and when someone filed it first.
pub fn file(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    note: Option<String>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    require(actor, Permission::File)?;
    step(
        store,
        actor,
        id,
        expected_version,
        at,
        |l| {
            not_closed(&l.state)?;
            if l.state.is_unmatched() && l.state.match_state != MatchState::AwaitingRegistration {
                return Err(WorkflowError::NotMatched);
            }
            let actions = actions_of(store, id)?;
            let undecided = actions
                .iter()
                .enumerate()
                .filter(|(i, a)| {
                    a.needs_disposition() && !l.state.decisions.contains_key(&(*i as u32))
                })
                .count();
            if undecided > 0 {
                return Err(WorkflowError::ActionsUndecided(undecided));
            }
            let is_gp = actor.role == Some(Role::Gp);
            if l.state.needs_gp_review() && !is_gp {
                let topics = l
                    .state
                    .gp_review
                    .iter()
                    .map(|r| r.detail.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(WorkflowError::GpReviewRequired(topics));
            }
            Ok(vec![WorkEvent::Filed {
                note: note.clone(),
                gp_reviewed: is_gp && l.state.needs_gp_review(),
            }])
        },
        nothing_after,
    )
}

/// Marks a document as needing action (from New).
pub fn mark_needs_action(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    note: Option<String>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    let on = On::new(store, actor, id, expected_version, at);
    on.one(Permission::Work, |state| {
        not_closed(state)?;
        Ok(WorkEvent::MarkedNeedsAction { note })
    })
}

/// Back to New: from Needs action, or "unfile" a filed document (recorded, never erased).
pub fn return_to_new(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    reason: Option<String>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    let on = On::new(store, actor, id, expected_version, at);
    on.one(Permission::File, |state| {
        if state.filed.is_none() && state.needs_action.is_none() {
            return Err(WorkflowError::InvalidTransition(
                "it is neither filed nor marked as needing action".into(),
            ));
        }
        Ok(WorkEvent::ReturnedToNew { reason })
    })
}

/// Matches a document to a patient on the register (by a person, with a reason). The NHS
/// number is the register's: the document's own, or another chosen from the candidates.
#[allow(clippy::too_many_arguments)]
pub fn match_patient(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    nhs_number: Option<String>,
    reason: String,
    config: &WorkflowConfig,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    require(actor, Permission::Match)?;
    if reason.trim().is_empty() {
        return Err(WorkflowError::Invalid("a match needs a reason".into()));
    }
    let registered = std::cell::RefCell::new(None);
    step(
        store,
        actor,
        id,
        expected_version,
        at,
        |l| {
            not_closed(&l.state)?;
            if l.state.match_state == MatchState::Matched {
                return Err(WorkflowError::InvalidTransition(
                    "it is already matched: undo the match first".into(),
                ));
            }
            let nhs = nhs_number
                .clone()
                .or_else(|| l.work.nhs_number.clone())
                .ok_or_else(|| WorkflowError::Invalid("choose the patient's NHS number".into()))?;
            let nhs: String = nhs.chars().filter(|c| !c.is_whitespace()).collect();
            let patient = store.register_patient(&nhs)?.ok_or_else(|| {
                WorkflowError::Invalid(format!("NHS number {nhs} is not on the practice register"))
            })?;
            *registered.borrow_mut() = Some(patient.clone());
            Ok(vec![WorkEvent::Matched {
                nhs_number: patient.nhs_number,
                registration: Some(patient.registration),
                reason: reason.trim().to_string(),
                automatic: false,
            }])
        },
        |s, l, state| {
            let Some(p) = registered.borrow().clone() else {
                return Ok(None);
            };
            let code = business_code(p.registration, p.deceased_date.as_deref(), today(at));
            person_business(s, l, state, code, config, at)
        },
    )
}

/// Undoes a match (recorded; the document goes back to Unmatched).
pub fn undo_match(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    reason: String,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    let on = On::new(store, actor, id, expected_version, at);
    on.one(Permission::Match, |state| {
        not_closed(state)?;
        if state.match_state != MatchState::Matched {
            return Err(WorkflowError::InvalidTransition("it is not matched".into()));
        }
        Ok(WorkEvent::MatchUndone { reason })
    })
}

/// The patient is registering with the practice.
pub fn awaiting_registration(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    reason: Option<String>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    let on = On::new(store, actor, id, expected_version, at);
    on.one(Permission::Match, |state| {
        not_closed(state)?;
        if !state.is_unmatched() {
            return Err(WorkflowError::InvalidTransition(
                "it is not unmatched".into(),
            ));
        }
        Ok(WorkEvent::AwaitingRegistration { reason })
    })
}

/// Rejects a document as not known to the practice; the hospital is told (30002) if it asked.
#[allow(clippy::too_many_arguments)]
pub fn reject_not_known(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    reason: String,
    config: &WorkflowConfig,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    require(actor, Permission::Reject)?;
    if reason.trim().is_empty() {
        return Err(WorkflowError::Invalid("rejecting needs a reason".into()));
    }
    step(
        store,
        actor,
        id,
        expected_version,
        at,
        |l| {
            not_closed(&l.state)?;
            if l.state.match_state == MatchState::Matched {
                return Err(WorkflowError::InvalidTransition(
                    "it is matched to a registered patient: undo the match first".into(),
                ));
            }
            Ok(vec![WorkEvent::RejectedNotKnown {
                reason: reason.trim().to_string(),
            }])
        },
        |s, l, state| person_business(s, l, state, ResponseCode::PatientNotKnown, config, at),
    )
}

/// Records a decision about one requested action (by its index in the document's list). A
/// delegation becomes a task; deciding again replaces the earlier decision (its task is
/// cancelled).
#[allow(clippy::too_many_arguments)]
pub fn decide_action(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    index: u32,
    decision: Decision,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    require(actor, Permission::Work)?;
    match &decision {
        Decision::Delegated {
            to_user,
            to_role,
            due,
            ..
        } => {
            if to_user.is_none() && to_role.is_none() {
                return Err(WorkflowError::Invalid(
                    "delegate to a person or a role".into(),
                ));
            }
            if NaiveDate::parse_from_str(due, "%Y-%m-%d").is_err() {
                return Err(WorkflowError::Invalid(format!(
                    "due date {due:?} is not yyyy-mm-dd"
                )));
            }
            if let Some(u) = to_user {
                assignable(store, u)?;
            }
            if to_user
                .as_deref()
                .is_some_and(|u| !u.eq_ignore_ascii_case(&actor.name))
            {
                require(actor, Permission::Reassign)?;
            }
        }
        Decision::NotApplicable { reason } if reason.trim().is_empty() => {
            return Err(WorkflowError::Invalid(
                "not applicable needs a reason".into(),
            ));
        }
        _ => {}
    }
    let actions = actions_of(store, id)?;
    let action = actions
        .get(index as usize)
        .cloned()
        .ok_or(WorkflowError::ActionNotFound {
            document: id,
            index,
        })?;
    let decision2 = decision.clone();
    step(
        store,
        actor,
        id,
        expected_version,
        at,
        |l| {
            not_closed(&l.state)?;
            Ok(vec![WorkEvent::ActionDecided {
                index,
                text: action.text.clone(),
                decision: decision2,
            }])
        },
        |_, _, _| Ok(None),
    )
}

/// Completes a delegated action's task.
pub fn complete_task(
    store: &Store,
    actor: &Actor,
    task_id: i64,
    note: Option<String>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    require(actor, Permission::Work)?;
    let task = store
        .task(task_id)?
        .ok_or_else(|| WorkflowError::Invalid(format!("no task {task_id}")))?;
    if task.status != TaskStatus::Open {
        return Err(WorkflowError::InvalidTransition(format!(
            "task {task_id} is {} already",
            task.status
        )));
    }
    let id = task.document_id;
    let event = match task.medrec_row {
        Some(row) => WorkEvent::MedrecFollowUpDone { row, note },
        None => WorkEvent::TaskCompleted {
            index: task.action_index,
            note,
        },
    };
    step(
        store,
        actor,
        id,
        None,
        at,
        |_| Ok(vec![event]),
        |_, _, _| Ok(None),
    )
}

/// What an event does to the tasks (the same live and in [`rebuild`]): a delegation or a
/// reconciliation follow-up opens (or replaces) its task, another decision about the same action
/// or row cancels it, a completion closes it.
fn task_effects(s: &Store, id: i64, event: &WorkEvent, st: &Stamp) -> Result<(), WorkflowError> {
    let (at, by) = (st.at.as_str(), st.by.as_str());
    let open = |origin: TaskOrigin<'_>, text: &str, user: Option<&str>, role, due: &str| {
        s.write_task(&TaskWrite {
            document_id: id,
            origin,
            text,
            assignee_user: user,
            assignee_role: role,
            due_date: due,
            created_at: at,
            created_by: by,
        })
        .map(|_| ())
    };
    match event {
        WorkEvent::ActionDecided {
            index,
            text,
            decision:
                Decision::Delegated {
                    to_user,
                    to_role,
                    due,
                    ..
                },
        } => open(
            TaskOrigin::Action(*index),
            text,
            to_user.as_deref(),
            *to_role,
            due,
        )?,
        WorkEvent::ActionDecided { index, .. } => s.close_task(
            id,
            TaskOrigin::Action(*index),
            TaskStatus::Cancelled,
            at,
            by,
            None,
        )?,
        WorkEvent::TaskCompleted { index, note } => s.close_task(
            id,
            TaskOrigin::Action(*index),
            TaskStatus::Done,
            at,
            by,
            note.as_deref(),
        )?,
        WorkEvent::MedrecDecided {
            row,
            follow_up: Some(f),
            ..
        } => open(
            TaskOrigin::Medicine(row),
            &f.text,
            Some(f.to_user.as_deref().unwrap_or(by)),
            None,
            &f.due,
        )?,
        WorkEvent::MedrecDecided { row, .. } => s.close_task(
            id,
            TaskOrigin::Medicine(row),
            TaskStatus::Cancelled,
            at,
            by,
            None,
        )?,
        WorkEvent::MedrecFollowUpDone { row, note } => s.close_task(
            id,
            TaskOrigin::Medicine(row),
            TaskStatus::Done,
            at,
            by,
            note.as_deref(),
        )?,
        _ => {}
    }
    Ok(())
}

/// Assigns a document to a person or a role's lane (or back to nobody), with a note.
#[allow(clippy::too_many_arguments)]
pub fn assign(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    to_user: Option<String>,
    to_role: Option<Role>,
    note: Option<String>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    if let Some(u) = &to_user {
        assignable(store, u)?;
    }
    let on = On::new(store, actor, id, expected_version, at);
    on.one(Permission::Reassign, |state| {
        not_closed(state)?;
        Ok(WorkEvent::Assigned {
            to_user,
            to_role,
            note,
        })
    })
}

/// Takes a document for oneself.
pub fn claim(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    let on = On::new(store, actor, id, expected_version, at);
    on.one(Permission::Work, |state| {
        not_closed(state)?;
        Ok(WorkEvent::Claimed)
    })
}

/// A GP signs off the review a document needed.
pub fn sign_off_review(
    store: &Store,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    note: Option<String>,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    let on = On::new(store, actor, id, expected_version, at);
    on.one(Permission::SignOff, |state| {
        if !state.needs_gp_review() {
            return Err(WorkflowError::InvalidTransition(
                "it does not need a GP review (or it was reviewed)".into(),
            ));
        }
        Ok(WorkEvent::GpReviewSignedOff { note })
    })
}

/// Adds a note (Markdown). Always succeeds, whatever the version.
pub fn add_note(
    store: &Store,
    actor: &Actor,
    id: i64,
    markdown: String,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    if markdown.trim().is_empty() {
        return Err(WorkflowError::Invalid("the note is empty".into()));
    }
    On::new(store, actor, id, None, at)
        .one(Permission::Work, |_| Ok(WorkEvent::NoteAdded { markdown }))
}

/// Records that a person opened a document. Always succeeds.
pub fn viewed(
    store: &Store,
    actor: &Actor,
    id: i64,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    On::new(store, actor, id, None, at).one(Permission::Work, |_| Ok(WorkEvent::Viewed))
}

// ---------------------------------------------------------------- after a sync, after an import

/// Sends "not known" (30002) by itself for documents whose NHS number is not on the register
/// once they have waited the grace period, while the register is fresh. Returns the responses
/// queued (sent by the next flush of the outbox).
pub fn send_overdue_not_known(
    store: &Store,
    config: &WorkflowConfig,
    at: &str,
) -> Result<Vec<OutboxItem>, WorkflowError> {
    if !register_fresh(store, config, at)? {
        return Ok(vec![]);
    }
    let Ok(now) = chrono::DateTime::parse_from_rfc3339(at) else {
        return Ok(vec![]);
    };
    let before = (now - chrono::Duration::hours(config.unmatched_grace_hours as i64))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let actor = system_actor(store)?;
    let mut out = Vec::new();
    for d in store.documents_in_match_states(&[MatchState::NotOnRegister], Some(&before))? {
        if d.business_response.is_some() {
            continue;
        }
        let item = store.atomically(|s| {
            let loaded = load(s, d.id, at)?;
            let Some(item) = person_business(
                s,
                &loaded,
                &loaded.state,
                ResponseCode::PatientNotKnown,
                config,
                at,
            )?
            else {
                return Ok::<_, WorkflowError>(None);
            };
            let e = WorkEvent::BusinessResponseQueued {
                code: item.response_code.clone(),
                automatic: true,
            };
            let mut state = loaded.state.clone();
            state.apply(&e, &stamp(&actor, at));
            append(s, &actor, at, Some(d.id), &e)?;
            write(s, d.id, &state, false)?;
            Ok(Some(item))
        })?;
        out.extend(item);
    }
    Ok(out)
}

/// Matches again the pending documents a register import may have changed the answer for.
pub fn rematch_after_import(
    store: &Store,
    config: &WorkflowConfig,
    at: &str,
) -> Result<usize, WorkflowError> {
    rematch(store, config, at, true)
}

/// [`rematch_after_import`] on a desktop that is a cache of the practice server (issue 14),
/// after it took a version of the practice's shared register: the same matching, and the
/// business response a match earns queued here too (as [`received_from_practice`]): the pull
/// hands it to the practice server, which sends one per message however many desktops
/// queued one.
pub fn rematch_after_practice_import(
    store: &Store,
    config: &WorkflowConfig,
    at: &str,
) -> Result<usize, WorkflowError> {
    rematch(store, config, at, true)
}

fn rematch(
    store: &Store,
    config: &WorkflowConfig,
    at: &str,
    respond: bool,
) -> Result<usize, WorkflowError> {
    let actor = system_actor(store)?;
    let mut changed = 0;
    for d in store
        .documents_in_match_states(&[MatchState::Unchecked, MatchState::NotOnRegister], None)?
    {
        let done = store.atomically(|s| {
            let loaded = load(s, d.id, at)?;
            let Some(parsed) = stored_parsed(s, d.id)? else {
                return Ok::<_, WorkflowError>(false);
            };
            let decision = match_document(s, &parsed)?;
            if decision.state == loaded.state.match_state {
                return Ok(false);
            }
            let st = stamp(&actor, at);
            let mut state = loaded.state.clone();
            let event = match decision.state {
                MatchState::Matched => WorkEvent::Matched {
                    nhs_number: decision.nhs_number.clone().unwrap_or_default(),
                    registration: decision.registration,
                    reason: decision.reason.clone(),
                    automatic: true,
                },
                MatchState::NeedsDecision | MatchState::NotOnRegister => {
                    // Still not matched, now for another reason: say so, without a step.
                    WorkEvent::Received {
                        matching: decision.clone(),
                        gp_review: loaded.state.gp_review.clone(),
                        actions_for_practice: 0,
                        legacy_status: None,
                    }
                }
                _ => return Ok(false),
            };
            state.apply(&event, &st);
            append(s, &actor, at, Some(d.id), &event)?;
            if let (true, MatchState::Matched, Some(reg)) =
                (respond, decision.state, decision.registration)
            {
                let code = business_code(reg, decision.deceased_date.as_deref(), today(at));
                if let Some(item) = person_business(s, &loaded, &state, code, config, at)? {
                    let e = WorkEvent::BusinessResponseQueued {
                        code: item.response_code.clone(),
                        automatic: true,
                    };
                    state.apply(&e, &st);
                    append(s, &actor, at, Some(d.id), &e)?;
                }
            }
            write(s, d.id, &state, true)?;
            Ok(true)
        })?;
        changed += done as usize;
    }
    Ok(changed)
}

/// Recomputes every document's projection from the event log, and the tasks from the
/// delegations in it. Returns how many documents were rebuilt.
///
/// On a desktop that is a cache of a practice server, the log is two logs: this desktop's own
/// (`events`, its order its seq) and the practice's (`practice_events`, its order the
/// practice's seq), whose other desktops' events were folded into the cached documents as they
/// were pulled. Both are folded here, in the order this desktop folded them: each practice
/// event right after the own log's event that was the last when the pull folded it
/// (`practice_folds`, recorded by [`apply_practice_event`]), practice events folded at the
/// same point in the practice's order. That is the only order that gives back exactly the
/// lanes, assignees and tasks the desktop showed before the rebuild: the own log's order is
/// the order its steps were taken in, each step seeing what had been pulled by then, and the
/// practice's seq is the order the pull folded in. (Folding everything in the practice's seq
/// alone would move a step taken offline after other desktops' events it never saw, changing
/// lanes under the person; where two desktops' views of conflicting steps differ, that is
/// the conflict handling's to settle, not a rebuild's.) A practice event folded before
/// schema 12 (no record of where) is folded right after the document's first own event (its
/// arrival), as the pull folds events that came before their document.
pub fn rebuild(store: &Store) -> Result<usize, WorkflowError> {
    store.atomically(|s| {
        let device = s.device_id()?;
        let refused = s.practice_refused_seqs()?;
        let mut n = 0;
        s.clear_tasks()?;
        for id in s.document_ids()? {
            if fold_document(s, id, &device, &refused, false)? {
                n += 1;
            }
        }
        Ok(n)
    })
}

/// Folds one document's state and tasks again from its own log and the practice events, the
/// local events the practice refused left out (their caller has removed its tasks, or all).
/// `bump`: raise the document's version (what it shows changed). False when the document has
/// no events.
fn fold_document(
    s: &Store,
    id: i64,
    device: &str,
    refused: &std::collections::BTreeSet<i64>,
    bump: bool,
) -> Result<bool, WorkflowError> {
    let local = s.document_events(id)?;
    if local.is_empty() {
        return Ok(false);
    }
    // (after which own event, 0 own / 1 practice, practice seq)
    let mut folds: Vec<((i64, u8, i64), WorkEvent, Stamp)> = Vec::new();
    for e in &local {
        if refused.contains(&e.seq) {
            continue;
        }
        let Some(ev) = WorkEvent::from_log(&e.kind, &e.details) else {
            continue;
        };
        let st = Stamp {
            by: e.actor.clone(),
            role: e.role,
            at: e.at.clone(),
        };
        folds.push(((e.seq, 0, 0), ev, st));
    }
    let arrival = local[0].seq;
    for (p, after) in s.practice_events_of_document(id)? {
        if let Some((ev, st)) = practice_work_event(device, &p) {
            folds.push(((after.unwrap_or(arrival), 1, p.seq), ev, st));
        }
    }
    folds.sort_by_key(|(k, _, _)| *k);
    let mut state = WorkState::default();
    for (_, ev, st) in &folds {
        state.apply(ev, st);
        task_effects(s, id, ev, st)?;
    }
    write(s, id, &state, bump)?;
    Ok(true)
}

/// The practice log refused this desktop's step `seq` on document `document_id` (another
/// person filed it first, or changed it since the step's view): the step stays in this
/// desktop's own log, marked refused, and the document's state and tasks are folded again
/// without it, so this desktop shows what the practice has (and raises the document's version,
/// so a view taken before is refused as changed).
pub fn practice_refused(store: &Store, document_id: i64, seq: i64) -> Result<(), WorkflowError> {
    store.atomically(|s| {
        s.mark_practice_refused(seq)?;
        let device = s.device_id()?;
        let refused = s.practice_refused_seqs()?;
        s.clear_tasks_of(document_id)?;
        fold_document(s, document_id, &device, &refused, true)?;
        Ok(())
    })
}

/// The actions and their decisions, for the window and `handover show`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ActionItem {
    #[ts(type = "number")]
    pub index: u32,
    #[serde(flatten)]
    pub action: RequestedAction,
    pub needs_decision: bool,
    pub decision: Option<crate::state::DecisionRecord>,
}

/// A document's row as the workflow sees it, and its state as last written (the default
/// before its first event).
pub(crate) fn work_and_state(
    store: &Store,
    id: i64,
) -> Result<(DocumentWork, WorkState), WorkflowError> {
    let work = store
        .document_work(id)?
        .ok_or(StoreError::DocumentNotFound { id })?;
    let state = work
        .workflow
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    Ok((work, state))
}

/// A document's requested actions with what was decided about each.
pub fn action_items(store: &Store, id: i64) -> Result<Vec<ActionItem>, WorkflowError> {
    let (_, state) = work_and_state(store, id)?;
    Ok(actions_of(store, id)?
        .into_iter()
        .enumerate()
        .map(|(i, a)| ActionItem {
            index: i as u32,
            needs_decision: a.needs_disposition(),
            decision: state.decisions.get(&(i as u32)).cloned(),
            action: a,
        })
        .collect())
}

/// Refuses unless the person's role may do `permission`.
pub fn require_permission(actor: &Actor, permission: Permission) -> Result<(), WorkflowError> {
    require(actor, permission)
}

fn csv_field(s: &str) -> String {
    // A leading = + - @ would be a formula in a spreadsheet: quote it as text.
    let guarded = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The audit trail as CSV, oldest first, each entry with its log (`desktop`, or on a desktop
/// of a practice `practice`), its number and hash there (so a copy can be checked later) and
/// its state (`pending` or `refused` for this desktop's steps the practice has not accepted).
pub fn audit_csv(store: &Store) -> Result<String, WorkflowError> {
    let mut out = String::from(
        "log,seq,event_id,at,actor,role,os_user,device,document_id,document_key,kind,details,state,hash\n",
    );
    store.for_each_audit_entry(|e| {
        let fields = [
            e.log.as_str().to_string(),
            e.seq.to_string(),
            e.event_id.clone(),
            e.at.clone(),
            e.actor.clone(),
            e.role.map(|r| r.as_str().to_string()).unwrap_or_default(),
            e.os_user.clone(),
            e.device.clone(),
            e.document_id.map(|d| d.to_string()).unwrap_or_default(),
            e.document_key.clone().unwrap_or_default(),
            e.kind.clone(),
            e.details.to_string(),
            serde_json::to_value(e.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            e.hash.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
        Ok(())
    })?;
    Ok(out)
}

/// The conservation report in words.
pub fn report_text(r: &handover_store::ConservationReport) -> String {
    use handover_store::DocumentStatus as S;
    let line = |l: &handover_store::ConservationLine| {
        format!(
            "{:<10} received {:>6} = stored {:>6} + duplicates {:>4} + quarantined {:>4};  stored = filed {:>6} + rejected {:>4} + superseded {:>4} + pending {:>5} (new {}, GP review {}, needs action {}, unmatched {}){}\n",
            l.day,
            l.received,
            l.stored,
            l.duplicates,
            l.quarantined,
            l.by_status.get(S::Filed),
            l.by_status.get(S::Rejected),
            l.by_status.get(S::Superseded),
            l.pending,
            l.by_status.get(S::New),
            l.by_status.get(S::NeedsGpReview),
            l.by_status.get(S::NeedsAction),
            l.by_status.get(S::Unmatched),
            if l.balanced { "" } else { "  DOES NOT ADD UP" }
        )
    };
    let mut out = line(&r.total);
    for d in &r.days {
        out.push_str(&line(d));
    }
    if let (Some(at), Some(h)) = (&r.oldest_pending_received_at, r.oldest_pending_hours) {
        out.push_str(&format!(
            "oldest pending document: received {at} ({h} hours ago)\n"
        ));
    }
    out
}

/// A person work may be given to: a profile, and not one the practice removed; on a desktop
/// of a practice, one of the practice's people (not a profile made on this desktop alone,
/// whom the other desktops do not know).
fn assignable(store: &Store, name: &str) -> Result<(), WorkflowError> {
    match store.user(name)? {
        None => Err(WorkflowError::UnknownUser(name.to_string())),
        Some(u) if !store.people()?.iter().any(|p| p.name == u.name) => {
            Err(WorkflowError::Invalid(format!(
                "{name} is a profile of this computer only, not one of the practice's people: \
                 give it to someone the practice server lists"
            )))
        }
        Some(u) if u.removed_at.is_some() => Err(WorkflowError::Invalid(format!(
            "{name} was removed from the practice: give it to someone else"
        ))),
        Some(_) => Ok(()),
    }
}
