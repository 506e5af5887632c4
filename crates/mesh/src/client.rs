//! The MESH API v2 HTTP client.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};

use crate::auth;
use crate::codec;
use crate::config::{validate_url, MeshConfig, RetryPolicy};
use crate::error::{ErrorDetail, MeshError};
use crate::mailbox::Mailbox;
use crate::message::{
    DeliveryReport, FaultKind, InboxListing, Message, MessageFault, MessageMeta, MessageType,
    OutboundMessage, TrackingInfo,
};

/// The only `Accept` value this client sends (anything else selects API v1 or
/// is rejected by MESH).
pub const ACCEPT_V2: &str = "application/vnd.mesh.v2+json";

/// Real MESH returns at most this many ids per inbox list.
pub const MESH_PAGE_SIZE: usize = 500;

/// Guard against a server that keeps returning `next` links.
const MAX_PAGES: usize = 10_000;

/// A MESH API v2 client for one mailbox. Cheap to share (`&self` methods; wrap
/// in `Arc` to share across tasks).
pub struct MeshClient {
    http: reqwest::Client,
    base: reqwest::Url,
    mailbox: String,
    password: String,
    shared_key: String,
    nonce: String,
    nonce_count: AtomicU64,
    retry: RetryPolicy,
    max_chunk_size: usize,
    max_message_bytes: usize,
    client_headers: HeaderMap,
}

impl fmt::Debug for MeshClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeshClient")
            .field("base", &self.base.as_str())
            .field("mailbox", &self.mailbox)
            .field("password", &"<redacted>")
            .field("shared_key", &"<redacted>")
            .field("retry", &self.retry)
            .field("max_chunk_size", &self.max_chunk_size)
            .field("max_message_bytes", &self.max_message_bytes)
            .finish_non_exhaustive()
    }
}

/// How a request may be retried.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RetryMode {
    /// GET/PUT/HEAD and chunk k>=2 POSTs: retry 429, 5xx, timeouts, connection errors.
    Safe,
    /// The first outbox POST: only retried when the connection was never made.
    FirstPost,
}

/// A request that got no HTTP response.
struct TransportFailure {
    error: MeshError,
    /// False only when the connection was never established (nothing was sent).
    maybe_sent: bool,
}

/// A completed HTTP exchange.
struct Exchange {
    status: StatusCode,
    headers: HeaderMap,
    /// The body, read up to the request's limit.
    body: Vec<u8>,
    /// The body went on past the limit (the rest was not read).
    truncated: bool,
    attempts: u32,
}

/// The most any non-download response body (lists, tracking, errors) is read to.
const CONTROL_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Reads a response body in pieces, keeping at most `limit` bytes: a server cannot make the
/// client buffer more than that, whatever it sends. Returns the bytes and whether more followed.
async fn read_bounded(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let hint = resp.content_length().unwrap_or(0).min(limit as u64) as usize;
    let mut body = Vec::with_capacity(hint);
    while let Some(piece) = resp.chunk().await? {
        let room = limit - body.len();
        if piece.len() > room {
            body.extend_from_slice(&piece[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&piece);
    }
    Ok((body, false))
}

impl MeshClient {
    /// Builds a client. Fails on an insecure URL (plain http to a non-loopback
    /// host), unreadable or invalid certificate files, or a bad mailbox id.
    pub fn new(config: MeshConfig) -> Result<Self, MeshError> {
        let mut base = validate_url(&config.url)?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mailbox = config.mailbox.trim().to_ascii_uppercase();
        if mailbox.is_empty()
            || !mailbox
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(MeshError::Config(format!(
                "mailbox id {:?} is not a valid MESH mailbox id",
                config.mailbox
            )));
        }
        let loopback = base.scheme() == "http";
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .min_tls_version(reqwest::tls::Version::TLS_1_2);
        if loopback {
            builder = builder.no_proxy();
        }
        match (&config.client_cert, &config.client_key) {
            (Some(cert), Some(key)) => {
                let cert_pem = std::fs::read(cert).map_err(|e| {
                    MeshError::io(format!("reading client certificate {}", cert.display()), e)
                })?;
                let key_pem = std::fs::read(key).map_err(|e| {
                    MeshError::io(format!("reading client key {}", key.display()), e)
                })?;
                if !key_pem
                    .windows(27)
                    .any(|w| w == b"-----BEGIN PRIVATE KEY-----")
                {
                    return Err(MeshError::Config(format!(
                        "client key {} is not an unencrypted PKCS#8 PEM key (\"BEGIN PRIVATE KEY\"); convert it with `openssl pkcs8 -topk8 -nocrypt -in OLD.key -out NEW.key`",
                        key.display()
                    )));
                }
                let identity =
                    reqwest::Identity::from_pkcs8_pem(&cert_pem, &key_pem).map_err(|e| {
                        MeshError::Config(format!(
                            "client certificate {} / key {} rejected: {e}",
                            cert.display(),
                            key.display()
                        ))
                    })?;
                builder = builder.identity(identity);
            }
            (None, None) => {}
            _ => {
                return Err(MeshError::Config(
                    "client_cert and client_key must be set together".into(),
                ))
            }
        }
        if let Some(ca) = &config.ca_bundle {
            let pem = std::fs::read(ca)
                .map_err(|e| MeshError::io(format!("reading CA bundle {}", ca.display()), e))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                MeshError::Config(format!("CA bundle {} is not valid PEM: {e}", ca.display()))
            })?;
            if certs.is_empty() {
                return Err(MeshError::Config(format!(
                    "CA bundle {} contains no certificates",
                    ca.display()
                )));
            }
            builder = builder.tls_built_in_root_certs(false);
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| MeshError::Config(format!("building the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            mailbox,
            password: config.password,
            shared_key: config.shared_key,
            nonce: uuid::Uuid::new_v4().to_string(),
            nonce_count: AtomicU64::new(0),
            retry: config.retry,
            max_chunk_size: config.max_chunk_size.max(1),
            max_message_bytes: config.max_message_bytes.max(1),
            client_headers: client_headers(&config.client_version)?,
        })
    }

    /// The mailbox id (upper case).
    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    /// The headers sent with every request, with a fresh token.
    fn request_headers(&self) -> Result<HeaderMap, MeshError> {
        let count = self.nonce_count.fetch_add(1, Ordering::Relaxed);
        let token = auth::auth_header(
            &self.mailbox,
            &self.password,
            &self.shared_key,
            &self.nonce,
            count,
            &auth::timestamp_now(),
        );
        let mut headers = self.client_headers.clone();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            HeaderValue::from_str(&token).map_err(|_| {
                MeshError::Config("mailbox id or shared key produce an invalid header".into())
            })?,
        );
        Ok(headers)
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, MeshError> {
        self.base
            .join(path)
            .map_err(|e| MeshError::Config(format!("building URL for {path}: {e}")))
    }

    /// Sends one request with retries according to `mode`, reading the body up to
    /// [`CONTROL_BODY_LIMIT`].
    async fn execute(
        &self,
        operation: &str,
        method: Method,
        url: reqwest::Url,
        extra_headers: &HeaderMap,
        body: Option<&[u8]>,
        mode: RetryMode,
    ) -> Result<Exchange, MeshError> {
        self.execute_inner(
            operation,
            method,
            url,
            extra_headers,
            body,
            mode,
            CONTROL_BODY_LIMIT,
        )
        .await
        .map_err(|f| f.error)
    }

    /// A GET, retried when that is safe, its body read up to [`CONTROL_BODY_LIMIT`].
    async fn get(&self, operation: &str, url: reqwest::Url) -> Result<Exchange, MeshError> {
        self.execute(
            operation,
            Method::GET,
            url,
            &HeaderMap::new(),
            None,
            RetryMode::Safe,
        )
        .await
    }

    /// A GET whose body is read up to `limit` bytes (a message chunk).
    async fn get_bounded(
        &self,
        operation: &str,
        url: reqwest::Url,
        limit: usize,
    ) -> Result<Exchange, MeshError> {
        self.execute_inner(
            operation,
            Method::GET,
            url,
            &HeaderMap::new(),
            None,
            RetryMode::Safe,
            limit,
        )
        .await
        .map_err(|f| f.error)
    }

    #[allow(clippy::too_many_arguments)]
    async fn execute_inner(
        &self,
        operation: &str,
        method: Method,
        url: reqwest::Url,
        extra_headers: &HeaderMap,
        body: Option<&[u8]>,
        mode: RetryMode,
        body_limit: usize,
    ) -> Result<Exchange, TransportFailure> {
        let mut retry = 0u32;
        loop {
            let attempts = retry + 1;
            let mut headers = self.request_headers().map_err(|error| TransportFailure {
                error,
                maybe_sent: false,
            })?;
            for (k, v) in extra_headers {
                headers.insert(k.clone(), v.clone());
            }
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .headers(headers);
            if let Some(b) = body {
                req = req.body(b.to_vec());
            }
            let can_retry = retry < self.retry.max_retries;
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    read_bounded(resp, body_limit)
                        .await
                        .map(|(b, truncated)| (status, headers, b, truncated))
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok((status, headers, body, truncated)) => {
                    let retryable_status =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if retryable_status && can_retry && mode == RetryMode::Safe {
                        self.backoff(retry, Some(&headers)).await;
                        retry += 1;
                        continue;
                    }
                    return Ok(Exchange {
                        status,
                        headers,
                        body,
                        truncated,
                        attempts,
                    });
                }
                Err(e) => {
                    // A connect error means nothing was sent: safe to retry even a first POST.
                    let safe = mode == RetryMode::Safe || e.is_connect();
                    let chain = error_chain(&e);
                    // A certificate problem will not fix itself: do not retry it.
                    let tls = e.is_connect() && looks_like_tls(&chain);
                    if safe && can_retry && !tls {
                        self.backoff(retry, None).await;
                        retry += 1;
                        continue;
                    }
                    let err = if e.is_timeout() {
                        MeshError::Timeout {
                            operation: operation.to_string(),
                            attempts,
                        }
                    } else if tls {
                        MeshError::Tls {
                            operation: operation.to_string(),
                            message: chain,
                        }
                    } else {
                        MeshError::Connection {
                            operation: operation.to_string(),
                            attempts,
                            message: chain,
                        }
                    };
                    return Err(TransportFailure {
                        error: err,
                        maybe_sent: !e.is_connect(),
                    });
                }
            }
        }
    }

    async fn backoff(&self, retry: u32, headers: Option<&HeaderMap>) {
        let mut delay = self.retry.delay(retry, &mut rand::rng());
        // Honour a Retry-After in seconds, within the policy's ceiling.
        if let Some(secs) = headers
            .and_then(|h| h.get(reqwest::header::RETRY_AFTER))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            delay = delay.max(std::time::Duration::from_secs(secs).min(self.retry.max_delay));
        }
        tokio::time::sleep(delay).await;
    }

    /// Maps a non-success response to a typed error.
    fn status_error(&self, operation: &str, ex: &Exchange, message_id: Option<&str>) -> MeshError {
        let detail = ErrorDetail::parse(&ex.body);
        let status = ex.status.as_u16();
        match status {
            403 if detail.code == "EPL-151" || detail.message.contains("No mailbox matched") => {
                MeshError::UnknownMailbox {
                    mailbox: self.mailbox.clone(),
                    detail,
                }
            }
            403 => MeshError::Authentication {
                mailbox: self.mailbox.clone(),
                detail,
            },
            404 | 410 if message_id.is_some() => MeshError::Gone {
                message_id: message_id.unwrap_or_default().to_string(),
                status,
                detail,
            },
            417 => MeshError::Rejected { detail },
            429 => MeshError::RateLimited {
                attempts: ex.attempts,
                detail,
            },
            500..=599 => MeshError::Server {
                status,
                attempts: ex.attempts,
                detail,
            },
            _ => MeshError::UnexpectedStatus {
                status,
                operation: operation.to_string(),
                detail,
            },
        }
    }

    /// `POST /messageexchange/{mailbox}`: validates the mailbox and credentials.
    pub async fn handshake(&self) -> Result<(), MeshError> {
        let url = self.url(&format!("messageexchange/{}", self.mailbox))?;
        let ex = self
            .execute(
                "handshake",
                Method::POST,
                url,
                &HeaderMap::new(),
                Some(&[]),
                RetryMode::Safe,
            )
            .await?;
        if ex.status == StatusCode::OK {
            Ok(())
        } else {
            Err(self.status_error("handshake", &ex, None))
        }
    }

    /// Lists the inbox following every `next` link, with the server's default
    /// page size (500 on real MESH and the sandbox).
    pub async fn list_inbox(
        &self,
        workflow_filter: Option<&str>,
    ) -> Result<InboxListing, MeshError> {
        self.list_inbox_paged(workflow_filter, None).await
    }

    /// Like [`MeshClient::list_inbox`] with an explicit page size (`max_results`,
    /// 10–5000 on the sandbox).
    pub async fn list_inbox_paged(
        &self,
        workflow_filter: Option<&str>,
        page_size: Option<u32>,
    ) -> Result<InboxListing, MeshError> {
        let mut url = self.url(&format!("messageexchange/{}/inbox", self.mailbox))?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(n) = page_size {
                q.append_pair("max_results", &n.to_string());
            }
            if let Some(f) = workflow_filter {
                q.append_pair("workflow_filter", f);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let expected_page = page_size.map_or(MESH_PAGE_SIZE, |n| n as usize);
        let mut listing = InboxListing::default();
        let mut seen_links = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let ex = self.get("list inbox", url.clone()).await?;
            if ex.status != StatusCode::OK {
                return Err(self.status_error("list inbox", &ex, None));
            }
            let page: serde_json::Value =
                serde_json::from_slice(&ex.body).map_err(|e| MeshError::Protocol {
                    operation: "list inbox".into(),
                    message: format!("invalid JSON: {e}"),
                })?;
            let ids = page
                .get("messages")
                .and_then(|m| m.as_array())
                .ok_or_else(|| MeshError::Protocol {
                    operation: "list inbox".into(),
                    message: "no \"messages\" array in the response".into(),
                })?;
            let page_len = ids.len();
            for id in ids {
                let id = id.as_str().ok_or_else(|| MeshError::Protocol {
                    operation: "list inbox".into(),
                    message: format!("message id {id} is not a string"),
                })?;
                listing.message_ids.push(id.to_string());
            }
            if let Some(n) = page.get("approx_inbox_count").and_then(|c| c.as_u64()) {
                listing.approx_inbox_count = Some(n);
            }
            let next = page
                .get("links")
                .and_then(|l| l.get("next"))
                .and_then(|n| n.as_str())
                .filter(|n| !n.is_empty());
            match next {
                Some(next) if seen_links.insert(next.to_string()) => {
                    url = self.base.join(next).map_err(|e| MeshError::Protocol {
                        operation: "list inbox".into(),
                        message: format!("bad next link {next:?}: {e}"),
                    })?;
                    if url.origin() != self.base.origin() {
                        return Err(MeshError::Protocol {
                            operation: "list inbox".into(),
                            message: format!("next link {next:?} points to another server"),
                        });
                    }
                }
                Some(next) => {
                    return Err(MeshError::Protocol {
                        operation: "list inbox".into(),
                        message: format!("next link {next:?} repeated"),
                    })
                }
                None => {
                    listing.maybe_more = page_len >= expected_page;
                    return Ok(listing);
                }
            }
        }
        Err(MeshError::Protocol {
            operation: "list inbox".into(),
            message: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// Downloads every chunk of a message, joins the raw chunks, and gunzips them
    /// (multi-member) if the server sent them gzip-encoded. Nothing is read past
    /// `max_message_bytes` (see [`Message::fault`]): a message over the bound, one that
    /// inflates past it, or one whose encoding is broken comes back with its bytes as received
    /// (up to the bound) and the reason, so the sync can keep it in quarantine.
    pub async fn download(&self, message_id: &str) -> Result<Message, MeshError> {
        let id = message_id.trim().to_string();
        if id.is_empty() || id.contains('/') || id.contains('?') || id.contains('#') {
            return Err(MeshError::Config(format!(
                "invalid message id {message_id:?}"
            )));
        }
        let op = "download";
        let limit = self.max_message_bytes;
        let url = self.url(&format!("messageexchange/{}/inbox/{id}", self.mailbox))?;
        let first = self.get_bounded(op, url, limit + 1).await?;
        if first.status != StatusCode::OK && first.status != StatusCode::PARTIAL_CONTENT {
            return Err(self.status_error(op, &first, Some(&id)));
        }
        let headers = first.headers;
        let h = |name: &str| header_str(&headers, name);
        let message_type = MessageType::parse(h("mex-messagetype").as_deref().unwrap_or("DATA"));
        let total_chunks = total_chunks(&headers).map_err(|message| MeshError::Protocol {
            operation: op.into(),
            message,
        })?;
        let meta = MessageMeta {
            message_id: h("mex-messageid").unwrap_or_else(|| id.clone()),
            message_type: message_type.clone(),
            from: h("mex-from"),
            to: h("mex-to"),
            workflow_id: h("mex-workflowid"),
            subject: h("mex-subject"),
            local_id: h("mex-localid"),
            partner_id: h("mex-partnerid"),
            file_name: h("mex-filename"),
            content_type: h("mex-content-type").or_else(|| h("content-type")),
            checksum: h("mex-content-checksum"),
            compressed_flag: is_yes(h("mex-content-compressed")),
            encrypted_flag: is_yes(h("mex-content-encrypted")),
            total_chunks,
            status_timestamp: h("mex-statustimestamp"),
        };
        let report = (message_type == MessageType::Report).then(|| DeliveryReport {
            linked_message_id: h("mex-linkedmsgid"),
            status_success: h("mex-statussuccess"),
            status_event: h("mex-statusevent"),
            status_code: h("mex-statuscode"),
            status_description: h("mex-statusdescription"),
            status_timestamp: h("mex-statustimestamp"),
        });
        let mut gzipped = vec![is_gzip(&headers)];
        let mut body = first.body;
        let encoding = |gzipped: &[bool]| {
            gzipped.iter().any(|g| *g).then(|| {
                if gzipped.iter().all(|g| *g) {
                    "gzip"
                } else {
                    "mixed"
                }
                .to_string()
            })
        };
        let done = |body: Vec<u8>, fault: Option<MessageFault>| Message {
            meta: meta.clone(),
            body,
            report: report.clone(),
            fault,
        };
        let too_large = |mut body: Vec<u8>, reason: String, gzipped: &[bool]| {
            body.truncate(limit);
            done(
                body,
                Some(MessageFault {
                    kind: FaultKind::TooLarge,
                    reason,
                    truncated: true,
                    content_encoding: encoding(gzipped),
                }),
            )
        };
        let incomplete = |body: Vec<u8>, k: u32, reason: String, gzipped: &[bool]| {
            done(
                body,
                Some(MessageFault {
                    kind: FaultKind::Undecodable,
                    reason: format!(
                        "chunk {k} of {total_chunks} of message {id} could not be downloaded: {reason}"
                    ),
                    truncated: true,
                    content_encoding: encoding(gzipped),
                }),
            )
        };
        if first.truncated || body.len() > limit {
            return Ok(too_large(
                body,
                format!("message {id} is larger than the {limit} byte limit (chunk 1 alone is over it); the rest was not downloaded"),
                &gzipped,
            ));
        }
        // Chunks are cut to one size (the last may be shorter): the count tells the size before
        // anything more is fetched.
        let estimate =
            (body.len() as u64).saturating_mul(u64::from(total_chunks.saturating_sub(1)));
        if total_chunks > 1 && estimate > limit as u64 {
            let reason = format!(
                "message {id} has {total_chunks} chunks of {} bytes, more than the {limit} byte limit; only chunk 1 was downloaded",
                body.len()
            );
            return Ok(too_large(body, reason, &gzipped));
        }
        for k in 2..=total_chunks {
            let url = self.url(&format!("messageexchange/{}/inbox/{id}/{k}", self.mailbox))?;
            let room = limit - body.len();
            let ex = match self.get_bounded(op, url, room + 1).await {
                Ok(ex) => ex,
                Err(e) if e.is_transient() => return Err(e),
                Err(e) => return Ok(incomplete(body, k, e.to_string(), &gzipped)),
            };
            if ex.status != StatusCode::OK && ex.status != StatusCode::PARTIAL_CONTENT {
                let e = self.status_error(op, &ex, Some(&id));
                if e.is_transient() {
                    return Err(e);
                }
                return Ok(incomplete(body, k, e.to_string(), &gzipped));
            }
            if let Some(range) = header_str(&ex.headers, "mex-chunk-range") {
                if range.trim() != format!("{k}:{total_chunks}") {
                    let reason = format!("asked for chunk {k}:{total_chunks}, got {range}");
                    return Ok(incomplete(body, k, reason, &gzipped));
                }
            }
            gzipped.push(is_gzip(&ex.headers));
            let over = ex.truncated || ex.body.len() > room;
            body.extend_from_slice(&ex.body);
            if over {
                return Ok(too_large(
                    body,
                    format!("message {id} is larger than the {limit} byte limit (at chunk {k} of {total_chunks}); the rest was not downloaded"),
                    &gzipped,
                ));
            }
        }
        if body.is_empty() || gzipped.iter().all(|g| !*g) {
            return Ok(done(body, None));
        }
        if gzipped.iter().any(|g| !*g) {
            return Ok(done(
                body,
                Some(MessageFault {
                    kind: FaultKind::Undecodable,
                    reason: format!("message {id} mixes gzip-encoded and plain chunks"),
                    truncated: false,
                    content_encoding: encoding(&gzipped),
                }),
            ));
        }
        match codec::gunzip_multi_bounded(&body, limit) {
            Ok(decoded) => Ok(done(decoded, None)),
            Err(e) => {
                let kind = match e {
                    codec::GunzipError::TooLarge { .. } => FaultKind::TooLarge,
                    codec::GunzipError::Corrupt(_) => FaultKind::Undecodable,
                };
                Ok(done(
                    body,
                    Some(MessageFault {
                        kind,
                        reason: format!("message {id} could not be decompressed: {e}"),
                        truncated: false,
                        content_encoding: encoding(&gzipped),
                    }),
                ))
            }
        }
    }

    /// `PUT …/inbox/{id}/status/acknowledged`. Idempotent on MESH.
    pub async fn acknowledge(&self, message_id: &str) -> Result<(), MeshError> {
        let id = message_id.trim();
        if id.is_empty() || id.contains('/') || id.contains('?') || id.contains('#') {
            return Err(MeshError::Config(format!(
                "invalid message id {message_id:?}"
            )));
        }
        let url = self.url(&format!(
            "messageexchange/{}/inbox/{id}/status/acknowledged",
            self.mailbox
        ))?;
        let ex = self
            .execute(
                "acknowledge",
                Method::PUT,
                url,
                &HeaderMap::new(),
                Some(&[]),
                RetryMode::Safe,
            )
            .await?;
        if ex.status.is_success() {
            Ok(())
        } else {
            Err(self.status_error("acknowledge", &ex, Some(id)))
        }
    }

    /// Sends a message, in chunks of at most `max_chunk_size` uncompressed bytes
    /// (each gzipped independently when `compress` is set). Returns the MESH
    /// message id.
    ///
    /// The first POST is never retried once it may have reached the server; such
    /// failures come back as [`MeshError::SendOutcomeUnknown`]. Later chunks are
    /// retried; if one finally fails, [`MeshError::SendIncomplete`] carries the id.
    pub async fn send(&self, message: &OutboundMessage) -> Result<String, MeshError> {
        let to = message.to.trim().to_ascii_uppercase();
        let pieces = codec::split_chunks(&message.body, self.max_chunk_size);
        let total = pieces.len();
        let encode = |piece: &[u8]| {
            if message.compress {
                codec::gzip(piece)
            } else {
                piece.to_vec()
            }
        };

        let mut first_headers = HeaderMap::new();
        let content_type = message
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_string());
        put_header(&mut first_headers, "mex-to", &to, true)?;
        put_header(
            &mut first_headers,
            "mex-workflowid",
            &message.workflow_id,
            true,
        )?;
        put_header(
            &mut first_headers,
            "mex-chunk-range",
            &format!("1:{total}"),
            false,
        )?;
        put_header(
            &mut first_headers,
            "content-type",
            if total == 1 {
                &content_type
            } else {
                "application/octet-stream"
            },
            false,
        )?;
        if let Some(ct) = &message.content_type {
            put_header(&mut first_headers, "mex-content-type", ct, false)?;
        }
        for (name, value) in [
            ("mex-filename", &message.file_name),
            ("mex-subject", &message.subject),
            ("mex-localid", &message.local_id),
        ] {
            if let Some(v) = value {
                put_header(&mut first_headers, name, v, false)?;
            }
        }
        if message.compress {
            put_header(&mut first_headers, "content-encoding", "gzip", false)?;
        }

        let op = "send";
        let url = self.url(&format!("messageexchange/{}/outbox", self.mailbox))?;
        let body = encode(pieces[0]);
        let unknown = |source: MeshError| MeshError::SendOutcomeUnknown {
            to: to.clone(),
            source: Box::new(source),
        };
        let ex = match self
            .execute_inner(
                op,
                Method::POST,
                url,
                &first_headers,
                Some(&body),
                RetryMode::FirstPost,
                CONTROL_BODY_LIMIT,
            )
            .await
        {
            Ok(ex) => ex,
            // A failed connect never reached the server; anything else might have.
            Err(TransportFailure {
                error,
                maybe_sent: false,
            }) => return Err(error),
            Err(TransportFailure { error, .. }) => return Err(unknown(error)),
        };
        if ex.status != StatusCode::ACCEPTED {
            let err = self.status_error(op, &ex, None);
            return Err(if ex.status.is_server_error() {
                unknown(err)
            } else {
                err
            });
        }
        let message_id = parse_send_response(&ex.body).ok_or_else(|| {
            unknown(MeshError::Protocol {
                operation: op.into(),
                message: format!(
                    "202 without a message id: {}",
                    String::from_utf8_lossy(&ex.body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
            })
        })?;

        for (i, piece) in pieces.iter().enumerate().skip(1) {
            let k = i + 1;
            let mut headers = HeaderMap::new();
            put_header(
                &mut headers,
                "mex-chunk-range",
                &format!("{k}:{total}"),
                false,
            )?;
            put_header(
                &mut headers,
                "content-type",
                "application/octet-stream",
                false,
            )?;
            if message.compress {
                put_header(&mut headers, "content-encoding", "gzip", false)?;
            }
            let url = self.url(&format!(
                "messageexchange/{}/outbox/{message_id}/{k}",
                self.mailbox
            ))?;
            let incomplete = |source: MeshError| MeshError::SendIncomplete {
                message_id: message_id.clone(),
                chunk: k,
                total,
                source: Box::new(source),
            };
            let body = encode(piece);
            let ex = self
                .execute(
                    op,
                    Method::POST,
                    url,
                    &headers,
                    Some(&body),
                    RetryMode::Safe,
                )
                .await
                .map_err(incomplete)?;
            let done = ex.status == StatusCode::ACCEPTED
                // The last chunk was accepted on an earlier attempt whose response was lost.
                || (ex.status == StatusCode::LOCKED && ex.attempts > 1 && k == total);
            if !done {
                return Err(incomplete(self.status_error(op, &ex, Some(&message_id))));
            }
        }
        Ok(message_id)
    }

    /// A message this mailbox sent with `mex-LocalID` = `local_id`, found through MESH's
    /// tracking by local id (`GET …/outbox/tracking/{local_id}`): `Some(MESH message id)` when
    /// MESH holds one (200; 300 when several do), `None` when it certainly holds none (404). How
    /// the outbox learns whether a send whose outcome was unknown reached MESH.
    pub async fn find_sent(&self, local_id: &str) -> Result<Option<String>, MeshError> {
        let op = "tracking by local id";
        let mut url = self.url(&format!(
            "messageexchange/{}/outbox/tracking/",
            self.mailbox
        ))?;
        url.path_segments_mut()
            .map_err(|_| MeshError::Config("the MESH URL cannot hold a path".into()))?
            .pop_if_empty()
            .push(local_id);
        let ex = self.get(op, url).await?;
        match ex.status.as_u16() {
            200 => {
                let v: serde_json::Value =
                    serde_json::from_slice(&ex.body).map_err(|e| MeshError::Protocol {
                        operation: op.into(),
                        message: format!("invalid JSON: {e}"),
                    })?;
                let id = ["messageId", "message_id", "dtsId", "messageID"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(|x| x.as_str()))
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| MeshError::Protocol {
                        operation: op.into(),
                        message: "tracking response without a message id".into(),
                    })?;
                Ok(Some(id.to_string()))
            }
            // More than one message carries this local id: it was certainly sent.
            300 => Ok(Some(format!("(several messages with local id {local_id})"))),
            404 => Ok(None),
            _ => Err(self.status_error(op, &ex, None)),
        }
    }

    /// `GET …/outbox/tracking?messageID=…`: the status of a message this mailbox sent.
    pub async fn track(&self, message_id: &str) -> Result<TrackingInfo, MeshError> {
        let mut url = self.url(&format!("messageexchange/{}/outbox/tracking", self.mailbox))?;
        url.query_pairs_mut()
            .append_pair("messageID", message_id.trim());
        let ex = self.get("tracking", url).await?;
        if ex.status != StatusCode::OK {
            return Err(self.status_error("tracking", &ex, Some(message_id)));
        }
        serde_json::from_slice(&ex.body).map_err(|e| MeshError::Protocol {
            operation: "tracking".into(),
            message: format!("invalid JSON: {e}"),
        })
    }
}

impl Mailbox for MeshClient {
    fn mailbox_id(&self) -> &str {
        &self.mailbox
    }
    async fn handshake(&self) -> Result<(), MeshError> {
        MeshClient::handshake(self).await
    }
    async fn list_inbox(&self, workflow_filter: Option<&str>) -> Result<InboxListing, MeshError> {
        MeshClient::list_inbox(self, workflow_filter).await
    }
    async fn download(&self, message_id: &str) -> Result<Message, MeshError> {
        MeshClient::download(self, message_id).await
    }
    async fn acknowledge(&self, message_id: &str) -> Result<(), MeshError> {
        MeshClient::acknowledge(self, message_id).await
    }
    async fn send(&self, message: &OutboundMessage) -> Result<String, MeshError> {
        MeshClient::send(self, message).await
    }
    fn can_find_sent(&self) -> bool {
        true
    }
    async fn find_sent(&self, local_id: &str) -> Result<Option<String>, MeshError> {
        MeshClient::find_sent(self, local_id).await
    }
}

/// The fixed headers of every request (everything but `Authorization`).
pub fn client_headers(client_version: &str) -> Result<HeaderMap, MeshError> {
    let os_name = match std::env::consts::OS {
        "linux" => "Linux",
        "windows" => "Windows",
        "macos" => "Darwin",
        other => other,
    };
    let os_version = os_version();
    let arch = std::env::consts::ARCH;
    let mut h = HeaderMap::new();
    put_header(&mut h, "accept", ACCEPT_V2, false)?;
    put_header(&mut h, "accept-encoding", "gzip", false)?;
    put_header(
        &mut h,
        "user-agent",
        &format!("{client_version};N/A;{arch};{os_name};{os_version}"),
        false,
    )?;
    put_header(&mut h, "mex-clientversion", client_version, false)?;
    put_header(&mut h, "mex-osname", os_name, false)?;
    put_header(&mut h, "mex-osversion", &os_version, false)?;
    put_header(&mut h, "mex-osarchitecture", arch, false)?;
    Ok(h)
}

fn os_version() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let clean: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(100)
        .collect();
    if clean.is_empty() {
        "unknown".into()
    } else {
        clean
    }
}

/// Inserts a header, refusing values MESH would reject (control characters,
/// non-ASCII, URLs in routing headers).
fn put_header(
    h: &mut HeaderMap,
    name: &'static str,
    value: &str,
    routing: bool,
) -> Result<(), MeshError> {
    if routing && value.trim().is_empty() {
        return Err(MeshError::Config(format!("{name} must not be empty")));
    }
    if value.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(MeshError::Config(format!(
            "{name} must be printable ASCII without control characters: {value:?}"
        )));
    }
    let lower = value.trim().to_ascii_lowercase();
    if routing && (lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(MeshError::Config(format!(
            "{name} must not be a URL: {value:?}"
        )));
    }
    let v = HeaderValue::from_str(value)
        .map_err(|_| MeshError::Config(format!("{name} is not a valid header value: {value:?}")))?;
    h.insert(HeaderName::from_static(name), v);
    Ok(())
}

fn header_str(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn is_yes(v: Option<String>) -> bool {
    v.is_some_and(|v| matches!(v.to_ascii_uppercase().as_str(), "Y" | "YES" | "TRUE"))
}

fn is_gzip(h: &HeaderMap) -> bool {
    header_str(h, "content-encoding").is_some_and(|v| v.eq_ignore_ascii_case("gzip"))
}

/// The chunk count from `mex-Total-Chunks`, else `mex-Chunk-Range` (`k:n`), else 1.
fn total_chunks(h: &HeaderMap) -> Result<u32, String> {
    if let Some(t) = header_str(h, "mex-total-chunks") {
        return t.parse().map_err(|_| format!("bad mex-Total-Chunks {t:?}"));
    }
    if let Some(r) = header_str(h, "mex-chunk-range") {
        let (_, n) = r
            .split_once(':')
            .ok_or_else(|| format!("bad mex-Chunk-Range {r:?}"))?;
        return n
            .trim()
            .parse()
            .map_err(|_| format!("bad mex-Chunk-Range {r:?}"));
    }
    Ok(1)
}

fn parse_send_response(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("message_id")
        .or_else(|| v.get("messageID"))
        .and_then(|id| id.as_str())
        .map(str::to_string)
        .filter(|id| !id.is_empty())
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        let text = inner.to_string();
        // hyper-util repeats its source in its own message; skip the repeat.
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        src = inner.source();
    }
    s
}

fn looks_like_tls(chain: &str) -> bool {
    let lower = chain.to_ascii_lowercase();
    ["ssl routines", "certificate", "tls", "handshake"]
        .iter()
        .any(|needle| lower.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_set_is_exact() {
        let h = client_headers("handover-mesh==0.1.0").unwrap();
        assert_eq!(h.get_all("accept").iter().count(), 1);
        assert_eq!(h["accept"], "application/vnd.mesh.v2+json");
        assert_eq!(h["accept-encoding"], "gzip");
        assert_eq!(h["mex-clientversion"], "handover-mesh==0.1.0");
        assert!(!h["mex-osname"].is_empty());
        assert!(!h["mex-osversion"].is_empty());
        assert!(h.get("authorization").is_none());
    }

    #[test]
    fn every_request_gets_a_fresh_upper_case_token() {
        let client = MeshClient::new(MeshConfig::new(
            "http://127.0.0.1:1",
            "x26abc1",
            "pw",
            "key",
        ))
        .unwrap();
        assert_eq!(client.mailbox(), "X26ABC1");
        let a = client.request_headers().unwrap();
        let b = client.request_headers().unwrap();
        let ta = a["authorization"].to_str().unwrap().to_string();
        let tb = b["authorization"].to_str().unwrap().to_string();
        assert!(ta.starts_with("NHSMESH X26ABC1:"), "{ta}");
        assert_ne!(ta, tb);
        // Same nonce, counts 0 and 1, 5 fields after the scheme.
        let fa: Vec<&str> = ta["NHSMESH ".len()..].split(':').collect();
        let fb: Vec<&str> = tb["NHSMESH ".len()..].split(':').collect();
        assert_eq!(fa.len(), 5);
        assert_eq!(fa[1], fb[1]);
        assert_eq!(fa[2], "0");
        assert_eq!(fb[2], "1");
        assert_eq!(a["accept"], ACCEPT_V2);
    }

    #[test]
    fn client_refuses_http_to_other_hosts() {
        let err = MeshClient::new(MeshConfig::new(
            "http://mesh.example.nhs.uk",
            "X26ABC1",
            "pw",
            "key",
        ))
        .unwrap_err();
        assert_eq!(err.code(), "mesh_insecure_url");
    }

    #[test]
    fn client_rejects_half_tls_config_and_bad_keys() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = MeshConfig::new("https://127.0.0.1:1", "X26ABC1", "pw", "key");
        cfg.client_cert = Some(dir.path().join("c.pem"));
        assert_eq!(
            MeshClient::new(cfg.clone()).unwrap_err().code(),
            "mesh_config"
        );
        std::fs::write(dir.path().join("c.pem"), "x").unwrap();
        std::fs::write(
            dir.path().join("k.pem"),
            "-----BEGIN RSA PRIVATE KEY-----\n",
        )
        .unwrap();
        cfg.client_key = Some(dir.path().join("k.pem"));
        let err = MeshClient::new(cfg.clone()).unwrap_err();
        assert_eq!(err.code(), "mesh_config");
        assert!(err.to_string().contains("PKCS#8"), "{err}");
        cfg.client_cert = None;
        cfg.client_key = None;
        cfg.ca_bundle = Some(dir.path().join("missing-ca.pem"));
        assert_eq!(MeshClient::new(cfg).unwrap_err().code(), "mesh_io");
    }

    #[test]
    fn chunk_count_from_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(total_chunks(&h), Ok(1));
        h.insert("mex-chunk-range", HeaderValue::from_static("1:3"));
        assert_eq!(total_chunks(&h), Ok(3));
        h.insert("mex-total-chunks", HeaderValue::from_static("0"));
        assert_eq!(total_chunks(&h), Ok(0));
        h.insert("mex-total-chunks", HeaderValue::from_static("x"));
        assert!(total_chunks(&h).is_err());
    }

    #[test]
    fn send_response_shapes() {
        assert_eq!(
            parse_send_response(br#"{"message_id":"ABC"}"#).as_deref(),
            Some("ABC")
        );
        assert_eq!(
            parse_send_response(br#"{"messageID":"V1"}"#).as_deref(),
            Some("V1")
        );
        assert_eq!(parse_send_response(b"null"), None);
        assert_eq!(parse_send_response(br#"{"message_id":""}"#), None);
    }

    #[test]
    fn routing_headers_are_validated() {
        let mut h = HeaderMap::new();
        assert!(put_header(&mut h, "mex-to", "X26ABC2", true).is_ok());
        assert!(put_header(&mut h, "mex-to", "", true).is_err());
        assert!(put_header(&mut h, "mex-to", "https://evil", true).is_err());
        assert!(put_header(&mut h, "mex-subject", "line\nbreak", false).is_err());
        assert!(put_header(&mut h, "mex-subject", "caf\u{e9}", false).is_err());
    }

    /// A scripted HTTP/1.1 server standing in for MESH in unit tests only, to
    /// produce what the sandbox never does (429, 5xx, hangs).
    mod fake {
        use std::collections::VecDeque;
        use std::sync::{Arc, Mutex};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        pub enum Reply {
            Status(u16, &'static str),
            Hang,
        }

        pub struct Fake {
            pub url: String,
            pub requests: Arc<Mutex<Vec<String>>>,
        }

        pub async fn start(replies: Vec<Reply>) -> Fake {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let requests = Arc::new(Mutex::new(Vec::new()));
            let replies = Arc::new(Mutex::new(VecDeque::from(replies)));
            let seen = requests.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((mut sock, _)) = listener.accept().await else {
                        return;
                    };
                    let seen = seen.clone();
                    let replies = replies.clone();
                    tokio::spawn(async move {
                        let mut buf = Vec::new();
                        let mut tmp = [0u8; 8192];
                        let head_end = loop {
                            let n = sock.read(&mut tmp).await.unwrap_or(0);
                            if n == 0 {
                                return;
                            }
                            buf.extend_from_slice(&tmp[..n]);
                            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        while buf.len() < head_end + len {
                            let n = sock.read(&mut tmp).await.unwrap_or(0);
                            if n == 0 {
                                break;
                            }
                            buf.extend_from_slice(&tmp[..n]);
                        }
                        seen.lock().unwrap().push(head);
                        let reply = replies.lock().unwrap().pop_front();
                        match reply {
                            Some(Reply::Status(code, body)) => {
                                let resp = format!(
                                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                    body.len()
                                );
                                let _ = sock.write_all(resp.as_bytes()).await;
                                let _ = sock.shutdown().await;
                            }
                            Some(Reply::Hang) => {
                                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                            }
                            None => {
                                let _ = sock
                                    .write_all(b"HTTP/1.1 599 UNSCRIPTED\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                                    .await;
                            }
                        }
                    });
                }
            });
            Fake { url, requests }
        }
    }

    use fake::Reply;
    use std::time::Duration;

    fn fast_client(url: &str, retries: u32) -> MeshClient {
        let mut cfg = MeshConfig::new(url, "X26ABC2", "password", "TestKey");
        cfg.retry = RetryPolicy {
            max_retries: retries,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        };
        cfg.request_timeout = Duration::from_millis(400);
        cfg.max_chunk_size = 4;
        MeshClient::new(cfg).unwrap()
    }

    const EMPTY_INBOX: &str = r#"{"messages":[],"links":{},"approx_inbox_count":0}"#;

    #[tokio::test]
    async fn server_errors_and_429_are_retried_with_fresh_tokens() {
        let f = fake::start(vec![
            Reply::Status(503, ""),
            Reply::Status(429, ""),
            Reply::Status(502, ""),
            Reply::Status(200, EMPTY_INBOX),
        ])
        .await;
        let listing = fast_client(&f.url, 3).list_inbox(None).await.unwrap();
        assert!(listing.message_ids.is_empty());
        let reqs = f.requests.lock().unwrap().clone();
        assert_eq!(reqs.len(), 4);
        let tokens: std::collections::HashSet<String> = reqs
            .iter()
            .map(|r| {
                r.lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(tokens.len(), 4, "a fresh token per attempt");
        for r in &reqs {
            let lower = r.to_ascii_lowercase();
            assert!(
                lower.contains("\r\naccept: application/vnd.mesh.v2+json\r\n"),
                "{r}"
            );
            assert!(lower.contains("\r\nmex-clientversion: "), "{r}");
            assert!(lower.contains("\r\nmex-osname: "), "{r}");
            assert!(lower.contains("\r\nmex-osversion: "), "{r}");
            assert!(lower.contains("authorization: nhsmesh x26abc2:"), "{r}");
        }
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let f = fake::start(
            (0..10)
                .map(|_| Reply::Status(500, r#"{"message":"boom"}"#))
                .collect(),
        )
        .await;
        let err = fast_client(&f.url, 2).list_inbox(None).await.unwrap_err();
        assert!(
            matches!(
                err,
                MeshError::Server {
                    status: 500,
                    attempts: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(f.requests.lock().unwrap().len(), 3);

        let f = fake::start((0..10).map(|_| Reply::Status(429, "")).collect()).await;
        let err = fast_client(&f.url, 1).download("ABC").await.unwrap_err();
        assert_eq!(err.code(), "mesh_rate_limited");
        assert_eq!(f.requests.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn timeouts_are_typed_and_retried_for_reads() {
        let f = fake::start(vec![Reply::Hang, Reply::Hang, Reply::Hang]).await;
        let err = fast_client(&f.url, 1).acknowledge("ABC").await.unwrap_err();
        assert!(
            matches!(err, MeshError::Timeout { attempts: 2, .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), "mesh_timeout");
        assert_eq!(f.requests.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn first_outbox_post_is_never_blindly_retried() {
        // 5xx: the message may exist; one request only.
        let f = fake::start(vec![
            Reply::Status(503, ""),
            Reply::Status(202, r#"{"message_id":"M"}"#),
        ])
        .await;
        let err = fast_client(&f.url, 3)
            .send(&OutboundMessage::new("X26ABC1", "WF", b"abc".to_vec()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "mesh_send_outcome_unknown", "{err:?}");
        assert_eq!(f.requests.lock().unwrap().len(), 1);

        // Timeout: same.
        let f = fake::start(vec![
            Reply::Hang,
            Reply::Status(202, r#"{"message_id":"M"}"#),
        ])
        .await;
        let err = fast_client(&f.url, 3)
            .send(&OutboundMessage::new("X26ABC1", "WF", b"abc".to_vec()))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, MeshError::SendOutcomeUnknown { source, .. } if source.code() == "mesh_timeout"),
            "{err:?}"
        );
        assert_eq!(f.requests.lock().unwrap().len(), 1);

        // Chunk 1 of a chunked send: same.
        let f = fake::start(vec![
            Reply::Status(500, ""),
            Reply::Status(202, r#"{"message_id":"M"}"#),
        ])
        .await;
        let err = fast_client(&f.url, 3)
            .send(&OutboundMessage::new(
                "X26ABC1",
                "WF",
                b"0123456789".to_vec(),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "mesh_send_outcome_unknown");
        assert_eq!(f.requests.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn refused_connection_is_a_connection_error_not_an_unknown_send() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = fast_client(&format!("http://127.0.0.1:{port}"), 1)
            .send(&OutboundMessage::new("X26ABC1", "WF", b"abc".to_vec()))
            .await
            .unwrap_err();
        assert!(
            matches!(err, MeshError::Connection { attempts: 2, .. }),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn later_chunks_are_retried_and_a_lost_last_ack_is_tolerated() {
        let f = fake::start(vec![
            Reply::Status(202, r#"{"message_id":"M1"}"#),
            Reply::Status(502, ""),
            Reply::Status(202, "null"),
            Reply::Hang,
            Reply::Status(423, r#"{"message":"locked"}"#),
        ])
        .await;
        // 10 bytes in chunks of 4: 3 chunks.
        let id = fast_client(&f.url, 3)
            .send(&OutboundMessage::new(
                "x26abc1",
                "WF",
                b"0123456789".to_vec(),
            ))
            .await
            .unwrap();
        assert_eq!(id, "M1");
        let reqs = f.requests.lock().unwrap().clone();
        assert_eq!(reqs.len(), 5);
        assert!(
            reqs[0].starts_with("POST /messageexchange/X26ABC2/outbox HTTP/1.1"),
            "{}",
            reqs[0]
        );
        let lower0 = reqs[0].to_ascii_lowercase();
        assert!(lower0.contains("mex-to: x26abc1") && lower0.contains("mex-chunk-range: 1:3"));
        assert!(reqs[2].starts_with("POST /messageexchange/X26ABC2/outbox/M1/2 "));
        assert!(reqs[4].starts_with("POST /messageexchange/X26ABC2/outbox/M1/3 "));
        assert!(reqs[4]
            .to_ascii_lowercase()
            .contains("mex-chunk-range: 3:3"));
    }

    #[tokio::test]
    async fn failing_later_chunk_reports_the_incomplete_message() {
        let f = fake::start(vec![
            Reply::Status(202, r#"{"message_id":"M2"}"#),
            Reply::Status(417, r#"{"detail":[{"event":"SEND","code":"InvalidHeaderChunks","msg":"Invalid chunk"}]}"#),
        ])
        .await;
        let err = fast_client(&f.url, 3)
            .send(&OutboundMessage::new(
                "X26ABC1",
                "WF",
                b"0123456789".to_vec(),
            ))
            .await
            .unwrap_err();
        match err {
            MeshError::SendIncomplete {
                message_id,
                chunk,
                total,
                source,
            } => {
                assert_eq!((message_id.as_str(), chunk, total), ("M2", 2, 3));
                assert_eq!(source.code(), "mesh_rejected");
            }
            other => panic!("{other:?}"),
        }
    }
}
