//! # handover-toc
//!
//! Transfer of Care (ToC) documents and ITK3 messages for the Handover GP inbox.
//! Pure: no I/O. See `README.md` in this crate for the model and its invariants:
//!
//! * **Parsing never fails**: [`parse`] returns the model plus diagnostics. Only input that
//!   cannot be read as a message or document at all yields a fatal diagnostic
//!   ([`Parsed::is_fatal`]). DOCTYPEs and entities are refused; nesting and size are bounded.
//! * **Every narrative word survives sanitising**: `Section::text` holds every text node of
//!   the sender's narrative in order (including text the sender hid); `Section::html` is
//!   allowlisted markup around the same text.
//! * ITK3 responses are built with [`response::build`] and read with [`response::parse`].

pub mod actions;
pub use actions::{requested_actions, RequestedAction};
mod base64;
pub mod codes;
pub mod inspect;
pub mod medication_bundle;
pub mod medicines;
pub mod model;
pub mod nhs;
mod parse;
pub mod patients;
pub mod response;
mod tree;
pub mod writer;
mod xhtml;
mod xml;

pub use codes::ResponseCode;
pub use model::*;

/// Narrative sanitising on its own, for narrative markup held outside a message (tests and
/// fuzzing check its word-preservation property through this).
pub mod narrative {
    pub use crate::xhtml::{from_html, from_str as sanitise, Narrative, Removed};
}
pub use parse::{parse, MAX_INPUT_BYTES};

/// Decode standard or URL-safe base64, ignoring whitespace; None if it is not base64.
pub use base64::decode as base64_decode;
/// Standard base64 (RFC 4648, padded), e.g. for handing attachment bytes to the UI.
pub use base64::encode as base64_encode;
