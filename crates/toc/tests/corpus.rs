//! The public NHS examples (`HANDOVER_CORPUS`, default ../shared/corpus), read in place. When
//! they are absent these tests say so and do not run; `synthetic.rs` checks the same behaviours
//! on the project's own messages.

mod common;
use common::*;
use handover_toc::{parse, DocumentKind, MedicationChange, Severity};

#[test]
fn every_document_parses_with_all_sections_and_text() {
    if corpus().is_none() {
        return;
    }
    let docs = corpus_documents();
    assert!(
        docs.len() >= 12,
        "expected the 12 corpus documents, found {}",
        docs.len()
    );
    for (path, kind) in docs {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let xml = std::fs::read_to_string(&path).unwrap();
        check_document_against_source(&xml, kind, &name);
    }
}

#[test]
fn inpatient_example_details() {
    if corpus().is_none() {
        return;
    }
    let xml =
        std::fs::read(corpus_dir().join("inpatient-discharge/ITK-EDIS-Example-1.xml")).unwrap();
    let p = parse(&xml);
    let d = p.document.unwrap();
    assert_eq!(d.kind, DocumentKind::InpatientDischarge);
    assert_eq!(
        d.bundle_id.as_deref(),
        Some("c06e13aa-8c3b-4e67-999b-6e07e399e741")
    );
    assert_eq!(
        d.composition_id.as_deref(),
        Some("2b5d459b-df79-4a2b-9b0c-95b2a7ee2ca4")
    );
    assert_eq!(
        d.title.as_deref(),
        Some("Cardiology Service Discharge Summary")
    );
    assert_eq!(
        d.care_setting.and_then(|c| c.code).as_deref(),
        Some("893061000000109")
    );
    let ramipril = d
        .medications
        .iter()
        .find(|m| m.code.as_deref() == Some("5884511000001100"))
        .expect("ramipril");
    assert!(ramipril
        .name
        .as_deref()
        .unwrap()
        .starts_with("Ramipril 2.5mg"));
    assert!(ramipril.dosage.is_some());
    let changes: Vec<_> = d.medications.iter().filter_map(|m| m.change).collect();
    assert_eq!(changes.len(), d.medications.len());
    assert!(changes.contains(&MedicationChange::Added));
    assert!(
        !d.attachments.is_empty(),
        "EDIS example carries a Binary attachment"
    );
    let enc = d.encounter.unwrap();
    assert!(enc.admission_date.is_some() && enc.admission_method.is_some());
    let pat = d.patient.unwrap();
    assert!(pat.nhs_number.is_some());
    assert_eq!(
        pat.nhs_number_valid,
        handover_toc::nhs::nhs_number_valid(pat.nhs_number.as_deref().unwrap())
    );
    for diag in &p.diagnostics {
        assert!(diag.severity < Severity::Fatal);
    }
}

#[test]
fn documents_wrapped_in_an_itk3_envelope_parse_to_the_same_document() {
    if corpus().is_none() {
        return;
    }
    for (path, kind) in corpus_documents() {
        let xml = std::fs::read_to_string(&path).unwrap();
        let bare = parse(xml.as_bytes());
        let wrapped_xml = wrap_in_envelope(&xml, event_for(kind));
        let wrapped = parse(wrapped_xml.as_bytes());
        assert!(
            !wrapped.is_fatal(),
            "{}: {:?}",
            path.display(),
            wrapped.diagnostics
        );
        assert_eq!(wrapped.kind.as_str(), kind);
        let m = wrapped.message.as_ref().expect("message");
        assert_eq!(m.event_code.as_deref(), Some(event_for(kind)));
        assert_eq!(m.sender_mailbox.as_deref(), Some("NOROT003"));
        assert!(m.message_id.is_some());
        assert_eq!(wrapped.document, bare.document, "{}", path.display());
    }
}

#[test]
fn every_response_parses_with_code_and_correlation() {
    if corpus().is_none() {
        return;
    }
    let mut files = files_in("acknowledgements");
    let archive = corpus_dir().join("acknowledgements/archive");
    files.extend(
        std::fs::read_dir(archive)
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    assert!(files.len() >= 80);
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let xml = std::fs::read_to_string(&path).unwrap();
        let src = roxmltree::Document::parse(&xml).unwrap();
        let expected_id = src
            .descendants()
            .find(|n| n.has_tag_name("response"))
            .and_then(|r| r.children().find(|c| c.has_tag_name("identifier")))
            .and_then(|i| i.attribute("value"));
        let expected_code = src
            .descendants()
            .find(|n| n.has_tag_name("OperationOutcome"))
            .and_then(|o| o.descendants().find(|n| n.has_tag_name("coding")))
            .and_then(|c| c.children().find(|x| x.has_tag_name("code")))
            .and_then(|c| c.attribute("value"));
        let p = parse(xml.as_bytes());
        assert!(!p.is_fatal(), "{name}: {:?}", p.diagnostics);
        assert_eq!(p.kind, DocumentKind::Response, "{name}");
        let r = p
            .response
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no response"));
        assert_eq!(r.original_message_id.as_deref(), expected_id, "{name}");
        assert_eq!(r.code.as_deref(), expected_code, "{name}");
        let legacy_by_name = name.starts_with("ITK-InfAck")
            || name.starts_with("ITK-BusinessAck")
            || name.contains("PriorValProcError");
        assert_eq!(r.legacy, legacy_by_name, "{name}: legacy flag");
        if name.starts_with("ITK-Response-") && name.as_bytes()[13].is_ascii_digit() {
            assert_eq!(
                r.code.as_deref(),
                Some(&name[13..18]),
                "{name}: code from file name"
            );
        }
    }
}

#[test]
fn requested_actions_are_read_from_every_example_document() {
    if corpus().is_none() {
        return;
    }
    for (path, _) in corpus_documents() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let parsed = parse(&std::fs::read(&path).unwrap());
        let doc = parsed.document.expect("a document");
        let actions = handover_toc::requested_actions(&doc);
        // Every action is text from the plan or follow-up narrative, word for word.
        for a in &actions {
            assert!(!a.text.trim().is_empty(), "{name}");
            let section = &doc.sections[a.section as usize];
            let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                squash(&section.text).contains(&squash(&a.text)),
                "{name}: {:?} is not in its section's text",
                a.text
            );
        }
        if name == "ITK-EDIS-Example-1.xml" {
            assert!(
                actions.iter().any(|a| a.for_practice),
                "{name}: {actions:?}"
            );
        }
    }

    // The outpatient letter whose one cell holds four actions, separated by <br/>, each with
    // its person responsible and status; the last is for the patient.
    let parsed = parse(
        &std::fs::read(
            corpus_dir().join("outpatient-letter/ITK-OPL-Document-Bundle-1-Example-5.xml"),
        )
        .unwrap(),
    );
    let actions = handover_toc::requested_actions(parsed.document.as_ref().unwrap());
    assert_eq!(actions.len(), 4, "{actions:#?}");
    assert!(actions[0]
        .text
        .starts_with("Request to orthopaedics for early appointment"));
    assert!(actions[1]
        .text
        .starts_with("Letter of support to education"));
    assert!(actions[2]
        .text
        .starts_with("Review medication with Sally's mother"));
    assert!(actions[3]
        .text
        .starts_with("Mrs. Jones to contact epilepsy nurse"));
    for a in &actions[..2] {
        assert!(a
            .responsible
            .as_deref()
            .unwrap()
            .contains("Dr. Arnold Rimmer"));
        assert_eq!(a.status.as_deref(), Some("Requested"));
    }
    assert!(actions[2]
        .responsible
        .as_deref()
        .unwrap()
        .contains("Phil Brown"));
    assert_eq!(actions[2].status.as_deref(), Some("Planned"));
    assert_eq!(actions[3].responsible, None);
    // Addressed to a paediatrician, a nurse and the patient's mother: none is the practice's.
    assert!(actions.iter().all(|a| !a.for_practice), "{actions:#?}");

    // A letter asking the GP to prescribe: that one action is the practice's.
    let parsed = parse(
        &std::fs::read(
            corpus_dir().join("outpatient-letter/ITK-OPL-Document-Bundle-1-Example-1.xml"),
        )
        .unwrap(),
    );
    let actions = handover_toc::requested_actions(parsed.document.as_ref().unwrap());
    let mine: Vec<_> = actions.iter().filter(|a| a.for_practice).collect();
    assert_eq!(mine.len(), 1, "{actions:#?}");
    assert!(mine[0]
        .text
        .starts_with("Please prescribe 28 x 100ml bags per month"));
    assert!(mine[0].responsible.as_deref().unwrap().contains("GP"));
}
