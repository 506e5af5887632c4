//! An NHSBSA dm+d release read from its XML files into memory: VTMs, VMPs and AMPs with their
//! links (AMP -> VMP -> VTM) and previous codes, as a [`Dictionary`].
//!
//! The release directory holds `f_vtm2_*.xml`, `f_vmp2_*.xml` and `f_amp2_*.xml` (all three
//! are required), and may hold `HISTORIC_CODES/f_history*.xml`. Previous codes come from
//! `VTMIDPREV` (VTM), `VPIDPREV` (VMP) and the history file's `IDPREVIOUS` rows for VTMs, VMPs
//! and AMPs. Everything else in the release (packs, ingredients, lookups) is not read.
//!
//! An AMP's name is its `DESC` (which names the supplier: "Ramipril 2.5mg tablets (A A H
//! Pharmaceuticals Ltd)"), else its `NM`. Invalid concepts (`INVALID` 1) are kept: an old
//! record may still name them.
//!
//! Each file is streamed with quick-xml through a buffered reader, one record (a `VTM`, `VMP`,
//! `AMP` or history row) at a time, never read whole nor built into a tree: a full release's
//! `f_amp2` is 150-250 MB, and a tree of it would take gigabytes. The memory used is what the
//! release keeps (about 100 MB for 180,000 concepts; `handover bench dmd` measures it). A
//! record's fields are the text of its first direct child of each name, trimmed (character
//! references, the five predefined entities and CDATA included).
//!
//! The files are checked as they are read: the root element, the required children (an error
//! names the record and its line), well-formedness (matching end tags, one root, a file that
//! ends before its root element closes is cut short). A DOCTYPE is refused, and with it any
//! entity declaration: only XML's predefined entities exist. Bytes that are not UTF-8 are
//! refused. A release with any error is not read at all.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use handover_errors::{Coded, ErrorCode};
use serde::Serialize;

use crate::dictionary::{Concept, ConceptKind, Dictionary};

/// A release directory (or one of its files) that could not be read. Nothing is imported.
#[derive(Debug, thiserror::Error)]
pub enum DmdError {
    #[error("cannot read the dm+d release directory {path}: {source}")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the dm+d release directory {dir} has no {pattern} file (is it an NHSBSA dm+d XML release?)")]
    Missing { dir: PathBuf, pattern: &'static str },
    #[error("the dm+d release directory {dir} has more than one {pattern} file")]
    Ambiguous { dir: PathBuf, pattern: &'static str },
    #[error("cannot read {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not readable dm+d XML: {detail}")]
    Xml { path: PathBuf, detail: String },
}

impl Coded for DmdError {
    fn code(&self) -> ErrorCode {
        ErrorCode::DmdInvalid
    }
}

/// Which release this is, from its file names (`f_vtm2_3260821.xml`: release `3260821`, dated
/// 26 August 2021).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReleaseInfo {
    /// The files' common suffix, as written.
    pub release: String,
    /// `yyyy-mm-dd`, when the suffix reads as one (`N` + `DDMMYY`).
    pub date: Option<String>,
}

/// How many of each a release holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DmdCounts {
    pub vtm: u64,
    pub vmp: u64,
    pub amp: u64,
    pub previous_codes: u64,
}

/// A dm+d release in memory.
#[derive(Debug, Clone, Default)]
pub struct DmdRelease {
    /// Current code -> concept (VMP and VTM links as the release gives them).
    concepts: BTreeMap<String, Concept>,
    /// Previous code -> current code.
    previous: BTreeMap<String, String>,
    pub info: ReleaseInfo,
}

fn one_file(dir: &Path, prefix: &'static str, pattern: &'static str) -> Result<PathBuf, DmdError> {
    let mut found = files(dir, prefix)?;
    match found.len() {
        0 => Err(DmdError::Missing {
            dir: dir.to_owned(),
            pattern,
        }),
        1 => Ok(found.remove(0)),
        _ => Err(DmdError::Ambiguous {
            dir: dir.to_owned(),
            pattern,
        }),
    }
}

fn files(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>, DmdError> {
    let entries = std::fs::read_dir(dir).map_err(|source| DmdError::Directory {
        path: dir.to_owned(),
        source,
    })?;
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|source| DmdError::Directory {
            path: dir.to_owned(),
            source,
        })?;
        let name = e.file_name().to_string_lossy().to_lowercase();
        if name.starts_with(prefix) && name.ends_with(".xml") {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Where byte `offset` of `path` is, for a message: "line N" (lines are counted only when a
/// message needs one, by reading the file again up to there).
fn place(path: &Path, offset: u64) -> String {
    let line = (|| {
        let mut file = File::open(path).ok()?.take(offset);
        let mut chunk = vec![0u8; 64 * 1024];
        let mut lines = 1u64;
        loop {
            let n = file.read(&mut chunk).ok()?;
            if n == 0 {
                return Some(lines);
            }
            lines += chunk[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
    })();
    match line {
        Some(line) => format!("line {line}"),
        None => format!("byte {offset}"),
    }
}

fn xml_error(path: &Path, detail: String) -> DmdError {
    DmdError::Xml {
        path: path.to_owned(),
        detail,
    }
}

/// An element whose children are read as fields (a VTM, a VMP, an AMP, a history row).
struct Record {
    /// Its name, and the byte offset of its start tag (for messages).
    name: String,
    start: u64,
    /// The text of its first child of each wanted name, in the order the names were given:
    /// `None` when there is no such child, empty when the child is empty.
    fields: Vec<Option<String>>,
}

impl Record {
    /// A field's text, trimmed, if present and not empty (taken: a second call gives `None`).
    fn take(&mut self, i: usize) -> Option<String> {
        let text = self.fields[i].take()?;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            None
        } else if trimmed.len() == text.len() {
            let mut text = text;
            text.shrink_to_fit();
            Some(text)
        } else {
            Some(trimmed.to_string())
        }
    }

    /// A field that must be there, or an error naming the record, its line and the field.
    fn required(&mut self, path: &Path, i: usize, name: &str) -> Result<String, DmdError> {
        self.take(i).ok_or_else(|| {
            xml_error(
                path,
                format!(
                    "a {} ({}) has no {name}",
                    self.name,
                    place(path, self.start)
                ),
            )
        })
    }
}

/// The text of an entity or character reference. Only XML's five predefined entities exist:
/// a DTD, which could declare others, is refused.
fn reference(r: &quick_xml::events::BytesRef<'_>) -> Result<char, String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        return Ok(c);
    }
    match &**r {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(format!("unknown entity reference &{other};")),
    }
}

/// Streams the XML file `path`, whose root element must be `root`, with bounded memory: a
/// buffered reader and one element's text at a time, never the whole file or a tree of it.
///
/// Each element for which `is_record(parent, name)` holds (outside another record) is a record:
/// `each` gets it when it closes, with the text of its first direct child of each name in
/// `wanted`. Everything else is checked for well-formedness and skipped. A DOCTYPE (and with it
/// any entity declaration) is refused, as are references to undeclared entities, bytes that are
/// not UTF-8, a second root element and a file that ends before its root element does.
fn stream(
    path: &Path,
    root: &str,
    is_record: impl Fn(&str, &str) -> bool,
    wanted: &[&str],
    mut each: impl FnMut(&mut Record) -> Result<(), DmdError>,
) -> Result<(), DmdError> {
    use quick_xml::events::Event;

    let file = File::open(path).map_err(|source| DmdError::File {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, file));
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    let mut buf = Vec::with_capacity(1 << 12);
    // The open elements: names (their buffers reused) and where each starts.
    let mut open: Vec<(String, u64)> = Vec::new();
    let mut depth = 0usize;
    let mut seen_root = false;
    // The record being read (at `open[at]`), and which of its fields is being read.
    let mut record = Record {
        name: String::new(),
        start: 0,
        fields: vec![None; wanted.len()],
    };
    let mut record_at: Option<usize> = None;
    let mut field: Option<usize> = None;

    loop {
        let pos = reader.buffer_position();
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => {
                use quick_xml::encoding::EncodingError;
                return Err(match e {
                    quick_xml::Error::Io(e) => DmdError::File {
                        path: path.to_owned(),
                        source: std::io::Error::new(e.kind(), e.to_string()),
                    },
                    quick_xml::Error::Encoding(EncodingError::Utf8(_)) => {
                        xml_error(path, "not UTF-8".into())
                    }
                    quick_xml::Error::Syntax(e) => xml_error(
                        path,
                        format!(
                            "{e} ({}): the file is cut short or is not XML",
                            place(path, reader.error_position())
                        ),
                    ),
                    e => xml_error(
                        path,
                        format!("{e} ({})", place(path, reader.error_position())),
                    ),
                });
            }
        };
        // Text directly inside the field being read.
        let in_field = field.is_some() && record_at.is_some_and(|at| depth == at + 2);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name().into_inner();
                if depth == 0 {
                    if seen_root {
                        return Err(xml_error(
                            path,
                            format!("a second root element {name} ({})", place(path, pos)),
                        ));
                    }
                    if name != root {
                        return Err(xml_error(
                            path,
                            format!("the root element is {name}, expected {root}"),
                        ));
                    }
                    seen_root = true;
                } else if let Some(at) = record_at {
                    if depth == at + 1 {
                        if let Some(i) = wanted.iter().position(|w| *w == name) {
                            if record.fields[i].is_none() {
                                record.fields[i] = Some(String::new());
                                field = (!empty).then_some(i);
                            }
                        }
                    }
                } else if is_record(&open[depth - 1].0, name) {
                    record_at = Some(depth);
                    record.name.clear();
                    record.name.push_str(name);
                    record.start = pos;
                    record.fields.iter_mut().for_each(|f| *f = None);
                    if empty {
                        record_at = None;
                        each(&mut record)?;
                    }
                }
                if !empty {
                    if let Some(slot) = open.get_mut(depth) {
                        slot.0.clear();
                        slot.0.push_str(name);
                        slot.1 = pos;
                    } else {
                        open.push((name.to_string(), pos));
                    }
                    depth += 1;
                }
            }
            Event::End(_) => {
                // quick-xml has checked that it closes the innermost open element.
                depth -= 1;
                match record_at {
                    Some(at) if depth == at + 1 => field = None,
                    Some(at) if depth == at => {
                        record_at = None;
                        field = None;
                        each(&mut record)?;
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) => {
                if in_field {
                    if let Some(Some(text)) = field.map(|i| &mut record.fields[i]) {
                        text.push_str(&t.xml10_content());
                    }
                } else if depth == 0 && !t.trim().is_empty() {
                    return Err(xml_error(
                        path,
                        format!("text outside the root element ({})", place(path, pos)),
                    ));
                }
            }
            Event::CData(ref t) => {
                if in_field {
                    if let Some(Some(text)) = field.map(|i| &mut record.fields[i]) {
                        text.push_str(&t.xml10_content());
                    }
                }
            }
            Event::GeneralRef(ref r) => {
                let c = reference(r)
                    .map_err(|e| xml_error(path, format!("{e} ({})", place(path, pos))))?;
                if in_field {
                    if let Some(Some(text)) = field.map(|i| &mut record.fields[i]) {
                        text.push(c);
                    }
                } else if depth == 0 {
                    return Err(xml_error(
                        path,
                        format!("text outside the root element ({})", place(path, pos)),
                    ));
                }
            }
            Event::DocType(_) => {
                return Err(xml_error(
                    path,
                    format!(
                        "it has a DOCTYPE ({}): DTDs and entity declarations are not accepted",
                        place(path, pos)
                    ),
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => {
                if !seen_root {
                    return Err(xml_error(
                        path,
                        format!("there is no root element (expected {root})"),
                    ));
                }
                if depth > 0 {
                    let (name, start) = &open[depth - 1];
                    return Err(xml_error(
                        path,
                        format!(
                            "the file ends inside its {name} element ({}): it is cut short",
                            place(path, *start)
                        ),
                    ));
                }
                return Ok(());
            }
        }
    }
}

fn release_info(vtm_file: &Path) -> ReleaseInfo {
    let stem = vtm_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let release = stem.rsplit('_').next().unwrap_or_default().to_string();
    let date = (release.len() == 7 && release.bytes().all(|b| b.is_ascii_digit())).then(|| {
        let (dd, mm, yy) = (&release[1..3], &release[3..5], &release[5..7]);
        format!("20{yy}-{mm}-{dd}")
    });
    ReleaseInfo { release, date }
}

impl DmdRelease {
    /// Reads the release in `dir` (see the module documentation).
    pub fn read_dir(dir: &Path) -> Result<DmdRelease, DmdError> {
        let vtm_file = one_file(dir, "f_vtm2_", "f_vtm2_*.xml")?;
        let vmp_file = one_file(dir, "f_vmp2_", "f_vmp2_*.xml")?;
        let amp_file = one_file(dir, "f_amp2_", "f_amp2_*.xml")?;
        let history = dir.join("HISTORIC_CODES");
        let history_files = if history.is_dir() {
            files(&history, "f_history")?
        } else {
            Vec::new()
        };

        let mut out = DmdRelease {
            info: release_info(&vtm_file),
            ..DmdRelease::default()
        };
        // (previous, current) pairs as the release gives them, identities left out.
        let mut previous: Vec<(String, String)> = Vec::new();

        stream(
            &vtm_file,
            "VIRTUAL_THERAPEUTIC_MOIETIES",
            |_, name| name == "VTM",
            &["VTMID", "NM", "VTMIDPREV"],
            |vtm| {
                let code = vtm.required(&vtm_file, 0, "VTMID")?;
                let name = vtm.required(&vtm_file, 1, "NM")?;
                if let Some(prev) = vtm.take(2) {
                    if prev != code {
                        previous.push((prev, code.clone()));
                    }
                }
                out.concepts.insert(
                    code.clone(),
                    Concept {
                        code: code.clone(),
                        kind: ConceptKind::Vtm,
                        name,
                        vmp: None,
                        vtm: Some(code),
                    },
                );
                Ok(())
            },
        )?;

        stream(
            &vmp_file,
            "VIRTUAL_MED_PRODUCTS",
            |_, name| name == "VMP",
            &["VPID", "NM", "VPIDPREV", "VTMID"],
            |vmp| {
                let code = vmp.required(&vmp_file, 0, "VPID")?;
                let name = vmp.required(&vmp_file, 1, "NM")?;
                if let Some(prev) = vmp.take(2) {
                    if prev != code {
                        previous.push((prev, code.clone()));
                    }
                }
                out.concepts.insert(
                    code.clone(),
                    Concept {
                        code: code.clone(),
                        kind: ConceptKind::Vmp,
                        name,
                        vmp: Some(code),
                        vtm: vmp.take(3),
                    },
                );
                Ok(())
            },
        )?;

        // The VMPs are all read: an AMP's VTM is its VMP's.
        stream(
            &amp_file,
            "ACTUAL_MEDICINAL_PRODUCTS",
            |_, name| name == "AMP",
            &["APID", "VPID", "DESC", "NM"],
            |amp| {
                let code = amp.required(&amp_file, 0, "APID")?;
                let vmp = amp.required(&amp_file, 1, "VPID")?;
                let name = match amp.take(2) {
                    Some(desc) => desc,
                    None => amp.required(&amp_file, 3, "NM")?,
                };
                let vtm = out
                    .concepts
                    .get(&vmp)
                    .filter(|c| c.kind == ConceptKind::Vmp)
                    .and_then(|c| c.vtm.clone());
                out.concepts.insert(
                    code.clone(),
                    Concept {
                        code,
                        kind: ConceptKind::Amp,
                        name,
                        vmp: Some(vmp),
                        vtm,
                    },
                );
                Ok(())
            },
        )?;

        for path in &history_files {
            stream(
                path,
                "HISTORY",
                |parent, _| matches!(parent, "VTMS" | "VMPS" | "AMPS"),
                &["IDCURRENT", "IDPREVIOUS"],
                |row| {
                    if let (Some(current), Some(prev)) = (row.take(0), row.take(1)) {
                        if prev != current {
                            previous.push((prev, current));
                        }
                    }
                    Ok(())
                },
            )?;
        }
        for (prev, current) in previous {
            // A code that is current never resolves elsewhere; the first mapping given wins.
            if prev != current && !out.concepts.contains_key(&prev) {
                out.previous.entry(prev).or_insert(current);
            }
        }
        Ok(out)
    }

    /// The concepts, by current code.
    pub fn concepts(&self) -> impl Iterator<Item = &Concept> {
        self.concepts.values()
    }

    /// (previous code, current code) pairs.
    pub fn previous_codes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.previous.iter().map(|(p, c)| (p.as_str(), c.as_str()))
    }

    pub fn counts(&self) -> DmdCounts {
        let mut n = DmdCounts {
            previous_codes: self.previous.len() as u64,
            ..DmdCounts::default()
        };
        for c in self.concepts.values() {
            match c.kind {
                ConceptKind::Vtm => n.vtm += 1,
                ConceptKind::Vmp => n.vmp += 1,
                ConceptKind::Amp => n.amp += 1,
            }
        }
        n
    }
}

impl Dictionary for DmdRelease {
    fn lookup(&self, code: &str) -> Option<Concept> {
        let code = code.trim();
        let current = self.previous.get(code).map(String::as_str).unwrap_or(code);
        self.concepts.get(current).cloned()
    }
}

/// A [`Dictionary`] over any lookup function (for a store of dm+d, which this crate may not
/// depend on).
pub struct FnDictionary<F>(pub F);

impl<F: Fn(&str) -> Option<Concept>> Dictionary for FnDictionary<F> {
    fn lookup(&self, code: &str) -> Option<Concept> {
        (self.0)(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dmd")
    }

    #[test]
    fn release_names_read_as_dates() {
        let info = release_info(Path::new("/x/f_vtm2_3260821.xml"));
        assert_eq!(info.release, "3260821");
        assert_eq!(info.date.as_deref(), Some("2021-08-26"));
        assert_eq!(release_info(Path::new("f_vtm2_abc.xml")).date, None);
    }

    #[test]
    fn the_real_sample_reads_with_its_links_and_previous_codes() {
        let dir = std::env::var_os("HANDOVER_DMD_SAMPLE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/work/shared/reference/dmd-sample"));
        if !dir.join("f_vtm2_3260821.xml").exists() {
            eprintln!(
                "note: the dm+d sample is not at {} (set HANDOVER_DMD_SAMPLE); skipped",
                dir.display()
            );
            return;
        }
        let r = DmdRelease::read_dir(&dir).unwrap();
        assert_eq!(
            r.counts(),
            DmdCounts {
                vtm: 1,
                vmp: 2,
                amp: 3,
                previous_codes: 2
            }
        );
        assert_eq!(r.info.date.as_deref(), Some("2021-08-26"));
        let amp = r.lookup("38847311000001102").unwrap();
        assert_eq!(amp.kind, ConceptKind::Amp);
        assert_eq!(
            amp.name,
            "Co-amilofruse 5mg/40mg tablets (Medihealth (Northern) Ltd)"
        );
        assert_eq!(amp.vmp.as_deref(), Some("318136009"));
        assert_eq!(amp.vtm.as_deref(), Some("34186711000001102"));
        // VTMIDPREV, and a VMP's previous code from HISTORIC_CODES.
        assert_eq!(r.lookup("354303007").unwrap().code, "34186711000001102");
        let vmp = r.lookup("10406411000001101").unwrap();
        assert_eq!(vmp.code, "318135008");
        assert_eq!(vmp.kind, ConceptKind::Vmp);
        // Ingredients' previous codes are not medicines.
        assert!(r.lookup("3512011000001109").is_none());
        assert!(r.lookup("387516008").is_none());
    }

    #[test]
    fn the_project_fixture_reads() {
        let r = DmdRelease::read_dir(&fixture()).unwrap();
        let n = r.counts();
        assert!(n.vtm > 30 && n.vmp > 60 && n.amp > 15, "{n:?}");
        assert!(n.previous_codes >= 3, "{n:?}");
        // A corpus AMP (NHS example discharge) through its VMP to its VTM.
        let amp = r.lookup("5884511000001100").unwrap();
        assert_eq!(amp.kind, ConceptKind::Amp);
        let vmp = r.lookup(amp.vmp.as_deref().unwrap()).unwrap();
        assert_eq!(vmp.name, "Ramipril 2.5mg tablets");
        let vtm = r.lookup(amp.vtm.as_deref().unwrap()).unwrap();
        assert_eq!(
            (vtm.kind, vtm.name.as_str()),
            (ConceptKind::Vtm, "Ramipril")
        );
    }

    #[test]
    fn a_missing_directory_or_file_is_a_typed_error() {
        let e = DmdRelease::read_dir(Path::new("/no/such/dmd")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DmdInvalid);
        assert!(matches!(e, DmdError::Directory { .. }));

        let dir = std::env::temp_dir().join(format!("handover-dmd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["f_vtm2_3010126.xml", "f_vmp2_3010126.xml"] {
            std::fs::copy(fixture().join(f), dir.join(f)).unwrap();
        }
        let e = DmdRelease::read_dir(&dir).unwrap_err();
        assert!(e.to_string().contains("f_amp2_"), "{e}");
        std::fs::write(
            dir.join("f_amp2_3010126.xml"),
            "<ACTUAL_MEDICINAL_PRODUCTS><AMPS><AMP><APID>1</APID></AMP>",
        )
        .unwrap();
        let e = DmdRelease::read_dir(&dir).unwrap_err();
        assert!(matches!(e, DmdError::Xml { .. }), "{e}");
        std::fs::write(
            dir.join("f_amp2_3010126.xml"),
            "<ACTUAL_MEDICINAL_PRODUCTS><AMPS><AMP><APID>1</APID><NM>x</NM></AMP></AMPS></ACTUAL_MEDICINAL_PRODUCTS>",
        )
        .unwrap();
        let e = DmdRelease::read_dir(&dir).unwrap_err();
        assert!(e.to_string().contains("no VPID"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A copy of the project fixture in a fresh directory, `amp` (if given) as its f_amp2.
    fn release_with_amp(amp: Option<&[u8]>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "f_vtm2_3010126.xml",
            "f_vmp2_3010126.xml",
            "f_amp2_3010126.xml",
        ] {
            std::fs::copy(fixture().join(f), dir.path().join(f)).unwrap();
        }
        if let Some(amp) = amp {
            std::fs::write(dir.path().join("f_amp2_3010126.xml"), amp).unwrap();
        }
        dir
    }

    fn amp_error(amp: &str) -> String {
        let dir = release_with_amp(Some(amp.as_bytes()));
        match DmdRelease::read_dir(dir.path()) {
            Err(e @ DmdError::Xml { .. }) => {
                assert_eq!(e.code(), ErrorCode::DmdInvalid);
                assert!(e.to_string().contains("f_amp2_3010126.xml"), "{e}");
                e.to_string()
            }
            other => panic!("expected an XML error, got {other:?}"),
        }
    }

    fn amps(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<ACTUAL_MEDICINAL_PRODUCTS>\n<AMPS>\n{body}\n</AMPS>\n</ACTUAL_MEDICINAL_PRODUCTS>\n"
        )
    }

    #[test]
    fn a_doctype_or_an_undeclared_entity_is_refused() {
        // Entity expansion (a "billion laughs"), an external entity, and a bare DOCTYPE.
        for doctype in [
            r#"<!DOCTYPE ACTUAL_MEDICINAL_PRODUCTS [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>"#,
            r#"<!DOCTYPE ACTUAL_MEDICINAL_PRODUCTS [<!ENTITY b SYSTEM "file:///etc/passwd">]>"#,
            r#"<!DOCTYPE ACTUAL_MEDICINAL_PRODUCTS SYSTEM "amp.dtd">"#,
        ] {
            let e = amp_error(&format!(
                "<?xml version=\"1.0\"?>\n{doctype}\n<ACTUAL_MEDICINAL_PRODUCTS><AMPS><AMP><APID>1</APID><VPID>2</VPID><NM>&b;</NM></AMP></AMPS></ACTUAL_MEDICINAL_PRODUCTS>"
            ));
            assert!(
                e.contains("DOCTYPE (line 2)") && e.contains("not accepted"),
                "{e}"
            );
        }
        // Without a DTD, only XML's own five entities exist.
        let e = amp_error(&amps(
            "<AMP><APID>1</APID><VPID>318136009</VPID><NM>x &nbsp; y</NM></AMP>",
        ));
        assert!(
            e.contains("unknown entity reference &nbsp; (line 4)"),
            "{e}"
        );
    }

    #[test]
    fn a_truncated_file_is_a_clear_error() {
        let whole = std::fs::read(fixture().join("f_amp2_3010126.xml")).unwrap();
        let text = std::str::from_utf8(&whole).unwrap();
        // Cut after a record, inside an element's text, and inside a tag.
        let after_record = text.find("</AMP>").unwrap() + "</AMP>".len();
        let in_text = text.find("<NM>").unwrap() + "<NM>".len() + 3;
        let in_tag = text.rfind("<AMP>").unwrap() + 3;
        for (cut, says) in [
            (
                after_record,
                "ends inside its AMPS element (line 5): it is cut short",
            ),
            (in_text, "ends inside its NM element"),
            (in_tag, "the file is cut short or is not XML"),
        ] {
            let dir = release_with_amp(Some(&whole[..cut]));
            let e = DmdRelease::read_dir(dir.path()).unwrap_err();
            assert!(matches!(e, DmdError::Xml { .. }), "{e}");
            assert!(e.to_string().contains(says), "cut at {cut}: {e}");
        }
        // An empty file.
        let e = amp_error("");
        assert!(e.contains("there is no root element"), "{e}");
    }

    #[test]
    fn the_root_element_and_required_children_are_checked() {
        let e = amp_error("<?xml version=\"1.0\"?>\n<VIRTUAL_MED_PRODUCTS/>");
        assert!(
            e.contains(
                "the root element is VIRTUAL_MED_PRODUCTS, expected ACTUAL_MEDICINAL_PRODUCTS"
            ),
            "{e}"
        );
        let e = amp_error(&amps(
            "<AMP><APID>1</APID><VPID>318136009</VPID><NM>x</NM></AMP>\n  <AMP>\n<APID>2</APID><NM>y</NM></AMP>",
        ));
        assert!(e.contains("a AMP (line 5) has no VPID"), "{e}");
        // An empty NM is no NM.
        let e = amp_error(&amps(
            "<AMP><APID>1</APID><VPID>318136009</VPID><NM>  </NM><DESC/></AMP>",
        ));
        assert!(e.contains("a AMP (line 4) has no NM"), "{e}");
        let e = amp_error(&format!("{}<AMPS/>", amps("")));
        assert!(e.contains("a second root element AMPS (line 7)"), "{e}");
        let e = amp_error(&amps("<AMP><APID>1</APID></AMPS>"));
        assert!(
            e.contains("expected `</AMP>`, but `</AMPS>` was found (line 4)"),
            "{e}"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused() {
        for bad in [
            &b"<AMP><APID>1</APID><VPID>318136009</VPID><NM>caf\xe9</NM></AMP>"[..],
            b"<!-- caf\xe9 --><AMP><APID>1</APID><VPID>318136009</VPID><NM>x</NM></AMP>",
        ] {
            let mut amp = amps("").into_bytes();
            let at = amp.windows(7).position(|w| w == b"</AMPS>").unwrap();
            amp.splice(at..at, bad.iter().copied());
            let dir = release_with_amp(Some(&amp));
            let e = DmdRelease::read_dir(dir.path()).unwrap_err();
            assert!(
                e.to_string()
                    .ends_with("is not readable dm+d XML: not UTF-8"),
                "{e}"
            );
        }
    }

    #[test]
    fn text_is_read_as_xml_gives_it() {
        // References, CDATA, line ends and white space; a namespace prefix; the first of a
        // repeated child; DESC before NM; children of other elements are not the AMP's.
        let dir = release_with_amp(Some(
            amps(concat!(
                "<AMP>\r\n  <APID> 9001 </APID>\r\n  <VPID>318136009</VPID>\r\n",
                "  <NM>Ignored</NM>\r\n  <DESC>A &amp; B &#233;&#x20AC; <![CDATA[<x>]]>\r\n (C)</DESC>",
                "<DESC>second</DESC></AMP>\n",
                "<p:AMP xmlns:p=\"urn:x\"><p:APID>9002</p:APID><VPID>318136009</VPID><NM>n</NM>",
                "<EXTRA><DESC>not its DESC</DESC></EXTRA></p:AMP>\n",
                "<AMP><APID>9003</APID><VPID>318136009</VPID><DESC></DESC><NM>From &quot;NM&apos;</NM></AMP>",
            ))
            .as_bytes(),
        ));
        let r = DmdRelease::read_dir(dir.path()).unwrap();
        let name = |code: &str| r.lookup(code).unwrap().name;
        assert_eq!(name("9001"), "A & B é€ <x>\n (C)");
        assert_eq!(name("9002"), "n");
        assert_eq!(name("9003"), "From \"NM'");
        let amp = r.lookup("9001").unwrap();
        assert_eq!(amp.vmp.as_deref(), Some("318136009"));
        assert_eq!(amp.vtm, r.lookup("318136009").unwrap().vtm);
        assert!(amp.vtm.is_some());
    }
}
