//! Shared helpers for the integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::path::PathBuf;

/// The public NHS example files (their licence is unstated, so they are read in place and
/// never copied into the repository): `HANDOVER_CORPUS`, else `../shared/corpus` beside the
/// clone. None when neither is there: the corpus tests then say so and do not run (a fresh
/// clone tests the same behaviours on the project's own synthetic messages); `make corpus`
/// fetches them. A `HANDOVER_CORPUS` that does not exist is a mistake, and fails.
pub fn corpus() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("HANDOVER_CORPUS").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "HANDOVER_CORPUS is {}, which is not a directory",
            dir.display()
        );
        return Some(dir);
    }
    let beside = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    if beside.is_dir() {
        return Some(beside);
    }
    eprintln!(
        "NHS corpus not found (set HANDOVER_CORPUS, or run `make corpus`): this corpus test did not run"
    );
    None
}

/// The corpus directory, for tests that have already checked [`corpus`] is present.
pub fn corpus_dir() -> PathBuf {
    corpus().expect("the corpus is present")
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

/// Every corpus document (path, expected kind); empty when the corpus is not present.
pub fn corpus_documents() -> Vec<(PathBuf, &'static str)> {
    if corpus().is_none() {
        return vec![];
    }
    DOC_DIRS
        .iter()
        .flat_map(|(dir, kind)| files_in(dir).into_iter().map(move |p| (p, *kind)))
        .collect()
}

fn resources<'a>(doc: &'a roxmltree::Document, name: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.has_tag_name(name) && n.parent().is_some_and(|p| p.has_tag_name("resource")))
        .collect()
}

/// Checks the parse of one XML document or message against its source, read independently
/// (roxmltree): the kind, every section in order with its title and every word of its
/// narrative, sanitised HTML well-formed and script-free, one medicine per MedicationStatement
/// and one allergy per AllergyIntolerance (and per list item), and the patient. What the corpus
/// tests check on the NHS examples and the synthetic tests on the project's own messages.
pub fn check_document_against_source(xml: &str, kind: &str, name: &str) {
    use handover_toc::parse;
    let p = parse(xml.as_bytes());
    assert!(!p.is_fatal(), "{name}: fatal {:?}", p.diagnostics);
    assert_eq!(p.kind.as_str(), kind, "{name}");
    let d = p
        .document
        .as_ref()
        .unwrap_or_else(|| panic!("{name}: no document"));
    let src = roxmltree::Document::parse(xml).unwrap();
    let comp = resources(&src, "Composition")[0];
    let src_sections: Vec<_> = comp
        .descendants()
        .filter(|n| n.has_tag_name("section"))
        .collect();
    assert_eq!(
        d.sections.len(),
        src_sections.len(),
        "{name}: section count"
    );
    for (sec, src_sec) in d.sections.iter().zip(&src_sections) {
        let title = src_sec
            .children()
            .find(|c| c.has_tag_name("title"))
            .and_then(|t| t.attribute("value"));
        assert_eq!(sec.title.as_deref(), title, "{name}: section title");
        let div = src_sec
            .children()
            .find(|c| c.has_tag_name("text"))
            .and_then(|t| t.children().find(|c| c.has_tag_name("div")))
            .unwrap();
        assert_words_in_order(
            &narrative_words(div),
            &sec.text,
            &format!("{name} / {title:?}"),
        );
        assert!(!sec.html.to_ascii_lowercase().contains("<script"), "{name}");
        roxmltree::Document::parse(&sec.html)
            .unwrap_or_else(|e| panic!("{name}: sanitised HTML not well-formed: {e}"));
    }
    let ms = resources(&src, "MedicationStatement");
    let ai = resources(&src, "AllergyIntolerance");
    assert_eq!(d.medications.len(), ms.len(), "{name}: medications");
    assert_eq!(d.allergies.len(), ai.len(), "{name}: allergies");
    let list_items = |code_prefix: &str| -> usize {
        resources(&src, "List")
            .iter()
            .filter(|l| {
                l.descendants()
                    .find(|n| n.has_tag_name("code"))
                    .and_then(|c| {
                        c.descendants()
                            .find(|n| n.has_tag_name("code") && n.attribute("value").is_some())
                    })
                    .and_then(|c| c.attribute("value"))
                    .is_some_and(|c| c.starts_with(code_prefix))
            })
            .map(|l| l.children().filter(|c| c.has_tag_name("entry")).count())
            .sum()
    };
    assert_eq!(
        list_items("886921000000105"),
        ai.len(),
        "{name}: allergy list items"
    );
    for (m, src_ms) in d.medications.iter().zip(&ms) {
        let status = src_ms
            .children()
            .find(|c| c.has_tag_name("status"))
            .and_then(|s| s.attribute("value"));
        assert_eq!(m.status_raw.as_deref(), status, "{name}");
        assert!(m.name.is_some(), "{name}: medicine without a name");
    }
    assert!(d.patient.is_some(), "{name}: no patient");
}

/// Words of all text nodes under `node`, read independently of the crate (roxmltree).
pub fn source_words(node: roxmltree::Node) -> Vec<String> {
    words_of(node, false)
}

/// Words of the narrative under `node`: every text node but those inside `<script>` and
/// `<style>` (code, which the sanitiser removes and says so).
pub fn narrative_words(node: roxmltree::Node) -> Vec<String> {
    words_of(node, true)
}

fn words_of(node: roxmltree::Node, narrative: bool) -> Vec<String> {
    node.descendants()
        .filter(|n| n.is_text())
        .filter(|n| {
            !narrative
                || !n.ancestors().any(|a| {
                    a.is_element()
                        && matches!(
                            a.tag_name().name().to_ascii_lowercase().as_str(),
                            "script" | "style"
                        )
                })
        })
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
    wrap_in(&env, doc_xml, event)
}

/// The document Bundle of an ITK3 message (the entry the MessageHeader's focus names), as the
/// bytes it was written with.
pub fn document_bundle_of(message_xml: &str) -> String {
    let parsed = roxmltree::Document::parse(message_xml).unwrap();
    let range = payload_of(&parsed).range();
    message_xml[range].to_string()
}

fn payload_of<'a>(parsed: &'a roxmltree::Document) -> roxmltree::Node<'a, 'a> {
    let focus = parsed
        .descendants()
        .find(|n| n.has_tag_name("focus"))
        .unwrap()
        .children()
        .find(|n| n.is_element())
        .unwrap()
        .attribute("value")
        .unwrap();
    parsed
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .find(|e| {
            e.children()
                .any(|c| c.has_tag_name("fullUrl") && c.attribute("value") == Some(focus))
        })
        .unwrap()
        .descendants()
        .find(|n| n.has_tag_name("Bundle"))
        .unwrap()
}

/// Puts `doc_xml` (a bare document Bundle) in place of the document in the message `env`.
pub fn wrap_in(env: &str, doc_xml: &str, event: &str) -> String {
    let parsed = roxmltree::Document::parse(env).unwrap();
    let range = payload_of(&parsed).range();
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
