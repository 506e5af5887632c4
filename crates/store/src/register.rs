//! The practice register: the practice's patients as last imported (what documents are matched
//! against). Reading the import files, and deciding what a match means, happen in
//! `crates/workflow`; the store keeps the rows.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::{Registration, Store, StoreError};

/// A patient on the practice register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RegisterPatient {
    pub nhs_number: String,
    pub family_name: String,
    pub given_name: String,
    /// `yyyy-mm-dd`.
    pub birth_date: String,
    pub gender: Option<String>,
    pub postcode: Option<String>,
    pub registration: Registration,
    /// `yyyy-mm-dd`, for a patient who has died.
    pub deceased_date: Option<String>,
}

/// The register as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RegisterStatus {
    #[ts(type = "number")]
    pub patients: u64,
    /// When it was last imported (RFC 3339), if ever.
    pub imported_at: Option<String>,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegisterWrite {
    pub imported: u64,
    pub updated: u64,
    pub unchanged: u64,
}

const COLUMNS: &str =
    "nhs_number, family_name, given_name, birth_date, gender, postcode, registration, deceased_date";

fn patient(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegisterPatient> {
    Ok(RegisterPatient {
        nhs_number: r.get(0)?,
        family_name: r.get(1)?,
        given_name: r.get(2)?,
        birth_date: r.get(3)?,
        gender: r.get(4)?,
        postcode: r.get(5)?,
        registration: r.get(6)?,
        deceased_date: r.get(7)?,
    })
}

impl Store {
    /// Adds or updates these patients (all in one transaction) and records when the register
    /// was imported.
    pub fn write_register(
        &self,
        patients: &[RegisterPatient],
        at: &str,
    ) -> Result<RegisterWrite, StoreError> {
        self.atomically(|s| {
            let mut out = RegisterWrite::default();
            for p in patients {
                let existing = s.register_patient(&p.nhs_number)?;
                match existing {
                    Some(e) if &e == p => {
                        out.unchanged += 1;
                        continue;
                    }
                    Some(_) => out.updated += 1,
                    None => out.imported += 1,
                }
                s.conn
                    .prepare_cached(&format!(
                        "INSERT INTO register_patients ({COLUMNS}, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                         ON CONFLICT (nhs_number) DO UPDATE SET family_name = excluded.family_name,
                             given_name = excluded.given_name, birth_date = excluded.birth_date,
                             gender = excluded.gender, postcode = excluded.postcode,
                             registration = excluded.registration,
                             deceased_date = excluded.deceased_date, updated_at = excluded.updated_at"
                    ))?
                    .execute(params![
                        p.nhs_number,
                        p.family_name,
                        p.given_name,
                        p.birth_date,
                        p.gender,
                        p.postcode,
                        p.registration,
                        p.deceased_date,
                        at
                    ])?;
            }
            s.conn.execute(
                "INSERT INTO app_meta (key, value) VALUES ('register_imported_at', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![at],
            )?;
            Ok(out)
        })
    }

    pub fn register_patient(
        &self,
        nhs_number: &str,
    ) -> Result<Option<RegisterPatient>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM register_patients WHERE nhs_number = ?1"
            ))?
            .query_row(params![nhs_number], patient)
            .optional()?)
    }

    /// Patients who might be the one a document is about: the same family name and birth date,
    /// or the same birth date and postcode, or the same given and family name (at most 20).
    pub fn register_near(
        &self,
        family_name: Option<&str>,
        given_name: Option<&str>,
        birth_date: Option<&str>,
        postcode: Option<&str>,
    ) -> Result<Vec<RegisterPatient>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM register_patients
             WHERE (?1 IS NOT NULL AND ?3 IS NOT NULL AND family_name = ?1 COLLATE NOCASE AND birth_date = ?3)
                OR (?3 IS NOT NULL AND ?4 IS NOT NULL AND birth_date = ?3
                    AND replace(upper(postcode), ' ', '') = replace(upper(?4), ' ', ''))
                OR (?1 IS NOT NULL AND ?2 IS NOT NULL AND family_name = ?1 COLLATE NOCASE
                    AND given_name = ?2 COLLATE NOCASE)
             ORDER BY family_name, given_name LIMIT 20"
        ))?;
        let rows = stmt
            .query_map(
                params![family_name, given_name, birth_date, postcode],
                patient,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn register_status(&self) -> Result<RegisterStatus, StoreError> {
        Ok(RegisterStatus {
            patients: self
                .conn
                .query_row("SELECT count(*) FROM register_patients", [], |r| {
                    r.get::<_, i64>(0)
                })? as u64,
            imported_at: self
                .conn
                .query_row(
                    "SELECT value FROM app_meta WHERE key = 'register_imported_at'",
                    [],
                    |r| r.get(0),
                )
                .optional()?,
        })
    }
}
