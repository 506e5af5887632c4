use super::*;

fn store() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(&tmp.path().join("t.db"), &DbKey::generate()).unwrap();
    (tmp, store)
}

fn incoming<'a>(source_id: &'a str, raw: &'a [u8]) -> Incoming<'a> {
    Incoming {
        source: "mesh",
        mailbox: "X26ABC1",
        source_id,
        workflow_id: Some("TOC_FHIR_IP_DISCH"),
        sender_mailbox: Some("X26ABC2"),
        received_at: "2026-11-22T10:00:00Z",
        raw,
        body: None,
    }
}

fn doc(bundle: &str, composition: &str, replaces: Option<&str>) -> Classification {
    Classification::Document {
        itk_message_id: Some(format!("msg-{bundle}")),
        document: Box::new(DocumentRecord {
            kind: "inpatient-discharge".into(),
            document_bundle_id: Some(bundle.into()),
            composition_id: Some(composition.into()),
            replaces: replaces.map(Into::into),
            nhs_number: Some("9434765919".into()),
            patient_name: Some("SMITH, Jane".into()),
            model: "{}".into(),
            ..Default::default()
        }),
    }
}

fn ack(outcome: &IngestOutcome) -> Vec<PlannedResponse> {
    let code = match outcome {
        IngestOutcome::Stored { .. } => "20013",
        IngestOutcome::DuplicateMessage { .. } => "20007",
        IngestOutcome::DuplicateDocument { .. } => "20008",
        IngestOutcome::Quarantined { .. } => "10009",
        _ => return vec![],
    };
    vec![PlannedResponse {
        kind: "infrastructure",
        response_code: code.into(),
        to_mailbox: "X26ABC2".into(),
        workflow_id: "TOC_FHIR_IP_DISCH_ACK".into(),
        body: code.as_bytes().to_vec(),
    }]
}

#[test]
fn a_document_is_stored_once_however_often_it_is_delivered() {
    let (_t, mut s) = store();
    let raw = b"<Bundle>one</Bundle>";
    let first = s
        .ingest(&incoming("M1", raw), &doc("B1", "C1", None), "[]", ack)
        .unwrap();
    let IngestOutcome::Stored {
        message_id,
        document_id,
        ref superseded,
    } = first
    else {
        panic!("{first:?}")
    };
    assert!(superseded.is_empty());

    // Re-delivered under the same MESH id (say, the ack was lost): nothing new, no new response.
    let again = s
        .ingest(&incoming("M1", raw), &doc("B1", "C1", None), "[]", ack)
        .unwrap();
    assert_eq!(again, IngestOutcome::AlreadyStored { message_id });
    assert_eq!(
        s.find_message("mesh", "X26ABC1", "M1").unwrap(),
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
    let out = s
        .ingest(
            &incoming("BIG1", raw.as_bytes()),
            &doc("B9", "C9", None),
            "[]",
            |_| vec![],
        )
        .unwrap();
    let message_id = out.message_id();
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
fn duplicates_are_recorded_against_the_original() {
    let (_t, mut s) = store();
    let first = s
        .ingest(&incoming("M1", b"a"), &doc("B1", "C1", None), "[]", ack)
        .unwrap();
    let IngestOutcome::Stored { document_id, .. } = first else {
        panic!()
    };

    // Same ITK message under a new MESH id: 20007.
    let dup_msg = s
        .ingest(&incoming("M2", b"a"), &doc("B1", "C1", None), "[]", ack)
        .unwrap();
    assert!(
        matches!(dup_msg, IngestOutcome::DuplicateMessage { existing_document_id, .. } if existing_document_id == document_id)
    );

    // Same document bundle in a different ITK message: 20008.
    let other = Classification::Document {
        itk_message_id: Some("another-message".into()),
        document: Box::new(DocumentRecord {
            document_bundle_id: Some("B1".into()),
            model: "{}".into(),
            kind: "x".into(),
            ..Default::default()
        }),
    };
    let dup_doc = s.ingest(&incoming("M3", b"b"), &other, "[]", ack).unwrap();
    assert!(
        matches!(dup_doc, IngestOutcome::DuplicateDocument { existing_document_id, .. } if existing_document_id == document_id)
    );

    assert_eq!(s.document_counts().unwrap().total, 1);
    let codes: Vec<String> = s
        .outbox()
        .unwrap()
        .into_iter()
        .map(|o| o.response_code)
        .collect();
    assert_eq!(codes, ["20013", "20007", "20008"]);
    let outcomes: Vec<String> = s
        .connection()
        .prepare("SELECT outcome FROM messages ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        outcomes,
        ["stored", "duplicate", "duplicate"],
        "every delivery is kept"
    );
}

#[test]
fn a_replacement_supersedes_its_original_in_either_order() {
    let (_t, mut s) = store();
    let IngestOutcome::Stored {
        document_id: original,
        ..
    } = s
        .ingest(&incoming("M1", b"1"), &doc("B1", "C1", None), "[]", ack)
        .unwrap()
    else {
        panic!()
    };
    let IngestOutcome::Stored {
        document_id: replacement,
        superseded,
        ..
    } = s
        .ingest(
            &incoming("M2", b"2"),
            &doc("B2", "C2", Some("C1")),
            "[]",
            ack,
        )
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(superseded, vec![original]);

    // Out of order: the replacement (B4 replaces C3) arrives before the document it replaces.
    let IngestOutcome::Stored {
        document_id: early, ..
    } = s
        .ingest(
            &incoming("M4", b"4"),
            &doc("B4", "C4", Some("C3")),
            "[]",
            ack,
        )
        .unwrap()
    else {
        panic!()
    };
    let IngestOutcome::Stored {
        document_id: late, ..
    } = s
        .ingest(&incoming("M3", b"3"), &doc("B3", "C3", None), "[]", ack)
        .unwrap()
    else {
        panic!()
    };
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
}

#[test]
fn quarantine_keeps_the_bytes_and_the_reason() {
    let (_t, mut s) = store();
    let raw = b"\x00\x01 not xml at all";
    let q = Classification::Quarantine {
        itk_message_id: None,
        reason: "not XML or JSON".into(),
    };
    let out = s
        .ingest(&incoming("BAD", raw), &q, r#"[{"severity":"fatal"}]"#, ack)
        .unwrap();
    let IngestOutcome::Quarantined { message_id } = out else {
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
    let bad = |_: &IngestOutcome| {
        vec![PlannedResponse {
            kind: "not-a-kind",
            response_code: "x".into(),
            to_mailbox: "x".into(),
            workflow_id: "x".into(),
            body: vec![],
        }]
    };
    assert!(s
        .ingest(&incoming("M1", b"1"), &doc("B1", "C1", None), "[]", bad)
        .is_err());
    assert_eq!(s.find_message("mesh", "X26ABC1", "M1").unwrap(), None);
    assert_eq!(s.document_counts().unwrap().total, 0);
    assert!(s.outbox().unwrap().is_empty());
}

#[test]
fn outbox_and_sync_state_track_progress() {
    let (_t, mut s) = store();
    s.ingest(&incoming("M1", b"1"), &doc("B1", "C1", None), "[]", ack)
        .unwrap();
    let item = s.pending_outbox().unwrap().remove(0);
    s.outbox_attempt(item.id, "2026-11-22T10:00:01Z").unwrap();
    s.outbox_failed(item.id, "MESH said 500").unwrap();
    assert_eq!(s.pending_outbox().unwrap()[0].attempts, 1);
    s.outbox_sent(item.id, "OUT-1", "2026-11-22T10:00:02Z")
        .unwrap();
    assert!(s.pending_outbox().unwrap().is_empty());
    assert_eq!(
        s.outbox().unwrap()[0].mesh_message_id.as_deref(),
        Some("OUT-1")
    );

    assert_eq!(s.sync_state("X26ABC1").unwrap().health, "unknown");
    s.record_sync_attempt("X26ABC1", "2026-11-22T10:05:00Z")
        .unwrap();
    s.record_sync_failure(
        "X26ABC1",
        "2026-11-22T10:05:01Z",
        "mesh_unreachable",
        "connection refused",
    )
    .unwrap();
    let st = s.sync_state("X26ABC1").unwrap();
    assert_eq!(
        (st.health.as_str(), st.last_success_at.as_deref()),
        ("offline", None)
    );
    assert_eq!(st.last_error_code.as_deref(), Some("mesh_unreachable"));
    let problems: Vec<String> = (0..60)
        .map(|i| format!("response 20013 to RTH{i:02}: [mesh.rejected] unknown recipient"))
        .collect();
    s.record_sync_success("X26ABC1", "2026-11-22T10:10:00Z", &problems)
        .unwrap();
    let st = s.sync_state("X26ABC1").unwrap();
    assert_eq!(st.health, "degraded");
    assert_eq!(st.last_success_at.as_deref(), Some("2026-11-22T10:10:00Z"));
    assert_eq!(st.last_error, None);
    // Kept for the app, capped, with a count of the rest.
    assert_eq!(st.problems.len(), MAX_KEPT_PROBLEMS + 1);
    assert_eq!(st.problems[0], problems[0]);
    assert_eq!(st.problems[MAX_KEPT_PROBLEMS], "… and 10 more");
    s.record_sync_success("X26ABC1", "2026-11-22T10:15:00Z", &[])
        .unwrap();
    let st = s.sync_state("X26ABC1").unwrap();
    assert_eq!((st.health.as_str(), st.problems.len()), ("online", 0));
    assert_eq!(s.sync_states().unwrap().len(), 1);
}

fn record(i: usize, name: &str, nhs: &str, text: &str, kind: &str) -> Classification {
    Classification::Document {
        itk_message_id: Some(format!("msg-{i}")),
        document: Box::new(DocumentRecord {
            kind: kind.into(),
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
        }),
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
        s.ingest(&inc, &record(i, name, nhs, text, kind), "[]", |_| vec![])
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
            kind: Some("emergency-discharge".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_kind.total, 10);
    assert!(by_kind.rows.iter().all(|r| r.kind == "emergency-discharge"));
    // The same filter under a name sort: the same documents, in name order.
    let by_kind_name = s
        .query_documents(&ListQuery {
            kind: Some("emergency-discharge".into()),
            sort: Some("patient".into()),
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

    let id = page.rows[0].id;
    assert!(s.set_document_status(id, "filed").unwrap());
    let filed = s
        .query_documents(&ListQuery {
            queue: Some("filed".into()),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        filed.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![id]
    );
    assert!(
        s.set_document_status(id, "bogus").is_err(),
        "the CHECK constraint holds"
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
        s.ingest(
            &inc,
            &doc(&format!("B{i}"), &format!("C{i}"), None),
            "[]",
            |_| vec![],
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
