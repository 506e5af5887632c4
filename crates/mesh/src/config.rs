//! Client configuration, retry policy and URL checks.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::MeshError;

/// Settings for one MESH mailbox. `Debug` redacts the password and shared key.
#[derive(Clone)]
pub struct MeshConfig {
    /// Base URL, e.g. `https://msg.int.spine2.ncrs.nhs.uk` (no `/messageexchange`).
    /// Plain `http://` is only accepted for loopback hosts (tests, sandbox).
    pub url: String,
    /// Mailbox id; upper-cased by the client.
    pub mailbox: String,
    /// Mailbox password.
    pub password: String,
    /// Environment shared key (HMAC key), issued at onboarding.
    pub shared_key: String,
    /// Client certificate (PEM) for mutual TLS. Set together with `client_key`.
    pub client_cert: Option<PathBuf>,
    /// Client private key (PEM, PKCS#8 `BEGIN PRIVATE KEY`). Set together with `client_cert`.
    pub client_key: Option<PathBuf>,
    /// CA bundle (PEM, one or more certificates). When set, ONLY these roots are
    /// trusted (the NHS MESH environments use their own CAs); when unset, the
    /// system roots are used.
    pub ca_bundle: Option<PathBuf>,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout (one HTTP exchange, i.e. one chunk).
    pub request_timeout: Duration,
    /// Backoff for 429, 5xx, timeouts and connection failures.
    pub retry: RetryPolicy,
    /// Largest chunk (uncompressed bytes) sent in one request. MESH allows 100 MB
    /// per request; mesh_client uses 75 MiB.
    pub max_chunk_size: usize,
    /// Sent as `mex-ClientVersion` (and in `User-Agent`).
    pub client_version: String,
    /// The largest message accepted, as sent and once decompressed. A larger one is not read
    /// past this bound: it comes back with a [`crate::FaultKind::TooLarge`] fault. Set it to
    /// the store's maximum message size.
    pub max_message_bytes: usize,
}

/// The default [`MeshConfig::max_message_bytes`]: 64 MiB, the parser's own limit.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

impl MeshConfig {
    /// A configuration with default timeouts, retries and chunk size.
    pub fn new(
        url: impl Into<String>,
        mailbox: impl Into<String>,
        password: impl Into<String>,
        shared_key: impl Into<String>,
    ) -> Self {
        Self {
            url: url.into(),
            mailbox: mailbox.into(),
            password: password.into(),
            shared_key: shared_key.into(),
            client_cert: None,
            client_key: None,
            ca_bundle: None,
            connect_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            max_chunk_size: 75 * 1024 * 1024,
            client_version: format!("handover-mesh=={}", env!("CARGO_PKG_VERSION")),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

impl fmt::Debug for MeshConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeshConfig")
            .field("url", &self.url)
            .field("mailbox", &self.mailbox)
            .field("password", &"<redacted>")
            .field("shared_key", &"<redacted>")
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("ca_bundle", &self.ca_bundle)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("max_chunk_size", &self.max_chunk_size)
            .field("client_version", &self.client_version)
            .field("max_message_bytes", &self.max_message_bytes)
            .finish()
    }
}

/// Bounded exponential backoff with full jitter.
///
/// Attempt `n` (0-based retry number) waits a random duration in
/// `[0, min(max_delay, base_delay * 2^n)]`; at most `max_retries` retries follow
/// the first attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The upper bound of the wait before retry number `retry` (0-based).
    pub fn cap(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// A jittered wait for retry number `retry` (0-based): uniform in `[0, cap(retry)]`.
    pub fn delay<R: rand::Rng + ?Sized>(&self, retry: u32, rng: &mut R) -> Duration {
        let cap = self.cap(retry);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.random_range(0..=nanos))
    }
}

/// Checks the base URL: `https://` anywhere, `http://` only to a loopback host.
pub fn validate_url(url: &str) -> Result<reqwest::Url, MeshError> {
    let insecure = |reason: &str| MeshError::InsecureUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed =
        reqwest::Url::parse(url).map_err(|e| insecure(&format!("not a valid URL ({e})")))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(insecure(
                    "plain http:// is only allowed to a loopback address (127.0.0.1, ::1, localhost); use https:// for MESH",
                ));
            }
        }
        other => {
            return Err(insecure(&format!(
                "unsupported scheme {other}:// (use https://)"
            )))
        }
    }
    if parsed.host().is_none() {
        return Err(insecure("no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(insecure("credentials must not be embedded in the URL"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn http_is_refused_except_to_loopback() {
        for ok in [
            "http://127.0.0.1:8700",
            "http://127.1.2.3/",
            "http://localhost:1",
            "http://[::1]:8700",
            "https://msg.int.spine2.ncrs.nhs.uk",
            "https://10.0.0.1",
        ] {
            assert!(validate_url(ok).is_ok(), "{ok} should be accepted");
        }
        for bad in [
            "http://msg.int.spine2.ncrs.nhs.uk",
            "http://10.0.0.1:8700",
            "http://[2001:db8::1]/",
            "http://localhost.evil.example/",
            "ftp://127.0.0.1/",
            "127.0.0.1:8700",
            "https://user:pw@example.org",
        ] {
            let err = validate_url(bad).expect_err(bad);
            assert_eq!(err.code(), "mesh_insecure_url", "{bad}");
        }
        let msg = validate_url("http://mesh.example.org")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("only allowed to a loopback"), "{msg}");
    }

    #[test]
    fn backoff_is_bounded_and_grows() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        };
        assert_eq!(p.cap(0), Duration::from_millis(100));
        assert_eq!(p.cap(1), Duration::from_millis(200));
        assert_eq!(p.cap(3), Duration::from_millis(800));
        assert_eq!(p.cap(5), Duration::from_secs(2));
        assert_eq!(p.cap(40), Duration::from_secs(2));
        assert_eq!(p.cap(u32::MAX), Duration::from_secs(2));
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut distinct = std::collections::HashSet::new();
        for retry in 0..12 {
            for _ in 0..50 {
                let d = p.delay(retry, &mut rng);
                assert!(d <= p.cap(retry), "retry {retry}: {d:?}");
                distinct.insert(d);
            }
        }
        // Jitter: the waits are not all the same.
        assert!(distinct.len() > 100);
    }

    #[test]
    fn debug_redacts_secrets() {
        let cfg = MeshConfig::new(
            "https://x",
            "X26ABC1",
            "hunter2-password",
            "very-secret-key",
        );
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("hunter2-password"), "{dbg}");
        assert!(!dbg.contains("very-secret-key"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
        assert!(dbg.contains("X26ABC1"));
    }
}
