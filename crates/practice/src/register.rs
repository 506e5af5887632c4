//! The practice register, shared through the server (schema 7): every import is a new version
//! of the practice's register, kept for good, so every desktop matches documents against the
//! same register (and the audit says which register was in force when).
//!
//! The rows travel as a JSON array, exactly as the importing desktop serialised them; the
//! server hashes that text and a desktop taking a version checks the hash
//! ([`PracticeDb::register_version`]). This crate does not read the rows: what a row is belongs
//! to the desktop's store.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{PracticeDb, PracticeError};

/// The first schema with the shared register.
pub const REGISTER_SCHEMA: i32 = 7;

/// A register to import: the rows as read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterUpload {
    /// A JSON array of the rows (hashed as it is).
    pub patients_json: String,
    /// The SHA-256 of the file as read (lower-case hex).
    pub file_sha256: String,
    /// The file's name, without its directory.
    pub file_name: Option<String>,
    /// Rows of the file that were not imported.
    pub rejected: u32,
}

/// What an import did on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RegisterImport {
    pub version: i32,
    /// False when the latest version already had these rows from this file (nothing added).
    pub created: bool,
}

/// A version of the practice register, without its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterHead {
    pub version: i32,
    /// RFC 3339, UTC (the server's clock).
    pub imported_at: String,
    /// The database login that imported it, and its workflow role then.
    pub imported_by: String,
    pub role: String,
    pub file_name: Option<String>,
    pub file_sha256: String,
    pub patient_count: i32,
    pub rejected: i32,
    /// SHA-256 of the rows' JSON.
    pub sha256: String,
}

/// A version with its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterVersion {
    pub head: RegisterHead,
    /// The rows: a JSON array, checked against `head.sha256`.
    pub patients_json: String,
}

const HEAD_COLUMNS: &str = "version, \
     to_char(imported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
     imported_by, role, file_name, file_sha256, patient_count, rejected, sha256";

fn head(r: &tokio_postgres::Row) -> RegisterHead {
    RegisterHead {
        version: r.get(0),
        imported_at: r.get(1),
        imported_by: r.get(2),
        role: r.get(3),
        file_name: r.get(4),
        file_sha256: r.get(5),
        patient_count: r.get(6),
        rejected: r.get(7),
        sha256: r.get(8),
    }
}

/// SHA-256 in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl PracticeDb {
    /// Whether the server has the shared register (schema 7 or later).
    async fn has_registers(&self) -> Result<bool, PracticeError> {
        Ok(self
            .client
            .query_one("SELECT to_regclass('handover.registers') IS NOT NULL", &[])
            .await?
            .get(0))
    }

    /// Imports a register for this login's practice: a new version, unless the latest
    /// already has these rows from this file. The server refuses (`permission_denied`) a login
    /// whose role may not import the register (only a GP, an admin or the practice manager
    /// may), and takes who imported it from the session.
    pub async fn import_register(
        &self,
        upload: &RegisterUpload,
    ) -> Result<RegisterImport, PracticeError> {
        if !self.has_registers().await? {
            return Err(PracticeError::Database(format!(
                "the practice server's schema is older than a shared register needs (schema \
                 {REGISTER_SCHEMA}): run `handover practice init` on it first"
            )));
        }
        let rejected = i32::try_from(upload.rejected).unwrap_or(i32::MAX);
        let row = self
            .client
            .query_one(
                "SELECT version, created FROM handover.import_register($1, $2, $3, $4)",
                &[
                    &upload.patients_json,
                    &upload.file_sha256,
                    &upload.file_name,
                    &rejected,
                ],
            )
            .await?;
        Ok(RegisterImport {
            version: row.get(0),
            created: row.get(1),
        })
    }

    /// The latest version of this login's practice's register (None: none imported yet, or
    /// a server older than schema 7).
    pub async fn latest_register(&self) -> Result<Option<RegisterHead>, PracticeError> {
        if !self.has_registers().await? {
            return Ok(None);
        }
        Ok(self
            .client
            .query_opt(
                &format!(
                    "SELECT {HEAD_COLUMNS} FROM handover.registers
                      WHERE practice_id = handover.session_practice()
                      ORDER BY version DESC LIMIT 1"
                ),
                &[],
            )
            .await?
            .as_ref()
            .map(head))
    }

    /// Every version of this login's practice's register, oldest first, without the rows.
    pub async fn register_history(&self) -> Result<Vec<RegisterHead>, PracticeError> {
        if !self.has_registers().await? {
            return Ok(Vec::new());
        }
        Ok(self
            .client
            .query(
                &format!(
                    "SELECT {HEAD_COLUMNS} FROM handover.registers
                      WHERE practice_id = handover.session_practice() ORDER BY version"
                ),
                &[],
            )
            .await?
            .iter()
            .map(head)
            .collect())
    }

    /// Version `version` of this login's practice's register, with its rows (None if there is
    /// no such version). The rows are checked against the hash the server recorded when they
    /// were imported (`database_error` if they differ).
    pub async fn register_version(
        &self,
        version: i32,
    ) -> Result<Option<RegisterVersion>, PracticeError> {
        if !self.has_registers().await? {
            return Ok(None);
        }
        let Some(row) = self
            .client
            .query_opt(
                &format!(
                    "SELECT {HEAD_COLUMNS}, patients::text FROM handover.registers
                      WHERE practice_id = handover.session_practice() AND version = $1"
                ),
                &[&version],
            )
            .await?
        else {
            return Ok(None);
        };
        let version = RegisterVersion {
            head: head(&row),
            patients_json: row.get(9),
        };
        if sha256_hex(version.patients_json.as_bytes()) != version.head.sha256 {
            return Err(PracticeError::Database(format!(
                "the practice register's version {} does not match the hash it was imported \
                 with",
                version.head.version
            )));
        }
        Ok(Some(version))
    }
}
