//! Which mailbox to sync, and as whom. Shared by the CLI and the desktop app.

use std::path::PathBuf;

use handover_mesh::{AnyMailbox, FolderMailbox, MeshClient, MeshConfig, MeshError};

use crate::SyncOptions;

/// Where messages come from.
#[derive(Debug, Clone)]
pub enum MailboxSettings {
    Mesh(Box<MeshConfig>),
    /// A folder mailbox: files dropped in the directory, moved to `processed/` once stored.
    Folder(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("incomplete MESH settings: set all of HANDOVER_MESH_URL, HANDOVER_MESH_MAILBOX, HANDOVER_MESH_PASSWORD and HANDOVER_MESH_SHARED_KEY (missing {0})")]
    Incomplete(String),
    #[error(transparent)]
    Mesh(#[from] MeshError),
}

impl ConfigError {
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::Incomplete(_) => "mesh_config_incomplete",
            ConfigError::Mesh(e) => e.code(),
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl MailboxSettings {
    /// MESH settings from `HANDOVER_MESH_*` (these override stored settings and are never written
    /// anywhere), else a folder from `HANDOVER_MAILBOX_DIR`; `None` when neither is set.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let names = [
            "HANDOVER_MESH_URL",
            "HANDOVER_MESH_MAILBOX",
            "HANDOVER_MESH_PASSWORD",
            "HANDOVER_MESH_SHARED_KEY",
        ];
        let values: Vec<Option<String>> = names.iter().map(|n| var(n)).collect();
        if values.iter().all(Option::is_some) {
            let v: Vec<String> = values.into_iter().flatten().collect();
            let mut config =
                MeshConfig::new(v[0].clone(), v[1].clone(), v[2].clone(), v[3].clone());
            config.client_cert = var("HANDOVER_MESH_CERT").map(PathBuf::from);
            config.client_key = var("HANDOVER_MESH_KEY").map(PathBuf::from);
            config.ca_bundle = var("HANDOVER_MESH_CA").map(PathBuf::from);
            return Ok(Some(MailboxSettings::Mesh(Box::new(config))));
        }
        if values.iter().any(Option::is_some) {
            let missing: Vec<&str> = names
                .iter()
                .zip(&values)
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| *n)
                .collect();
            return Err(ConfigError::Incomplete(missing.join(", ")));
        }
        Ok(var("HANDOVER_MAILBOX_DIR").map(|d| MailboxSettings::Folder(PathBuf::from(d))))
    }

    /// `mesh` or `folder`.
    pub fn source(&self) -> &'static str {
        match self {
            MailboxSettings::Mesh(_) => "mesh",
            MailboxSettings::Folder(_) => "folder",
        }
    }

    /// The mailbox, and the engine options that go with it.
    pub fn open(&self) -> Result<(AnyMailbox, SyncOptions), ConfigError> {
        let practice_ods = var("HANDOVER_PRACTICE_ODS").unwrap_or_else(|| "V81999".into());
        let practice_name = var("HANDOVER_PRACTICE_NAME").unwrap_or_else(|| "GP practice".into());
        Ok(match self {
            MailboxSettings::Mesh(config) => {
                let client = MeshClient::new((**config).clone())?;
                let options = SyncOptions {
                    source: "mesh",
                    mailbox_key: client.mailbox().to_string(),
                    workflow_filter: None,
                    practice_ods,
                    practice_name,
                };
                (AnyMailbox::Mesh(Box::new(client)), options)
            }
            MailboxSettings::Folder(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| MeshError::Io {
                    context: format!("cannot create the mailbox folder {}", dir.display()),
                    source: e,
                })?;
                let key = dir
                    .canonicalize()
                    .unwrap_or_else(|_| dir.clone())
                    .display()
                    .to_string();
                let options = SyncOptions {
                    source: "folder",
                    mailbox_key: key,
                    workflow_filter: None,
                    practice_ods,
                    practice_name,
                };
                (
                    AnyMailbox::Folder(FolderMailbox::new(dir, "FOLDER")),
                    options,
                )
            }
        })
    }

    /// How to show the mailbox to a person.
    pub fn label(&self) -> String {
        match self {
            MailboxSettings::Mesh(c) => format!("MESH mailbox {}", c.mailbox.to_uppercase()),
            MailboxSettings::Folder(d) => format!("folder {}", d.display()),
        }
    }
}
