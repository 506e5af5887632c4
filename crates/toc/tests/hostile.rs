//! Hostile narrative is neutralised while every word of it survives.

use handover_fixtures as fixtures;
use handover_toc::parse;

fn wrap(div: &str) -> String {
    format!(
        r#"<Bundle xmlns="http://hl7.org/fhir"><id value="b1"/><type value="document"/>
<entry><fullUrl value="urn:uuid:c1"/><resource><Composition><id value="c1"/>
<identifier><value value="ci1"/></identifier><status value="final"/><title value="T"/>
<subject><reference value="urn:uuid:p1"/></subject>
<section><title value="Clinical summary"/><code><coding><system value="http://snomed.info/sct"/><code value="887181000000106"/></coding></code>
<text><status value="additional"/>{div}</text></section></Composition></resource></entry>
<entry><fullUrl value="urn:uuid:p1"/><resource><Patient><id value="p1"/><identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9434765919"/></identifier></Patient></resource></entry>
</Bundle>"#
    )
}

const SAFE_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "b",
    "big",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
];
const SAFE_ATTRIBUTES: &[&str] = &[
    "colspan", "rowspan", "scope", "span", "start", "title", "lang", "abbr", "href", "rel",
];

/// Check the sanitised HTML structurally: only allowlisted elements and attributes, only
/// safe link schemes, and no raw markup characters outside tags.
fn assert_safe(html: &str, ctx: &str) {
    let doc = roxmltree::Document::parse(html)
        .unwrap_or_else(|e| panic!("{ctx}: sanitised HTML is not well-formed: {e}: {html}"));
    for n in doc.descendants().filter(|n| n.is_element()) {
        let name = n.tag_name().name();
        assert!(
            SAFE_ELEMENTS.contains(&name),
            "{ctx}: element <{name}> survived: {html}"
        );
        assert!(
            n.tag_name().namespace().is_none(),
            "{ctx}: namespaced element survived: {html}"
        );
        for a in n.attributes() {
            assert!(
                SAFE_ATTRIBUTES.contains(&a.name()),
                "{ctx}: attribute {} survived: {html}",
                a.name()
            );
            if a.name() == "href" {
                let v = a.value().to_ascii_lowercase();
                assert!(
                    v.starts_with("https://")
                        || v.starts_with("http://")
                        || v.starts_with("mailto:")
                        || v.starts_with('#'),
                    "{ctx}: unsafe href {v}"
                );
            }
        }
    }
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "{ctx}: {html}"
    );
}

struct Case {
    div: &'static str,
    /// Words that must be in the plain text, in order.
    words: &'static [&'static str],
    /// Code (script and style content) that must be gone, with a diagnostic saying so.
    removed: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>Before</p><script>window.__handoverPwned = true</script><p>After</p></div>"#,
        words: &["Before", "After"],
        removed: &["window.__handoverPwned"],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="alert(1)" onmouseover="alert(2)">Click safe</p><b onload="x()">bold</b></div>"#,
        words: &["Click", "safe", "bold"],
        removed: &[],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:alert(1)">bad link</a> <a href=" JaVaScRiPt:alert(1)">bad2</a> <a href="java&#x09;script:alert(1)">bad3</a> <a href="data:text/html;base64,PHNjcmlwdD4=">bad4</a></div>"#,
        words: &["bad", "link", "bad2", "bad3", "bad4"],
        removed: &[],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>evil()</script><text x="0">SVG words</text><foreignObject><p>inside foreign</p></foreignObject></svg></div>"#,
        words: &["SVG", "words", "inside", "foreign"],
        removed: &["evil()"],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi><maction actiontype="statusline">math text</maction></math></div>"#,
        words: &["x", "math", "text"],
        removed: &[],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><p style="display:none">Hidden potassium 6.8</p><span hidden="hidden">Hidden allergy</span><p style="color:white;font-size:0">Tiny warfarin</p><p aria-hidden="true">aria note</p></div>"#,
        words: &[
            "Hidden",
            "potassium",
            "6.8",
            "Hidden",
            "allergy",
            "Tiny",
            "warfarin",
            "aria",
            "note",
        ],
        removed: &[],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><iframe src="https://evil.example/">Frame fallback</iframe><form action="https://evil.example/"><input type="text" value="x"/><button formaction="javascript:alert(1)">Submit words</button></form></div>"#,
        words: &["Frame", "fallback", "Submit", "words"],
        removed: &[],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>&lt;script&gt;alert('encoded')&lt;/script&gt; entity text</p><p>&amp;lt;img src=x onerror=alert(1)&amp;gt;</p></div>"#,
        words: &[
            "<script>alert('encoded')</script>",
            "entity",
            "text",
            "&lt;img",
            "onerror=alert(1)&gt;",
        ],
        removed: &[],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><scr><script>nested</script>ipt>alert(1)</scr><img src="x" onerror="alert(1)"/><object data="x.swf"><embed src="x.swf"/>object text</object></div>"#,
        words: &["ipt>alert(1)", "object", "text"],
        removed: &["nested"],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><style>p { display: none }</style><table><tr><td background="javascript:alert(1)">cell one</td><td style="visibility:hidden">cell two</td></tr></table><base href="javascript:alert(1)"/><meta http-equiv="refresh" content="0;url=javascript:alert(1)"/><link rel="stylesheet" href="x.css"/></div>"#,
        words: &["cell", "one", "cell", "two"],
        removed: &["display: none"],
    },
    Case {
        div: r#"<div xmlns="http://www.w3.org/1999/xhtml"><a href="https://nhs.uk/" onclick="x()" title="ok">safe link</a><details open="open"><summary>More</summary>collapsed words</details><template><p>template words</p></template><noscript>noscript words</noscript></div>"#,
        words: &[
            "safe",
            "link",
            "More",
            "collapsed",
            "words",
            "template",
            "words",
            "noscript",
            "words",
        ],
        removed: &[],
    },
];

#[test]
fn hostile_markup_is_removed_and_its_text_kept() {
    for (i, case) in CASES.iter().enumerate() {
        let p = parse(wrap(case.div).as_bytes());
        assert!(!p.is_fatal(), "case {i}: {:?}", p.diagnostics);
        let sec = &p.document.as_ref().unwrap().sections[0];
        assert_safe(&sec.html, &format!("case {i}"));
        let mut pos = 0;
        for w in case.words {
            let at = sec.text[pos..].find(w).unwrap_or_else(|| {
                panic!(
                    "case {i}: word {w:?} lost or out of order in {:?}",
                    sec.text
                )
            });
            pos += at + w.len();
        }
        // The same words are visible in the HTML once tags are removed and entities decoded.
        let visible = strip(&sec.html);
        for w in case.words {
            assert!(
                visible.contains(w),
                "case {i}: {w:?} not in the rendered HTML {:?}",
                sec.html
            );
        }
        // Script and style content is not narrative: gone from both, and the document says so.
        for code in case.removed {
            assert!(
                !sec.text.contains(code),
                "case {i}: {code:?} in {:?}",
                sec.text
            );
            assert!(
                !sec.html.contains(code),
                "case {i}: {code:?} in {:?}",
                sec.html
            );
        }
        let said = p
            .diagnostics
            .iter()
            .any(|d| d.message.contains("removed from the narrative"));
        assert_eq!(
            said,
            !case.removed.is_empty() || i == 1 || i == 2 || i == 10,
            "case {i}: {:?}",
            p.diagnostics
        );
    }
}

fn strip(html: &str) -> String {
    let doc = roxmltree::Document::parse(html).unwrap();
    doc.descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn safe_links_and_tables_survive() {
    let p = parse(wrap(CASES[10].div).as_bytes());
    let html = &p.document.unwrap().sections[0].html;
    assert!(
        html.contains(
            r#"<a href="https://nhs.uk/" title="ok" rel="noopener noreferrer">safe link</a>"#
        ),
        "{html}"
    );
    let p = parse(wrap(CASES[9].div).as_bytes());
    let html = &p.document.unwrap().sections[0].html;
    assert!(
        html.contains("<table><tr><td>cell one</td><td>cell two</td></tr></table>"),
        "{html}"
    );
}

#[test]
fn json_narrative_that_is_not_xhtml_keeps_its_text() {
    let json = r#"{"resourceType":"Bundle","id":"b","type":"document","entry":[{"fullUrl":"urn:uuid:c","resource":{"resourceType":"Composition","id":"c","identifier":{"value":"ci"},"title":"T","subject":{"reference":"urn:uuid:p"},
      "section":[{"title":"Plan and requested actions","code":{"coding":[{"system":"http://snomed.info/sct","code":"887201000000105"}]},
      "text":{"status":"additional","div":"<div>Review&nbsp;in clinic <script>alert(1)</script><b>bold<i>unclosed</div>"}}]}},
      {"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","id":"p"}}]}"#;
    let p = parse(json.as_bytes());
    assert!(!p.is_fatal(), "{:?}", p.diagnostics);
    let sec = &p.document.as_ref().unwrap().sections[0];
    for w in ["Review", "in", "clinic", "bold", "unclosed"] {
        assert!(sec.text.contains(w), "{w} in {:?}", sec.text);
    }
    assert!(!sec.html.contains("<script") && !sec.text.contains("alert(1)"));
    assert!(p.diagnostics.iter().any(
        |d| d.message.contains("removed from the narrative") && d.message.contains("1 script")
    ));
    assert!(p
        .diagnostics
        .iter()
        .any(|d| d.message.contains("not well-formed XHTML")));
}

#[test]
fn the_hostile_fixture_is_neutralised() {
    let f = fixtures::generate(4, 1)
        .into_iter()
        .find(|f| f.hostile)
        .expect("hostile fixture");
    assert!(String::from_utf8_lossy(&f.bytes).contains(fixtures::HOSTILE_MARKER));
    let p = parse(&f.bytes);
    for s in &p.document.as_ref().unwrap().sections {
        assert_safe(&s.html, s.title.as_deref().unwrap_or(""));
    }
    let plan = p
        .document
        .as_ref()
        .unwrap()
        .sections
        .iter()
        .find(|s| s.title.as_deref() == Some("Plan and requested actions"))
        .unwrap();
    for w in [
        "Follow-up",
        "Hidden",
        "note:",
        "check",
        "potassium.",
        "Open",
        "results",
        "Vector",
        "label",
        "Frame",
        "text",
    ] {
        assert!(plan.text.contains(w), "{w} in {:?}", plan.text);
    }
}
