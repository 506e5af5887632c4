//! Arbitrary and mutated input never panics and never hangs; kept regressions re-run.

mod common;
use common::*;
use handover_toc::{parse, Severity};
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Messages to mutate: the NHS examples where the corpus is present, the kept regressions
/// (including a legacy response), and generated messages of every kind.
fn seeds() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = corpus_documents()
        .into_iter()
        .map(|(p, _)| std::fs::read(p).unwrap())
        .collect();
    if let Some(corpus) = corpus() {
        for name in [
            "acknowledgements/ITK-Response-20013-Example-1.xml",
            "acknowledgements/ITK-InfAck-Success-Example-2.xml",
        ] {
            v.push(std::fs::read(corpus.join(name)).unwrap());
        }
    }
    for entry in
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions")).unwrap()
    {
        v.push(std::fs::read(entry.unwrap().path()).unwrap());
    }
    v.extend(
        handover_fixtures::generate(5, 1)
            .into_iter()
            .map(|f| f.bytes),
    );
    v
}

/// Parse with a time bound: a hang shows up as a failure, not a stuck suite.
fn parse_bounded(bytes: &[u8]) -> handover_toc::Parsed {
    let start = Instant::now();
    let p = parse(bytes);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "parse took {:?} for {} bytes",
        start.elapsed(),
        bytes.len()
    );
    // Every diagnostic is well-formed.
    for d in &p.diagnostics {
        assert!(!d.message.is_empty());
    }
    if p.is_fatal() {
        assert!(p
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Fatal && d.itk_code.is_some()));
    }
    p
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Duplicate(usize, usize, usize),
    Truncate(usize),
    Insert(usize, Vec<u8>),
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if data.is_empty() {
            break;
        }
        let n = data.len();
        match m {
            Mutation::Flip(i, b) => data[i % n] ^= b | 1,
            Mutation::Delete(i, len) => {
                let s = i % n;
                let e = (s + len % 512).min(n);
                data.drain(s..e);
            }
            Mutation::Duplicate(i, len, at) => {
                let s = i % n;
                let e = (s + len % 4096).min(n);
                let chunk = data[s..e].to_vec();
                let at = at % data.len();
                data.splice(at..at, chunk);
            }
            Mutation::Truncate(i) => data.truncate(i % n),
            Mutation::Insert(i, bytes) => {
                let at = i % n;
                data.splice(at..at, bytes.iter().copied());
            }
        }
    }
    data
}

fn tokens() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"<script>".to_vec()),
        Just(b"<!DOCTYPE x [<!ENTITY a \"aa\">]>".to_vec()),
        Just(b"&amp;".to_vec()),
        Just(b"<div xmlns=\"http://www.w3.org/1999/xhtml\">".to_vec()),
        Just(b"</div>".to_vec()),
        Just(b"<section>".to_vec()),
        Just(b"<entry><resource><Bundle>".to_vec()),
        Just(vec![0xff, 0xfe, 0x00]),
        prop::collection::vec(any::<u8>(), 0..16),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, l)| Mutation::Delete(i, l)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(i, l, a)| Mutation::Duplicate(i, l, a)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), tokens()).prop_map(|(i, t)| Mutation::Insert(i, t)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_corpus_never_panics(seed in 0usize..1000, muts in prop::collection::vec(mutation(), 1..6)) {
        let seeds = seeds_cached();
        let input = apply(seeds[seed % seeds.len()].clone(), &muts);
        parse_bounded(&input);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_bounded(&data);
        let mut xml = b"<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"document\"/>".to_vec();
        xml.extend(&data);
        parse_bounded(&xml);
        let mut json = b"{\"resourceType\":\"Bundle\",\"type\":\"message\",\"entry\":[".to_vec();
        json.extend(&data);
        parse_bounded(&json);
    }
}

fn seeds_cached() -> &'static Vec<Vec<u8>> {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(seeds)
}

#[test]
fn doctype_and_entities_are_refused() {
    let billion = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><Bundle xmlns="http://hl7.org/fhir"><id value="&lol2;"/></Bundle>"#;
    let p = parse_bounded(billion);
    assert!(p.is_fatal());
    assert_eq!(p.diagnostics[0].itk_code, Some(10009));
    assert!(p.diagnostics[0].message.contains("DOCTYPE"));
    let xxe = br#"<!DOCTYPE Bundle [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Bundle xmlns="http://hl7.org/fhir"><id value="&xxe;"/></Bundle>"#;
    assert!(parse_bounded(xxe).is_fatal());
}

#[test]
fn deep_nesting_is_bounded() {
    for depth in [200usize, 5_000, 100_000] {
        let mut xml =
            String::from("<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"document\"/>");
        xml.push_str(&"<entry>".repeat(depth));
        xml.push_str(&"</entry>".repeat(depth));
        xml.push_str("</Bundle>");
        let p = parse_bounded(xml.as_bytes());
        assert!(
            p.diagnostics.iter().any(|d| d.severity >= Severity::Error),
            "depth {depth}"
        );
        // Deep narrative keeps its text.
        let mut div = String::from("<div xmlns=\"http://www.w3.org/1999/xhtml\">");
        div.push_str(&"<span>".repeat(depth.min(20_000)));
        div.push_str("deepword");
        div.push_str(&"</span>".repeat(depth.min(20_000)));
        div.push_str("</div>");
        let doc = format!(
            "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"document\"/><entry><resource><Composition><section><title value=\"x\"/><text>{div}</text></section></Composition></resource></entry></Bundle>"
        );
        let p = parse_bounded(doc.as_bytes());
        assert!(
            p.document.unwrap().sections[0].text.contains("deepword"),
            "depth {depth}"
        );
    }
    let json = format!(
        "{{\"resourceType\":\"Bundle\",\"a\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(parse_bounded(json.as_bytes()).is_fatal());
}

#[test]
fn huge_input_is_bounded() {
    let big = vec![b' '; handover_toc::MAX_INPUT_BYTES + 1];
    let p = parse_bounded(&big);
    assert!(p.is_fatal());
    assert_eq!(p.diagnostics[0].itk_code, Some(20015));
    // Over 5 MB but readable: an error, not fatal.
    let f = handover_fixtures::sized(9, 40 * 1024);
    let text = String::from_utf8(f).unwrap();
    let padded = text.replacen(
        "<p>",
        &format!("<p>{} ", "lorem ".repeat(6 * 1024 * 1024 / 6)),
        1,
    );
    let p = parse_bounded(padded.as_bytes());
    assert!(!p.is_fatal());
    assert!(p
        .diagnostics
        .iter()
        .any(|d| d.itk_code == Some(20015) && d.severity == Severity::Error));
}

#[test]
fn kept_regressions_parse_without_panicking() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "md") {
            continue;
        }
        parse_bounded(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {dir}");
}
