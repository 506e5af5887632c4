//! Tauri commands, one file per domain. Each is a thin adapter over the core crates.

pub mod documents;
pub mod quarantine;
pub mod status;
pub mod sync;
pub mod settings;
