//! The diff on the project's generated documents against each patient's practice list (whose
//! story the fixtures know), on the NHS example documents against lists built here, and a
//! property: no line is ever lost or counted twice.

use std::collections::HashSet;

use handover_medrec::{diff, Category, Flag, NoDictionary, PracticeLine};
use handover_toc::{Medication, MedicationChange, MedicationList};
use proptest::prelude::*;

fn practice_of(nhs: &str) -> Vec<PracticeLine> {
    handover_fixtures::practice_medication_list(nhs)
        .into_iter()
        .map(|m| PracticeLine {
            nhs_number: nhs.into(),
            code: m.code,
            name: m.name,
            dosage: Some(m.dosage),
            route: Some(m.route),
            kind: m.kind,
        })
        .collect()
}

/// Every line of both lists is in exactly one row.
fn conserved(d: &handover_medrec::Diff, discharge: usize, practice: usize) {
    let ds: Vec<usize> = d.rows.iter().filter_map(|r| r.discharge_index).collect();
    let ps: Vec<usize> = d.rows.iter().filter_map(|r| r.practice_index).collect();
    assert_eq!(ds.len(), discharge, "{d:#?}");
    assert_eq!(ds.iter().collect::<HashSet<_>>().len(), discharge);
    assert_eq!(ps.len(), practice, "{d:#?}");
    assert_eq!(ps.iter().collect::<HashSet<_>>().len(), practice);
}

#[test]
fn generated_documents_against_their_patients_lists() {
    check_generated(&NoDictionary);
}

#[test]
fn generated_documents_with_dm_d_pair_amps_with_vmps() {
    let release = handover_medrec::DmdRelease::read_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dmd"),
    )
    .unwrap();
    let bases = check_generated(&release);
    assert!(bases.contains(&handover_medrec::Basis::Vmp), "{bases:?}");
}

/// Runs the generated documents against their patients' lists; returns the pairing bases seen.
fn check_generated(dict: &dyn handover_medrec::Dictionary) -> HashSet<handover_medrec::Basis> {
    let mut bases = HashSet::new();
    let mut seen = HashSet::new();
    let mut categories = HashSet::new();
    for f in handover_fixtures::generate(60, 3) {
        if f.hostile || f.replaces.is_some() {
            continue;
        }
        let parsed = handover_toc::parse(&f.bytes);
        let doc = parsed.document.unwrap();
        if doc.medications.is_empty() {
            continue;
        }
        let practice = practice_of(&f.nhs_number);
        let d = diff(&doc.medications, &practice, dict);
        conserved(&d, doc.medications.len(), practice.len());
        categories.extend(d.rows.iter().map(|r| r.category));
        bases.extend(d.rows.iter().filter_map(|r| r.basis));
        // The one usual repeat medicine the hospital left out is found.
        let omissions: Vec<_> = d
            .rows
            .iter()
            .filter(|r| r.category == Category::Omission)
            .collect();
        assert_eq!(omissions.len(), 1, "{}: {:#?}", f.file_name, d.rows);
        assert_eq!(
            practice[omissions[0].practice_index.unwrap()].kind,
            "repeat"
        );
        for r in &d.rows {
            let Some(i) = r.discharge_index else { continue };
            let m = &doc.medications[i];
            match (m.list, m.change) {
                (MedicationList::Discontinued, _) => assert_eq!(r.category, Category::Stopped),
                (_, Some(MedicationChange::Added)) => {
                    assert_eq!(r.category, Category::Added, "{}: {r:?}", f.file_name)
                }
                (_, Some(MedicationChange::Amended)) => assert!(
                    matches!(
                        r.category,
                        Category::DoseChanged | Category::StrengthOrFormChanged
                    ),
                    "{}: {:?} {r:?}",
                    f.file_name,
                    m.name
                ),
                (_, Some(MedicationChange::Continued)) => assert_eq!(
                    r.category,
                    Category::Unchanged,
                    "{}: {:?} {:?} vs {:?}",
                    f.file_name,
                    m.name,
                    m.dosage,
                    r.practice_index.map(|j| &practice[j])
                ),
                (_, Some(MedicationChange::OnHold)) => assert_eq!(r.category, Category::OnHold),
                _ => {}
            }
        }
        seen.insert(f.nhs_number.clone());
    }
    assert!(seen.len() >= 10, "{} patients", seen.len());
    for c in [
        Category::Unchanged,
        Category::Added,
        Category::Stopped,
        Category::Omission,
        Category::DoseChanged,
    ] {
        assert!(categories.contains(&c), "{c:?} never seen: {categories:?}");
    }
    bases
}

fn corpus() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("HANDOVER_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTE: the NHS corpus is absent ({}): its medicines diff test did not run",
            dir.display()
        );
        None
    }
}

#[test]
fn nhs_examples_against_lists_built_from_them() {
    let Some(dir) = corpus() else { return };
    let mut categories = HashSet::new();
    let mut flags = HashSet::new();
    let mut documents = 0;
    for sub in [
        "inpatient-discharge",
        "emergency-discharge",
        "mental-health-discharge",
        "outpatient-letter",
    ] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let parsed = handover_toc::parse(&std::fs::read(e.path()).unwrap());
            let Some(doc) = parsed.document else { continue };
            if doc.medications.is_empty() {
                continue;
            }
            documents += 1;
            // The practice's list as it might have been: each medicine the hospital did not add,
            // the first one with another dose, the second recorded without a code; plus a
            // medicine the hospital did not mention.
            let mut practice: Vec<PracticeLine> = doc
                .medications
                .iter()
                .filter(|m| m.change != Some(MedicationChange::Added))
                .enumerate()
                .map(|(k, m)| PracticeLine {
                    nhs_number: "9434765919".into(),
                    code: m.code.clone().filter(|_| k != 1),
                    name: m.name.clone().unwrap_or_default(),
                    dosage: if k == 0 {
                        Some("Three tablets four times a day".into())
                    } else {
                        m.dosage.clone()
                    },
                    route: m.route.clone(),
                    kind: "repeat".into(),
                })
                .collect();
            practice.push(PracticeLine {
                nhs_number: "9434765919".into(),
                code: Some("9900101000001104".into()),
                name: "Levothyroxine sodium 50microgram tablets".into(),
                dosage: Some("One tablet once daily".into()),
                route: Some("Oral".into()),
                kind: "repeat".into(),
            });
            let d = diff(&doc.medications, &practice, &NoDictionary);
            conserved(&d, doc.medications.len(), practice.len());
            assert!(d.rows.iter().any(|r| r.category == Category::Omission
                && r.detail.as_deref().unwrap().starts_with("Levothyroxine")));
            categories.extend(d.rows.iter().map(|r| r.category));
            flags.extend(d.rows.iter().flat_map(|r| r.flags.iter().copied()));
        }
    }
    assert!(
        documents >= 3,
        "{documents} example documents with medicines"
    );
    // The examples carry no discontinued list: "stopped" is covered by the generated documents.
    for c in [
        Category::Omission,
        Category::DoseChanged,
        Category::Unchanged,
        Category::Added,
    ] {
        assert!(categories.contains(&c), "{c:?}: {categories:?}");
    }
    assert!(flags.contains(&Flag::Uncoded), "{flags:?}");
}

fn arb_med() -> impl Strategy<Value = Medication> {
    (
        0..6usize,
        0..3usize,
        prop::option::of(0..4usize),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(drug, strength, change, stopped, coded)| {
            let drugs = [
                "Ramipril",
                "Bisoprolol",
                "Sertraline",
                "Furosemide",
                "Paracetamol",
                "Metformin",
            ];
            let strengths = ["2.5mg", "5mg", "10mg"];
            let changes = [
                MedicationChange::Added,
                MedicationChange::Amended,
                MedicationChange::Continued,
                MedicationChange::OnHold,
            ];
            Medication {
                name: Some(format!("{} {} tablets", drugs[drug], strengths[strength])),
                code: coded.then(|| format!("{}{}", drug, strength)),
                dosage: Some(
                    ["One tablet once daily", "Two tablets twice a day"][strength % 2].into(),
                ),
                route: Some("Oral".into()),
                change: change.map(|c| changes[c]),
                list: if stopped {
                    MedicationList::Discontinued
                } else {
                    Default::default()
                },
                ..Default::default()
            }
        })
}

fn arb_line() -> impl Strategy<Value = PracticeLine> {
    (0..6usize, 0..3usize, any::<bool>(), any::<bool>()).prop_map(
        |(drug, strength, coded, twice)| {
            let drugs = [
                "Ramipril",
                "Bisoprolol",
                "Sertraline",
                "Furosemide",
                "Paracetamol",
                "Metformin",
            ];
            let strengths = ["2.5mg", "5mg", "10mg"];
            PracticeLine {
                nhs_number: "9434765919".into(),
                code: coded.then(|| format!("{}{}", drug, strength)),
                name: format!("{} {} tablets", drugs[drug], strengths[strength]),
                dosage: Some(
                    if twice {
                        "Two tablets twice daily"
                    } else {
                        "One tablet once a day"
                    }
                    .into(),
                ),
                route: Some("Oral".into()),
                kind: "repeat".into(),
            }
        },
    )
}

proptest! {
    #[test]
    fn no_line_is_lost_or_counted_twice(
        discharge in prop::collection::vec(arb_med(), 0..25),
        practice in prop::collection::vec(arb_line(), 0..25),
    ) {
        let d = diff(&discharge, &practice, &NoDictionary);
        let ds: Vec<usize> = d.rows.iter().filter_map(|r| r.discharge_index).collect();
        let ps: Vec<usize> = d.rows.iter().filter_map(|r| r.practice_index).collect();
        prop_assert_eq!(ds.len(), discharge.len());
        prop_assert_eq!(ds.iter().collect::<HashSet<_>>().len(), discharge.len());
        prop_assert_eq!(ps.len(), practice.len());
        prop_assert_eq!(ps.iter().collect::<HashSet<_>>().len(), practice.len());
        for r in &d.rows {
            prop_assert!(r.discharge_index.is_some() || r.category == Category::Omission);
        }
    }
}
