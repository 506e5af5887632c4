//! A fault-injecting HTTP proxy for the sync tests: sits between the MESH client and the
//! sandbox and, on a fixed schedule of request numbers, answers 500 itself, holds the response
//! past the client's timeout, drops the connection (before or after forwarding), or sends back
//! only part of the response. One request per connection (`Connection: close` both ways).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Pass,
    /// Answer `500` without forwarding.
    Error500,
    /// Forward, then hold the response for this long (past the client timeout), then close.
    SlowResponse(Duration),
    /// Close the connection without forwarding.
    DropBefore,
    /// Forward, then close without answering: the server acted, the client never hears.
    DropAfter,
    /// Forward, then send back only the first half of the response.
    Truncate,
}

/// Decides the fault for request number `n` (0-based), given its request line.
pub type Schedule = Arc<dyn Fn(u64, &str) -> Fault + Send + Sync>;

pub struct FaultProxy {
    pub url: String,
    log: Arc<Mutex<Vec<(String, Fault)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts the proxy in front of `127.0.0.1:upstream_port`.
    pub async fn start(upstream_port: u16, schedule: Schedule) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let log2 = log.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let schedule = schedule.clone();
                let log = log2.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let _ = handle(client, upstream_port, schedule, log, counter).await;
                });
            }
        });
        FaultProxy {
            url: format!("http://127.0.0.1:{port}"),
            log,
            task,
        }
    }

    /// How many times each fault was injected.
    pub fn injected(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (_, f) in self.log.lock().unwrap().iter() {
            let name = match f {
                Fault::Pass => continue,
                Fault::Error500 => "500",
                Fault::SlowResponse(_) => "timeout",
                Fault::DropBefore => "drop-before",
                Fault::DropAfter => "drop-after",
                Fault::Truncate => "truncate",
            };
            *out.entry(name.to_string()).or_insert(0) += 1;
        }
        out
    }

    /// Every request line seen, with its fault.
    pub fn requests(&self) -> Vec<(String, Fault)> {
        self.log.lock().unwrap().clone()
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// Reads one request (headers and a Content-Length body).
async fn read_request(s: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(p) = find(&buf, b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap_or(0))
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    // Force one request per connection upstream.
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut out = String::new();
    for line in head.split("\r\n") {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        if line.is_empty() {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut request = out.into_bytes();
    request.extend_from_slice(&buf[head_end..]);
    Ok(Some(request))
}

async fn forward(upstream_port: u16, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream_port)).await?;
    up.write_all(request).await?;
    let mut response = Vec::new();
    up.read_to_end(&mut response).await?;
    Ok(response)
}

async fn handle(
    mut client: TcpStream,
    upstream_port: u16,
    schedule: Schedule,
    log: Arc<Mutex<Vec<(String, Fault)>>>,
    counter: Arc<std::sync::atomic::AtomicU64>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    let line =
        String::from_utf8_lossy(&request[..find(&request, b"\r\n").unwrap_or(0)]).to_string();
    let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let fault = schedule(n, &line);
    log.lock().unwrap().push((line, fault));
    match fault {
        Fault::Pass => {
            let response = forward(upstream_port, &request).await?;
            client.write_all(&response).await?;
        }
        Fault::Error500 => {
            let body = br#"{"message":"injected fault"}"#;
            let head = format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            client.write_all(head.as_bytes()).await?;
            client.write_all(body).await?;
        }
        Fault::SlowResponse(delay) => {
            let response = forward(upstream_port, &request).await?;
            tokio::time::sleep(delay).await;
            let _ = client.write_all(&response).await;
        }
        Fault::DropBefore => {}
        Fault::DropAfter => {
            forward(upstream_port, &request).await?;
        }
        Fault::Truncate => {
            let response = forward(upstream_port, &request).await?;
            let head_end = find(&response, b"\r\n\r\n").map_or(0, |p| p + 4);
            let body_len = response.len() - head_end;
            let cut = head_end + body_len / 2;
            client.write_all(&response[..cut.max(head_end)]).await?;
        }
    }
    let _ = client.shutdown().await;
    Ok(())
}
