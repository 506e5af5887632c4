//! An independent oracle for the narrative's word-preservation property: the text nodes of a
//! narrative as a reader of its markup finds them, with the content of `<script>` and `<style>`
//! left out. Well-formed XML is read as a tree (roxmltree); anything else with the HTML5
//! tokenizer (html5ever), whose character tokens are the text. Shared by the property test and
//! the fuzz target (`fuzz/fuzz_targets/narrative.rs` includes this file).

use std::cell::{Cell, RefCell};

use html5ever::tokenizer::{
    states::RawKind, BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer,
    TokenizerOpts,
};

fn code_is_script(name: &str) -> bool {
    name.eq_ignore_ascii_case("script")
}

fn code(name: &str) -> bool {
    name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style")
}

/// The input's narrative text nodes, concatenated in document order.
pub fn text_nodes(markup: &str) -> String {
    let xml = (!markup.contains("<!")).then(|| {
        roxmltree::Document::parse_with_options(
            markup,
            roxmltree::ParsingOptions {
                allow_dtd: false,
                nodes_limit: 1_000_000,
                ..Default::default()
            },
        )
        .ok()
    });
    match xml.flatten() {
        Some(doc) => doc
            .root_element()
            .descendants()
            .filter(|n| n.is_text())
            .filter(|n| {
                !n.ancestors()
                    .any(|a| a.is_element() && code(a.tag_name().name()))
            })
            .map(|n| n.text().unwrap_or(""))
            .collect(),
        None => html_text(markup),
    }
}

struct Collect {
    text: RefCell<String>,
    in_code: Cell<bool>,
}

impl TokenSink for Collect {
    type Handle = ();
    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::CharacterTokens(t) if !self.in_code.get() => self.text.borrow_mut().push_str(&t),
            Token::NullCharacterToken if !self.in_code.get() => {
                self.text.borrow_mut().push('\u{fffd}')
            }
            Token::TagToken(tag) if code(&tag.name) => match tag.kind {
                TagKind::StartTag => {
                    self.in_code.set(true);
                    return TokenSinkResult::RawData(if code_is_script(&tag.name) {
                        RawKind::ScriptData
                    } else {
                        RawKind::Rawtext
                    });
                }
                TagKind::EndTag => self.in_code.set(false),
            },
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn html_text(markup: &str) -> String {
    let tokenizer = Tokenizer::new(
        Collect {
            text: RefCell::default(),
            in_code: Cell::new(false),
        },
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(markup.into());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.text.into_inner()
}

/// Every character but whitespace, in order: what "the same words" means when markup may
/// join or split words (`war<b>farin</b>`). Characters no web page may hold (C0 controls
/// other than tab and line breaks, U+FFFE, U+FFFF) count as U+FFFD, and vertical tab and form
/// feed as whitespace: the sanitiser's one documented change to text.
pub fn non_whitespace(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            if (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Checks the property for one narrative; returns what differs.
pub fn check(markup: &str) -> Result<(), String> {
    let n = handover_toc::narrative::sanitise(markup);
    let want = non_whitespace(&text_nodes(markup));
    let got = non_whitespace(&n.text);
    if want != got {
        return Err(format!(
            "text differs for {markup:?}\n want: {want:?}\n  got: {got:?}"
        ));
    }
    // The sanitised HTML is well-formed XML holding exactly the same text.
    let doc = roxmltree::Document::parse(&n.html)
        .map_err(|e| format!("sanitised HTML is not well-formed ({e}): {:?}", n.html))?;
    let html_text: String = doc
        .descendants()
        .filter(|d| d.is_text())
        .map(|d| d.text().unwrap_or(""))
        .collect();
    if non_whitespace(&html_text) != got {
        return Err(format!(
            "HTML text differs from text for {markup:?}\n html: {:?}\n text: {:?}",
            n.html, n.text
        ));
    }
    // Nothing that runs: no script or style element, no event handler, no link that is not
    // http(s), mail, telephone or within the page.
    for el in doc.descendants().filter(|d| d.is_element()) {
        let name = el.tag_name().name().to_ascii_lowercase();
        if name == "script" || name == "style" {
            return Err(format!("<{name}> survived: {:?}", n.html));
        }
        for a in el.attributes() {
            let k = a.name().to_ascii_lowercase();
            if k.starts_with("on") {
                return Err(format!("event handler {k} survived: {:?}", n.html));
            }
            if k == "href" || k == "src" {
                let v = a.value().trim().to_ascii_lowercase();
                let safe = ["https://", "http://", "mailto:", "tel:", "#"]
                    .iter()
                    .any(|p| v.starts_with(p));
                if !safe {
                    return Err(format!("unsafe {k}={v:?} survived: {:?}", n.html));
                }
            }
        }
    }
    Ok(())
}
