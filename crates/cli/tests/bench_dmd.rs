//! `handover bench dmd` at a small size: it generates, reads and imports a release and says so.

use std::process::Command;

#[test]
fn bench_dmd_reads_and_imports_a_generated_release() {
    let out = Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(["bench", "dmd", "--amps", "3000", "--json"])
        .output()
        .expect("run handover");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        (&v["amp"], &v["vmp"], &v["vtm"]),
        (&3000.into(), &500.into(), &81.into()),
        "{v}"
    );
    assert!(v["previous_codes"].as_u64().unwrap() > 0, "{v}");
    assert!(v["files_mb"]["f_amp2"].as_f64().unwrap() > 1.0, "{v}");
    for figure in ["read_seconds", "import_seconds", "database_mb"] {
        assert!(v[figure].is_number(), "{figure}: {v}");
    }
}

#[test]
fn bench_dmd_reads_a_release_of_ones_own() {
    let release = concat!(env!("CARGO_MANIFEST_DIR"), "/../medrec/tests/dmd");
    let out = Command::new(env!("CARGO_BIN_EXE_handover"))
        .args(["bench", "dmd", "--dir", release, "--json"])
        .output()
        .expect("run handover");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["input"], release, "{v}");
    assert_eq!(v["amp"], 22, "{v}");
    assert!(v["import_seconds"].is_number(), "{v}");
}
