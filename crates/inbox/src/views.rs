//! View models the desktop app shows, built from the store. Kept here (not in the Tauri shell)
//! so they are tested and benchmarked headless.

use handover_errors::ErrorCode;
use handover_store::{Delivery, DocumentIssue, DocumentRow, MessageProvenance, Store, StoreError};
use serde::Serialize;

/// Everything the document view shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct DocumentView {
    pub row: DocumentRow,
    /// The parse result: message header, the document and its diagnostics. Attachment contents
    /// are left out (fetched on demand).
    pub parsed: handover_toc::Parsed,
    pub provenance: MessageProvenance,
    /// The document that replaces this one, if it has been received.
    pub superseded_by: Option<DocumentRow>,
    /// Earlier documents this one replaces.
    pub supersedes: Vec<DocumentRow>,
    /// Every delivery of the document: the first, then each duplicate (time and sender).
    pub deliveries: Vec<Delivery>,
    /// Identity warnings: a reused identifier, a replacement that does not match.
    pub issues: Vec<DocumentIssue>,
    /// What the document asks someone to do, read from its plan and follow-up sections.
    pub actions: Vec<handover_toc::actions::RequestedAction>,
}

/// How much of a quarantined message the window gets as text.
pub const QUARANTINE_PREVIEW_BYTES: usize = 256 * 1024;

/// A quarantined message as the window shows it: why, a bounded preview of its bytes, and the
/// document it holds when it could be read (refused for another reason, such as an NHS number
/// that fails its check). The whole message is saved to a file on request, never sent whole.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct QuarantinedView {
    pub provenance: MessageProvenance,
    /// Why, in plain words, and what to do ("Cut off in transit: ask the sender to resend it.").
    pub plain_reason: String,
    /// Why, as the parser or the mailbox put it.
    pub reason: String,
    /// The organisation that sent it, where it can be read (name and ODS code).
    pub sender: Option<String>,
    /// When someone marked it as dealt with, and their note (it is kept either way).
    pub dealt_with_at: Option<String>,
    pub dealt_with_note: Option<String>,
    pub diagnostics: Vec<handover_toc::Diagnostic>,
    /// The first [`QUARANTINE_PREVIEW_BYTES`] as text (invalid UTF-8 replaced).
    pub preview: String,
    /// The message is longer than the preview.
    pub preview_truncated: bool,
    /// The bytes are not UTF-8 text (compressed, binary or damaged).
    pub binary: bool,
    /// How the bytes are encoded as kept (`gzip`: as received, not decoded), when it is not text.
    pub content_encoding: Option<String>,
    /// The document the message holds, when it could be read: shown under the quarantine
    /// banner, never as a trusted document. Attachment contents are left out.
    pub parsed: Option<handover_toc::Parsed>,
    /// Whether a person may keep its document by matching it by hand to a registered patient
    /// (quarantined only because the NHS number fails its check: see `crate::by_hand`).
    pub matchable_by_hand: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("document {0} is not in the store")]
    NotFound(i64),
    #[error("the stored model of document {id} cannot be read: {message}")]
    Model { id: i64, message: String },
    #[error("attachment {index} of document {id} is missing or not valid base64")]
    Attachment { id: i64, index: usize },
    #[error("message {0} is not in quarantine")]
    NotQuarantined(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ViewError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ViewError::NotFound(_) => ErrorCode::DocumentNotFound,
            ViewError::Model { .. } => ErrorCode::DocumentModelUnreadable,
            ViewError::Attachment { .. } => ErrorCode::AttachmentUnavailable,
            ViewError::NotQuarantined(_) => ErrorCode::MessageNotFound,
            ViewError::Store(e) => e.code(),
        }
    }
}

impl handover_errors::Coded for ViewError {
    fn code(&self) -> ErrorCode {
        ViewError::code(self)
    }
}

/// The decoded bytes and content type of a document's attachment, taken from the message as
/// received (the stored model leaves attachment contents out).
pub fn attachment(
    store: &Store,
    id: i64,
    index: usize,
) -> Result<(Option<String>, Vec<u8>), ViewError> {
    let stored = store.document(id)?.ok_or(ViewError::NotFound(id))?;
    let raw = store
        .message_raw(stored.message.message_id)?
        .ok_or(ViewError::NotFound(id))?;
    let parsed = handover_toc::parse(&raw);
    let content_type = parsed
        .document
        .as_ref()
        .and_then(|d| d.attachments.get(index))
        .and_then(|a| a.content_type.clone());
    let bytes = parsed
        .attachment_bytes(index)
        .ok_or(ViewError::Attachment { id, index })?;
    Ok((content_type, bytes))
}

/// Loads a document and builds its view model.
pub fn document_view(store: &Store, id: i64) -> Result<DocumentView, ViewError> {
    let stored = store.document(id)?.ok_or(ViewError::NotFound(id))?;
    let parsed: handover_toc::Parsed =
        serde_json::from_str(&stored.model_json).map_err(|e| ViewError::Model {
            id,
            message: e.to_string(),
        })?;
    let superseded_by = match stored.row.superseded_by {
        Some(newer) => store.document(newer)?.map(|d| d.row),
        None => None,
    };
    let mut supersedes = Vec::new();
    for older in store.document_replaced_by(id)? {
        if let Some(d) = store.document(older)? {
            supersedes.push(d.row);
        }
    }
    let actions = parsed
        .document
        .as_ref()
        .map(handover_toc::actions::requested_actions)
        .unwrap_or_default();
    Ok(DocumentView {
        actions,
        deliveries: store.document_deliveries(id)?,
        issues: store.document_issues(id)?,
        row: stored.row,
        parsed,
        provenance: stored.message,
        superseded_by,
        supersedes,
    })
}

/// Why a message is in quarantine, in plain words, and what to do about it: from the ITK3 code
/// of its most serious diagnostic.
pub fn plain_reason(
    diagnostics: &[handover_toc::Diagnostic],
    content_encoding: Option<&str>,
) -> String {
    use handover_toc::{ResponseCode as Rc, Severity};
    let worst = diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Error)
        .max_by_key(|d| (d.severity == Severity::Fatal, d.itk_code.is_some()));
    let code = worst.and_then(|d| d.itk_code).and_then(Rc::from_code);
    let message = worst.map(|d| d.message.to_lowercase()).unwrap_or_default();
    let cut_off = [
        "never closed",
        "unexpected end",
        "eof",
        "truncated",
        "unclosed",
    ]
    .iter()
    .any(|w| message.contains(w));
    match code {
        _ if content_encoding.is_some() => {
            "It arrived damaged (its compression is broken): ask the sender to resend it.".into()
        }
        Some(Rc::TooLarge) => {
            "Too large to read: ask the sender to resend it smaller (for example with large attachments sent another way).".into()
        }
        Some(Rc::Unreadable) if cut_off => "Cut off in transit: ask the sender to resend it.".into(),
        Some(Rc::Unreadable) => {
            "Not a Transfer of Care message Handover can read: ask the sender to check what they sent and resend it.".into()
        }
        Some(Rc::PayloadInvalid) if message.contains("nhs number") => {
            "The NHS number fails its check: confirm the patient's identity with the sender before using this document.".into()
        }
        Some(Rc::PayloadInvalid) => {
            "The document is not complete or not valid: ask the sender to check it and resend it.".into()
        }
        Some(Rc::HeaderInvalid) | Some(Rc::HandlingSpecificationError) | Some(Rc::MessageDefinitionError) => {
            "The message's envelope is not valid ITK3: ask the sender's IT team to check it and resend it.".into()
        }
        Some(Rc::UnsupportedAttachment) | Some(Rc::NonApprovedAttachment) => {
            "It carries an attachment of a type that cannot be accepted: ask the sender to resend it without it.".into()
        }
        _ => "It could not be accepted as it is: look at the details below, and contact the sender.".into(),
    }
}

/// A quarantined message for the window: see [`QuarantinedView`].
pub fn quarantined_view(store: &Store, message_id: i64) -> Result<QuarantinedView, ViewError> {
    let row = store
        .quarantined(message_id)?
        .ok_or(ViewError::NotQuarantined(message_id))?;
    let raw = store
        .message_raw(message_id)?
        .ok_or(ViewError::NotQuarantined(message_id))?;
    let content_encoding = row
        .mailbox_meta
        .as_deref()
        .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
        .and_then(|m| m["fault"]["content_encoding"].as_str().map(str::to_string));
    let cut = raw.len().min(QUARANTINE_PREVIEW_BYTES);
    // Cut on a character boundary when the bytes are text.
    let head = match std::str::from_utf8(&raw[..cut]) {
        Ok(s) => s.to_string(),
        Err(e) if e.error_len().is_none() => {
            String::from_utf8_lossy(&raw[..e.valid_up_to()]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(&raw[..cut]).into_owned(),
    };
    let binary = std::str::from_utf8(&raw).is_err();
    // The document inside, when it reads as one (bytes as received that are still encoded,
    // or larger than the parser reads, are not parsed).
    let parsed = (content_encoding.is_none() && raw.len() <= handover_toc::MAX_INPUT_BYTES)
        .then(|| handover_toc::parse(&raw))
        .filter(|p| p.document.is_some())
        .map(|mut p| {
            if let Some(doc) = p.document.as_mut() {
                for a in &mut doc.attachments {
                    a.data_base64 = String::new();
                }
            }
            p
        });
    let diagnostics: Vec<handover_toc::Diagnostic> =
        serde_json::from_str(&row.diagnostics).unwrap_or_default();
    let sender = parsed
        .as_ref()
        .and_then(|p| {
            p.message
                .as_ref()
                .and_then(|m| m.sender.clone())
                .or_else(|| p.document.as_ref().and_then(|d| d.custodian.clone()))
        })
        .map(|s| {
            [s.name, s.ods_code.map(|o| format!("({o})"))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|s| !s.is_empty());
    let matchable_by_hand = parsed
        .as_ref()
        .is_some_and(|p| crate::by_hand::why_not_matchable(p).is_none());
    Ok(QuarantinedView {
        matchable_by_hand,
        plain_reason: plain_reason(&diagnostics, content_encoding.as_deref()),
        sender,
        dealt_with_at: row.dealt_with_at,
        dealt_with_note: row.dealt_with_note,
        diagnostics,
        provenance: row.message,
        reason: row.reason,
        preview_truncated: head.len() < raw.len(),
        preview: head,
        binary,
        content_encoding,
        parsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use handover_store::{DbKey, Disposition, Incoming, MessageSource};

    fn quarantine(store: &mut Store, id: &str, raw: &[u8], meta: Option<&str>) -> i64 {
        store
            .ingest(
                &Incoming {
                    source: MessageSource::Mesh,
                    mailbox: "X26ABC1",
                    source_id: id,
                    workflow_id: None,
                    sender_mailbox: Some("X26ABC2"),
                    received_at: "2026-12-01T10:00:00Z",
                    raw,
                    body: None,
                    mailbox_meta: meta,
                },
                None,
                Disposition::Quarantine { reason: "test" },
                "[]",
                &[],
            )
            .unwrap()
            .outcome
            .message_id()
    }

    #[test]
    fn a_quarantined_message_is_previewed_not_sent_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&tmp.path().join("s.db"), &DbKey::generate()).unwrap();
        // 1 MB of text with a multi-byte character across the preview's edge.
        let mut big = "x".repeat(QUARANTINE_PREVIEW_BYTES - 1).into_bytes();
        big.extend("é and more".as_bytes());
        big.extend(vec![b'y'; 1024 * 1024]);
        let id = quarantine(&mut store, "BIG", &big, None);
        let v = quarantined_view(&store, id).unwrap();
        assert!(v.preview_truncated && !v.binary);
        assert_eq!(
            v.preview.len(),
            QUARANTINE_PREVIEW_BYTES - 1,
            "cut before the split character"
        );
        assert_eq!(v.provenance.size, big.len() as u64);
        assert!(v.parsed.is_none());
        // Bytes kept still gzip-encoded, as received: said so, and not parsed.
        let id = quarantine(
            &mut store,
            "GZ",
            &[0x1f, 0x8b, 8, 0, 1, 2, 3],
            Some(
                r#"{"meta":{},"fault":{"kind":"undecodable","reason":"x","truncated":false,"content_encoding":"gzip"}}"#,
            ),
        );
        let v = quarantined_view(&store, id).unwrap();
        assert_eq!(v.content_encoding.as_deref(), Some("gzip"));
        assert!(v.binary && !v.preview_truncated);
        assert_eq!(
            quarantined_view(&store, 999).unwrap_err().code(),
            "message_not_found"
        );
    }

    #[test]
    fn a_quarantined_message_that_reads_as_a_document_is_shown_as_one() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&tmp.path().join("s.db"), &DbKey::generate()).unwrap();
        let f = handover_fixtures::generate(1, 9).remove(0);
        // An NHS number that fails its check digit: quarantined, but readable.
        let good = f.nhs_number.clone();
        let last = good.chars().last().unwrap().to_digit(10).unwrap();
        let bad = format!("{}{}", &good[..9], (last + 1) % 10);
        assert!(!handover_toc::nhs::nhs_number_valid(&bad));
        let raw = String::from_utf8(f.bytes.clone())
            .unwrap()
            .replace(&good, &bad)
            .into_bytes();
        let parsed = handover_toc::parse(&raw);
        assert!(matches!(
            crate::classify(&parsed, false).classification,
            crate::Classification::Quarantine { .. }
        ));
        let id = quarantine(&mut store, "NHS", &raw, None);
        let v = quarantined_view(&store, id).unwrap();
        let doc = v.parsed.expect("the document is shown").document.unwrap();
        assert_eq!(
            doc.patient.unwrap().nhs_number.as_deref(),
            Some(bad.as_str())
        );
        assert!(doc.attachments.iter().all(|a| a.data_base64.is_empty()));
    }
}
