//! Shared helpers for the integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::path::PathBuf;

pub fn corpus_dir() -> PathBuf {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    assert!(
        p.is_dir(),
        "the shared corpus is missing at {} (it is present in CI)",
        p.display()
    );
    p
}

pub fn files_in(sub: &str) -> Vec<PathBuf> {
    let dir = corpus_dir().join(sub);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no corpus files in {sub}");
    v
}

pub const DOC_DIRS: &[(&str, &str)] = &[
    ("inpatient-discharge", "inpatient-discharge"),
    ("emergency-discharge", "emergency-discharge"),
    ("mental-health-discharge", "mental-health-discharge"),
    ("outpatient-letter", "outpatient-letter"),
];

/// Every corpus document (path, expected kind).
pub fn corpus_documents() -> Vec<(PathBuf, &'static str)> {
    DOC_DIRS
        .iter()
        .flat_map(|(dir, kind)| files_in(dir).into_iter().map(move |p| (p, *kind)))
        .collect()
}

/// Words of all text nodes under `node`, read independently of the crate (roxmltree).
pub fn source_words(node: roxmltree::Node) -> Vec<String> {
    node.descendants()
        .filter(|n| n.is_text())
        .flat_map(|n| {
            n.text()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Assert that `text` holds every word of `words`, in order, and nothing but them.
pub fn assert_words_in_order(words: &[String], text: &str, ctx: &str) {
    let mut pos = 0;
    for w in words {
        match text[pos..].find(w.as_str()) {
            Some(i) => pos += i + w.len(),
            None => panic!("{ctx}: word {w:?} missing or out of order in {text:?}"),
        }
    }
    let a: String = words.concat();
    let b: String = text.split_whitespace().collect();
    assert_eq!(a, b, "{ctx}: text differs from the source narrative");
}

/// Wrap a bare document Bundle in the ITK3 envelope of the corpus (ITK-SendPayload-Valid-Example-3),
/// replacing its payload and setting the event code.
pub fn wrap_in_envelope(doc_xml: &str, event: &str) -> String {
    let env_path = corpus_dir().join("other/ITK-SendPayload-Valid-Example-3.xml");
    let env = std::fs::read_to_string(env_path).unwrap();
    let parsed = roxmltree::Document::parse(&env).unwrap();
    let focus = parsed
        .descendants()
        .find(|n| n.has_tag_name("focus"))
        .unwrap()
        .children()
        .find(|n| n.is_element())
        .unwrap()
        .attribute("value")
        .unwrap();
    let payload = parsed
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .find(|e| {
            e.children()
                .any(|c| c.has_tag_name("fullUrl") && c.attribute("value") == Some(focus))
        })
        .unwrap()
        .descendants()
        .find(|n| n.has_tag_name("Bundle"))
        .unwrap();
    let range = payload.range();
    let body = doc_xml.trim_start_matches('\u{feff}');
    let body = match body.find("?>") {
        Some(i) if body.trim_start().starts_with("<?xml") => &body[i + 2..],
        _ => body,
    };
    let mut out = String::new();
    out.push_str(&env[..range.start]);
    out.push_str(body);
    out.push_str(&env[range.end..]);
    for old in ["ITK003D", "ITK004D", "ITK005D", "ITK006D"] {
        out = out.replace(
            &format!("<code value=\"{old}\"/>"),
            &format!("<code value=\"{event}\"/>"),
        );
    }
    out
}

pub fn event_for(kind: &str) -> &'static str {
    match kind {
        "inpatient-discharge" => "ITK003D",
        "mental-health-discharge" => "ITK004D",
        "emergency-discharge" => "ITK005D",
        _ => "ITK006D",
    }
}
