//! `handover status` against the real OS keyring (Secret Service on Linux).
//!
//! Needs a keyring: `make test` runs the Rust tests inside a private D-Bus session with an
//! unlocked gnome-keyring (scripts/with-keyring.sh). Run alone, these tests fail with the
//! keyring's own error rather than pass vacuously.

use std::path::Path;
use std::process::Command;

fn handover(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(args)
        .env("HANDOVER_DATA_DIR", data_dir)
        .output()
        .expect("run handover")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "handover failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("status prints JSON")
}

#[test]
fn status_creates_an_encrypted_store_with_its_key_in_the_os_keyring() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("handover-data");

    let first = json(&handover(&dir, &["status"]));
    assert_eq!(first["encryption"], "sqlcipher");
    assert_eq!(first["keyring_backend"], "secret-service");
    assert_eq!(
        first["schema_version"],
        handover_store::schema::latest_version()
    );
    assert_eq!(first["documents"]["total"], 0);
    let canonical = dir.canonicalize().unwrap();
    assert_eq!(first["data_dir"], canonical.display().to_string());
    let db = canonical.join("handover.db");
    assert!(db.exists());
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));

    // A second run finds the key in the keyring and opens the same database.
    let second = json(&handover(&dir, &["status"]));
    assert_eq!(second["database"], first["database"]);

    // The key is nowhere in the data directory.
    for entry in std::fs::read_dir(&canonical).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_lowercase();
        assert!(
            !text.contains("database-key"),
            "{} mentions the key",
            path.display()
        );
    }

    // Plain SQLite (the sqlite3 shell, no key) cannot read it.
    if let Ok(out) = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT count(*) FROM sqlite_master;")
        .output()
    {
        assert!(
            !out.status.success()
                || String::from_utf8_lossy(&out.stderr).contains("not a database"),
            "sqlite3 read the database: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn status_without_the_key_fails_clearly_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // A database that is present but whose key was never put in this keyring: an encrypted
    // file made with a key the keyring does not know.
    let dir = tmp.path().join("copied-from-elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("handover.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(
            None,
            "key",
            "x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'",
        )
        .unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES ('secret');")
            .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let out = handover(&dir, &["status"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database_key_missing"), "{stderr}");
    assert!(stderr.contains("Nothing was changed"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&db).unwrap(), before);
}
