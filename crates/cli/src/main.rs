//! `handover`: the command-line tool for IT staff and scripts.

mod bench;
mod bench_dmd;
mod bench_practice;
mod mailbox;
mod medicines;
mod medrec;
mod practice;
mod work;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use handover_errors::{Coded, ErrorCode};
use handover_store::{DataDir, OsKeyring, Store};

#[derive(Parser)]
#[command(
    name = "handover",
    version,
    about = "Handover: a clinician inbox for NHS Transfer of Care documents"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Open the encrypted store (creating it and its key on first run) and print its status as JSON.
    Status,
    /// Parse an ITK3 message or ToC document and print the model and diagnostics.
    Inspect {
        file: PathBuf,
        /// Print the stable JSON form instead of a readable report.
        #[arg(long)]
        json: bool,
    },
    /// Write realistic synthetic ITK3 Transfer of Care messages (test NHS numbers, 999 range).
    Fixtures {
        #[arg(long, default_value_t = 20)]
        count: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write each patient's practice medication list (before the hospital episode) as
        /// CSV (nhs_number,code,name,dosage,route,type) to this file.
        #[arg(long)]
        practice_lists: Option<PathBuf>,
    },
    /// Fetch new messages from the mailbox into the store, acknowledging each after it is stored.
    ///
    /// The mailbox is the folder given with --folder; else MESH when HANDOVER_MESH_URL,
    /// HANDOVER_MESH_MAILBOX, HANDOVER_MESH_PASSWORD and HANDOVER_MESH_SHARED_KEY are set (plus
    /// HANDOVER_MESH_CERT, HANDOVER_MESH_KEY and HANDOVER_MESH_CA for TLS); else the folder in
    /// HANDOVER_MAILBOX_DIR; else the mailbox saved with `handover mailbox add`. Exits non-zero
    /// with `handover: error [code]: message` when the mailbox cannot be synced.
    ///
    /// With HANDOVER_PRACTICE_DATABASE set (postgres://LOGIN:PASSWORD@HOST:PORT/DB), this desktop
    /// is a cache of the practice server instead: it pulls the practice's new documents and
    /// events into the encrypted store (the practice's `handover serve` reads the mailbox).
    Sync {
        /// Sync once and exit (the only mode of the command line; the app polls).
        #[arg(long)]
        once: bool,
        /// Use a folder mailbox: files dropped in DIR, moved to DIR/processed once stored.
        #[arg(long)]
        folder: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Configure (`add`) or check (`test`) the practice's MESH mailbox.
    Mailbox {
        #[command(subcommand)]
        what: mailbox::MailboxCommand,
    },
    /// List stored documents, newest first.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Local profiles: who works in Handover, with which role.
    User {
        #[command(subcommand)]
        what: work::UserCommand,
    },
    /// The practice register documents are matched against.
    Register {
        #[command(subcommand)]
        what: work::RegisterCommand,
    },
    /// Print the requested actions read from a document file (nothing stored).
    Actions {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// A document's workflow: state, requested actions and decisions, tasks, events.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Workflow steps on a document (file, match, reject, decide, assign, ...), as --as NAME.
    #[command(flatten)]
    Step(work::StepCommand),
    /// Keep a document quarantined only for its invalid NHS number, matched by hand to a
    /// patient on the register (MESSAGE is the quarantined message's id in `handover status`
    /// or the app's Quarantine list).
    MatchQuarantined {
        message: i64,
        /// The register's NHS number for the patient.
        #[arg(long)]
        nhs: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: work::As,
        #[arg(long)]
        json: bool,
    },
    /// Delegated actions.
    Tasks {
        #[command(subcommand)]
        what: work::TaskCommand,
    },
    /// The audit trail: verify, list, export.
    Audit {
        #[command(subcommand)]
        what: work::AuditCommand,
    },
    /// Recompute every document's workflow state (lane, assignee, ...) and the open tasks from
    /// the event logs: this desktop's own, and on a cache of a practice server the practice
    /// events folded into its documents too.
    Rebuild {
        #[arg(long)]
        json: bool,
    },
    /// The conservation report: every message received accounted for.
    Report {
        #[arg(long)]
        json: bool,
    },
    /// Medicines reconciliation: the discharge medicines against the practice's list.
    Medrec {
        #[command(subcommand)]
        what: medrec::MedrecCommand,
    },
    /// dm+d: import an NHSBSA release, look a code up.
    Dmd {
        #[command(subcommand)]
        what: medicines::DmdCommand,
    },
    /// The practice's medication lists (versioned per NHS number).
    Medlist {
        #[command(subcommand)]
        what: medicines::MedlistCommand,
    },
    /// The practice-wide store on PostgreSQL: `init` the server, `add-user` logins.
    Practice {
        #[command(subcommand)]
        what: practice::PracticeCommand,
    },
    /// The practice server's MESH puller: take the practice's lease, store what arrives in the
    /// practice database (one fenced transaction per batch), acknowledge it after the commit,
    /// send the ITK3 responses. The mailbox is --folder DIR, else HANDOVER_MESH_* (MESH), else
    /// HANDOVER_MAILBOX_DIR; the database is --database URL (the puller's login), else
    /// HANDOVER_PRACTICE_DATABASE.
    Serve(practice::ServeArgs),
    /// Measure performance (see docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

/// An error for the user: a stable code and a message, printed to stderr.
pub struct CliError {
    pub code: ErrorCode,
    pub message: String,
    pub exit: u8,
}

impl CliError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
            exit: 1,
        }
    }
}

/// Every core error becomes a `CliError` the same way: its code and its message.
impl<E: Coded> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::new(e.code(), e.to_string())
    }
}

/// A reader that stops early (`handover list | head`) closes the pipe: the command ends quietly
/// with the shell's code for SIGPIPE (128 + 13) instead of a panic's backtrace.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info)
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Status => status(),
        Command::Inspect { file, json } => inspect(&file, json),
        Command::Fixtures {
            count,
            out,
            seed,
            practice_lists,
        } => fixtures(count, &out, seed, practice_lists.as_deref()),
        Command::Sync {
            once: _,
            folder,
            json,
        } => match practice::practice_database_before_store() {
            Err(e) => Err(e),
            Ok(Some(url)) if folder.is_none() => practice::sync_cache(&url, json),
            Ok(Some(_)) => Err(CliError::new(
                ErrorCode::InvalidArgument,
                "this desktop is a cache of the practice server (HANDOVER_PRACTICE_DATABASE, or \
                 `handover practice connect`): it pulls from the server, whose MESH puller \
                 (`handover serve`) reads the mailbox; --folder is for working alone",
            )),
            Ok(None) => mailbox::sync(folder, json),
        },
        Command::Mailbox { what } => mailbox::run(what),
        Command::List { json, limit } => list(json, limit),
        Command::Bench { what } => bench::run(what),
        Command::Medrec { what } => medrec::run(what),
        Command::User { what } => work::user(what),
        Command::Register { what } => work::register(what),
        Command::Actions { file, json } => work::actions(&file, json),
        Command::Show { id, json } => work::show(id, json),
        Command::Step(step) => work::step(step),
        Command::Tasks { what } => work::tasks(what),
        Command::MatchQuarantined {
            message,
            nhs,
            reason,
            who,
            json,
        } => work::match_quarantined(message, &nhs, reason, who, json),
        Command::Audit { what } => work::audit(what),
        Command::Report { json } => work::report(json),
        Command::Rebuild { json } => rebuild(json),
        Command::Dmd { what } => medicines::dmd(what),
        Command::Medlist { what } => medicines::medlist(what),
        Command::Practice { what } => practice::run(what),
        Command::Serve(args) => practice::serve(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("handover: error [{}]: {}", e.code, e.message);
            }
            ExitCode::from(e.exit)
        }
    }
}

pub fn open_store() -> Result<Store, CliError> {
    let data_dir = DataDir::resolve()?;
    Ok(Store::open(&data_dir, &OsKeyring)?)
}

fn rebuild(json: bool) -> Result<(), CliError> {
    let store = open_store()?;
    let documents = handover_workflow::rebuild(&store)?;
    if json {
        print_json(&serde_json::json!({ "documents": documents }));
    } else {
        println!("{documents} documents rebuilt from the event logs");
    }
    Ok(())
}

pub fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable")
    );
}

fn status() -> Result<(), CliError> {
    let store = open_store()?;
    let mut status = serde_json::to_value(store.status()?).expect("status serialises");
    status["mailboxes"] =
        serde_json::to_value(store.sync_states()?).expect("sync states serialise");
    // The practice register documents are matched against, and whether it is too old.
    let config = handover_workflow::WorkflowConfig::from_env();
    let register = store.register_status()?;
    let fresh = handover_workflow::register_fresh(&store, &config, &handover_inbox::now_rfc3339())?;
    status["register"] = serde_json::json!({
        "patients": register.patients,
        "imported_at": register.imported_at,
        "stale": !fresh,
        "max_age_days": config.register_max_age_days,
    });
    // The configured mailbox (never its secrets), or why it cannot be used.
    status["mailbox"] = match handover_inbox::MailboxSettings::resolve(&store, &OsKeyring) {
        Ok(Some(settings)) => {
            serde_json::to_value(settings.describe()).expect("description serialises")
        }
        Ok(None) => serde_json::Value::Null,
        Err(e) => serde_json::json!({"error": {"code": e.code(), "message": e.to_string()}}),
    };
    // The practice server this desktop is a cache of (issue 14), if any.
    status["practice"] = practice::status_json(&store)?;
    print_json(&status);
    Ok(())
}

fn inspect(file: &std::path::Path, json: bool) -> Result<(), CliError> {
    let bytes = std::fs::read(file).map_err(|e| {
        CliError::new(
            ErrorCode::FileUnreadable,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    let parsed = handover_toc::parse(&bytes);
    if json {
        print_json(&handover_toc::inspect::to_json(&parsed));
    } else {
        print!("{}", handover_toc::inspect::to_text(&parsed));
    }
    if parsed.is_fatal() {
        // The diagnostics were printed above; exit 2 says "not readable".
        return Err(CliError {
            code: ErrorCode::Unreadable,
            message: String::new(),
            exit: 2,
        });
    }
    Ok(())
}

fn fixtures(
    count: usize,
    out: &std::path::Path,
    seed: u64,
    practice_lists: Option<&std::path::Path>,
) -> Result<(), CliError> {
    std::fs::create_dir_all(out).map_err(|e| {
        CliError::new(
            ErrorCode::OutputUnwritable,
            format!("cannot create {}: {e}", out.display()),
        )
    })?;
    let fixtures = handover_fixtures::generate(count, seed);
    for f in &fixtures {
        let path = out.join(&f.file_name);
        std::fs::write(&path, &f.bytes).map_err(|e| {
            CliError::new(
                ErrorCode::OutputUnwritable,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
    }
    eprintln!("wrote {} messages to {}", fixtures.len(), out.display());
    if let Some(path) = practice_lists {
        let quote = |v: &str| {
            if v.contains([',', '"']) {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v.to_string()
            }
        };
        let mut csv = String::from("nhs_number,code,name,dosage,route,type\n");
        let mut seen = std::collections::HashSet::new();
        for f in &fixtures {
            if !seen.insert(f.nhs_number.clone()) {
                continue;
            }
            for m in handover_fixtures::practice_medication_list(&f.nhs_number) {
                csv.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    f.nhs_number,
                    m.code.as_deref().unwrap_or(""),
                    quote(&m.name),
                    quote(&m.dosage),
                    quote(&m.route),
                    m.kind
                ));
            }
        }
        std::fs::write(path, csv).map_err(|e| {
            CliError::new(
                ErrorCode::OutputUnwritable,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
        eprintln!(
            "wrote {} patients' practice medication lists to {}",
            seen.len(),
            path.display()
        );
    }
    Ok(())
}

fn list(json: bool, limit: u32) -> Result<(), CliError> {
    let store = open_store()?;
    let docs = store.list_documents(limit, 0)?;
    if json {
        // Each row also says `match` in one word: matched, unmatched or awaiting-registration.
        let rows: Vec<serde_json::Value> = docs
            .iter()
            .map(|d| {
                let mut v = serde_json::to_value(d).expect("rows serialise");
                v["match"] = d.match_state.summary().into();
                v
            })
            .collect();
        print_json(&rows);
    } else {
        for d in &docs {
            println!(
                "{:>6}  {:<24}  {:<10}  {:<25}  {:<12}  {}",
                d.id,
                d.received_at,
                d.nhs_number.as_deref().unwrap_or("-"),
                d.kind.as_str(),
                d.status.as_str(),
                d.patient_name.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}
