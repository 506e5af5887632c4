//! Mailbox sync: status for the stale-data banner, and "Sync now".

use std::sync::Arc;

use handover_inbox::service::SyncStatusView;
use tauri::{AppHandle, Runtime, State};

use crate::error::CmdResult;
use crate::state::{AppState, WindowSink};

#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> CmdResult<SyncStatusView> {
    state.with_store(|s| state.sync.status(s))
}

/// Syncs now and returns the status afterwards. A failed sync is not an error of this command:
/// the status says what happened (and the banner shows it). Without a usable mailbox there is
/// no sync state to show, so that is returned as the error.
#[tauri::command]
pub async fn sync_now<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CmdResult<SyncStatusView> {
    let synced = state.sync.sync_once(Arc::new(WindowSink(app))).await;
    if let (Err(e), false) = (synced, state.sync.is_configured()) {
        return Err(e);
    }
    state.with_store(|s| state.sync.status(s))
}
