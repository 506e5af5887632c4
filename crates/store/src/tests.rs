use std::cell::RefCell;
use std::collections::HashMap;

use super::*;

/// An in-memory key store for unit tests. The product uses [`OsKeyring`]; the CLI's
/// integration tests exercise the real keyring.
#[derive(Default)]
struct MemoryKeys {
    entries: RefCell<HashMap<String, String>>,
    fail: Option<&'static str>,
    forgetful: bool,
    sets: RefCell<usize>,
}

impl KeyStore for MemoryKeys {
    fn backend(&self) -> &'static str {
        "memory"
    }
    fn get(&self, account: &str) -> Result<Option<String>, KeyStoreError> {
        if let Some(msg) = self.fail {
            return Err(KeyStoreError(msg.into()));
        }
        if self.forgetful {
            return Ok(None);
        }
        Ok(self.entries.borrow().get(account).cloned())
    }
    fn set(&self, account: &str, secret: &str) -> Result<(), KeyStoreError> {
        if let Some(msg) = self.fail {
            return Err(KeyStoreError(msg.into()));
        }
        *self.sets.borrow_mut() += 1;
        self.entries
            .borrow_mut()
            .insert(account.into(), secret.into());
        Ok(())
    }
}

const SECRET: &str = "DISTINCTIVE-PLAINTEXT-Zebedee-Quartermaine-4857";

fn write_secret_row(store: &Store) {
    store
        .connection()
        .execute(
            "INSERT INTO messages (source, source_id, received_at, raw, sha256, outcome, quarantine_reason)
             VALUES ('import', ?1, '2026-11-22T10:00:00Z', ?2, 'x', 'quarantined', ?1)",
            rusqlite::params![SECRET, SECRET.as_bytes()],
        )
        .unwrap();
}

fn files_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn database_file_holds_no_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path().join("data"));
    let keys = MemoryKeys::default();
    {
        let store = Store::open(&data, &keys).unwrap();
        write_secret_row(&store);
        assert_eq!(store.document_counts().unwrap().quarantined, 1);
    } // closed: the WAL is checkpointed into the main file

    let files = files_bytes(data.path());
    assert!(!files.is_empty());
    let needle = SECRET.as_bytes();
    for (path, bytes) in &files {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{} holds the plaintext",
            path.display()
        );
    }
    let db = std::fs::read(data.database_path()).unwrap();
    assert!(db.len() >= 4096, "the database was written");
    assert!(
        !db.starts_with(b"SQLite format 3"),
        "the file has a plain SQLite header"
    );

    // Plain SQLite, with no key, cannot read it.
    let plain = Connection::open(data.database_path()).unwrap();
    let err = plain.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    });
    assert!(
        err.is_err(),
        "plain SQLite read the encrypted file: {err:?}"
    );
    drop(plain);

    // The right key reads the row back.
    let store = Store::open(&data, &keys).unwrap();
    let reason: String = store
        .connection()
        .query_row("SELECT quarantine_reason FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(reason, SECRET);
    assert_eq!(
        *keys.sets.borrow(),
        1,
        "the key is generated once, not replaced"
    );
}

#[test]
fn missing_key_is_a_clear_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path());
    let original = MemoryKeys::default();
    write_secret_row(&Store::open(&data, &original).unwrap());
    let before = files_bytes(data.path());

    let empty = MemoryKeys::default();
    let err = Store::open(&data, &empty)
        .err()
        .expect("opening without the key must fail");
    assert_eq!(err.code(), "database_key_missing");
    let msg = err.to_string();
    assert!(
        msg.contains("not in the OS keyring") && msg.contains("Nothing was changed"),
        "{msg}"
    );
    assert!(empty.entries.borrow().is_empty(), "no new key was stored");
    assert_eq!(
        files_bytes(data.path()),
        before,
        "the database files are untouched"
    );
}

#[test]
fn wrong_key_is_a_clear_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path());
    let original = MemoryKeys::default();
    write_secret_row(&Store::open(&data, &original).unwrap());
    let before = files_bytes(data.path());

    let wrong = MemoryKeys::default();
    let account = DataDir::keyring_account(&data.path().canonicalize().unwrap());
    let wrong_hex = DbKey::generate().to_hex().to_string();
    wrong
        .entries
        .borrow_mut()
        .insert(account.clone(), wrong_hex.clone());
    let err = Store::open(&data, &wrong)
        .err()
        .expect("a wrong key must not open the database");
    assert_eq!(err.code(), "database_key_mismatch");
    assert!(err.to_string().contains("does not open the database"));
    assert_eq!(
        wrong.entries.borrow().get(&account),
        Some(&wrong_hex),
        "the key was not replaced"
    );
    assert_eq!(*wrong.sets.borrow(), 0);
    assert_eq!(
        files_bytes(data.path()),
        before,
        "the database files are untouched"
    );

    // And the explicit-key path says the same.
    let err = Store::open_with_key(&data.database_path(), &DbKey::generate())
        .err()
        .unwrap();
    assert_eq!(err.code(), "database_key_mismatch");
}

#[test]
fn unavailable_keyring_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path());
    let keys = MemoryKeys {
        fail: Some("no Secret Service on the bus"),
        ..Default::default()
    };
    let err = Store::open(&data, &keys).err().unwrap();
    assert_eq!(err.code(), "keyring_unavailable");
    assert!(err.to_string().contains("no Secret Service on the bus"));
    assert!(!data.database_path().exists(), "no database without a key");
}

#[test]
fn a_keyring_that_forgets_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path());
    let keys = MemoryKeys {
        forgetful: true,
        ..Default::default()
    };
    let err = Store::open(&data, &keys).err().unwrap();
    assert_eq!(err.code(), "keyring_not_persistent");
    assert!(!data.database_path().exists());
}

#[test]
fn a_plain_sqlite_file_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path());
    {
        let plain = Connection::open(data.database_path()).unwrap();
        plain
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let before = std::fs::read(data.database_path()).unwrap();
    let keys = MemoryKeys::default();
    let account = DataDir::keyring_account(&data.path().canonicalize().unwrap());
    keys.entries
        .borrow_mut()
        .insert(account, DbKey::generate().to_hex().to_string());
    let err = Store::open(&data, &keys).err().unwrap();
    assert_eq!(err.code(), "database_not_encrypted");
    assert_eq!(std::fs::read(data.database_path()).unwrap(), before);
}

#[test]
fn fresh_store_is_migrated_and_reports_status() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path().join("nested/dir"));
    let store = Store::open(&data, &MemoryKeys::default()).unwrap();
    let status = store.status().unwrap();
    assert_eq!(status.schema_version, schema::latest_version());
    assert_eq!(status.encryption, "sqlcipher");
    assert!(
        status.cipher_version.starts_with('4'),
        "{}",
        status.cipher_version
    );
    assert_eq!(status.keyring_backend, "memory");
    assert_eq!(status.documents, DocumentCounts::default());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.path()).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o700,
            "the data directory is private to its owner"
        );
    }
}

#[test]
fn a_failing_migration_leaves_the_schema_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("m.db");
    let key = DbKey::generate();
    let (mut conn, _) = create_new(&path, &key).unwrap();
    let good = "CREATE TABLE a (x INTEGER);";
    let bad = "CREATE TABLE b (x INTEGER); INSERT INTO no_such_table VALUES (1);";
    schema::migrate_with(&mut conn, &path, &[good]).unwrap();
    assert!(schema::migrate_with(&mut conn, &path, &[good, bad]).is_err());
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);
    let b_exists: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'b'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(b_exists, 0, "the half-applied migration was rolled back");

    let err = schema::migrate_with(&mut conn, &path, &[]).err().unwrap();
    assert_eq!(err.code(), "schema_too_new");
}

#[test]
fn keys_round_trip_through_hex_and_never_print() {
    let key = DbKey::generate();
    assert_eq!(key.to_hex().len(), 64);
    assert_eq!(DbKey::from_hex(&key.to_hex()), Some(key.clone()));
    assert_eq!(DbKey::from_hex("not hex"), None);
    assert_eq!(format!("{key:?}"), "DbKey(<redacted>)");
    assert_ne!(DbKey::generate(), key);
}

#[test]
fn the_workflow_migration_keeps_every_document_its_id_status_and_references() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("m.db");
    let key = DbKey::generate();
    let (mut conn, _) = create_new(&path, &key).unwrap();
    // A store as the previous release left it (schema 7), with documents in every old status,
    // one superseded, and rows that refer to documents.
    schema::migrate_with(&mut conn, &path, &schema::MIGRATIONS[..7]).unwrap();
    conn.execute_batch(
        "INSERT INTO messages (id, source, mailbox, source_id, received_at, raw, sha256, outcome)
             VALUES (1, 'folder', 'F', 'a', '2026-11-01T10:00:00Z', x'00', 'h1', 'stored'),
                    (2, 'folder', 'F', 'b', '2026-11-02T10:00:00Z', x'00', 'h2', 'stored'),
                    (3, 'folder', 'F', 'c', '2026-11-03T10:00:00Z', x'00', 'h3', 'stored');
         INSERT INTO documents (id, message_id, kind, received_at, status, nhs_number, version)
             VALUES (7, 1, 'inpatient-discharge', '2026-11-01T10:00:00Z', 'filed', '9990000018', 3),
                    (8, 2, 'outpatient-letter', '2026-11-02T10:00:00Z', 'needs-action', NULL, 2),
                    (12, 3, 'inpatient-discharge', '2026-11-03T10:00:00Z', 'new', NULL, 1);
         UPDATE documents SET superseded_by = 12 WHERE id = 7;
         INSERT INTO document_models (document_id, model) VALUES (7, '{}'), (8, '{}'), (12, '{}');
         INSERT INTO document_issues (document_id, kind, detail, created_at)
             VALUES (8, 'identifier-conflict', 'x', '2026-11-02T10:00:00Z');",
    )
    .unwrap();
    schema::migrate(&mut conn, &path).unwrap();
    let rows: Vec<(i64, String, i64, Option<i64>, String)> = conn
        .prepare(
            "SELECT id, status, version, superseded_by, match_state FROM documents ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (7, "filed".into(), 3, Some(12), "unchecked".into()),
            (8, "needs-action".into(), 2, None, "unchecked".into()),
            (12, "new".into(), 1, None, "unchecked".into()),
        ]
    );
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(dangling, 0);
    // The new lanes are accepted; the indexes of earlier migrations are there again.
    conn.execute(
        "UPDATE documents SET status = 'unmatched' WHERE id = 12",
        [],
    )
    .unwrap();
    for index in [
        "documents_status_kind",
        "documents_kind_sender",
        "documents_received",
    ] {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
                [index],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "{index}");
    }
}

#[test]
fn the_reconciliation_clock_migration_keeps_tasks_and_starts_the_clock_where_it_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("m.db");
    let key = DbKey::generate();
    let (mut conn, _) = create_new(&path, &key).unwrap();
    // A store at schema 9 with a delegated action's task, and documents with and without
    // medicines, one signed off and one superseded.
    schema::migrate_with(&mut conn, &path, &schema::MIGRATIONS[..9]).unwrap();
    conn.execute_batch(
        r#"INSERT INTO messages (id, source, mailbox, source_id, received_at, raw, sha256, outcome)
             VALUES (1, 'folder', 'F', 'a', '2026-11-01T10:00:00Z', x'00', 'h1', 'stored');
         INSERT INTO documents (id, message_id, kind, received_at, status, flags, workflow)
             VALUES (1, 1, 'inpatient-discharge', '2026-11-01T10:00:00Z', 'new', '{"medications": 3}', '{}'),
                    (2, 1, 'inpatient-discharge', '2026-11-01T10:00:00Z', 'new', '{"medications": 0}', '{}'),
                    (3, 1, 'inpatient-discharge', '2026-11-01T10:00:00Z', 'filed', '{"medications": 2}',
                        '{"medrec_signed_off": {"by": "P", "role": "pharmacist", "at": "2026-11-02T10:00:00Z"}}'),
                    (4, 1, 'inpatient-discharge', '2026-11-01T10:00:00Z', 'superseded', '{"medications": 2}', '{}'),
                    (5, 1, 'inpatient-discharge', '2026-11-01T10:00:00Z', 'filed', '{"medications": 2}', '{"legacy": true}');
         INSERT INTO tasks (document_id, action_index, text, assignee_user, due_date, status,
                            created_at, created_by)
             VALUES (1, 2, 'Review bloods', 'Cal', '2026-11-08', 'open', '2026-11-01T11:00:00Z', 'Alex');"#,
    )
    .unwrap();
    schema::migrate(&mut conn, &path).unwrap();
    let open: Vec<(i64, i64, bool)> = conn
        .prepare("SELECT id, medrec_open, json_extract(flags, '$.medrec_open') FROM documents ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // Document 5 was stored before the workflow existed: dealt with outside Handover.
    assert_eq!(
        open,
        vec![
            (1, 1, true),
            (2, 0, false),
            (3, 0, false),
            (4, 0, false),
            (5, 0, false)
        ]
    );
    let task: (i64, i64, String, String, String) = conn
        .query_row(
            "SELECT document_id, action_index, medrec_row, text, status FROM tasks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        task,
        (1, 2, String::new(), "Review bloods".into(), "open".into())
    );
}
