//! Embedded schema migrations. Each runs in its own transaction together with the
//! `user_version` bump, so a migration is applied entirely or not at all.
//!
//! Migrations are append-only: never edit one that has shipped; add the next.

use rusqlite::Connection;

use crate::StoreError;

pub const MIGRATIONS: &[&str] = &[
    // 1: messages as received, parsed documents, and small key/value state.
    r#"
    CREATE TABLE app_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    -- Every message received, byte for byte. The app never deletes these.
    CREATE TABLE messages (
        id                INTEGER PRIMARY KEY,
        source            TEXT NOT NULL,              -- 'mesh' | 'folder' | 'import'
        mailbox           TEXT NOT NULL DEFAULT '',
        source_id         TEXT NOT NULL,              -- MESH message id, or file name
        received_at       TEXT NOT NULL,              -- RFC 3339, UTC
        raw               BLOB NOT NULL,
        sha256            TEXT NOT NULL,
        outcome           TEXT NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'quarantined')),
        quarantine_reason TEXT,
        UNIQUE (source, mailbox, source_id)
    ) STRICT;

    CREATE TABLE documents (
        id                 INTEGER PRIMARY KEY,
        message_id         INTEGER NOT NULL REFERENCES messages(id),
        kind               TEXT NOT NULL,
        document_bundle_id TEXT,
        composition_id     TEXT,
        nhs_number         TEXT,
        patient_name       TEXT,
        title              TEXT,
        sender             TEXT,
        document_date      TEXT,
        received_at        TEXT NOT NULL,
        status             TEXT NOT NULL DEFAULT 'new'
                           CHECK (status IN ('new', 'needs-action', 'filed')),
        superseded_by      INTEGER REFERENCES documents(id),
        model              TEXT NOT NULL              -- the parsed document, JSON
    ) STRICT;
    CREATE UNIQUE INDEX documents_bundle_id ON documents(document_bundle_id)
        WHERE document_bundle_id IS NOT NULL;
    CREATE INDEX documents_received ON documents(received_at DESC);
    CREATE INDEX documents_nhs_number ON documents(nhs_number);
    "#,
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database up to [`latest_version`]; returns the version it is now at.
pub fn migrate(conn: &mut Connection, path: &std::path::Path) -> Result<i64, StoreError> {
    migrate_with(conn, path, MIGRATIONS)
}

pub(crate) fn migrate_with(
    conn: &mut Connection,
    path: &std::path::Path,
    migrations: &[&str],
) -> Result<i64, StoreError> {
    let known = migrations.len() as i64;
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > known {
        return Err(StoreError::SchemaTooNew {
            path: path.to_owned(),
            found: current,
            known,
        });
    }
    for (index, sql) in migrations.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
    }
    Ok(known)
}
