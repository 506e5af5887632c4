//! Tauri commands, one file per domain. Each is a thin adapter over the core crates.

pub mod documents;
pub mod quarantine;
pub mod settings;
pub mod status;
pub mod sync;
pub mod work;
