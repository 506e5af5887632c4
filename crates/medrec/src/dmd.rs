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

use std::collections::{BTreeMap, HashMap};
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

fn read(path: &Path) -> Result<String, DmdError> {
    let bytes = std::fs::read(path).map_err(|source| DmdError::File {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| DmdError::Xml {
        path: path.to_owned(),
        detail: "not UTF-8".into(),
    })
}

fn parse<'a>(path: &Path, text: &'a str, root: &str) -> Result<roxmltree::Document<'a>, DmdError> {
    // roxmltree refuses DTDs by default: no entity expansion.
    let doc = roxmltree::Document::parse(text).map_err(|e| DmdError::Xml {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    let found = doc.root_element().tag_name().name();
    if found != root {
        return Err(DmdError::Xml {
            path: path.to_owned(),
            detail: format!("the root element is {found}, expected {root}"),
        });
    }
    Ok(doc)
}

/// The trimmed text of a child element, if present and not empty.
fn child(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
        .and_then(|c| c.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn elements<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    name: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> + 'a {
    doc.descendants()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn required(path: &Path, node: roxmltree::Node<'_, '_>, name: &str) -> Result<String, DmdError> {
    child(node, name).ok_or_else(|| DmdError::Xml {
        path: path.to_owned(),
        detail: format!(
            "a {} (line {}) has no {name}",
            node.tag_name().name(),
            node.document().text_pos_at(node.range().start).row
        ),
    })
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
        let mut previous: Vec<(String, String)> = Vec::new();

        let text = read(&vtm_file)?;
        let doc = parse(&vtm_file, &text, "VIRTUAL_THERAPEUTIC_MOIETIES")?;
        for vtm in elements(&doc, "VTM") {
            let code = required(&vtm_file, vtm, "VTMID")?;
            let name = required(&vtm_file, vtm, "NM")?;
            if let Some(prev) = child(vtm, "VTMIDPREV") {
                previous.push((prev, code.clone()));
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
        }

        let text = read(&vmp_file)?;
        let doc = parse(&vmp_file, &text, "VIRTUAL_MED_PRODUCTS")?;
        for vmp in elements(&doc, "VMP") {
            let code = required(&vmp_file, vmp, "VPID")?;
            let name = required(&vmp_file, vmp, "NM")?;
            if let Some(prev) = child(vmp, "VPIDPREV") {
                previous.push((prev, code.clone()));
            }
            out.concepts.insert(
                code.clone(),
                Concept {
                    code: code.clone(),
                    kind: ConceptKind::Vmp,
                    name,
                    vmp: Some(code),
                    vtm: child(vmp, "VTMID"),
                },
            );
        }

        let text = read(&amp_file)?;
        let doc = parse(&amp_file, &text, "ACTUAL_MEDICINAL_PRODUCTS")?;
        for amp in elements(&doc, "AMP") {
            let code = required(&amp_file, amp, "APID")?;
            let vmp = required(&amp_file, amp, "VPID")?;
            let name = match child(amp, "DESC") {
                Some(desc) => desc,
                None => required(&amp_file, amp, "NM")?,
            };
            out.concepts.insert(
                code.clone(),
                Concept {
                    code,
                    kind: ConceptKind::Amp,
                    name,
                    vmp: Some(vmp),
                    vtm: None,
                },
            );
        }
        // An AMP's VTM is its VMP's.
        let vtm_of: HashMap<String, Option<String>> = out
            .concepts
            .values()
            .filter(|c| c.kind == ConceptKind::Vmp)
            .map(|c| (c.code.clone(), c.vtm.clone()))
            .collect();
        for c in out.concepts.values_mut() {
            if c.kind == ConceptKind::Amp {
                c.vtm = c
                    .vmp
                    .as_ref()
                    .and_then(|v| vtm_of.get(v).cloned().flatten());
            }
        }

        for path in &history_files {
            let text = read(path)?;
            let doc = parse(path, &text, "HISTORY")?;
            for group in ["VTMS", "VMPS", "AMPS"] {
                for list in elements(&doc, group) {
                    for row in list.children().filter(|n| n.is_element()) {
                        if let (Some(current), Some(prev)) =
                            (child(row, "IDCURRENT"), child(row, "IDPREVIOUS"))
                        {
                            previous.push((prev, current));
                        }
                    }
                }
            }
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
}
