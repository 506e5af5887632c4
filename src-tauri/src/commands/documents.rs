//! The inbox list and the document view.

use base64::Engine as _;
use handover_inbox::views::{attachment, document_view, DocumentView};
use handover_store::{DocumentPage, DocumentRow, DocumentStatus, ListQuery};
use serde::Serialize;
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;
use handover_errors::ErrorCode;

/// An attachment's bytes, for display in the app (images) or saving (PDF and others).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AttachmentData {
    pub content_type: Option<String>,
    #[ts(type = "number")]
    pub size: u64,
    /// Base64 of the decoded bytes.
    pub base64: String,
    /// `image` (shown inline), `pdf` or `other` (saved to a file).
    pub display: String,
}

#[tauri::command]
pub fn list_documents(state: State<'_, AppState>, query: ListQuery) -> CmdResult<DocumentPage> {
    state.with_store(|s| Ok(s.query_documents(&query)?))
}

#[tauri::command]
pub fn list_senders(state: State<'_, AppState>) -> CmdResult<Vec<String>> {
    state.with_store(|s| Ok(s.senders()?))
}

fn not_found(id: i64) -> AppError {
    AppError::new(
        ErrorCode::DocumentNotFound,
        format!("document {id} is not in the store"),
    )
}

#[tauri::command]
pub fn open_document(state: State<'_, AppState>, id: i64) -> CmdResult<DocumentView> {
    state.with_store(|s| Ok(document_view(s, id)?))
}

/// Moves a document between New, Needs action and Filed, as the person working (see
/// `commands::work`): filing goes through the workflow's checks (every requested action for
/// the practice decided, a GP's review where one is needed, matched). `expected_version` is the
/// version the person saw: if it changed since, nothing changes and the error is
/// `document_changed`.
///
/// On a desktop of a practice a filing is sent to the practice server at once: if another
/// person filed the document first, the error is `already_filed` ("already filed by NAME at
/// TIME") and the document shows their filing. If the server cannot be reached the step is
/// kept, pending, and sent when it can be.
#[tauri::command]
pub async fn set_document_status<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    id: i64,
    status: DocumentStatus,
    expected_version: i64,
) -> CmdResult<DocumentRow> {
    let row = state.with_store(|s| {
        let actor = handover_workflow::actor_for(s, state.current_user().as_deref())?;
        let at = handover_inbox::now_rfc3339();
        let v = Some(expected_version);
        match status {
            DocumentStatus::Filed => handover_workflow::file(s, &actor, id, v, None, &at)?,
            DocumentStatus::NeedsAction => {
                handover_workflow::mark_needs_action(s, &actor, id, v, None, &at)?
            }
            DocumentStatus::New => handover_workflow::return_to_new(s, &actor, id, v, None, &at)?,
            other => {
                return Err(AppError::new(
                    ErrorCode::InvalidStatus,
                    format!("a document is not moved to {other} directly: use its workflow step"),
                ))
            }
        };
        Ok(s.document(id)?.ok_or_else(|| not_found(id))?.row)
    })?;
    crate::state::send_step(&app, &state, id, status == DocumentStatus::Filed).await?;
    Ok(row)
}

fn attachment_bytes(
    store: &handover_store::Store,
    id: i64,
    index: usize,
) -> CmdResult<(Option<String>, Vec<u8>)> {
    Ok(attachment(store, id, index)?)
}

fn display_kind(content_type: Option<&str>) -> &'static str {
    match content_type.map(|c| c.to_ascii_lowercase()) {
        Some(c) if matches!(c.as_str(), "image/png" | "image/jpeg" | "image/gif") => "image",
        Some(c) if c == "application/pdf" => "pdf",
        _ => "other",
    }
}

#[tauri::command]
pub fn open_attachment(
    state: State<'_, AppState>,
    document_id: i64,
    index: usize,
) -> CmdResult<AttachmentData> {
    state.with_store(|s| {
        let (content_type, bytes) = attachment_bytes(s, document_id, index)?;
        Ok(AttachmentData {
            display: display_kind(content_type.as_deref()).into(),
            size: bytes.len() as u64,
            base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
            content_type,
        })
    })
}

/// Saves an attachment to the Downloads folder (never opens or runs it); returns the path.
#[tauri::command]
pub fn save_attachment(
    state: State<'_, AppState>,
    document_id: i64,
    index: usize,
) -> CmdResult<String> {
    state.with_store(|s| {
        let (content_type, bytes) = attachment_bytes(s, document_id, index)?;
        let ext = match content_type.as_deref() {
            Some("application/pdf") => "pdf",
            Some("image/png") => "png",
            Some("image/jpeg") => "jpg",
            Some("text/plain") => "txt",
            _ => "bin",
        };
        // A new file every time: never overwriting one, never following a link planted there.
        let path = handover_inbox::export::save_new_file(
            &handover_inbox::export::downloads_dir(),
            &format!("handover-document-{document_id}-attachment-{}", index + 1),
            ext,
            &bytes,
        )
        .map_err(|e| {
            AppError::new(
                ErrorCode::AttachmentSaveFailed,
                format!("cannot save the attachment: {e}"),
            )
        })?;
        Ok(path.display().to_string())
    })
}
