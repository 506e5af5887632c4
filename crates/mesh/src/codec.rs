//! Chunk splitting/joining and gzip handling.
//!
//! MESH chunks are split from the *uncompressed* data and, when compressed, each
//! chunk is gzipped independently (the spec and mesh_client do this). Some senders
//! instead gzip the whole file and split the gzip stream. Joining the raw chunk
//! bodies and decoding with a *multi-member* gzip decoder handles both.

use std::io::{Read, Write};

/// Concatenates raw chunk bodies in order (chunk 1 first).
pub fn join_chunks<B: AsRef<[u8]>>(chunks: &[B]) -> Vec<u8> {
    let total = chunks.iter().map(|c| c.as_ref().len()).sum();
    let mut out = Vec::with_capacity(total);
    for c in chunks {
        out.extend_from_slice(c.as_ref());
    }
    out
}

/// Splits `data` into pieces of at most `max_chunk_size` bytes. Empty data gives
/// one empty chunk (MESH needs at least one request body).
pub fn split_chunks(data: &[u8], max_chunk_size: usize) -> Vec<&[u8]> {
    let size = max_chunk_size.max(1);
    if data.is_empty() {
        return vec![data];
    }
    data.chunks(size).collect()
}

/// Decodes a gzip stream of one or more members (RFC 1952 §2.2).
pub fn gunzip_multi(data: &[u8]) -> std::io::Result<Vec<u8>> {
    gunzip_multi_bounded(data, usize::MAX - 1).map_err(|e| match e {
        GunzipError::TooLarge { .. } => std::io::Error::other("too large"),
        GunzipError::Corrupt(e) => e,
    })
}

/// Why [`gunzip_multi_bounded`] failed.
#[derive(Debug)]
pub enum GunzipError {
    /// The data inflates to more than `limit` bytes (decoding stopped there).
    TooLarge { limit: usize },
    /// Not a valid gzip stream (or cut short).
    Corrupt(std::io::Error),
}

impl std::fmt::Display for GunzipError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GunzipError::TooLarge { limit } => {
                write!(f, "it inflates to more than {limit} bytes")
            }
            GunzipError::Corrupt(e) => write!(f, "it is not valid gzip: {e}"),
        }
    }
}

/// Decodes a gzip stream of one or more members, producing at most `limit` bytes: a stream
/// that inflates further (a "gzip bomb") is refused after `limit + 1` bytes, so memory stays
/// bounded whatever the ratio.
pub fn gunzip_multi_bounded(data: &[u8], limit: usize) -> Result<Vec<u8>, GunzipError> {
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(limit));
    flate2::read::MultiGzDecoder::new(data)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(GunzipError::Corrupt)?;
    if out.len() > limit {
        return Err(GunzipError::TooLarge { limit });
    }
    Ok(out)
}

/// Gzips `data` as one member.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    enc.write_all(data)
        .and_then(|()| enc.try_finish())
        .unwrap_or_else(|_| unreachable!("writing to a Vec cannot fail"));
    enc.get_ref().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn split_then_join_round_trips() {
        let data = sample(10_000);
        let chunks = split_chunks(&data, 3000);
        assert_eq!(
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>(),
            [3000, 3000, 3000, 1000]
        );
        assert_eq!(join_chunks(&chunks), data);
        assert_eq!(split_chunks(&data, 10_000).len(), 1);
        assert_eq!(split_chunks(&[], 10), vec![&[] as &[u8]]);
        assert_eq!(join_chunks::<&[u8]>(&[]), Vec::<u8>::new());
    }

    #[test]
    fn multi_member_gzip_per_chunk_decodes() {
        // The mesh_client / spec form: each chunk gzipped independently.
        let data = sample(50_000);
        let members: Vec<Vec<u8>> = split_chunks(&data, 20_000).into_iter().map(gzip).collect();
        assert_eq!(members.len(), 3);
        assert!(members.iter().all(|m| m.starts_with(&[0x1f, 0x8b])));
        let joined = join_chunks(&members);
        assert_eq!(gunzip_multi(&joined).unwrap(), data);
        // A single-member decoder would stop after chunk 1: prove the difference.
        let mut first_only = Vec::new();
        flate2::read::GzDecoder::new(&joined[..])
            .read_to_end(&mut first_only)
            .unwrap();
        assert_eq!(first_only.len(), 20_000);
    }

    #[test]
    fn split_gzip_stream_decodes_after_joining() {
        // The other form: one gzip stream cut into raw pieces.
        let data = sample(40_000);
        let stream = gzip(&data);
        let pieces = split_chunks(&stream, stream.len() / 3 + 1);
        assert_eq!(pieces.len(), 3);
        assert!(gunzip_multi(pieces[1]).is_err());
        assert_eq!(gunzip_multi(&join_chunks(&pieces)).unwrap(), data);
    }

    #[test]
    fn bounded_gunzip_stops_at_the_limit() {
        // 64 MB of zeros compresses to about 64 KB: decoding stops after limit + 1 bytes.
        let bomb = {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..64 {
                enc.write_all(&zeros).unwrap();
            }
            enc.finish().unwrap()
        };
        assert!(bomb.len() < 1 << 20);
        match gunzip_multi_bounded(&bomb, 1 << 20) {
            Err(GunzipError::TooLarge { limit }) => assert_eq!(limit, 1 << 20),
            other => panic!("expected TooLarge, got {other:?}"),
        }
        // At or under the limit it decodes in full.
        let data = sample(4096);
        assert_eq!(gunzip_multi_bounded(&gzip(&data), 4096).unwrap(), data);
        assert!(matches!(
            gunzip_multi_bounded(&gzip(&data), 4095),
            Err(GunzipError::TooLarge { .. })
        ));
        assert!(matches!(
            gunzip_multi_bounded(b"not gzip", 100),
            Err(GunzipError::Corrupt(_))
        ));
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let stream = gzip(&sample(5000));
        assert!(gunzip_multi(&stream[..stream.len() - 10]).is_err());
        assert!(gunzip_multi(b"not gzip").is_err());
    }
}
