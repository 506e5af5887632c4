//! `handover mailbox add|test` and `handover sync --once` against NHS's mesh-sandbox, through
//! the real binary and the real OS keyring (run inside scripts/with-keyring.sh).

#[path = "../../inbox/tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use handover_mesh::testing::{Sandbox, PASSWORD, SHARED_KEY};
use handover_store::{
    mesh_password_account, mesh_shared_key_account, DataDir, KeyStore, OsKeyring, Store,
};
use support::*;

fn handover(data_dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
    cmd.args(args)
        .env("HANDOVER_DATA_DIR", data_dir)
        .env_remove("HANDOVER_MESH_URL")
        .env_remove("HANDOVER_MESH_MAILBOX")
        .env_remove("HANDOVER_MESH_PASSWORD")
        .env_remove("HANDOVER_MESH_SHARED_KEY")
        .env_remove("HANDOVER_MAILBOX_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run handover");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn mailbox_add_then_test_then_sync_from_stored_settings() {
    let sb = Sandbox::start();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // A unique mailbox id per run would not exist on the sandbox; the keyring is private to
    // the test session, so the accounts are this test's.
    let sent = hospital_sends(&sb, &toc_messages(3, 17, true));

    // Wrong password: refused before anything is saved.
    let answers = format!(
        "{}\n{PRACTICE}\n\n\n\nwrong-password\n{SHARED_KEY}\n",
        sb.url
    );
    let out = handover(&data, &["mailbox", "add"], &answers, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("handover: error [mesh_authentication]"),
        "{}",
        stderr(&out)
    );
    let out = handover(&data, &["mailbox", "test"], "", &[]);
    assert!(stderr(&out).contains("[no_mailbox]"), "{}", stderr(&out));

    // The right answers: saved, secrets in the keyring only.
    let answers = format!(
        "{}\n{}\n\n\n\n{PASSWORD}\n{SHARED_KEY}\n",
        sb.url,
        PRACTICE.to_lowercase()
    );
    let out = handover(&data, &["mailbox", "add"], &answers, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("handshake OK"), "{}", stderr(&out));
    assert_eq!(
        OsKeyring
            .get(&mesh_password_account(PRACTICE))
            .unwrap()
            .as_deref(),
        Some(PASSWORD)
    );
    assert_eq!(
        OsKeyring
            .get(&mesh_shared_key_account(&sb.url))
            .unwrap()
            .as_deref(),
        Some(SHARED_KEY)
    );
    {
        let store = Store::open(&DataDir::new(&data), &OsKeyring).unwrap();
        let settings = store.mesh_settings().unwrap().unwrap();
        assert_eq!(settings.mailbox, PRACTICE);
        assert_eq!(settings.url, sb.url);
        let mut stmt = store
            .connection()
            .prepare("SELECT value FROM app_meta")
            .unwrap();
        let values: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            !values
                .iter()
                .any(|v| v.contains(PASSWORD) || v.contains(SHARED_KEY)),
            "no secret in the database: {values:?}"
        );
    }

    let out = handover(&data, &["mailbox", "test", "--json"], "", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["waiting"], 3);
    assert_eq!(report["mailbox"]["mailbox"], PRACTICE);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PASSWORD));

    // The environment overrides stored settings: a wrong password there fails clearly, and
    // acknowledges nothing.
    let out = handover(
        &data,
        &["sync", "--once", "--json"],
        "",
        &[
            ("HANDOVER_MESH_URL", &sb.url),
            ("HANDOVER_MESH_MAILBOX", PRACTICE),
            ("HANDOVER_MESH_PASSWORD", "wrong"),
            ("HANDOVER_MESH_SHARED_KEY", SHARED_KEY),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("handover: error [mesh_authentication]")
            && stderr(&out).contains("Invalid Authentication Token"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(inbox_of(&sb, PRACTICE).len(), 3);

    // Stored settings: sync takes everything.
    let out = handover(&data, &["sync", "--once", "--json"], "", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["downloaded"], 3);
    assert_eq!(summary["stored"], 3);
    assert_eq!(summary["duplicates"], 0);
    assert_eq!(summary["quarantined"], 0);
    assert_eq!(summary["acknowledged"], 3);
    assert_eq!(summary["responses_sent"], 3);
    assert!(inbox_of(&sb, PRACTICE).is_empty());
    assert_eq!(hospital_receives(&sb).len(), 3);

    let out = handover(&data, &["list", "--json"], "", &[]);
    let docs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<&str> = docs
        .iter()
        .map(|d| d["mesh_message_id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut sent: Vec<&str> = sent.iter().map(String::as_str).collect();
    sent.sort();
    assert_eq!(ids, sent);

    let out = handover(&data, &["status"], "", &[]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mailboxes = status["mailboxes"].as_array().unwrap();
    let practice = mailboxes.iter().find(|m| m["mailbox"] == PRACTICE).unwrap();
    assert_eq!(practice["health"], "online");
}

#[test]
fn sync_against_an_unknown_mailbox_fails_clearly() {
    let sb = Sandbox::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = handover(
        &tmp.path().join("data"),
        &["sync", "--once"],
        "",
        &[
            ("HANDOVER_MESH_URL", &sb.url),
            ("HANDOVER_MESH_MAILBOX", "X26ZZZ9"),
            ("HANDOVER_MESH_PASSWORD", PASSWORD),
            ("HANDOVER_MESH_SHARED_KEY", SHARED_KEY),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("handover: error [mesh_unknown_mailbox]"),
        "{}",
        stderr(&out)
    );
    // Incomplete environment settings are refused with the names of what is missing.
    let out = handover(
        &tmp.path().join("data"),
        &["sync", "--once"],
        "",
        &[("HANDOVER_MESH_URL", &sb.url)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("[mesh_config_incomplete]")
            && stderr(&out).contains("HANDOVER_MESH_PASSWORD"),
        "{}",
        stderr(&out)
    );
}
