//! Which mailbox to sync, and as whom. Shared by the CLI and the desktop app.
//!
//! Settings come from, in order:
//! 1. the environment: `HANDOVER_MESH_URL`, `HANDOVER_MESH_MAILBOX`, `HANDOVER_MESH_PASSWORD`,
//!    `HANDOVER_MESH_SHARED_KEY` (+ `HANDOVER_MESH_CERT`, `HANDOVER_MESH_KEY`,
//!    `HANDOVER_MESH_CA`), else `HANDOVER_MAILBOX_DIR` for a folder mailbox. These override
//!    stored settings and are never written anywhere;
//! 2. the stored settings (`handover mailbox add`): URL, mailbox id and TLS paths from the
//!    database ([`handover_store::MeshSettings`]), the password and shared key from the OS
//!    keyring (accounts [`handover_store::mesh_password_account`] and
//!    [`handover_store::mesh_shared_key_account`]).
//!
//! Use [`MailboxSettings::resolve`] to get them, and [`MailboxSettings::engine`] to get a sync
//! engine wired with everything it needs (including the outbox's [`SentLookup`] for MESH).

use std::path::PathBuf;

use handover_mesh::{AnyMailbox, FolderMailbox, MeshClient, MeshConfig, MeshError};
use handover_store::{
    mesh_password_account, mesh_shared_key_account, KeyStore, MeshSettings, MessageSource, Store,
    StoreError,
};
use serde::Serialize;

use crate::{SyncEngine, SyncOptions};
use handover_errors::{Coded, ErrorCode};
use handover_workflow::WorkflowConfig;

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
    /// A mailbox is configured but a secret is missing from the OS keyring.
    #[error("the {what} for MESH mailbox {mailbox} is not in the OS keyring: run `handover mailbox add` again")]
    MissingSecret { what: &'static str, mailbox: String },
    /// The OS keyring could not be read.
    #[error("cannot read the MESH {what} from the OS keyring: {message}")]
    Keyring { what: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The folder mailbox does not exist (it is never created silently).
    #[error("the mailbox folder {} does not exist: create it, or correct HANDOVER_MAILBOX_DIR", .0.display())]
    FolderMissing(PathBuf),
}

impl ConfigError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ConfigError::Incomplete(_) => ErrorCode::MeshConfigIncomplete,
            ConfigError::Mesh(e) => e.code(),
            ConfigError::MissingSecret { .. } => ErrorCode::MeshSecretMissing,
            ConfigError::Keyring { .. } => ErrorCode::KeyringUnavailable,
            ConfigError::Store(e) => e.code(),
            ConfigError::FolderMissing(_) => ErrorCode::MailboxFolderMissing,
        }
    }
}

/// A MESH mailbox as a person sets it up: what `handover mailbox add` and the app's settings
/// screen ask for. The secrets go to the OS keyring only.
#[derive(Clone, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct MeshMailboxInput {
    pub url: String,
    pub mailbox: String,
    pub password: String,
    pub shared_key: String,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub ca_bundle: Option<String>,
}

impl std::fmt::Debug for MeshMailboxInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeshMailboxInput")
            .field("url", &self.url)
            .field("mailbox", &self.mailbox)
            .field("password", &"<redacted>")
            .field("shared_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// What testing a mailbox found.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MailboxTest {
    pub mailbox: MailboxDescription,
    /// The mailbox answered and accepted the credentials.
    pub handshake: bool,
    /// Messages waiting in it.
    #[ts(type = "number")]
    pub waiting: u64,
}

/// Handshakes with the mailbox and counts what is waiting.
pub async fn test_mailbox(settings: &MailboxSettings) -> Result<MailboxTest, ConfigError> {
    use handover_mesh::Mailbox;
    let (mailbox, _) = settings.open()?;
    mailbox.handshake().await?;
    let listing = mailbox.list_inbox(None).await?;
    Ok(MailboxTest {
        mailbox: settings.describe(),
        handshake: true,
        waiting: listing.message_ids.len() as u64,
    })
}

/// Checks a MESH mailbox (the URL, mailbox id and TLS files; and, when `check`, a handshake with
/// the credentials) and only then saves it: the password and shared key in `keys`, the rest in
/// the store. Nothing is saved when the check fails.
pub async fn save_mesh_mailbox(
    store: &mut Store,
    keys: &dyn KeyStore,
    input: &MeshMailboxInput,
    check: bool,
) -> Result<MailboxSettings, ConfigError> {
    let checked = check_mesh_mailbox(input, check).await?;
    store_mesh_mailbox(store, keys, &checked, input)
}

/// A MESH mailbox checked by [`check_mesh_mailbox`], ready to store.
pub struct CheckedMailbox {
    stored: MeshSettings,
    config: MeshConfig,
}

/// The checking half of [`save_mesh_mailbox`] (no store needed, so it can wait on the network
/// without holding the store).
pub async fn check_mesh_mailbox(
    input: &MeshMailboxInput,
    check: bool,
) -> Result<CheckedMailbox, ConfigError> {
    let blank = |s: &Option<String>| {
        s.as_ref()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let stored = MeshSettings {
        url: input.url.trim().trim_end_matches('/').to_string(),
        mailbox: input.mailbox.trim().to_ascii_uppercase(),
        client_cert: blank(&input.client_cert),
        client_key: blank(&input.client_key),
        ca_bundle: blank(&input.ca_bundle),
    };
    let mut config = MeshConfig::new(
        &stored.url,
        &stored.mailbox,
        &input.password,
        &input.shared_key,
    );
    config.client_cert = stored.client_cert.as_ref().map(PathBuf::from);
    config.client_key = stored.client_key.as_ref().map(PathBuf::from);
    config.ca_bundle = stored.ca_bundle.as_ref().map(PathBuf::from);
    // Building the client checks the URL, the mailbox id and the TLS files.
    let client = MeshClient::new(config.clone())?;
    if check {
        client.handshake().await?;
    }
    Ok(CheckedMailbox { stored, config })
}

/// The storing half of [`save_mesh_mailbox`]: the secrets in `keys`, the rest in the store.
pub fn store_mesh_mailbox(
    store: &mut Store,
    keys: &dyn KeyStore,
    checked: &CheckedMailbox,
    input: &MeshMailboxInput,
) -> Result<MailboxSettings, ConfigError> {
    let stored = &checked.stored;
    let keyring = |what: &'static str| {
        move |e: handover_store::KeyStoreError| ConfigError::Keyring { what, message: e.0 }
    };
    keys.set(&mesh_password_account(&stored.mailbox), &input.password)
        .map_err(keyring("password"))?;
    keys.set(&mesh_shared_key_account(&stored.url), &input.shared_key)
        .map_err(keyring("shared key"))?;
    store.save_mesh_settings(stored)?;
    Ok(MailboxSettings::Mesh(Box::new(checked.config.clone())))
}

impl Coded for ConfigError {
    fn code(&self) -> ErrorCode {
        ConfigError::code(self)
    }
}

/// The mailbox settings as they may be shown (`handover status`, the app): never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MailboxDescription {
    /// `mesh` or `folder`.
    pub kind: MessageSource,
    /// MESH base URL (MESH only).
    pub url: Option<String>,
    /// MESH mailbox id, or the folder path.
    pub mailbox: String,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub ca_bundle: Option<String>,
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

    /// The settings to use: the environment's when set (see [`MailboxSettings::from_env`]),
    /// else the stored MESH mailbox with its secrets from `keys` (the OS keyring); `None` when
    /// no mailbox is configured at all.
    pub fn resolve(store: &Store, keys: &dyn KeyStore) -> Result<Option<Self>, ConfigError> {
        if let Some(settings) = Self::from_env()? {
            return Ok(Some(settings));
        }
        let Some(stored) = store.mesh_settings()? else {
            return Ok(None);
        };
        Ok(Some(Self::from_stored(&stored, keys)?))
    }

    /// MESH settings from stored (non-secret) settings and the secrets in `keys`.
    pub fn from_stored(stored: &MeshSettings, keys: &dyn KeyStore) -> Result<Self, ConfigError> {
        let secret = |what: &'static str, account: String| -> Result<String, ConfigError> {
            match keys.get(&account) {
                Ok(Some(v)) if !v.is_empty() => Ok(v),
                Ok(_) => Err(ConfigError::MissingSecret {
                    what,
                    mailbox: stored.mailbox.clone(),
                }),
                Err(e) => Err(ConfigError::Keyring { what, message: e.0 }),
            }
        };
        let password = secret("password", mesh_password_account(&stored.mailbox))?;
        let shared_key = secret("shared key", mesh_shared_key_account(&stored.url))?;
        let mut config = MeshConfig::new(&stored.url, &stored.mailbox, password, shared_key);
        config.client_cert = stored.client_cert.as_ref().map(PathBuf::from);
        config.client_key = stored.client_key.as_ref().map(PathBuf::from);
        config.ca_bundle = stored.ca_bundle.as_ref().map(PathBuf::from);
        Ok(MailboxSettings::Mesh(Box::new(config)))
    }

    /// What may be shown of these settings (no password, no shared key).
    pub fn describe(&self) -> MailboxDescription {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        match self {
            MailboxSettings::Mesh(c) => MailboxDescription {
                kind: MessageSource::Mesh,
                url: Some(c.url.clone()),
                mailbox: c.mailbox.trim().to_ascii_uppercase(),
                client_cert: path(&c.client_cert),
                client_key: path(&c.client_key),
                ca_bundle: path(&c.ca_bundle),
            },
            MailboxSettings::Folder(d) => MailboxDescription {
                kind: MessageSource::Folder,
                url: None,
                mailbox: d.display().to_string(),
                client_cert: None,
                client_key: None,
                ca_bundle: None,
            },
        }
    }

    /// A sync engine for this mailbox.
    pub fn engine(&self) -> Result<SyncEngine<AnyMailbox>, ConfigError> {
        let (mailbox, options) = self.open()?;
        Ok(SyncEngine::new(mailbox, options))
    }

    pub fn source(&self) -> MessageSource {
        match self {
            MailboxSettings::Mesh(_) => MessageSource::Mesh,
            MailboxSettings::Folder(_) => MessageSource::Folder,
        }
    }

    /// The mailbox, and the engine options that go with it.
    pub fn open(&self) -> Result<(AnyMailbox, SyncOptions), ConfigError> {
        let practice = WorkflowConfig::from_env();
        Ok(match self {
            MailboxSettings::Mesh(config) => {
                let mut config = (**config).clone();
                // Nothing larger than the parser reads is downloaded or inflated.
                config.max_message_bytes = handover_toc::MAX_INPUT_BYTES;
                let client = MeshClient::new(config)?;
                let options = SyncOptions {
                    source: MessageSource::Mesh,
                    mailbox_key: client.mailbox().to_string(),
                    workflow_filter: None,
                    practice: practice.clone(),
                };
                (AnyMailbox::Mesh(Box::new(client)), options)
            }
            MailboxSettings::Folder(dir) => {
                // Never created here: a mistyped path must not look like an empty mailbox.
                if !dir.is_dir() {
                    return Err(ConfigError::FolderMissing(dir.clone()));
                }
                let key = dir
                    .canonicalize()
                    .unwrap_or_else(|_| dir.clone())
                    .display()
                    .to_string();
                let options = SyncOptions {
                    source: MessageSource::Folder,
                    mailbox_key: key,
                    workflow_filter: None,
                    practice: practice.clone(),
                };
                (
                    AnyMailbox::Folder(
                        FolderMailbox::new(dir, "FOLDER")
                            .with_max_message_bytes(handover_toc::MAX_INPUT_BYTES),
                    ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use handover_store::testing::MemoryKeyStore;

    #[test]
    fn stored_settings_take_their_secrets_from_the_keyring() {
        let stored = MeshSettings {
            url: "https://mesh.example".into(),
            mailbox: "X26ABC1".into(),
            client_cert: Some("/etc/mesh/c.pem".into()),
            client_key: Some("/etc/mesh/c.key".into()),
            ca_bundle: None,
        };
        let keys = MemoryKeyStore::default();
        let err = MailboxSettings::from_stored(&stored, &keys).unwrap_err();
        assert_eq!(err.code(), "mesh_secret_missing");
        assert!(err.to_string().contains("password"), "{err}");
        keys.set(&mesh_password_account("X26ABC1"), "pw-secret")
            .unwrap();
        let err = MailboxSettings::from_stored(&stored, &keys).unwrap_err();
        assert!(err.to_string().contains("shared key"), "{err}");
        keys.set(
            &mesh_shared_key_account("https://mesh.example/"),
            "key-secret",
        )
        .unwrap();
        let settings = MailboxSettings::from_stored(&stored, &keys).unwrap();
        let MailboxSettings::Mesh(config) = &settings else {
            panic!("MESH settings expected");
        };
        assert_eq!(config.password, "pw-secret");
        assert_eq!(config.shared_key, "key-secret");
        assert_eq!(
            config.client_cert.as_deref(),
            Some(std::path::Path::new("/etc/mesh/c.pem"))
        );
        // What may be shown holds no secret.
        let shown = serde_json::to_string(&settings.describe()).unwrap();
        assert!(shown.contains("X26ABC1") && shown.contains("https://mesh.example"));
        assert!(
            !shown.contains("pw-secret") && !shown.contains("key-secret"),
            "{shown}"
        );
    }
}
