//! For other crates' tests (feature `test-support`): a key store kept in memory, for tests that
//! must not need a desktop keyring session. The product uses [`crate::OsKeyring`]; the CLI's and
//! the app's end-to-end tests use the real keyring.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{KeyStore, KeyStoreError};

/// A [`KeyStore`] in memory: what is set can be read back for the life of the value.
#[derive(Debug, Default)]
pub struct MemoryKeyStore(Mutex<HashMap<String, String>>);

impl KeyStore for MemoryKeyStore {
    fn backend(&self) -> &'static str {
        "memory"
    }
    fn get(&self, account: &str) -> Result<Option<String>, KeyStoreError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(account)
            .cloned())
    }
    fn set(&self, account: &str, secret: &str) -> Result<(), KeyStoreError> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(account.into(), secret.into());
        Ok(())
    }
}
