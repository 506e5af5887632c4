//! `handover inspect`: a stable JSON view and a readable text report of a [`Parsed`].

use serde_json::{json, Value};

use crate::model::*;

/// The stable JSON contract of `handover inspect --json` (fields may be added, never removed).
pub fn to_json(p: &Parsed) -> Value {
    let doc = p.document.as_ref();
    let msg = p.message.as_ref();
    let patient = doc.and_then(|d| d.patient.as_ref());
    json!({
        "kind": p.kind.as_str(),
        "format": p.format,
        "message_id": msg.and_then(|m| m.message_id.clone()),
        "event_code": msg.and_then(|m| m.event_code.clone()),
        "document_id": doc.and_then(|d| d.bundle_id.clone()),
        "composition_id": doc.and_then(|d| d.composition_id.clone()),
        "replaces": doc.and_then(|d| d.replaces.clone()),
        "title": doc.and_then(|d| d.title.clone()),
        "date": doc.and_then(|d| d.date.clone()),
        "handling": msg.map(|m| json!({
            "bus_ack_requested": m.handling.bus_ack_requested,
            "inf_ack_requested": m.handling.inf_ack_requested,
            "sender_mailbox": m.sender_mailbox,
            "recipient_type": m.handling.recipient_type,
            "message_definition": m.handling.message_definition,
            "sender_reference": m.handling.sender_reference,
            "legacy": m.handling.legacy,
        })),
        "sender": msg.and_then(|m| m.sender.clone()),
        "receiver": msg.and_then(|m| m.receiver.clone()),
        "patient": patient.map(|pt| json!({
            "nhs_number": pt.nhs_number,
            "nhs_number_valid": pt.nhs_number_valid,
            "name": pt.name,
            "family": pt.family,
            "given": pt.given,
            "birth_date": pt.birth_date,
            "gender": pt.gender,
            "gp_practice_ods": pt.gp_practice_ods,
        })),
        "sections": doc.map(|d| d.sections.iter().map(|s| json!({
            "code": s.code, "title": s.title, "text": s.text, "html": s.html, "known": s.known,
        })).collect::<Vec<_>>()).unwrap_or_default(),
        "medications": doc.map(|d| d.medications.iter().map(|m| json!({
            "code": m.code,
            "name": m.name,
            "dosage": m.dosage,
            "route": m.route,
            "status": match m.status { MedicationStatus::Active => "active", MedicationStatus::Stopped => "stopped", MedicationStatus::Unknown => "unknown" },
            "list": m.list,
            "change": m.change.map(MedicationChange::as_str),
            "change_date": m.change_date,
            "change_details": m.change_details,
        })).collect::<Vec<_>>()).unwrap_or_default(),
        "allergies": doc.map(|d| d.allergies.iter().map(|a| json!({
            "substance": a.substance, "code": a.code, "reactions": a.reactions, "severity": a.severity,
            "no_known_allergies": a.no_known_allergies,
        })).collect::<Vec<_>>()).unwrap_or_default(),
        "attachments": doc.map(|d| d.attachments.iter().map(|a| json!({
            "content_type": a.content_type, "size": a.size, "supported": a.supported,
        })).collect::<Vec<_>>()).unwrap_or_default(),
        "diagnostics": p.diagnostics.iter().map(|d| json!({
            "severity": d.severity, "itk_code": d.itk_code, "location": d.location, "message": d.message,
        })).collect::<Vec<_>>(),
        "response": p.response.as_ref().map(|r| json!({
            "code": r.code,
            "display": r.display,
            "response_code": r.response_code,
            "original_message_id": r.original_message_id,
            "legacy": r.legacy,
        })),
    })
}

/// A readable report of the parsed model and its diagnostics.
pub fn to_text(p: &Parsed) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let _ = writeln!(o, "Kind:        {}", p.kind.as_str());
    if let Some(m) = &p.message {
        let _ = writeln!(
            o,
            "Message id:  {}  (event {})",
            opt(&m.message_id),
            opt(&m.event_code)
        );
        let party = |x: &Option<Party>| {
            x.as_ref()
                .map(|p| {
                    format!(
                        "{} {}",
                        p.ods_code.clone().unwrap_or_default(),
                        p.name.clone().unwrap_or_default()
                    )
                    .trim()
                    .to_string()
                })
                .unwrap_or("-".into())
        };
        let _ = writeln!(
            o,
            "From:        {}  mailbox {}",
            party(&m.sender),
            opt(&m.sender_mailbox)
        );
        let _ = writeln!(o, "To:          {}", party(&m.receiver));
        let flag = |b: Option<bool>| b.map(|b| b.to_string()).unwrap_or("?".into());
        let _ = writeln!(
            o,
            "Handling:    BusAck {}  InfAck {}  Recipient {}{}",
            flag(m.handling.bus_ack_requested),
            flag(m.handling.inf_ack_requested),
            opt(&m.handling.recipient_type),
            if m.handling.legacy {
                "  (legacy handling)"
            } else {
                ""
            }
        );
    }
    if let Some(r) = &p.response {
        let _ = writeln!(
            o,
            "Response:    {} {} ({}) to message {}{}",
            opt(&r.code),
            opt(&r.display),
            opt(&r.response_code),
            opt(&r.original_message_id),
            if r.legacy { "  [legacy]" } else { "" }
        );
    }
    if let Some(d) = &p.document {
        let _ = writeln!(
            o,
            "Document:    {}  (composition {})",
            opt(&d.bundle_id),
            opt(&d.composition_id)
        );
        let _ = writeln!(
            o,
            "Title:       {}  {}  status {}",
            opt(&d.title),
            opt(&d.date),
            opt(&d.status)
        );
        if let Some(r) = &d.replaces {
            let _ = writeln!(o, "Replaces:    {r}");
        }
        if let Some(pt) = &d.patient {
            let _ = writeln!(
                o,
                "Patient:     {}  NHS {}{}  born {}  {}",
                opt(&pt.name),
                opt(&pt.nhs_number),
                if pt.nhs_number_valid {
                    ""
                } else {
                    " (INVALID)"
                },
                opt(&pt.birth_date),
                opt(&pt.gender)
            );
        }
        for m in &d.medications {
            let _ = writeln!(
                o,
                "  Medicine:  {} [{}] {} / {:?} {}",
                opt(&m.name),
                opt(&m.code),
                opt(&m.dosage),
                m.status,
                m.change.map(|c| c.as_str()).unwrap_or("")
            );
        }
        for a in &d.allergies {
            let _ = writeln!(
                o,
                "  Allergy:   {} {}",
                opt(&a.substance),
                a.reactions.join(", ")
            );
        }
        for a in &d.attachments {
            let _ = writeln!(o, "  Attachment: {} {} bytes", opt(&a.content_type), a.size);
        }
        for s in &d.sections {
            let _ = writeln!(
                o,
                "\n== {}{} ==",
                opt(&s.title),
                if s.known { "" } else { " (not recognised)" }
            );
            let _ = writeln!(o, "{}", s.text);
        }
    }
    let _ = writeln!(o, "\nDiagnostics: {}", p.diagnostics.len());
    for d in &p.diagnostics {
        let code = d
            .itk_code
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            o,
            "  {:?} [{}] {}: {}",
            d.severity, code, d.location, d.message
        );
    }
    o
}
