//! Shared by the end-to-end sync tests (this crate's and `handover-cli`'s, which includes it
//! with `#[path]`): real generated ToC messages, sent as the hospital with NHS's Python
//! `mesh-client` (through `toc_peer.py`) to NHS's `mesh-sandbox`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use handover_mesh::testing::Sandbox;
use handover_toc::DocumentKind;

/// The practice's mailbox (the one synced).
pub const PRACTICE: &str = "X26ABC1";
/// The hospital's mailbox (sends the documents, receives the ITK3 responses).
pub const HOSPITAL: &str = "X26ABC2";

/// One message for the hospital to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub bytes: Vec<u8>,
    pub workflow: String,
    pub chunk_size: Option<usize>,
    pub compress: bool,
    pub local_id: Option<String>,
    /// The bytes are sent as they are, declared gzip-encoded (a broken encoder's output).
    pub precompressed: bool,
    /// Instead of `bytes`, a gzip stream of this many zero bytes (a "gzip bomb").
    pub gzip_bomb_bytes: Option<u64>,
}

impl Outgoing {
    pub fn new(bytes: Vec<u8>, workflow: &str) -> Self {
        Outgoing {
            bytes,
            workflow: workflow.into(),
            chunk_size: None,
            compress: false,
            local_id: None,
            precompressed: false,
            gzip_bomb_bytes: None,
        }
    }
}

/// The MESH workflow a hospital uses for each kind of document.
pub fn workflow_for(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::EmergencyDischarge => "TOC_FHIR_EC_DISCH",
        DocumentKind::MentalHealthDischarge => "TOC_FHIR_MH_DISCH",
        DocumentKind::OutpatientLetter => "TOC_FHIR_OP_ATTEN",
        _ => "TOC_FHIR_IP_DISCH",
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn replace_all(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(p) = find(bytes, from, i) {
        out.extend_from_slice(&bytes[i..p]);
        out.extend_from_slice(to);
        i = p + from.len();
    }
    out.extend_from_slice(&bytes[i..]);
    out
}

/// Makes `MessageHeader.source.endpoint` (XML or JSON) name `mailbox`, so ITK3 responses go
/// back to the mailbox that really sent the message.
pub fn with_source_endpoint(bytes: &[u8], mailbox: &str) -> Vec<u8> {
    let (start, quote) = if let Some(p) = find(bytes, b"<endpoint value=\"", 0) {
        (p + b"<endpoint value=\"".len(), b'"')
    } else {
        let p = find(bytes, b"\"endpoint\"", 0).expect("the message names a source endpoint");
        let open = find(bytes, b"\"", p + b"\"endpoint\"".len()).expect("endpoint value");
        (open + 1, b'"')
    };
    let end = start + bytes[start..].iter().position(|&b| b == quote).unwrap();
    let old = bytes[start..end].to_vec();
    assert!(old.len() >= 3, "endpoint {old:?}");
    replace_all(bytes, &old, mailbox.as_bytes())
}

/// Sets an ITK3 message-handling flag (`InfAckRequested`, `BusAckRequested`; XML or JSON).
fn with_flag(bytes: &[u8], flag: &str, requested: bool) -> Vec<u8> {
    let p = find(bytes, flag.as_bytes(), 0).unwrap_or_else(|| panic!("no {flag}"));
    let (from, to): (&[u8], &[u8]) = if requested {
        (b"false", b"true")
    } else {
        (b"true", b"false")
    };
    let Some(q) = find(bytes, from, p) else {
        return bytes.to_vec();
    };
    // Only the value right after the flag's name.
    assert!(q - p < 120, "{flag} value not found near its name");
    let mut out = bytes[..q].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&bytes[q + from.len()..]);
    out
}

/// Sets the ITK3 `InfAckRequested` flag (XML or JSON).
pub fn with_inf_ack(bytes: &[u8], requested: bool) -> Vec<u8> {
    with_flag(bytes, "InfAckRequested", requested)
}

/// Sets the ITK3 `BusAckRequested` flag (XML or JSON).
pub fn with_bus_ack(bytes: &[u8], requested: bool) -> Vec<u8> {
    with_flag(bytes, "BusAckRequested", requested)
}

/// Generated ToC fixtures, addressed back to [`HOSPITAL`], as messages to send.
pub fn toc_messages(count: usize, seed: u64, inf_ack: bool) -> Vec<Outgoing> {
    handover_fixtures::generate(count, seed)
        .into_iter()
        .map(|f| {
            let bytes = with_inf_ack(&with_source_endpoint(&f.bytes, HOSPITAL), inf_ack);
            Outgoing::new(bytes, workflow_for(f.kind))
        })
        .collect()
}

fn peer_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../inbox/tests/support/toc_peer.py")
}

/// Runs `toc_peer.py` as `mailbox` against the sandbox; returns its JSON output.
pub fn toc_peer(sb: &Sandbox, mailbox: &str, args: &[&str]) -> serde_json::Value {
    let python = handover_mesh::testing::venv().join("bin/python");
    let out = Command::new(python)
        .arg(peer_script())
        .args(["--url", &sb.url, "--mailbox", mailbox])
        .args(["--password", handover_mesh::testing::PASSWORD])
        .args(["--shared-key", handover_mesh::testing::SHARED_KEY])
        .args(args)
        .output()
        .expect("running toc_peer.py");
    assert!(
        out.status.success(),
        "toc_peer.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("toc_peer.py prints JSON")
}

/// The hospital sends `messages` to the practice with NHS's mesh-client; returns the MESH ids.
pub fn hospital_sends(sb: &Sandbox, messages: &[Outgoing]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let manifest: Vec<serde_json::Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let path = dir.path().join(format!("{i:05}.msg"));
            std::fs::write(&path, &m.bytes).unwrap();
            serde_json::json!({
                "path": path,
                "to": PRACTICE,
                "workflow": m.workflow,
                "chunk_size": m.chunk_size,
                "compress": m.compress,
                "local_id": m.local_id,
                "content_type": "application/fhir+xml",
                "precompressed": m.precompressed,
                "gzip_bomb_bytes": m.gzip_bomb_bytes,
            })
        })
        .collect();
    let manifest_path = dir.path().join("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let out = toc_peer(
        sb,
        HOSPITAL,
        &["send", "--manifest", manifest_path.to_str().unwrap()],
    );
    out["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

/// An ITK3 response as the hospital received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub workflow_id: String,
    pub code: String,
    pub original_message_id: String,
}

/// Everything waiting in the hospital's inbox (acknowledged as read), parsed as ITK3 responses.
pub fn hospital_receives(sb: &Sandbox) -> Vec<Received> {
    let out = toc_peer(sb, HOSPITAL, &["receive", "--ack"]);
    out["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let body = m["body"].as_str().unwrap();
            let info = handover_toc::response::parse(body.as_bytes()).unwrap_or_else(|| {
                panic!("the hospital got something that is not an ITK3 response: {body:.300}")
            });
            Received {
                workflow_id: m["workflow_id"].as_str().unwrap_or_default().to_string(),
                code: info.code.unwrap_or_default(),
                original_message_id: info.original_message_id.unwrap_or_default(),
            }
        })
        .collect()
}

/// The ids waiting in `mailbox`, as NHS's mesh-client lists them.
pub fn inbox_of(sb: &Sandbox, mailbox: &str) -> Vec<String> {
    toc_peer(sb, mailbox, &["inbox"])["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect()
}

/// The ITK message id (MessageHeader id) of a message, as the responses correlate it.
pub fn itk_message_id(bytes: &[u8]) -> String {
    handover_toc::parse(bytes)
        .message
        .and_then(|m| m.message_id)
        .expect("readable ITK message id")
}
