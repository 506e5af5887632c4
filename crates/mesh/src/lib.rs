//! # handover-mesh
//!
//! Handover's connection to NHS MESH (Message Exchange for Social care and
//! Health, API v2), through which GP practices receive hospital Transfer of Care
//! documents (workflow ids `TOC_FHIR_IP_DISCH`, `TOC_FHIR_EC_DISCH`,
//! `TOC_FHIR_MH_DISCH`, `TOC_FHIR_OP_ATTEN` and their `_ACK` responses).
//!
//! ## API
//!
//! - [`Mailbox`]: the trait the sync engine is generic over: `handshake`,
//!   `list_inbox`, `download`, `acknowledge`, `send`. Its futures are `Send`.
//!   Implemented by [`MeshClient`], [`FolderMailbox`], `Arc<M>` and
//!   [`AnyMailbox`] (either, chosen at run time).
//! - [`MeshClient`]: the MESH API v2 over HTTPS (reqwest + tokio). Built from a
//!   [`MeshConfig`] (URL, mailbox, password, shared key, optional client
//!   certificate/key/CA bundle, timeouts, [`RetryPolicy`], chunk size). Extra
//!   methods: [`MeshClient::track`] and [`MeshClient::list_inbox_paged`].
//! - [`FolderMailbox`]: the same interface over a directory (plain files or
//!   MESH-client `.dat`/`.ctl` pairs; see [`folder`]).
//! - [`MeshError`]: every failure, typed, with a stable [`MeshError::code`]
//!   (`mesh.authentication`, `mesh.unknown_mailbox`, `mesh.gone`,
//!   `mesh.rejected`, `mesh.rate_limited`, `mesh.server_error`,
//!   `mesh.timeout`, `mesh.connection`, `mesh.tls`, `mesh.send_outcome_unknown`,
//!   `mesh.send_incomplete`, `mesh.insecure_url`, `mesh.config`, …) and
//!   [`MeshError::is_transient`].
//! - [`Message`] (metadata, joined and decoded body, and for REPORT messages a
//!   [`DeliveryReport`] naming the linked message and the failure),
//!   [`InboxListing`], [`OutboundMessage`], [`TrackingInfo`].
//!
//! ## Invariants
//!
//! - **Nothing is acknowledged by this crate on its own.** `download` never
//!   acknowledges; [`Mailbox::acknowledge`] is an explicit call that the sync
//!   engine must make only after the message is durably committed locally. A
//!   message downloaded but not acknowledged is listed again next time, so a
//!   crash between download and commit loses nothing.
//! - Acknowledging is idempotent (MESH returns 200 twice; the folder mailbox
//!   treats a message already in `processed/` as acknowledged). MESH keeps
//!   acknowledged messages downloadable, so deduplicate by message id locally.
//! - Every HTTP request carries a fresh `NHSMESH` token (same per-client nonce,
//!   incremented count, current UTC minute), the upper-case mailbox id, exactly
//!   `Accept: application/vnd.mesh.v2+json`, `Accept-Encoding: gzip`, and
//!   `mex-ClientVersion`/`mex-OSName`/`mex-OSVersion`/`mex-OSArchitecture`.
//! - Downloads fetch every chunk, join the raw bodies, and when the server sent
//!   them gzip-encoded decode the whole with a multi-member gzip decoder (this
//!   handles both per-chunk gzip and one gzip stream split into chunks).
//!   reqwest's own decompression is not compiled in.
//! - **Every read is bounded.** Bodies are read in pieces and never past
//!   `MeshConfig::max_message_bytes` (+1 byte to detect an overrun); the chunk
//!   count times the first chunk's size is checked before the other chunks are
//!   fetched; gzip is inflated through a bounded reader. A message over the bound,
//!   or one whose encoding is broken, comes back with [`Message::fault`] set and
//!   its bytes as received (up to the bound), never as an error that would leave
//!   it to be downloaded again at every poll, and never by reading it whole.
//! - Plain `http://` is refused except to loopback (127.0.0.0/8, ::1,
//!   `localhost`); redirects are never followed; TLS ≥ 1.2; a configured CA
//!   bundle replaces the system roots.
//! - Retries: bounded exponential backoff with full jitter
//!   ([`RetryPolicy`], default 3 retries, 0.5 s base, 30 s cap) for 429, 5xx,
//!   timeouts and connection failures, on GET/PUT and chunk ≥ 2 POSTs. The
//!   first outbox POST (a whole message, or chunk 1) is retried only when the
//!   connection was never made; otherwise a failure that may have reached MESH
//!   is returned as [`MeshError::SendOutcomeUnknown`] so nothing is sent twice
//!   blindly. A failure after chunk 1 is [`MeshError::SendIncomplete`].
//! - `Debug` of [`MeshConfig`] and [`MeshClient`] redacts the password and
//!   shared key.
//!
//! ## Tests
//!
//! `cargo test -p handover-mesh` runs unit tests (token worked example, gzip,
//! chunking, headers, backoff, URL policy, folder mailbox) and
//! `tests/sandbox.rs`, which runs against NHS's real `mesh-sandbox` with NHS's
//! Python `mesh-client` as the hospital. Each test starts its own sandbox:
//! `<venv>/bin/python -m uvicorn mesh_sandbox.api:app --host 127.0.0.1
//! --port <free port> --workers 1` with `STORE_MODE=memory`, `AUTH_MODE=full`
//! and `SHARED_KEY=TestKey`, waits for `GET /health`, and kills it when the
//! guard drops (see the `testing` module, feature `test-support`, reusable by other
//! crates' end-to-end tests). The venv is
//! `$HANDOVER_TEST_VENV`, else `<workspace>/.venv`, created from
//! `tests/mesh/requirements.txt`; the tests fail (never skip) if it is missing.
//! `tests/mesh_peer.py` is the Python side (send N / chunked / gzipped
//! messages, list or receive an inbox).

pub mod auth;
mod client;
pub mod codec;
mod config;
mod error;
pub mod folder;
mod mailbox;
mod message;
#[cfg(feature = "test-support")]
pub mod testing;

pub use client::{client_headers, MeshClient, ACCEPT_V2, MESH_PAGE_SIZE};
pub use config::{validate_url, MeshConfig, RetryPolicy, DEFAULT_MAX_MESSAGE_BYTES};
pub use error::{ErrorDetail, MeshError};
pub use folder::FolderMailbox;
pub use mailbox::{AnyMailbox, Mailbox};
pub use message::{
    DeliveryReport, FaultKind, InboxListing, Message, MessageFault, MessageMeta, MessageType,
    OutboundMessage, TrackingInfo,
};
