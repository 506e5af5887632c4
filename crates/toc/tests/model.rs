//! Model details on small synthetic inputs (the seeds kept in tests/regressions).

use handover_toc::{
    parse, DocumentKind, InputFormat, MedicationChange, MedicationStatus, Severity,
};

fn regression(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/regressions/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn minimal_document() {
    let p = parse(&regression("minimal-document.xml"));
    assert!(!p.is_fatal());
    assert_eq!(p.format, InputFormat::Xml);
    assert!(p.message.is_none());
    let d = p.document.as_ref().unwrap();
    assert_eq!(d.bundle_id.as_deref(), Some("b1"));
    assert_eq!(d.composition_id.as_deref(), Some("ci"));
    let s = &d.sections[0];
    assert!(s.known);
    // The narrative's script is code, not narrative: removed, and the document says so.
    assert_eq!(s.text, "Seen today.");
    assert_eq!(s.html, "<div><p>Seen <b>today</b>.</p></div>");
    assert!(p.diagnostics.iter().any(
        |d| d.message.contains("removed from the narrative") && d.message.contains("1 script")
    ));
    assert_eq!(
        s.entries[0].resource_type.as_deref(),
        Some("MedicationStatement")
    );
    let m = &d.medications[0];
    assert_eq!(
        (m.code.as_deref(), m.name.as_deref(), m.dosage.as_deref()),
        (Some("318420003"), Some("Ramipril"), Some("One daily"))
    );
    assert_eq!(m.status, MedicationStatus::Active);
    assert_eq!(m.change, Some(MedicationChange::Added));
    assert_eq!(d.attachments[0].size, 4);
    assert_eq!(p.attachment_bytes(0).unwrap(), b"%PDF");
    let pat = d.patient.as_ref().unwrap();
    assert!(pat.nhs_number_valid);
    // Kind unknown without profile or event: a warning, not an error.
    assert_eq!(p.kind, DocumentKind::Unknown);
    assert!(
        p.diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn invalid_nhs_number_is_reported_as_such() {
    let xml = String::from_utf8(regression("minimal-document.xml"))
        .unwrap()
        .replace("9434765919", "9434765918");
    let p = parse(xml.as_bytes());
    assert!(!p.is_fatal());
    assert!(
        !p.document
            .as_ref()
            .unwrap()
            .patient
            .as_ref()
            .unwrap()
            .nhs_number_valid
    );
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.location == "Patient.identifier")
        .unwrap();
    assert_eq!((d.severity, d.itk_code), (Severity::Error, Some(20009)));
    assert!(
        d.message.contains("9434765918")
            && d.message.contains("invalid")
            && d.message.contains("modulus 11")
    );
}

#[test]
fn unknown_sections_and_entries_are_kept_and_flagged() {
    let xml = String::from_utf8(regression("minimal-document.xml"))
        .unwrap()
        .replace("887181000000106", "999999999")
        .replace("<resource><Binary>", "<resource><Observation><text><div xmlns=\"http://www.w3.org/1999/xhtml\">BP 120/80</div></text></Observation></resource></entry><entry><resource><Binary>");
    let p = parse(xml.as_bytes());
    let d = p.document.as_ref().unwrap();
    assert!(!d.sections[0].known);
    assert_eq!(d.sections[0].title.as_deref(), Some("Clinical summary"));
    assert!(d.sections[0].text.contains("Seen today."));
    assert_eq!(d.unrecognised_entries[0].resource_type, "Observation");
    assert_eq!(
        d.unrecognised_entries[0].narrative_text.as_deref(),
        Some("BP 120/80")
    );
    assert!(p.diagnostics.iter().any(|x| x
        .message
        .contains("not a recognised Transfer of Care heading")));
}

#[test]
fn json_message_with_replacement() {
    let p = parse(&regression("minimal-message.json"));
    assert_eq!(p.format, InputFormat::Json);
    assert_eq!(p.kind, DocumentKind::OutpatientLetter);
    let m = p.message.as_ref().unwrap();
    assert_eq!(m.message_id.as_deref(), Some("h"));
    assert_eq!(m.sender_mailbox.as_deref(), Some("X26OT001"));
    assert_eq!(m.sender.as_ref().unwrap().ods_code.as_deref(), Some("X26"));
    assert_eq!(
        (m.handling.bus_ack_requested, m.handling.inf_ack_requested),
        (Some(true), Some(false))
    );
    assert_eq!(m.handling.recipient_type.as_deref(), Some("FA"));
    // MessageDefinition missing: a handling error, still read.
    assert!(p.diagnostics.iter().any(|d| d.itk_code == Some(10004)));
    let d = p.document.as_ref().unwrap();
    assert_eq!(d.replaces.as_deref(), Some("old"));
    assert_eq!(d.sections[0].text, "link");
    assert_eq!(d.sections[0].html, "<div><a>link</a></div>");
}

#[test]
fn legacy_handling_and_response() {
    let p = parse(&regression("legacy-response.xml"));
    assert_eq!(p.kind, DocumentKind::Response);
    let m = p.message.as_ref().unwrap();
    assert!(m.handling.legacy && m.legacy);
    assert_eq!(m.handling.inf_ack_requested, Some(false));
    assert_eq!(
        m.handling.legacy_keys,
        vec![("INFACK".to_string(), "false".to_string())]
    );
    let r = p.response.as_ref().unwrap();
    assert!(r.legacy);
    assert_eq!(
        (r.code.as_deref(), r.original_message_id.as_deref()),
        (Some("51001"), Some("orig-1"))
    );
}

#[test]
fn unreadable_inputs_are_fatal_with_10009() {
    for input in [
        &b""[..],
        b"   ",
        b"hello",
        b"<a><b></a>",
        b"{\"x\":1}",
        b"[1,2]",
        b"<Patient xmlns=\"http://hl7.org/fhir\"/>",
        b"\xff\xfe<\x00",
        b"<Bundle>\xff</Bundle>",
    ] {
        let p = parse(input);
        assert!(p.is_fatal(), "{:?}", String::from_utf8_lossy(input));
        let f = p
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Fatal)
            .unwrap();
        assert_eq!(f.itk_code, Some(10009));
        assert!(p.document.is_none() && p.response.is_none());
    }
    let p = parse(&regression("doctype-after-comment.xml"));
    assert!(p.is_fatal() && p.diagnostics[0].message.contains("DOCTYPE"));
}

#[test]
fn malformed_narrative_keeps_text() {
    let p = parse(&regression("bom-json-bad-div.json"));
    assert!(!p.is_fatal(), "{:?}", p.diagnostics);
    assert_eq!(p.document.unwrap().sections[0].text, "x");
    let p = parse(&regression("truncated-narrative.xml"));
    assert!(p.is_fatal());
}

/// Found by `cargo fuzz`: void elements were emitted as `<br>`, which is not well-formed XML.
#[test]
fn void_elements_self_close() {
    let p = parse(&regression("fuzz-void-elements.xml"));
    let s = &p.document.unwrap().sections[0];
    assert_eq!(
        s.html,
        r#"<div><p>Dear Dr X,<br/>line two<hr/></p><table><colgroup><col span="2"/></colgroup><tr><td>a</td></tr></table></div>"#
    );
    assert_eq!(s.text, "Dear Dr X,\nline two\na");
}

/// Found by `cargo fuzz`: a section without `text` has empty HTML and an error that says so.
#[test]
fn section_without_narrative_is_reported() {
    let p = parse(&regression("fuzz-section-without-text.json"));
    assert!(!p.is_fatal());
    let s = &p.document.as_ref().unwrap().sections[0];
    assert_eq!(s.title.as_deref(), Some("Plan"));
    assert!(s.html.is_empty() && s.text.is_empty());
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.location == "Composition.section[0].text")
        .unwrap();
    assert_eq!((d.severity, d.itk_code), (Severity::Error, Some(20009)));
    assert!(d.message.contains("no narrative"));
}
