//! `handover sync` and `handover mailbox add|test`: choose the mailbox (MESH from the
//! environment, else the stored MESH mailbox, else a folder), check it, and run the sync engine
//! once.
//!
//! Secrets (the mailbox password and the environment's shared key) are prompted for without
//! echo (read from stdin, one per line, when stdin is not a terminal) and kept only in the OS
//! keyring; the rest of the settings go into the encrypted database.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Subcommand;
use handover_inbox::{save_mesh_mailbox, test_mailbox, MailboxSettings, MeshMailboxInput};
use handover_store::{MeshSettings, OsKeyring};

use crate::{open_store, print_json, CliError};
use handover_errors::ErrorCode;

#[derive(Subcommand)]
pub enum MailboxCommand {
    /// Configure the practice's MESH mailbox: prompts for anything not given, and for the
    /// password and shared key without echo. Checks the mailbox (handshake) before saving
    /// unless --no-check. Secrets go to the OS keyring, the rest to the encrypted database.
    Add {
        /// MESH base URL, e.g. https://msg.int.spine2.ncrs.nhs.uk
        #[arg(long)]
        url: Option<String>,
        /// The practice's MESH mailbox id.
        #[arg(long)]
        mailbox: Option<String>,
        /// Client certificate (PEM) for mutual TLS.
        #[arg(long)]
        cert: Option<PathBuf>,
        /// Client private key (PEM, PKCS#8) for mutual TLS.
        #[arg(long)]
        key: Option<PathBuf>,
        /// CA bundle (PEM) to trust instead of the system roots.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// Save without checking the mailbox first.
        #[arg(long)]
        no_check: bool,
    },
    /// Check the configured mailbox: handshake, then count the messages waiting.
    Test {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: MailboxCommand) -> Result<(), CliError> {
    match command {
        MailboxCommand::Add {
            url,
            mailbox,
            cert,
            key,
            ca,
            no_check,
        } => add(url, mailbox, cert, key, ca, no_check),
        MailboxCommand::Test { json } => test(json),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(ErrorCode::Internal, e.to_string()))
}

/// Reads answers from stdin: prompts (on stderr) for plain values, and without echo for
/// secrets when stdin is a terminal.
struct Prompter {
    tty: bool,
    lines: std::io::Lines<std::io::StdinLock<'static>>,
}

impl Prompter {
    fn new() -> Self {
        let stdin = std::io::stdin();
        Prompter {
            tty: stdin.is_terminal(),
            lines: stdin.lock().lines(),
        }
    }

    fn line(&mut self, prompt: &str) -> Result<String, CliError> {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        match self.lines.next() {
            Some(Ok(line)) => Ok(line.trim().to_string()),
            Some(Err(e)) => Err(CliError::new(
                ErrorCode::Input,
                format!("cannot read input: {e}"),
            )),
            None => Err(CliError::new(
                ErrorCode::Input,
                format!(
                    "no answer given for \"{}\"",
                    prompt.trim_end_matches([':', ' '])
                ),
            )),
        }
    }

    fn value(&mut self, given: Option<String>, prompt: &str) -> Result<String, CliError> {
        let value = match given {
            Some(v) => v.trim().to_string(),
            None => self.line(prompt)?,
        };
        if value.is_empty() {
            return Err(CliError::new(
                ErrorCode::Input,
                format!("{} is required", prompt.trim_end_matches([':', ' '])),
            ));
        }
        Ok(value)
    }

    fn optional_path(
        &mut self,
        given: Option<PathBuf>,
        prompt: &str,
        ask: bool,
    ) -> Result<Option<String>, CliError> {
        if let Some(p) = given {
            return Ok(Some(p.display().to_string()));
        }
        if !ask {
            return Ok(None);
        }
        let v = self.line(prompt)?;
        Ok((!v.is_empty()).then_some(v))
    }

    fn secret(&mut self, prompt: &str) -> Result<String, CliError> {
        let value = if self.tty {
            rpassword::prompt_password(prompt)
                .map_err(|e| CliError::new(ErrorCode::Input, format!("cannot read input: {e}")))?
        } else {
            self.line(prompt)?
        };
        if value.is_empty() {
            return Err(CliError::new(
                ErrorCode::Input,
                format!("{} is required", prompt.trim_end_matches([':', ' '])),
            ));
        }
        Ok(value)
    }
}

fn add(
    url: Option<String>,
    mailbox: Option<String>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    ca: Option<PathBuf>,
    no_check: bool,
) -> Result<(), CliError> {
    let mut input = Prompter::new();
    // Ask for the TLS paths only when none was given as an option.
    let ask_tls = cert.is_none() && key.is_none() && ca.is_none();
    let url = input.value(url, "MESH URL: ")?;
    let mailbox = input.value(mailbox, "Mailbox id: ")?.to_ascii_uppercase();
    let settings = MeshSettings {
        url: url.trim_end_matches('/').to_string(),
        mailbox,
        client_cert: input.optional_path(
            cert,
            "Client certificate (PEM, blank for none): ",
            ask_tls,
        )?,
        client_key: input.optional_path(key, "Client key (PEM, blank for none): ", ask_tls)?,
        ca_bundle: input.optional_path(ca, "CA bundle (PEM, blank for system roots): ", ask_tls)?,
    };
    let password = input.secret("Mailbox password: ")?;
    let shared_key = input.secret("Environment shared key: ")?;
    let new = MeshMailboxInput {
        url: settings.url.clone(),
        mailbox: settings.mailbox.clone(),
        password,
        shared_key,
        client_cert: settings.client_cert.clone(),
        client_key: settings.client_key.clone(),
        ca_bundle: settings.ca_bundle.clone(),
    };
    let mut store = open_store()?;
    runtime()?.block_on(save_mesh_mailbox(&mut store, &OsKeyring, &new, !no_check))?;
    eprintln!(
        "saved MESH mailbox {} at {}{} (secrets in the OS keyring)",
        settings.mailbox,
        settings.url,
        if no_check { "" } else { "; handshake OK" }
    );
    Ok(())
}

fn test(json: bool) -> Result<(), CliError> {
    let settings = {
        let store = open_store()?;
        MailboxSettings::resolve(&store, &OsKeyring)?
    };
    let Some(settings) = settings else {
        return Err(no_mailbox());
    };
    let report = runtime()?.block_on(test_mailbox(&settings))?;
    if json {
        print_json(&report);
    } else {
        println!(
            "{}: handshake OK, {} message(s) waiting",
            settings.label(),
            report.waiting
        );
    }
    Ok(())
}

fn no_mailbox() -> CliError {
    CliError::new(
        ErrorCode::NoMailbox,
        "no mailbox configured: run `handover mailbox add`, or set HANDOVER_MESH_URL, \
         HANDOVER_MESH_MAILBOX, HANDOVER_MESH_PASSWORD and HANDOVER_MESH_SHARED_KEY, or \
         HANDOVER_MAILBOX_DIR, or pass --folder DIR",
    )
}

pub fn sync(folder: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let mut store = open_store()?;
    let settings = match folder {
        // An explicit folder wins over any configured mailbox.
        Some(dir) => {
            if !dir.is_dir() {
                return Err(CliError::new(
                    ErrorCode::MailboxFolderMissing,
                    format!("{} is not a directory", dir.display()),
                ));
            }
            MailboxSettings::Folder(dir)
        }
        None => MailboxSettings::resolve(&store, &OsKeyring)?.ok_or_else(no_mailbox)?,
    };
    let engine = settings.engine()?;
    let summary = runtime()?.block_on(engine.sync_once(&mut store))?;
    if json {
        print_json(&summary);
    } else {
        println!(
            "downloaded {}, stored {}, duplicates {}, quarantined {}, acknowledged {}, responses sent {}",
            summary.downloaded,
            summary.stored,
            summary.duplicates,
            summary.quarantined,
            summary.acknowledged,
            summary.responses_sent
        );
        for p in &summary.problems {
            println!("problem [{}]: {}", p.code, p.message);
        }
    }
    Ok(())
}
