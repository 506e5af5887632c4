//! The practice server a desktop saved (issue 14: "a desktop can also save it in its settings,
//! secrets in the keyring"): its connection URL without the password, in `app_meta`. The
//! password lives in the OS keyring only, under [`practice_password_account`].

use crate::{Store, StoreError};

const URL: &str = "practice_database_url";

/// The keyring account holding the password of the practice server login in `url` (the URL
/// without its password: login, host, port, database).
pub fn practice_password_account(url: &str) -> String {
    format!("practice-password:{}", url.trim())
}

impl Store {
    /// The saved practice server URL (never with a password), if one was saved.
    pub fn practice_server_url(&self) -> Result<Option<String>, StoreError> {
        self.meta_value(URL)
    }

    /// Saves (or with None forgets) the practice server URL; the caller has removed any
    /// password from it and put that in the keyring.
    pub fn save_practice_server_url(&self, url: Option<&str>) -> Result<(), StoreError> {
        self.put_meta(URL, url)
    }
}
