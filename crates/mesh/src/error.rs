//! Typed errors shared by [`crate::MeshClient`] and [`crate::FolderMailbox`].

use handover_errors::ErrorCode;
use std::fmt;

/// What the server said about an error, parsed from any of the body shapes MESH
/// uses (v2 `detail[]`, v1 `errorEvent`/`errorCode`/`errorDescription`, FastAPI
/// validation errors, or a bare `{"message": …}`). Fields are empty when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    /// MESH error event, e.g. `SEND`, `RECEIVE`.
    pub event: String,
    /// MESH error code, e.g. `EPL-151`, `20`, `12`.
    pub code: String,
    /// Human-readable description.
    pub message: String,
}

impl ErrorDetail {
    /// Parses an error body. Never fails: unknown shapes keep (a prefix of) the raw text.
    pub fn parse(body: &[u8]) -> Self {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            let text = String::from_utf8_lossy(body);
            return Self {
                message: text
                    .chars()
                    .take(300)
                    .collect::<String>()
                    .trim()
                    .to_string(),
                ..Self::default()
            };
        };
        let s = |v: &serde_json::Value, k: &str| -> String {
            match v.get(k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            }
        };
        if let Some(first) = value
            .get("detail")
            .and_then(|d| d.as_array())
            .and_then(|a| a.first())
        {
            // v2 shape {event, code, msg}; FastAPI shape {type, loc, msg}.
            let mut code = s(first, "code");
            if code.is_empty() {
                code = s(first, "type");
            }
            let mut message = s(first, "msg");
            if let Some(loc) = first.get("loc").and_then(|l| l.as_array()) {
                let loc: Vec<String> = loc
                    .iter()
                    .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                    .collect();
                message = format!("{message} ({})", loc.join("."));
            }
            return Self {
                event: s(first, "event"),
                code,
                message,
            };
        }
        if value.get("errorDescription").is_some() || value.get("errorCode").is_some() {
            return Self {
                event: s(&value, "errorEvent"),
                code: s(&value, "errorCode"),
                message: s(&value, "errorDescription"),
            };
        }
        if let Some(detail) = value.get("detail").and_then(|d| d.as_str()) {
            return Self {
                message: detail.to_string(),
                ..Self::default()
            };
        }
        Self {
            message: s(&value, "message"),
            ..Self::default()
        }
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = if self.message.is_empty() {
            "no details given"
        } else {
            &self.message
        };
        match (self.event.is_empty(), self.code.is_empty()) {
            (true, true) => write!(f, "{msg}"),
            (false, true) => write!(f, "{msg} [{}]", self.event),
            (true, false) => write!(f, "{msg} [code {}]", self.code),
            (false, false) => write!(f, "{msg} [{} {}]", self.event, self.code),
        }
    }
}

/// Every error this crate returns. Match on the variant, or use [`MeshError::code`]
/// for a stable machine-readable string (logs, UI, audit).
#[derive(Debug, thiserror::Error)]
pub enum MeshError {
    /// HTTP 403 on authentication: wrong password, wrong shared key, expired or
    /// reused token, or a message belonging to another mailbox.
    #[error("MESH refused authentication for mailbox {mailbox} (HTTP 403): {detail}")]
    Authentication {
        mailbox: String,
        detail: ErrorDetail,
    },
    /// HTTP 403 `EPL-151 No mailbox matched`: the mailbox id is not known to MESH.
    #[error("MESH does not know mailbox {mailbox} (HTTP 403): {detail}")]
    UnknownMailbox {
        mailbox: String,
        detail: ErrorDetail,
    },
    /// HTTP 404 or 410: the message does not exist, is not yet complete, has
    /// expired, or is undeliverable. For the folder mailbox: no such file.
    #[error("message {message_id} is gone or does not exist (HTTP {status}): {detail}")]
    Gone {
        message_id: String,
        status: u16,
        detail: ErrorDetail,
    },
    /// HTTP 417: MESH rejected the request (e.g. unknown recipient, bad chunk range).
    #[error("MESH rejected the request (HTTP 417): {detail}")]
    Rejected { detail: ErrorDetail },
    /// HTTP 429 that persisted after the bounded retries.
    #[error("MESH is rate limiting this client (HTTP 429) after {attempts} attempts: {detail}")]
    RateLimited { attempts: u32, detail: ErrorDetail },
    /// HTTP 5xx that persisted after the bounded retries.
    #[error("MESH server error (HTTP {status}) after {attempts} attempts: {detail}")]
    Server {
        status: u16,
        attempts: u32,
        detail: ErrorDetail,
    },
    /// The request timed out (after the bounded retries).
    #[error("MESH request timed out after {attempts} attempts: {operation}")]
    Timeout { operation: String, attempts: u32 },
    /// The server could not be reached (DNS, refused connection, TLS handshake…).
    #[error("could not reach MESH after {attempts} attempts ({operation}): {message}")]
    Connection {
        operation: String,
        attempts: u32,
        message: String,
    },
    /// The TLS handshake failed: untrusted server certificate (check the CA
    /// bundle), or a client certificate/key problem.
    #[error("TLS with MESH failed ({operation}): {message}")]
    Tls { operation: String, message: String },
    /// The first request of a send (the whole message, or chunk 1) failed in a way
    /// that means MESH may or may not have created the message. It is NOT retried
    /// automatically, to avoid sending a duplicate: check tracking (or with the
    /// recipient) before sending again.
    #[error("sending to {to} may or may not have reached MESH; not retried to avoid a duplicate (check tracking before resending): {source}")]
    SendOutcomeUnknown {
        to: String,
        #[source]
        source: Box<MeshError>,
    },
    /// A chunked send failed after chunk 1 was accepted: the message exists on
    /// MESH (status `uploading`) but is incomplete and will not be delivered.
    /// Resend the whole message.
    #[error("chunk {chunk} of {total} of message {message_id} failed; the message is incomplete and will not be delivered: {source}")]
    SendIncomplete {
        message_id: String,
        chunk: usize,
        total: usize,
        #[source]
        source: Box<MeshError>,
    },
    /// Any other unexpected HTTP status (400, 406, 422, 423, …).
    #[error("unexpected HTTP {status} from MESH ({operation}): {detail}")]
    UnexpectedStatus {
        status: u16,
        operation: String,
        detail: ErrorDetail,
    },
    /// The URL is plain `http://` to a host that is not loopback, or is not http(s) at all.
    #[error("refusing insecure MESH URL {url}: {reason}")]
    InsecureUrl { url: String, reason: String },
    /// Invalid configuration or request (bad certificate file, bad header value…).
    #[error("invalid MESH configuration: {0}")]
    Config(String),
    /// The server answered with something this client cannot interpret.
    #[error("unexpected MESH response ({operation}): {message}")]
    Protocol { operation: String, message: String },
    /// A gzip-compressed message could not be decoded.
    #[error("could not decompress message {message_id}: {message}")]
    Decompression { message_id: String, message: String },
    /// A local file-system error (folder mailbox, certificate files).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl MeshError {
    /// A stable, machine-readable code for this error kind.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Authentication { .. } => ErrorCode::MeshAuthentication,
            Self::UnknownMailbox { .. } => ErrorCode::MeshUnknownMailbox,
            Self::Gone { .. } => ErrorCode::MeshGone,
            Self::Rejected { .. } => ErrorCode::MeshRejected,
            Self::RateLimited { .. } => ErrorCode::MeshRateLimited,
            Self::Server { .. } => ErrorCode::MeshServerError,
            Self::Timeout { .. } => ErrorCode::MeshTimeout,
            Self::Connection { .. } => ErrorCode::MeshConnection,
            Self::Tls { .. } => ErrorCode::MeshTls,
            Self::SendOutcomeUnknown { .. } => ErrorCode::MeshSendOutcomeUnknown,
            Self::SendIncomplete { .. } => ErrorCode::MeshSendIncomplete,
            Self::UnexpectedStatus { .. } => ErrorCode::MeshUnexpectedStatus,
            Self::InsecureUrl { .. } => ErrorCode::MeshInsecureUrl,
            Self::Config(_) => ErrorCode::MeshConfig,
            Self::Protocol { .. } => ErrorCode::MeshProtocol,
            Self::Decompression { .. } => ErrorCode::MeshDecompression,
            Self::Io { .. } => ErrorCode::MeshIo,
        }
    }

    /// True for errors that a later poll may not hit again (server trouble,
    /// timeouts, connectivity). False for errors that need a person (bad
    /// credentials, configuration, rejected content).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Timeout { .. }
                | Self::Connection { .. }
        )
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

impl handover_errors::Coded for MeshError {
    fn code(&self) -> ErrorCode {
        MeshError::code(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_error_shapes() {
        let v2 = ErrorDetail::parse(
            br#"{"message_id":"X","detail":[{"event":"SEND","code":"EPL-151","msg":"No mailbox matched"}]}"#,
        );
        assert_eq!(
            v2,
            ErrorDetail {
                event: "SEND".into(),
                code: "EPL-151".into(),
                message: "No mailbox matched".into()
            }
        );
        let v1 = ErrorDetail::parse(
            br#"{"errorEvent":"RECEIVE","errorCode":"20","errorDescription":"Message does not exist"}"#,
        );
        assert_eq!(v1.code, "20");
        assert_eq!(v1.event, "RECEIVE");
        assert_eq!(v1.message, "Message does not exist");
        let fastapi = ErrorDetail::parse(
            br#"{"detail":[{"type":"missing","loc":["header","mex-to"],"msg":"Field required"}]}"#,
        );
        assert_eq!(fastapi.code, "missing");
        assert_eq!(fastapi.message, "Field required (header.mex-to)");
        let generic = ErrorDetail::parse(br#"{"message":"An internal error occurred."}"#);
        assert_eq!(generic.message, "An internal error occurred.");
        let text = ErrorDetail::parse(b"Bad Gateway");
        assert_eq!(text.message, "Bad Gateway");
        assert_eq!(ErrorDetail::parse(b"").to_string(), "no details given");
    }

    #[test]
    fn codes_are_stable_and_distinct() {
        let d = ErrorDetail::default;
        let errors = [
            MeshError::Authentication {
                mailbox: "A".into(),
                detail: d(),
            },
            MeshError::UnknownMailbox {
                mailbox: "A".into(),
                detail: d(),
            },
            MeshError::Gone {
                message_id: "1".into(),
                status: 404,
                detail: d(),
            },
            MeshError::Rejected { detail: d() },
            MeshError::Server {
                status: 503,
                attempts: 4,
                detail: d(),
            },
            MeshError::Timeout {
                operation: "x".into(),
                attempts: 4,
            },
        ];
        let codes: Vec<_> = errors.iter().map(|e| e.code().as_str()).collect();
        assert_eq!(
            codes,
            [
                "mesh_authentication",
                "mesh_unknown_mailbox",
                "mesh_gone",
                "mesh_rejected",
                "mesh_server_error",
                "mesh_timeout"
            ]
        );
        assert!(!errors[0].is_transient());
        assert!(errors[4].is_transient());
    }
}
