//! What dm+d says about a medicine code. The diff asks a [`Dictionary`]; without dm+d
//! ([`NoDictionary`]) it falls back to equal codes, then to names.

use serde::Serialize;

/// The level of a dm+d concept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ConceptKind {
    /// Virtual therapeutic moiety: the drug ("Ramipril").
    Vtm,
    /// Virtual medicinal product: generic, with strength and form ("Ramipril 2.5mg tablets").
    Vmp,
    /// Actual medicinal product: a supplier's ("Ramipril 2.5mg tablets (A A H Pharmaceuticals Ltd)").
    Amp,
}

/// A dm+d concept, with the codes above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Concept {
    /// The current code (a previous code given to [`Dictionary::lookup`] resolves to this).
    pub code: String,
    pub kind: ConceptKind,
    pub name: String,
    /// The VMP of an AMP (or the VMP itself).
    pub vmp: Option<String>,
    /// The VTM of a VMP or AMP (or the VTM itself).
    pub vtm: Option<String>,
}

/// Looks up dm+d codes (current or previous).
pub trait Dictionary {
    fn lookup(&self, code: &str) -> Option<Concept>;
}

/// No dm+d: every lookup misses.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDictionary;

impl Dictionary for NoDictionary {
    fn lookup(&self, _code: &str) -> Option<Concept> {
        None
    }
}
