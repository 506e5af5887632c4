use std::path::{Path, PathBuf};

use crate::StoreError;

/// Environment variable that overrides the data directory (tests use a throwaway one).
pub const DATA_DIR_ENV: &str = "HANDOVER_DATA_DIR";
/// File name of the encrypted database inside the data directory.
pub const DATABASE_FILE: &str = "handover.db";

/// The directory holding Handover's database and other local state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(PathBuf);

impl DataDir {
    /// `HANDOVER_DATA_DIR` if set and non-empty, else the platform's data directory
    /// (`~/.local/share/handover` on Linux).
    pub fn resolve() -> Result<Self, StoreError> {
        match std::env::var_os(DATA_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Ok(DataDir(PathBuf::from(dir))),
            _ => dirs::data_dir()
                .map(|d| DataDir(d.join("handover")))
                .ok_or(StoreError::NoDataDir),
        }
    }

    pub fn new(path: impl Into<PathBuf>) -> Self {
        DataDir(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn database_path(&self) -> PathBuf {
        self.0.join(DATABASE_FILE)
    }

    /// Creates the directory (owner-only on Unix) and returns its canonical path.
    pub fn ensure(&self) -> Result<PathBuf, StoreError> {
        let err = |source| StoreError::DataDir {
            path: self.0.clone(),
            source,
        };
        std::fs::create_dir_all(&self.0).map_err(err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700))
                .map_err(err)?;
        }
        self.0.canonicalize().map_err(err)
    }

    /// The keyring account under which this directory's database key is kept. Bound to the
    /// canonical path, so two data directories never share (or overwrite) a key.
    pub fn keyring_account(canonical: &Path) -> String {
        format!("database-key:{}", canonical.display())
    }
}
