use std::path::PathBuf;

use handover_errors::ErrorCode;

/// Everything that can stop the store from opening or working.
///
/// Each variant has a stable machine-readable [`StoreError::code`] that the CLI prints and the
/// desktop UI branches on, and a message that tells a person what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the OS keyring ({backend}) could not be used: {detail}. Handover keeps its database key only \
         in the OS keyring and will not open the database without it. Unlock your desktop keyring \
         (on Linux: make sure a Secret Service such as gnome-keyring is running and unlocked) and try again"
    )]
    KeyringUnavailable {
        backend: &'static str,
        detail: String,
    },

    #[error(
        "the OS keyring ({backend}) accepted the new database key but could not give it back: {detail}. \
         Refusing to create a database whose key would be lost. Check the keyring and try again"
    )]
    KeyringNotPersistent {
        backend: &'static str,
        detail: String,
    },

    #[error(
        "the database {path} exists but its key is not in the OS keyring (service \"{service}\", \
         account \"{account}\"). Without that key the database cannot be opened. If this data directory \
         was copied from another computer or user, restore that keyring entry; otherwise move the \
         database aside to start afresh. Nothing was changed"
    )]
    KeyMissing {
        path: PathBuf,
        service: &'static str,
        account: String,
    },

    #[error(
        "the key in the OS keyring does not open the database {path}: either the key was replaced or \
         the file is damaged. Nothing was changed. Restore the matching keyring entry or the database \
         from a backup"
    )]
    KeyMismatch { path: PathBuf },

    #[error(
        "the database {path} is not encrypted (it is a plain SQLite file). Handover only uses encrypted \
         databases and has not opened it. Move it aside"
    )]
    NotEncrypted { path: PathBuf },

    #[error("this build of Handover has no SQLCipher support, so it refuses to open any database")]
    SqlCipherMissing,

    #[error("the data directory {path} could not be used: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("no data directory: set HANDOVER_DATA_DIR or a home directory")]
    NoDataDir,

    #[error("the data directory {} can be written by every user (mode {mode:o}), so another user could replace the records in it; make it private (`chmod 700 {}`) or choose another with HANDOVER_DATA_DIR", path.display(), path.display())]
    DataDirInsecure { path: PathBuf, mode: u32 },

    #[error(
        "the database {path} has schema version {found}, newer than this version of Handover knows \
         ({known}). Install the newer Handover that wrote it"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error(
        "the stored bytes of message {message_id} are damaged ({detail}). They are not shown, \
         since they would not be what was received. Restore the database from a backup, or ask \
         the sender to send the message again"
    )]
    MessageBytesDamaged { message_id: i64, detail: String },

    #[error("document {id} has changed since it was shown (version {expected}, now {current}): look at it again before acting on it")]
    DocumentChanged {
        id: i64,
        expected: i64,
        current: i64,
    },

    #[error("document {id} is not in the store")]
    DocumentNotFound { id: i64 },

    #[error("message {id} is not in quarantine")]
    MessageNotFound { id: i64 },

    #[error("there is already a profile called {name}")]
    UserExists { name: String },

    #[error("this desktop's cache was filled from practice {cached_practice} on practice server {cached_server}; the server now reached is practice {practice} on {server}. Nothing was pulled: use a new data directory for another practice server")]
    PracticeServerChanged {
        cached_server: String,
        cached_practice: String,
        server: String,
        practice: String,
    },

    /// A step that runs inside the store's transaction failed for a reason of its own.
    #[error("{0}")]
    Step(String),

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// A stable identifier of the kind of error, for scripts and the UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::KeyringUnavailable { .. } => ErrorCode::KeyringUnavailable,
            StoreError::KeyringNotPersistent { .. } => ErrorCode::KeyringNotPersistent,
            StoreError::KeyMissing { .. } => ErrorCode::DatabaseKeyMissing,
            StoreError::UserExists { .. } => ErrorCode::UserExists,
            StoreError::KeyMismatch { .. } => ErrorCode::DatabaseKeyMismatch,
            StoreError::NotEncrypted { .. } => ErrorCode::DatabaseNotEncrypted,
            StoreError::SqlCipherMissing => ErrorCode::SqlcipherMissing,
            StoreError::DataDir { .. } | StoreError::NoDataDir => ErrorCode::DataDirUnavailable,
            StoreError::DataDirInsecure { .. } => ErrorCode::DataDirInsecure,
            StoreError::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            StoreError::MessageBytesDamaged { .. } => ErrorCode::MessageBytesDamaged,
            StoreError::DocumentChanged { .. } => ErrorCode::DocumentChanged,
            StoreError::DocumentNotFound { .. } => ErrorCode::DocumentNotFound,
            StoreError::MessageNotFound { .. } => ErrorCode::MessageNotFound,
            StoreError::PracticeServerChanged { .. } => ErrorCode::PracticeServerChanged,
            StoreError::Sqlite(_) | StoreError::Step(_) => ErrorCode::DatabaseError,
        }
    }
}

impl handover_errors::Coded for StoreError {
    fn code(&self) -> ErrorCode {
        StoreError::code(self)
    }
}
