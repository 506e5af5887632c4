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

/// Whether another connection (the sync service, or another process on this desktop: a
/// `handover register import`, say) committed to the store since the window last asked: the
/// window then reads its lists again. The window's own commands share its connection, so they
/// do not count.
#[tauri::command]
pub fn store_changed(state: State<'_, AppState>) -> CmdResult<bool> {
    let version = state.with_store(|s| Ok(s.data_version()?))?;
    let mut seen = state
        .seen_data_version
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let changed = seen.is_some_and(|v| v != version);
    *seen = Some(version);
    Ok(changed)
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
