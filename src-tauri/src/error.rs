//! The one error type every command returns. The UI receives `{code, message}` and branches on
//! `code`; `message` is for people.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[ts(export)]
pub struct AppError {
    /// Stable identifier: `keyring_unavailable`, `database_key_missing`, `database_key_mismatch`,
    /// `database_not_encrypted`, `store_unavailable`, ...
    pub code: String,
    pub message: String,
}

impl AppError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        AppError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<handover_store::StoreError> for AppError {
    fn from(e: handover_store::StoreError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

pub type CmdResult<T> = Result<T, AppError>;
