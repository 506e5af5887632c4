//! Which practice server this desktop is a cache of (issue 14): `HANDOVER_PRACTICE_DATABASE`
//! when set (IT can set it for every desktop), else the one saved on this desktop by `handover
//! practice connect` or the app's settings screen: its URL without the password in the
//! encrypted store, the password in the OS keyring (never in a file or the database).
//!
//! Saving checks first: the server is reached with the login (over TLS when it is not on this
//! machine, see `handover_practice::connect`), it is a practice server, and it is the server
//! and practice this desktop's cache was filled from, if it was filled from one. Nothing is
//! saved when any of that fails.

use handover_errors::{Coded, ErrorCode, ErrorReport};
use handover_store::{practice_password_account, KeyStore, Store};
use serde::Serialize;

/// The practice database URL from the environment, if set.
pub fn practice_database_from_env() -> Option<String> {
    std::env::var("HANDOVER_PRACTICE_DATABASE")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// Where the practice server setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum PracticeSettingSource {
    /// `HANDOVER_PRACTICE_DATABASE`: overrides a saved one; the settings screen cannot change it.
    Environment,
    /// Saved on this desktop.
    Saved,
}

/// The practice database to use (the URL with its password, for connecting): the
/// environment's, else the saved one with its password from `keys`. None: this desktop works
/// alone.
pub fn resolve_practice_database(
    store: Option<&Store>,
    keys: &dyn KeyStore,
) -> Result<Option<(String, PracticeSettingSource)>, ErrorReport> {
    if let Some(url) = practice_database_from_env() {
        return Ok(Some((url, PracticeSettingSource::Environment)));
    }
    let Some(store) = store else {
        return Ok(None);
    };
    let Some(url) = store.practice_server_url().map_err(ErrorReport::from)? else {
        return Ok(None);
    };
    let password = keys.get(&practice_password_account(&url)).map_err(|e| {
        ErrorReport::new(
            ErrorCode::KeyringUnavailable,
            format!(
                "cannot read the practice server's password from the OS keyring: {}",
                e.0
            ),
        )
    })?;
    let url = match password {
        Some(p) if !p.is_empty() => with_password(&url, &p)?,
        _ => url,
    };
    Ok(Some((url, PracticeSettingSource::Saved)))
}

fn not_a_url(url: &str) -> ErrorReport {
    ErrorReport::new(
        ErrorCode::InvalidArgument,
        format!(
            "{:?} is not a practice server address: give postgres://LOGIN@HOST:PORT/DATABASE \
             (with ?sslrootcert=... and the device's sslcert/sslkey where the practice uses them)",
            crate::service::practice_server_address(url)
        ),
    )
}

/// Splits `postgres://login:password@host...` into the URL without the password and the
/// password (percent-decoded), if it had one.
pub fn split_password(url: &str) -> Result<(String, Option<String>), ErrorReport> {
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(s, _)| matches!(*s, "postgres" | "postgresql"))
        .ok_or_else(|| not_a_url(url))?;
    // The login ends at the last `@` before the query (a password typed in may hold `/`, `:`
    // or `?`... unencoded); the host at the first `/` or `?` after it.
    let before_query = rest.find('?').unwrap_or(rest.len());
    let Some(at) = rest[..before_query].rfind('@') else {
        return Err(ErrorReport::new(
            ErrorCode::InvalidArgument,
            "the practice server address needs the login: postgres://LOGIN@HOST:PORT/DATABASE",
        ));
    };
    let userinfo = &rest[..at];
    let after = &rest[at + 1..];
    let host_end = after.find(['/', '?']).unwrap_or(after.len());
    let (host, tail) = after.split_at(host_end);
    let (login, password) = match userinfo.split_once(':') {
        Some((l, p)) => (l, Some(percent_decode(p))),
        None => (userinfo, None),
    };
    if login.is_empty() || host.is_empty() {
        return Err(not_a_url(url));
    }
    Ok((format!("{scheme}://{login}@{host}{tail}"), password))
}

/// `url` (no password) with `password` put in, percent-encoded.
pub fn with_password(url: &str, password: &str) -> Result<String, ErrorReport> {
    let (bare, _) = split_password(url)?;
    let (scheme, rest) = bare.split_once("://").expect("checked by split_password");
    let (login, host) = rest.split_once('@').expect("checked by split_password");
    Ok(format!(
        "{scheme}://{login}:{}@{host}",
        percent_encode(password)
    ))
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What checking a practice server found (what the settings screen and `practice connect`
/// show).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PracticeServerCheck {
    /// The address as it may be shown (no password).
    pub address: String,
    pub practice_id: String,
    pub practice_name: String,
}

/// A practice server that answered: what [`save_practice_server`] keeps.
#[derive(Debug, Clone)]
pub struct CheckedPracticeServer {
    /// The URL without its password.
    bare: String,
    password: Option<String>,
    server_id: String,
    check: PracticeServerCheck,
}

/// Checks the practice server at `url` with `password` (None: the URL's own, or none): it is
/// reached with the login (TLS as `handover_practice::connect` requires) and is a practice
/// server Handover can use. Nothing is saved.
pub async fn check_practice_server(
    url: &str,
    password: Option<&str>,
) -> Result<CheckedPracticeServer, ErrorReport> {
    let (bare, inline) = split_password(url)?;
    let password = password
        .map(str::to_string)
        .filter(|p| !p.is_empty())
        .or(inline);
    let full = match &password {
        Some(p) => with_password(&bare, p)?,
        None => bare.clone(),
    };
    let report = |e: &dyn Coded, what: &str| ErrorReport::new(e.code(), format!("{what}: {e}"));
    let db = handover_practice::connect(&full)
        .await
        .map_err(|e| report(&e, "the practice server could not be used"))?;
    let identity = db
        .server_identity()
        .await
        .map_err(|e| report(&e, "this is not a practice server Handover can use"))?;
    Ok(CheckedPracticeServer {
        check: PracticeServerCheck {
            address: crate::service::practice_server_address(&bare),
            practice_id: identity.practice_id,
            practice_name: identity.practice_name,
        },
        server_id: identity.server_id,
        bare,
        password,
    })
}

/// Saves a checked practice server: the URL without the password in `store`, the password in
/// `keys`. Refused (nothing saved) when this desktop's cache was filled from another server
/// or practice (`practice_server_changed`).
pub fn save_practice_server(
    store: &Store,
    keys: &dyn KeyStore,
    checked: &CheckedPracticeServer,
) -> Result<PracticeServerCheck, ErrorReport> {
    let cached = store.practice_cache_state().map_err(ErrorReport::from)?;
    if let (Some(server), Some(practice)) = (&cached.server_id, &cached.practice_id) {
        if *server != checked.server_id || *practice != checked.check.practice_id {
            return Err(ErrorReport::new(
                ErrorCode::PracticeServerChanged,
                format!(
                    "this computer's records came from another practice server or practice \
                     ({practice}); it cannot be switched to {} without starting a new data \
                     directory",
                    checked.check.practice_id
                ),
            ));
        }
    }
    if let Some(p) = &checked.password {
        keys.set(&practice_password_account(&checked.bare), p)
            .map_err(|e| {
                ErrorReport::new(
                    ErrorCode::KeyringUnavailable,
                    format!("cannot keep the password in the OS keyring: {}", e.0),
                )
            })?;
    }
    store
        .save_practice_server_url(Some(&checked.bare))
        .map_err(ErrorReport::from)?;
    Ok(checked.check.clone())
}

/// Checks the practice server's own log on the server (every event's hash, its link to the one
/// before, no gap, the head row): the third part of verifying the audit trail on a desktop of a
/// practice, beside its own log and its copy of the practice log. A server that cannot be
/// reached is said, not counted as a failure.
pub async fn check_server_log(url: Option<&str>) -> handover_store::ServerLogCheck {
    use handover_store::{AuditVerification, ServerLogCheck};
    let Some(url) = url else {
        return ServerLogCheck {
            verification: None,
            why: Some("no practice server is configured on this computer".into()),
        };
    };
    let result = match handover_practice::connect(url).await {
        Ok(mut db) => db.verify_chain().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => ServerLogCheck {
            verification: Some(AuditVerification {
                events: r.events,
                ok: r.ok,
                first_bad_event: r.first_bad_event,
                problem: r.problem,
            }),
            why: None,
        },
        Err(e) => ServerLogCheck {
            verification: None,
            why: Some(format!(
                "the practice server could not be reached [{}]: {e}",
                e.code()
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_taken_out_of_the_url_and_put_back_encoded() {
        let (bare, pw) = split_password(
            "postgres://gp_one:p%40ss:w/rd@db.local:5432/handover?sslmode=verify-full",
        )
        .unwrap();
        assert_eq!(
            bare,
            "postgres://gp_one@db.local:5432/handover?sslmode=verify-full"
        );
        assert_eq!(pw.as_deref(), Some("p@ss:w/rd"));
        let back = with_password(&bare, "p@ss:w/rd é").unwrap();
        assert_eq!(
            back,
            "postgres://gp_one:p%40ss%3Aw%2Frd%20%C3%A9@db.local:5432/handover?sslmode=verify-full"
        );
        assert_eq!(
            split_password(&back).unwrap().1.as_deref(),
            Some("p@ss:w/rd é")
        );
        assert_eq!(
            split_password("postgresql://gp_one@db.local/h").unwrap(),
            ("postgresql://gp_one@db.local/h".to_string(), None)
        );
    }

    #[test]
    fn addresses_without_a_login_or_of_another_kind_are_refused() {
        for url in [
            "db.local:5432",
            "https://gp_one@db.local/",
            "postgres://db.local:5432/handover",
            "postgres://@db.local/h",
            "host=db.local user=gp_one",
        ] {
            let e = split_password(url).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument, "{url}");
        }
    }
}
