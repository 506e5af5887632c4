//! The synthetic fixture generator and the JSON path.

use handover_fixtures as fixtures;
use handover_toc::{
    inspect, parse, DocumentKind, InputFormat, MedicationChange, MedicationList, MedicationStatus,
    Severity,
};

#[test]
fn generated_fixtures_parse_cleanly_and_cover_the_spec() {
    let fx = fixtures::generate(24, 7);
    assert_eq!(fx.len(), 24);
    let mut kinds = std::collections::HashSet::new();
    let mut changes = std::collections::HashSet::new();
    let (mut stopped, mut json, mut replacements, mut attachments, mut nka) = (0, 0, 0, 0, 0);
    for f in &fx {
        let p = parse(&f.bytes);
        assert!(!p.is_fatal(), "{}: {:?}", f.file_name, p.diagnostics);
        let errors: Vec<_> = p.diagnostics_at_least(Severity::Error).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.file_name);
        assert_eq!(p.kind, f.kind, "{}", f.file_name);
        assert_eq!(p.format, f.format);
        let m = p.message.as_ref().unwrap();
        assert_eq!(m.message_id.as_deref(), Some(f.message_id.as_str()));
        assert_eq!(m.handling.bus_ack_requested, Some(true));
        assert!(m.sender_mailbox.is_some());
        let d = p.document.as_ref().unwrap();
        assert_eq!(d.bundle_id.as_deref(), Some(f.document_id.as_str()));
        assert_eq!(d.composition_id.as_deref(), Some(f.composition_id.as_str()));
        assert_eq!(d.replaces, f.replaces);
        let pat = d.patient.as_ref().unwrap();
        assert!(pat.nhs_number_valid && pat.nhs_number.as_deref().unwrap().starts_with("999"));
        assert_eq!(pat.nhs_number.as_deref(), Some(f.nhs_number.as_str()));
        kinds.insert(p.kind);
        for med in &d.medications {
            if let Some(c) = med.change {
                changes.insert(c);
            }
            if med.status == MedicationStatus::Stopped {
                assert_eq!(med.list, MedicationList::Discontinued);
                stopped += 1;
            }
            assert!(med.code.is_some() && med.dosage.is_some());
        }
        nka += d.allergies.iter().filter(|a| a.no_known_allergies).count();
        attachments += d.attachments.len();
        for (i, a) in d.attachments.iter().enumerate() {
            let bytes = p.attachment_bytes(i).unwrap();
            assert_eq!(bytes.len() as u64, a.size);
            assert!(bytes.starts_with(b"%PDF"));
        }
        json += usize::from(f.format == InputFormat::Json);
        replacements += usize::from(f.replaces.is_some());
        if let Some(r) = &f.replaces {
            let original = fx
                .iter()
                .find(|o| &o.composition_id == r)
                .expect("replaces an earlier fixture");
            assert_eq!(original.nhs_number, f.nhs_number);
        }
    }
    assert_eq!(kinds.len(), 4);
    for c in [
        MedicationChange::Added,
        MedicationChange::Amended,
        MedicationChange::Continued,
    ] {
        assert!(changes.contains(&c), "{c:?}");
    }
    assert!(
        stopped > 0 && json > 0 && replacements > 0 && attachments > 0 && nka > 0,
        "{stopped} {json} {replacements} {attachments} {nka}"
    );
    assert_eq!(fx.iter().filter(|f| f.hostile).count(), 1);
    // Deterministic for a seed, different across seeds.
    assert_eq!(fixtures::generate(6, 7), fx[..6].to_vec());
    assert_ne!(fixtures::generate(6, 8)[0].bytes, fx[0].bytes);
}

#[test]
fn json_fixture_parses_to_the_full_model() {
    let fx = fixtures::generate(10, 99);
    let j = fx.iter().find(|f| f.format == InputFormat::Json).unwrap();
    let p = parse(&j.bytes);
    assert_eq!(p.format, InputFormat::Json);
    let d = p.document.unwrap();
    assert!(!d.sections.is_empty() && !d.medications.is_empty());
    assert!(d.sections.iter().all(|s| !s.text.is_empty()));
}

#[test]
fn sized_messages_hit_their_target() {
    for (seed, target) in [(1u64, 40 * 1024), (2, 70 * 1024), (3, 100 * 1024)] {
        let m = fixtures::sized(seed, target);
        assert!(
            m.len() >= target && m.len() < target + 8 * 1024,
            "{} vs {target}",
            m.len()
        );
        let p = parse(&m);
        assert!(
            p.diagnostics_at_least(Severity::Error).next().is_none(),
            "{:?}",
            p.diagnostics
        );
        assert_ne!(p.kind, DocumentKind::Unknown);
    }
}

#[test]
fn inspect_json_contract() {
    let f = &fixtures::generate(1, 3)[0];
    let v = inspect::to_json(&parse(&f.bytes));
    assert_eq!(v["kind"], f.kind.as_str());
    assert_eq!(v["message_id"], f.message_id.as_str());
    assert_eq!(v["document_id"], f.document_id.as_str());
    assert_eq!(v["composition_id"], f.composition_id.as_str());
    assert!(v["replaces"].is_null());
    assert_eq!(v["handling"]["bus_ack_requested"], true);
    assert_eq!(v["handling"]["inf_ack_requested"], true);
    assert!(v["handling"]["sender_mailbox"].is_string());
    assert_eq!(v["patient"]["nhs_number"], f.nhs_number.as_str());
    assert_eq!(v["patient"]["nhs_number_valid"], true);
    assert!(v["patient"]["name"].is_string() && v["patient"]["birth_date"].is_string());
    let s0 = &v["sections"][0];
    for k in ["code", "title", "text", "html", "known"] {
        assert!(!s0[k].is_null(), "sections[].{k}");
    }
    for m in v["medications"].as_array().unwrap() {
        assert!(["active", "stopped", "unknown"].contains(&m["status"].as_str().unwrap()));
        assert!(
            m["change"].is_null()
                || ["added", "amended", "continued", "on-hold"]
                    .contains(&m["change"].as_str().unwrap())
        );
        for k in ["code", "name", "dosage"] {
            assert!(m[k].is_string(), "medications[].{k}");
        }
    }
    assert!(
        v["allergies"].is_array() && v["attachments"].is_array() && v["diagnostics"].is_array()
    );
    assert!(v["response"].is_null());
    let text = inspect::to_text(&parse(&f.bytes));
    assert!(text.contains(&f.nhs_number) && text.contains("Diagnostics:"));

    let fatal = parse(b"<not-closed");
    let v = inspect::to_json(&fatal);
    assert!(fatal.is_fatal());
    assert_eq!(v["kind"], "unknown");
    assert_eq!(v["diagnostics"][0]["severity"], "fatal");
    assert_eq!(v["diagnostics"][0]["itk_code"], 10009);
}

#[test]
fn the_same_message_as_xml_and_json_gives_the_same_model() {
    for (seed, kind) in [
        (1, DocumentKind::InpatientDischarge),
        (2, DocumentKind::EmergencyDischarge),
        (3, DocumentKind::MentalHealthDischarge),
        (4, DocumentKind::OutpatientLetter),
    ] {
        let x = fixtures::one(seed, kind, InputFormat::Xml);
        let j = fixtures::one(seed, kind, InputFormat::Json);
        assert!(x.bytes.starts_with(b"<?xml") && j.bytes.starts_with(b"{"));
        let (px, pj) = (parse(&x.bytes), parse(&j.bytes));
        assert_eq!(px.kind, kind);
        assert_eq!(px.message, pj.message, "{kind:?}");
        assert_eq!(px.document, pj.document, "{kind:?}");
        assert_eq!(px.diagnostics, pj.diagnostics, "{kind:?}");
    }
}

#[test]
fn benchmark_reports_figures() {
    let f = handover_fixtures::bench::run(
        &handover_fixtures::bench::message_pool(2, 5),
        std::time::Duration::from_millis(1),
    );
    assert!(f.messages >= 2 && f.bytes >= 2 * 40 * 1024);
    assert!(f.messages_per_second > 0.0 && f.mb_per_second > 0.0);
    assert!(f.smallest_message_bytes >= 40 * 1024 && f.largest_message_bytes <= 110 * 1024);
}

#[test]
fn the_model_round_trips_through_serde_json() {
    for f in fixtures::generate(5, 21) {
        let p = parse(&f.bytes);
        let json = serde_json::to_string(&p).unwrap();
        let back: handover_toc::Parsed = serde_json::from_str(&json).unwrap();
        assert_eq!(back.document, p.document);
        assert_eq!(back.message, p.message);
        assert_eq!(back.diagnostics, p.diagnostics);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        if !back.document.as_ref().unwrap().attachments.is_empty() {
            assert_eq!(back.attachment_bytes(0), p.attachment_bytes(0));
        }
    }
}

#[test]
fn a_replacement_is_about_the_same_patient() {
    let fixtures = handover_fixtures::generate(40, 2026);
    let mut checked = 0;
    for f in fixtures.iter().filter(|f| f.replaces.is_some()) {
        let original = fixtures
            .iter()
            .find(|o| Some(&o.composition_id) == f.replaces.as_ref())
            .expect("the replaced document is among the fixtures");
        let patient = |bytes: &[u8]| {
            handover_toc::parse(bytes)
                .document
                .unwrap()
                .patient
                .unwrap()
        };
        let (a, b) = (patient(&original.bytes), patient(&f.bytes));
        assert_eq!(a.nhs_number, b.nhs_number);
        assert_eq!(a.name, b.name, "{}", f.file_name);
        assert_eq!(a.birth_date, b.birth_date);
        assert_eq!(a.gender, b.gender);
        assert_eq!(a.gp_practice_ods, b.gp_practice_ods, "the same GP practice");
        let custodian = |bytes: &[u8]| {
            handover_toc::parse(bytes)
                .document
                .unwrap()
                .custodian
                .and_then(|c| c.ods_code)
        };
        assert_eq!(
            custodian(&original.bytes),
            custodian(&f.bytes),
            "from the same hospital"
        );
        checked += 1;
    }
    assert!(
        checked >= 3,
        "the fixtures include replacements ({checked})"
    );
}

// ---------------------------------------------------------------------------------------------
// Realism of the generated documents: plans, medicines, patients, per-kind content.

use handover_toc::{Document, Medication};

/// Parsed documents of `generate(count, seed)`, with their fixtures.
fn parsed(count: usize, seed: u64) -> Vec<(fixtures::Fixture, Document)> {
    fixtures::generate(count, seed)
        .into_iter()
        .map(|f| {
            let p = parse(&f.bytes);
            assert!(
                p.diagnostics_at_least(Severity::Error).next().is_none(),
                "{}: {:?}",
                f.file_name,
                p.diagnostics
            );
            let d = p.document.expect("a document");
            (f, d)
        })
        .collect()
}

fn section<'a>(d: &'a Document, title: &str) -> Option<&'a handover_toc::Section> {
    d.sections
        .iter()
        .find(|s| s.title.as_deref() == Some(title))
}

/// The drug a line names: the words before the first one with a digit, lower case
/// ("Ramipril 2.5mg capsules (A A H ...)" -> "ramipril").
fn drug(name: &str) -> String {
    name.split_whitespace()
        .take_while(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[test]
fn about_a_third_of_plans_ask_nothing_of_the_practice() {
    for seed in [2026, 7, 11] {
        let docs = parsed(40, seed);
        let mut quiet = 0;
        for (f, d) in &docs {
            let plan = section(d, "Plan and requested actions")
                .unwrap_or_else(|| panic!("{}: no plan section", f.file_name));
            assert_eq!(
                plan.code.as_deref(),
                Some(handover_toc::actions::PLAN_AND_REQUESTED_ACTIONS)
            );
            assert!(plan.text.split_whitespace().count() >= 5, "{}", f.file_name);
            let actions = handover_toc::actions::requested_actions(d);
            let open: Vec<_> = actions.iter().filter(|a| a.needs_disposition()).collect();
            // The product's reading of the plan agrees with what the generator wrote.
            assert_eq!(
                !open.is_empty(),
                f.asks_practice,
                "{}: {actions:#?}",
                f.file_name
            );
            if f.asks_practice && !f.hostile {
                let practice = d
                    .patient
                    .as_ref()
                    .unwrap()
                    .gp_practice_name
                    .clone()
                    .unwrap();
                assert!(
                    open.iter().any(|a| a
                        .responsible
                        .as_deref()
                        .is_some_and(|r| r.contains(&practice))
                        || a.text.starts_with("GP to ")),
                    "{}: a request names the patient's practice ({practice}): {open:#?}",
                    f.file_name
                );
            }
            quiet += usize::from(open.is_empty());
        }
        assert!(
            (8..=24).contains(&quiet),
            "seed {seed}: {quiet} of 40 documents ask nothing of the practice"
        );
    }
}

#[test]
fn plans_are_written_as_hospitals_write_them() {
    let docs = parsed(40, 2026);
    let plans: Vec<(&fixtures::Fixture, &handover_toc::Section)> = docs
        .iter()
        .map(|(f, d)| (f, section(d, "Plan and requested actions").unwrap()))
        .collect();
    let all_text: String = plans.iter().map(|(_, s)| s.text.as_str()).collect();
    for heading in [
        "Actions for healthcare professionals",
        "Actions for patient or their carer",
        "Agreed with patient or legitimate patient representative",
        "Investigations requested",
        "Procedures requested",
        "Care planning arrangements",
    ] {
        assert!(all_text.contains(heading), "{heading}");
    }
    for status in ["Requested", "Completed", "Planned"] {
        assert!(all_text.contains(&format!("status: {status}")), "{status}");
    }
    assert!(all_text.contains("No actions for the GP practice."));
    // Care planning arrangements only in mental health discharges.
    for (f, s) in &plans {
        assert_eq!(
            s.text.contains("Care planning arrangements"),
            f.kind == DocumentKind::MentalHealthDischarge,
            "{}",
            f.file_name
        );
    }
    // Layouts vary: tables whose cells hold several actions, lists, paragraphs.
    let count = |pred: &dyn Fn(&str) -> bool| plans.iter().filter(|(_, s)| pred(&s.html)).count();
    let several_in_a_cell = count(&|h: &str| {
        h.contains("<th>Actions for healthcare professionals</th><td>")
            && h.split("<th>Actions for healthcare professionals</th>")
                .nth(1)
                .is_some_and(|cell| {
                    let cell = cell.split("</td>").next().unwrap_or("");
                    cell.matches("Person responsible:").count() >= 2 && cell.contains("<br")
                })
    });
    assert!(several_in_a_cell >= 5, "{several_in_a_cell}");
    assert!(count(&|h: &str| h.contains("<ul>")) >= 3);
    assert!(count(&|h: &str| h.contains("<h4>")) >= 2);
    // Not every plan reads the same.
    let distinct: std::collections::HashSet<&str> =
        plans.iter().map(|(_, s)| s.text.as_str()).collect();
    assert!(distinct.len() >= 35, "{}", distinct.len());
}

fn dmd_like(code: &str) -> bool {
    (6..=18).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

#[test]
fn medicine_changes_are_coherent() {
    let docs: Vec<_> = [2026u64, 7]
        .into_iter()
        .flat_map(|s| parsed(40, s))
        .collect();
    let (mut added, mut added_with_reason, mut amended, mut on_hold) = (0, 0, 0, 0);
    let (mut stopped, mut stopped_with_reason, mut high_risk_docs) = (0, 0, 0);
    let high_risk = [
        "warfarin",
        "apixaban",
        "rivaroxaban",
        "insulin",
        "morphine",
        "oxycodone",
        "co-codamol",
        "levetiracetam",
        "valproate",
        "lithium",
        "methotrexate",
        "enoxaparin",
    ];
    for (f, d) in &docs {
        assert!(!d.medications.is_empty(), "{}", f.file_name);
        let mut drugs = std::collections::HashSet::new();
        for m in &d.medications {
            let name = m.name.as_deref().unwrap();
            let code = m.code.as_deref().unwrap();
            assert!(dmd_like(code), "{}: {name} {code}", f.file_name);
            assert!(
                name.chars().any(|c| c.is_ascii_digit()),
                "{name}: a strength"
            );
            assert!(m.dosage.as_deref().is_some_and(|t| t.len() > 5), "{name}");
            assert!(m.route.is_some(), "{name}");
            assert!(drugs.insert(drug(name)), "{}: {name} twice", f.file_name);
            if m.list == MedicationList::Discontinued {
                assert_eq!(m.status, MedicationStatus::Stopped, "{name}");
            }
            if m.status == MedicationStatus::Stopped {
                assert_eq!(m.list, MedicationList::Discontinued, "{name}");
                assert!(
                    m.change.is_none(),
                    "no change status for a stopped medicine"
                );
                stopped += 1;
                stopped_with_reason += usize::from(m.change_indication.is_some());
                continue;
            }
            match m.change {
                Some(MedicationChange::Added) => {
                    added += 1;
                    added_with_reason += usize::from(m.change_indication.is_some());
                }
                Some(MedicationChange::Amended) => {
                    amended += 1;
                    let details = m.change_details.as_deref().unwrap_or("");
                    let (from, to) = details
                        .split_once(" from ")
                        .and_then(|(_, rest)| rest.split_once(" to "))
                        .unwrap_or_else(|| panic!("{name}: {details:?}"));
                    assert!(
                        !from.is_empty() && !to.is_empty() && from != to,
                        "{details}"
                    );
                    assert!(m.change_date.is_some(), "{name}");
                }
                Some(MedicationChange::OnHold) => {
                    on_hold += 1;
                    assert!(m.change_indication.is_some(), "{name}: why it is withheld");
                    assert!(
                        m.change_details
                            .as_deref()
                            .is_some_and(|d| d.contains("restart")),
                        "{name}: when to restart"
                    );
                }
                Some(MedicationChange::Continued) => {}
                other => panic!("{name}: {other:?}"),
            }
        }
        high_risk_docs += usize::from(d.medications.iter().any(|m| {
            let n = m.name.as_deref().unwrap().to_lowercase();
            high_risk.iter().any(|h| n.contains(h))
        }));
    }
    assert!(
        added >= 20 && amended >= 8 && on_hold >= 3,
        "{added} {amended} {on_hold}"
    );
    assert!(
        added_with_reason * 10 >= added * 8,
        "{added_with_reason} of {added}"
    );
    // Most stopped medicines say why; some do not (the reason-missing case).
    assert!(stopped >= 10, "{stopped}");
    assert!(
        stopped_with_reason > stopped / 2 && stopped_with_reason < stopped,
        "{stopped_with_reason} of {stopped}"
    );
    assert!(high_risk_docs >= 20, "{high_risk_docs} of {}", docs.len());
}

#[test]
fn practice_medication_list_is_the_record_before_the_episode() {
    let docs: Vec<_> = [2026u64, 7, 11]
        .into_iter()
        .flat_map(|s| parsed(40, s))
        .collect();
    let (mut amended, mut stopped, mut added, mut amp, mut uncoded) = (0, 0, 0, 0, 0);
    for (f, d) in &docs {
        let gp = fixtures::practice_medication_list(&f.nhs_number);
        assert_eq!(gp, fixtures::practice_medication_list(&f.nhs_number));
        assert!(gp.iter().filter(|p| p.kind == "repeat").count() >= 3);
        assert!(gp.iter().all(|p| p.kind == "repeat" || p.kind == "acute"));
        assert!(gp.iter().all(|p| p.code.as_deref().is_none_or(dmd_like)));
        let on_record = |m: &Medication| {
            let n = drug(m.name.as_deref().unwrap());
            gp.iter().find(move |p| drug(&p.name) == n)
        };
        for m in &d.medications {
            let name = m.name.as_deref().unwrap();
            let record = on_record(m);
            match (m.status, m.change) {
                (MedicationStatus::Stopped, _) => {
                    assert!(
                        record.is_some(),
                        "{}: stopped {name} was on record",
                        f.file_name
                    );
                    stopped += 1;
                }
                (_, Some(MedicationChange::Added)) => {
                    assert!(record.is_none(), "{}: added {name} is new", f.file_name);
                    added += 1;
                }
                (_, Some(MedicationChange::Amended)) => {
                    let p = record.unwrap_or_else(|| panic!("{}: amended {name}", f.file_name));
                    assert_ne!(
                        Some(p.dosage.as_str()),
                        m.dosage.as_deref(),
                        "{name}: the old dose"
                    );
                    amended += 1;
                }
                _ => {
                    let p = record.unwrap_or_else(|| panic!("{}: {name} on record", f.file_name));
                    assert_eq!(Some(p.dosage.as_str()), m.dosage.as_deref(), "{name}");
                    match &p.code {
                        None => uncoded += 1,
                        Some(code) if Some(code.as_str()) != m.code.as_deref() => {
                            // The hospital named the AMP of the practice's VMP.
                            assert!(name.starts_with(&p.name) && name.ends_with(')'), "{name}");
                            amp += 1;
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        // Exactly one repeat medicine on record is missing from the hospital's lists.
        let listed: std::collections::HashSet<String> = d
            .medications
            .iter()
            .map(|m| drug(m.name.as_deref().unwrap()))
            .collect();
        let missing: Vec<_> = gp
            .iter()
            .filter(|p| !listed.contains(&drug(&p.name)))
            .collect();
        assert_eq!(missing.len(), 1, "{}: {missing:?}", f.file_name);
        assert_eq!(missing[0].kind, "repeat");
    }
    assert!(
        amended >= 10 && stopped >= 10 && added >= 30,
        "{amended} {stopped} {added}"
    );
    assert!(amp >= 3 && uncoded >= 1, "{amp} {uncoded}");
}

const MALE_NAMES: &[&str] = &[
    "Oliver", "Mohammed", "Tomasz", "James", "David", "Arjun", "Kwame", "Liam", "George", "Harry",
    "Daniel", "Rhys", "Peter", "Imran", "Stephen", "Michael",
];
const FEMALE_NAMES: &[&str] = &[
    "Olivia", "Priya", "Grace", "Aisha", "Emily", "Sophie", "Margaret", "Chloe", "Fatima",
    "Joanna", "Niamh", "Susan", "Hannah", "Patricia", "Amara", "Eleanor",
];

#[test]
fn patients_are_consistent_people_with_addresses() {
    let mut seen: std::collections::HashMap<String, handover_toc::Patient> = Default::default();
    for (f, d) in parsed(40, 2026).into_iter().chain(parsed(40, 7)) {
        let p = d.patient.clone().unwrap();
        let given = p.given.first().cloned().unwrap_or_default();
        let name = p.name.clone().unwrap();
        match p.gender.as_deref() {
            Some("male") => {
                assert!(MALE_NAMES.contains(&given.as_str()), "{name}");
                assert!(name.starts_with("Mr "), "{name}");
            }
            Some("female") => {
                assert!(FEMALE_NAMES.contains(&given.as_str()), "{name}");
                assert!(
                    ["Mrs ", "Ms ", "Miss "].iter().any(|t| name.starts_with(t)),
                    "{name}"
                );
            }
            other => panic!("{name}: gender {other:?}"),
        }
        let year: i32 = p.birth_date.as_deref().unwrap()[..4].parse().unwrap();
        assert!((1920..=2008).contains(&year), "{year}");
        let postcode = p.postcode.clone().unwrap();
        let (outward, inward) = postcode.split_once(' ').unwrap();
        let area: String = outward
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        assert!(["LS", "BS", "M"].contains(&area.as_str()), "{postcode}");
        assert!(outward[area.len()..].parse::<u8>().is_ok(), "{postcode}");
        let inward: Vec<char> = inward.chars().collect();
        assert!(
            inward.len() == 3
                && inward[0].is_ascii_digit()
                && inward[1..].iter().all(|c| c.is_ascii_uppercase()),
            "{postcode}"
        );
        assert!(p.address.as_deref().is_some_and(|a| a.ends_with(&postcode)));
        // The demographics section says the same.
        let demographics = &section(&d, "Patient demographics").unwrap().text;
        assert!(demographics.contains(&postcode) && demographics.contains(&f.nhs_number));
        // The same NHS number is the same person everywhere.
        if let Some(before) = seen.get(&f.nhs_number) {
            assert_eq!(before, &p, "{}", f.file_name);
        }
        seen.insert(f.nhs_number.clone(), p);
    }
}

#[test]
fn each_kind_carries_what_a_gp_needs() {
    let docs: Vec<_> = [2026u64, 7]
        .into_iter()
        .flat_map(|s| parsed(40, s))
        .collect();
    let mut awaited = 0;
    let mut detained = 0;
    for (f, d) in &docs {
        let text = |title: &str| section(d, title).map(|s| s.text.clone());
        assert!(!d.conditions.is_empty(), "{}: diagnoses", f.file_name);
        let enc = d.encounter.as_ref().unwrap();
        awaited += usize::from(d.sections.iter().any(|s| s.text.contains("awaited")));
        match f.kind {
            DocumentKind::OutpatientLetter => {
                assert!(enc.attendance_date.is_some());
                let attendance = text("Attendance details").unwrap();
                for row in ["Outcome of attendance", "Follow-up"] {
                    assert!(attendance.contains(row), "{}: {row}", f.file_name);
                }
                assert!(
                    ["Discharged to GP care", "Follow-up in", "waiting list"]
                        .iter()
                        .any(|o| attendance.contains(o)),
                    "{attendance}"
                );
            }
            _ => {
                let discharged = enc.discharge_date.as_deref().unwrap();
                assert!(enc.discharge_destination.is_some(), "{}", f.file_name);
                let details = text("Discharge details").unwrap();
                assert!(details.contains("Discharge destination"));
                // The narrative gives the same date ("02-Oct-2026") as the encounter.
                let day = &discharged[8..10];
                assert!(
                    details.contains(&format!("Date/time of discharge {day}-")),
                    "{details}"
                );
            }
        }
        if f.kind == DocumentKind::MentalHealthDischarge {
            let risks = text("Safety alerts").unwrap();
            for row in ["Risks to self", "Risks to others", "Risk from others"] {
                assert!(risks.contains(row), "{row}");
            }
            let legal = text("Legal information").unwrap();
            assert!(legal.contains("Mental Health Act or equivalent status"));
            let section3 = legal.contains("Section 3");
            detained += usize::from(section3);
            assert_eq!(
                legal.contains("Eligible for Section 117 aftercare"),
                section3,
                "{legal}"
            );
            assert!(text("Discharge details")
                .unwrap()
                .contains("Legal status on discharge"));
            let plan = text("Plan and requested actions").unwrap();
            assert!(plan.contains("Care planning arrangements") && plan.contains("CPA"));
            assert!(
                plan.contains("Care coordinator"),
                "a named care coordinator"
            );
            assert!(text("Information and advice given")
                .unwrap()
                .contains("Crisis plan"));
        }
    }
    assert!(awaited >= 5, "{awaited} documents with results awaited");
    assert!(detained >= 2, "{detained}");
}

#[test]
fn the_hostile_fixture_is_as_hostile_as_before() {
    let fx = fixtures::generate(40, 2026);
    let hostile: Vec<_> = fx.iter().filter(|f| f.hostile).collect();
    assert_eq!(hostile.len(), 1);
    let f = hostile[0];
    assert_eq!(f.file_name, "0004-outpatient-letter.xml");
    let xml = String::from_utf8_lossy(&f.bytes);
    assert_eq!(xml.matches(fixtures::HOSTILE_MARKER).count(), 5);
    assert!(xml.contains("<script>window.__handoverPwned = true</script>"));
    assert!(xml.contains("<iframe src=\"data:text/html,&lt;script&gt;parent.__handoverPwned=true"));
    let d = parse(&f.bytes).document.unwrap();
    let plan = section(&d, "Plan and requested actions").unwrap();
    assert!(plan.text.contains("Follow-up plan: review in clinic."));
    assert!(plan.text.contains("Hidden note: check potassium."));
}
