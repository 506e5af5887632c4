//! Handover's application core: the sync engine that moves messages from a mailbox (MESH or a
//! folder) into the encrypted store, answers them with ITK3 responses, and records how the
//! mailbox is doing.
//!
//! The order of work for each message is the invariant everything else rests on:
//! 1. download it completely;
//! 2. parse it, and store its bytes, the parse result and any response it needs in **one**
//!    SQLite transaction (durable on commit);
//! 3. only then acknowledge it to the mailbox.
//!
//! A crash anywhere leaves either nothing stored (the message is still in the mailbox and is
//! fetched again) or the message stored and maybe not acknowledged (it is acknowledged on the
//! next sync without being stored twice: the store is idempotent by mailbox message id). A
//! message whose acknowledgement reached the mailbox but was not recorded (a crash, a lost
//! reply) is no longer listed; each sync acknowledges such messages again (acknowledging is
//! idempotent) and records it.
//!
//! ITK3 responses go through a persisted outbox that retries until MESH accepts each response
//! and never sends one twice: a response whose earlier attempt may have reached MESH is looked
//! up by its `mex-LocalID` before it is sent again (see the `sync` module docs and
//! `handover_mesh::Mailbox::find_sent`).
//!
//! Settings: [`MailboxSettings::resolve`] (environment, else the stored mailbox with its secrets
//! from the OS keyring), then [`MailboxSettings::engine`] for a fully wired [`SyncEngine`].

pub mod by_hand;
mod classify;
mod config;
pub mod export;
mod freshness;
pub mod policy;
pub mod practice_cache;
pub mod practice_settings;
pub mod practice_sync;
pub mod service;
mod sync;
pub mod views;

pub use classify::{
    ack_workflow, classify, content_sha256, document_record, list_name, stored_model_json,
    Classification, Classified,
};
pub use config::{
    check_mesh_mailbox, save_mesh_mailbox, store_mesh_mailbox, test_mailbox, CheckedMailbox,
    ConfigError, MailboxDescription, MailboxSettings, MailboxTest, MeshMailboxInput,
};
pub use freshness::{assess, Freshness, StaleKind};
pub use sync::{
    now_rfc3339, SyncEngine, SyncError, SyncOptions, SyncProgress, SyncSummary, MAX_DECODE_ATTEMPTS,
};
