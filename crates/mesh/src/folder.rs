//! A mailbox backed by a directory, for practices that receive MESH messages
//! through NHS's own MESH client (which writes `.dat`/`.ctl` pairs) or want to
//! drop files in by hand.
//!
//! Layout of the directory:
//!
//! - `NAME.dat` + `NAME.ctl`: one MESH client message. The `.ctl` XML
//!   (`<DTSControl>`) gives the message id (`DTSId`), `WorkflowId`, `From_DTS`,
//!   `To_DTS`, `Subject`, `LocalId` and `MessageType`. A `.dat` without its
//!   `.ctl` is still being written and is skipped (the MESH client writes the
//!   `.ctl` last); so is a `.ctl` without its `.dat`.
//!   The pair's id is the `DTSId` followed by `-` and the first 12 hex digits of
//!   the `.dat`'s SHA-256: a sender (or a person) reusing a `DTSId` for different
//!   content makes a different message, never one taken for the earlier message
//!   and acknowledged unseen.
//! - any other file: one message whose body is the file. Its id is
//!   `FILE-` + the first 24 hex digits of SHA-256(file name, NUL, content), so it
//!   is stable across runs and a *different* document later dropped under the
//!   same name gets a new id.
//! - Files are hashed as streams and read only up to the size bound
//!   ([`FolderMailbox::with_max_message_bytes`]); a larger file comes back with a
//!   [`crate::FaultKind::TooLarge`] fault and its first bytes.
//! - Entries skipped for longer than [`SKIP_REPORT_AFTER`] (a `.dat` whose `.ctl`
//!   never came, an unreadable `.ctl`, one with a DOCTYPE, an empty file) are
//!   reported with the listing ([`InboxListing::problems`]), so they are not
//!   skipped silently for ever.
//! - skipped: directories, names starting with `.`, names ending in `.tmp`,
//!   `.part`, `.partial`, `.crdownload` or `~`, and empty plain files (writers
//!   should create `x.tmp` and rename it when complete).
//! - `processed/`: [`Mailbox::acknowledge`] moves a message's file(s) here with
//!   `rename` (atomic on one file system; the `.dat` first, then the `.ctl`).
//!   Nothing is ever deleted.
//! - `outbox/`: [`Mailbox::send`] writes `ID.dat` then `ID.ctl` here (each via a
//!   `.tmp` file and a rename), for the MESH client to pick up. A message with a
//!   local id gets an `ID` derived from it, and is not written again while its
//!   `ID.ctl` is still there: a send repeated after a crash does not duplicate it
//!   (once the MESH client has taken the first copy, a repeat would go out).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::error::MeshError;
use crate::mailbox::Mailbox;
use crate::message::{
    DeliveryReport, FaultKind, InboxListing, ListingProblem, Message, MessageFault, MessageMeta,
    MessageType, OutboundMessage,
};

/// Name of the subfolder acknowledged messages are moved to.
pub const PROCESSED_DIR: &str = "processed";
/// Name of the subfolder sent messages are written to.
pub const OUTBOX_DIR: &str = "outbox";

/// A [`Mailbox`] over a directory. See the module docs for the layout.
#[derive(Debug, Clone)]
pub struct FolderMailbox {
    root: PathBuf,
    mailbox_id: String,
    max_message_bytes: usize,
    /// Where each id was found by the last scan, with the files' fingerprints
    /// then: a hint that lets `download` and `acknowledge` check one file
    /// instead of rescanning (and rehashing) the whole folder. Always verified
    /// before use: by the fingerprints, or failing that by reading the files.
    index: Arc<Mutex<HashMap<String, IndexEntry>>>,
}

#[derive(Debug, Clone)]
struct IndexEntry {
    entry: FolderEntry,
    data: Fingerprint,
    ctl: Option<Fingerprint>,
}

impl IndexEntry {
    /// The files are as they were scanned.
    fn unchanged(&self) -> bool {
        self.data.still_matches(&self.entry.data_path)
            && match (&self.entry.ctl_path, &self.ctl) {
                (Some(path), Some(fingerprint)) => fingerprint.still_matches(path),
                (Some(_), None) => false,
                (None, _) => true,
            }
    }
}

/// Why a directory entry was not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Hidden, temporary or partial name.
    InProgressName,
    /// A `.dat` whose `.ctl` has not appeared yet.
    DatWithoutCtl,
    /// A `.ctl` whose `.dat` is missing.
    CtlWithoutDat,
    /// A `.ctl` that is not (yet) valid XML.
    UnreadableCtl(String),
    /// An empty plain file (probably still being copied).
    Empty,
    /// Another entry already has this message id.
    DuplicateId(String),
}

/// One message found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    pub message_id: String,
    /// The payload file (`.dat` or the plain file).
    pub data_path: PathBuf,
    /// The `.ctl` file, for pairs.
    pub ctl_path: Option<PathBuf>,
}

/// How long an entry may be skipped (a writer still finishing it) before it is reported.
pub const SKIP_REPORT_AFTER: std::time::Duration = std::time::Duration::from_secs(180);

impl SkipReason {
    /// In plain words, or None for names that are skipped by design (temporary files).
    fn describe(&self) -> Option<String> {
        Some(match self {
            SkipReason::InProgressName => return None,
            SkipReason::DatWithoutCtl => {
                "a .dat file without its .ctl control file: it is not read until the .ctl arrives"
                    .into()
            }
            SkipReason::CtlWithoutDat => "a .ctl control file without its .dat file".into(),
            SkipReason::UnreadableCtl(e) => {
                format!("a .ctl control file that cannot be read ({e}); its message is not read")
            }
            SkipReason::Empty => "an empty file".into(),
            SkipReason::DuplicateId(id) => format!(
                "the same message as another file in the folder ({id}); it is read once that one is processed"
            ),
        })
    }
}

/// The skipped entries that have been there longer than [`SKIP_REPORT_AFTER`].
fn stale_skips(skipped: &[(PathBuf, SkipReason)], now: SystemTime) -> Vec<ListingProblem> {
    skipped
        .iter()
        .filter_map(|(path, reason)| {
            let reason = reason.describe()?;
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
            let age = now.duration_since(modified).unwrap_or_default();
            (age >= SKIP_REPORT_AFTER).then(|| ListingProblem {
                subject: path.display().to_string(),
                reason: format!("{reason} (there for {} minutes)", age.as_secs() / 60),
            })
        })
        .collect()
}

/// What a file looked like when it was scanned: if its size, modification time, change time
/// and inode are all unchanged, its content (and so its id) is taken to be unchanged too, but
/// only for a file that had `settled`: file times tick coarsely (milliseconds), so a file
/// changed moments before it was scanned could be changed again without its times moving
/// (git's "racily clean" problem). Any other file is verified by reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    changed: (i64, i64),
    inode: u64,
    settled: bool,
}

/// How long before a scan a file must have last changed for its fingerprint to be trusted.
const SETTLE_SECONDS: i64 = 2;

impl Fingerprint {
    fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Fingerprint {
            len: meta.len(),
            modified: meta.modified().ok(),
            changed: (meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            settled: meta.ctime() + SETTLE_SECONDS < now,
        }
    }

    fn now(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|m| Self::of(&m))
    }

    /// The file at `path` is certainly as it was when this fingerprint was taken.
    fn still_matches(&self, path: &Path) -> bool {
        self.settled
            && Self::now(path).is_some_and(|now| {
                (now.len, now.modified, now.changed, now.inode)
                    == (self.len, self.modified, self.changed, self.inode)
            })
    }
}

/// The result of scanning the folder: what is listed and what was skipped.
#[derive(Debug, Clone, Default)]
pub struct FolderScan {
    pub entries: Vec<FolderEntry>,
    pub skipped: Vec<(PathBuf, SkipReason)>,
    /// The data and control files' fingerprints as scanned, by message id.
    fingerprints: HashMap<String, (Fingerprint, Option<Fingerprint>)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Ctl {
    id: Option<String>,
    message_type: Option<String>,
    workflow_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    subject: Option<String>,
    local_id: Option<String>,
    partner_id: Option<String>,
    linked_id: Option<String>,
    status: Option<String>,
    status_code: Option<String>,
    status_event: Option<String>,
    status_description: Option<String>,
    status_time: Option<String>,
}

fn parse_ctl(xml: &str) -> Result<Ctl, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    let text_of = |node: roxmltree::Node<'_, '_>, names: &[&str]| -> Option<String> {
        node.children()
            .filter(|c| c.is_element())
            .find(|c| {
                names
                    .iter()
                    .any(|n| c.tag_name().name().eq_ignore_ascii_case(n))
            })
            .and_then(|c| c.text())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let status = root
        .children()
        .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case("StatusRecord"));
    let st = |names: &[&str]| status.and_then(|s| text_of(s, names));
    Ok(Ctl {
        id: text_of(root, &["DTSId", "MessageId", "MessageID"]),
        message_type: text_of(root, &["MessageType"]),
        workflow_id: text_of(root, &["WorkflowId"]),
        from: text_of(root, &["From_DTS", "From"]),
        to: text_of(root, &["To_DTS", "To"]),
        subject: text_of(root, &["Subject"]),
        local_id: text_of(root, &["LocalId"]),
        partner_id: text_of(root, &["PartnerId"]),
        linked_id: text_of(root, &["LinkedMsgId", "LinkedMessageId"]),
        status: st(&["Status"]),
        status_code: st(&["StatusCode"]),
        status_event: st(&["Event"]),
        status_description: st(&["Description"]),
        status_time: st(&["DateTime"]),
    })
}

fn in_progress_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with('.')
        || lower.ends_with('~')
        || [".tmp", ".part", ".partial", ".crdownload"]
            .iter()
            .any(|s| lower.ends_with(s))
}

fn ext_is(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn sibling_with_ext(path: &Path, ext: &str) -> Option<PathBuf> {
    // Accept either case of the extension (MESH client uses lower case).
    [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.is_file())
}

fn file_id(name: &str, content: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0u8]);
    h.update(content);
    file_id_from(h)
}

fn file_id_from(h: Sha256) -> String {
    let digest = hex::encode_upper(h.finalize());
    format!("FILE-{}", &digest[..24])
}

/// The id of a plain file, hashing it as a stream (a file of any size in constant memory).
fn plain_file_id(name: &str, path: &Path) -> Result<Option<String>, MeshError> {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0u8]);
    Ok(hash_file(path, h)?.map(file_id_from))
}

/// The id of a `.dat`/`.ctl` pair: the DTSId and a digest of the `.dat`'s content.
fn pair_id(dts_id: &str, data_path: &Path) -> Result<Option<String>, MeshError> {
    Ok(hash_file(data_path, Sha256::new())?.map(|h| pair_id_from(dts_id, h)))
}

fn pair_id_from(dts_id: &str, h: Sha256) -> String {
    let digest = hex::encode_upper(h.finalize());
    format!("{dts_id}-{}", &digest[..12])
}

/// Feeds a file into `h`; None when it is gone.
fn hash_file(path: &Path, mut h: Sha256) -> Result<Option<Sha256>, MeshError> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(MeshError::io(format!("reading {}", path.display()), e)),
    };
    std::io::copy(&mut file, &mut h)
        .map_err(|e| MeshError::io(format!("reading {}", path.display()), e))?;
    Ok(Some(h))
}

/// Reads at most `limit` bytes of a file; true when there was more.
fn read_bounded(path: &Path, limit: usize) -> Result<(Vec<u8>, bool), MeshError> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| MeshError::io(format!("reading {}", path.display()), e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut body = Vec::with_capacity(len.min(limit as u64) as usize);
    file.take(limit as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| MeshError::io(format!("reading {}", path.display()), e))?;
    let more = body.len() > limit;
    body.truncate(limit);
    Ok((body, more))
}

struct Candidate {
    entry: FolderEntry,
    modified: SystemTime,
    name: String,
    fingerprint: (Fingerprint, Option<Fingerprint>),
}

/// Scans `dir` (not recursively).
fn scan_dir(dir: &Path) -> Result<FolderScan, MeshError> {
    let mut scan = FolderScan::default();
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir.ends_with(PROCESSED_DIR) => {
            return Ok(scan)
        }
        Err(e) => {
            return Err(MeshError::io(
                format!("reading folder {}", dir.display()),
                e,
            ))
        }
    };
    let mut candidates = Vec::new();
    for item in read {
        let item =
            item.map_err(|e| MeshError::io(format!("reading folder {}", dir.display()), e))?;
        let path = item.path();
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            // Vanished between read_dir and stat (moved by another process).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(MeshError::io(format!("reading {}", path.display()), e)),
        };
        if !meta.is_file() {
            continue;
        }
        let name = item.file_name().to_string_lossy().into_owned();
        if in_progress_name(&name) {
            scan.skipped.push((path, SkipReason::InProgressName));
            continue;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if ext_is(&path, "ctl") {
            if sibling_with_ext(&path, "dat").is_none() {
                scan.skipped.push((path, SkipReason::CtlWithoutDat));
            }
            // Pairs are handled from the .dat side.
            continue;
        }
        let read_file = |p: &Path| {
            std::fs::read(p).map_err(|e| MeshError::io(format!("reading {}", p.display()), e))
        };
        if ext_is(&path, "dat") {
            let Some(ctl_path) = sibling_with_ext(&path, "ctl") else {
                scan.skipped.push((path, SkipReason::DatWithoutCtl));
                continue;
            };
            // Fingerprints are taken before the content is read: a change after this point
            // makes them differ from the file's later, so the hint is re-verified in full.
            let ctl_fingerprint = Fingerprint::now(&ctl_path);
            let xml = String::from_utf8_lossy(&read_file(&ctl_path)?).into_owned();
            let ctl = match parse_ctl(&xml) {
                Ok(c) => c,
                Err(e) => {
                    scan.skipped.push((ctl_path, SkipReason::UnreadableCtl(e)));
                    continue;
                }
            };
            let message_id = match &ctl.id {
                Some(id) => pair_id(id, &path)?,
                None => plain_file_id(&name, &path)?,
            };
            let Some(message_id) = message_id else {
                continue; // moved away meanwhile
            };
            candidates.push(Candidate {
                entry: FolderEntry {
                    message_id,
                    data_path: path,
                    ctl_path: Some(ctl_path),
                },
                modified,
                name,
                fingerprint: (Fingerprint::of(&meta), ctl_fingerprint),
            });
            continue;
        }
        if meta.len() == 0 {
            scan.skipped.push((path, SkipReason::Empty));
            continue;
        }
        let Some(message_id) = plain_file_id(&name, &path)? else {
            continue; // moved away meanwhile
        };
        candidates.push(Candidate {
            entry: FolderEntry {
                message_id,
                data_path: path,
                ctl_path: None,
            },
            modified,
            name,
            fingerprint: (Fingerprint::of(&meta), None),
        });
    }
    // Oldest first, like MESH; the name breaks ties so the order is stable.
    candidates.sort_by(|a, b| {
        a.modified
            .cmp(&b.modified)
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut seen = std::collections::HashSet::new();
    for c in candidates {
        if seen.insert(c.entry.message_id.clone()) {
            scan.fingerprints
                .insert(c.entry.message_id.clone(), c.fingerprint);
            scan.entries.push(c.entry);
        } else {
            scan.skipped.push((
                c.entry.data_path,
                SkipReason::DuplicateId(c.entry.message_id),
            ));
        }
    }
    Ok(scan)
}

/// The id `entry`'s files have now (None if they are gone or no longer
/// listable), computed exactly as [`scan_dir`] does.
fn current_id(entry: &FolderEntry) -> Result<Option<String>, MeshError> {
    let name = entry
        .data_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match &entry.ctl_path {
        Some(ctl_path) => {
            let xml = match std::fs::read(ctl_path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(MeshError::io(format!("reading {}", ctl_path.display()), e)),
            };
            let Ok(ctl) = parse_ctl(&String::from_utf8_lossy(&xml)) else {
                return Ok(None);
            };
            match ctl.id {
                Some(id) => pair_id(&id, &entry.data_path),
                None => plain_file_id(&name, &entry.data_path),
            }
        }
        None => match std::fs::metadata(&entry.data_path) {
            Ok(m) if m.len() == 0 => Ok(None),
            Ok(_) => plain_file_id(&name, &entry.data_path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(MeshError::io(
                format!("reading {}", entry.data_path.display()),
                e,
            )),
        },
    }
}

fn guess_content_type(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(
        match ext.as_str() {
            "xml" => "application/xml",
            "json" => "application/json",
            "txt" => "text/plain",
            "pdf" => "application/pdf",
            _ => return None,
        }
        .to_string(),
    )
}

/// A name under `dir` that does not exist yet: `stem.ext`, else `stem-2.ext`, ….
fn free_name(dir: &Path, stem: &str, exts: &[String]) -> String {
    let taken = |candidate: &str| {
        exts.iter().any(|e| {
            let name = if e.is_empty() {
                candidate.to_string()
            } else {
                format!("{candidate}.{e}")
            };
            dir.join(name).exists()
        })
    };
    if !taken(stem) {
        return stem.to_string();
    }
    (2u32..)
        .map(|n| format!("{stem}-{n}"))
        .find(|c| !taken(c))
        .unwrap_or_else(|| stem.to_string())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), MeshError> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    std::fs::write(&tmp, bytes)
        .map_err(|e| MeshError::io(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        MeshError::io(
            format!("renaming {} to {}", tmp.display(), path.display()),
            e,
        )
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MeshError> + Send + 'static,
) -> Result<T, MeshError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| MeshError::io("folder mailbox task", std::io::Error::other(e.to_string())))?
}

impl FolderMailbox {
    /// A folder mailbox over `root` (which must exist), reporting `mailbox_id`.
    pub fn new(root: impl Into<PathBuf>, mailbox_id: impl Into<String>) -> Self {
        Self {
            root: root.into(),
            mailbox_id: mailbox_id.into().trim().to_ascii_uppercase(),
            index: Arc::default(),
            max_message_bytes: crate::DEFAULT_MAX_MESSAGE_BYTES,
        }
    }

    /// Reads no file past `bytes` (see [`crate::MeshConfig::max_message_bytes`]).
    pub fn with_max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes.max(1);
        self
    }

    /// The watched directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where acknowledged messages go.
    pub fn processed_dir(&self) -> PathBuf {
        self.root.join(PROCESSED_DIR)
    }

    /// Where sent messages are written.
    pub fn outbox_dir(&self) -> PathBuf {
        self.root.join(OUTBOX_DIR)
    }

    /// Scans the folder now (blocking I/O), including what was skipped and why.
    pub fn scan(&self) -> Result<FolderScan, MeshError> {
        if !self.root.is_dir() {
            return Err(MeshError::io(
                format!("folder mailbox {}", self.root.display()),
                std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            ));
        }
        let scan = scan_dir(&self.root)?;
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        *index = scan
            .entries
            .iter()
            .filter_map(|e| {
                let (data, ctl) = *scan.fingerprints.get(&e.message_id)?;
                Some((
                    e.message_id.clone(),
                    IndexEntry {
                        entry: e.clone(),
                        data,
                        ctl,
                    },
                ))
            })
            .collect();
        Ok(scan)
    }

    fn find(&self, message_id: &str) -> Result<FolderEntry, MeshError> {
        let hint = self
            .index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(message_id)
            .cloned();
        if let Some(hint) = hint {
            if hint.unchanged() || current_id(&hint.entry)?.as_deref() == Some(message_id) {
                return Ok(hint.entry);
            }
        }
        self.scan()?
            .entries
            .into_iter()
            .find(|e| e.message_id == message_id)
            .ok_or_else(|| self.gone(message_id))
    }

    fn gone(&self, message_id: &str) -> MeshError {
        MeshError::Gone {
            message_id: message_id.to_string(),
            status: 404,
            detail: crate::ErrorDetail {
                message: format!("no such message in {}", self.root.display()),
                ..Default::default()
            },
        }
    }

    fn download_blocking(&self, message_id: &str) -> Result<Message, MeshError> {
        let entry = self.find(message_id)?;
        let limit = self.max_message_bytes;
        let (body, more) = read_bounded(&entry.data_path, limit)?;
        let ctl = match &entry.ctl_path {
            Some(p) => {
                let xml = std::fs::read(p)
                    .map_err(|e| MeshError::io(format!("reading {}", p.display()), e))?;
                parse_ctl(&String::from_utf8_lossy(&xml)).map_err(|e| MeshError::Protocol {
                    operation: "folder download".into(),
                    message: format!("{}: {e}", p.display()),
                })?
            }
            None => Ctl::default(),
        };
        // The body must be exactly what the id denotes (content-derived ids): checked on the
        // bytes just read, or by hashing the file when it was too large to read whole.
        let id_now = if more {
            current_id(&entry)?
        } else {
            let name = entry
                .data_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some(match &ctl.id {
                Some(dts_id) => {
                    let mut h = Sha256::new();
                    h.update(&body);
                    pair_id_from(dts_id, h)
                }
                None => file_id(&name, &body),
            })
        };
        if id_now.as_deref() != Some(message_id) {
            return Err(self.gone(message_id));
        }
        let fault = more.then(|| MessageFault {
            kind: FaultKind::TooLarge,
            reason: format!(
                "{} is larger than the {limit} byte limit; only its first {limit} bytes were read",
                entry.data_path.display()
            ),
            truncated: true,
            content_encoding: None,
        });
        let message_type = MessageType::parse(ctl.message_type.as_deref().unwrap_or("DATA"));
        let report = (message_type == MessageType::Report).then(|| DeliveryReport {
            linked_message_id: ctl.linked_id.clone(),
            status_success: ctl.status.clone(),
            status_event: ctl.status_event.clone(),
            status_code: ctl.status_code.clone(),
            status_description: ctl.status_description.clone(),
            status_timestamp: ctl.status_time.clone(),
        });
        let file_name = entry
            .data_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        Ok(Message {
            meta: MessageMeta {
                // The MESH message id of a pair (its DTSId); the listing id adds a digest.
                message_id: ctl.id.clone().unwrap_or_else(|| entry.message_id.clone()),
                message_type,
                from: ctl.from,
                to: ctl.to.or_else(|| Some(self.mailbox_id.clone())),
                workflow_id: ctl.workflow_id,
                subject: ctl.subject,
                local_id: ctl.local_id,
                partner_id: ctl.partner_id,
                file_name,
                content_type: if entry.ctl_path.is_none() {
                    guess_content_type(&entry.data_path)
                } else {
                    None
                },
                checksum: None,
                compressed_flag: false,
                encrypted_flag: false,
                total_chunks: 1,
                status_timestamp: ctl.status_time,
            },
            body,
            report,
            fault,
        })
    }

    fn acknowledge_blocking(&self, message_id: &str) -> Result<(), MeshError> {
        let entry = match self.find(message_id) {
            Ok(e) => e,
            Err(MeshError::Gone { .. }) => {
                // Idempotent, like MESH: already in processed/ is success.
                let done = scan_dir(&self.processed_dir())?
                    .entries
                    .iter()
                    .any(|e| e.message_id == message_id);
                return if done {
                    Ok(())
                } else {
                    Err(self.gone(message_id))
                };
            }
            Err(e) => return Err(e),
        };
        let processed = self.processed_dir();
        std::fs::create_dir_all(&processed)
            .map_err(|e| MeshError::io(format!("creating {}", processed.display()), e))?;
        let ext_of = |p: &Path| {
            p.extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let data_ext = ext_of(&entry.data_path);
        let mut exts = vec![data_ext.clone()];
        if let Some(ctl) = &entry.ctl_path {
            exts.push(ext_of(ctl));
        }
        let stem = if data_ext.is_empty() {
            entry.data_path.file_name()
        } else {
            entry.data_path.file_stem()
        }
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "message".into());
        let target_stem = free_name(&processed, &stem, &exts);
        let target = |ext: &str| {
            if ext.is_empty() {
                processed.join(&target_stem)
            } else {
                processed.join(format!("{target_stem}.{ext}"))
            }
        };
        let move_file = |from: &Path, to: PathBuf| {
            std::fs::rename(from, &to).map_err(|e| {
                MeshError::io(format!("moving {} to {}", from.display(), to.display()), e)
            })
        };
        move_file(&entry.data_path, target(&data_ext))?;
        if let Some(ctl) = &entry.ctl_path {
            move_file(ctl, target(&ext_of(ctl)))?;
        }
        Ok(())
    }

    fn send_blocking(&self, message: &OutboundMessage) -> Result<String, MeshError> {
        let to = message.to.trim().to_ascii_uppercase();
        if to.is_empty() || message.workflow_id.trim().is_empty() {
            return Err(MeshError::Config("to and workflow_id are required".into()));
        }
        let outbox = self.outbox_dir();
        std::fs::create_dir_all(&outbox)
            .map_err(|e| MeshError::io(format!("creating {}", outbox.display()), e))?;
        // A message sent with a local id gets an id derived from it, so sending it again (after
        // a crash between writing it and recording that it was written) finds the first copy
        // still waiting in `outbox/` and does not write a second.
        let id = match message.local_id.as_deref().filter(|l| !l.is_empty()) {
            Some(local_id) => {
                let digest = Sha256::digest(format!("handover-local-id\0{local_id}").as_bytes());
                format!("L{}", &hex::encode_upper(digest)[..31])
            }
            None => uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .to_ascii_uppercase(),
        };
        if message.local_id.is_some() && outbox.join(format!("{id}.ctl")).is_file() {
            return Ok(id);
        }
        let opt = |tag: &str, v: &Option<String>| {
            format!(
                "  <{tag}>{}</{tag}>\n",
                xml_escape(v.as_deref().unwrap_or(""))
            )
        };
        let ctl = format!(
            "<DTSControl>\n  <Version>1.0</Version>\n  <AddressType>DTS</AddressType>\n  <MessageType>Data</MessageType>\n  <From_DTS>{}</From_DTS>\n  <To_DTS>{}</To_DTS>\n{}{}  <DTSId>{id}</DTSId>\n  <WorkflowId>{}</WorkflowId>\n  <Compress>{}</Compress>\n</DTSControl>\n",
            xml_escape(&self.mailbox_id),
            xml_escape(&to),
            opt("Subject", &message.subject),
            opt("LocalId", &message.local_id),
            xml_escape(message.workflow_id.trim()),
            if message.compress { "Y" } else { "N" },
        );
        write_atomically(&outbox.join(format!("{id}.dat")), &message.body)?;
        write_atomically(&outbox.join(format!("{id}.ctl")), ctl.as_bytes())?;
        Ok(id)
    }
}

impl Mailbox for FolderMailbox {
    fn mailbox_id(&self) -> &str {
        &self.mailbox_id
    }

    async fn handshake(&self) -> Result<(), MeshError> {
        let me = self.clone();
        blocking(move || me.scan().map(|_| ())).await
    }

    async fn list_inbox(&self, workflow_filter: Option<&str>) -> Result<InboxListing, MeshError> {
        let me = self.clone();
        let filter = workflow_filter.map(str::to_string);
        blocking(move || {
            let scan = me.scan()?;
            let mut ids = Vec::new();
            for entry in scan.entries {
                if let Some(f) = &filter {
                    let wf = match &entry.ctl_path {
                        Some(p) => std::fs::read(p)
                            .ok()
                            .and_then(|x| parse_ctl(&String::from_utf8_lossy(&x)).ok())
                            .and_then(|c| c.workflow_id),
                        None => None,
                    };
                    if !workflow_matches(f, wf.as_deref().unwrap_or("")) {
                        continue;
                    }
                }
                ids.push(entry.message_id);
            }
            Ok(InboxListing {
                approx_inbox_count: Some(ids.len() as u64),
                message_ids: ids,
                maybe_more: false,
                problems: stale_skips(&scan.skipped, SystemTime::now()),
            })
        })
        .await
    }

    async fn download(&self, message_id: &str) -> Result<Message, MeshError> {
        let me = self.clone();
        let id = message_id.to_string();
        blocking(move || me.download_blocking(&id)).await
    }

    async fn acknowledge(&self, message_id: &str) -> Result<(), MeshError> {
        let me = self.clone();
        let id = message_id.to_string();
        blocking(move || me.acknowledge_blocking(&id)).await
    }

    async fn send(&self, message: &OutboundMessage) -> Result<String, MeshError> {
        let me = self.clone();
        let message = message.clone();
        blocking(move || me.send_blocking(&message)).await
    }
}

/// MESH `workflow_filter` semantics: `WF`, `!WF`, `WF*`, `!WF*`, `*X*`, `!*X*`.
pub fn workflow_matches(filter: &str, workflow_id: &str) -> bool {
    let (negate, pattern) = match filter.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, filter),
    };
    let matched = if let Some(inner) = pattern.strip_prefix('*').and_then(|p| p.strip_suffix('*')) {
        workflow_id.contains(inner)
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        workflow_id.starts_with(prefix)
    } else {
        workflow_id == pattern
    };
    matched != negate
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTL: &str = r#"<DTSControl>
  <Version>1.0</Version>
  <AddressType>DTS</AddressType>
  <MessageType>Data</MessageType>
  <WorkflowId>TOC_FHIR_IP_DISCH</WorkflowId>
  <From_DTS>X26HOSP1</From_DTS>
  <To_DTS>X26GP001</To_DTS>
  <Subject>Discharge summary</Subject>
  <LocalId>ip-0001</LocalId>
  <DTSId>20260101120000123_ABC123</DTSId>
  <Compress>N</Compress>
  <StatusRecord>
    <DateTime>20260101120000</DateTime>
    <Event>TRANSFER</Event>
    <Status>SUCCESS</Status>
    <StatusCode>00</StatusCode>
    <Description>Transferred to recipient mailbox</Description>
  </StatusRecord>
</DTSControl>"#;

    fn mailbox() -> (tempfile::TempDir, FolderMailbox) {
        let dir = tempfile::tempdir().unwrap();
        let mb = FolderMailbox::new(dir.path(), "x26gp001");
        (dir, mb)
    }

    fn touch(dir: &Path, name: &str, content: &[u8]) {
        std::fs::write(dir.join(name), content).unwrap();
    }

    #[tokio::test]
    async fn lists_downloads_and_acknowledges_plain_files() {
        let (dir, mb) = mailbox();
        assert_eq!(mb.mailbox_id(), "X26GP001");
        touch(dir.path(), "discharge-1.xml", b"<Bundle/>");
        let listing = mb.list_inbox(None).await.unwrap();
        assert_eq!(listing.message_ids.len(), 1);
        let id = listing.message_ids[0].clone();
        assert!(id.starts_with("FILE-") && id.len() == 29, "{id}");
        // Stable across instances (runs).
        let again = FolderMailbox::new(dir.path(), "X26GP001")
            .list_inbox(None)
            .await
            .unwrap();
        assert_eq!(again.message_ids, vec![id.clone()]);

        let msg = mb.download(&id).await.unwrap();
        assert_eq!(msg.body, b"<Bundle/>");
        assert_eq!(msg.meta.message_id, id);
        assert_eq!(msg.meta.file_name.as_deref(), Some("discharge-1.xml"));
        assert_eq!(msg.meta.content_type.as_deref(), Some("application/xml"));
        assert_eq!(msg.meta.message_type, MessageType::Data);
        // Download does not consume.
        assert_eq!(
            mb.list_inbox(None).await.unwrap().message_ids,
            vec![id.clone()]
        );

        mb.acknowledge(&id).await.unwrap();
        assert!(mb.list_inbox(None).await.unwrap().message_ids.is_empty());
        assert!(!dir.path().join("discharge-1.xml").exists());
        assert_eq!(
            std::fs::read(dir.path().join("processed/discharge-1.xml")).unwrap(),
            b"<Bundle/>"
        );
        // Ack is idempotent; an unknown id is Gone.
        mb.acknowledge(&id).await.unwrap();
        let err = mb
            .acknowledge("FILE-000000000000000000000000")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "mesh_gone");
        assert_eq!(mb.download(&id).await.unwrap_err().code(), "mesh_gone");
    }

    #[tokio::test]
    async fn a_file_changed_after_listing_is_not_served_under_the_old_id() {
        let (dir, mb) = mailbox();
        touch(dir.path(), "a.xml", b"version 1");
        let old = mb.list_inbox(None).await.unwrap().message_ids[0].clone();
        touch(dir.path(), "a.xml", b"version 2");
        assert_eq!(mb.download(&old).await.unwrap_err().code(), "mesh_gone");
        assert_eq!(mb.acknowledge(&old).await.unwrap_err().code(), "mesh_gone");
        assert!(
            dir.path().join("a.xml").exists(),
            "not moved under a stale id"
        );
        let new = mb.list_inbox(None).await.unwrap().message_ids[0].clone();
        assert_ne!(old, new);
        assert_eq!(mb.download(&new).await.unwrap().body, b"version 2");
    }

    /// A file that had settled when it was listed is checked by its fingerprint, not re-read:
    /// replacing it (a new inode) or rewriting it still stops it being served or moved under
    /// the old id.
    #[tokio::test]
    async fn a_settled_file_changed_after_listing_is_not_served_under_the_old_id() {
        let (dir, mb) = mailbox();
        touch(dir.path(), "a.xml", b"version 1");
        touch(dir.path(), "b.xml", b"version 1");
        std::thread::sleep(std::time::Duration::from_millis(
            (SETTLE_SECONDS as u64 + 1) * 1000 + 100,
        ));
        let ids = mb.list_inbox(None).await.unwrap().message_ids;
        let index = mb.index.lock().unwrap().clone();
        assert!(index.values().all(|e| e.data.settled), "{index:?}");
        // a.xml: replaced by a rename (how careful writers deliver); b.xml: rewritten in place.
        std::fs::write(dir.path().join("a.tmp"), b"version 2").unwrap();
        std::fs::rename(dir.path().join("a.tmp"), dir.path().join("a.xml")).unwrap();
        touch(dir.path(), "b.xml", b"version 2");
        for old in &ids {
            assert_eq!(mb.download(old).await.unwrap_err().code(), "mesh_gone");
            assert_eq!(mb.acknowledge(old).await.unwrap_err().code(), "mesh_gone");
        }
        assert!(!dir.path().join("processed").exists(), "nothing moved");
    }

    #[tokio::test]
    async fn sending_again_with_the_same_local_id_does_not_write_a_second_copy() {
        let (dir, mb) = mailbox();
        let mut out = OutboundMessage::new("X26HOSP1", "TOC_FHIR_IP_DISCH_ACK", b"<ack/>".to_vec());
        out.local_id = Some("HANDOVER-ABC-INFRASTRUCTURE".into());
        let first = mb.send(&out).await.unwrap();
        let again = mb.send(&out).await.unwrap();
        assert_eq!(first, again);
        out.local_id = Some("HANDOVER-DEF-INFRASTRUCTURE".into());
        let other = mb.send(&out).await.unwrap();
        assert_ne!(first, other);
        // Without a local id, every send is a new message.
        out.local_id = None;
        let plain = [mb.send(&out).await.unwrap(), mb.send(&out).await.unwrap()];
        assert_ne!(plain[0], plain[1]);
        let count = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .count();
        assert_eq!(count, 2 * 4, "four messages, a .dat and a .ctl each");
    }

    #[tokio::test]
    async fn same_name_different_content_gets_a_new_id_and_no_overwrite() {
        let (dir, mb) = mailbox();
        touch(dir.path(), "letter.xml", b"first");
        let first = mb.list_inbox(None).await.unwrap().message_ids[0].clone();
        mb.acknowledge(&first).await.unwrap();
        touch(dir.path(), "letter.xml", b"second");
        let second = mb.list_inbox(None).await.unwrap().message_ids[0].clone();
        assert_ne!(first, second);
        mb.acknowledge(&second).await.unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("processed/letter.xml")).unwrap(),
            b"first"
        );
        assert_eq!(
            std::fs::read(dir.path().join("processed/letter-2.xml")).unwrap(),
            b"second"
        );
    }

    #[tokio::test]
    async fn dat_ctl_pairs_are_paired_and_partial_files_skipped() {
        let (dir, mb) = mailbox();
        let d = dir.path();
        touch(d, "MSG1.dat", b"payload one");
        // No .ctl yet: still being written.
        touch(d, ".hidden.xml", b"x");
        touch(d, "incoming.xml.tmp", b"x");
        touch(d, "incoming2.xml.part", b"x");
        touch(d, "empty.xml", b"");
        touch(d, "ORPHAN.ctl", CTL.as_bytes());
        std::fs::create_dir(d.join("subdir")).unwrap();
        let listing = mb.list_inbox(None).await.unwrap();
        assert!(listing.message_ids.is_empty(), "{listing:?}");
        let scan = mb.scan().unwrap();
        let reasons: Vec<_> = scan.skipped.iter().map(|(_, r)| r.clone()).collect();
        assert!(reasons.contains(&SkipReason::DatWithoutCtl));
        assert!(reasons.contains(&SkipReason::CtlWithoutDat));
        assert!(reasons.contains(&SkipReason::Empty));
        assert_eq!(
            reasons
                .iter()
                .filter(|r| **r == SkipReason::InProgressName)
                .count(),
            3
        );

        // A half-written .ctl is skipped too, then picked up once complete.
        touch(d, "MSG1.ctl", &CTL.as_bytes()[..40]);
        assert!(mb.list_inbox(None).await.unwrap().message_ids.is_empty());
        touch(d, "MSG1.ctl", CTL.as_bytes());
        let listing = mb.list_inbox(None).await.unwrap();
        let id = pair_listing_id("20260101120000123_ABC123", b"payload one");
        assert_eq!(listing.message_ids, vec![id.clone()]);

        let msg = mb.download(&id).await.unwrap();
        assert_eq!(msg.meta.message_id, "20260101120000123_ABC123");
        assert_eq!(msg.body, b"payload one");
        assert_eq!(msg.meta.workflow_id.as_deref(), Some("TOC_FHIR_IP_DISCH"));
        assert_eq!(msg.meta.from.as_deref(), Some("X26HOSP1"));
        assert_eq!(msg.meta.to.as_deref(), Some("X26GP001"));
        assert_eq!(msg.meta.subject.as_deref(), Some("Discharge summary"));
        assert_eq!(msg.meta.local_id.as_deref(), Some("ip-0001"));
        assert!(msg.report.is_none());

        // Workflow filter.
        assert_eq!(
            mb.list_inbox(Some("TOC_FHIR_*"))
                .await
                .unwrap()
                .message_ids
                .len(),
            1
        );
        assert!(mb
            .list_inbox(Some("!*DISCH*"))
            .await
            .unwrap()
            .message_ids
            .is_empty());

        mb.acknowledge(&id).await.unwrap();
        assert!(d.join("processed/MSG1.dat").is_file());
        assert!(d.join("processed/MSG1.ctl").is_file());
        assert!(!d.join("MSG1.dat").exists() && !d.join("MSG1.ctl").exists());
        assert!(mb.list_inbox(None).await.unwrap().message_ids.is_empty());
        mb.acknowledge(&id).await.unwrap();
    }

    fn pair_listing_id(dts_id: &str, body: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(body);
        pair_id_from(dts_id, h)
    }

    #[tokio::test]
    async fn a_reused_dts_id_with_other_content_is_another_message() {
        let (dir, mb) = mailbox();
        let d = dir.path();
        touch(d, "A.dat", b"patient one");
        touch(d, "A.ctl", CTL.as_bytes());
        let first = pair_listing_id("20260101120000123_ABC123", b"patient one");
        assert_eq!(
            mb.list_inbox(None).await.unwrap().message_ids,
            vec![first.clone()]
        );
        mb.acknowledge(&first).await.unwrap();
        // The same DTSId again, for a different document: a new id, listed, not "acknowledged".
        touch(d, "B.dat", b"patient two");
        touch(d, "B.ctl", CTL.as_bytes());
        let second = pair_listing_id("20260101120000123_ABC123", b"patient two");
        assert_ne!(first, second);
        assert_eq!(
            mb.list_inbox(None).await.unwrap().message_ids,
            vec![second.clone()]
        );
        assert_eq!(mb.download(&second).await.unwrap().body, b"patient two");
        // Two pairs with one DTSId at once are both listed.
        touch(d, "C.dat", b"patient three");
        touch(d, "C.ctl", CTL.as_bytes());
        assert_eq!(mb.list_inbox(None).await.unwrap().message_ids.len(), 2);
    }

    #[tokio::test]
    async fn files_skipped_for_minutes_are_reported() {
        let (dir, mb) = mailbox();
        let d = dir.path();
        touch(d, "LONELY.dat", b"payload");
        touch(d, "BAD.dat", b"payload");
        touch(d, "BAD.ctl", b"<!DOCTYPE x [<!ENTITY a 'b'>]><DTSControl/>");
        touch(d, "fresh.dat", b"payload");
        touch(d, "upload.tmp", b"x");
        // Nothing is reported while a writer may still be finishing.
        assert!(mb.list_inbox(None).await.unwrap().problems.is_empty());
        let old = SystemTime::now() - SKIP_REPORT_AFTER - std::time::Duration::from_secs(60);
        for name in ["LONELY.dat", "BAD.ctl", "upload.tmp"] {
            std::fs::File::options()
                .write(true)
                .open(d.join(name))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        let problems = mb.list_inbox(None).await.unwrap().problems;
        let subjects: Vec<&str> = problems.iter().map(|p| p.subject.as_str()).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            subjects.iter().any(|s| s.ends_with("LONELY.dat")),
            "{subjects:?}"
        );
        assert!(
            subjects.iter().any(|s| s.ends_with("BAD.ctl")),
            "{subjects:?}"
        );
        assert!(problems
            .iter()
            .any(|p| p.reason.contains("without its .ctl")));
        assert!(problems.iter().any(|p| p.reason.contains("cannot be read")));
    }

    #[tokio::test]
    async fn a_file_over_the_bound_is_read_only_to_the_bound() {
        let (dir, mb) = mailbox();
        let mb = mb.with_max_message_bytes(1000);
        touch(dir.path(), "big.xml", &vec![b'x'; 5000]);
        touch(dir.path(), "small.xml", &vec![b'y'; 1000]);
        let ids = mb.list_inbox(None).await.unwrap().message_ids;
        assert_eq!(ids.len(), 2);
        let mut faults = 0;
        for id in ids {
            let msg = mb.download(&id).await.unwrap();
            assert_eq!(msg.body.len(), 1000);
            if let Some(fault) = msg.fault {
                faults += 1;
                assert_eq!(fault.kind, FaultKind::TooLarge);
                assert!(fault.truncated);
                assert!(msg.body.iter().all(|b| *b == b'x'));
            }
        }
        assert_eq!(faults, 1);
    }

    #[tokio::test]
    async fn report_ctl_is_surfaced() {
        let (dir, mb) = mailbox();
        let ctl = CTL
            .replace(
                "<MessageType>Data</MessageType>",
                "<MessageType>Report</MessageType><LinkedMsgId>ORIG1</LinkedMsgId>",
            )
            .replace("<Status>SUCCESS</Status>", "<Status>ERROR</Status>")
            .replace("<StatusCode>00</StatusCode>", "<StatusCode>14</StatusCode>")
            .replace("Transferred to recipient mailbox", "Undelivered message");
        touch(dir.path(), "R.dat", b"");
        touch(dir.path(), "R.ctl", ctl.as_bytes());
        let msg = mb
            .download(&pair_listing_id("20260101120000123_ABC123", b""))
            .await
            .unwrap();
        assert_eq!(msg.meta.message_type, MessageType::Report);
        let report = msg.report.unwrap();
        assert!(report.is_failure());
        assert_eq!(report.linked_message_id.as_deref(), Some("ORIG1"));
        assert_eq!(report.status_code.as_deref(), Some("14"));
        assert_eq!(
            report.status_description.as_deref(),
            Some("Undelivered message")
        );
    }

    #[tokio::test]
    async fn send_writes_a_pair_the_folder_can_read_back() {
        let (dir, mb) = mailbox();
        let mut out = OutboundMessage::new("x26hosp1", "TOC_FHIR_IP_DISCH_ACK", b"<ack/>".to_vec());
        out.subject = Some("ITK3 <response> & ack".into());
        let id = mb.send(&out).await.unwrap();
        let outbox = FolderMailbox::new(mb.outbox_dir(), "X26HOSP1");
        let msg = outbox
            .download(&pair_listing_id(&id, b"<ack/>"))
            .await
            .unwrap();
        assert_eq!(msg.body, b"<ack/>");
        assert_eq!(msg.meta.to.as_deref(), Some("X26HOSP1"));
        assert_eq!(msg.meta.from.as_deref(), Some("X26GP001"));
        assert_eq!(
            msg.meta.workflow_id.as_deref(),
            Some("TOC_FHIR_IP_DISCH_ACK")
        );
        assert_eq!(msg.meta.subject.as_deref(), Some("ITK3 <response> & ack"));
        // Sending does not touch the inbox, and no temp files remain.
        assert!(mb.list_inbox(None).await.unwrap().message_ids.is_empty());
        let names: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn workflow_filter_syntax() {
        assert!(workflow_matches("TOC_FHIR_IP_DISCH", "TOC_FHIR_IP_DISCH"));
        assert!(!workflow_matches(
            "TOC_FHIR_IP_DISCH",
            "TOC_FHIR_IP_DISCH_ACK"
        ));
        assert!(workflow_matches(
            "!TOC_FHIR_IP_DISCH",
            "TOC_FHIR_IP_DISCH_ACK"
        ));
        assert!(workflow_matches("TOC_FHIR_*", "TOC_FHIR_EC_DISCH"));
        assert!(!workflow_matches("!TOC_FHIR_*", "TOC_FHIR_EC_DISCH"));
        assert!(workflow_matches("*_ACK*", "TOC_FHIR_EC_DISCH_ACK"));
        assert!(!workflow_matches("!*_ACK*", "TOC_FHIR_EC_DISCH_ACK"));
    }

    #[test]
    fn missing_root_is_an_error() {
        let mb = FolderMailbox::new("/nonexistent/handover-mesh-test", "X");
        assert_eq!(mb.scan().unwrap_err().code(), "mesh_io");
    }
}
