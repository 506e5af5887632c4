//! The `NHSMESH` authorisation token (HMAC-SHA256), as defined by the MESH API v2.
//!
//! ```text
//! hmac_msg = MAILBOX ":" nonce ":" nonce_count ":" PASSWORD ":" yyyyMMddHHmm
//! header   = "NHSMESH " MAILBOX ":" nonce ":" nonce_count ":" yyyyMMddHHmm ":" hex(HMAC_SHA256(SHARED_KEY, hmac_msg))
//! ```
//!
//! Real MESH accepts each token once only and requires the timestamp to be within
//! two hours of server time, so [`crate::MeshClient`] makes a fresh token (same
//! per-client nonce, incremented count) for every request, retries included.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The name of the authorisation scheme.
pub const SCHEME: &str = "NHSMESH";

/// Builds the full `Authorization` header value for one request.
///
/// `mailbox` must already be upper case (real MESH and the sandbox compare it
/// verbatim); `timestamp` is `yyyyMMddHHmm` in UTC (see [`timestamp_now`]).
/// `nonce` must not contain `:`.
pub fn auth_header(
    mailbox: &str,
    password: &str,
    shared_key: &str,
    nonce: &str,
    nonce_count: u64,
    timestamp: &str,
) -> String {
    // HMAC accepts keys of any length, so new_from_slice cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(shared_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(format!("{mailbox}:{nonce}:{nonce_count}:{password}:{timestamp}").as_bytes());
    let hash = hex::encode(mac.finalize().into_bytes());
    format!("{SCHEME} {mailbox}:{nonce}:{nonce_count}:{timestamp}:{hash}")
}

/// The current UTC time as `yyyyMMddHHmm`, the token's timestamp format.
pub fn timestamp_now() -> String {
    chrono::Utc::now().format("%Y%m%d%H%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of /work/shared/reference/mesh.md §4.2, verified against the
    /// sandbox, mesh_client and `openssl dgst`.
    #[test]
    fn token_matches_the_worked_example() {
        let header = auth_header(
            "X26ABC1",
            "password",
            "TestKey",
            "4e5c6f0a-1b2c-4d3e-8f90-a1b2c3d4e5f6",
            0,
            "202611220140",
        );
        assert_eq!(
            header,
            "NHSMESH X26ABC1:4e5c6f0a-1b2c-4d3e-8f90-a1b2c3d4e5f6:0:202611220140:\
             291aa605e8f09be69107cc35ae65020043659ee87642031bf494eaf6da01c3d5"
        );
    }

    #[test]
    fn token_changes_with_count_key_and_password() {
        let base = auth_header("X26ABC1", "password", "TestKey", "n", 0, "202611220140");
        assert_ne!(
            base,
            auth_header("X26ABC1", "password", "TestKey", "n", 1, "202611220140")
        );
        assert_ne!(
            base,
            auth_header("X26ABC1", "password", "OtherKey", "n", 0, "202611220140")
        );
        assert_ne!(
            base,
            auth_header("X26ABC1", "secret", "TestKey", "n", 0, "202611220140")
        );
        // The password never appears in the header.
        assert!(
            !auth_header("X26ABC1", "s3cret-pw", "k", "n", 0, "202611220140").contains("s3cret-pw")
        );
    }

    #[test]
    fn timestamp_is_twelve_digits() {
        let ts = timestamp_now();
        assert_eq!(ts.len(), 12);
        assert!(ts.bytes().all(|b| b.is_ascii_digit()));
    }
}
