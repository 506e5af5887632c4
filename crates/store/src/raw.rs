//! A message's bytes as the store keeps them. Received XML compresses about sevenfold, and
//! every byte the store writes is encrypted, written to the WAL and checkpointed, so bytes are
//! kept deflate-compressed when that saves space. They are checked on the way back: what
//! [`crate::Store::message_raw`] returns must have the SHA-256 recorded for the original bytes,
//! or it is an error, never different bytes.

use std::io::{Read, Write};

use crate::ingest::sha256_hex;
use crate::StoreError;

/// Stored as received.
pub const IDENTITY: &str = "identity";
/// zlib-wrapped deflate (RFC 1950).
pub const DEFLATE: &str = "deflate";

/// A message body ready to store: computed off the store's thread when the caller can
/// (see [`crate::Incoming::body`]).
#[derive(Clone, PartialEq, Eq)]
pub struct RawBody {
    /// SHA-256 of the original bytes, lower-case hex.
    pub sha256: String,
    /// [`IDENTITY`] or [`DEFLATE`].
    pub encoding: &'static str,
    /// The bytes as stored.
    pub stored: Vec<u8>,
    /// Length of the original bytes.
    pub size: usize,
}

impl std::fmt::Debug for RawBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawBody")
            .field("sha256", &self.sha256)
            .field("encoding", &self.encoding)
            .field("stored_bytes", &self.stored.len())
            .field("size", &self.size)
            .finish()
    }
}

impl RawBody {
    /// Compresses `bytes` (fast level) when that makes them smaller; keeps them as they are
    /// otherwise (small or already compressed payloads).
    pub fn encode(bytes: &[u8]) -> Self {
        let sha256 = sha256_hex(bytes);
        let compressed = (bytes.len() >= 256)
            .then(|| {
                let mut encoder = flate2::write::ZlibEncoder::new(
                    Vec::with_capacity(bytes.len() / 4),
                    flate2::Compression::fast(),
                );
                encoder.write_all(bytes).ok()?;
                encoder.finish().ok()
            })
            .flatten()
            .filter(|c| c.len() + c.len() / 8 < bytes.len());
        match compressed {
            Some(stored) => RawBody {
                sha256,
                encoding: DEFLATE,
                stored,
                size: bytes.len(),
            },
            None => RawBody {
                sha256,
                encoding: IDENTITY,
                stored: bytes.to_vec(),
                size: bytes.len(),
            },
        }
    }
}

/// The original bytes of a stored body, checked against their recorded SHA-256.
pub(crate) fn decode(
    message_id: i64,
    encoding: &str,
    stored: Vec<u8>,
    sha256: &str,
) -> Result<Vec<u8>, StoreError> {
    let damaged = |detail: String| StoreError::MessageBytesDamaged { message_id, detail };
    let bytes = match encoding {
        IDENTITY => stored,
        DEFLATE => {
            let mut out = Vec::with_capacity(stored.len() * 6);
            flate2::read::ZlibDecoder::new(stored.as_slice())
                .read_to_end(&mut out)
                .map_err(|e| damaged(format!("cannot decompress: {e}")))?;
            out
        }
        other => return Err(damaged(format!("unknown encoding {other:?}"))),
    };
    if sha256_hex(&bytes) != sha256 {
        return Err(damaged(
            "the bytes read back do not match the SHA-256 recorded when they were received".into(),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_compressed_and_comes_back_exactly() {
        let xml = "<Bundle>".to_string()
            + &"<entry><text>Paracetamol 1 g</text></entry>".repeat(200)
            + "</Bundle>";
        let body = RawBody::encode(xml.as_bytes());
        assert_eq!(body.encoding, DEFLATE);
        assert!(body.stored.len() * 5 < xml.len(), "{body:?}");
        assert_eq!(body.size, xml.len());
        let back = decode(1, body.encoding, body.stored, &body.sha256).unwrap();
        assert_eq!(back, xml.as_bytes());
    }

    #[test]
    fn small_or_incompressible_bytes_are_kept_as_they_are() {
        let small = RawBody::encode(b"<a/>");
        assert_eq!(
            (small.encoding, small.stored.as_slice()),
            (IDENTITY, &b"<a/>"[..])
        );
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect();
        let body = RawBody::encode(&noise);
        assert_eq!(body.encoding, IDENTITY);
        assert_eq!(
            decode(1, body.encoding, body.stored, &body.sha256).unwrap(),
            noise
        );
    }

    #[test]
    fn damaged_bytes_are_an_error_not_different_bytes() {
        let xml = "<Bundle>".to_string() + &"<entry/>".repeat(100) + "</Bundle>";
        let body = RawBody::encode(xml.as_bytes());
        let mut flipped = body.stored.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        let err = decode(7, body.encoding, flipped, &body.sha256).unwrap_err();
        assert_eq!(err.code(), "message_bytes_damaged");
        let err = decode(7, IDENTITY, b"<Bundle/>".to_vec(), &body.sha256).unwrap_err();
        assert_eq!(err.code(), "message_bytes_damaged");
        assert!(err.to_string().contains("message 7"), "{err}");
    }
}
