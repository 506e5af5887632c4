//! `handover practice connect` (issue 14): a desktop saves its practice server instead of
//! being given `HANDOVER_PRACTICE_DATABASE`, with the real binary, a real PostgreSQL 15 (a
//! throwaway cluster) and a real SQLCipher store whose key, and the saved password, are in the
//! OS keyring (run inside `scripts/with-keyring.sh`). A wrong password or a server that cannot
//! be reached saves nothing; a good one is saved without its password (which is nowhere in the
//! data directory), `sync --once` and `status` use it, the environment still overrides it,
//! another practice's server is refused for a cache already filled, and `disconnect` forgets
//! it.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use handover_practice::connect;
use handover_practice::testing::Cluster;

mod common;
use common::{text, PASSWORD};

fn handover(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
    cmd.args(args)
        .env("HANDOVER_DATA_DIR", data)
        .env("HANDOVER_PRACTICE_ODS", "Y99999")
        .env("HANDOVER_PRACTICE_NAME", "Riverside Surgery")
        .env_remove("HANDOVER_PRACTICE_DATABASE")
        .env_remove("HANDOVER_PRACTICE_PASSWORD")
        .env_remove("HANDOVER_MAILBOX_DIR")
        .env_remove("HANDOVER_MESH_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ok_json(out: Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

fn error_code(out: &Output) -> String {
    assert!(!out.status.success(), "should fail: {}", text(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .split('[')
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap_or_default()
        .to_string()
}

/// Every file under `dir`, read as bytes, as one lossy string (to look for a secret in).
fn everything_in(dir: &Path) -> String {
    let mut all = String::new();
    for entry in walk(dir) {
        all.push_str(&String::from_utf8_lossy(
            &std::fs::read(entry).unwrap_or_default(),
        ));
    }
    all
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_desktop_saves_its_practice_server_with_the_password_in_the_keyring() {
    let cluster = Cluster::start();
    let other = Cluster::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut su = connect(&cluster.superuser_url()).await.unwrap();
        su.init("PRC1", "Riverside Surgery").await.unwrap();
        su.add_user("PRC1", "puller_a", "puller", PASSWORD)
            .await
            .unwrap();
        su.add_user("PRC1", "gp_one", "gp", PASSWORD).await.unwrap();
        let mut su2 = connect(&other.superuser_url()).await.unwrap();
        su2.init("PRC2", "Hillside Practice").await.unwrap();
        su2.add_user("PRC2", "gp_one", "gp", PASSWORD)
            .await
            .unwrap();
    });
    let tmp = tempfile::tempdir().unwrap();
    // The practice's puller stores three documents on the server.
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for f in handover_fixtures::generate(3, 5) {
        std::fs::write(inbox.join(&f.file_name), &f.bytes).unwrap();
    }
    let served = ok_json(handover(
        &tmp.path().join("server-side"),
        &[
            "serve",
            "--once",
            "--json",
            "--holder",
            "host-a",
            "--folder",
            inbox.to_str().unwrap(),
        ],
        &[(
            "HANDOVER_PRACTICE_DATABASE",
            &cluster.url("puller_a", PASSWORD),
        )],
    ));
    let stored = served["stored"].as_u64().unwrap();
    assert_eq!(stored, 3, "{served}");

    let data = tmp.path().join("desktop");
    let bare = format!("postgres://gp_one@127.0.0.1:{}/postgres", cluster.port());
    let password_file = tmp.path().join("password");

    // A wrong password: refused by the server, nothing saved.
    std::fs::write(&password_file, "not the password\n").unwrap();
    let out = handover(
        &data,
        &[
            "practice",
            "connect",
            &bare,
            "--password-file",
            password_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        error_code(&out),
        "practice_authentication",
        "{}",
        text(&out)
    );
    let status = ok_json(handover(&data, &["status"], &[]));
    assert!(status["practice"].is_null(), "nothing saved: {status}");

    // A server that cannot be reached: nothing saved either.
    let nowhere = "postgres://gp_one@127.0.0.1:1/postgres";
    let out = handover(
        &data,
        &["practice", "connect", nowhere],
        &[("HANDOVER_PRACTICE_PASSWORD", PASSWORD)],
    );
    assert_eq!(error_code(&out), "practice_unreachable", "{}", text(&out));

    // The right password: saved, without it.
    let check = ok_json(handover(
        &data,
        &["practice", "connect", &bare, "--json"],
        &[("HANDOVER_PRACTICE_PASSWORD", PASSWORD)],
    ));
    assert_eq!(check["practice_id"], "PRC1");
    assert_eq!(check["practice_name"], "Riverside Surgery");
    assert_eq!(
        check["address"],
        format!("gp_one@127.0.0.1:{}/postgres", cluster.port())
    );
    // `sync --once` and `status` use it, with no HANDOVER_PRACTICE_DATABASE.
    let pulled = ok_json(handover(&data, &["sync", "--once", "--json"], &[]));
    assert_eq!(pulled["documents_stored"], 3, "{pulled}");
    let status = ok_json(handover(&data, &["status"], &[]));
    assert_eq!(status["practice"]["configured"], true, "{status}");
    assert_eq!(status["practice"]["practice_id"], "PRC1", "{status}");
    let rows = ok_json(handover(&data, &["list", "--json"], &[]));
    assert_eq!(rows.as_array().unwrap().len(), 3);
    // The password is in the keyring, never in the data directory (the store is encrypted,
    // but it is not kept there at all).
    assert!(!everything_in(&data).contains(PASSWORD));
    assert!(!status.to_string().contains(PASSWORD));

    // The environment overrides the saved server: here, a server that cannot be reached.
    let out = handover(
        &data,
        &["sync", "--once", "--json"],
        &[("HANDOVER_PRACTICE_DATABASE", nowhere)],
    );
    assert_eq!(error_code(&out), "practice_unreachable", "{}", text(&out));

    // Another practice's server is refused for this cache (its records came from PRC1).
    let elsewhere = format!("postgres://gp_one@127.0.0.1:{}/postgres", other.port());
    let out = handover(
        &data,
        &["practice", "connect", &elsewhere],
        &[("HANDOVER_PRACTICE_PASSWORD", PASSWORD)],
    );
    assert_eq!(
        error_code(&out),
        "practice_server_changed",
        "{}",
        text(&out)
    );
    let pulled = ok_json(handover(&data, &["sync", "--once", "--json"], &[]));
    assert_eq!(
        pulled["practice_id"], "PRC1",
        "still the first server: {pulled}"
    );

    // Disconnect: the desktop works alone again, keeping its records.
    let out = handover(&data, &["practice", "disconnect"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let status = ok_json(handover(&data, &["status"], &[]));
    assert_eq!(status["practice"]["configured"], false, "{status}");
    let rows = ok_json(handover(&data, &["list", "--json"], &[]));
    assert_eq!(rows.as_array().unwrap().len(), 3, "the records stay");
}
