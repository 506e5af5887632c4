//! `contrib/systemd/handover-serve.service`: it says what README.md says it does, and
//! `systemd-analyze verify` accepts it (with `ExecStart` pointing at the binary under test, as
//! verify checks that the command exists). Machines without systemd skip the verify part, and
//! say so.

use std::path::Path;
use std::process::Command;

fn unit() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contrib/systemd/handover-serve.service");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_service_unit_runs_serve_as_a_hardened_service() {
    let unit = unit();
    let lines: Vec<&str> = unit
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    for wanted in [
        "User=handover",
        "EnvironmentFile=/etc/handover/serve.env",
        "ExecStart=/usr/bin/handover serve",
        "Restart=always",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "WantedBy=multi-user.target",
    ] {
        assert!(lines.contains(&wanted), "{wanted} missing");
    }
    // A looping puller (never --once: systemd restarts a process that exits).
    assert!(!unit.contains("--once"));
}

#[test]
fn systemd_analyze_verify_accepts_the_service_unit() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: systemd-analyze is not installed on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("handover-serve.service");
    std::fs::write(
        &file,
        unit().replace("/usr/bin/handover", env!("CARGO_BIN_EXE_handover")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // verify only warns (status 0) about unknown keys and values it cannot parse: any word
    // about this unit is a failure.
    let about_it: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("handover-serve.service"))
        .collect();
    assert!(
        out.status.success() && about_it.is_empty(),
        "systemd-analyze verify: {:?}\n{stderr}",
        out.status
    );
}
