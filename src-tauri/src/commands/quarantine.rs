//! Messages that could not be read or were invalid: kept, with their reason, for a person.

use handover_store::{MessageProvenance, QuarantineRow};
use serde::Serialize;
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// A quarantined message as shown: why, and its raw content as text (never rendered as HTML).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct QuarantinedMessage {
    pub provenance: MessageProvenance,
    pub reason: String,
    pub diagnostics: Vec<handover_toc::Diagnostic>,
    /// The raw bytes as UTF-8 (invalid sequences replaced), in full.
    pub text: String,
    /// The bytes were not valid UTF-8 text.
    pub binary: bool,
}

#[tauri::command]
pub fn list_quarantine(
    state: State<'_, AppState>,
    offset: u32,
    limit: u32,
) -> CmdResult<Vec<QuarantineRow>> {
    state.with_store(|s| Ok(s.quarantine(limit.clamp(1, 500), offset)?))
}

#[tauri::command]
pub fn open_quarantined(
    state: State<'_, AppState>,
    message_id: i64,
) -> CmdResult<QuarantinedMessage> {
    state.with_store(|s| {
        let row = s.quarantined(message_id)?.ok_or_else(|| {
            AppError::new(
                "message_not_found",
                format!("message {message_id} is not in quarantine"),
            )
        })?;
        let raw = s.message_raw(message_id)?.unwrap_or_default();
        let binary = std::str::from_utf8(&raw).is_err();
        Ok(QuarantinedMessage {
            diagnostics: serde_json::from_str(&row.diagnostics).unwrap_or_default(),
            provenance: row.message,
            reason: row.reason,
            text: String::from_utf8_lossy(&raw).into_owned(),
            binary,
        })
    })
}
