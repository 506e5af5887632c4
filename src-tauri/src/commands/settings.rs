//! The mailbox settings screen: what is configured (never a secret), saving a MESH mailbox after
//! checking it, and testing the connection.

use handover_inbox::{
    check_mesh_mailbox, store_mesh_mailbox, test_mailbox, MailboxDescription, MailboxSettings,
    MailboxTest, MeshMailboxInput,
};
use serde::Serialize;
use tauri::State;

use crate::error::{AppError, CmdResult};
use crate::state::AppState;

/// The mailbox as the settings screen shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MailboxSettingsView {
    /// The mailbox in use, if any (never its secrets).
    pub mailbox: Option<MailboxDescription>,
    /// It comes from the environment (`HANDOVER_MESH_*`, `HANDOVER_MAILBOX_DIR`), which
    /// overrides saved settings: the screen cannot change it.
    pub from_environment: bool,
    /// Why the mailbox cannot be used, if so.
    pub error: Option<AppError>,
    /// The practice server this computer is a desktop of (`HANDOVER_PRACTICE_DATABASE`): its
    /// address (never the password) and the practice's name once reached. The practice's MESH
    /// mailbox is then read by the practice server, not here.
    pub practice_server: Option<String>,
    pub practice_name: Option<String>,
    /// Where the practice server comes from: the environment (cannot be changed here) or saved
    /// on this computer.
    pub practice_source: Option<handover_inbox::practice_settings::PracticeSettingSource>,
}

#[tauri::command]
pub fn mailbox_settings(state: State<'_, AppState>) -> CmdResult<MailboxSettingsView> {
    let from_environment = matches!(MailboxSettings::from_env(), Ok(Some(_)) | Err(_));
    let view = state.with_store(|s| state.sync.status(s))?;
    let practice_source = state.sync.practice_source();
    Ok(MailboxSettingsView {
        mailbox: state.sync.mailbox(),
        from_environment: from_environment
            || practice_source
                == Some(handover_inbox::practice_settings::PracticeSettingSource::Environment),
        practice_source,
        error: view.config_error,
        practice_server: state
            .sync
            .practice_url()
            .map(|u| handover_inbox::service::practice_server_address(&u)),
        practice_name: view.practice.and_then(|p| p.practice_name),
    })
}

/// Checks the MESH mailbox (its address, id, TLS files and a handshake with the credentials),
/// saves it (secrets in the OS keyring), switches the sync to it and syncs; returns what testing
/// it found. Nothing is saved when the check fails.
#[tauri::command]
pub async fn save_mailbox(
    state: State<'_, AppState>,
    input: MeshMailboxInput,
) -> CmdResult<MailboxTest> {
    let checked = check_mesh_mailbox(&input, true).await?;
    let settings = state.with_store(|s| {
        let settings = store_mesh_mailbox(s, state.keys.as_ref(), &checked, &input)?;
        state.sync.reconfigure(s);
        Ok(settings)
    })?;
    Ok(test_mailbox(&settings).await?)
}

/// Handshakes with the mailbox in use and counts what is waiting.
#[tauri::command]
pub async fn test_mailbox_now(state: State<'_, AppState>) -> CmdResult<MailboxTest> {
    let settings = state.sync.settings().ok_or_else(|| {
        AppError::new(
            handover_errors::ErrorCode::NoMailbox,
            "no mailbox is configured",
        )
    })?;
    Ok(test_mailbox(&settings).await?)
}

/// Makes this computer a desktop of the practice server at `url` (postgres://LOGIN@HOST...)
/// with the login's `password`: checked first (reached, a practice server, the one this
/// computer's records came from), then saved (the URL in the store, the password in the OS
/// keyring), and the sync switches to it at once. Nothing is saved when the check fails.
#[tauri::command]
pub async fn save_practice_server(
    state: State<'_, AppState>,
    url: String,
    password: String,
) -> CmdResult<handover_inbox::practice_settings::PracticeServerCheck> {
    if handover_inbox::practice_settings::practice_database_from_env().is_some() {
        return Err(AppError::new(
            handover_errors::ErrorCode::InvalidArgument,
            "the practice server is set by this computer's environment \
             (HANDOVER_PRACTICE_DATABASE), which overrides saved settings",
        ));
    }
    let checked =
        handover_inbox::practice_settings::check_practice_server(&url, Some(&password)).await?;
    state.with_store(|s| {
        let check = handover_inbox::practice_settings::save_practice_server(
            s,
            state.keys.as_ref(),
            &checked,
        )?;
        state.sync.reconfigure(s);
        Ok(check)
    })
}
