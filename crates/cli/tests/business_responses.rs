//! ITK3 business responses end to end: the hospital (NHS's mesh-client) sends ToC documents to
//! the practice's mailbox on NHS's mesh-sandbox; the practice has imported its register with
//! `handover register import`; `handover sync --once` matches each document and the hospital's
//! mailbox receives 30001 (registered), 30003 (deducted), 30004 (died under six months ago),
//! 30002 (not known, grace period 0), and nothing for a message that did not ask or for a
//! birth date that disagrees (until a person matches it, with `handover match`). SIGKILL
//! during syncs never produces a second business response.
//!
//! Runs the real binary with the store opened through the OS keyring: run inside
//! scripts/with-keyring.sh (as `make test` does).

#[path = "../../inbox/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use handover_mesh::testing::{Sandbox, PASSWORD, SHARED_KEY};
use support::*;

fn handover(sb: &Sandbox, data_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
    cmd.args(args)
        .env("HANDOVER_DATA_DIR", data_dir)
        .env("HANDOVER_MESH_URL", &sb.url)
        .env("HANDOVER_MESH_MAILBOX", PRACTICE)
        .env("HANDOVER_MESH_PASSWORD", PASSWORD)
        .env("HANDOVER_MESH_SHARED_KEY", SHARED_KEY)
        .env("HANDOVER_UNMATCHED_GRACE_HOURS", "0")
        .env_remove("HANDOVER_MAILBOX_DIR")
        .env_remove("HANDOVER_USER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn ok(out: Output, what: &str) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

struct Patient {
    nhs: String,
    family: String,
    given: String,
    birth: String,
}

fn patient(bytes: &[u8]) -> Patient {
    let p = handover_toc::parse(bytes)
        .document
        .and_then(|d| d.patient)
        .unwrap();
    Patient {
        nhs: p.nhs_number.unwrap(),
        family: p.family.unwrap_or_default(),
        given: p.given.first().cloned().unwrap_or_default(),
        birth: p.birth_date.unwrap()[..10].to_string(),
    }
}

/// Business response codes the hospital received, by original ITK message id.
fn business_by_message(responses: &[Received]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::<String, Vec<String>>::new();
    for r in responses {
        if r.code.starts_with('3') {
            out.entry(r.original_message_id.clone())
                .or_default()
                .push(r.code.clone());
        }
    }
    out
}

#[test]
fn the_hospital_hears_whether_the_practice_knows_the_patient_once_per_message() {
    let sb = Sandbox::start();
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");

    // Distinct patients, first documents only (not replacements).
    let mut seen = std::collections::HashSet::new();
    let fixtures: Vec<_> = handover_fixtures::generate(60, 23)
        .into_iter()
        .filter(|f| f.replaces.is_none() && !f.hostile && seen.insert(f.nhs_number.clone()))
        .take(7)
        .collect();
    assert_eq!(fixtures.len(), 7);
    let people: Vec<Patient> = fixtures.iter().map(|f| patient(&f.bytes)).collect();

    let today = chrono::Utc::now().date_naive();
    let recently = (today - chrono::Duration::days(30)).to_string();
    let wrong_birth = {
        let b = &people[4].birth;
        let year: i32 = b[..4].parse().unwrap();
        format!("{}{}", year - 2, &b[4..])
    };
    // 0 registered, 1 deducted, 2 died a month ago, 3 not on the register, 4 another birth
    // date on the register, 5 registered but its message does not ask, 6 registered (for the
    // SIGKILL rounds below).
    let mut csv = String::from(
        "nhs_number,family_name,given_name,birth_date,gender,postcode,registration,deceased_date\n",
    );
    let row = |p: &Patient, birth: &str, reg: &str, died: &str| {
        format!(
            "{},{},{},{birth},unknown,LS1 4AP,{reg},{died}\n",
            p.nhs, p.family, p.given
        )
    };
    csv += &row(&people[0], &people[0].birth, "registered", "");
    csv += &row(&people[1], &people[1].birth, "deducted", "");
    csv += &row(&people[2], &people[2].birth, "deceased", &recently);
    csv += &row(&people[4], &wrong_birth, "registered", "");
    csv += &row(&people[5], &people[5].birth, "registered", "");
    csv += &row(&people[6], &people[6].birth, "registered", "");
    // And a bad row, reported and not imported.
    csv += "1234567890,Nobody,Bad,2001-01-01,unknown,,registered,\n";
    let register = tmp.path().join("register.csv");
    std::fs::write(&register, csv).unwrap();
    let imported = ok(
        handover(
            &sb,
            &data_dir,
            &["register", "import", register.to_str().unwrap(), "--json"],
        )
        .output()
        .unwrap(),
        "register import",
    );
    assert_eq!(imported["imported"], 6, "{imported}");
    assert_eq!(imported["updated"], 0, "{imported}");
    assert_eq!(
        imported["rejected"].as_array().unwrap().len(),
        1,
        "{imported}"
    );
    assert_eq!(imported["rejected"][0]["line"], 8, "{imported}");

    let outgoing = |i: usize, bus_ack: bool| {
        let f = &fixtures[i];
        let bytes = with_bus_ack(
            &with_inf_ack(&with_source_endpoint(&f.bytes, HOSPITAL), true),
            bus_ack,
        );
        Outgoing::new(bytes, workflow_for(f.kind))
    };
    let first: Vec<Outgoing> = (0..6).map(|i| outgoing(i, i != 5)).collect();
    hospital_sends(&sb, &first);
    ok(
        handover(&sb, &data_dir, &["sync", "--once", "--json"])
            .output()
            .unwrap(),
        "sync",
    );
    let responses = hospital_receives(&sb);
    let business = business_by_message(&responses);
    let id = |i: usize| itk_message_id(&first[i].bytes);
    assert_eq!(business.get(&id(0)), Some(&vec!["30001".to_string()]));
    assert_eq!(business.get(&id(1)), Some(&vec!["30003".to_string()]));
    assert_eq!(business.get(&id(2)), Some(&vec!["30004".to_string()]));
    assert_eq!(business.get(&id(3)), Some(&vec!["30002".to_string()]));
    assert_eq!(
        business.get(&id(4)),
        None,
        "birth date disagrees: a person decides first"
    );
    assert_eq!(business.get(&id(5)), None, "the message did not ask");
    // Each message also had its infrastructure acknowledgement.
    for i in 0..6 {
        assert!(
            responses
                .iter()
                .any(|r| r.original_message_id == id(i) && r.code == "20013"),
            "message {i}"
        );
    }
    // The business responses carry no patient data: no NHS number, name or birth date.
    {
        let store = handover_store::Store::open(
            &handover_store::DataDir::new(&data_dir),
            &handover_store::OsKeyring,
        )
        .unwrap();
        let bodies: Vec<Vec<u8>> = store
            .connection()
            .prepare("SELECT body FROM outbox WHERE kind = 'business'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(bodies.len(), 4);
        for body in &bodies {
            let text = String::from_utf8_lossy(body);
            for p in &people {
                assert!(!text.contains(&p.nhs), "NHS number in a business response");
                assert!(!text.contains(&p.family), "a name in a business response");
                assert!(
                    !text.contains(&p.birth),
                    "a birth date in a business response"
                );
            }
        }
    }

    // `handover list --json` says each document's match and business response.
    let list = ok(
        handover(&sb, &data_dir, &["list", "--json"])
            .output()
            .unwrap(),
        "list",
    );
    let rows = list.as_array().unwrap();
    let row_for = |nhs: &str| {
        rows.iter()
            .find(|r| r["nhs_number"] == nhs)
            .unwrap_or_else(|| panic!("{nhs} listed"))
            .clone()
    };
    assert_eq!(row_for(&people[0].nhs)["match"], "matched");
    assert_eq!(row_for(&people[0].nhs)["business_response"], "30001");
    assert_eq!(row_for(&people[3].nhs)["match"], "unmatched");
    assert_eq!(row_for(&people[3].nhs)["business_response"], "30002");
    assert_eq!(row_for(&people[4].nhs)["match"], "unmatched");
    assert!(row_for(&people[4].nhs)["business_response"].is_null());
    assert_eq!(row_for(&people[5].nhs)["match"], "matched");
    assert!(row_for(&people[5].nhs)["business_response"].is_null());

    // A person matches document 4 after checking; the next sync sends 30001.
    ok(
        handover(
            &sb,
            &data_dir,
            &["user", "add", "Alex Admin", "--role", "admin", "--json"],
        )
        .output()
        .unwrap(),
        "user add",
    );
    let doc4 = row_for(&people[4].nhs)["id"].as_i64().unwrap().to_string();
    let out = handover(
        &sb,
        &data_dir,
        &[
            "match",
            &doc4,
            "--as",
            "Alex Admin",
            "--reason",
            "birth year typo; phoned the ward",
            "--json",
        ],
    )
    .output()
    .unwrap();
    ok(out, "match");
    // Without a person, no step is taken.
    let out = handover(&sb, &data_dir, &["file", &doc4]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("[no_user]"));

    // SIGKILL rounds: the registered patient's document arrives; syncs are killed at random
    // moments, then a clean one finishes. Still exactly one business response per message.
    hospital_sends(&sb, &[outgoing(6, true)]);
    let mut kills = 0;
    for round in 0..8u64 {
        let mut child = handover(&sb, &data_dir, &["sync", "--once", "--json"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(40 + round * 37));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    eprintln!("{kills} syncs killed");
    ok(
        handover(&sb, &data_dir, &["sync", "--once", "--json"])
            .output()
            .unwrap(),
        "final sync",
    );
    let later = hospital_receives(&sb);
    let mut all = responses.clone();
    all.extend(later.iter().cloned());
    let business = business_by_message(&all);
    assert_eq!(business.get(&id(4)), Some(&vec!["30001".to_string()]));
    let sixth = itk_message_id(&outgoing(6, true).bytes);
    assert_eq!(business.get(&sixth), Some(&vec!["30001".to_string()]));
    for (message, codes) in &business {
        assert_eq!(codes.len(), 1, "message {message}: {codes:?}");
    }

    // The audit trail verifies and the numbers add up.
    let audit = ok(
        handover(&sb, &data_dir, &["audit", "verify", "--json"])
            .output()
            .unwrap(),
        "audit verify",
    );
    assert_eq!(audit["ok"], true, "{audit}");
    assert!(audit["desktop"]["events"].as_u64().unwrap() >= 8);
    let report = ok(
        handover(&sb, &data_dir, &["report", "--json"])
            .output()
            .unwrap(),
        "report",
    );
    assert_eq!(report["balanced"], true, "{report}");
    assert_eq!(report["total"]["stored"], 7, "{report}");
}
