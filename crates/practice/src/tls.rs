//! The connection rule: a practice server that is not on this machine is reached only over
//! TLS, with the server's certificate verified as libpq's `sslmode=verify-full` (it chains to a
//! trusted certificate authority and names the host connected to); loopback addresses and
//! local sockets may stay plain unless TLS is asked for.
//!
//! The TLS settings come from the connection URL (`sslmode`, `sslrootcert`, `sslcert`,
//! `sslkey`, as libpq names them), else from the environment (`HANDOVER_PRACTICE_CA`,
//! `HANDOVER_PRACTICE_CLIENT_CERT`, `HANDOVER_PRACTICE_CLIENT_KEY`). tokio-postgres refuses
//! parameters it does not know, so they are taken out of the URL before it is parsed.

use std::net::IpAddr;

use tokio_postgres::config::Host;
use tokio_postgres::Config;

use crate::PracticeError;

/// The trusted certificate authorities (a PEM file), when not in the URL's `sslrootcert`.
pub const CA_ENV: &str = "HANDOVER_PRACTICE_CA";
/// The device's certificate (PEM), when not in the URL's `sslcert`.
pub const CLIENT_CERT_ENV: &str = "HANDOVER_PRACTICE_CLIENT_CERT";
/// The device's private key (PKCS#8 PEM), when not in the URL's `sslkey`.
pub const CLIENT_KEY_ENV: &str = "HANDOVER_PRACTICE_CLIENT_KEY";

/// The TLS parameters taken out of a connection URL.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsParams {
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub sslcert: Option<String>,
    pub sslkey: Option<String>,
}

impl TlsParams {
    /// Takes `key=value` if it is one of ours; false if it is not.
    fn take(&mut self, key: &str, value: String) -> bool {
        let slot = match key {
            "sslmode" => &mut self.sslmode,
            "sslrootcert" => &mut self.sslrootcert,
            "sslcert" => &mut self.sslcert,
            "sslkey" => &mut self.sslkey,
            _ => return false,
        };
        *slot = Some(value);
        true
    }
}

/// How to connect.
pub(crate) enum Transport {
    Plain,
    Tls(native_tls::TlsConnector),
}

fn percent_decode(s: &str) -> Result<String, PracticeError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    PracticeError::InvalidArgument(
                        "not a PostgreSQL connection URL: a bad %-escape".into(),
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        PracticeError::InvalidArgument("not a PostgreSQL connection URL: not UTF-8".into())
    })
}

/// Splits a key=value connection string into its pairs (values unquoted, as tokio-postgres
/// reads them: `'...'` with `\` escapes, or a bare word).
fn key_value_pairs(s: &str) -> Result<Vec<(String, String)>, PracticeError> {
    let bad = |why: &str| PracticeError::InvalidArgument(format!("not a connection string: {why}"));
    let mut chars = s.chars().peekable();
    let mut pairs = Vec::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(bad(&format!("{key:?} has no value")));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(bad("an unclosed quote")),
                    Some('\'') => break,
                    Some('\\') => value.push(chars.next().ok_or_else(|| bad("a trailing \\"))?),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.push(chars.next().ok_or_else(|| bad("a trailing \\"))?);
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

/// Takes the TLS parameters out of a connection URL or key=value string; returns what is
/// left for tokio-postgres to parse.
pub(crate) fn split_tls_params(url: &str) -> Result<(String, TlsParams), PracticeError> {
    let mut params = TlsParams::default();
    let trimmed = url.trim();
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        let Some((base, query)) = trimmed.split_once('?') else {
            return Ok((trimmed.to_string(), params));
        };
        let mut kept = Vec::new();
        for piece in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            if !params.take(&percent_decode(k)?, percent_decode(v)?) {
                kept.push(piece);
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok((rest, params))
    } else {
        let mut rest = String::new();
        for (k, v) in key_value_pairs(trimmed)? {
            if !params.take(&k, v.clone()) {
                let quoted = v.replace('\\', "\\\\").replace('\'', "\\'");
                rest.push_str(&format!("{k}='{quoted}' "));
            }
        }
        Ok((rest.trim_end().to_string(), params))
    }
}

fn is_local_tcp(h: &str) -> bool {
    h == "localhost"
        || h.trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .map(|a| a.is_loopback())
            .unwrap_or(false)
}

fn host_name(host: &Host) -> String {
    match host {
        Host::Tcp(h) => h.clone(),
        #[cfg(unix)]
        Host::Unix(p) => p.display().to_string(),
    }
}

/// The parameter from the URL, else the environment variable (unset or empty: none).
fn setting(from_url: &Option<String>, env: &str) -> Option<String> {
    from_url
        .clone()
        .or_else(|| std::env::var(env).ok())
        .filter(|v| !v.trim().is_empty())
}

fn read_file(path: &str, what: &str) -> Result<Vec<u8>, PracticeError> {
    std::fs::read(path)
        .map_err(|e| PracticeError::InvalidArgument(format!("cannot read {what} {path}: {e}")))
}

/// Reads the device's private key, refusing one that other users can read, as libpq does: it
/// must be readable by its owner only (mode 0600 or less), or, owned by root, by root's group
/// too (0640). A key others can read could be copied to connect as this device.
fn read_key_file(path: &str) -> Result<Vec<u8>, PracticeError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).map_err(|e| {
            PracticeError::InvalidArgument(format!("cannot read the device key {path}: {e}"))
        })?;
        let mode = meta.mode() & 0o777;
        let allowed = if meta.uid() == 0 { 0o640 } else { 0o600 };
        if mode & !allowed != 0 {
            return Err(PracticeError::InvalidArgument(format!(
                "the device key {path} can be read by other users (mode {mode:04o}): make it \
                 readable by its owner only (chmod 600 {path})"
            )));
        }
    }
    read_file(path, "the device key")
}

/// The certificates in a PEM bundle.
fn pem_certificates(pem: &[u8], path: &str) -> Result<Vec<native_tls::Certificate>, PracticeError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let mut certs = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            break;
        };
        let block = &rest[start..start + len + END.len()];
        certs.push(
            native_tls::Certificate::from_pem(block.as_bytes()).map_err(|e| {
                PracticeError::InvalidArgument(format!(
                    "{path} holds a certificate that cannot be read: {e}"
                ))
            })?,
        );
        rest = &rest[start + len + END.len()..];
    }
    if certs.is_empty() {
        return Err(PracticeError::InvalidArgument(format!(
            "{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certs)
}

/// Checks the hosts against the rule and decides how to connect (setting `config`'s
/// `sslmode` to match).
pub(crate) fn transport(
    config: &mut Config,
    params: &TlsParams,
) -> Result<Transport, PracticeError> {
    let hosts = config.get_hosts();
    if hosts.is_empty() && config.get_hostaddrs().is_empty() {
        return Err(PracticeError::InvalidArgument(
            "the connection URL names no host".into(),
        ));
    }
    let remote: Vec<String> = hosts
        .iter()
        .filter(|h| match h {
            Host::Tcp(h) => !is_local_tcp(h),
            #[cfg(unix)]
            Host::Unix(_) => false,
        })
        .map(host_name)
        .chain(
            config
                .get_hostaddrs()
                .iter()
                .filter(|a| !a.is_loopback())
                .map(|a| a.to_string()),
        )
        .collect();
    let asked = match params.sslmode.as_deref() {
        None | Some("prefer") | Some("allow") => false,
        Some("disable") => {
            if let Some(host) = remote.first() {
                return Err(PracticeError::InsecureConnection(format!(
                    "{host} is not on this machine: a practice server is reached only over TLS \
                     (sslmode=disable is refused)"
                )));
            }
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
            return Ok(Transport::Plain);
        }
        Some("require") | Some("verify-ca") | Some("verify-full") => true,
        Some(other) => {
            return Err(PracticeError::InvalidArgument(format!(
                "sslmode={other} is not known: use verify-full (the certificate is always \
                 verified, chain and host name), or disable for this machine only"
            )))
        }
    } || params.sslrootcert.is_some()
        || params.sslcert.is_some()
        || params.sslkey.is_some();
    if remote.is_empty() && !asked {
        config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        return Ok(Transport::Plain);
    }
    #[cfg(unix)]
    if hosts.iter().any(|h| matches!(h, Host::Unix(_))) {
        return Err(PracticeError::InvalidArgument(
            "TLS is not used over a local socket: connect to localhost or 127.0.0.1 instead".into(),
        ));
    }
    if hosts.is_empty() {
        return Err(PracticeError::InvalidArgument(
            "the server's certificate is checked against a host name: give host= as well as \
             hostaddr="
                .into(),
        ));
    }
    let mut builder = native_tls::TlsConnector::builder();
    builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    // sslrootcert=system (as libpq 16): the system's certificate authorities.
    match setting(&params.sslrootcert, CA_ENV).as_deref() {
        None | Some("system") => {}
        Some(path) => {
            for cert in pem_certificates(&read_file(path, "the CA certificate file")?, path)? {
                builder.add_root_certificate(cert);
            }
            // Only the practice's certificate authorities, as libpq does with sslrootcert.
            builder.disable_built_in_roots(true);
        }
    }
    match (
        setting(&params.sslcert, CLIENT_CERT_ENV),
        setting(&params.sslkey, CLIENT_KEY_ENV),
    ) {
        (None, None) => {}
        (Some(cert), Some(key)) => {
            let identity = native_tls::Identity::from_pkcs8(
                &read_file(&cert, "the device certificate")?,
                &read_key_file(&key)?,
            )
            .map_err(|e| {
                PracticeError::InvalidArgument(format!(
                    "the device certificate {cert} and key {key} cannot be used (PEM, the key \
                     in PKCS#8: -----BEGIN PRIVATE KEY-----): {e}"
                ))
            })?;
            builder.identity(identity);
        }
        _ => {
            return Err(PracticeError::InvalidArgument(format!(
                "a device certificate needs both sslcert and sslkey (or {CLIENT_CERT_ENV} and \
                 {CLIENT_KEY_ENV})"
            )))
        }
    }
    let connector = builder
        .build()
        .map_err(|e| PracticeError::InvalidArgument(format!("TLS cannot be set up: {e}")))?;
    config.ssl_mode(tokio_postgres::config::SslMode::Require);
    Ok(Transport::Tls(connector))
}

/// What a connection error means: a certificate that did not verify, a server without TLS,
/// or what [`PracticeError`]'s `From` says.
pub(crate) fn connect_error(e: tokio_postgres::Error, config: &Config) -> PracticeError {
    if e.as_db_error().is_some() {
        return e.into();
    }
    let hosts = config
        .get_hosts()
        .iter()
        .map(host_name)
        .collect::<Vec<_>>()
        .join(", ");
    // The causes' texts (a TLS alert from the server after the handshake comes as an I/O
    // error on the next read, with OpenSSL's text).
    let mut causes = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
    while let Some(s) = source {
        if let Some(tls) = s.downcast_ref::<native_tls::Error>() {
            return tls_error(&tls.to_string(), &hosts);
        }
        let text = s.to_string();
        if causes.last() != Some(&text) {
            causes.push(text);
        }
        source = s.source();
    }
    let text = causes.join(": ");
    if text.contains("server does not support TLS") {
        return PracticeError::InsecureConnection(format!(
            "the practice server {hosts} does not offer TLS: Handover does not connect to it in \
             the clear"
        ));
    }
    if text.to_ascii_lowercase().contains("alert") {
        return tls_error(&text, &hosts);
    }
    e.into()
}

/// Classifies a TLS library error by its text (OpenSSL's verify results on Linux; other
/// systems' messages fall to the general cases).
fn tls_error(message: &str, hosts: &str) -> PracticeError {
    let m = message.to_ascii_lowercase();
    let reason = if m.contains("hostname mismatch")
        || m.contains("ip address mismatch")
        || m.contains("name mismatch")
    {
        Some(format!("it was not issued for {hosts} (wrong host name)"))
    } else if m.contains("unable to get local issuer certificate")
        || m.contains("unable to get issuer certificate")
        || m.contains("self-signed certificate")
        || m.contains("self signed certificate")
        || m.contains("unable to verify the first certificate")
        || m.contains("untrusted root")
    {
        Some("it is not signed by a trusted certificate authority (unknown issuer)".to_string())
    } else if m.contains("certificate has expired") || m.contains("not yet valid") {
        Some("it has expired or is not yet valid".to_string())
    } else if m.contains("certificate verify failed") {
        Some("it did not verify".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => PracticeError::CertificateInvalid(format!(
            "the practice server's certificate was refused: {reason}. Not connected. \
             [{message}]"
        )),
        None if m.contains("alert") => PracticeError::Authentication(format!(
            "the TLS handshake with {hosts} failed (the server may not accept this device's \
             certificate): {message}"
        )),
        None => PracticeError::Unreachable(format!("TLS with {hosts} failed: {message}")),
    }
}

#[cfg(test)]
mod tests {

    #[cfg(unix)]
    #[test]
    fn a_device_key_others_can_read_is_refused() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("device.key");
        std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\n").unwrap();
        let path = key.to_str().unwrap();
        let root = std::fs::metadata(&key).unwrap().uid() == 0;
        for (mode, ok) in [
            (0o600, true),
            (0o400, true),
            (0o640, root),
            (0o644, false),
            (0o660, false),
            (0o604, false),
        ] {
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
            match read_key_file(path) {
                Ok(bytes) => {
                    assert!(ok, "mode {mode:o} was accepted");
                    assert!(!bytes.is_empty());
                }
                Err(e) => {
                    assert!(!ok, "mode {mode:o} was refused: {e}");
                    assert!(e.to_string().contains("chmod 600"), "{e}");
                }
            }
        }
    }

    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_urls() {
        let (rest, p) = split_tls_params(
            "postgres://u:p%40ss@db.example:5432/handover?sslmode=verify-full&\
             sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5&sslcert=/d/c.pem&sslkey=/d/k.pem",
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgres://u:p%40ss@db.example:5432/handover?connect_timeout=5"
        );
        assert_eq!(
            p,
            TlsParams {
                sslmode: Some("verify-full".into()),
                sslrootcert: Some("/etc/ca.pem".into()),
                sslcert: Some("/d/c.pem".into()),
                sslkey: Some("/d/k.pem".into()),
            }
        );
        let (rest, p) = split_tls_params("postgres://u@localhost/db?sslmode=disable").unwrap();
        assert_eq!(rest, "postgres://u@localhost/db");
        assert_eq!(p.sslmode.as_deref(), Some("disable"));

        let (rest, p) = split_tls_params(
            "host=db.example user=u password='it\\'s a secret' sslrootcert = '/a b/ca.pem'",
        )
        .unwrap();
        assert_eq!(p.sslrootcert.as_deref(), Some("/a b/ca.pem"));
        let config: Config = rest.parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"it's a secret"[..]));
        assert_eq!(config.get_user(), Some("u"));
        assert!(split_tls_params("host='unclosed").is_err());
    }

    fn choose(url: &str) -> Result<(bool, tokio_postgres::config::SslMode), PracticeError> {
        let (rest, params) = split_tls_params(url)?;
        let mut config: Config = rest.parse().unwrap();
        let t = transport(&mut config, &params)?;
        Ok((matches!(t, Transport::Tls(_)), config.get_ssl_mode()))
    }

    /// Which connections are TLS (sslmode Require: no fallback to plain) and which are plain.
    #[test]
    fn remote_hosts_are_tls_and_local_ones_plain_unless_asked() {
        use tokio_postgres::config::SslMode::{Disable, Require};
        for url in [
            "postgres://u:p@db.example/h",
            "postgres://u:p@db.example/h?sslmode=prefer",
            "postgres://u:p@db.example/h?sslmode=require",
            "postgres://u:p@10.0.0.5/h?sslmode=verify-full",
            "postgres://u:p@localhost,db.example/h",
            "host=localhost hostaddr=10.0.0.5 user=u",
            "postgres://u:p@localhost/h?sslmode=verify-full",
            "postgres://u:p@127.0.0.1/h?sslmode=require",
            "postgres://u:p@[::1]/h?sslrootcert=system",
        ] {
            assert_eq!(choose(url).unwrap(), (true, Require), "{url}");
        }
        for url in [
            "postgres://u:p@localhost/h",
            "postgres://u:p@127.0.0.1:5433/h?sslmode=disable",
            "postgres://u:p@[::1]/h?sslmode=prefer",
            "host=/run/postgresql user=u",
        ] {
            assert_eq!(choose(url).unwrap(), (false, Disable), "{url}");
        }
        for url in [
            "postgres://u:p@db.example/h?sslmode=disable",
            "postgres://u:p@localhost,db.example/h?sslmode=disable",
        ] {
            assert!(
                matches!(choose(url), Err(PracticeError::InsecureConnection(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn verification_failures_are_told_apart() {
        let code = |m: &str| handover_errors::Coded::code(&tls_error(m, "db.example"));
        use handover_errors::ErrorCode::*;
        assert_eq!(
            code("error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: (unable to get local issuer certificate)"),
            PracticeCertificateInvalid
        );
        assert_eq!(
            code("... certificate verify failed ... (Hostname mismatch)"),
            PracticeCertificateInvalid
        );
        assert_eq!(
            code("... (certificate has expired)"),
            PracticeCertificateInvalid
        );
        assert_eq!(code("ssl/tls alert unknown ca"), PracticeAuthentication);
        assert_eq!(code("unexpected eof while reading"), PracticeUnreachable);
    }
}
