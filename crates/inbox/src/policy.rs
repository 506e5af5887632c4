//! What a new document is, given the documents already stored that share its identifiers: the
//! same document again (a duplicate), a replacement of an earlier one, or a document of its own
//! that happens to reuse an identifier. Decided here; the store records the decision.
//!
//! The rules (ARCHITECTURE.md, invariants):
//! - **A duplicate is the same content.** A message is a duplicate only when it shares an
//!   identifier (the ITK3 MessageHeader id: 20007; the document Bundle id: 20008) with a stored
//!   document *and* its content hash is equal. A document that reuses an identifier with other
//!   content is stored and shown as its own document, with an "identifier conflict" warning on
//!   both, and answered as received (never as a duplicate).
//! - **A replacement supersedes only its own.** It supersedes a document it names only when
//!   both come from the same sending organisation (ODS code) about the same NHS number. Else
//!   nothing is superseded, both carry a "replacement does not match" warning, and the sender is
//!   answered 20014 (unable to process the replacement). The same holds whichever arrives first.

use handover_store::{
    DocumentLinks, DocumentRecord, IdentityMatches, IssueKind, IssueNote, IssueSubject,
    PriorDocument,
};

use handover_toc::ResponseCode;

/// What the policy decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The same document again: recorded as another delivery of document `of`.
    Duplicate { of: i64, code: ResponseCode },
    /// A document of its own, with its links to stored documents.
    Document {
        links: DocumentLinks,
        /// The infrastructure response it earns: 20013, or 20014 for a replacement that does
        /// not match what it names.
        code: ResponseCode,
    },
}

fn same_text(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            let norm = |s: &str| -> String {
                s.chars()
                    .filter(|c| !c.is_whitespace())
                    .flat_map(char::to_uppercase)
                    .collect()
            };
            let (a, b) = (norm(a), norm(b));
            !a.is_empty() && a == b
        }
        _ => false,
    }
}

/// Same sending organisation and same patient: what a replacement must share with what it
/// replaces. Unknown on either side is not the same.
fn same_source(a: &PriorDocument, record: &DocumentRecord) -> bool {
    same_text(&a.sender_org, &record.sender_org) && same_text(&a.nhs_number, &record.nhs_number)
}

fn why_not_same(a: &PriorDocument, record: &DocumentRecord) -> &'static str {
    match (
        same_text(&a.sender_org, &record.sender_org),
        same_text(&a.nhs_number, &record.nhs_number),
    ) {
        (false, false) => "from another sender, about another patient",
        (false, true) => "from another sender",
        (true, false) => "about another patient",
        (true, true) => "",
    }
}

/// A warning on both documents: on the new one (`here`) and on the stored one `other` (`there`),
/// each naming the other.
fn warn_both(links: &mut DocumentLinks, kind: IssueKind, other: i64, here: String, there: String) {
    links.issues.push(IssueNote {
        on: IssueSubject::This,
        kind,
        other: Some(IssueSubject::Stored(other)),
        detail: here,
    });
    links.issues.push(IssueNote {
        on: IssueSubject::Stored(other),
        kind,
        other: Some(IssueSubject::This),
        detail: there,
    });
}

/// Decides what `record` is, given the stored documents its identifiers lead to.
pub fn place(record: &DocumentRecord, matches: &IdentityMatches) -> Placement {
    // The same content under a shared identifier: a duplicate (20007 by message id first).
    let equal = |p: &&PriorDocument| {
        p.content_sha256.is_some() && p.content_sha256 == record.content_sha256
    };
    if let Some(p) = matches.same_message.iter().find(equal) {
        return Placement::Duplicate {
            of: p.id,
            code: ResponseCode::DuplicateMessage,
        };
    }
    if let Some(p) = matches.same_bundle.iter().find(equal) {
        return Placement::Duplicate {
            of: p.id,
            code: ResponseCode::DuplicateDocument,
        };
    }

    let mut links = DocumentLinks::default();
    let mut code = ResponseCode::Success;
    // Other content under a shared identifier: its own document, with a warning on both.
    let mut conflicting: Vec<(&PriorDocument, &str)> = Vec::new();
    for p in &matches.same_message {
        conflicting.push((p, "ITK3 message id"));
    }
    for p in &matches.same_bundle {
        if !conflicting.iter().any(|(q, _)| q.id == p.id) {
            conflicting.push((p, "document Bundle id"));
        }
    }
    for (p, what) in conflicting {
        let patient = if same_text(&p.nhs_number, &record.nhs_number) {
            "the same patient, with other content"
        } else {
            "another patient"
        };
        warn_both(
            &mut links,
            IssueKind::IdentifierConflict,
            p.id,
            format!(
                "This document reuses the {what} of document {} ({patient}). Both are kept; neither replaces the other.",
                p.id
            ),
            format!(
                "A later document was sent with this document's {what} ({patient}). Both are kept; neither replaces the other."
            ),
        );
    }

    // A replacement: it supersedes what it names only from the same sender about the same
    // patient.
    for p in &matches.named_by_replaces {
        if same_source(p, record) {
            links.supersedes.push(p.id);
        } else {
            code = ResponseCode::ReplacementNotProcessed;
            let why = why_not_same(p, record);
            warn_both(
                &mut links,
                IssueKind::ReplacementMismatch,
                p.id,
                format!(
                    "This document says it replaces document {}, which is {why}. Nothing was replaced: both are shown.",
                    p.id
                ),
                format!(
                    "A later document, {why}, says it replaces this one. It was not allowed to: this document is still current."
                ),
            );
        }
    }
    // A replacement received before this document: it supersedes this one if it is its own.
    for r in &matches.replacing {
        if same_source(r, record) {
            if links.superseded_by.is_none() {
                links.superseded_by = Some(r.id);
            }
        } else {
            let why = why_not_same(r, record);
            warn_both(
                &mut links,
                IssueKind::ReplacementMismatch,
                r.id,
                format!(
                    "Document {}, received earlier and {why}, says it replaces this one. It was not allowed to: this document is current.",
                    r.id
                ),
                format!(
                    "The document this one says it replaces has arrived; it is {why}. Nothing was replaced: both are shown."
                ),
            );
        }
    }
    Placement::Document { links, code }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sha: &str, org: &str, nhs: &str) -> DocumentRecord {
        DocumentRecord {
            content_sha256: Some(sha.into()),
            sender_org: Some(org.into()),
            nhs_number: Some(nhs.into()),
            ..Default::default()
        }
    }

    fn prior(id: i64, sha: Option<&str>, org: &str, nhs: &str) -> PriorDocument {
        PriorDocument {
            id,
            document_bundle_id: None,
            composition_id: None,
            replaces: None,
            nhs_number: Some(nhs.into()),
            sender_org: Some(org.into()),
            content_sha256: sha.map(Into::into),
            superseded_by: None,
        }
    }

    #[test]
    fn equal_content_under_a_shared_id_is_a_duplicate() {
        let r = record("h1", "RA7", "9434765919");
        let m = IdentityMatches {
            same_message: vec![prior(4, Some("h1"), "RA7", "9434765919")],
            ..Default::default()
        };
        assert_eq!(
            place(&r, &m),
            Placement::Duplicate {
                of: 4,
                code: ResponseCode::DuplicateMessage
            }
        );
        let m = IdentityMatches {
            same_bundle: vec![prior(5, Some("h1"), "RA7", "9434765919")],
            ..Default::default()
        };
        assert_eq!(
            place(&r, &m),
            Placement::Duplicate {
                of: 5,
                code: ResponseCode::DuplicateDocument
            }
        );
    }

    #[test]
    fn other_content_under_a_shared_id_is_kept_with_a_warning_on_both() {
        let r = record("h2", "RA7", "9434765870");
        for m in [
            IdentityMatches {
                same_bundle: vec![prior(5, Some("h1"), "RA7", "9434765919")],
                ..Default::default()
            },
            // A document stored before content hashes were kept is never taken as equal.
            IdentityMatches {
                same_message: vec![prior(5, None, "RA7", "9434765919")],
                ..Default::default()
            },
        ] {
            let Placement::Document { links, code } = place(&r, &m) else {
                panic!("a different document must be kept")
            };
            assert_eq!(code, ResponseCode::Success);
            assert!(links.supersedes.is_empty());
            assert_eq!(links.issues.len(), 2);
            assert!(links
                .issues
                .iter()
                .all(|i| i.kind == IssueKind::IdentifierConflict));
            assert!(links.issues[0].detail.contains("another patient"));
            assert_eq!(links.issues[1].on, IssueSubject::Stored(5));
        }
    }

    #[test]
    fn a_replacement_supersedes_only_the_same_sender_and_patient() {
        let r = record("h9", "RA7", "943 476 5919");
        let m = IdentityMatches {
            named_by_replaces: vec![
                prior(1, Some("h1"), "ra7", "9434765919"),
                prior(2, Some("h2"), "RXX", "9434765919"),
                prior(3, Some("h3"), "RA7", "9434765870"),
            ],
            ..Default::default()
        };
        let Placement::Document { links, code } = place(&r, &m) else {
            panic!()
        };
        assert_eq!(links.supersedes, vec![1]);
        assert_eq!(code, ResponseCode::ReplacementNotProcessed);
        let on_others: Vec<_> = links
            .issues
            .iter()
            .filter(|i| i.kind == IssueKind::ReplacementMismatch)
            .map(|i| i.on)
            .collect();
        assert!(on_others.contains(&IssueSubject::Stored(2)));
        assert!(on_others.contains(&IssueSubject::Stored(3)));
        assert!(links
            .issues
            .iter()
            .any(|i| i.detail.contains("from another sender")));
        assert!(links
            .issues
            .iter()
            .any(|i| i.detail.contains("about another patient")));
    }

    #[test]
    fn an_original_after_its_replacement_is_superseded_only_by_its_own() {
        let r = record("h1", "RA7", "9434765919");
        let m = IdentityMatches {
            replacing: vec![prior(8, Some("h8"), "RA7", "9434765919")],
            ..Default::default()
        };
        let Placement::Document { links, code } = place(&r, &m) else {
            panic!()
        };
        assert_eq!(
            (links.superseded_by, code),
            (Some(8), ResponseCode::Success)
        );
        let m = IdentityMatches {
            replacing: vec![prior(8, Some("h8"), "RXX", "9434765870")],
            ..Default::default()
        };
        let Placement::Document { links, .. } = place(&r, &m) else {
            panic!()
        };
        assert_eq!(links.superseded_by, None);
        assert_eq!(links.issues.len(), 2);
    }

    #[test]
    fn unknown_sender_or_patient_never_supersedes() {
        let mut r = record("h9", "RA7", "9434765919");
        r.sender_org = None;
        let m = IdentityMatches {
            named_by_replaces: vec![prior(1, Some("h1"), "RA7", "9434765919")],
            ..Default::default()
        };
        let Placement::Document { links, .. } = place(&r, &m) else {
            panic!()
        };
        assert!(links.supersedes.is_empty());
    }
}
