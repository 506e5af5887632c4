//! Handover's local store: an SQLCipher-encrypted SQLite database whose random 256-bit key
//! lives only in the OS keyring.
//!
//! Invariants (see ARCHITECTURE.md):
//! - No code path creates or opens an unencrypted database: SQLCipher support is checked before
//!   anything is written, and a plain SQLite file is refused.
//! - The key is never written to disk, and never replaced: a database whose key is missing or
//!   wrong is left exactly as it was, with an error that says what to do.

mod audit_trail;
mod datadir;
mod error;
mod events;
mod inbox_queries;
mod ingest;
mod keys;
mod medicines;
mod practice_cache;
mod practice_settings;
mod practice_status;
mod queries;
mod raw;
mod register;
mod report;
pub mod schema;
mod settings;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
mod vocab;
mod work;

use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

pub use audit_trail::{
    AuditEntry, AuditEntryState, AuditLog, AuditTrailVerification, ServerLogCheck,
};
pub use datadir::{DataDir, DATABASE_FILE, DATA_DIR_ENV};
pub use error::StoreError;
pub use events::{
    os_user, Actor, AuditQuery, AuditVerification, NewEvent, StoredEvent, GENESIS_HASH,
    SYSTEM_ACTOR,
};
pub use inbox_queries::{
    fts_query, Delivery, DocumentIssue, DocumentPage, DocumentRow, ListQuery, MessageProvenance,
    QuarantineRow, RowFlags, StatusCounts, StoredDocument,
};
pub use ingest::{
    local_id, sha256_hex, Disposition, DocumentIdentity, DocumentLinks, DocumentRecord,
    IdentityMatches, Incoming, IngestOutcome, Ingested, IssueKind, IssueNote, IssueSubject,
    OutboxItem, PlannedResponse, PriorDocument,
};
pub use keys::{DbKey, KeyStore, KeyStoreError, OsKeyring, KEYRING_SERVICE};
pub use medicines::{DmdConcept, DmdStatus, PracticeList, PracticeListLine, PracticeListVersion};
pub use practice_cache::{
    ChainBreak, OutgoingEvent, PracticeCacheState, PracticeEventRecord, PracticeRegisterRecord,
};
pub use practice_settings::practice_password_account;
pub use practice_status::{AnswerStatus, AnswerToHandOver, PracticePerson, PracticePullState};
pub use queries::{ProblemKind, SyncProblem, SyncState, MAX_KEPT_PROBLEMS};
pub use raw::RawBody;
pub use register::{RegisterPatient, RegisterStatus, RegisterWrite};
pub use report::{ConservationLine, ConservationReport};
pub use settings::{mesh_password_account, mesh_shared_key_account, MeshSettings};
pub use vocab::{
    DmdKind, DocumentStatus, MailboxHealth, MatchState, MedicationLineType, MessageOutcome,
    MessageSource, PracticeListSource, Queue, Registration, Role, Sort, TaskStatus,
};
pub use work::{DocumentWork, MedrecDue, Task, TaskOrigin, TaskQuery, TaskWrite, User, WorkUpdate};

const PLAIN_SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// An open, unlocked, migrated store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    data_dir: PathBuf,
    keyring_backend: &'static str,
    cipher_version: String,
}

/// What `handover status` and the app's status bar report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct StoreStatus {
    pub data_dir: String,
    pub database: String,
    #[ts(type = "number")]
    pub schema_version: i64,
    pub encryption: String,
    pub cipher_version: String,
    pub keyring_backend: String,
    pub documents: DocumentCounts,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct DocumentCounts {
    #[ts(type = "number")]
    pub total: u64,
    /// Documents by lane.
    pub by_status: StatusCounts,
    #[ts(type = "number")]
    pub quarantined: u64,
}

impl Store {
    /// Opens the store in `data_dir`, creating the directory, the database and its key on first
    /// run. The key is taken from (or, on first run, put into) `keys`.
    pub fn open(data_dir: &DataDir, keys: &dyn KeyStore) -> Result<Store, StoreError> {
        let dir = data_dir.ensure()?;
        let path = dir.join(DATABASE_FILE);
        let account = DataDir::keyring_account(&dir);
        let backend = keys.backend();
        let unavailable = |e: KeyStoreError| StoreError::KeyringUnavailable {
            backend,
            detail: e.0,
        };

        let stored = keys.get(&account).map_err(unavailable)?;
        let (conn, cipher_version) = if path.exists() {
            let Some(hex) = stored else {
                return Err(StoreError::KeyMissing {
                    path,
                    service: KEYRING_SERVICE,
                    account,
                });
            };
            let key = DbKey::from_hex(&hex)
                .ok_or_else(|| StoreError::KeyMismatch { path: path.clone() })?;
            open_existing(&path, &key)?
        } else {
            let key = match stored {
                Some(hex) => {
                    DbKey::from_hex(&hex).ok_or_else(|| StoreError::KeyringUnavailable {
                        backend,
                        detail: format!(
                            "the keyring entry \"{account}\" does not hold a Handover key"
                        ),
                    })?
                }
                None => {
                    let key = DbKey::generate();
                    keys.set(&account, &key.to_hex()).map_err(unavailable)?;
                    // Read it back: a keyring that forgets (such as a mock) would lose the database.
                    let back =
                        keys.get(&account)
                            .map_err(|e| StoreError::KeyringNotPersistent {
                                backend,
                                detail: e.0,
                            })?;
                    if back.as_deref().and_then(DbKey::from_hex).as_ref() != Some(&key) {
                        return Err(StoreError::KeyringNotPersistent {
                            backend,
                            detail: "the key read back differs from the key stored".into(),
                        });
                    }
                    key
                }
            };
            create_new(&path, &key)?
        };
        Self::finish(conn, path, dir, backend, cipher_version)
    }

    /// Opens (or creates) the database at `path` with an explicit key, bypassing the keyring.
    /// For tools and tests that manage the key themselves.
    pub fn open_with_key(path: &Path, key: &DbKey) -> Result<Store, StoreError> {
        let (conn, cipher_version) = if path.exists() {
            open_existing(path, key)?
        } else {
            create_new(path, key)?
        };
        let dir = path.parent().map(Path::to_owned).unwrap_or_default();
        Self::finish(conn, path.to_owned(), dir, "explicit", cipher_version)
    }

    fn finish(
        mut conn: Connection,
        path: PathBuf,
        data_dir: PathBuf,
        keyring_backend: &'static str,
        cipher_version: String,
    ) -> Result<Store, StoreError> {
        schema::migrate(&mut conn, &path)?;
        Ok(Store {
            conn,
            path,
            data_dir,
            keyring_backend,
            cipher_version,
        })
    }

    /// The SQLite connection itself, for tests that check what is stored (or damage it on
    /// purpose). Only with the `test-support` feature: everything else goes through the store's
    /// own methods, so only this crate writes SQL.
    #[cfg(any(test, feature = "test-support"))]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Refreshes the query planner's statistics (after a large import).
    pub fn optimize(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("ANALYZE; PRAGMA optimize")?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    pub fn document_counts(&self) -> Result<DocumentCounts, StoreError> {
        let mut counts = DocumentCounts::default();
        let mut stmt = self
            .conn
            .prepare("SELECT status, count(*) FROM documents GROUP BY status")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, DocumentStatus>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (status, n) = row?;
            counts.by_status.add(status, n as u64);
        }
        counts.total = counts.by_status.total();
        counts.quarantined = self.conn.query_row(
            "SELECT count(*) FROM messages WHERE outcome = 'quarantined'",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64;
        Ok(counts)
    }

    pub fn status(&self) -> Result<StoreStatus, StoreError> {
        Ok(StoreStatus {
            data_dir: self.data_dir.display().to_string(),
            database: self.path.display().to_string(),
            schema_version: self.schema_version()?,
            encryption: "sqlcipher".into(),
            cipher_version: self.cipher_version.clone(),
            keyring_backend: self.keyring_backend.into(),
            documents: self.document_counts()?,
        })
    }
}

fn apply_key(conn: &Connection, key: &DbKey) -> Result<String, StoreError> {
    // A wrong key is reported as a StoreError; SQLCipher's own log lines on stderr would only
    // confuse the person reading the CLI's message.
    let _ = conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()));
    conn.pragma_update(None, "key", key.pragma_value().as_str())?;
    // Without SQLCipher `PRAGMA key` is silently ignored and the file would be plaintext.
    let version: Option<String> = conn
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .ok();
    match version {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(StoreError::SqlCipherMissing),
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Clinical records are acknowledged to MESH after commit: commits must survive power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Decrypting a page costs far more than reading it: keep up to 64 MB of decrypted pages.
    conn.pragma_update(None, "cache_size", -65536)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

fn open_existing(path: &Path, key: &DbKey) -> Result<(Connection, String), StoreError> {
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut header))
        .map_err(|source| StoreError::DataDir {
            path: path.to_owned(),
            source,
        })?;
    if read == header.len() && &header == PLAIN_SQLITE_HEADER {
        return Err(StoreError::NotEncrypted {
            path: path.to_owned(),
        });
    }
    // Never CREATE here: a missing file must not be replaced by a new, empty database.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    let cipher_version = apply_key(&conn, key)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(StoreError::KeyMismatch {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(e.into()),
    }
    configure(&conn)?;
    Ok((conn, cipher_version))
}

fn create_new(path: &Path, key: &DbKey) -> Result<(Connection, String), StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // Checked before the first write, so nothing is ever written unencrypted.
    let cipher_version = apply_key(&conn, key)?;
    configure(&conn)?;
    Ok((conn, cipher_version))
}

#[cfg(test)]
mod ingest_tests;
#[cfg(test)]
mod tests;
