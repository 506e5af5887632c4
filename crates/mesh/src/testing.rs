//! Test support (feature `test-support`): starts NHS's `mesh-sandbox` on
//! 127.0.0.1 and drives NHS's Python `mesh-client` through
//! `crates/mesh/tests/mesh_peer.py`.
//!
//! For other crates' end-to-end tests, add to their `[dev-dependencies]`:
//! `handover-mesh = { path = "../crates/mesh", features = ["test-support"] }`,
//! then `let sb = handover_mesh::testing::Sandbox::start();` gives a running
//! sandbox (killed on drop) at `sb.url` with mailboxes `X26ABC1`, `X26ABC2`,
//! `X26ABC3`, password [`PASSWORD`], shared key [`SHARED_KEY`], an empty
//! in-memory store, and `sb.peer_send(…)` / `sb.peer_inbox(…)` to act as the
//! hospital with NHS's client.
//!
//! The venv comes from `$HANDOVER_TEST_VENV`, else `<workspace>/.venv`
//! (`python3 -m venv .venv && .venv/bin/pip install -r tests/mesh/requirements.txt`).
//! Everything here panics with a clear message on failure (it is test code):
//! a missing venv fails the test, it never skips it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{MeshClient, MeshConfig, RetryPolicy};

/// The sandbox's `SHARED_KEY`.
pub const SHARED_KEY: &str = "TestKey";
/// The password of the sandbox's default mailboxes.
pub const PASSWORD: &str = "password";

/// The Python venv holding mesh-sandbox and mesh-client. Panics (failing the
/// test) with instructions when it is missing: these tests never skip.
pub fn venv() -> PathBuf {
    let dir = std::env::var_os("HANDOVER_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"));
    let python = dir.join("bin/python");
    assert!(
        python.is_file(),
        "handover-mesh integration tests need a Python venv with mesh-sandbox and mesh-client, \
         not found at {} (set HANDOVER_TEST_VENV to override). Create it with:\n  \
         python3 -m venv .venv && .venv/bin/pip install -r tests/mesh/requirements.txt",
        dir.display()
    );
    let check = Command::new(&python)
        .args(["-c", "import mesh_sandbox, mesh_client, uvicorn"])
        .output()
        .expect("running the venv's python");
    assert!(
        check.status.success(),
        "the venv at {} lacks mesh-sandbox/mesh-client/uvicorn ({}). Run:\n  {}/bin/pip install -r tests/mesh/requirements.txt",
        dir.display(),
        String::from_utf8_lossy(&check.stderr).trim(),
        dir.display()
    );
    dir
}

/// A running sandbox; killed when dropped.
pub struct Sandbox {
    child: Child,
    pub port: u16,
    pub url: String,
    venv: PathBuf,
    log: tempfile::NamedTempFile,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding an ephemeral port")
        .port()
}

/// A blocking `GET path` on loopback; returns the raw response.
pub fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    raw_http(port, "GET", path, None)
}

/// A minimal HTTP/1.0 request (no auth) to the sandbox's admin endpoints.
pub fn raw_http(
    port: u16,
    method: &str,
    path: &str,
    json: Option<&str>,
) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = json.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

impl Sandbox {
    /// Starts `uvicorn mesh_sandbox.api:app` on a free loopback port with
    /// STORE_MODE=memory, AUTH_MODE=full, SHARED_KEY=TestKey, --workers 1, and
    /// waits (up to 60 s) for `/health`.
    pub fn start() -> Sandbox {
        Self::start_with(&[], false)
    }

    /// Starts a sandbox with TLS (uvicorn `--ssl-*` arguments in `extra_args`);
    /// readiness is then "accepts TCP connections" (uvicorn binds after startup).
    pub fn start_tls(extra_args: &[String]) -> Sandbox {
        Self::start_with(extra_args, true)
    }

    fn start_with(extra_args: &[String], tls: bool) -> Sandbox {
        let venv = venv();
        let mut last_log = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().expect("log file");
            let child = Command::new(venv.join("bin/python"))
                .args([
                    "-m",
                    "uvicorn",
                    "mesh_sandbox.api:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--workers",
                    "1",
                    "--log-level",
                    "warning",
                ])
                .args(extra_args)
                .env("STORE_MODE", "memory")
                .env("AUTH_MODE", "full")
                .env("SHARED_KEY", SHARED_KEY)
                .env_remove("MAILBOXES_DATA_DIR")
                .stdin(Stdio::null())
                .stdout(log.reopen().expect("log"))
                .stderr(log.reopen().expect("log"))
                .spawn()
                .expect("starting uvicorn from the venv");
            let mut sb = Sandbox {
                child,
                port,
                url: if tls {
                    format!("https://localhost:{port}")
                } else {
                    format!("http://127.0.0.1:{port}")
                },
                venv: venv.clone(),
                log,
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = sb.child.try_wait() {
                    break; // exited (e.g. port taken): retry on another port
                }
                let ready = if tls {
                    TcpStream::connect(("127.0.0.1", port)).is_ok()
                } else {
                    http_get(port, "/health").is_ok_and(|r| r.contains("\"running\""))
                };
                if ready {
                    return sb;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            last_log = std::fs::read_to_string(sb.log.path()).unwrap_or_default();
        }
        panic!("mesh-sandbox did not become healthy; its log:\n{last_log}");
    }

    /// A client for `mailbox` with the default password and the sandbox's key,
    /// no retries (the sandbox never returns 429/5xx for valid requests).
    pub fn client(&self, mailbox: &str) -> MeshClient {
        self.client_with(mailbox, PASSWORD, SHARED_KEY)
    }

    pub fn client_with(&self, mailbox: &str, password: &str, key: &str) -> MeshClient {
        let mut cfg = MeshConfig::new(&self.url, mailbox, password, key);
        cfg.retry = RetryPolicy::none();
        cfg.request_timeout = Duration::from_secs(60);
        MeshClient::new(cfg).expect("client")
    }

    /// Runs `tests/mesh_peer.py` as `mailbox` and parses its JSON output.
    pub fn peer(&self, mailbox: &str, args: &[&str]) -> serde_json::Value {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mesh_peer.py");
        let out = Command::new(self.venv.join("bin/python"))
            .arg(&script)
            .args([
                "--url",
                &self.url,
                "--mailbox",
                mailbox,
                "--password",
                PASSWORD,
            ])
            .args(["--shared-key", SHARED_KEY])
            .args(args)
            .output()
            .expect("running mesh_peer.py");
        assert!(
            out.status.success(),
            "mesh_peer.py {args:?} failed:\n{}\nsandbox log:\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.log.path()).unwrap_or_default()
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "mesh_peer.py output is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Sends with mesh_client; returns (id, sha256 hex) per message.
    pub fn peer_send(&self, from: &str, args: &[&str]) -> Vec<(String, String)> {
        let mut full = vec!["send"];
        full.extend_from_slice(args);
        let v = self.peer(from, &full);
        v["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| {
                (
                    m["id"].as_str().unwrap().to_string(),
                    m["sha256"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// The inbox of `mailbox` as mesh_client sees it.
    pub fn peer_inbox(&self, mailbox: &str) -> Vec<String> {
        self.peer(mailbox, &["inbox"])["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect()
    }
}

/// Lower-case hex SHA-256, as `mesh_peer.py` reports it.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

/// Test PKI made with the `openssl` CLI: a CA, a server certificate for
/// localhost/127.0.0.1 and a client certificate, all PEM (keys PKCS#8).
pub struct TestPki {
    pub dir: tempfile::TempDir,
}

impl TestPki {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn create() -> TestPki {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::write(
            d.join("san.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .output()
                .expect("the TLS test needs the `openssl` command-line tool");
            assert!(
                out.status.success(),
                "openssl {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let days = "2";
        run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            days,
            "-subj",
            "/CN=Handover Test CA",
        ]);
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            days,
            "-extfile",
            "san.ext",
        ]);
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
            "-subj",
            "/CN=X26ABC2.X26.api.mesh-client.nhs.uk",
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "client.pem",
            "-days",
            days,
        ]);
        TestPki { dir }
    }
}
