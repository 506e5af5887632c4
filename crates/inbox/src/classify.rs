//! From a parse result to what the store keeps and which ITK3 response it needs.

use handover_store::DocumentRecord;
use handover_toc::{
    response, MedicationChange, MedicationList, MedicationStatus, Parsed, ResponseCode, Severity,
};
use sha2::{Digest, Sha256};

/// What the parser made of a message.
#[derive(Debug, Clone)]
pub enum Classification {
    Document {
        itk_message_id: Option<String>,
        document: Box<DocumentRecord>,
    },
    /// An ITK3 response addressed to us.
    Response { itk_message_id: Option<String> },
    /// A MESH non-delivery report.
    Report,
    /// Unreadable or invalid: kept, with the reason, for a person to look at.
    Quarantine {
        itk_message_id: Option<String>,
        reason: String,
    },
}

impl Classification {
    pub fn itk_message_id(&self) -> Option<&str> {
        match self {
            Classification::Document { itk_message_id, .. }
            | Classification::Response { itk_message_id }
            | Classification::Quarantine { itk_message_id, .. } => itk_message_id.as_deref(),
            Classification::Report => None,
        }
    }
}

/// What the sync engine does with a message.
#[derive(Debug, Clone)]
pub struct Classified {
    pub classification: Classification,
    /// The infrastructure response code this message earns (20013 when it can be stored; a
    /// stored document's final code also depends on what is already stored: see `policy`).
    pub infrastructure_code: ResponseCode,
    /// Whether the sender asked for an infrastructure response. `None` when the flags could not
    /// be read: then a response is sent anyway, as ITK3 requires.
    pub inf_ack_requested: Option<bool>,
}

/// Decides how to keep a parsed message. A document whose parse earns a negative
/// infrastructure code (unreadable, invalid header or payload, unsupported attachment, too
/// large) is quarantined with the reasons: its bytes are kept and a person reviews it.
pub fn classify(parsed: &Parsed, is_report: bool) -> Classified {
    let itk_message_id = parsed.message.as_ref().and_then(|m| m.message_id.clone());
    let inf_ack_requested = parsed
        .message
        .as_ref()
        .and_then(|m| m.handling.inf_ack_requested);
    if is_report {
        return Classified {
            classification: Classification::Report,
            infrastructure_code: ResponseCode::Success,
            inf_ack_requested: Some(false),
        };
    }
    if parsed.response.is_some() && parsed.document.is_none() {
        return Classified {
            classification: Classification::Response { itk_message_id },
            infrastructure_code: ResponseCode::Success,
            inf_ack_requested: Some(false),
        };
    }
    let code = response::suggested_infrastructure_code(parsed);
    match (&parsed.document, code) {
        (Some(doc), ResponseCode::Success) => Classified {
            classification: Classification::Document {
                itk_message_id,
                document: Box::new(document_record(parsed, doc)),
            },
            infrastructure_code: ResponseCode::Success,
            inf_ack_requested,
        },
        (doc, code) => {
            let mut reasons: Vec<String> = parsed
                .diagnostics_at_least(Severity::Error)
                .map(|d| match d.itk_code {
                    Some(c) => format!("{} ({c}): {}", d.location, d.message),
                    None => format!("{}: {}", d.location, d.message),
                })
                .collect();
            if doc.is_none() && reasons.is_empty() {
                reasons.push("the message holds no Transfer of Care document".into());
            }
            let code = if code == ResponseCode::Success {
                ResponseCode::PayloadInvalid
            } else {
                code
            };
            Classified {
                classification: Classification::Quarantine {
                    itk_message_id,
                    reason: reasons.join("; "),
                },
                infrastructure_code: code,
                // Unreadable: the flags are unknown, so respond.
                inf_ack_requested: if parsed.is_fatal() {
                    None
                } else {
                    inf_ack_requested
                },
            }
        }
    }
}

/// The document's "Plan and requested actions" section has something in it.
fn requested_actions(doc: &handover_toc::Document) -> bool {
    doc.sections.iter().any(|s| {
        s.code.as_deref() == Some(handover_toc::actions::PLAN_AND_REQUESTED_ACTIONS)
            && !s.text.trim().is_empty()
    })
}

/// How a patient is named in lists: "SMITH, Jane" (family name first, in capitals), as in the
/// patient banner, so the two read the same.
pub fn list_name(p: &handover_toc::Patient) -> Option<String> {
    match &p.family {
        Some(family) if !family.trim().is_empty() => {
            let given = p.given.join(" ");
            Some(if given.is_empty() {
                family.to_uppercase()
            } else {
                format!("{}, {given}", family.to_uppercase())
            })
        }
        _ => p.name.clone(),
    }
}

/// The store's summary of a document, with the full model as JSON.
pub fn document_record(parsed: &Parsed, doc: &handover_toc::Document) -> DocumentRecord {
    let patient = doc.patient.as_ref();
    let stopped = |m: &&handover_toc::Medication| {
        m.list == MedicationList::Discontinued || m.status == MedicationStatus::Stopped
    };
    let count = |c: MedicationChange| {
        doc.medications
            .iter()
            .filter(|m| !stopped(m) && m.change == Some(c))
            .count()
    };
    let (added, amended, on_hold) = (
        count(MedicationChange::Added),
        count(MedicationChange::Amended),
        count(MedicationChange::OnHold),
    );
    let stopped = doc.medications.iter().filter(stopped).count();
    let changes = added + amended + on_hold + stopped;
    let actions = handover_toc::actions::requested_actions(doc);
    let open_actions: Vec<_> = actions.iter().filter(|a| a.needs_disposition()).collect();
    let mut search = String::new();
    for s in &doc.sections {
        for part in [s.title.as_deref(), Some(s.text.as_str())]
            .into_iter()
            .flatten()
        {
            search.push_str(part);
            search.push('\n');
        }
    }
    for m in &doc.medications {
        if let Some(name) = &m.name {
            search.push_str(name);
            search.push('\n');
        }
    }
    for part in [
        doc.title.as_deref(),
        doc.custodian.as_ref().and_then(|c| c.name.as_deref()),
    ]
    .into_iter()
    .flatten()
    {
        search.push_str(part);
        search.push('\n');
    }
    let flags = serde_json::json!({
        "medication_changes": changes,
        "medications": doc.medications.len(),
        "attachments": doc.attachments.len(),
        "unrecognised": doc.unrecognised_entries.len(),
        "nhs_number_valid": patient.map(|p| p.nhs_number_valid).unwrap_or(false),
        "allergies": doc.allergies.len(),
        "superseding": doc.replaces.is_some(),
        "requested_actions": requested_actions(doc),
        "added": added,
        "amended": amended,
        "stopped": stopped,
        "on_hold": on_hold,
        "practice_actions": open_actions.len(),
        "first_action": open_actions.first().map(|a| handover_toc::actions::first_line(&a.text)),
        "high_risk_medicines": doc.medications.iter().filter(|m| m.high_risk.is_some()).count(),
        // Only what a reader must look at (content removed, markup read as HTML, ...), not every
        // technical warning (an unrecognised local heading is kept and shown as it is).
        "warnings": parsed.diagnostics.iter().filter(|d| d.attention || d.severity == Severity::Error).count(),
    });
    let message_sender = parsed.message.as_ref().and_then(|m| m.sender.as_ref());
    DocumentRecord {
        sender_org: doc
            .custodian
            .as_ref()
            .and_then(|c| c.ods_code.clone())
            .or_else(|| message_sender.and_then(|s| s.ods_code.clone())),
        content_sha256: Some(content_sha256(doc)),
        kind: doc.kind,
        document_bundle_id: doc
            .bundle_id
            .clone()
            .or_else(|| doc.bundle_identifier.clone()),
        composition_id: doc.composition_id.clone(),
        replaces: doc.replaces.clone(),
        nhs_number: patient.and_then(|p| p.nhs_number.clone()),
        patient_name: patient.and_then(list_name),
        birth_date: patient.and_then(|p| p.birth_date.clone()),
        title: doc.title.clone(),
        sender: doc
            .custodian
            .as_ref()
            .and_then(|c| c.name.clone().or_else(|| c.ods_code.clone()))
            .or_else(|| {
                parsed
                    .message
                    .as_ref()
                    .and_then(|m| m.sender.as_ref())
                    .and_then(|s| s.name.clone().or_else(|| s.ods_code.clone()))
            }),
        care_setting: doc
            .care_setting
            .as_ref()
            .and_then(|c| c.display.clone().or_else(|| c.code.clone())),
        document_date: doc.date.clone(),
        flags: flags.to_string(),
        med_changes: changes as u32,
        practice_actions: open_actions.len() as u32,
        model: stored_model_json(parsed),
        search_text: search,
    }
}

/// SHA-256 of a document's content: the parsed document, attachments included, serialised.
/// Two deliveries carry the same document exactly when this is equal (the message envelope, which
/// differs between deliveries, is not part of it).
pub fn content_sha256(doc: &handover_toc::Document) -> String {
    struct HashWriter(Sha256);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(Sha256::new());
    serde_json::to_writer(&mut w, doc).expect("the document model serialises");
    hex::encode(w.0.finalize())
}

/// The parse model as stored: attachment contents are left out (they stay in the raw message,
/// which is kept byte for byte, and are decoded from it on demand).
pub fn stored_model_json(parsed: &Parsed) -> String {
    let mut slim = parsed.clone();
    if let Some(doc) = slim.document.as_mut() {
        for a in &mut doc.attachments {
            a.data_base64 = String::new();
        }
    }
    serde_json::to_string(&slim).expect("the parse model serialises")
}

pub use handover_toc::codes::ack_workflow;
