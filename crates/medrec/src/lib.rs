//! # handover-medrec
//!
//! Medicines reconciliation: the medicines a hospital's discharge document lists (active, with
//! their change status, and discontinued) against the GP practice's own list, line by line.
//! Pure: no I/O but reading files given to it; the store keeps practice lists and dm+d.
//!
//! - [`dictionary`]: what dm+d says about a code (VTM, VMP, AMP, their links and previous
//!   codes), behind the [`Dictionary`] trait; [`dmd`] reads an NHSBSA release into one.
//! - [`normalise`]: names and dose text compared with care ("One tablet once a day" is "one
//!   tablet once daily"; "5mg" is not "2.5mg").
//! - [`practice`]: the practice's list (CSV `nhs_number,code,name,dosage,route,type`).
//! - [`practice_import`]: the practice's lists for many patients at once, for the store: CSV
//!   or a FHIR STU3 Bundle (GP Connect structured record), bad rows reported by line.
//! - [`diff`]: the reconciliation rows: every line of both lists in exactly one row.

pub mod dictionary;
pub mod diff;
pub mod dmd;
pub mod normalise;
pub mod practice;
pub mod practice_import;

pub use dictionary::{Concept, ConceptKind, Dictionary, NoDictionary};
pub use diff::{diff, Basis, Category, Diff, Flag, Row};
pub use dmd::{DmdError, DmdRelease, FnDictionary};
pub use practice::PracticeLine;
