//! The narrative keeps every word: for any narrative, well-formed or not, the text the
//! sanitiser produces holds exactly the characters of the input's text nodes, in order
//! (script and style content aside), and its HTML is well-formed with the same text.

#[path = "common/narrative_oracle.rs"]
mod oracle;

use proptest::prelude::*;

const TAGS: &[&str] = &[
    "p", "br", "hr", "col", "b", "i", "span", "div", "table", "tr", "td", "th", "ul", "li", "pre",
    "a", "img", "script", "style", "svg", "iframe", "textarea", "title", "foo", "SCRIPT", "Br",
    "noscript", "template", "link", "input",
];

const ATTRS: &[&str] = &[
    "",
    r#" onclick="alert(1)""#,
    r#" href="javascript:alert(1)""#,
    r#" href="https://nhs.uk/""#,
    r#" src="https://evil.example/x.png""#,
    r#" style="display:none""#,
    r#" title="a &amp; b""#,
    " hidden",
    " title=\"\u{1}x\u{0}\"",
    " colspan=2",
];

/// Text as it may appear in HTML (raw `<`, `>`, `&`, entities, Unicode, line breaks).
fn html_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[A-Za-z0-9]{1,8}",
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("<".to_string()),
            Just("< ".to_string()),
            Just("<3.5".to_string()),
            Just(">".to_string()),
            Just("&".to_string()),
            Just("&lt;".to_string()),
            Just("&amp;".to_string()),
            Just("&nbsp;".to_string()),
            Just("&#x2014;".to_string()),
            Just("café".to_string()),
            Just("\u{a0}".to_string()),
            Just("</".to_string()),
            Just("<!--".to_string()),
            Just("-->".to_string()),
            Just("\u{0}".to_string()),
            Just("\u{1f}".to_string()),
            Just("\u{b}".to_string()),
        ],
        0..6,
    )
    .prop_map(|v| v.concat())
}

/// Tag soup: random open, close and self-closed tags between random text.
fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec((html_text(), 0..TAGS.len(), 0..ATTRS.len(), 0u8..4), 0..24).prop_map(
        |parts| {
            let mut s = String::from("<div>");
            for (text, t, a, form) in parts {
                s.push_str(&text);
                let tag = TAGS[t];
                match form {
                    0 => s.push_str(&format!("<{tag}{}>", ATTRS[a])),
                    1 => s.push_str(&format!("</{tag}>")),
                    2 => s.push_str(&format!("<{tag}{}/>", ATTRS[a])),
                    _ => {}
                }
            }
            s
        },
    )
}

/// Well-formed XHTML: a balanced tree with escaped text (the XML path).
fn xml_tree() -> impl Strategy<Value = String> {
    let leaf = proptest::collection::vec(
        prop_oneof![
            "[A-Za-z0-9 ]{0,10}",
            Just("INR &lt; 3.0".to_string()),
            Just("eGFR &gt; 30 &amp; K".to_string()),
            Just("\n  ".to_string()),
        ],
        1..3,
    )
    .prop_map(|v| v.concat());
    leaf.prop_recursive(5, 48, 4, |inner| {
        (
            0..TAGS.len(),
            0..ATTRS.len(),
            proptest::collection::vec(inner, 0..4),
        )
            .prop_map(|(t, a, children)| {
                let tag = TAGS[t];
                // Attributes XML allows (no bare names, no control characters).
                let attrs = if ATTRS[a].contains('=') && !ATTRS[a].chars().any(char::is_control) {
                    ATTRS[a]
                } else {
                    ""
                };
                format!("<{tag}{attrs}>{}</{tag}>", children.concat())
            })
    })
    .prop_map(|body| format!(r#"<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>"#))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn tag_soup_keeps_every_word(s in soup()) {
        if let Err(e) = oracle::check(&s) {
            prop_assert!(false, "{}", e);
        }
    }

    #[test]
    fn xhtml_keeps_every_word(s in xml_tree()) {
        prop_assume!(roxmltree::Document::parse(&s).is_ok());
        if let Err(e) = oracle::check(&s) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn known_cases_keep_every_word() {
    for s in [
        r#"<div xmlns="http://www.w3.org/1999/xhtml"><br>Warfarin 5mg STOPPED</br></div>"#,
        "<div>Keep INR < 3.0 and eGFR > 30 ... Potassium <3.5 give KCl</div",
        "<div>a<script>b</script>c<style>d</style>e</div><p>",
        "<div><textarea><b>inside</b></textarea><title>t</title><xmp>x<y</xmp></div><",
        "<div>\u{0}null</div><",
        "<div>dose\u{1}\u{7f} 5mg\u{b}daily</div>",
        "<div><span title=\"a\u{1}b\" class=x>Apixaban</span> 5\u{c}mg</div>",
        "<div><plaintext><b>everything after is text</b></div>",
        "<div><svg><script>evil()</script><text>label</text></svg></div>x",
    ] {
        oracle::check(s).unwrap();
    }
}
