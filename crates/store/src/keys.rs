//! The database key: 256 random bits, kept only in the OS keyring.

use rand::RngCore;
use zeroize::Zeroizing;

/// Keyring service name under which Handover keeps its database keys.
pub const KEYRING_SERVICE: &str = "handover";

/// A raw 256-bit SQLCipher key. Wiped from memory when dropped; never written to disk.
#[derive(Clone)]
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        DbKey(bytes)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DbKey(Zeroizing::new(bytes))
    }

    /// Parses the hex form kept in the keyring.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), bytes.as_mut()).ok()?;
        Some(DbKey(bytes))
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    /// The `PRAGMA key` argument for a raw key (no key derivation).
    pub(crate) fn pragma_value(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", self.to_hex().as_str()))
    }
}

impl PartialEq for DbKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ref() == other.0.as_ref()
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

/// Why a key store could not answer.
#[derive(Debug, Clone)]
pub struct KeyStoreError(pub String);

/// Where database keys live. [`OsKeyring`] in the product; tests may supply their own.
pub trait KeyStore {
    /// A short name of the backend, shown by `handover status`.
    fn backend(&self) -> &'static str;
    /// `Ok(None)` when there is no entry for `account`.
    fn get(&self, account: &str) -> Result<Option<String>, KeyStoreError>;
    fn set(&self, account: &str, secret: &str) -> Result<(), KeyStoreError>;
}

/// The operating system's keyring: Secret Service on Linux, Keychain on macOS,
/// Credential Manager on Windows.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

impl OsKeyring {
    pub const fn backend_name() -> &'static str {
        if cfg!(target_os = "linux") {
            "secret-service"
        } else if cfg!(target_os = "macos") {
            "macos-keychain"
        } else if cfg!(target_os = "windows") {
            "windows-credential-manager"
        } else {
            "unsupported"
        }
    }

    fn entry(account: &str) -> Result<keyring::Entry, KeyStoreError> {
        keyring::Entry::new(KEYRING_SERVICE, account).map_err(|e| KeyStoreError(e.to_string()))
    }
}

impl KeyStore for OsKeyring {
    fn backend(&self) -> &'static str {
        Self::backend_name()
    }

    fn get(&self, account: &str) -> Result<Option<String>, KeyStoreError> {
        match Self::entry(account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(KeyStoreError(e.to_string())),
        }
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), KeyStoreError> {
        Self::entry(account)?
            .set_password(secret)
            .map_err(|e| KeyStoreError(e.to_string()))
    }
}
