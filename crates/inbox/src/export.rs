//! Writing a copy of something the user asked to save (an attachment, a quarantined message) to
//! a folder they can reach, without ever overwriting a file or following a link planted there.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to a new file in `dir` named `stem.ext`, or `stem-2.ext`, `stem-3.ext`, ...
/// when that name is taken. Each name is created exclusively (`O_CREAT | O_EXCL`), so an
/// existing file is never overwritten and a symbolic link (even a dangling one) is never
/// followed. Returns the path written.
pub fn save_new_file(dir: &Path, stem: &str, ext: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    for n in 1..=1000u32 {
        let name = match n {
            1 => format!("{stem}.{ext}"),
            n => format!("{stem}-{n}.{ext}"),
        };
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                if let Err(e) = written {
                    drop(file);
                    let _ = std::fs::remove_file(&path);
                    return Err(e);
                }
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{} already holds 1000 files named {stem}", dir.display()),
    ))
}

/// The folder saved copies go to: the user's Downloads folder, else their home folder.
pub fn downloads_dir() -> PathBuf {
    dirs::download_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_overwrites_and_never_follows_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::write(d.join("letter.pdf"), b"earlier").unwrap();
        // A link planted under the next name, pointing at a file that must not be written.
        let target = d.join("precious.txt");
        std::fs::write(&target, b"keep me").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, d.join("letter-2.pdf")).unwrap();
        // And a dangling one.
        #[cfg(unix)]
        std::os::unix::fs::symlink(d.join("nowhere"), d.join("letter-3.pdf")).unwrap();

        let p = save_new_file(d, "letter", "pdf", b"new bytes").unwrap();
        assert_eq!(p, d.join("letter-4.pdf"));
        assert_eq!(std::fs::read(&p).unwrap(), b"new bytes");
        assert_eq!(std::fs::read(d.join("letter.pdf")).unwrap(), b"earlier");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
        assert!(!d.join("nowhere").exists());
        // Names are made safe.
        let p = save_new_file(d, "../x y", "bin", b"z").unwrap();
        assert_eq!(p.parent().unwrap(), d);
        assert_eq!(p.file_name().unwrap(), "---x-y.bin");
    }
}
