use std::sync::Mutex;

use handover_store::{DataDir, OsKeyring, Store};

use crate::error::{AppError, CmdResult};

/// Shared application state: the store, opened once at start-up. If it could not be opened the
/// error is kept, and every command returns it, so the window can say what is wrong.
pub struct AppState {
    store: Mutex<Result<Store, AppError>>,
}

impl AppState {
    pub fn open() -> Self {
        let store = DataDir::resolve()
            .and_then(|dir| Store::open(&dir, &OsKeyring))
            .map_err(AppError::from);
        if let Err(e) = &store {
            eprintln!("handover: error [{}]: {}", e.code, e.message);
        }
        AppState {
            store: Mutex::new(store),
        }
    }

    pub fn from_store(store: Store) -> Self {
        AppState {
            store: Mutex::new(Ok(store)),
        }
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
