//! # handover-chain
//!
//! How an event's hash is computed, in one place: the desktop's local log (`crates/store`) and
//! the practice-wide log on PostgreSQL (`crates/practice`, where `handover.append_event`
//! computes the same bytes in SQL) both use it, so one piece of code verifies either chain.
//!
//! `hash = hex(SHA-256(prev_hash || "\n" || fields))`, where `fields` is the compact JSON array
//! `[seq, event_id, at, actor, role, os_user, device, document_key, kind, details]` as
//! `serde_json` writes it (no spaces; `role` and `document_key` `null` when absent; `details`
//! is the event's details JSON *as text*, so it is hashed as a JSON string).

use sha2::{Digest, Sha256};

/// The hash before the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an event that its hash covers.
#[derive(Debug, Clone, Copy)]
pub struct ChainFields<'a> {
    pub seq: i64,
    pub event_id: &'a str,
    pub at: &'a str,
    pub actor: &'a str,
    pub role: Option<&'a str>,
    pub os_user: &'a str,
    pub device: &'a str,
    pub document_key: Option<&'a str>,
    pub kind: &'a str,
    /// The details JSON exactly as stored.
    pub details: &'a str,
}

/// The text the hash is taken over (after `prev_hash` and a newline).
pub fn fields_json(e: &ChainFields<'_>) -> String {
    serde_json::json!([
        e.seq,
        e.event_id,
        e.at,
        e.actor,
        e.role,
        e.os_user,
        e.device,
        e.document_key,
        e.kind,
        e.details,
    ])
    .to_string()
}

/// The hash of an event that follows `prev` (the previous event's hash, or [`GENESIS_HASH`]).
pub fn event_hash(prev: &str, e: &ChainFields<'_>) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(fields_json(e).as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_compact_json_with_details_as_a_string() {
        let e = ChainFields {
            seq: 7,
            event_id: "dev-1:7",
            at: "2026-01-02T03:04:05Z",
            actor: "alice",
            role: Some("gp"),
            os_user: "al\"ice",
            device: "dev-1",
            document_key: None,
            kind: "filed",
            details: "{\"a\":1}",
        };
        assert_eq!(
            fields_json(&e),
            r#"[7,"dev-1:7","2026-01-02T03:04:05Z","alice","gp","al\"ice","dev-1",null,"filed","{\"a\":1}"]"#
        );
        // Pinned (computed independently): a change here breaks every stored chain.
        assert_eq!(
            event_hash(GENESIS_HASH, &e),
            "869cd20491612940604457b91b9dabab07fa082bcfc07a1dcc41b9f7247828ec"
        );
    }
}
