//! # handover-workflow
//!
//! The workflow's policy: who may do what (`permissions`), matching a document to the practice
//! register and the ITK3 business response that follows (`matching`), which documents need a
//! GP's review (`review`), reading a register file (`register_file`), the medicines
//! reconciliation's decisions, clock and follow-ups (`medrec`) and what it gives the practice to
//! keep (`medrec_output`). The store records what
//! this crate decides (as with `crates/inbox`'s policy for duplicates and replacements).

pub mod commands;
pub mod matching;
pub mod medrec;
pub mod medrec_output;
pub mod permissions;
pub mod register_file;
pub mod review;
pub mod state;
pub mod view;

pub use commands::*;
pub use matching::{business_code, decide, DocumentPatient, MatchDecision};
pub use medrec::{
    medrec_confirm_unchanged, medrec_decide, medrec_sign_off, medrec_view, MedChoice,
    MedDecisionInput, MedIntent, MedrecExportFormat, MedrecView, StoreDictionary,
};
pub use medrec_output::{medrec_fhir_bundle, medrec_summary, record_medrec_export, MedrecSummary};
pub use permissions::{allows, permissions_of, Permission};
pub use register_file::{read_csv, read_fhir_bundle, read_register, RegisterFile, RejectedRow};
pub use review::{review_reasons, ReviewReason};
pub use state::{Decision, DecisionRecord, Stamp, WorkEvent, WorkState};
pub use view::{render_markdown, workflow_view, NoteView, WorkflowView};
