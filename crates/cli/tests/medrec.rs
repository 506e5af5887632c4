//! `handover medrec diff` on generated documents and the practice lists `handover fixtures`
//! writes for their patients: every line of both lists in exactly one row, indices that point
//! at the right lines.

use std::collections::HashSet;
use std::process::Command;

fn handover(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(args)
        .output()
        .expect("run handover")
}

#[test]
fn every_document_against_its_patients_practice_list() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("messages");
    let lists = tmp.path().join("lists.csv");
    let made = handover(&[
        "fixtures",
        "--count",
        "12",
        "--seed",
        "4",
        "--out",
        out.to_str().unwrap(),
        "--practice-lists",
        lists.to_str().unwrap(),
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let csv = std::fs::read_to_string(&lists).unwrap();
    let rows_in_file: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let mut checked = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let inspected = handover(&["inspect", "--json", path.to_str().unwrap()]);
        let model: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
        let meds = model["medications"].as_array().cloned().unwrap_or_default();
        if meds.is_empty() {
            continue;
        }
        let nhs = model["patient"]["nhs_number"].as_str().unwrap().to_string();
        let result = handover(&[
            "medrec",
            "diff",
            "--document",
            path.to_str().unwrap(),
            "--practice-list",
            lists.to_str().unwrap(),
            "--json",
        ]);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        let diff: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
        let rows = diff["rows"].as_array().unwrap();
        let discharge: Vec<u64> = rows
            .iter()
            .filter_map(|r| r["discharge_index"].as_u64())
            .collect();
        assert_eq!(discharge.len(), meds.len());
        assert_eq!(discharge.iter().collect::<HashSet<_>>().len(), meds.len());
        let practice: Vec<u64> = rows
            .iter()
            .filter_map(|r| r["practice_index"].as_u64())
            .collect();
        let mine = rows_in_file.iter().filter(|r| r[0] == nhs).count();
        assert_eq!(
            practice.len(),
            mine,
            "every practice line of this patient, once"
        );
        for j in &practice {
            assert_eq!(
                rows_in_file[*j as usize][0], nhs,
                "a practice index names this patient's row"
            );
        }
        for r in rows {
            for key in [
                "category",
                "discharge_index",
                "practice_index",
                "basis",
                "flags",
            ] {
                assert!(r.get(key).is_some(), "{key} in {r}");
            }
            if let (Some(i), Some(j)) =
                (r["discharge_index"].as_u64(), r["practice_index"].as_u64())
            {
                // A pair is one medicine: its drug name is the same on both sides.
                let left = meds[i as usize]["name"].as_str().unwrap().to_lowercase();
                let right = rows_in_file[j as usize][2].to_lowercase();
                let drug = right.split_whitespace().next().unwrap();
                assert!(left.contains(drug), "{left} paired with {right}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 6, "{checked} documents");
}
