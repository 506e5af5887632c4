//! `handover sync`: choose the mailbox (MESH from the environment, or a folder) and run the
//! sync engine once.

use std::path::PathBuf;

use handover_inbox::{ConfigError, MailboxSettings, SyncEngine};

use crate::{open_store, print_json, CliError};

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError::new(e.code(), e.to_string())
    }
}

pub fn sync(folder: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let settings = match (MailboxSettings::from_env()?, folder) {
        (Some(MailboxSettings::Mesh(c)), _) => MailboxSettings::Mesh(c),
        (_, Some(dir)) => {
            if !dir.is_dir() {
                return Err(CliError::new("folder_missing", format!("{} is not a directory", dir.display())));
            }
            MailboxSettings::Folder(dir)
        }
        (Some(folder), None) => folder,
        (None, None) => {
            return Err(CliError::new(
                "no_mailbox",
                "no mailbox configured: set HANDOVER_MESH_URL, HANDOVER_MESH_MAILBOX, HANDOVER_MESH_PASSWORD and \
                 HANDOVER_MESH_SHARED_KEY, or HANDOVER_MAILBOX_DIR, or pass --folder DIR",
            ))
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new("runtime", e.to_string()))?;
    let (mailbox, options) = settings.open()?;
    let mut store = open_store()?;
    let summary = runtime.block_on(SyncEngine::new(mailbox, options).sync_once(&mut store))?;
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
            println!("problem: {p}");
        }
    }
    Ok(())
}
