//! The MESH mailbox settings that are not secret (URL, mailbox id, TLS file paths), kept in
//! the encrypted database's `app_meta` table.
//!
//! The mailbox password and the environment's shared key are secrets: they live in the OS
//! keyring only, under the accounts named by [`mesh_password_account`] and
//! [`mesh_shared_key_account`], and are never written to the database or to any file.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::{Store, StoreError};

const URL: &str = "mesh_url";
const MAILBOX: &str = "mesh_mailbox";
const CERT: &str = "mesh_client_cert";
const KEY: &str = "mesh_client_key";
const CA: &str = "mesh_ca_bundle";
const ALL: [&str; 5] = [URL, MAILBOX, CERT, KEY, CA];

/// A configured MESH mailbox, without its secrets. Safe to show (`handover status`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MeshSettings {
    /// Base URL of the MESH environment, e.g. `https://msg.int.spine2.ncrs.nhs.uk`.
    pub url: String,
    /// The practice's mailbox id (upper case).
    pub mailbox: String,
    /// Client certificate (PEM) for mutual TLS.
    pub client_cert: Option<String>,
    /// Client private key (PEM, PKCS#8) for mutual TLS.
    pub client_key: Option<String>,
    /// CA bundle (PEM) to trust instead of the system roots.
    pub ca_bundle: Option<String>,
}

/// The keyring account holding the password of `mailbox`.
pub fn mesh_password_account(mailbox: &str) -> String {
    format!("mesh-password:{}", mailbox.trim().to_ascii_uppercase())
}

/// The keyring account holding the shared key of the MESH environment at `url`.
pub fn mesh_shared_key_account(url: &str) -> String {
    format!("mesh-shared-key:{}", url.trim().trim_end_matches('/'))
}

impl Store {
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM app_meta WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The stored MESH mailbox settings, if a mailbox was configured (`handover mailbox add`).
    pub fn mesh_settings(&self) -> Result<Option<MeshSettings>, StoreError> {
        let (Some(url), Some(mailbox)) = (self.meta(URL)?, self.meta(MAILBOX)?) else {
            return Ok(None);
        };
        Ok(Some(MeshSettings {
            url,
            mailbox,
            client_cert: self.meta(CERT)?,
            client_key: self.meta(KEY)?,
            ca_bundle: self.meta(CA)?,
        }))
    }

    /// Replaces the stored MESH mailbox settings (all fields, in one transaction).
    pub fn save_mesh_settings(&mut self, settings: &MeshSettings) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for key in ALL {
            tx.execute("DELETE FROM app_meta WHERE key = ?1", params![key])?;
        }
        let values = [
            (
                URL,
                Some(settings.url.trim().trim_end_matches('/').to_string()),
            ),
            (MAILBOX, Some(settings.mailbox.trim().to_ascii_uppercase())),
            (CERT, settings.client_cert.clone()),
            (KEY, settings.client_key.clone()),
            (CA, settings.ca_bundle.clone()),
        ];
        for (key, value) in values {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                tx.execute(
                    "INSERT INTO app_meta (key, value) VALUES (?1, ?2)",
                    params![key, value],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets the stored MESH mailbox settings.
    pub fn clear_mesh_settings(&mut self) -> Result<(), StoreError> {
        for key in ALL {
            self.conn
                .execute("DELETE FROM app_meta WHERE key = ?1", params![key])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DbKey;

    #[test]
    fn mesh_settings_round_trip_and_hold_no_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("s.db"), &DbKey::generate()).unwrap();
        assert_eq!(store.mesh_settings().unwrap(), None);
        let settings = MeshSettings {
            url: "https://mesh.example/".into(),
            mailbox: "x26abc1".into(),
            client_cert: Some("/etc/mesh/client.pem".into()),
            client_key: Some("/etc/mesh/client.key".into()),
            ca_bundle: None,
        };
        store.save_mesh_settings(&settings).unwrap();
        let got = store.mesh_settings().unwrap().unwrap();
        assert_eq!(got.url, "https://mesh.example");
        assert_eq!(got.mailbox, "X26ABC1");
        assert_eq!(got.client_cert.as_deref(), Some("/etc/mesh/client.pem"));
        assert_eq!(got.ca_bundle, None);
        // Saving again replaces every field.
        store
            .save_mesh_settings(&MeshSettings {
                url: "https://other".into(),
                mailbox: "X26ABC2".into(),
                ..Default::default()
            })
            .unwrap();
        let got = store.mesh_settings().unwrap().unwrap();
        assert_eq!(got.client_cert, None);
        assert_eq!(got.mailbox, "X26ABC2");
        store.clear_mesh_settings().unwrap();
        assert_eq!(store.mesh_settings().unwrap(), None);
        assert_eq!(mesh_password_account("x26abc1"), "mesh-password:X26ABC1");
        assert_eq!(
            mesh_shared_key_account("https://mesh.example/"),
            "mesh-shared-key:https://mesh.example"
        );
    }
}
