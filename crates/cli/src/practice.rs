//! `handover practice init|add-user|set-role|remove-user|users`: set up the practice-wide store
//! on PostgreSQL and its people (issue 14);
//! `handover serve`: the practice's MESH puller (`handover_inbox::practice_sync`);
//! `handover sync --once` with `HANDOVER_PRACTICE_DATABASE` set: pull the practice server's
//! documents and events into this desktop's encrypted store (`handover_inbox::practice_cache`).
//!
//! The database is `--database URL`, else `HANDOVER_PRACTICE_DATABASE`; a server not on this
//! machine is reached only over verified TLS (`handover_practice::connect`: `sslrootcert`,
//! `sslcert`, `sslkey` in the URL, else `HANDOVER_PRACTICE_CA`, `_CLIENT_CERT`,
//! `_CLIENT_KEY`). Both commands need a
//! PostgreSQL superuser login (they create roles). A new login's password comes from
//! `--password-file` (its first line), else `HANDOVER_PRACTICE_PASSWORD`, else a prompt
//! without echo when stdin is a terminal; it is sent to the server only as a SCRAM-SHA-256
//! verifier.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use handover_errors::{Coded, ErrorCode};
use handover_inbox::practice_cache::{pull_into_cache, record_unreachable, CacheSummary};
use handover_inbox::practice_sync::{serve_round, ServeSummary};
use handover_inbox::MailboxSettings;
use handover_practice::{connect, LeaseKeeper, PracticeDb, PracticeError};

use crate::{open_store, print_json, CliError};

#[derive(Subcommand)]
pub enum PracticeCommand {
    /// Create (or bring up to date) the practice server's schema and group roles, and the
    /// practice with its event log and MESH lease. Safe to run again.
    Init {
        /// postgres://USER:PASSWORD@HOST:PORT/DB (default: HANDOVER_PRACTICE_DATABASE).
        #[arg(long)]
        database: Option<String>,
        /// The practice's ODS code.
        #[arg(long)]
        practice: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Create a database login for a person (or the MESH puller) in the practice.
    AddUser {
        /// The login name (lower-case letters, digits and _).
        name: String,
        /// gp, admin, care-coordinator, pharmacist, practice-manager, or puller.
        #[arg(long)]
        role: String,
        /// The practice's ODS code (default: the only practice on the server).
        #[arg(long)]
        practice: Option<String>,
        /// postgres://... (default: HANDOVER_PRACTICE_DATABASE).
        #[arg(long)]
        database: Option<String>,
        /// A file whose first line is the new login's password (else
        /// HANDOVER_PRACTICE_PASSWORD, else a prompt).
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// The person's name as the desktops show it ("Dr Gita Patel").
        #[arg(long = "name", value_name = "DISPLAY_NAME")]
        display_name: Option<String>,
    },
    /// Give a person of the practice another role (recorded in the practice's log; events
    /// already in the log keep the role they were recorded with).
    SetRole {
        /// The person's login.
        name: String,
        /// gp, admin, care-coordinator, pharmacist or practice-manager.
        #[arg(long)]
        role: String,
        /// The practice's ODS code (default: the only practice on the server).
        #[arg(long)]
        practice: Option<String>,
        /// postgres://... (default: HANDOVER_PRACTICE_DATABASE).
        #[arg(long)]
        database: Option<String>,
    },
    /// Remove a person from the practice: the login can no longer connect, its sessions are
    /// ended, and the person stays named in the practice's log (recorded there as removed).
    RemoveUser {
        /// The person's login.
        name: String,
        /// The practice's ODS code (default: the only practice on the server).
        #[arg(long)]
        practice: Option<String>,
        /// postgres://... (default: HANDOVER_PRACTICE_DATABASE).
        #[arg(long)]
        database: Option<String>,
    },
    /// List the practice's logins: login, display name, role, added, removed.
    Users {
        /// The practice's ODS code (default: the only practice on the server).
        #[arg(long)]
        practice: Option<String>,
        /// postgres://... (default: HANDOVER_PRACTICE_DATABASE).
        #[arg(long)]
        database: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Make this desktop a cache of the practice server: check it (reached with the person's
    /// login, a practice server, the one this desktop's records came from) and save it. The
    /// URL is kept without the password; the password goes to the OS keyring. The app and
    /// `handover sync` use it unless HANDOVER_PRACTICE_DATABASE is set.
    Connect {
        /// postgres://LOGIN@HOST:PORT/DATABASE (with ?sslrootcert=...&sslcert=...&sslkey=...
        /// where the practice uses TLS).
        url: String,
        /// A file whose first line is the login's password (else HANDOVER_PRACTICE_PASSWORD,
        /// else a prompt; not needed if the URL holds it).
        #[arg(long)]
        password_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Forget the saved practice server (this desktop works alone again; its records stay).
    Disconnect,
    /// Verify the practice's audit log: this desktop's copy (every event pulled, none missing,
    /// each hashed as recorded), and, when it can be reached, the server's own log. Fails with
    /// `audit_broken` when either does not verify.
    Audit {
        #[arg(long)]
        json: bool,
    },
}

fn database(given: Option<String>) -> Result<String, CliError> {
    given
        .or_else(|| std::env::var("HANDOVER_PRACTICE_DATABASE").ok())
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            CliError::new(
                ErrorCode::InvalidArgument,
                "no practice database: give --database URL or set HANDOVER_PRACTICE_DATABASE",
            )
        })
}

fn password(file: Option<PathBuf>) -> Result<String, CliError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            CliError::new(
                ErrorCode::FileUnreadable,
                format!("{}: {e}", path.display()),
            )
        })?;
        return Ok(text.lines().next().unwrap_or("").to_string());
    }
    if let Ok(p) = std::env::var("HANDOVER_PRACTICE_PASSWORD") {
        return Ok(p);
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New login's password: ")
            .map_err(|e| CliError::new(ErrorCode::Input, e.to_string()))?;
        let again = rpassword::prompt_password("Again: ")
            .map_err(|e| CliError::new(ErrorCode::Input, e.to_string()))?;
        if first != again {
            return Err(CliError::new(
                ErrorCode::InvalidArgument,
                "the passwords do not match",
            ));
        }
        return Ok(first);
    }
    Err(CliError::new(
        ErrorCode::InvalidArgument,
        "no password: give --password-file or set HANDOVER_PRACTICE_PASSWORD",
    ))
}

pub fn run(command: PracticeCommand) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(ErrorCode::Internal, e.to_string()))?;
    runtime.block_on(async {
        match command {
            PracticeCommand::Init {
                database: url,
                practice,
                name,
                json,
            } => {
                let mut db = connect(&database(url)?).await?;
                let report = db.init(&practice, &name).await?;
                if json {
                    print_json(&report);
                } else {
                    println!(
                        "practice {} {} (schema version {}{})",
                        report.practice_id,
                        if report.practice_created {
                            "created"
                        } else {
                            "already there"
                        },
                        report.schema_version,
                        if report.migrations_applied.is_empty() {
                            String::new()
                        } else {
                            format!(", migrations applied: {:?}", report.migrations_applied)
                        }
                    );
                }
                Ok(())
            }
            PracticeCommand::AddUser {
                name,
                role,
                practice,
                database: url,
                password_file,
                display_name,
            } => {
                let password = password(password_file)?;
                let mut db = connect(&database(url)?).await?;
                let practice = match practice {
                    Some(p) => p,
                    None => only_practice(&db).await?,
                };
                let member = db
                    .add_person(
                        &practice,
                        &name,
                        &role,
                        &password,
                        display_name.as_deref(),
                        &handover_store::os_user(),
                    )
                    .await?;
                match &member.display_name {
                    Some(d) => println!("login {name} ({d}) added to practice {practice} as {role}"),
                    None => println!("login {name} added to practice {practice} as {role}"),
                }
                Ok(())
            }
            PracticeCommand::SetRole {
                name,
                role,
                practice,
                database: url,
            } => {
                let mut db = connect(&database(url)?).await?;
                let practice = match practice {
                    Some(p) => p,
                    None => only_practice(&db).await?,
                };
                let change = db
                    .set_role(&practice, &name, &role, &handover_store::os_user())
                    .await?;
                if change.changed {
                    println!(
                        "{name} of practice {practice} is now {} (was {})",
                        change.to, change.from
                    );
                } else {
                    println!("{name} of practice {practice} is {} already: nothing changed", change.to);
                }
                Ok(())
            }
            PracticeCommand::RemoveUser {
                name,
                practice,
                database: url,
            } => {
                let mut db = connect(&database(url)?).await?;
                let practice = match practice {
                    Some(p) => p,
                    None => only_practice(&db).await?,
                };
                let removal = db
                    .remove_user(&practice, &name, &handover_store::os_user())
                    .await?;
                println!(
                    "{name} removed from practice {practice} at {} (the login can no longer connect; {} open session(s) ended)",
                    removal.removed_at, removal.sessions_ended
                );
                Ok(())
            }
            PracticeCommand::Users {
                practice,
                database: url,
                json,
            } => {
                let db = connect(&database(url)?).await?;
                let practice = match practice {
                    Some(p) => p,
                    None => only_practice(&db).await?,
                };
                let members = db.members(&practice).await?;
                if json {
                    print_json(&members);
                } else {
                    for m in &members {
                        println!(
                            "{:<24} {:<28} {:<18} added {}{}",
                            m.login,
                            m.display_name.as_deref().unwrap_or("-"),
                            m.role.as_deref().unwrap_or("(MESH puller)"),
                            m.added_at,
                            m.removed_at
                                .as_deref()
                                .map(|r| format!(", removed {r}"))
                                .unwrap_or_default()
                        );
                    }
                }
                Ok(())
            }
            PracticeCommand::Connect {
                url,
                password_file,
                json,
            } => {
                let (_, inline) = handover_inbox::practice_settings::split_password(&url)
                    .map_err(|e| CliError::new(e.code, e.message))?;
                let password = match inline {
                    Some(p) => p,
                    None => password(password_file)?,
                };
                let checked =
                    handover_inbox::practice_settings::check_practice_server(&url, Some(&password))
                        .await
                        .map_err(|e| CliError::new(e.code, e.message))?;
                let check = handover_inbox::practice_settings::save_practice_server(
                    &open_store()?,
                    &handover_store::OsKeyring,
                    &checked,
                )
                .map_err(|e| CliError::new(e.code, e.message))?;
                if json {
                    print_json(&check);
                } else {
                    println!(
                        "this desktop is now a cache of practice {} ({}) at {}: `handover sync --once` pulls from it",
                        check.practice_id, check.practice_name, check.address
                    );
                    if handover_inbox::practice_settings::practice_database_from_env().is_some() {
                        println!("note: HANDOVER_PRACTICE_DATABASE is set, and is used instead while it is");
                    }
                }
                Ok(())
            }
            PracticeCommand::Audit { json } => {
                let store = open_store()?;
                if !store.is_practice_cache()? {
                    return Err(CliError::new(
                        ErrorCode::InvalidArgument,
                        "this desktop has never pulled from a practice server: nothing to verify \
                         (`handover audit verify` verifies its own log)",
                    ));
                }
                let cache = store.verify_practice_log()?;
                let server = match practice_database(&store)? {
                    None => serde_json::json!({ "checked": false, "why": "no practice server is configured" }),
                    Some(url) => match connect(&url).await {
                        Ok(mut db) => {
                            let report = db.verify_chain().await?;
                            serde_json::json!({
                                "checked": true, "events": report.events, "ok": report.ok,
                                "first_bad_event": report.first_bad_event, "problem": report.problem,
                            })
                        }
                        Err(e) => serde_json::json!({
                            "checked": false, "why": format!("[{}] {e}", e.code()),
                        }),
                    },
                };
                let server_ok = server["ok"].as_bool().unwrap_or(true);
                if json {
                    print_json(&serde_json::json!({ "cache": cache, "server": server }));
                } else {
                    match (&cache.problem, cache.ok) {
                        (_, true) => println!("this desktop's copy of the practice log: {} events, verified", cache.events),
                        (Some(p), false) => println!("this desktop's copy of the practice log does NOT verify: {p}"),
                        (None, false) => println!("this desktop's copy of the practice log does NOT verify"),
                    }
                    if server["checked"] == true {
                        if server_ok {
                            println!("the practice server's log: {} events, verified", server["events"]);
                        } else {
                            println!("the practice server's log does NOT verify: {}", server["problem"].as_str().unwrap_or(""));
                        }
                    } else {
                        println!("the practice server's log was not checked: {}", server["why"].as_str().unwrap_or(""));
                    }
                }
                if !cache.ok || !server_ok {
                    return Err(CliError::new(
                        ErrorCode::AuditBroken,
                        "the practice's audit log does not verify (see above)",
                    ));
                }
                Ok(())
            }
            PracticeCommand::Disconnect => {
                let store = open_store()?;
                store.save_practice_server_url(None)?;
                println!("the practice server is forgotten: this desktop works alone (its records stay)");
                Ok(())
            }
        }
    })
}

async fn only_practice(db: &PracticeDb) -> Result<String, CliError> {
    let practices = db.practices().await?;
    match practices.as_slice() {
        [(id, _)] => Ok(id.clone()),
        [] => Err(CliError::new(
            ErrorCode::PracticeNotFound,
            "no practice on this server: run `handover practice init` first",
        )),
        _ => Err(CliError::new(
            ErrorCode::InvalidArgument,
            format!(
                "the server holds several practices ({}): say which with --practice",
                practices
                    .iter()
                    .map(|(id, _)| id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// One round (take the lease, pull, store, acknowledge, send) and exit.
    #[arg(long)]
    once: bool,
    /// postgres://PULLER:PASSWORD@HOST:PORT/DB (default: HANDOVER_PRACTICE_DATABASE).
    #[arg(long)]
    database: Option<String>,
    /// This puller's name in the lease (default: the host name and process id).
    #[arg(long)]
    holder: Option<String>,
    /// Use a folder mailbox: files dropped in DIR, moved to DIR/processed once stored.
    #[arg(long)]
    folder: Option<PathBuf>,
    /// The lease's time to live; it is renewed every third of it.
    #[arg(long, default_value_t = 30_000)]
    lease_ms: u64,
    /// Seconds between rounds (without --once).
    #[arg(long, default_value_t = 60)]
    interval: u64,
    /// Print each round's summary as JSON.
    #[arg(long)]
    json: bool,
}

fn default_holder() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "serve".into());
    format!("{host}:{}", std::process::id())
}

fn print_summary(summary: &ServeSummary, json: bool) {
    if json {
        print_json(summary);
    } else {
        println!(
            "epoch {}: {} downloaded, {} stored, {} duplicates, {} quarantined, {} already \
             stored, {} acknowledged, {} responses queued, {} sent, {} problems",
            summary.epoch,
            summary.downloaded,
            summary.stored,
            summary.duplicates,
            summary.quarantined,
            summary.already_stored,
            summary.acknowledged,
            summary.responses_queued,
            summary.responses_sent,
            summary.problems.len()
        );
    }
}

pub fn serve(args: ServeArgs) -> Result<(), CliError> {
    let url = database(args.database.clone())?;
    let settings = match &args.folder {
        Some(dir) => MailboxSettings::Folder(dir.clone()),
        None => MailboxSettings::from_env()?.ok_or_else(|| {
            CliError::new(
                ErrorCode::NoMailbox,
                "no mailbox: set HANDOVER_MESH_URL, HANDOVER_MESH_MAILBOX, \
                 HANDOVER_MESH_PASSWORD and HANDOVER_MESH_SHARED_KEY, or HANDOVER_MAILBOX_DIR, \
                 or pass --folder DIR",
            )
        })?,
    };
    let (mailbox, options) = settings.open()?;
    let holder = args.holder.clone().unwrap_or_else(default_holder);
    let ttl = Duration::from_millis(args.lease_ms.max(1));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(ErrorCode::Internal, e.to_string()))?;
    if args.once {
        // One round: SIGTERM ends it as before (the round is abandoned where it stands, which
        // is safe: see `serve_round`); a scheduler running `--once` sees it was killed.
        return runtime.block_on(async {
            let mut db = connect(&url).await?;
            let keeper = LeaseKeeper::acquire(connect(&url).await?, &holder, ttl).await?;
            let result = serve_round(&mut db, &keeper, &mailbox, &options).await;
            let released = keeper.release().await;
            let summary = result?;
            print_summary(&summary, args.json);
            released?;
            Ok(())
        });
    }
    let outcome = runtime.block_on(async {
        // Registered before the first round, so a stop at any moment is ours to handle.
        let mut stop = Stop::new()?;
        let mut lease: Option<LeaseKeeper> = None;
        let result = serve_loop(
            &args, &url, &holder, ttl, &mailbox, &options, &mut stop, &mut lease,
        )
        .await;
        if let Some(keeper) = lease.take() {
            // Stopped (or failed) between rounds, or with a round abandoned: give the lease up
            // so the next puller (this service restarted) need not wait for it to run out.
            if let Err(e) = keeper.release().await {
                eprintln!("handover serve: releasing the lease: [{}] {e}", e.code());
            }
        }
        result
    });
    // A folder mailbox works on blocking threads: let a file move in flight finish, briefly.
    runtime.shutdown_timeout(Duration::from_secs(5));
    outcome
}

/// SIGTERM (a service manager's stop) and SIGINT, taken from their first moment.
struct Stop {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Stop {
    fn new() -> Result<Stop, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let failed = |e: std::io::Error| {
                CliError::new(ErrorCode::Internal, format!("signal handlers: {e}"))
            };
            Ok(Stop {
                term: signal(SignalKind::terminate()).map_err(failed)?,
                int: signal(SignalKind::interrupt()).map_err(failed)?,
            })
        }
        #[cfg(not(unix))]
        Ok(Stop {})
    }

    /// Resolves when a stop is asked for, naming the signal. Cancel-safe.
    async fn requested(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// `handover serve` without `--once`: a round every `--interval` seconds until SIGTERM or
/// SIGINT, then `Ok` (exit 0). A stop during a round abandons it where it stands, which the
/// round is built to survive as it survives a crash: an open batch transaction is rolled back
/// (nothing of it was acknowledged), messages committed but not yet acknowledged are
/// acknowledged by the next round, and a response whose sending was cut short is looked up
/// before it is sent again. The lease, left in `lease`, is released by the caller.
#[allow(clippy::too_many_arguments)]
async fn serve_loop(
    args: &ServeArgs,
    url: &str,
    holder: &str,
    ttl: Duration,
    mailbox: &handover_mesh::AnyMailbox,
    options: &handover_inbox::SyncOptions,
    stop: &mut Stop,
    lease: &mut Option<LeaseKeeper>,
) -> Result<(), CliError> {
    let stopped = |signal: &str, doing: &str| {
        eprintln!("handover serve: {signal}: stopping ({doing})");
        Ok(())
    };
    let mut db = tokio::select! {
        db = connect(url) => db?,
        s = stop.requested() => return stopped(s, "before the first round"),
    };
    let pause = Duration::from_secs(args.interval);
    loop {
        if lease.as_ref().is_some_and(|l| l.check().is_err()) {
            *lease = None;
        }
        if lease.is_none() {
            let conn = tokio::select! {
                c = connect(url) => c?,
                s = stop.requested() => return stopped(s, "before the first round"),
            };
            // Not cut short: a lease taken must reach `lease`, to be released (a stop asked
            // meanwhile is seen at the round's start).
            match LeaseKeeper::acquire(conn, holder, ttl).await {
                Ok(l) => *lease = Some(l),
                // Another puller holds it: wait for a later round.
                Err(e @ PracticeError::LeaseHeld(_)) => {
                    eprintln!("handover serve: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => continue,
                        s = stop.requested() => return stopped(s, "waiting for the lease"),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        let Some(keeper) = lease.as_ref() else {
            continue;
        };
        let result = tokio::select! {
            r = serve_round(&mut db, keeper, mailbox, options) => Some(r),
            s = stop.requested() => {
                eprintln!("handover serve: {s}: the round in progress is abandoned; the next \
                           round finishes it");
                None
            }
        };
        let Some(result) = result else {
            return Ok(());
        };
        match result {
            Ok(summary) => print_summary(&summary, args.json),
            Err(e) => {
                eprintln!("handover serve: error [{}]: {e}", e.code());
                if matches!(e.code(), ErrorCode::PracticeUnreachable) {
                    // The connection broke: a new one for the next round.
                    if let Ok(fresh) = connect(url).await {
                        db = fresh;
                    }
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            s = stop.requested() => return stopped(s, "between rounds"),
        }
    }
}

/// The practice database this desktop works with: `HANDOVER_PRACTICE_DATABASE`, else the one
/// saved by `handover practice connect` (its password from the OS keyring). None: Handover
/// works alone, as before.
pub fn practice_database(store: &handover_store::Store) -> Result<Option<String>, CliError> {
    handover_inbox::practice_settings::resolve_practice_database(
        Some(store),
        &handover_store::OsKeyring,
    )
    .map(|r| r.map(|(url, _)| url))
    .map_err(|e| CliError::new(e.code, e.message))
}

/// The practice database, for a command that has not opened the store yet: the environment's
/// without opening it.
pub fn practice_database_before_store() -> Result<Option<String>, CliError> {
    match handover_inbox::practice_settings::practice_database_from_env() {
        Some(url) => Ok(Some(url)),
        None => practice_database(&open_store()?),
    }
}

/// `handover sync --once` on a desktop of a practice: pulls what is new on the practice server
/// into the encrypted store. When the server cannot be reached the error is recorded (the
/// cache keeps working, and says when it last pulled) and returned.
pub fn sync_cache(url: &str, json: bool) -> Result<(), CliError> {
    let mut store = open_store()?;
    let config = handover_workflow::WorkflowConfig::from_env();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(ErrorCode::Internal, e.to_string()))?;
    runtime.block_on(async {
        let mut db = match connect(url).await {
            Ok(db) => db,
            Err(e) => {
                let _ = record_unreachable(&store, &e);
                return Err(e.into());
            }
        };
        let summary = pull_into_cache(&mut store, &mut db, &config).await?;
        if let Some(b) = &summary.chain_break {
            // Said on stderr too, so a script reading --json's stdout still shows a person.
            eprintln!("handover: notice [chain_break]: {}", b.message);
        }
        print_cache_summary(&summary, json);
        Ok(())
    })
}

fn print_cache_summary(summary: &CacheSummary, json: bool) {
    if json {
        print_json(summary);
    } else {
        if let Some(b) = &summary.chain_break {
            println!("chain break: {}", b.message);
            if !b.lost_document_ids.is_empty() {
                println!(
                    "documents the server no longer has (kept here): {}",
                    b.lost_document_ids
                        .iter()
                        .map(|id| id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        println!(
            "practice {}: {} documents pulled ({} new, {} already here), {} events ({} new); \
             at document {} and event {}",
            summary.practice_id,
            summary.documents_pulled,
            summary.documents_stored,
            summary.already_cached,
            summary.events_pulled,
            summary.events_new,
            summary.document_cursor,
            summary.event_cursor
        );
        if let Some(r) = &summary.register {
            println!(
                "practice register: version {} here (taken now: {}), {} document(s) matched again",
                summary.register_version,
                r.versions
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                r.rematched
            );
        }
        for r in &summary.refused {
            println!(
                "not sent: {} of document {}: {}",
                r.kind,
                r.document_id
                    .map(|id| id.to_string())
                    .unwrap_or_else(|| "?".into()),
                r.message
            );
        }
    }
}

/// The practice server as `handover status` shows it: whether one is configured, which server
/// and practice the cache is of, the cursors, when the last pull succeeded (and how many
/// minutes ago), and why the last attempt failed if it did. Null when this desktop works alone
/// and has never pulled.
pub fn status_json(store: &handover_store::Store) -> Result<serde_json::Value, CliError> {
    let state = store.practice_cache_state()?;
    let configured = practice_database(store)?.is_some();
    if !configured && state.server_id.is_none() {
        return Ok(serde_json::Value::Null);
    }
    let minutes = state.last_pull_at.as_deref().and_then(|at| {
        chrono::DateTime::parse_from_rfc3339(at)
            .ok()
            .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_minutes())
    });
    let mut value = serde_json::to_value(&state).expect("the cache state serialises");
    value["configured"] = configured.into();
    value["minutes_since_pull"] = minutes.into();
    Ok(value)
}

/// What became of a step taken on a desktop of a practice, after [`push_step`].
pub enum StepDelivery {
    /// This desktop works alone (or has not pulled from the practice yet): nothing to send.
    Local,
    /// Sent to the practice log, and the cache pulled after it.
    Sent,
    /// Kept in the outbox: the practice server could not be reached (or the push failed);
    /// the next `sync --once` that reaches it sends it. The reason.
    Pending(String),
}

/// Sends a step just taken to the practice right away (the outbox, then a pull, as `sync
/// --once` does), when a practice database is configured and this desktop is its cache. A
/// filing of `document_id` the server refuses (another person filed it first) is returned as
/// the command's error, `already_filed`, "already filed by NAME at TIME"; the pull has then
/// folded the winning filing into the cache. A server that cannot be reached leaves the step
/// pending in the outbox.
pub fn push_step(
    store: &mut handover_store::Store,
    document_id: i64,
) -> Result<StepDelivery, CliError> {
    let Some(url) = practice_database(store)? else {
        return Ok(StepDelivery::Local);
    };
    if !store.is_practice_cache()? || store.practice_outbox_len()? == 0 {
        return Ok(StepDelivery::Local);
    }
    let config = handover_workflow::WorkflowConfig::from_env();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(ErrorCode::Internal, e.to_string()))?;
    runtime.block_on(async {
        let mut db = match connect(&url).await {
            Ok(db) => db,
            Err(e) => {
                let _ = record_unreachable(store, &e);
                return Ok(StepDelivery::Pending(format!("[{}] {e}", e.code())));
            }
        };
        let summary = match pull_into_cache(store, &mut db, &config).await {
            Ok(summary) => summary,
            // Whatever stopped the push or the pull, the step is in the outbox still (or
            // was sent, and the next pull finds it in the log).
            Err(e) => return Ok(StepDelivery::Pending(format!("[{}] {e}", e.code()))),
        };
        if let Some(b) = &summary.chain_break {
            eprintln!("handover: notice [chain_break]: {}", b.message);
        }
        let mut mine = None;
        for r in &summary.refused {
            if r.document_id == Some(document_id) && mine.is_none() {
                mine = Some(r);
            } else {
                eprintln!(
                    "handover: not sent: {} of document {}: {}",
                    r.kind,
                    r.document_id
                        .map(|id| id.to_string())
                        .unwrap_or_else(|| "?".into()),
                    r.message
                );
            }
        }
        match mine {
            Some(r) => Err(CliError::new(r.code, r.message.clone())),
            None => Ok(StepDelivery::Sent),
        }
    })
}

/// `handover register import FILE` on a desktop of a practice: the register goes to the practice
/// server as a new version of the practice's register (the server checks that this login may
/// import it), and then this desktop pulls, taking it as every other desktop will at its next
/// pull (the rows written into the local register, the documents waiting for a match matched
/// again). Nothing is written here unless the server took it: a server that cannot be reached,
/// or that refuses, leaves this desktop as it was, and the error says the register did not
/// reach the practice.
pub fn import_register(
    mut store: handover_store::Store,
    url: &str,
    file: &std::path::Path,
    text: &str,
    read: handover_workflow::RegisterFile,
    json: bool,
) -> Result<(), CliError> {
    let config = handover_workflow::WorkflowConfig::from_env();
    let not_imported = |e: &dyn std::fmt::Display| {
        format!(
            "the register was NOT imported: it did not reach the practice server ({e}); \
             nothing changed, here or at the practice (if the connection broke while it was \
             being sent, importing the same file again is safe: it is not added twice)"
        )
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(ErrorCode::Internal, e.to_string()))?;
    runtime.block_on(async {
        let mut db = connect(url)
            .await
            .map_err(|e| CliError::new(e.code(), not_imported(&e)))?;
        // The same server and practice this cache is of (else nothing is sent).
        let identity = db
            .server_identity()
            .await
            .map_err(|e| CliError::new(e.code(), not_imported(&e)))?;
        let state = store.practice_cache_state()?;
        if let (Some(server_id), Some(practice_id)) = (state.server_id, state.practice_id) {
            if server_id != identity.server_id || practice_id != identity.practice_id {
                let e = handover_store::StoreError::PracticeServerChanged {
                    cached_server: server_id,
                    cached_practice: practice_id,
                    server: identity.server_id,
                    practice: identity.practice_id,
                };
                return Err(CliError::new(
                    e.code(),
                    format!("the register was NOT imported: {e}"),
                ));
            }
        }
        let upload = handover_practice::RegisterUpload {
            patients_json: serde_json::to_string(&read.patients).expect("the rows serialise"),
            file_sha256: handover_practice::sha256_hex(text.as_bytes()),
            file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
            rejected: u32::try_from(read.rejected.len()).unwrap_or(u32::MAX),
        };
        let imported = db.import_register(&upload).await.map_err(|e| match &e {
            PracticeError::Unreachable(_) => CliError::new(e.code(), not_imported(&e)),
            PracticeError::PermissionDenied(why) => CliError::new(
                e.code(),
                format!("the register was NOT imported: the practice server refused it: {why}"),
            ),
            _ => CliError::new(e.code(), format!("the register was NOT imported: {e}")),
        })?;
        // Taken here as every desktop takes it.
        let summary = pull_into_cache(&mut store, &mut db, &config)
            .await
            .map_err(|e| {
                CliError::new(
                    e.code(),
                    format!(
                        "the register reached the practice as version {}, but this desktop has \
                         not taken it yet: {e}; the next `handover sync --once` takes it",
                        imported.version
                    ),
                )
            })?;
        let taken = summary.register.clone().unwrap_or_default();
        if json {
            print_json(&serde_json::json!({
                "imported": taken.imported,
                "updated": taken.updated,
                "unchanged": taken.unchanged,
                "rejected": read.rejected,
                "rematched": taken.rematched,
                "practice": {
                    "practice_id": summary.practice_id,
                    "version": imported.version,
                    "created": imported.created,
                    "patients": read.patients.len(),
                    "register_version": summary.register_version,
                    "versions_taken": taken.versions,
                },
            }));
        } else {
            if imported.created {
                println!(
                    "practice {}: register version {} ({} patients) imported for every desktop",
                    summary.practice_id,
                    imported.version,
                    read.patients.len()
                );
            } else {
                println!(
                    "practice {}: the register is unchanged since version {} (nothing added)",
                    summary.practice_id, imported.version
                );
            }
            println!(
                "this desktop has version {}: imported {}, updated {}, unchanged {}, rejected {}; \
                 {} document(s) matched again",
                summary.register_version,
                taken.imported,
                taken.updated,
                taken.unchanged,
                read.rejected.len(),
                taken.rematched
            );
            for r in &read.rejected {
                println!("  line {}: {}", r.line, r.reason);
            }
        }
        Ok(())
    })
}
