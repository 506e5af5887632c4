//! Data types exchanged through the [`crate::Mailbox`] trait.

use serde::{Deserialize, Serialize};

/// The result of listing an inbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxListing {
    /// Message ids, oldest first, across every page that was followed.
    pub message_ids: Vec<String>,
    /// The server's approximate count of waiting messages (all pages), if given.
    pub approx_inbox_count: Option<u64>,
    /// True when the last page was full and the server gave no `next` link: real
    /// MESH returns at most 500 ids per list, so download and acknowledge these,
    /// then list again.
    pub maybe_more: bool,
    /// Entries the mailbox could not list and has been skipping for a while (the folder
    /// mailbox's stray or unreadable files): a person should look at them.
    pub problems: Vec<ListingProblem>,
}

/// Something in the mailbox that cannot be listed as a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingProblem {
    /// What it is about (a file path).
    pub subject: String,
    /// Why it is skipped, in plain words.
    pub reason: String,
}

/// `mex-MessageType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageType {
    /// An ordinary message carrying a document.
    Data,
    /// A report from MESH itself, e.g. a non-delivery report for a message this
    /// mailbox sent. See [`DeliveryReport`].
    Report,
    /// Any other value, kept verbatim.
    Other(String),
}

impl MessageType {
    pub(crate) fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "DATA" | "" => Self::Data,
            "REPORT" => Self::Report,
            _ => Self::Other(s.trim().to_string()),
        }
    }
}

/// Metadata of one message, from the `mex-*` download headers (or a `.ctl` file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageMeta {
    pub message_id: String,
    pub message_type: MessageType,
    /// Sending mailbox (absent on REPORT messages).
    pub from: Option<String>,
    pub to: Option<String>,
    pub workflow_id: Option<String>,
    pub subject: Option<String>,
    pub local_id: Option<String>,
    pub partner_id: Option<String>,
    pub file_name: Option<String>,
    /// `mex-Content-Type`, else the HTTP `Content-Type`.
    pub content_type: Option<String>,
    pub checksum: Option<String>,
    /// `mex-Content-Compressed: Y` (informational; the body is already decoded).
    pub compressed_flag: bool,
    /// `mex-Content-Encrypted: Y`.
    pub encrypted_flag: bool,
    /// `mex-Total-Chunks` (0 for REPORT messages).
    pub total_chunks: u32,
    /// `mex-StatusTimestamp` (`yyyyMMddHHmmss`), verbatim.
    pub status_timestamp: Option<String>,
}

/// A non-delivery (or other) report: MESH telling this mailbox that a message
/// it sent (`linked_message_id`) could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReport {
    /// The id of the message this report is about.
    pub linked_message_id: Option<String>,
    /// `mex-StatusSuccess`, e.g. `ERROR`.
    pub status_success: Option<String>,
    /// `mex-StatusEvent`, e.g. `SEND`.
    pub status_event: Option<String>,
    /// `mex-StatusCode`, e.g. `14`, `EPL-153`.
    pub status_code: Option<String>,
    /// `mex-StatusDescription`, the human-readable failure.
    pub status_description: Option<String>,
    pub status_timestamp: Option<String>,
}

impl DeliveryReport {
    /// True unless the report says SUCCESS.
    pub fn is_failure(&self) -> bool {
        !self
            .status_success
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("SUCCESS"))
    }
}

/// A downloaded message: every chunk joined and decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub meta: MessageMeta,
    /// The payload (empty for REPORT messages). When `fault` is set: the bytes as received
    /// (chunks joined, still encoded), cut at the size bound.
    pub body: Vec<u8>,
    /// Set when `meta.message_type` is [`MessageType::Report`].
    pub report: Option<DeliveryReport>,
    /// The message arrived but cannot be used as it is (too large, or its encoding is broken).
    /// The sync engine keeps it in quarantine, as received, with the reason.
    pub fault: Option<MessageFault>,
}

/// Why a delivered message cannot be read, found while downloading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFault {
    pub kind: FaultKind,
    /// In plain words, with the sizes involved.
    pub reason: String,
    /// `Message::body` stops at the bound: the rest was not downloaded or not decoded.
    pub truncated: bool,
    /// How the body is encoded (`gzip`), when it is not the payload itself.
    pub content_encoding: Option<String>,
}

/// The kinds of [`MessageFault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Larger than the mailbox's bound (`MeshConfig::max_message_bytes`), as sent or once
    /// decompressed. The same on every download: it is quarantined at once (ITK3 20015).
    TooLarge,
    /// The bytes cannot be decoded (broken gzip, chunks that mix encodings, a chunk that could
    /// not be fetched). Kept in quarantine after a few failed attempts (ITK3 10009).
    Undecodable,
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboundMessage {
    /// Recipient mailbox id (upper-cased on send).
    pub to: String,
    /// MESH workflow id, e.g. `TOC_FHIR_IP_DISCH_ACK`.
    pub workflow_id: String,
    pub body: Vec<u8>,
    pub subject: Option<String>,
    /// Sender's own reference; returned by tracking and useful to detect a
    /// duplicate after [`crate::MeshError::SendOutcomeUnknown`].
    pub local_id: Option<String>,
    pub file_name: Option<String>,
    /// Stored as the message's content type (`Content-Type` and `mex-Content-Type`).
    pub content_type: Option<String>,
    /// Gzip each chunk (`Content-Encoding: gzip`).
    pub compress: bool,
}

impl OutboundMessage {
    /// A message with the required fields; the rest default to unset.
    pub fn new(to: impl Into<String>, workflow_id: impl Into<String>, body: Vec<u8>) -> Self {
        Self {
            to: to.into(),
            workflow_id: workflow_id.into(),
            body,
            ..Self::default()
        }
    }
}

/// `GET /outbox/tracking?messageID=…` (v2 shape). Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TrackingInfo {
    pub message_id: Option<String>,
    pub local_id: Option<String>,
    pub workflow_id: Option<String>,
    pub filename: Option<String>,
    pub recipient: Option<String>,
    pub recipient_name: Option<String>,
    /// `uploading | accepted | acknowledged | undeliverable | error`.
    pub status: Option<String>,
    pub status_success: Option<bool>,
    pub status_code: Option<String>,
    pub status_description: Option<String>,
    pub upload_timestamp: Option<String>,
    pub expiry_time: Option<String>,
}
