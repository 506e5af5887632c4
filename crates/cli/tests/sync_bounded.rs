//! A gzip bomb through a real MESH exchange (NHS's mesh-sandbox, NHS's mesh-client as the
//! hospital), synced by the real `handover` binary under an address-space limit far below what
//! the bomb inflates to: the message ends in quarantine, acknowledged and answered 20015, and
//! the process never needs the memory (run inside scripts/with-keyring.sh).

#[path = "../../inbox/tests/support/mod.rs"]
mod support;

use std::process::Command;

use handover_mesh::testing::{Sandbox, PASSWORD, SHARED_KEY};
use support::*;

/// What the bomb inflates to: 2 GiB of zeros (about 2 MB on the wire).
const BOMB_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// The sync's address space: 1.25 GiB, well below the bomb and well above a normal sync.
const ADDRESS_SPACE: u64 = 1280 * 1024 * 1024;

#[test]
fn a_gzip_bomb_is_quarantined_without_the_memory_to_inflate_it() {
    let sb = Sandbox::start();
    let mut bomb = Outgoing::new(vec![], "TOC_FHIR_IP_DISCH");
    bomb.gzip_bomb_bytes = Some(BOMB_BYTES);
    let mut messages = toc_messages(2, 31, true);
    messages.insert(1, bomb);
    let sent = hospital_sends(&sb, &messages);

    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("prlimit")
        .arg(format!("--as={ADDRESS_SPACE}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_handover"))
        .args(["sync", "--once", "--json"])
        .env("HANDOVER_DATA_DIR", tmp.path().join("data"))
        .env("HANDOVER_MESH_URL", &sb.url)
        .env("HANDOVER_MESH_MAILBOX", PRACTICE)
        .env("HANDOVER_MESH_PASSWORD", PASSWORD)
        .env("HANDOVER_MESH_SHARED_KEY", SHARED_KEY)
        // glibc reserves 64 MiB of address space per thread arena: keep that predictable.
        .env("MALLOC_ARENA_MAX", "2")
        .env_remove("HANDOVER_MAILBOX_DIR")
        .output()
        .expect("prlimit (util-linux) and handover run");
    assert!(
        out.status.success(),
        "sync under a {ADDRESS_SPACE} byte address space failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["downloaded"], 3, "{summary}");
    assert_eq!(summary["stored"], 2, "{summary}");
    assert_eq!(summary["quarantined"], 1, "{summary}");
    assert_eq!(summary["acknowledged"], 3, "{summary}");
    assert!(inbox_of(&sb, PRACTICE).is_empty(), "all acknowledged");
    let mut codes: Vec<String> = hospital_receives(&sb).into_iter().map(|r| r.code).collect();
    codes.sort();
    assert_eq!(codes, ["20013", "20013", "20015"]);

    // The quarantine holds the bomb as it arrived, with the reason; `handover list` the rest.
    let out = Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(["list", "--json"])
        .env("HANDOVER_DATA_DIR", tmp.path().join("data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(!listed
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["mesh_message_id"] == sent[1].as_str()));
}
