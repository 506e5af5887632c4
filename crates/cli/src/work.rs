//! The workflow from the command line: people, the practice register, requested actions,
//! matching, filing, tasks, the audit trail and the conservation report. Every step goes
//! through `crates/workflow`, which checks the person's permission and records the event.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use handover_errors::ErrorCode;
use handover_store::{AuditQuery, Role, Store, TaskQuery};
use handover_workflow::{self as workflow, Decision, StepResult, WorkEvent, WorkflowConfig};

use crate::{open_store, print_json, CliError};

/// Who is acting: `--as NAME`, else `HANDOVER_USER`.
#[derive(Args, Clone, Debug)]
pub struct As {
    /// The person acting (a profile added with `handover user add`); else HANDOVER_USER.
    #[arg(long = "as", value_name = "NAME")]
    pub who: Option<String>,
}

impl As {
    fn name(&self) -> Option<String> {
        self.who
            .clone()
            .or_else(|| std::env::var("HANDOVER_USER").ok())
            .filter(|n| !n.trim().is_empty())
    }

    pub fn actor(&self, store: &Store) -> Result<handover_store::Actor, CliError> {
        Ok(workflow::actor_for(store, self.name().as_deref())?)
    }
}

/// A document step's common options.
#[derive(Args, Clone, Debug)]
pub struct On {
    /// The document's id (`handover list`).
    pub id: i64,
    /// Refuse the step if the document changed since this version was seen.
    #[arg(long)]
    pub version: Option<i64>,
    #[command(flatten)]
    pub who: As,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a local profile.
    Add {
        name: String,
        /// gp, admin, care-coordinator, pharmacist or practice-manager.
        #[arg(long)]
        role: String,
        #[arg(long)]
        json: bool,
    },
    /// List the profiles.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum RegisterCommand {
    /// Import the practice's registered patients from a CSV file (header
    /// nhs_number,family_name,given_name,birth_date,gender,postcode,registration,deceased_date).
    Import {
        file: PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        who: As,
    },
    /// How many patients the register holds and when it was imported.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the hash chains: this computer's log and, on a desktop of a practice, its copy of
    /// the practice log and the server's own log. Any edited, deleted or reordered event is found.
    Verify {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        who: As,
    },
    /// List the audit trail, newest first (on a desktop of a practice, the practice log with
    /// this computer's own entries that are not in it).
    List {
        #[arg(long)]
        document: Option<i64>,
        #[arg(long)]
        actor: Option<String>,
        /// Only one log: `desktop` (this computer's own) or `practice` (the practice's, on a
        /// desktop of a practice). Both by default.
        #[arg(long, value_enum)]
        log: Option<LogChoice>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Export every event as CSV (practice manager).
    Export {
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        who: As,
    },
}

/// Which log `audit list --log` keeps.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum LogChoice {
    Desktop,
    Practice,
}

#[derive(Subcommand)]
pub enum TaskCommand {
    /// Open tasks: yours and your role's (or everyone's with --all).
    List {
        #[command(flatten)]
        who: As,
        #[arg(long)]
        all: bool,
        /// Only overdue tasks.
        #[arg(long)]
        overdue: bool,
        #[arg(long)]
        json: bool,
    },
    /// Mark a task done.
    Done {
        task: i64,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        who: As,
        #[arg(long)]
        json: bool,
    },
}

/// How an action was decided (exactly one).
#[derive(Args, Clone, Debug)]
#[group(required = true, multiple = false)]
pub struct DecisionArgs {
    /// Done at the practice.
    #[arg(long)]
    pub done: bool,
    /// Delegate to this person (with --due).
    #[arg(long, value_name = "NAME")]
    pub delegate_to: Option<String>,
    /// Delegate to this role's lane (with --due).
    #[arg(long, value_name = "ROLE")]
    pub delegate_role: Option<String>,
    /// Not for the practice, with the reason.
    #[arg(long, value_name = "REASON")]
    pub not_applicable: Option<String>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn role(text: &str) -> Result<Role, CliError> {
    Role::parse(text.trim()).ok_or_else(|| {
        CliError::new(
            ErrorCode::InvalidArgument,
            format!(
                "unknown role {text:?}: one of {}",
                Role::ALL
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

fn read_text(file: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(file).map_err(|e| {
        CliError::new(
            ErrorCode::FileUnreadable,
            format!("cannot read {}: {e}", file.display()),
        )
    })
}

pub fn user(what: UserCommand) -> Result<(), CliError> {
    let store = open_store()?;
    match what {
        UserCommand::Add {
            name,
            role: r,
            json,
        } => {
            let r = role(&r)?;
            let name = name.trim().to_string();
            if name.is_empty() || name.eq_ignore_ascii_case(handover_store::SYSTEM_ACTOR) {
                return Err(CliError::new(
                    ErrorCode::InvalidArgument,
                    format!("{name:?} cannot be a profile's name"),
                ));
            }
            let at = now();
            let user = store.atomically(|s| {
                let user = s.add_user(&name, r, &at)?;
                let actor = workflow::system_actor(s)?;
                workflow::record(
                    s,
                    &actor,
                    &at,
                    &WorkEvent::UserAdded {
                        name: user.name.clone(),
                        role: r,
                    },
                )?;
                Ok::<_, CliError>(user)
            })?;
            if json {
                print_json(&user);
            } else {
                println!("added {} ({})", user.name, user.role.label());
            }
        }
        UserCommand::List { json } => {
            let users = store.users()?;
            if json {
                print_json(&users);
            } else {
                for u in &users {
                    println!("{:<30} {}", u.name, u.role.label());
                }
            }
        }
    }
    Ok(())
}

pub fn register(what: RegisterCommand) -> Result<(), CliError> {
    let store = open_store()?;
    match what {
        RegisterCommand::Import { file, json, who } => {
            let text = read_text(&file)?;
            let today = chrono::Utc::now().date_naive();
            let read = workflow::read_register(&text, today)
                .map_err(|m| CliError::new(ErrorCode::RegisterInvalid, m))?;
            // On a desktop of a practice the register is the practice's: it goes to the
            // practice server, and every desktop (this one too) takes it from there.
            if let Some(url) = crate::practice::practice_database(&store)? {
                return crate::practice::import_register(store, &url, &file, &text, read, json);
            }
            if let Some(practice) = store.practice_cache_state()?.practice_id {
                return Err(CliError::new(
                    ErrorCode::PracticeUnreachable,
                    format!(
                        "the register was NOT imported: this desktop is a cache of practice \
                         {practice}'s server, whose desktops share one register; connect it to the \
                         practice server (`handover practice connect`, or \
                         HANDOVER_PRACTICE_DATABASE) to import it through the server"
                    ),
                ));
            }
            let at = now();
            let config = WorkflowConfig::from_env();
            let actor = match who.name() {
                Some(_) => who.actor(&store)?,
                None => workflow::system_actor(&store)?,
            };
            let written = store.atomically(|s| {
                let written = s.write_register(&read.patients, &at)?;
                workflow::record(
                    s,
                    &actor,
                    &at,
                    &WorkEvent::RegisterImported {
                        imported: written.imported,
                        updated: written.updated,
                        rejected: read.rejected.len() as u64,
                    },
                )?;
                Ok::<_, CliError>(written)
            })?;
            let rematched = workflow::rematch_after_import(&store, &config, &at)?;
            let out = serde_json::json!({
                "imported": written.imported,
                "updated": written.updated,
                "unchanged": written.unchanged,
                "rejected": read.rejected,
                "rematched": rematched,
            });
            if json {
                print_json(&out);
            } else {
                println!(
                    "imported {}, updated {}, unchanged {}, rejected {}; {} document(s) matched again",
                    written.imported,
                    written.updated,
                    written.unchanged,
                    read.rejected.len(),
                    rematched
                );
                for r in &read.rejected {
                    println!("  line {}: {}", r.line, r.reason);
                }
            }
        }
        RegisterCommand::Status { json } => {
            let status = store.register_status()?;
            if json {
                print_json(&status);
            } else {
                println!(
                    "{} patients, imported {}",
                    status.patients,
                    status.imported_at.as_deref().unwrap_or("never")
                );
            }
        }
    }
    Ok(())
}

/// `handover actions FILE --json`: the requested actions read from a document (no store).
pub fn actions(file: &Path, json: bool) -> Result<(), CliError> {
    let bytes = std::fs::read(file).map_err(|e| {
        CliError::new(
            ErrorCode::FileUnreadable,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    let parsed = handover_toc::parse(&bytes);
    let Some(doc) = parsed.document.as_ref() else {
        return Err(CliError::new(
            ErrorCode::Unreadable,
            format!("{} holds no readable document", file.display()),
        ));
    };
    let actions = handover_toc::requested_actions(doc);
    if json {
        let rows: Vec<_> = actions
            .iter()
            .map(|a| {
                serde_json::json!({
                    "text": a.text,
                    "heading": a.heading,
                    "responsible": a.responsible,
                    "status": a.status,
                    "for_practice": a.for_practice,
                })
            })
            .collect();
        print_json(&rows);
    } else {
        for (i, a) in actions.iter().enumerate() {
            println!(
                "{i:>3}. {}{}{}{}",
                a.text,
                a.responsible
                    .as_deref()
                    .map(|r| format!(" [responsible: {r}]"))
                    .unwrap_or_default(),
                a.status
                    .as_deref()
                    .map(|r| format!(" [status: {r}]"))
                    .unwrap_or_default(),
                if a.for_practice {
                    " (for the practice)"
                } else {
                    ""
                }
            );
        }
    }
    Ok(())
}

fn print_step(r: &StepResult, json: bool, what: &str) {
    if json {
        print_json(r);
    } else {
        println!(
            "document {}: {what}; now {} (version {})",
            r.document_id,
            r.status.as_str(),
            r.version
        );
    }
}

#[derive(Subcommand)]
pub enum StepCommand {
    /// File a document (refused while a requested action has no decision, or while it needs a
    /// GP's review and you are not a GP).
    File {
        #[command(flatten)]
        on: On,
        #[arg(long)]
        note: Option<String>,
    },
    /// Mark a document as needing action.
    NeedsAction {
        #[command(flatten)]
        on: On,
        #[arg(long)]
        note: Option<String>,
    },
    /// Back to New (unfile, or clear needs action).
    Reopen {
        #[command(flatten)]
        on: On,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Match a document to a patient on the register.
    Match {
        #[command(flatten)]
        on: On,
        /// The register's NHS number (default: the document's).
        #[arg(long)]
        nhs: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Undo a match (recorded).
    UndoMatch {
        #[command(flatten)]
        on: On,
        #[arg(long)]
        reason: String,
    },
    /// The patient is registering with the practice.
    AwaitingRegistration {
        #[command(flatten)]
        on: On,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject as not known to the practice (the hospital is told, if it asked).
    Reject {
        #[command(flatten)]
        on: On,
        #[arg(long)]
        reason: String,
    },
    /// Decide one requested action (by its number in `handover show`).
    Decide {
        #[command(flatten)]
        on: On,
        index: u32,
        #[command(flatten)]
        decision: DecisionArgs,
        /// Due date for a delegation, yyyy-mm-dd.
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Assign a document to a person or a role's lane.
    Assign {
        #[command(flatten)]
        on: On,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Take a document for yourself.
    Claim {
        #[command(flatten)]
        on: On,
    },
    /// Sign off the GP review a document needed (GPs).
    SignOff {
        #[command(flatten)]
        on: On,
        #[arg(long)]
        note: Option<String>,
    },
    /// Add a note (Markdown).
    Note {
        #[command(flatten)]
        on: On,
        text: String,
    },
}

pub fn step(cmd: StepCommand) -> Result<(), CliError> {
    let mut store = open_store()?;
    let config = WorkflowConfig::from_env();
    let at = now();
    let on = match &cmd {
        StepCommand::File { on, .. }
        | StepCommand::NeedsAction { on, .. }
        | StepCommand::Reopen { on, .. }
        | StepCommand::Match { on, .. }
        | StepCommand::UndoMatch { on, .. }
        | StepCommand::AwaitingRegistration { on, .. }
        | StepCommand::Reject { on, .. }
        | StepCommand::Decide { on, .. }
        | StepCommand::Assign { on, .. }
        | StepCommand::Claim { on }
        | StepCommand::SignOff { on, .. }
        | StepCommand::Note { on, .. } => on.clone(),
    };
    let actor = on.who.actor(&store)?;
    let (id, v) = (on.id, on.version);
    let (result, what) = match cmd {
        StepCommand::File { note, .. } => {
            (workflow::file(&store, &actor, id, v, note, &at)?, "filed")
        }
        StepCommand::NeedsAction { note, .. } => (
            workflow::mark_needs_action(&store, &actor, id, v, note, &at)?,
            "marked as needing action",
        ),
        StepCommand::Reopen { reason, .. } => (
            workflow::return_to_new(&store, &actor, id, v, reason, &at)?,
            "back to New",
        ),
        StepCommand::Match { nhs, reason, .. } => (
            workflow::match_patient(&store, &actor, id, v, nhs, reason, &config, &at)?,
            "matched",
        ),
        StepCommand::UndoMatch { reason, .. } => (
            workflow::undo_match(&store, &actor, id, v, reason, &at)?,
            "match undone",
        ),
        StepCommand::AwaitingRegistration { reason, .. } => (
            workflow::awaiting_registration(&store, &actor, id, v, reason, &at)?,
            "awaiting registration",
        ),
        StepCommand::Reject { reason, .. } => (
            workflow::reject_not_known(&store, &actor, id, v, reason, &config, &at)?,
            "rejected as not known",
        ),
        StepCommand::Decide {
            index,
            decision,
            due,
            note,
            ..
        } => {
            let decision = if decision.done {
                Decision::Done { note }
            } else if let Some(reason) = decision.not_applicable {
                Decision::NotApplicable { reason }
            } else {
                let due = due.ok_or_else(|| {
                    CliError::new(
                        ErrorCode::InvalidArgument,
                        "a delegation needs --due yyyy-mm-dd",
                    )
                })?;
                Decision::Delegated {
                    to_user: decision.delegate_to,
                    to_role: decision.delegate_role.as_deref().map(role).transpose()?,
                    due,
                    note,
                }
            };
            (
                workflow::decide_action(&store, &actor, id, v, index, decision, &at)?,
                "action decided",
            )
        }
        StepCommand::Assign {
            to, role: r, note, ..
        } => (
            workflow::assign(
                &store,
                &actor,
                id,
                v,
                to,
                r.as_deref().map(role).transpose()?,
                note,
                &at,
            )?,
            "assigned",
        ),
        StepCommand::Claim { .. } => (workflow::claim(&store, &actor, id, v, &at)?, "claimed"),
        StepCommand::SignOff { note, .. } => (
            workflow::sign_off_review(&store, &actor, id, v, note, &at)?,
            "GP review signed off",
        ),
        StepCommand::Note { text, .. } => (
            workflow::add_note(&store, &actor, id, text, &at)?,
            "note added",
        ),
    };
    // On a desktop of a practice the step goes to the practice log right away (a filing
    // another person made first fails here, `already_filed`); offline it waits in the outbox.
    let delivery = crate::practice::push_step(&mut store, result.document_id)?;
    if on.json {
        let mut value = serde_json::to_value(&result).expect("a step result serialises");
        if let Some(practice) = match &delivery {
            crate::practice::StepDelivery::Local => None,
            crate::practice::StepDelivery::Sent => Some("sent"),
            crate::practice::StepDelivery::Pending(_) => Some("pending"),
        } {
            value["practice"] = practice.into();
        }
        print_json(&value);
    } else {
        print_step(&result, false, what);
    }
    if let crate::practice::StepDelivery::Pending(why) = &delivery {
        eprintln!(
            "handover: pending: queued for the practice, not sent yet (the next `handover sync \
             --once` that reaches the server sends it): {why}"
        );
    }
    Ok(())
}

/// `handover show ID`: a document's workflow state, its actions and its events.
pub fn show(id: i64, json: bool) -> Result<(), CliError> {
    let store = open_store()?;
    let work = store
        .document_work(id)?
        .ok_or_else(|| CliError::new(ErrorCode::DocumentNotFound, format!("no document {id}")))?;
    let state: serde_json::Value = work
        .workflow
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or(serde_json::Value::Null);
    let actions = workflow::action_items(&store, id)?;
    // The document's history: on a desktop of a practice everyone's steps on it (the practice
    // log) with this desktop's own entries that are not in it; oldest first.
    let events = store.audit_trail(&AuditQuery {
        document_id: Some(id),
        limit: 10_000,
        ..Default::default()
    })?;
    let tasks = store.tasks(&TaskQuery {
        document_id: Some(id),
        include_closed: true,
        ..Default::default()
    })?;
    let out = serde_json::json!({
        "id": id,
        "version": work.version,
        "status": work.status,
        "match": work.match_state.summary(),
        "match_state": work.match_state,
        "assigned_to": work.assigned_to,
        "business_response": work.business_response,
        // Whether the answer to the hospital went (or, on a desktop of a practice, was handed
        // to the practice server).
        "answer": store.answer_status(id)?,
        "state": state,
        "actions": actions,
        "tasks": tasks,
        "events": events,
    });
    if json {
        print_json(&out);
    } else {
        println!(
            "document {id} (version {}): {}, {}",
            work.version,
            work.status.as_str(),
            work.match_state.as_str()
        );
        for a in &actions {
            let d = a
                .decision
                .as_ref()
                .map(|d| format!(" -> {:?} by {}", d.decision, d.stamp.by))
                .unwrap_or_else(|| {
                    if a.needs_decision {
                        " -> NO DECISION YET".into()
                    } else {
                        " (information)".into()
                    }
                });
            println!("  {:>2}. {}{d}", a.index, a.action.text);
        }
        for e in &events {
            let state = match e.state {
                handover_store::AuditEntryState::Recorded => "",
                handover_store::AuditEntryState::Pending => " (pending)",
                handover_store::AuditEntryState::Refused => " (refused by the practice)",
            };
            println!(
                "  {} #{} {} {} {}{state}",
                e.log.as_str(),
                e.seq,
                e.at,
                e.actor,
                e.kind
            );
        }
    }
    Ok(())
}

pub fn tasks(what: TaskCommand) -> Result<(), CliError> {
    let store = open_store()?;
    match what {
        TaskCommand::List {
            who,
            all,
            overdue,
            json,
        } => {
            let mut q = TaskQuery::default();
            if !all {
                let actor = who.actor(&store)?;
                q.user = Some(actor.name);
                q.role = actor.role;
            }
            if overdue {
                q.due_before = Some(chrono::Utc::now().date_naive().to_string());
            }
            let tasks = store.tasks(&q)?;
            if json {
                print_json(&tasks);
            } else {
                for t in &tasks {
                    println!(
                        "{:>5}  due {}  {:<20}  {}  ({})",
                        t.id,
                        t.due_date,
                        t.assignee_user
                            .clone()
                            .or_else(|| t.assignee_role.map(|r| r.label().to_string()))
                            .unwrap_or_default(),
                        t.text,
                        t.patient_name.as_deref().unwrap_or("")
                    );
                }
            }
        }
        TaskCommand::Done {
            task,
            note,
            who,
            json,
        } => {
            let actor = who.actor(&store)?;
            let r = workflow::complete_task(&store, &actor, task, note, &now())?;
            print_step(&r, json, "task done");
        }
    }
    Ok(())
}

pub fn audit(what: AuditCommand) -> Result<(), CliError> {
    let store = open_store()?;
    match what {
        AuditCommand::Verify { json, who } => {
            if who.name().is_some() {
                let actor = who.actor(&store)?;
                workflow::require_permission(&actor, workflow::Permission::VerifyAudit)?;
            }
            let mut v = store.verify_audit_trail()?;
            if v.practice.is_some() {
                let url = crate::practice::practice_database(&store)?;
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| CliError::new(ErrorCode::Internal, e.to_string()))?;
                let server = runtime.block_on(handover_inbox::practice_settings::check_server_log(
                    url.as_deref(),
                ));
                v = handover_store::AuditTrailVerification::new(
                    v.desktop,
                    v.practice,
                    Some(server),
                );
            }
            if json {
                print_json(&v);
            } else {
                let said = |what: &str, a: &handover_store::AuditVerification| {
                    if a.ok {
                        println!("{what}: {} events, the chain verifies", a.events);
                    } else {
                        println!(
                            "{what}: {} events, BROKEN at event {}: {}",
                            a.events,
                            a.first_bad_event.unwrap_or(0),
                            a.problem.as_deref().unwrap_or("")
                        );
                    }
                };
                said("this computer's log", &v.desktop);
                if let Some(p) = &v.practice {
                    said("this computer's copy of the practice log", p);
                }
                match v.server.as_ref().map(|s| (&s.verification, &s.why)) {
                    Some((Some(s), _)) => said("the practice server's log", s),
                    Some((None, why)) => println!(
                        "the practice server's log was not checked: {}",
                        why.as_deref().unwrap_or("")
                    ),
                    None => {}
                }
            }
            if !v.ok {
                return Err(CliError {
                    code: ErrorCode::AuditBroken,
                    message: String::new(),
                    exit: 3,
                });
            }
        }
        AuditCommand::List {
            document,
            actor,
            log,
            limit,
            json,
        } => {
            let events = store.audit_trail(&AuditQuery {
                log: log.map(|l| match l {
                    LogChoice::Desktop => handover_store::AuditLog::Desktop,
                    LogChoice::Practice => handover_store::AuditLog::Practice,
                }),
                document_id: document,
                actor,
                newest_first: true,
                limit,
                ..Default::default()
            })?;
            if json {
                print_json(&events);
            } else {
                for e in &events {
                    let state = match e.state {
                        handover_store::AuditEntryState::Recorded => "",
                        handover_store::AuditEntryState::Pending => {
                            "  (pending: not yet in the practice log)"
                        }
                        handover_store::AuditEntryState::Refused => {
                            "  (refused by the practice: changed nothing)"
                        }
                    };
                    println!(
                        "{:<8} #{:<6} {}  {:<20} {:<12} {:<24} {}{state}",
                        e.log.as_str(),
                        e.seq,
                        e.at,
                        e.actor,
                        e.os_user,
                        e.kind,
                        e.document_id.map(|d| d.to_string()).unwrap_or_default()
                    );
                }
            }
        }
        AuditCommand::Export { out, who } => {
            let actor = who.actor(&store)?;
            workflow::require_permission(&actor, workflow::Permission::Export)?;
            let csv = workflow::audit_csv(&store)?;
            let n = csv.lines().count().saturating_sub(1) as u64;
            std::fs::write(&out, csv).map_err(|e| {
                CliError::new(
                    ErrorCode::OutputUnwritable,
                    format!("cannot write {}: {e}", out.display()),
                )
            })?;
            workflow::record(
                &store,
                &actor,
                &now(),
                &WorkEvent::AuditExported { events: n },
            )?;
            eprintln!("wrote {n} events to {}", out.display());
        }
    }
    Ok(())
}

pub fn report(json: bool) -> Result<(), CliError> {
    let store = open_store()?;
    let r = store.conservation_report(&now())?;
    if json {
        print_json(&r);
    } else {
        print!("{}", workflow::report_text(&r));
    }
    if !r.balanced {
        return Err(CliError::new(
            ErrorCode::DatabaseError,
            "the numbers do not add up: this is a bug, please report it",
        ));
    }
    Ok(())
}

pub fn match_quarantined(
    message: i64,
    nhs: &str,
    reason: String,
    who: As,
    json: bool,
) -> Result<(), CliError> {
    let store = open_store()?;
    let actor = who.actor(&store)?;
    let r = handover_inbox::by_hand::match_quarantined(
        &store,
        &actor,
        message,
        nhs,
        reason,
        &WorkflowConfig::from_env(),
        &now(),
    )?;
    print_step(&r, json, "kept from quarantine and matched by hand");
    Ok(())
}
