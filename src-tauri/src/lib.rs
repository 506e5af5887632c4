//! Handover's desktop shell. Everything of substance lives in `crates/`; this crate only
//! adapts it to Tauri commands (one module per domain under `commands/`).

pub mod commands;
pub mod error;
pub mod state;

use tauri::Runtime;

/// Registers state and commands. Generic over the runtime so tests can use the mock runtime.
pub fn setup<R: Runtime>(builder: tauri::Builder<R>, state: state::AppState) -> tauri::Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![commands::status::app_status])
}

pub fn run() {
    setup(tauri::Builder::default(), state::AppState::open())
        .run(tauri::generate_context!())
        .expect("error while running Handover");
}
