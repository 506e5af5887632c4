//! Handover's desktop shell. Everything of substance lives in `crates/`; this crate only
//! adapts it to Tauri commands (one module per domain under `commands/`) and runs the
//! background sync.

pub mod commands;
pub mod error;
pub mod state;

use tauri::{Manager, Runtime};

/// Registers state and commands. Generic over the runtime so tests can use the mock runtime.
pub fn setup<R: Runtime>(builder: tauri::Builder<R>, state: state::AppState) -> tauri::Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::status::app_status,
            commands::documents::list_documents,
            commands::documents::list_senders,
            commands::documents::open_document,
            commands::documents::set_document_status,
            commands::documents::open_attachment,
            commands::documents::save_attachment,
            commands::quarantine::list_quarantine,
            commands::quarantine::open_quarantined,
            commands::quarantine::save_quarantined,
            commands::quarantine::mark_quarantine_dealt_with,
            commands::settings::mailbox_settings,
            commands::settings::save_mailbox,
            commands::settings::test_mailbox_now,
            commands::settings::save_practice_server,
            commands::sync::sync_status,
            commands::sync::store_changed,
            commands::sync::sync_now,
            commands::work::list_users,
            commands::work::add_user,
            commands::work::choose_user,
            commands::work::current_user,
            commands::work::document_workflow,
            commands::work::workflow_step,
            commands::work::document_viewed,
            commands::work::list_tasks,
            commands::work::complete_task,
            commands::work::audit_events,
            commands::work::verify_audit,
            commands::work::export_audit,
            commands::work::conservation_report,
            commands::work::register_status,
            commands::work::match_quarantined,
            commands::work::medrec_view,
            commands::work::medrec_decide,
            commands::work::medrec_sign_off,
            commands::work::medrec_confirm_unchanged,
            commands::work::medrec_summary,
            commands::work::medrec_print,
            commands::work::medrec_export,
            commands::work::medrec_due,
        ])
        .setup(|app| {
            let state = app.state::<state::AppState>();
            if state.store_ok() {
                let service = state.sync.clone();
                let sink = std::sync::Arc::new(state::WindowSink(app.handle().clone()));
                tauri::async_runtime::spawn(service.run(sink));
            }
            Ok(())
        })
}

pub fn run() {
    setup(tauri::Builder::default(), state::AppState::open())
        .run(tauri::generate_context!())
        .expect("error while running Handover");
}
