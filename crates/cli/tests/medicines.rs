//! `handover dmd` and `handover medlist` against a real store (the OS keyring: run inside
//! scripts/with-keyring.sh, as `make test` does).

use std::path::Path;
use std::process::{Command, Output};

fn handover(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(args)
        .env("HANDOVER_DATA_DIR", data_dir)
        .output()
        .expect("run handover")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "handover failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn fails_with(out: &Output, code: &str) {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("[{code}]")), "{err}");
}

fn test_release() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../medrec/tests/dmd")
        .display()
        .to_string()
}

#[test]
fn dmd_import_and_lookup() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");

    fails_with(
        &handover(&dir, &["dmd", "lookup", "5884511000001100", "--json"]),
        "dmd_code_unknown",
    );
    fails_with(
        &handover(&dir, &["dmd", "import", "/no/such/release", "--json"]),
        "dmd_invalid",
    );

    let counts = json(&handover(
        &dir,
        &["dmd", "import", &test_release(), "--json"],
    ));
    assert_eq!(counts["release"], "3010126");
    assert_eq!(counts["release_date"], "2026-01-01");
    assert!(counts["vtm"].as_u64().unwrap() > 30, "{counts}");
    assert!(counts["vmp"].as_u64().unwrap() > 60, "{counts}");
    assert!(counts["amp"].as_u64().unwrap() > 15, "{counts}");
    assert!(counts["previous_codes"].as_u64().unwrap() >= 3, "{counts}");

    // An NHS example document's AMP, through its VMP to its VTM.
    let amp = json(&handover(
        &dir,
        &["dmd", "lookup", "5884511000001100", "--json"],
    ));
    assert_eq!(amp["kind"], "amp");
    assert_eq!(amp["vmp_name"], "Ramipril 2.5mg tablets");
    assert_eq!(amp["vtm_name"], "Ramipril");
    assert_eq!(amp["previous_code"], serde_json::Value::Null);
    // A previous code.
    let old = json(&handover(
        &dir,
        &["dmd", "lookup", "99014211000001102", "--json"],
    ));
    assert_eq!(old["code"], "5884511000001100");
    assert_eq!(old["previous_code"], "99014211000001102");
    fails_with(
        &handover(&dir, &["dmd", "lookup", "123456", "--json"]),
        "dmd_code_unknown",
    );

    // The real NHSBSA sample, when present, replaces the release whole.
    let sample = Path::new("/work/shared/reference/dmd-sample");
    if sample.join("f_vtm2_3260821.xml").exists() {
        let counts = json(&handover(
            &dir,
            &["dmd", "import", sample.to_str().unwrap(), "--json"],
        ));
        assert_eq!(
            (
                &counts["vtm"],
                &counts["vmp"],
                &counts["amp"],
                &counts["previous_codes"]
            ),
            (&1.into(), &2.into(), &3.into(), &2.into())
        );
        assert_eq!(counts["release_date"], "2021-08-26");
        let old = json(&handover(&dir, &["dmd", "lookup", "354303007", "--json"]));
        assert_eq!(old["name"], "Co-amilofruse");
        fails_with(
            &handover(&dir, &["dmd", "lookup", "5884511000001100", "--json"]),
            "dmd_code_unknown",
        );
    } else {
        eprintln!(
            "note: the dm+d sample is not at {}; skipped",
            sample.display()
        );
    }
}

#[test]
fn medlist_import_show_and_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let csv = tmp.path().join("lists.csv");
    std::fs::write(
        &csv,
        "nhs_number,code,name,dosage,route,type\n\
         9434765919,318901006,Ramipril 2.5mg capsules,One capsule once a day,Oral,repeat\n\
         9434765919,,\"Emollient cream, 500g\",Apply twice a day,Topical,acute\n\
         9434765870,319283006,Amlodipine 5mg tablets,One daily,Oral,repeat\n\
         1234567890,319283006,Amlodipine 5mg tablets,One daily,Oral,repeat\n",
    )
    .unwrap();

    fails_with(
        &handover(&dir, &["medlist", "show", "9434765919", "--json"]),
        "medication_list_not_found",
    );
    let out = json(&handover(
        &dir,
        &["medlist", "import", csv.to_str().unwrap(), "--json"],
    ));
    assert_eq!(out["patients"], 2);
    assert_eq!(out["lines"], 3);
    assert_eq!(out["rejected"][0]["line"], 5);
    assert!(out["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("not valid"));

    let list = json(&handover(
        &dir,
        &["medlist", "show", "943 476 5919", "--json"],
    ));
    assert_eq!(list["version"], 1);
    assert_eq!(list["source"], "import");
    assert_eq!(list["source_name"], "lists.csv");
    assert_eq!(list["lines"][1]["name"], "Emollient cream, 500g");
    assert_eq!(list["lines"][1]["type"], "acute");
    assert_eq!(list["lines"][1]["code"], serde_json::Value::Null);

    // A FHIR Bundle (JSON) makes version 2 for its patient.
    let bundle = tmp.path().join("record.json");
    std::fs::write(
        &bundle,
        r#"{"resourceType":"Bundle","type":"collection","entry":[
          {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}},
          {"resource":{"resourceType":"Medication","id":"m1","code":{"coding":[{"system":"http://snomed.info/sct","code":"318902004","display":"Ramipril 5mg capsules"}]}}},
          {"resource":{"resourceType":"MedicationStatement","status":"active","medicationReference":{"reference":"Medication/m1"},
            "subject":{"reference":"urn:uuid:p1"},"dosage":[{"text":"One capsule once a day","route":{"text":"Oral"}}]}}]}"#,
    )
    .unwrap();
    let out = json(&handover(
        &dir,
        &["medlist", "import", bundle.to_str().unwrap(), "--json"],
    ));
    assert_eq!((&out["patients"], &out["lines"]), (&1.into(), &1.into()));
    let list = json(&handover(
        &dir,
        &["medlist", "show", "9434765919", "--json"],
    ));
    assert_eq!(list["version"], 2);
    assert_eq!(list["lines"][0]["code"], "318902004");
    let first = json(&handover(
        &dir,
        &["medlist", "show", "9434765919", "--version", "1", "--json"],
    ));
    assert_eq!(first["lines"].as_array().unwrap().len(), 2);
    let versions = json(&handover(
        &dir,
        &["medlist", "versions", "9434765919", "--json"],
    ));
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[1]["lines"], 2);
    // Each import is in the audit trail, and the chain verifies.
    let events = json(&handover(&dir, &["audit", "list", "--json"]));
    let imports: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "medication_lists_imported")
        .collect();
    assert_eq!(imports.len(), 2, "{events}");
    assert_eq!(imports[0]["details"]["file"], "record.json", "newest first");
    assert_eq!(
        json(&handover(&dir, &["audit", "verify", "--json"]))["ok"],
        true
    );

    // A file that is not a list changes nothing.
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "nhs,code\n1,2\n").unwrap();
    fails_with(
        &handover(&dir, &["medlist", "import", bad.to_str().unwrap()]),
        "medication_list_invalid",
    );
    fails_with(
        &handover(&dir, &["medlist", "show", "12345", "--json"]),
        "invalid_argument",
    );
}

/// A reconciliation as IT staff or a script would run it: documents synced from a folder
/// mailbox, the practice lists imported, the reconciliation due, decided, signed off, exported
/// as FHIR and that export imported back as the practice list's next version.
#[test]
fn a_reconciliation_from_the_command_line_is_due_signed_off_exported_and_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let msgs = tmp.path().join("messages");
    let lists = tmp.path().join("lists.csv");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_handover"))
            .args(args)
            .env("HANDOVER_DATA_DIR", &dir)
            .env("HANDOVER_MAILBOX_DIR", &msgs)
            .env_remove("HANDOVER_MESH_URL")
            .env_remove("HANDOVER_USER")
            .output()
            .expect("run handover")
    };
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(
            out.status.success(),
            "handover {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let ok_json =
        |args: &[&str]| -> serde_json::Value { serde_json::from_str(&ok(args)).expect("JSON") };
    ok(&[
        "fixtures",
        "--count",
        "16",
        "--seed",
        "7",
        "--out",
        msgs.to_str().unwrap(),
        "--practice-lists",
        lists.to_str().unwrap(),
    ]);
    ok(&["sync", "--once", "--json"]);
    ok(&["user", "add", "Pat Pharmacist", "--role", "pharmacist"]);
    ok(&["medlist", "import", lists.to_str().unwrap(), "--json"]);
    let pat = ["--as", "Pat Pharmacist"];

    let due = ok_json(&["medrec", "due", "--json"]);
    let items = due["due"].as_array().unwrap();
    assert!(!items.is_empty(), "{due}");
    assert_eq!(due["total"].as_u64().unwrap() as usize, items.len());
    assert!(items
        .iter()
        .all(|d| d["overdue"] == false && d["due_by"].as_str().is_some_and(|s| s.len() == 10)));
    // A document whose patient has a practice list with lines in it.
    let id = items
        .iter()
        .map(|d| d["document_id"].as_i64().unwrap())
        .find(|id| {
            let v = ok_json(&["medrec", "show", &id.to_string(), "--json"]);
            v["practice_list"].is_object() && v["rows"].as_array().unwrap().len() >= 3
        })
        .expect("a reconciliation against a practice list");
    let ids = id.to_string();
    let view = ok_json(&["medrec", "show", &ids, "--json"]);
    let nhs = view["nhs_number"].as_str().unwrap().to_string();

    // Export before sign-off is refused: only a signed-off list leaves Handover as FHIR.
    let early = run(&["medrec", "export", &ids, "--as", "Pat Pharmacist"]);
    assert!(!early.status.success());
    assert!(String::from_utf8_lossy(&early.stderr).contains("not signed off"));

    let unchanged = view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "unchanged")
        .count();
    let confirmed = run(&[
        "medrec",
        "confirm-unchanged",
        &ids,
        pat[0],
        pat[1],
        "--json",
    ]);
    if unchanged > 0 {
        assert!(confirmed.status.success());
        let c: serde_json::Value = serde_json::from_slice(&confirmed.stdout).unwrap();
        assert_eq!(c["confirmed"].as_u64().unwrap() as usize, unchanged);
    } else {
        assert!(!confirmed.status.success());
    }
    let view = ok_json(&["medrec", "show", &ids, "--json"]);
    for r in view["rows"].as_array().unwrap() {
        if !r["decision"].is_null() {
            continue;
        }
        let key = r["key"].as_str().unwrap();
        if r["category"] == "omission" {
            ok(&[
                "medrec",
                "decide",
                &ids,
                key,
                "--choice",
                "query-hospital",
                "--note",
                "Stopped on purpose?",
                pat[0],
                pat[1],
            ]);
        } else {
            ok(&[
                "medrec",
                "decide",
                &ids,
                key,
                "--choice",
                "accept-hospital",
                "--intent",
                "intentional-documented",
                pat[0],
                pat[1],
            ]);
        }
    }
    ok(&["medrec", "sign-off", &ids, pat[0], pat[1], "--json"]);
    let due = ok_json(&["medrec", "due", "--json"]);
    assert!(due["due"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["document_id"] != id));

    let summary = ok(&["medrec", "summary", &ids, pat[0], pat[1]]);
    assert!(
        summary.starts_with("# Medicines reconciliation"),
        "{summary}"
    );
    assert!(summary.contains("Reconciled list (practice list version 2)"));
    let exported = tmp.path().join("reconciled.json");
    ok(&[
        "medrec",
        "export",
        &ids,
        "--out",
        exported.to_str().unwrap(),
        pat[0],
        pat[1],
    ]);
    let back = ok_json(&["medlist", "import", exported.to_str().unwrap(), "--json"]);
    assert_eq!(back["patients"], 1, "{back}");
    assert!(back["rejected"].as_array().unwrap().is_empty(), "{back}");
    let v2 = ok_json(&["medlist", "show", &nhs, "--version", "2", "--json"]);
    let v3 = ok_json(&["medlist", "show", &nhs, "--version", "3", "--json"]);
    let lines = |v: &serde_json::Value| v["lines"].clone();
    assert_eq!(
        lines(&v3),
        lines(&v2),
        "the export reads back line for line"
    );
    assert_eq!(v2["source"], "reconciliation");

    // The audit: each decision, the sign-off and both exports, under the pharmacist's name.
    let shown = ok_json(&["show", &ids, "--json"]);
    let exports: Vec<&serde_json::Value> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "medrec_exported")
        .collect();
    assert_eq!(exports.len(), 2, "{shown}");
    assert!(exports.iter().all(|e| e["actor"] == "Pat Pharmacist"));
    // The query to the hospital is the pharmacist's task.
    let tasks = ok(&["tasks", "list", pat[0], pat[1]]);
    if view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["category"] == "omission")
    {
        assert!(tasks.contains("Stopped on purpose?"), "{tasks}");
    }
}
