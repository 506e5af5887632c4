//! View models the desktop app shows, built from the store. Kept here (not in the Tauri shell)
//! so they are tested and benchmarked headless.

use handover_store::{DocumentRow, MessageProvenance, Store, StoreError};
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
}

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("document {0} is not in the store")]
    NotFound(i64),
    #[error("the stored model of document {id} cannot be read: {message}")]
    Model { id: i64, message: String },
    #[error("attachment {index} of document {id} is missing or not valid base64")]
    Attachment { id: i64, index: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ViewError {
    pub fn code(&self) -> &'static str {
        match self {
            ViewError::NotFound(_) => "document_not_found",
            ViewError::Model { .. } => "document_model_unreadable",
            ViewError::Attachment { .. } => "attachment_unavailable",
            ViewError::Store(e) => e.code(),
        }
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
    Ok(DocumentView {
        row: stored.row,
        parsed,
        provenance: stored.message,
        superseded_by,
        supersedes,
    })
}
