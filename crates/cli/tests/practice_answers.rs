//! Answers to hospitals (ITK3 business responses) on a practice (issue 14, practice schema 8),
//! with the real binary, a real PostgreSQL 15 and two desktops' real SQLCipher stores (inside
//! `scripts/with-keyring.sh`). The register is the practice's; the documents arrive through
//! `handover serve`; each desktop decides the answer a match earns, as it does alone, and hands
//! it to the practice server at its pull; the server keeps one per message (the first
//! desktop's) and `serve` sends it to the hospital from the practice's mailbox. A person's
//! step on a document that did not match (rejected as not known) is answered the same way.
//! Nothing is ever sent twice, and nothing from a desktop's own mailbox.

mod common;

use std::path::Path;

use common::{Desktop, Server};

/// The business responses in the folder mailbox's outbox (what `serve` sent), by code.
fn answers_sent(inbox: &Path) -> Vec<String> {
    let dir = inbox.join("outbox");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return vec![];
    };
    let mut codes = vec![];
    for e in entries.flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for code in ["30001", "30002", "30003", "30004"] {
            if text.contains(&format!("\"{code}\"")) || text.contains(&format!(">{code}<")) {
                codes.push(code.to_string());
            }
        }
    }
    codes.sort();
    codes
}

/// Whether a message asks for a business response.
fn asks_for_answer(bytes: &[u8]) -> bool {
    handover_toc::parse(bytes)
        .message
        .as_ref()
        .is_some_and(|m| m.handling.bus_ack_requested == Some(true))
}

#[test]
fn each_message_that_asks_gets_one_answer_sent_by_the_practice_server() {
    let server = Server::start_with(&[
        ("puller_a", "puller"),
        ("gp_one", "gp"),
        ("gp_two", "gp"),
        ("admin_one", "admin"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    // Distinct patients, no replacements; the register has all but the last.
    let mut seen = std::collections::HashSet::new();
    let fixtures: Vec<_> = handover_fixtures::generate(60, 83)
        .into_iter()
        .filter(|f| f.replaces.is_none() && !f.hostile && seen.insert(f.nhs_number.clone()))
        .filter(|f| asks_for_answer(&f.bytes))
        .take(4)
        .collect();
    assert_eq!(fixtures.len(), 4, "four messages that ask for an answer");
    let mut csv = String::from(
        "nhs_number,family_name,given_name,birth_date,gender,postcode,registration,deceased_date\n",
    );
    for f in &fixtures[..3] {
        let p = handover_toc::parse(&f.bytes)
            .document
            .unwrap()
            .patient
            .unwrap();
        csv += &format!(
            "{},{},{},{},unknown,LS1 4AP,registered,\n",
            f.nhs_number,
            p.family.unwrap_or_default(),
            p.given.first().cloned().unwrap_or_default(),
            &p.birth_date.unwrap()[..10]
        );
    }
    let register = tmp.path().join("register.csv");
    std::fs::write(&register, csv).unwrap();

    let a = Desktop::new(tmp.path(), "desktop-a", server.url("gp_one"));
    let b = Desktop::new(tmp.path(), "desktop-b", server.url("gp_two"));
    a.sync();
    b.sync();
    // The practice's register, imported once (on A), before the documents arrive.
    a.json(&["register", "import", register.to_str().unwrap(), "--json"]);
    for f in &fixtures {
        std::fs::write(inbox.join(&f.file_name), &f.bytes).unwrap();
    }
    assert_eq!(common::serve(&server, &inbox)["stored"], 4);
    let infrastructure = server.count("SELECT count(*) FROM handover.outbox");

    // Both desktops pull: each decides the three matched documents' answer (30001) and hands
    // it over; the server keeps the first of each.
    let pulled_a = a.sync();
    assert_eq!(pulled_a["answers_handed_over"], 3, "{pulled_a}");
    let pulled_b = b.sync();
    assert_eq!(pulled_b["answers_handed_over"], 3, "{pulled_b}");
    assert_eq!(
        server.count("SELECT count(*) FROM handover.outbox WHERE kind = 'business'"),
        3
    );
    // Each desktop records it as handed over (never sent from its own mailbox).
    let sent_as = |d: &Desktop| -> Vec<String> {
        let rows = d.json(&["list", "--json"]);
        let mut out = vec![];
        for r in rows.as_array().unwrap() {
            let id = r["id"].to_string();
            let shown = d.json(&["show", &id, "--json"]);
            if let Some(a) = shown["answer"].as_object() {
                out.push(a["sent_as"].as_str().unwrap_or("").to_string());
            }
        }
        out
    };
    let on_a = sent_as(&a);
    assert_eq!(on_a.len(), 3, "{on_a:?}");
    assert!(
        on_a.iter()
            .all(|s| s.starts_with("practice-outbox:") && !s.contains("another")),
        "{on_a:?}"
    );
    // Both decided alike, so B's answers are the ones kept (the same server rows).
    let mut on_b = sent_as(&b);
    let mut on_a_sorted = on_a.clone();
    on_b.sort();
    on_a_sorted.sort();
    assert_eq!(on_b, on_a_sorted);

    // The practice's puller sends them, from the practice's mailbox, once.
    common::serve(&server, &inbox);
    assert_eq!(answers_sent(&inbox), vec!["30001", "30001", "30001"]);
    assert_eq!(
        server.count("SELECT count(*) FROM handover.outbox WHERE sent_at IS NULL"),
        0
    );

    // The fourth patient is not on the register: a person rejects it as not known (on B), and
    // the hospital is told 30002, once.
    let rows = b.json(&["list", "--json"]);
    let unmatched = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["nhs_number"] == fixtures[3].nhs_number.as_str())
        .unwrap()["id"]
        .to_string();
    let step = b.json(&[
        "reject",
        &unmatched,
        "--reason",
        "Not registered here",
        "--json",
    ]);
    assert_eq!(step["practice"], "sent", "{step}");
    common::serve(&server, &inbox);
    assert_eq!(
        answers_sent(&inbox),
        vec!["30001", "30001", "30001", "30002"]
    );
    a.sync();
    assert_eq!(
        a.sync()["answers_handed_over"],
        0,
        "nothing more to hand over"
    );
    common::serve(&server, &inbox);
    assert_eq!(answers_sent(&inbox).len(), 4, "nothing sent twice");
    assert_eq!(
        server.count("SELECT count(*) FROM handover.outbox"),
        infrastructure + 4
    );
}
