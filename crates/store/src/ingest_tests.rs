use super::*;
use handover_toc::DocumentKind;

fn store() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(&tmp.path().join("t.db"), &DbKey::generate()).unwrap();
    (tmp, store)
}

fn incoming<'a>(source_id: &'a str, raw: &'a [u8]) -> Incoming<'a> {
    Incoming {
        source: MessageSource::Mesh,
        mailbox: "X26ABC1",
        source_id,
        workflow_id: Some("TOC_FHIR_IP_DISCH"),
        sender_mailbox: Some("X26ABC2"),
        received_at: "2026-11-22T10:00:00Z",
        raw,
        body: None,
        mailbox_meta: None,
    }
}

fn doc(bundle: &str, composition: &str, replaces: Option<&str>) -> DocumentRecord {
    DocumentRecord {
        kind: DocumentKind::InpatientDischarge,
        document_bundle_id: Some(bundle.into()),
        composition_id: Some(composition.into()),
        replaces: replaces.map(Into::into),
        nhs_number: Some("9434765919".into()),
        patient_name: Some("SMITH, Jane".into()),
        sender_org: Some("RA7".into()),
        content_sha256: Some(format!("content-of-{bundle}")),
        model: "{}".into(),
        ..Default::default()
    }
}

fn ack(code: &str) -> Vec<PlannedResponse> {
    vec![PlannedResponse {
        kind: "infrastructure",
        response_code: code.into(),
        to_mailbox: "X26ABC2".into(),
        workflow_id: "TOC_FHIR_IP_DISCH_ACK".into(),
        body: code.as_bytes().to_vec(),
    }]
}

/// Stores a document with the given links and a 20013 response.
fn put(
    s: &mut Store,
    source_id: &str,
    raw: &[u8],
    d: &DocumentRecord,
    links: &DocumentLinks,
) -> Ingested {
    let itk = format!("msg-{}", d.document_bundle_id.as_deref().unwrap_or(""));
    s.ingest(
        &incoming(source_id, raw),
        Some(&itk),
        Disposition::Document { document: d, links },
        "[]",
        &ack("20013"),
    )
    .unwrap()
}

fn stored_id(i: &Ingested) -> i64 {
    match i.outcome {
        IngestOutcome::Stored { document_id, .. } => document_id,
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn a_document_is_stored_once_however_often_it_is_delivered() {
    let (_t, mut s) = store();
    let raw = b"<Bundle>one</Bundle>";
    let first = put(
        &mut s,
        "M1",
        raw,
        &doc("B1", "C1", None),
        &DocumentLinks::default(),
    );
    let IngestOutcome::Stored {
        message_id,
        document_id,
        ref superseded,
    } = first.outcome
    else {
        panic!("{first:?}")
    };
    assert!(superseded.is_empty());
    // The response queued is returned with its id, its first attempt recorded.
    assert_eq!(first.queued.len(), 1);
    assert_eq!(first.queued[0].attempts, 1);
    assert_eq!(first.queued[0].local_id, "HANDOVER-M1-INFRASTRUCTURE");
    assert_eq!(s.outbox().unwrap(), first.queued);

    // Re-delivered under the same MESH id (say, the ack was lost): nothing new, no new response.
    let again = put(
        &mut s,
        "M1",
        raw,
        &doc("B1", "C1", None),
        &DocumentLinks::default(),
    );
    assert_eq!(again.outcome, IngestOutcome::AlreadyStored { message_id });
    assert!(again.queued.is_empty());
    assert_eq!(
        s.find_message(MessageSource::Mesh, "X26ABC1", "M1")
            .unwrap(),
        Some(message_id)
    );

    let docs = s.list_documents(10, 0).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].id, document_id);
    assert_eq!(docs[0].mesh_message_id.as_deref(), Some("M1"));
    assert_eq!(s.outbox().unwrap().len(), 1, "one response, not two");
    let stored_raw = s.message_raw(message_id).unwrap().unwrap();
    assert_eq!(stored_raw, raw, "the bytes are kept exactly");
}

/// Large messages are stored compressed and come back byte for byte; the list reports their
/// original size; damage to the stored bytes is reported, never passed off as the message.
#[test]
fn large_messages_are_stored_compressed_and_read_back_exactly() {
    let (_tmp, mut s) = store();
    let raw = format!(
        "<Bundle>{}</Bundle>",
        "<entry><text>Amoxicillin 500 mg three times a day for 5 days</text></entry>".repeat(400)
    );
    let out = put(
        &mut s,
        "BIG1",
        raw.as_bytes(),
        &doc("B9", "C9", None),
        &DocumentLinks::default(),
    );
    let message_id = out.outcome.message_id();
    let (encoding, stored_len, size): (String, i64, i64) = s
        .connection()
        .query_row(
            "SELECT raw_encoding, length(raw), raw_size FROM messages WHERE id = ?1",
            [message_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(encoding, "deflate");
    assert_eq!(size, raw.len() as i64);
    assert!(stored_len * 5 < size, "{stored_len} of {size}");
    assert_eq!(s.message_raw(message_id).unwrap().unwrap(), raw.as_bytes());
    let row = &s.list_documents(10, 0).unwrap()[0];
    let stored = s.document(row.id).unwrap().unwrap();
    assert_eq!(
        stored.message.size,
        raw.len() as u64,
        "the size received, not the size stored"
    );

    // Damage the stored bytes: reading them back is an error with its own code.
    s.connection()
        .execute(
            "UPDATE messages SET raw = zeroblob(length(raw)) WHERE id = ?1",
            [message_id],
        )
        .unwrap();
    let err = s.message_raw(message_id).unwrap_err();
    assert_eq!(err.code(), "message_bytes_damaged");
}

#[test]
fn duplicates_are_recorded_as_deliveries_of_the_original() {
    let (_t, mut s) = store();
    let document_id = stored_id(&put(
        &mut s,
        "M1",
        b"a",
        &doc("B1", "C1", None),
        &DocumentLinks::default(),
    ));
    for (source_id, code) in [("M2", "20007"), ("M3", "20008")] {
        let dup = s
            .ingest(
                &incoming(source_id, b"a"),
                Some("msg-B1"),
                Disposition::Duplicate { of: document_id },
                "[]",
                &ack(code),
            )
            .unwrap();
        assert_eq!(
            dup.outcome,
            IngestOutcome::Duplicate {
                message_id: dup.outcome.message_id(),
                existing_document_id: document_id
            }
        );
    }
    assert_eq!(s.document_counts().unwrap().total, 1);
    let codes: Vec<String> = s
        .outbox()
        .unwrap()
        .into_iter()
        .map(|o| o.response_code)
        .collect();
    assert_eq!(codes, ["20013", "20007", "20008"]);
    // Every delivery is kept and shown on the document.
    let deliveries = s.document_deliveries(document_id).unwrap();
    let seen: Vec<(&str, &str)> = deliveries
        .iter()
        .map(|d| (d.message.source_id.as_str(), d.outcome.as_str()))
        .collect();
    assert_eq!(
        seen,
        [("M1", "stored"), ("M2", "duplicate"), ("M3", "duplicate")]
    );
    assert_eq!(s.list_documents(5, 0).unwrap()[0].times_received, 3);
}

#[test]
fn documents_may_share_a_bundle_id_and_carry_their_issues() {
    let (_t, mut s) = store();
    let first = stored_id(&put(
        &mut s,
        "M1",
        b"a",
        &doc("B1", "C1", None),
        &DocumentLinks::default(),
    ));
    // Another patient's document reusing B1: kept as its own document, with issues on both.
    let mut other = doc("B1", "C9", None);
    other.nhs_number = Some("9434765870".into());
    other.content_sha256 = Some("other content".into());
    let links = DocumentLinks {
        issues: vec![
            IssueNote {
                on: IssueSubject::This,
                kind: IssueKind::IdentifierConflict,
                other: Some(IssueSubject::Stored(first)),
                detail: "reuses an id".into(),
            },
            IssueNote {
                on: IssueSubject::Stored(first),
                kind: IssueKind::IdentifierConflict,
                other: Some(IssueSubject::This),
                detail: "its id was reused".into(),
            },
        ],
        ..Default::default()
    };
    let second = stored_id(&put(&mut s, "M2", b"b", &other, &links));
    assert_ne!(first, second);
    assert_eq!(s.document_counts().unwrap().total, 2);
    let on_second = s.document_issues(second).unwrap();
    assert_eq!(on_second.len(), 1);
    assert_eq!(on_second[0].other_document_id, Some(first));
    assert_eq!(on_second[0].kind, IssueKind::IdentifierConflict);
    assert_eq!(
        s.document_issues(first).unwrap()[0].other_document_id,
        Some(second)
    );
    let rows = s.list_documents(5, 0).unwrap();
    assert!(rows.iter().all(|r| r.identity_warnings == 1), "{rows:?}");
    // What the policy reads back: both, by bundle id.
    let m = s
        .identity_matches(&DocumentIdentity {
            itk_message_id: Some("msg-B1"),
            document_bundle_id: Some("B1"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        m.same_bundle.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![first, second]
    );
    assert_eq!(m.same_message.len(), 2);
    assert_eq!(
        m.same_bundle[1].content_sha256.as_deref(),
        Some("other content")
    );
    assert_eq!(m.same_bundle[0].sender_org.as_deref(), Some("RA7"));
}

#[test]
fn a_replacement_supersedes_what_the_links_say_in_either_order() {
    let (_t, mut s) = store();
    let original = stored_id(&put(
        &mut s,
        "M1",
        b"1",
        &doc("B1", "C1", None),
        &DocumentLinks::default(),
    ));
    let m = s
        .identity_matches(&DocumentIdentity {
            replaces: Some("C1"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        m.named_by_replaces.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![original]
    );
    let out = put(
        &mut s,
        "M2",
        b"2",
        &doc("B2", "C2", Some("C1")),
        &DocumentLinks {
            supersedes: vec![original],
            ..Default::default()
        },
    );
    let IngestOutcome::Stored {
        document_id: replacement,
        superseded,
        ..
    } = out.outcome
    else {
        panic!()
    };
    assert_eq!(superseded, vec![original]);

    // Out of order: the replacement (B4 replaces C3) arrives before the document it replaces.
    let early = stored_id(&put(
        &mut s,
        "M4",
        b"4",
        &doc("B4", "C4", Some("C3")),
        &DocumentLinks::default(),
    ));
    let m = s
        .identity_matches(&DocumentIdentity {
            document_bundle_id: Some("B3"),
            composition_id: Some("C3"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        m.replacing.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![early]
    );
    let late = stored_id(&put(
        &mut s,
        "M3",
        b"3",
        &doc("B3", "C3", None),
        &DocumentLinks {
            superseded_by: Some(early),
            ..Default::default()
        },
    ));
    let by_id = |id: i64| {
        s.list_documents(10, 0)
            .unwrap()
            .into_iter()
            .find(|d| d.id == id)
            .unwrap()
    };
    assert_eq!(by_id(original).superseded_by, Some(replacement));
    assert_eq!(by_id(replacement).superseded_by, None);
    assert_eq!(by_id(late).superseded_by, Some(early));
    // A document already superseded is not named again.
    let m = s
        .identity_matches(&DocumentIdentity {
            replaces: Some("C1"),
            ..Default::default()
        })
        .unwrap();
    assert!(m.named_by_replaces.is_empty());
}

#[test]
fn download_failures_are_counted_until_the_message_is_stored() {
    let (_t, mut s) = store();
    let at = "2026-11-22T10:00:00Z";
    assert_eq!(
        s.note_download_failure(MessageSource::Mesh, "X26ABC1", "M9", "broken gzip", at)
            .unwrap(),
        1
    );
    assert_eq!(
        s.note_download_failure(MessageSource::Mesh, "X26ABC1", "M9", "broken gzip", at)
            .unwrap(),
        2
    );
    assert_eq!(
        s.note_download_failure(MessageSource::Mesh, "X26ABC1", "M8", "other", at)
            .unwrap(),
        1
    );
    s.ingest(
        &incoming("M9", b"\x1f\x8b broken"),
        None,
        Disposition::Quarantine {
            reason: "broken gzip",
        },
        "[]",
        &[],
    )
    .unwrap();
    // Stored: its count starts again (it will never be downloaded again anyway).
    assert_eq!(
        s.note_download_failure(MessageSource::Mesh, "X26ABC1", "M9", "x", at)
            .unwrap(),
        1
    );
}

#[test]
fn quarantine_keeps_the_bytes_and_the_reason() {
    let (_t, mut s) = store();
    let raw = b"\x00\x01 not xml at all";
    let mut inc = incoming("BAD", raw);
    inc.mailbox_meta = Some(r#"{"fault":null}"#);
    let out = s
        .ingest(
            &inc,
            None,
            Disposition::Quarantine {
                reason: "not XML or JSON",
            },
            r#"[{"severity":"fatal"}]"#,
            &ack("10009"),
        )
        .unwrap();
    let IngestOutcome::Quarantined { message_id } = out.outcome else {
        panic!()
    };
    let (reason, diags): (String, String) = s
        .connection()
        .query_row(
            "SELECT quarantine_reason, diagnostics FROM messages WHERE id = ?1",
            [message_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let bytes = s.message_raw(message_id).unwrap().unwrap();
    assert_eq!(reason, "not XML or JSON");
    assert_eq!(bytes, raw);
    assert!(diags.contains("fatal"));
    assert_eq!(s.document_counts().unwrap().quarantined, 1);
    assert_eq!(s.pending_outbox().unwrap()[0].response_code, "10009");
}

#[test]
fn a_failed_ingest_stores_nothing_and_queues_nothing() {
    let (_t, mut s) = store();
    // A response body that violates the outbox's CHECK constraint makes the whole transaction fail.
    let bad = vec![PlannedResponse {
        kind: "not-a-kind",
        response_code: "x".into(),
        to_mailbox: "x".into(),
        workflow_id: "x".into(),
        body: vec![],
    }];
    let d = doc("B1", "C1", None);
    let links = DocumentLinks::default();
    assert!(s
        .ingest(
            &incoming("M1", b"1"),
            None,
            Disposition::Document {
                document: &d,
                links: &links
            },
            "[]",
            &bad
        )
        .is_err());
    assert_eq!(
        s.find_message(MessageSource::Mesh, "X26ABC1", "M1")
            .unwrap(),
        None
    );
    assert_eq!(s.document_counts().unwrap().total, 0);
    assert!(s.outbox().unwrap().is_empty());
}

#[test]
fn outbox_and_sync_state_track_progress() {
    let (_t, mut s) = store();
    put(
        &mut s,
        "M1",
        b"1",
        &doc("B1", "C1", None),
        &DocumentLinks::default(),
    );
    let item = s.pending_outbox().unwrap().remove(0);
    s.outbox_attempt(item.id, "2026-11-22T10:00:01Z").unwrap();
    s.outbox_failed(item.id, "MESH said 500").unwrap();
    assert_eq!(s.pending_outbox().unwrap()[0].attempts, 2);
    s.outbox_sent(item.id, "OUT-1", "2026-11-22T10:00:02Z")
        .unwrap();
    assert!(s.pending_outbox().unwrap().is_empty());
    assert_eq!(
        s.outbox().unwrap()[0].mesh_message_id.as_deref(),
        Some("OUT-1")
    );

    assert_eq!(
        s.sync_state("X26ABC1").unwrap().health,
        MailboxHealth::Unknown
    );
    s.record_sync_attempt("X26ABC1", "2026-11-22T10:05:00Z")
        .unwrap();
    s.record_sync_failure(
        "X26ABC1",
        "2026-11-22T10:05:01Z",
        handover_errors::ErrorCode::MeshConnection,
        "connection refused",
    )
    .unwrap();
    let st = s.sync_state("X26ABC1").unwrap();
    assert_eq!(
        (st.health.as_str(), st.last_success_at.as_deref()),
        ("offline", None)
    );
    assert_eq!(
        st.last_error_code,
        Some(handover_errors::ErrorCode::MeshConnection)
    );
    let problems: Vec<SyncProblem> = (0..60)
        .map(|i| SyncProblem {
            kind: ProblemKind::Response,
            code: handover_errors::ErrorCode::MeshRejected,
            message: format!("response 20013 to RTH{i:02}: unknown recipient"),
            subject: Some(format!("response 20013 to RTH{i:02}")),
        })
        .collect();
    s.record_sync_success("X26ABC1", "2026-11-22T10:10:00Z", &problems)
        .unwrap();
    let st = s.sync_state("X26ABC1").unwrap();
    assert_eq!(st.health, MailboxHealth::Degraded);
    assert_eq!(st.last_success_at.as_deref(), Some("2026-11-22T10:10:00Z"));
    assert_eq!(st.last_error, None);
    // Kept for the app, capped, with a count of the rest.
    assert_eq!(st.problems.len(), MAX_KEPT_PROBLEMS);
    assert_eq!(st.problems[0], problems[0]);
    assert_eq!(st.more_problems, 10);
    s.record_sync_success("X26ABC1", "2026-11-22T10:15:00Z", &[])
        .unwrap();
    let st = s.sync_state("X26ABC1").unwrap();
    assert_eq!((st.health.as_str(), st.problems.len()), ("online", 0));
    assert_eq!(s.sync_states().unwrap().len(), 1);
}

fn record(i: usize, name: &str, nhs: &str, text: &str, kind: &str) -> DocumentRecord {
    {
        DocumentRecord {
            kind: DocumentKind::parse(kind).unwrap(),
            document_bundle_id: Some(format!("bundle-{i}")),
            nhs_number: Some(nhs.into()),
            patient_name: Some(name.into()),
            sender: Some(
                if i.is_multiple_of(2) {
                    "Leeds General"
                } else {
                    "St James's"
                }
                .into(),
            ),
            flags: r#"{"medication_changes":2,"attachments":1,"nhs_number_valid":true}"#.into(),
            model: "{}".into(),
            search_text: text.into(),
            ..Default::default()
        }
    }
}

#[test]
fn the_inbox_pages_filters_and_searches() {
    let (_t, mut s) = store();
    for i in 0..30usize {
        let id = format!("M{i:02}");
        let mut inc = incoming(&id, b"x");
        let at = format!("2026-11-{:02}T10:00:00Z", 1 + i % 28);
        inc.received_at = &at;
        let (name, nhs) = if i == 7 {
            ("PATEL, Anita", "9434765919")
        } else {
            ("JONES, Bob", "9990000018")
        };
        let text = if i == 7 {
            "Started apixaban 5 mg twice daily"
        } else {
            "Plan: review in clinic"
        };
        let kind = if i.is_multiple_of(3) {
            "emergency-discharge"
        } else {
            "inpatient-discharge"
        };
        let d = record(i, name, nhs, text, kind);
        let links = DocumentLinks::default();
        s.ingest(
            &inc,
            None,
            Disposition::Document {
                document: &d,
                links: &links,
            },
            "[]",
            &[],
        )
        .unwrap();
    }
    let page = s
        .query_documents(&ListQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((page.total, page.rows.len()), (30, 10));
    assert!(
        page.rows
            .windows(2)
            .all(|w| w[0].received_at >= w[1].received_at),
        "newest first"
    );
    assert_eq!(page.rows[0].flags.medication_changes, 2);
    // `list_documents` pages through the same rows for scripts.
    let all = s
        .query_documents(&ListQuery {
            limit: 30,
            ..Default::default()
        })
        .unwrap();
    let listed = s.list_documents(25, 10).unwrap();
    assert_eq!(listed.len(), 20);
    assert_eq!(listed, all.rows[10..].to_vec());
    assert!(listed.iter().all(|r| r.mesh_message_id.is_some()));
    let next = s
        .query_documents(&ListQuery {
            limit: 10,
            offset: 25,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(next.rows.len(), 5);

    let by_kind = s
        .query_documents(&ListQuery {
            kind: Some(DocumentKind::EmergencyDischarge),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_kind.total, 10);
    assert!(by_kind
        .rows
        .iter()
        .all(|r| r.kind == DocumentKind::EmergencyDischarge));
    // The same filter under a name sort: the same documents, in name order.
    let by_kind_name = s
        .query_documents(&ListQuery {
            kind: Some(DocumentKind::EmergencyDischarge),
            sort: Some(Sort::Patient),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_kind_name.total, 10);
    let mut ids: Vec<i64> = by_kind_name.rows.iter().map(|r| r.id).collect();
    let mut expected: Vec<i64> = by_kind.rows.iter().map(|r| r.id).collect();
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected);
    let names: Vec<String> = by_kind_name
        .rows
        .iter()
        .map(|r| r.patient_name.clone().unwrap().to_lowercase())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    let by_sender = s
        .query_documents(&ListQuery {
            sender: Some("St James's".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_sender.total, 15);

    for search in [
        "943 476 5919",
        "9434765919",
        "patel",
        "Anita",
        "apixab",
        "twice daily",
    ] {
        let hits = s
            .query_documents(&ListQuery {
                search: Some(search.into()),
                limit: 50,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(hits.total, 1, "search {search:?}");
        assert_eq!(hits.rows[0].patient_name.as_deref(), Some("PATEL, Anita"));
    }
    // FTS syntax in the input is taken literally, never as a query error.
    for odd in ["\"", "NOT", "a OR b", "*", "(", "review) AND (", ""] {
        s.query_documents(&ListQuery {
            search: Some(odd.into()),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    }
    // Punctuation alone searches for nothing: no documents, and a hint, never all of them.
    for odd in ["\"", "*", " ( ) ", "--"] {
        let page = s
            .query_documents(&ListQuery {
                search: Some(odd.into()),
                limit: 5,
                ..Default::default()
            })
            .unwrap();
        assert_eq!((page.total, page.rows.len()), (0, 0), "{odd:?}");
        assert!(page.search_hint.is_some(), "{odd:?}");
    }
    // An empty search is no search.
    let all = s
        .query_documents(&ListQuery {
            search: Some("  ".into()),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((all.total, all.search_hint), (30, None));

    let id = page.rows[0].id;
    let version = page.rows[0].version;
    let next = s
        .set_document_status(id, DocumentStatus::Filed, version)
        .unwrap();
    assert_eq!(next, version + 1);
    // A second desk acting on what it saw before the first change is refused,
    // and the document keeps the first change.
    match s.set_document_status(id, DocumentStatus::New, version) {
        Err(StoreError::DocumentChanged {
            expected, current, ..
        }) => assert_eq!((expected, current), (version, next)),
        other => panic!("stale change must be refused, got {other:?}"),
    }
    assert!(matches!(
        s.set_document_status(987_654, DocumentStatus::Filed, 1),
        Err(StoreError::DocumentNotFound { id: 987_654 })
    ));
    let filed = s
        .query_documents(&ListQuery {
            queue: Some(Queue::Filed),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        filed.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![id]
    );
    let doc = s.document(id).unwrap().unwrap();
    assert_eq!(
        doc.message.source_id, "M27",
        "the newest row is the one received on 28-Nov"
    );
    assert_eq!(
        s.senders().unwrap(),
        vec!["Leeds General".to_string(), "St James's".to_string()]
    );
}

/// The UI filters by UK days: it sends the UTC instants the days start. In summer a UK day
/// starts at 23:00 UTC the evening before.
#[test]
fn date_filters_take_utc_instants_for_uk_days() {
    let (_t, mut s) = store();
    // 22:30 UTC on 1 July is 23:30 on 1 July in the UK; 23:30 UTC is 00:30 on 2 July.
    for (i, at) in ["2026-07-01T22:30:00.000Z", "2026-07-01T23:30:00.000Z"]
        .into_iter()
        .enumerate()
    {
        let id = format!("D{i}");
        let mut inc = incoming(&id, b"x");
        inc.received_at = at;
        let d = doc(&format!("B{i}"), &format!("C{i}"), None);
        let links = DocumentLinks::default();
        s.ingest(
            &inc,
            None,
            Disposition::Document {
                document: &d,
                links: &links,
            },
            "[]",
            &[],
        )
        .unwrap();
    }
    let received = |from: &str, to: &str| -> Vec<String> {
        s.query_documents(&ListQuery {
            received_from: Some(from.into()),
            received_to: Some(to.into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.received_at)
        .collect()
    };
    // UK 2 July: [2026-07-01T23:00Z, 2026-07-02T23:00Z).
    assert_eq!(
        received("2026-07-01T23:00:00.000Z", "2026-07-02T23:00:00.000Z"),
        ["2026-07-01T23:30:00.000Z"]
    );
    // UK 1 July.
    assert_eq!(
        received("2026-06-30T23:00:00.000Z", "2026-07-01T23:00:00.000Z"),
        ["2026-07-01T22:30:00.000Z"]
    );
    // Bare dates are UTC days, whole days inclusive.
    assert_eq!(received("2026-07-01", "2026-07-01").len(), 2);
}
