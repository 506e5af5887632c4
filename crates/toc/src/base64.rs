//! Minimal standard base64 (RFC 4648) used for attachments; whitespace is ignored.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn val(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decoded length without decoding, or None if the text is not base64.
pub fn decoded_len(s: &str) -> Option<u64> {
    let mut n: u64 = 0;
    let mut pad = 0u64;
    for b in s.bytes() {
        if b.is_ascii_whitespace() {
            continue;
        }
        if b == b'=' {
            pad += 1;
            continue;
        }
        if pad > 0 || val(b).is_none() {
            return None;
        }
        n += 1;
    }
    if pad > 2 || n % 4 == 1 {
        return None;
    }
    Some(
        n / 4 * 3
            + match n % 4 {
                2 => 1,
                3 => 2,
                _ => 0,
            },
    )
}

pub fn decode(s: &str) -> Option<Vec<u8>> {
    let len = decoded_len(s)?;
    let mut out = Vec::with_capacity(usize::try_from(len).ok()?);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in s.bytes() {
        let Some(v) = val(b) else { continue };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn roundtrip() {
        for len in 0..20 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let e = super::encode(&data);
            assert_eq!(super::decoded_len(&e), Some(len as u64));
            assert_eq!(super::decode(&e).unwrap(), data);
        }
        assert_eq!(super::decode("aGVsbG8=\n").unwrap(), b"hello");
        assert_eq!(super::decoded_len("a$bc"), None);
    }
}
