use std::sync::{Arc, Mutex};

use handover_errors::ErrorCode;
use handover_inbox::service::{ServiceOptions, StatusSink, SyncService, SyncStatusView};
use handover_store::{DataDir, KeyStore, OsKeyring, Store};
use tauri::{AppHandle, Emitter, Runtime};

use crate::error::{AppError, CmdResult};

/// Shared application state: the store the commands read (opened once at start-up; if it could
/// not be opened the error is kept and every command returns it, so the window can say what is
/// wrong), and the background sync service, which has its own connection.
pub struct AppState {
    store: Mutex<Result<Store, AppError>>,
    pub sync: Arc<SyncService>,
    /// Where secrets go (the OS keyring; tests give their own).
    pub keys: Arc<dyn KeyStore + Send + Sync>,
    /// Who is working at this desktop (a profile's name): chosen in the window, or
    /// HANDOVER_USER at start.
    user: Mutex<Option<String>>,
    /// The store's `data_version` when the window last asked (see `store_changed`).
    pub seen_data_version: Mutex<Option<i64>>,
}

impl AppState {
    /// Opens the store in the data directory with its key from the OS keyring.
    pub fn open() -> Self {
        let keys: Arc<dyn KeyStore + Send + Sync> = Arc::new(OsKeyring);
        match DataDir::resolve() {
            Ok(dir) => Self::open_in(dir, keys),
            Err(e) => Self::failed(AppError::from(e), keys),
        }
    }

    /// Opens the store in `dir` with its key from `keys` (tests pass their own).
    pub fn open_in(dir: DataDir, keys: Arc<dyn KeyStore + Send + Sync>) -> Self {
        let store = Store::open(&dir, keys.as_ref()).map_err(AppError::from);
        if let Err(e) = &store {
            eprintln!("handover: error [{}]: {}", e.code, e.message);
        }
        let sync = SyncService::configure(
            store.as_ref().ok(),
            keys.clone(),
            ServiceOptions::from_env(dir),
        );
        AppState {
            store: Mutex::new(store),
            sync,
            keys,
            user: Mutex::new(initial_user()),
            seen_data_version: Mutex::new(None),
        }
    }

    fn failed(error: AppError, keys: Arc<dyn KeyStore + Send + Sync>) -> Self {
        eprintln!("handover: error [{}]: {}", error.code, error.message);
        let dir = DataDir::new(std::env::temp_dir());
        AppState {
            sync: SyncService::configure(None, keys.clone(), ServiceOptions::from_env(dir)),
            store: Mutex::new(Err(error)),
            keys,
            user: Mutex::new(None),
            seen_data_version: Mutex::new(None),
        }
    }

    pub fn current_user(&self) -> Option<String> {
        self.user.lock().ok().and_then(|u| u.clone())
    }

    pub fn set_current_user(&self, name: Option<String>) {
        if let Ok(mut u) = self.user.lock() {
            *u = name;
        }
    }

    /// After a step: on a desktop of a practice, the sync service sends it now (the next round
    /// starts at once) rather than at the next poll.
    pub fn stepped(&self) {
        if self.sync.practice_url().is_some() {
            self.sync.poke();
        }
    }

    /// Whether the store opened; the sync loop only runs if it did.
    pub fn store_ok(&self) -> bool {
        self.store.lock().map(|s| s.is_ok()).unwrap_or(false)
    }

    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> CmdResult<T>) -> CmdResult<T> {
        let mut guard = self.store.lock().map_err(|_| {
            AppError::new(
                ErrorCode::Internal,
                "the store lock was poisoned by an earlier failure",
            )
        })?;
        match guard.as_mut() {
            Ok(store) => f(store),
            Err(e) => Err(e.clone()),
        }
    }
}

fn initial_user() -> Option<String> {
    std::env::var("HANDOVER_USER")
        .ok()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
}

/// The sync service's reports, as `sync-status` events to the window.
pub struct WindowSink<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> StatusSink for WindowSink<R> {
    fn status(&self, view: SyncStatusView) {
        let _ = self.0.emit("sync-status", view);
    }
}

/// After a step on `document_id`: on a desktop of a practice, with `wait` it is sent now and its
/// refusal returned (`already_filed`, `document_changed`); without, it is sent by the next
/// round, which starts at once. Alone, nothing.
pub async fn send_step<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    document_id: i64,
    wait: bool,
) -> CmdResult<()> {
    if wait {
        state
            .sync
            .send_step_now(Arc::new(WindowSink(app.clone())), document_id)
            .await
    } else {
        state.stepped();
        Ok(())
    }
}
