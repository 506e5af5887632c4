//! The project's dm+d-shaped test release (`tests/dmd/`) holds every code the synthetic
//! fixtures use, and the NHS example documents' medicines (read in place when the corpus is
//! present, like crates/toc/tests/corpus.rs).

use std::path::{Path, PathBuf};

use handover_medrec::{ConceptKind, Dictionary, DmdRelease};

fn release() -> DmdRelease {
    DmdRelease::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dmd")).unwrap()
}

/// Every code resolves to a concept whose VMP and VTM resolve too.
fn check_chain(r: &DmdRelease, code: &str, name: &str) {
    let c = r
        .lookup(code)
        .unwrap_or_else(|| panic!("{code} ({name}) is not in tests/dmd"));
    if c.kind != ConceptKind::Vtm {
        let vmp = c.vmp.as_deref().expect("a VMP");
        assert_eq!(r.lookup(vmp).unwrap().kind, ConceptKind::Vmp, "{code}");
    }
    if let Some(vtm) = c.vtm.as_deref() {
        assert_eq!(r.lookup(vtm).unwrap().kind, ConceptKind::Vtm, "{code}");
    }
}

#[test]
fn every_fixture_and_corpus_code_is_in_the_test_release() {
    let r = release();
    // The practice lists.
    for n in 0..400 {
        let nhs = handover_toc::nhs::test_nhs_number(n);
        for m in handover_fixtures::practice_medication_list(&nhs) {
            if let Some(code) = m.code.as_deref() {
                check_chain(&r, code, &m.name);
            }
        }
    }
    // The hospital documents (VMPs and AMPs).
    let mut seen = 0;
    for f in handover_fixtures::generate(200, 7) {
        let parsed = handover_toc::parse(&f.bytes);
        if let Some(doc) = parsed.document.as_ref() {
            for m in &doc.medications {
                if let Some(code) = m.code.as_deref() {
                    check_chain(&r, code, m.name.as_deref().unwrap_or(""));
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 100, "only {seen} coded medicines in the fixtures");
}

#[test]
fn previous_codes_resolve_to_the_current_concept() {
    let r = release();
    assert_eq!(r.lookup("99014001000001105").unwrap().name, "Ramipril");
    assert_eq!(
        r.lookup("99014071000001104").unwrap().code,
        "99001011000001107"
    );
    assert_eq!(
        r.lookup("99014141000001109").unwrap().name,
        "Sertraline 50mg tablets"
    );
    let amp = r.lookup("99014211000001102").unwrap();
    assert_eq!(amp.code, "5884511000001100");
    assert_eq!(amp.kind, ConceptKind::Amp);
}

#[test]
fn the_nhs_example_documents_medicines_are_in_the_test_release() {
    let dir = std::env::var_os("HANDOVER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if !dir.is_dir() {
        eprintln!(
            "note: the NHS corpus is not at {} (set HANDOVER_CORPUS); skipped",
            dir.display()
        );
        return;
    }
    let r = release();
    let mut seen = 0;
    for kind in [
        "inpatient-discharge",
        "emergency-discharge",
        "mental-health-discharge",
        "outpatient-letter",
    ] {
        let Ok(entries) = std::fs::read_dir(dir.join(kind)) else {
            continue;
        };
        for e in entries.flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            let parsed = handover_toc::parse(&bytes);
            let Some(doc) = parsed.document.as_ref() else {
                continue;
            };
            for m in &doc.medications {
                if let Some(code) = m.code.as_deref() {
                    check_chain(&r, code, m.name.as_deref().unwrap_or(""));
                    seen += 1;
                }
            }
        }
    }
    assert!(seen >= 15, "only {seen} coded medicines in the corpus");
}
