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

    /// Creates the directory if it is missing (owner-only on Unix) and returns its canonical
    /// path. A directory that already exists is used as it is (its permissions are the
    /// owner's business), unless every user may write to it: then it is refused, since another
    /// user could replace the database or its files.
    pub fn ensure(&self) -> Result<PathBuf, StoreError> {
        let err = |source| StoreError::DataDir {
            path: self.0.clone(),
            source,
        };
        if self.0.is_dir() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&self.0)
                    .map_err(err)?
                    .permissions()
                    .mode();
                if mode & 0o002 != 0 {
                    return Err(StoreError::DataDirInsecure {
                        path: self.0.clone(),
                        mode: mode & 0o7777,
                    });
                }
            }
        } else {
            std::fs::create_dir_all(&self.0).map_err(err)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700))
                    .map_err(err)?;
            }
        }
        self.0.canonicalize().map_err(err)
    }

    /// The keyring account under which this directory's database key is kept. Bound to the
    /// canonical path, so two data directories never share (or overwrite) a key.
    pub fn keyring_account(canonical: &Path) -> String {
        format!("database-key:{}", canonical.display())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_new_directory_is_private_and_an_existing_one_is_left_as_it_is() {
        let tmp = tempfile::tempdir().unwrap();
        let new = tmp.path().join("a/b/handover");
        DataDir::new(&new).ensure().unwrap();
        assert_eq!(mode(&new), 0o700);
        // A directory the user made (say, shared with their group) keeps its permissions.
        let mine = tmp.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o750)).unwrap();
        DataDir::new(&mine).ensure().unwrap();
        assert_eq!(mode(&mine), 0o750);
    }

    #[test]
    fn a_world_writable_directory_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = DataDir::new(&open).ensure().unwrap_err();
        assert_eq!(e.code(), "data_dir_insecure");
        assert!(e.to_string().contains("chmod 700"), "{e}");
        assert_eq!(mode(&open), 0o777, "not changed");
        assert_eq!(
            std::fs::read_dir(&open).unwrap().count(),
            0,
            "nothing created"
        );
    }
}
