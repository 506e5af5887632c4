use std::sync::{Arc, Mutex};

use handover_store::{DataDir, OsKeyring, Store};

use crate::error::{AppError, CmdResult};
use crate::sync_worker::SyncWorker;

/// Shared application state: the store the commands read (opened once at start-up; if it could
/// not be opened the error is kept and every command returns it, so the window can say what is
/// wrong), and the background sync worker, which has its own connection.
pub struct AppState {
    store: Mutex<Result<Store, AppError>>,
    pub sync: Arc<SyncWorker>,
}

impl AppState {
    pub fn open() -> Self {
        let store = DataDir::resolve()
            .and_then(|dir| Store::open(&dir, &OsKeyring))
            .map_err(AppError::from);
        if let Err(e) = &store {
            eprintln!("handover: error [{}]: {}", e.code, e.message);
        }
        let sync = SyncWorker::configure(store.as_ref().ok());
        AppState {
            store: Mutex::new(store),
            sync,
        }
    }

    /// Whether the store opened; the sync loop only runs if it did.
    pub fn store_ok(&self) -> bool {
        self.store.lock().map(|s| s.is_ok()).unwrap_or(false)
    }

    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> CmdResult<T>) -> CmdResult<T> {
        let mut guard = self.store.lock().map_err(|_| {
            AppError::new(
                "internal",
                "the store lock was poisoned by an earlier failure",
            )
        })?;
        match guard.as_mut() {
            Ok(store) => f(store),
            Err(e) => Err(e.clone()),
        }
    }
}
