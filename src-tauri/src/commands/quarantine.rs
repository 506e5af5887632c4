//! Messages that could not be read or were invalid: kept, with their reason, for a person.

use handover_inbox::export::{downloads_dir, save_new_file};
use handover_inbox::views::{quarantined_view, QuarantinedView};
use handover_store::QuarantineRow;
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;
use handover_errors::ErrorCode;

#[tauri::command]
pub fn list_quarantine(
    state: State<'_, AppState>,
    offset: u32,
    limit: u32,
) -> CmdResult<Vec<QuarantineRow>> {
    state.with_store(|s| Ok(s.quarantine(limit.clamp(1, 500), offset)?))
}

/// Why a message is quarantined, a bounded preview of it, and the document it holds when it
/// could be read.
#[tauri::command]
pub fn open_quarantined(state: State<'_, AppState>, message_id: i64) -> CmdResult<QuarantinedView> {
    state.with_store(|s| Ok(quarantined_view(s, message_id)?))
}

/// Marks a quarantined message as dealt with, with a note; it is kept, and stays listed.
#[tauri::command]
pub fn mark_quarantine_dealt_with(
    state: State<'_, AppState>,
    message_id: i64,
    note: String,
) -> CmdResult<QuarantinedView> {
    if note.trim().is_empty() {
        return Err(AppError::new(
            ErrorCode::Input,
            "say what was done about this message (for example \"asked the hospital to resend\")",
        ));
    }
    state.with_store(|s| {
        let at = handover_inbox::now_rfc3339();
        s.mark_quarantine_dealt_with(message_id, note.trim(), None, &at)?;
        Ok(quarantined_view(s, message_id)?)
    })
}

/// Saves the quarantined message, byte for byte as received, to a new file in Downloads;
/// returns the path.
#[tauri::command]
pub fn save_quarantined(state: State<'_, AppState>, message_id: i64) -> CmdResult<String> {
    state.with_store(|s| {
        s.quarantined(message_id)?.ok_or_else(|| {
            AppError::new(
                ErrorCode::MessageNotFound,
                format!("message {message_id} is not in quarantine"),
            )
        })?;
        let raw = s.message_raw(message_id)?.unwrap_or_default();
        let path = save_new_file(
            &downloads_dir(),
            &format!("handover-quarantined-message-{message_id}"),
            "bin",
            &raw,
        )
        .map_err(|e| {
            AppError::new(
                ErrorCode::SaveFailed,
                format!("cannot save the message: {e}"),
            )
        })?;
        Ok(path.display().to_string())
    })
}
