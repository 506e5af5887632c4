use serde::Serialize;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// What the status bar and the start-up screen show.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AppStatus {
    pub version: String,
    pub store: handover_store::StoreStatus,
}

/// The store's status, or the error that stopped it from opening.
#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> CmdResult<AppStatus> {
    state.with_store(|store| {
        Ok(AppStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            store: store.status()?,
        })
    })
}
