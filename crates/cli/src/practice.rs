//! `handover practice init|add-user`: set up the practice-wide store on PostgreSQL (issue 14).
//!
//! The database is `--database URL`, else `HANDOVER_PRACTICE_DATABASE`. Both commands need a
//! PostgreSQL superuser login (they create roles). A new login's password comes from
//! `--password-file` (its first line), else `HANDOVER_PRACTICE_PASSWORD`, else a prompt
//! without echo when stdin is a terminal; it is sent to the server only as a SCRAM-SHA-256
//! verifier.

use std::path::PathBuf;

use clap::Subcommand;
use handover_errors::ErrorCode;
use handover_practice::{connect, PracticeDb};

use crate::{print_json, CliError};

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
            } => {
                let password = password(password_file)?;
                let mut db = connect(&database(url)?).await?;
                let practice = match practice {
                    Some(p) => p,
                    None => only_practice(&db).await?,
                };
                db.add_user(&practice, &name, &role, &password).await?;
                println!("login {name} added to practice {practice} as {role}");
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
