//! Integration tests against NHS's real `mesh-sandbox`, with NHS's Python
//! `mesh-client` as the other party. Each test starts its own sandbox.

mod support;

use std::collections::HashSet;

use handover_mesh::{Mailbox, MeshError, MessageType, OutboundMessage};
use support::{sha256_hex, Sandbox};

const HOSPITAL: &str = "X26ABC1";
const GP: &str = "X26ABC2";
const OTHER: &str = "X26ABC3";

#[tokio::test]
async fn handshake_and_single_message_round_trip() {
    let sb = Sandbox::start();
    let sent = sb.peer_send(
        HOSPITAL,
        &[
            "--to",
            GP,
            "--workflow",
            "TOC_FHIR_IP_DISCH",
            "--subject",
            "Inpatient discharge summary",
            "--local-id-prefix",
            "toc-ip-",
            "--content-type",
            "application/fhir+xml",
        ],
    );
    assert_eq!(sent.len(), 1);
    let (id, sha) = &sent[0];

    let gp = sb.client("x26abc2"); // lower case on purpose: the client upper-cases
    gp.handshake().await.expect("handshake");
    let listing = gp.list_inbox(None).await.unwrap();
    assert_eq!(listing.message_ids, vec![id.clone()]);
    assert_eq!(listing.approx_inbox_count, Some(1));
    assert!(!listing.maybe_more);

    let msg = gp.download(id).await.unwrap();
    assert_eq!(&sha256_hex(&msg.body), sha);
    assert!(String::from_utf8_lossy(&msg.body).contains("msg-0"));
    assert_eq!(msg.meta.message_id, *id);
    assert_eq!(msg.meta.message_type, MessageType::Data);
    assert_eq!(msg.meta.from.as_deref(), Some(HOSPITAL));
    assert_eq!(msg.meta.to.as_deref(), Some(GP));
    assert_eq!(msg.meta.workflow_id.as_deref(), Some("TOC_FHIR_IP_DISCH"));
    assert_eq!(
        msg.meta.subject.as_deref(),
        Some("Inpatient discharge summary")
    );
    assert_eq!(msg.meta.local_id.as_deref(), Some("toc-ip-0"));
    assert_eq!(
        msg.meta.content_type.as_deref(),
        Some("application/fhir+xml")
    );
    assert_eq!(msg.meta.total_chunks, 1);
    assert!(msg.report.is_none());

    // Downloading does not acknowledge.
    assert_eq!(
        gp.list_inbox(None).await.unwrap().message_ids,
        vec![id.clone()]
    );
    gp.acknowledge(id).await.unwrap();
    assert!(gp.list_inbox(None).await.unwrap().message_ids.is_empty());
    gp.acknowledge(id).await.expect("a second ack is fine");

    // The sender sees it acknowledged.
    let hospital = sb.client(HOSPITAL);
    let tracking = hospital.track(id).await.unwrap();
    assert_eq!(tracking.status.as_deref(), Some("acknowledged"));
    assert_eq!(tracking.local_id.as_deref(), Some("toc-ip-0"));
    assert_eq!(tracking.recipient.as_deref(), Some(GP));
}

#[tokio::test]
async fn inbox_listing_follows_pages_and_filters_workflows() {
    let sb = Sandbox::start();
    // The sandbox (like real MESH) pages at 500 ids by default.
    let discharges = sb.peer_send(
        HOSPITAL,
        &[
            "--to",
            GP,
            "--workflow",
            "TOC_FHIR_IP_DISCH",
            "--count",
            "503",
        ],
    );
    let ed = sb.peer_send(
        HOSPITAL,
        &[
            "--to",
            GP,
            "--workflow",
            "TOC_FHIR_EC_DISCH",
            "--count",
            "3",
        ],
    );
    let all: Vec<String> = discharges
        .iter()
        .chain(&ed)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 506);

    let gp = sb.client(GP);
    let listing = gp.list_inbox(None).await.unwrap();
    assert_eq!(listing.message_ids, all, "every page, oldest first");
    assert_eq!(listing.approx_inbox_count, Some(506));
    assert!(!listing.maybe_more);

    let small_pages = gp.list_inbox_paged(None, Some(100)).await.unwrap();
    assert_eq!(small_pages.message_ids, all);

    let ed_only = gp.list_inbox(Some("TOC_FHIR_EC*")).await.unwrap();
    let ed_ids: Vec<String> = ed.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ed_only.message_ids, ed_ids);
    let not_ed = gp
        .list_inbox_paged(Some("!TOC_FHIR_EC*"), Some(250))
        .await
        .unwrap();
    assert_eq!(not_ed.message_ids.len(), 503);
    assert!(not_ed.message_ids.iter().all(|id| !ed_ids.contains(id)));
}

#[tokio::test]
async fn chunked_multi_megabyte_message_is_joined() {
    let sb = Sandbox::start();
    let size = 3 * 1024 * 1024 + 12_345;
    let sent = sb.peer_send(
        HOSPITAL,
        &[
            "--to",
            GP,
            "--workflow",
            "TOC_FHIR_IP_DISCH",
            "--size",
            &size.to_string(),
            "--random",
            "--chunk-size",
            &(1024 * 1024).to_string(),
        ],
    );
    let (id, sha) = &sent[0];
    let gp = sb.client(GP);
    let msg = gp.download(id).await.unwrap();
    assert_eq!(msg.meta.total_chunks, 4);
    assert_eq!(msg.body.len(), size);
    assert_eq!(&sha256_hex(&msg.body), sha);
}

#[tokio::test]
async fn gzip_compressed_messages_are_decoded() {
    let sb = Sandbox::start();
    // Chunked and compressed: each chunk is its own gzip member.
    let size = 2 * 1024 * 1024 + 777;
    let chunked = sb.peer_send(
        HOSPITAL,
        &[
            "--to",
            GP,
            "--workflow",
            "TOC_FHIR_MH_DISCH",
            "--size",
            &size.to_string(),
            "--chunk-size",
            &(1024 * 1024).to_string(),
            "--compress",
        ],
    );
    // Single chunk, compressed.
    let single = sb.peer_send(
        HOSPITAL,
        &["--to", GP, "--workflow", "TOC_FHIR_OP_ATTEN", "--compress"],
    );
    let gp = sb.client(GP);

    let msg = gp.download(&chunked[0].0).await.unwrap();
    assert_eq!(msg.meta.total_chunks, 3);
    assert_eq!(msg.body.len(), size);
    assert_eq!(sha256_hex(&msg.body), chunked[0].1);
    assert!(msg.body.starts_with(b"discharge summary line"));

    let msg = gp.download(&single[0].0).await.unwrap();
    assert_eq!(sha256_hex(&msg.body), single[0].1);
    assert!(msg.body.starts_with(b"<Bundle"));
}

#[tokio::test]
async fn one_gzip_stream_split_into_chunks_is_decoded() {
    let sb = Sandbox::start();
    let size = 400_000;
    let v = sb.peer(
        HOSPITAL,
        &[
            "send-split-gzip",
            "--to",
            GP,
            "--workflow",
            "TOC_FHIR_IP_DISCH",
            "--size",
            &size.to_string(),
            "--pieces",
            "3",
        ],
    );
    assert_eq!(v["pieces"], 3, "{v}");
    let id = v["messages"][0]["id"].as_str().unwrap();
    let msg = sb.client(GP).download(id).await.unwrap();
    assert_eq!(msg.meta.total_chunks, 3);
    assert_eq!(msg.body.len(), size);
    assert_eq!(
        sha256_hex(&msg.body),
        v["messages"][0]["sha256"].as_str().unwrap()
    );
}

#[tokio::test]
async fn acknowledging_every_message_empties_the_inbox() {
    let sb = Sandbox::start();
    let sent = sb.peer_send(
        HOSPITAL,
        &[
            "--to",
            GP,
            "--workflow",
            "TOC_FHIR_IP_DISCH",
            "--count",
            "12",
        ],
    );
    let gp = sb.client(GP);
    let listing = gp.list_inbox(None).await.unwrap();
    assert_eq!(listing.message_ids.len(), 12);
    for (id, sha) in &sent {
        let msg = gp.download(id).await.unwrap();
        assert_eq!(&sha256_hex(&msg.body), sha);
        gp.acknowledge(id).await.unwrap();
    }
    let listing = gp.list_inbox(None).await.unwrap();
    assert!(listing.message_ids.is_empty());
    assert_eq!(listing.approx_inbox_count, Some(0));
    // Confirmed independently by NHS's client.
    assert!(sb.peer_inbox(GP).is_empty());
}

#[tokio::test]
async fn our_sends_are_received_by_mesh_client() {
    let sb = Sandbox::start();
    let mut cfg =
        handover_mesh::MeshConfig::new(&sb.url, HOSPITAL, support::PASSWORD, support::SHARED_KEY);
    cfg.max_chunk_size = 256 * 1024;
    cfg.retry = handover_mesh::RetryPolicy::none();
    let hospital = handover_mesh::MeshClient::new(cfg).unwrap();

    let small = b"<Bundle xmlns=\"http://hl7.org/fhir\"><id value=\"ack-1\"/></Bundle>".to_vec();
    let mut out = OutboundMessage::new("x26abc3", "TOC_FHIR_IP_DISCH_ACK", small.clone());
    out.subject = Some("ITK3 response".into());
    out.local_id = Some("handover-ack-1".into());
    out.content_type = Some("application/fhir+xml".into());
    let small_id = hospital.send(&out).await.unwrap();

    // 1 MiB + a bit of compressible text: 5 chunks, each gzipped.
    let big: Vec<u8> = (0..(1024 * 1024 + 100))
        .map(|i| b"ABCDEFGH\n"[i % 9])
        .collect();
    let mut big_out = OutboundMessage::new(OTHER, "TOC_FHIR_EC_DISCH", big.clone());
    big_out.compress = true;
    let big_id = hospital.send(&big_out).await.unwrap();

    // Plain, chunked: 3 chunks.
    let plain: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let plain_id = hospital
        .send(&OutboundMessage::new(
            OTHER,
            "TOC_FHIR_EC_DISCH",
            plain.clone(),
        ))
        .await
        .unwrap();

    assert_eq!(
        hospital.track(&big_id).await.unwrap().status.as_deref(),
        Some("accepted")
    );

    let received = sb.peer(OTHER, &["receive", "--ack"]);
    let msgs = received["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3, "{received}");
    let by_id = |id: &str| {
        msgs.iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("{id} not received"))
    };
    let m = by_id(&small_id);
    assert_eq!(m["sha256"], sha256_hex(&small));
    assert_eq!(m["sender"], HOSPITAL);
    assert_eq!(m["workflow_id"], "TOC_FHIR_IP_DISCH_ACK");
    assert_eq!(m["subject"], "ITK3 response");
    assert_eq!(m["local_id"], "handover-ack-1");
    assert_eq!(m["content_type"], "application/fhir+xml");
    assert_eq!(by_id(&big_id)["sha256"], sha256_hex(&big));
    assert_eq!(by_id(&plain_id)["sha256"], sha256_hex(&plain));

    assert_eq!(
        hospital.track(&small_id).await.unwrap().status.as_deref(),
        Some("acknowledged")
    );
    assert!(sb.peer_inbox(OTHER).is_empty());
}

#[tokio::test]
async fn authentication_failures_are_typed() {
    let sb = Sandbox::start();
    let wrong_password = sb.client_with(GP, "not-the-password", support::SHARED_KEY);
    let err = wrong_password.handshake().await.unwrap_err();
    assert!(matches!(err, MeshError::Authentication { .. }), "{err:?}");
    assert_eq!(err.code(), "mesh_authentication");
    assert!(
        err.to_string().contains("Invalid Authentication Token"),
        "{err}"
    );
    assert_eq!(
        wrong_password.list_inbox(None).await.unwrap_err().code(),
        "mesh_authentication"
    );

    let wrong_key = sb.client_with(GP, support::PASSWORD, "NotTheKey");
    let err = wrong_key.handshake().await.unwrap_err();
    assert!(matches!(err, MeshError::Authentication { .. }), "{err:?}");
    assert_eq!(
        wrong_key.download("ANY").await.unwrap_err().code(),
        "mesh_authentication"
    );

    let unknown = sb.client("X26NOPE9");
    let err = unknown.handshake().await.unwrap_err();
    assert!(matches!(err, MeshError::UnknownMailbox { .. }), "{err:?}");
    assert_eq!(err.code(), "mesh_unknown_mailbox");
    assert!(err.to_string().contains("X26NOPE9"), "{err}");

    // The right credentials still work on the same sandbox.
    sb.client(GP).handshake().await.unwrap();
}

#[tokio::test]
async fn gone_rejected_and_forbidden_are_typed() {
    let sb = Sandbox::start();
    let gp = sb.client(GP);
    let err = gp
        .download("0123456789ABCDEF0123456789ABCDEF")
        .await
        .unwrap_err();
    assert!(
        matches!(err, MeshError::Gone { status: 404, .. }),
        "{err:?}"
    );
    let err = gp
        .acknowledge("0123456789ABCDEF0123456789ABCDEF")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "mesh_gone");

    let err = gp
        .send(&OutboundMessage::new(
            "X26NOPE9",
            "TOC_FHIR_IP_DISCH_ACK",
            b"x".to_vec(),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, MeshError::Rejected { .. }), "{err:?}");
    assert!(err.to_string().contains("Unregistered to address"), "{err}");

    // Another mailbox's message: 403, not readable.
    let sent = sb.peer_send(
        HOSPITAL,
        &["--to", OTHER, "--workflow", "TOC_FHIR_IP_DISCH"],
    );
    let err = gp.download(&sent[0].0).await.unwrap_err();
    assert_eq!(err.code(), "mesh_authentication");
}

#[tokio::test]
async fn non_delivery_reports_are_surfaced() {
    let sb = Sandbox::start();
    let hospital = sb.client(HOSPITAL);
    let original = hospital
        .send(&OutboundMessage::new(
            GP,
            "TOC_FHIR_IP_DISCH",
            b"<Bundle/>".to_vec(),
        ))
        .await
        .unwrap();
    let body = serde_json::json!({
        "mailbox_id": HOSPITAL,
        "code": "14",
        "description": "Message not collected by recipient after 5 days",
        "workflow_id": "TOC_FHIR_IP_DISCH",
        "subject": "NDR: discharge",
        "linked_message_id": original,
        "status": "undeliverable",
    })
    .to_string();
    let resp = support::raw_http(
        sb.port,
        "POST",
        "/messageexchange/admin/report",
        Some(&body),
    )
    .unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.0 200"),
        "{resp}"
    );

    let listing = hospital.list_inbox(None).await.unwrap();
    assert_eq!(listing.message_ids.len(), 1);
    let ndr = hospital.download(&listing.message_ids[0]).await.unwrap();
    assert_eq!(ndr.meta.message_type, MessageType::Report);
    assert_eq!(ndr.meta.total_chunks, 0);
    assert!(ndr.body.is_empty());
    let report = ndr.report.expect("report details");
    assert!(report.is_failure());
    assert_eq!(report.linked_message_id.as_deref(), Some(original.as_str()));
    assert_eq!(report.status_code.as_deref(), Some("14"));
    assert_eq!(
        report.status_description.as_deref(),
        Some("Message not collected by recipient after 5 days")
    );
    hospital.acknowledge(&listing.message_ids[0]).await.unwrap();
    assert!(hospital
        .list_inbox(None)
        .await
        .unwrap()
        .message_ids
        .is_empty());
}

/// The sync engine is generic over `Mailbox`; make sure the client works through it.
#[tokio::test]
async fn client_works_through_the_mailbox_trait() {
    async fn drain<M: Mailbox>(mb: &M) -> Vec<Vec<u8>> {
        mb.handshake().await.unwrap();
        let mut bodies = Vec::new();
        for id in mb.list_inbox(Some("TOC_FHIR_*")).await.unwrap().message_ids {
            let msg = mb.download(&id).await.unwrap();
            bodies.push(msg.body); // "commit"
            mb.acknowledge(&id).await.unwrap();
        }
        bodies
    }
    let sb = Sandbox::start();
    let sent = sb.peer_send(
        HOSPITAL,
        &[
            "--to",
            GP,
            "--workflow",
            "TOC_FHIR_EC_DISCH",
            "--count",
            "3",
        ],
    );
    let gp = std::sync::Arc::new(handover_mesh::AnyMailbox::Mesh(Box::new(sb.client(GP))));
    let bodies = tokio::spawn(async move { drain(&gp).await }).await.unwrap();
    let shas: Vec<String> = bodies.iter().map(|b| sha256_hex(b)).collect();
    assert_eq!(
        shas,
        sent.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>()
    );
    assert!(sb.peer_inbox(GP).is_empty());
}

/// Mutual TLS like real MESH: the sandbox (uvicorn) requires a client
/// certificate signed by the test CA; the client trusts only the configured CA.
#[tokio::test]
async fn mutual_tls_with_client_certificate_and_ca_bundle() {
    let pki = support::TestPki::create();
    let p = |n: &str| pki.path(n).display().to_string();
    let sb = Sandbox::start_tls(&[
        "--ssl-certfile".into(),
        p("server.pem"),
        "--ssl-keyfile".into(),
        p("server.key"),
        "--ssl-cert-reqs".into(),
        "2".into(),
        "--ssl-ca-certs".into(),
        p("ca.pem"),
    ]);
    let config = |cert: bool, ca: bool| {
        let mut cfg =
            handover_mesh::MeshConfig::new(&sb.url, GP, support::PASSWORD, support::SHARED_KEY);
        cfg.retry = handover_mesh::RetryPolicy::none();
        if cert {
            cfg.client_cert = Some(pki.path("client.pem"));
            cfg.client_key = Some(pki.path("client.key"));
        }
        if ca {
            cfg.ca_bundle = Some(pki.path("ca.pem"));
        }
        handover_mesh::MeshClient::new(cfg).unwrap()
    };
    let good = config(true, true);
    good.handshake().await.expect("mTLS handshake");
    assert!(good.list_inbox(None).await.unwrap().message_ids.is_empty());

    // No client certificate: the TLS handshake is refused.
    let err = config(false, true).handshake().await.unwrap_err();
    assert_eq!(err.code(), "mesh_connection", "{err:?}");
    // The test CA is not trusted unless configured.
    let err = config(true, false).handshake().await.unwrap_err();
    assert_eq!(err.code(), "mesh_tls", "{err:?}");
    assert!(
        err.to_string().contains("certificate verify failed"),
        "{err}"
    );
}
