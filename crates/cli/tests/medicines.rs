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
