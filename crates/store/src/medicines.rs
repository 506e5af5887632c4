//! Medicines reconciliation's stored data: dm+d as last imported (reading a release happens in
//! `crates/medrec`; the store keeps its concepts and previous codes, replaced whole by each
//! import) and the practice's medication lists, versioned per NHS number (every import, and
//! later every signed-off reconciliation, is a new version; old versions are kept).

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::{DmdKind, MedicationLineType, PracticeListSource, Store, StoreError};

/// A dm+d concept as stored: its current code, and the codes above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DmdConcept {
    pub code: String,
    pub kind: DmdKind,
    pub name: String,
    /// An AMP's VMP (a VMP's own code).
    pub vmp: Option<String>,
    /// A VMP's or AMP's VTM (a VTM's own code).
    pub vtm: Option<String>,
}

/// The dm+d release in the store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct DmdStatus {
    /// The release's file suffix (`3260821`).
    pub release: String,
    /// `yyyy-mm-dd`, when known.
    pub release_date: Option<String>,
    /// When it was imported (RFC 3339).
    pub imported_at: String,
    #[ts(type = "number")]
    pub vtm: u64,
    #[ts(type = "number")]
    pub vmp: u64,
    #[ts(type = "number")]
    pub amp: u64,
    #[ts(type = "number")]
    pub previous_codes: u64,
}

/// One line of a practice's medication list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PracticeListLine {
    /// dm+d code, when the practice holds one.
    pub code: Option<String>,
    pub name: String,
    pub dosage: Option<String>,
    pub route: Option<String>,
    #[serde(rename = "type")]
    pub line_type: MedicationLineType,
}

/// One version of a patient's list, with its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PracticeList {
    pub nhs_number: String,
    #[ts(type = "number")]
    pub version: i64,
    /// RFC 3339: the list's age is counted from here.
    pub imported_at: String,
    pub source: PracticeListSource,
    /// The file imported, or the reconciliation signed off.
    pub source_name: Option<String>,
    pub lines: Vec<PracticeListLine>,
}

/// A version of a patient's list, without its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PracticeListVersion {
    #[ts(type = "number")]
    pub version: i64,
    pub imported_at: String,
    pub source: PracticeListSource,
    pub source_name: Option<String>,
    #[ts(type = "number")]
    pub lines: u64,
}

fn meta(s: &Store, key: &str) -> Result<Option<String>, StoreError> {
    Ok(s.conn
        .query_row(
            "SELECT value FROM app_meta WHERE key = ?1",
            params![key],
            |r| r.get(0),
        )
        .optional()?)
}

fn set_meta(s: &Store, key: &str, value: Option<&str>) -> Result<(), StoreError> {
    match value {
        Some(v) => s.conn.execute(
            "INSERT INTO app_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, v],
        )?,
        None => s
            .conn
            .execute("DELETE FROM app_meta WHERE key = ?1", params![key])?,
    };
    Ok(())
}

impl Store {
    /// Replaces the stored dm+d with this release, in one transaction: concepts, previous codes
    /// (`(previous, current)`), and which release it is. A failure leaves the previous release
    /// as it was. Both are taken one at a time: a caller can hand over a full release (180,000
    /// concepts) without a second copy of it.
    pub fn import_dmd<'p, C: std::borrow::Borrow<DmdConcept>>(
        &self,
        concepts: impl IntoIterator<Item = C>,
        previous: impl IntoIterator<Item = (&'p str, &'p str)>,
        release: &str,
        release_date: Option<&str>,
        at: &str,
    ) -> Result<DmdStatus, StoreError> {
        self.atomically(|s| {
            s.conn
                .execute_batch("DELETE FROM dmd_previous_codes; DELETE FROM dmd_concepts;")?;
            {
                let mut insert = s.conn.prepare_cached(
                    "INSERT INTO dmd_concepts (code, kind, name, vmp, vtm) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for c in concepts {
                    let c = c.borrow();
                    insert.execute(params![c.code, c.kind, c.name, c.vmp, c.vtm])?;
                }
                let mut insert = s.conn.prepare_cached(
                    "INSERT INTO dmd_previous_codes (previous, code) VALUES (?1, ?2)
                     ON CONFLICT (previous) DO NOTHING",
                )?;
                for (p, c) in previous {
                    insert.execute(params![p, c])?;
                }
            }
            set_meta(s, "dmd_release", Some(release))?;
            set_meta(s, "dmd_release_date", release_date)?;
            set_meta(s, "dmd_imported_at", Some(at))?;
            s.dmd_status()?
                .ok_or_else(|| StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
        })
    }

    /// The stored release, if one was imported.
    pub fn dmd_status(&self) -> Result<Option<DmdStatus>, StoreError> {
        let (Some(release), Some(imported_at)) =
            (meta(self, "dmd_release")?, meta(self, "dmd_imported_at")?)
        else {
            return Ok(None);
        };
        let mut status = DmdStatus {
            release,
            release_date: meta(self, "dmd_release_date")?,
            imported_at,
            ..DmdStatus::default()
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT kind, count(*) FROM dmd_concepts GROUP BY kind")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, DmdKind>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (kind, n) = row?;
            match kind {
                DmdKind::Vtm => status.vtm = n as u64,
                DmdKind::Vmp => status.vmp = n as u64,
                DmdKind::Amp => status.amp = n as u64,
            }
        }
        status.previous_codes =
            self.conn
                .query_row("SELECT count(*) FROM dmd_previous_codes", [], |r| {
                    r.get::<_, i64>(0)
                })? as u64;
        Ok(Some(status))
    }

    /// The concept a code names, current or previous (a previous code gives the current
    /// concept); `None` when dm+d does not know it (or none was imported).
    pub fn dmd_lookup(&self, code: &str) -> Result<Option<DmdConcept>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT code, kind, name, vmp, vtm FROM dmd_concepts
                 WHERE code = coalesce((SELECT code FROM dmd_previous_codes WHERE previous = ?1), ?1)",
            )?
            .query_row(params![code.trim()], |r| {
                Ok(DmdConcept {
                    code: r.get(0)?,
                    kind: r.get(1)?,
                    name: r.get(2)?,
                    vmp: r.get(3)?,
                    vtm: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// Adds a new version of each patient's list (all in one transaction); returns the version
    /// numbers written, in order.
    pub fn write_practice_lists(
        &self,
        lists: &[(String, Vec<PracticeListLine>)],
        source: PracticeListSource,
        source_name: Option<&str>,
        at: &str,
    ) -> Result<Vec<i64>, StoreError> {
        self.atomically(|s| {
            let mut versions = Vec::with_capacity(lists.len());
            for (nhs, lines) in lists {
                let version: i64 = s.conn.query_row(
                    "SELECT coalesce(max(version), 0) + 1 FROM practice_lists WHERE nhs_number = ?1",
                    params![nhs],
                    |r| r.get(0),
                )?;
                s.conn
                    .prepare_cached(
                        "INSERT INTO practice_lists (nhs_number, version, imported_at, source, source_name)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![nhs, version, at, source, source_name])?;
                let list_id = s.conn.last_insert_rowid();
                let mut insert = s.conn.prepare_cached(
                    "INSERT INTO practice_list_lines
                         (list_id, position, code, name, dosage, route, line_type)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for (i, l) in lines.iter().enumerate() {
                    insert.execute(params![
                        list_id,
                        i as i64,
                        l.code,
                        l.name,
                        l.dosage,
                        l.route,
                        l.line_type
                    ])?;
                }
                versions.push(version);
            }
            Ok(versions)
        })
    }

    /// The latest version of a patient's list, with its lines.
    pub fn practice_list(&self, nhs_number: &str) -> Result<Option<PracticeList>, StoreError> {
        self.practice_list_at(nhs_number, None)
    }

    /// One version of a patient's list, with its lines.
    pub fn practice_list_version(
        &self,
        nhs_number: &str,
        version: i64,
    ) -> Result<Option<PracticeList>, StoreError> {
        self.practice_list_at(nhs_number, Some(version))
    }

    fn practice_list_at(
        &self,
        nhs_number: &str,
        version: Option<i64>,
    ) -> Result<Option<PracticeList>, StoreError> {
        let head = self
            .conn
            .prepare_cached(
                "SELECT id, version, imported_at, source, source_name FROM practice_lists
                 WHERE nhs_number = ?1 AND (?2 IS NULL OR version = ?2)
                 ORDER BY version DESC LIMIT 1",
            )?
            .query_row(params![nhs_number, version], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    PracticeList {
                        nhs_number: nhs_number.to_string(),
                        version: r.get(1)?,
                        imported_at: r.get(2)?,
                        source: r.get(3)?,
                        source_name: r.get(4)?,
                        lines: Vec::new(),
                    },
                ))
            })
            .optional()?;
        let Some((id, mut list)) = head else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, name, dosage, route, line_type FROM practice_list_lines
             WHERE list_id = ?1 ORDER BY position",
        )?;
        list.lines = stmt
            .query_map(params![id], |r| {
                Ok(PracticeListLine {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    dosage: r.get(2)?,
                    route: r.get(3)?,
                    line_type: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(list))
    }

    /// Every version of a patient's list, newest first.
    pub fn practice_list_versions(
        &self,
        nhs_number: &str,
    ) -> Result<Vec<PracticeListVersion>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.version, l.imported_at, l.source, l.source_name,
                    (SELECT count(*) FROM practice_list_lines WHERE list_id = l.id)
             FROM practice_lists l WHERE l.nhs_number = ?1 ORDER BY l.version DESC",
        )?;
        let rows = stmt
            .query_map(params![nhs_number], |r| {
                Ok(PracticeListVersion {
                    version: r.get(0)?,
                    imported_at: r.get(1)?,
                    source: r.get(2)?,
                    source_name: r.get(3)?,
                    lines: r.get::<_, i64>(4)? as u64,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DbKey;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open_with_key(&tmp.path().join("t.db"), &DbKey::generate()).unwrap();
        (tmp, store)
    }

    fn concept(code: &str, kind: DmdKind, name: &str, vmp: Option<&str>, vtm: &str) -> DmdConcept {
        DmdConcept {
            code: code.into(),
            kind,
            name: name.into(),
            vmp: vmp.map(Into::into),
            vtm: Some(vtm.into()),
        }
    }

    #[test]
    fn a_dmd_import_replaces_the_release_and_resolves_previous_codes() {
        let (_tmp, s) = store();
        assert_eq!(s.dmd_status().unwrap(), None);
        assert_eq!(s.dmd_lookup("1").unwrap(), None);
        let concepts = vec![
            concept("10", DmdKind::Vtm, "Ramipril", None, "10"),
            concept(
                "20",
                DmdKind::Vmp,
                "Ramipril 2.5mg tablets",
                Some("20"),
                "10",
            ),
            concept(
                "30",
                DmdKind::Amp,
                "Ramipril 2.5mg tablets (A A H)",
                Some("20"),
                "10",
            ),
        ];
        let status = s
            .import_dmd(
                &concepts,
                [("9", "10")],
                "3010126",
                Some("2026-01-01"),
                "2026-01-02T00:00:00Z",
            )
            .unwrap();
        assert_eq!(
            (status.vtm, status.vmp, status.amp, status.previous_codes),
            (1, 1, 1, 1)
        );
        assert_eq!(status.release_date.as_deref(), Some("2026-01-01"));
        assert_eq!(s.dmd_lookup("9").unwrap().unwrap().name, "Ramipril");
        assert_eq!(s.dmd_lookup("30").unwrap().unwrap(), concepts[2]);

        // The next release replaces the whole of the last.
        let status = s
            .import_dmd(&concepts[..1], [], "3080126", None, "2026-01-09T00:00:00Z")
            .unwrap();
        assert_eq!(
            (status.vtm, status.vmp, status.amp, status.previous_codes),
            (1, 0, 0, 0)
        );
        assert_eq!(status.release_date, None);
        assert_eq!(s.dmd_lookup("30").unwrap(), None);
        assert_eq!(s.dmd_lookup("9").unwrap(), None);

        // A failed import leaves the release as it was.
        let dup = vec![concepts[1].clone(), concepts[1].clone()];
        assert!(s.import_dmd(&dup, [], "bad", None, "x").is_err());
        assert_eq!(s.dmd_status().unwrap().unwrap().release, "3080126");
        assert!(s.dmd_lookup("10").unwrap().is_some());
    }

    #[test]
    fn each_import_is_a_new_version_of_the_patients_list() {
        let (_tmp, s) = store();
        let line = |name: &str, t| PracticeListLine {
            code: None,
            name: name.into(),
            dosage: Some("One daily".into()),
            route: None,
            line_type: t,
        };
        assert_eq!(s.practice_list("9434765919").unwrap(), None);
        let v = s
            .write_practice_lists(
                &[
                    (
                        "9434765919".into(),
                        vec![
                            line("Ramipril", MedicationLineType::Repeat),
                            line("Amoxicillin", MedicationLineType::Acute),
                        ],
                    ),
                    (
                        "9434765870".into(),
                        vec![line("Aspirin", MedicationLineType::Repeat)],
                    ),
                ],
                PracticeListSource::Import,
                Some("lists.csv"),
                "2026-11-02T09:00:00Z",
            )
            .unwrap();
        assert_eq!(v, [1, 1]);
        let v = s
            .write_practice_lists(
                &[(
                    "9434765919".into(),
                    vec![line("Bisoprolol", MedicationLineType::Repeat)],
                )],
                PracticeListSource::Reconciliation,
                None,
                "2026-11-20T09:00:00Z",
            )
            .unwrap();
        assert_eq!(v, [2]);
        let latest = s.practice_list("9434765919").unwrap().unwrap();
        assert_eq!(latest.version, 2);
        assert_eq!(latest.source, PracticeListSource::Reconciliation);
        assert_eq!(latest.lines.len(), 1);
        let first = s.practice_list_version("9434765919", 1).unwrap().unwrap();
        assert_eq!(first.lines[1].name, "Amoxicillin");
        assert_eq!(first.lines[1].line_type, MedicationLineType::Acute);
        assert_eq!(first.source_name.as_deref(), Some("lists.csv"));
        let versions = s.practice_list_versions("9434765919").unwrap();
        assert_eq!(
            versions
                .iter()
                .map(|v| (v.version, v.lines))
                .collect::<Vec<_>>(),
            [(2, 1), (1, 2)]
        );
        assert_eq!(s.practice_list("9434765870").unwrap().unwrap().version, 1);
    }
}
