//! `handover serve` against NHS's mesh-sandbox, with NHS's Python mesh-client as the hospital:
//! a puller that crashes right after its commit leaves the messages on MESH; the next round
//! acknowledges them without storing them again and sends each response once, so the hospital
//! gets exactly one 20013 per message and nothing is left in the practice's mailbox.

#[path = "../../inbox/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use handover_mesh::testing::{Sandbox, PASSWORD as MESH_PASSWORD, SHARED_KEY};
use handover_practice::connect;
use handover_practice::testing::Cluster;
use support::*;

const PASSWORD: &str = "correct horse battery";

fn serve(sb: &Sandbox, cluster: &Cluster, holder: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
    cmd.args([
        "serve",
        "--once",
        "--json",
        "--holder",
        holder,
        "--lease-ms",
        "500",
    ])
    .env(
        "HANDOVER_PRACTICE_DATABASE",
        cluster.url("puller_a", PASSWORD),
    )
    .env("HANDOVER_MESH_URL", &sb.url)
    .env("HANDOVER_MESH_MAILBOX", PRACTICE)
    .env("HANDOVER_MESH_PASSWORD", MESH_PASSWORD)
    .env("HANDOVER_MESH_SHARED_KEY", SHARED_KEY)
    .env_remove("HANDOVER_MAILBOX_DIR")
    .env_remove("HANDOVER_TEST_HOLD_BEFORE_COMMIT")
    .env_remove("HANDOVER_TEST_CRASH_AFTER_COMMIT")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

#[test]
fn serve_over_mesh_survives_a_crash_between_commit_and_acknowledgement() {
    let sb = Sandbox::start();
    let cluster = Cluster::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let su = rt.block_on(async {
        let mut su = connect(&cluster.superuser_url()).await.unwrap();
        su.init("PRC1", "Riverside Surgery").await.unwrap();
        su.add_user("PRC1", "puller_a", "puller", PASSWORD)
            .await
            .unwrap();
        su
    });
    let count = |sql: &str| -> i64 { rt.block_on(su.client().query_one(sql, &[])).unwrap().get(0) };

    let messages = toc_messages(6, 5, true);
    let sent = hospital_sends(&sb, &messages);
    let n = sent.len() as i64;

    // Crashes right after its first commit: stored on the server, still waiting on MESH.
    let out = serve(&sb, &cluster, "host-a")
        .env("HANDOVER_TEST_CRASH_AFTER_COMMIT", "1")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count("SELECT count(*) FROM handover.messages"), n);
    assert_eq!(
        inbox_of(&sb, PRACTICE).len(),
        sent.len(),
        "nothing acknowledged"
    );
    assert!(hospital_receives(&sb).is_empty(), "nothing sent");

    // The crashed puller's lease runs out; the next round finishes the work.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let out = serve(&sb, &cluster, "host-a2").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["downloaded"], 0, "{summary}");
    assert_eq!(summary["already_stored"], n);
    assert_eq!(summary["acknowledged"], n);
    assert_eq!(summary["responses_sent"], n);
    assert!(inbox_of(&sb, PRACTICE).is_empty(), "nothing left on MESH");
    assert_eq!(count("SELECT count(*) FROM handover.messages"), n);
    assert_eq!(count("SELECT count(*) FROM handover.documents"), n);
    assert_eq!(
        count("SELECT count(*) FROM handover.messages WHERE acknowledged_at IS NULL"),
        0
    );

    // Exactly one response per message, each "received" (20013), correlated to it.
    let received = hospital_receives(&sb);
    let mut per_message: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &received {
        per_message
            .entry(r.original_message_id.clone())
            .or_default()
            .push(r.code.clone());
    }
    assert_eq!(received.len(), messages.len(), "{per_message:?}");
    for m in &messages {
        assert_eq!(
            per_message.get(&itk_message_id(&m.bytes)),
            Some(&vec!["20013".to_string()])
        );
    }
}
