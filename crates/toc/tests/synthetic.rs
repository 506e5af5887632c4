//! What the corpus tests check on the NHS examples (`corpus.rs`), checked on the project's own
//! generated messages, so that a clone without the corpus still tests all of it: every section
//! and every narrative word against the source, medicines and allergies counted, bare document
//! Bundles and wrapped messages parsing to the same document. (Legacy responses: `model.rs`;
//! every response code round-tripping with its element paths: `responses.rs`.)

mod common;
use common::*;
use handover_toc::{parse, InputFormat};

fn xml_fixtures() -> Vec<handover_fixtures::Fixture> {
    [3u64, 7, 2026]
        .into_iter()
        .flat_map(|seed| handover_fixtures::generate(16, seed))
        .filter(|f| f.format == InputFormat::Xml)
        .collect()
}

#[test]
fn every_generated_document_parses_with_all_sections_and_text() {
    let fixtures = xml_fixtures();
    let kinds: std::collections::BTreeSet<_> = fixtures.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(kinds.len(), 4, "all four kinds: {kinds:?}");
    for f in fixtures {
        let xml = String::from_utf8(f.bytes.clone()).unwrap();
        check_document_against_source(&xml, f.kind.as_str(), &f.file_name);
        // The bare document Bundle, as the NHS examples are published, too.
        let bare = document_bundle_of(&xml);
        check_document_against_source(&bare, f.kind.as_str(), &format!("{} (bare)", f.file_name));
    }
}

#[test]
fn bare_and_wrapped_documents_parse_to_the_same_document() {
    for f in xml_fixtures() {
        let xml = String::from_utf8(f.bytes.clone()).unwrap();
        let wrapped = parse(xml.as_bytes());
        let bare_xml = document_bundle_of(&xml);
        let bare = parse(bare_xml.as_bytes());
        assert!(bare.message.is_none(), "{}", f.file_name);
        assert!(wrapped.message.is_some(), "{}", f.file_name);
        assert_eq!(wrapped.document, bare.document, "{}", f.file_name);
        // And put back into an envelope (as the corpus test wraps the NHS examples).
        let rewrapped = wrap_in(&xml, &bare_xml, event_for(f.kind.as_str()));
        assert_eq!(parse(rewrapped.as_bytes()).document, bare.document);
    }
}
