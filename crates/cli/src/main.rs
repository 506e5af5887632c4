//! `handover`: the command-line tool for IT staff and scripts.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use handover_store::{DataDir, OsKeyring, Store, StoreError};

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
}

/// An error for the user: a stable code and a message, printed to stderr.
struct CliError {
    code: &'static str,
    message: String,
    exit: u8,
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
            exit: 1,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Status => status(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("handover: error [{}]: {}", e.code, e.message);
            ExitCode::from(e.exit)
        }
    }
}

fn open_store() -> Result<Store, CliError> {
    let data_dir = DataDir::resolve()?;
    Ok(Store::open(&data_dir, &OsKeyring)?)
}

fn status() -> Result<(), CliError> {
    let store = open_store()?;
    let status = store.status()?;
    println!(
        "{}",
        serde_json::to_string_pretty(&status).expect("status serialises")
    );
    Ok(())
}
