//! Mailbox sync: status for the stale-data banner, and "Sync now".

use tauri::{AppHandle, Runtime, State};

use crate::error::CmdResult;
use crate::state::AppState;
use crate::sync_worker::SyncStatusView;

#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> CmdResult<SyncStatusView> {
    let worker = state.sync.clone();
    state.with_store(|s| worker.status(s))
}

/// Syncs now and returns the status afterwards. A failed sync is not an error of this command:
/// the status says what happened (and the banner shows it).
#[tauri::command]
pub async fn sync_now<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CmdResult<SyncStatusView> {
    let worker = state.sync.clone();
    if let Err(e) = worker.sync_once(&app).await {
        // Without a usable mailbox there is no sync state to show: say why instead.
        if !worker.is_configured() {
            return Err(e);
        }
    }
    state.with_store(|s| worker.status(s))
}
