//! The `handover` command as a script would use it: fixtures, inspect, sync from a folder, list.
//! Runs the real binary; the store opens through the real OS keyring (see tests/status.rs).

use std::path::Path;
use std::process::{Command, Output};

fn handover(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(args)
        .env("HANDOVER_DATA_DIR", data_dir)
        .env_remove("HANDOVER_MESH_URL")
        .env_remove("HANDOVER_MAILBOX_DIR")
        .output()
        .expect("run handover")
}

fn ok_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "handover failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn fixtures_are_written_and_inspect_reads_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("fixtures");
    let out = handover(
        tmp.path(),
        &[
            "fixtures",
            "--count",
            "8",
            "--out",
            out_dir.to_str().unwrap(),
            "--seed",
            "3",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 8);

    let mut kinds = std::collections::BTreeSet::new();
    for file in &files {
        let v = ok_json(&handover(
            tmp.path(),
            &["inspect", file.to_str().unwrap(), "--json"],
        ));
        kinds.insert(v["kind"].as_str().unwrap().to_string());
        assert_eq!(v["patient"]["nhs_number_valid"], true, "{}", file.display());
        assert!(
            v["patient"]["nhs_number"]
                .as_str()
                .unwrap()
                .starts_with("999"),
            "test-range NHS numbers"
        );
        assert!(!v["sections"].as_array().unwrap().is_empty());
        assert!(v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["severity"] != "fatal"));
    }
    assert_eq!(kinds.len(), 4, "all four kinds: {kinds:?}");

    // The readable report names the patient and heads each section with its title.
    let first = ok_json(&handover(
        tmp.path(),
        &["inspect", files[0].to_str().unwrap(), "--json"],
    ));
    let text = handover(tmp.path(), &["inspect", files[0].to_str().unwrap()]);
    assert!(text.status.success());
    let report = String::from_utf8_lossy(&text.stdout);
    assert!(
        report.contains(first["patient"]["nhs_number"].as_str().unwrap()),
        "{report}"
    );
    for section in first["sections"].as_array().unwrap() {
        let title = section["title"].as_str().unwrap();
        assert!(
            // Unknown sections are headed "== Title (not recognised) ==".
            report.contains(&format!("== {title}")),
            "{title} in {report}"
        );
    }
}

#[test]
fn inspect_on_unreadable_input_exits_2_with_a_fatal_diagnostic() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.xml");
    std::fs::write(&junk, b"this is not FHIR at all").unwrap();
    let out = handover(tmp.path(), &["inspect", junk.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the JSON is still printed");
    let fatal: Vec<_> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "fatal")
        .collect();
    assert_eq!(fatal.len(), 1, "{v}");
    assert_eq!(fatal[0]["itk_code"], 10009);

    let missing = handover(tmp.path(), &["inspect", "/no/such/file.xml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("error [file_unreadable]"));
}

#[test]
fn sync_from_a_folder_then_list() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mailbox = tmp.path().join("mailbox");
    let out = handover(
        &data,
        &[
            "fixtures",
            "--count",
            "10",
            "--out",
            mailbox.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());

    let summary = ok_json(&handover(
        &data,
        &[
            "sync",
            "--once",
            "--folder",
            mailbox.to_str().unwrap(),
            "--json",
        ],
    ));
    for key in [
        "downloaded",
        "stored",
        "duplicates",
        "quarantined",
        "acknowledged",
        "responses_sent",
    ] {
        assert!(summary[key].is_u64(), "summary has {key}: {summary}");
    }
    assert_eq!(summary["downloaded"], 10);
    assert_eq!(summary["stored"], 10);
    assert_eq!(summary["acknowledged"], 10);

    let list = ok_json(&handover(&data, &["list", "--json"]));
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 10);
    for row in rows {
        for key in [
            "id",
            "kind",
            "nhs_number",
            "received_at",
            "status",
            "mesh_message_id",
        ] {
            assert!(row.get(key).is_some(), "row has {key}: {row}");
        }
        // Without a practice register nothing is matched, so nothing waits in Unmatched: each
        // document is New, or Needs GP review (mental health discharges and the like), or
        // Superseded.
        // A document a later version replaced is Superseded.
        let lane = row["status"].as_str().unwrap();
        if row["superseded_by"].is_null() {
            assert!(lane == "new" || lane == "needs-gp-review", "{row}");
        } else {
            assert_eq!(lane, "superseded");
        }
        if row["kind"] == "mental-health-discharge" {
            assert_eq!(lane, "needs-gp-review");
        }
        assert_eq!(row["match"], "unmatched");
        assert_eq!(row["match_state"], "unchecked");
        assert!(row["business_response"].is_null());
        assert!(
            row["mesh_message_id"].is_null(),
            "folder messages have no MESH id"
        );
    }

    let again = ok_json(&handover(
        &data,
        &[
            "sync",
            "--once",
            "--folder",
            mailbox.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(again["downloaded"], 0);
    let status = ok_json(&handover(&data, &["status"]));
    assert_eq!(status["documents"]["total"], 10);
    assert_eq!(status["mailboxes"][0]["health"], "online");

    let none = handover(&data, &["sync", "--once"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("error [no_mailbox]"));
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("msgs");
    let made = handover(
        tmp.path(),
        &["fixtures", "--count", "1", "--out", out.to_str().unwrap()],
    );
    assert!(made.status.success());
    let fixture = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // A narrative long enough (over a pipe's 64 KB buffer) that the command is still writing
    // when the reader goes.
    let xml = std::fs::read_to_string(&fixture).unwrap();
    let div = r#"xmlns="http://www.w3.org/1999/xhtml">"#;
    assert!(xml.contains(div));
    let long = format!("{div}<p>{}</p>", "long narrative ".repeat(20_000));
    let file = tmp.path().join("long.xml");
    std::fs::write(&file, xml.replacen(div, &long, 1)).unwrap();
    // `handover inspect --json FILE | head -1`: the reader goes after one line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(["inspect", "--json", file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim(), "{");
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(done.status.code(), Some(141), "{stderr}");
}
