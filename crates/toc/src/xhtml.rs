//! Narrative XHTML: an allowlist sanitiser over a parsed tree (well-formed XHTML) or over the
//! tokens of an HTML5 tokenizer (narrative that is not well-formed), and plain-text extraction.
//!
//! Invariant: every text node of the original narrative is kept, in order, both in the
//! sanitised HTML (escaped, possibly unwrapped from a removed element) and in the plain text,
//! including the children of void elements (`<br>words</br>` in XML). Only markup is removed:
//! scripts, event handlers, unsafe URLs, embedded content (iframe, object, SVG, MathML), forms,
//! styles and anything that could hide content. The one exception is the content of `<script>`
//! and `<style>`: it is code, not narrative, so it is removed, and what was removed is counted
//! ([`Removed`]) so the document can say so.
//!
//! Both sources drive one [`Emitter`] with start, end and text events, so the two paths apply
//! exactly the same rules. Malformed narrative is never stripped by pattern: a `<` that does
//! not start a tag (`INR < 3.0`, `K <3.5`) is text, as an HTML5 tokenizer reads it.

use std::borrow::Cow;
use std::cell::RefCell;

use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Maximum XHTML nesting kept as structure; deeper content is kept as text.
pub(crate) const MAX_XHTML_DEPTH: usize = 128;

/// What the sanitiser removed that was not narrative text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub scripts: u32,
    pub style_blocks: u32,
    pub event_handlers: u32,
    pub remote_images: u32,
    /// `<link>` elements, and links whose address was unsafe (their text is kept).
    pub links: u32,
}

impl Removed {
    pub fn is_empty(&self) -> bool {
        *self == Removed::default()
    }

    /// "1 script, 2 style blocks and 3 event-handler attributes".
    pub fn describe(&self) -> String {
        let plural = |n: u32, one: &str, many: &str| {
            (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
        };
        let parts: Vec<String> = [
            plural(self.scripts, "script", "scripts"),
            plural(self.style_blocks, "style block", "style blocks"),
            plural(
                self.event_handlers,
                "event-handler attribute",
                "event-handler attributes",
            ),
            plural(self.remote_images, "remote image", "remote images"),
            plural(self.links, "unsafe link", "unsafe links"),
        ]
        .into_iter()
        .flatten()
        .collect();
        match parts.len() {
            0 => String::new(),
            1 => parts[0].clone(),
            n => format!("{} and {}", parts[..n - 1].join(", "), parts[n - 1]),
        }
    }
}

/// A sanitised narrative: allowlisted HTML and plain text holding every original word.
#[derive(Debug, Clone, Default)]
pub struct Narrative {
    pub html: String,
    pub text: String,
    /// The markup was not well-formed XHTML; it was read with an HTML5 tokenizer.
    pub unparsed: bool,
    pub removed: Removed,
}

/// Sanitise a narrative `div` element of a parsed XML document.
pub(crate) fn from_xml(el: roxmltree::Node) -> Narrative {
    let mut e = Emitter::new(el.range().len());
    walk_tree(el, &mut e);
    e.finish(false)
}

/// Sanitise a narrative given as a string (JSON `div`). If it is not well-formed XHTML, it is
/// read with an HTML5 tokenizer: every character token outside `<script>` and `<style>` is
/// kept, in order.
pub fn from_str(s: &str) -> Narrative {
    if let Ok(doc) = crate::xml::parse(s, 1_000_000) {
        return from_xml(doc.root_element());
    }
    from_html(s)
}

/// Sanitise narrative markup read as HTML (for markup that is not well-formed XML).
pub fn from_html(s: &str) -> Narrative {
    let sink = HtmlSink {
        emitter: RefCell::new(Emitter::new(s.len())),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(s.into());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let sink = tokenizer.sink;
    let emitter = sink.emitter.into_inner();
    emitter.finish(true)
}

/// Walks a narrative `div` without recursion (nesting is unbounded in the input), turning it
/// into events. The root's own tag is not emitted: its children go into a clean `<div>`.
fn walk_tree(root: roxmltree::Node, e: &mut Emitter) {
    enum Step<'a, 'i> {
        Enter(roxmltree::Node<'a, 'i>),
        Exit(roxmltree::Node<'a, 'i>),
    }
    let mut work: Vec<Step> = root.children().rev().map(Step::Enter).collect();
    while let Some(step) = work.pop() {
        match step {
            Step::Enter(n) if n.is_text() => e.text(n.text().unwrap_or("")),
            Step::Enter(n) if n.is_element() => {
                let name = lower(n.tag_name().name());
                let attrs = n.attributes().map(|a| (a.name(), a.value()));
                if is_void(&name) {
                    // XML lets a void element hold content (`<br>words</br>`): the element is
                    // emitted empty and its content follows it, so no word is lost.
                    e.void(&name, attrs);
                } else {
                    e.start(&name, attrs);
                    work.push(Step::Exit(n));
                }
                work.extend(n.children().rev().map(Step::Enter));
            }
            Step::Enter(_) => {}
            Step::Exit(n) => e.end(&lower(n.tag_name().name())),
        }
    }
}

/// Feeds html5ever's tokens to the emitter.
struct HtmlSink {
    emitter: RefCell<Emitter>,
}

impl TokenSink for HtmlSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut e = self.emitter.borrow_mut();
        match token {
            Token::CharacterTokens(t) => e.text(&t),
            Token::NullCharacterToken => e.text("\u{fffd}"),
            Token::TagToken(tag) => {
                let name = lower(&tag.name);
                match tag.kind {
                    TagKind::StartTag => {
                        let attrs = tag.attrs.iter().map(|a| (&*a.name.local, &*a.value));
                        if is_void(&name) || tag.self_closing && !is_raw(&name) {
                            e.void_or_empty(&name, attrs);
                        } else {
                            e.start(&name, attrs);
                            // Script and style content is raw text, up to its end tag (as a
                            // browser reads it), so markup inside it is not mistaken for tags.
                            match name.as_ref() {
                                "script" => {
                                    return TokenSinkResult::RawData(
                                        html5ever::tokenizer::states::RawKind::ScriptData,
                                    )
                                }
                                "style" => {
                                    return TokenSinkResult::RawData(
                                        html5ever::tokenizer::states::RawKind::Rawtext,
                                    )
                                }
                                _ => {}
                            }
                        }
                    }
                    TagKind::EndTag => {
                        if name == "br" {
                            // `</br>` is read as `<br>` by browsers.
                            e.void("br", std::iter::empty());
                        } else {
                            e.end(&name);
                        }
                    }
                }
            }
            Token::CommentToken(_)
            | Token::DoctypeToken(_)
            | Token::EOFToken
            | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements whose content is code, not narrative: removed with their content.
fn is_raw(name: &str) -> bool {
    matches!(name, "script" | "style")
}

const ALLOWED: &[&str] = &[
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
/// Elements whose whole subtree is flattened to text (no markup survives inside them).
const OPAQUE: &[&str] = &[
    "svg",
    "math",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "template",
    "noscript",
    "noembed",
    "noframes",
    "xmp",
    "plaintext",
    "textarea",
    "select",
    "option",
    "title",
    "head",
    "meta",
    "link",
    "base",
    "canvas",
    "video",
    "audio",
    "source",
    "foreignobject",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Allowlisted element, kept.
    Keep,
    /// Removed with its markup; its text kept (no markup inside survives).
    Opaque,
    /// Not allowlisted: unwrapped, its children processed.
    Unwrap,
    /// Script or style: removed with its content.
    Drop,
}

fn classify(name: &str) -> Class {
    if is_raw(name) {
        Class::Drop
    } else if ALLOWED.binary_search(&name).is_ok() {
        Class::Keep
    } else if OPAQUE.contains(&name) {
        Class::Opaque
    } else {
        Class::Unwrap
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "blockquote"
            | "br"
            | "caption"
            | "center"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "table"
            | "tbody"
            | "tfoot"
            | "thead"
            | "tr"
            | "ul"
    )
}

fn lower(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// An open element.
struct Frame {
    name: String,
    class: Class,
}

/// Builds the sanitised HTML and the plain text from start, end and text events. Elements are
/// closed in order: an end tag closes every element opened after its start (emitting their end
/// tags), and an end tag with no open start is ignored, so the HTML is always balanced.
struct Emitter {
    html: String,
    text: String,
    stack: Vec<Frame>,
    /// Open script/style elements: their content is dropped.
    dropping: usize,
    /// Open opaque containers (svg, iframe, ...): no markup inside survives.
    opaque: usize,
    /// Open `<pre>` elements: line breaks in text are meaningful.
    pre: usize,
    removed: Removed,
}

impl Emitter {
    fn new(len: usize) -> Self {
        let mut html = String::with_capacity(len + 16);
        html.push_str("<div>");
        Emitter {
            html,
            text: String::with_capacity(len / 2),
            stack: Vec::new(),
            dropping: 0,
            opaque: 0,
            pre: 0,
            removed: Removed::default(),
        }
    }

    fn finish(mut self, unparsed: bool) -> Narrative {
        while !self.stack.is_empty() {
            self.close_top();
        }
        self.html.push_str("</div>");
        Narrative {
            html: self.html,
            text: normalise_text(&self.text),
            unparsed,
            removed: self.removed,
        }
    }

    fn text(&mut self, t: &str) {
        if self.dropping > 0 {
            return;
        }
        let t = printable(t);
        escape_text(&t, &mut self.html);
        push_text(&t, &mut self.text, self.pre > 0);
    }

    /// The class an element opened now gets.
    fn class_of(&self, name: &str) -> Class {
        if self.dropping > 0 || is_raw(name) {
            Class::Drop
        } else if self.opaque > 0 {
            Class::Opaque
        } else if self.stack.len() + 1 >= MAX_XHTML_DEPTH {
            // Too deep to keep as structure: keep every word as text.
            Class::Unwrap
        } else {
            classify(name)
        }
    }

    /// Counts what an element's attributes carry that is removed.
    fn count_removed<'a>(&mut self, name: &str, attrs: impl Iterator<Item = (&'a str, &'a str)>) {
        if self.dropping > 0 {
            return;
        }
        for (k, v) in attrs {
            let k = lower(k);
            if k.starts_with("on") {
                self.removed.event_handlers += 1;
            } else if name == "img" && k == "src" {
                let v = v.trim().to_ascii_lowercase();
                if v.starts_with("http:") || v.starts_with("https:") || v.starts_with("//") {
                    self.removed.remote_images += 1;
                }
            } else if name == "a" && k == "href" && safe_url(v).is_none() {
                self.removed.links += 1;
            }
        }
        if name == "link" {
            self.removed.links += 1;
        }
    }

    fn start<'a>(&mut self, name: &str, attrs: impl Iterator<Item = (&'a str, &'a str)> + Clone) {
        let class = self.class_of(name);
        self.count_removed(name, attrs.clone());
        match class {
            Class::Drop => {
                if self.dropping == 0 {
                    match name {
                        "script" => self.removed.scripts += 1,
                        "style" => self.removed.style_blocks += 1,
                        _ => {}
                    }
                }
                self.dropping += 1;
            }
            Class::Opaque => self.opaque += 1,
            Class::Keep | Class::Unwrap => {}
        }
        if class != Class::Drop {
            if is_block(name) {
                self.text.push('\n');
            } else if matches!(name, "td" | "th") {
                self.text.push('\t');
            }
            match class {
                Class::Keep => self.open_tag(name, attrs, false),
                // An unwrapped element still separates words from its neighbours.
                _ => self.html.push(' '),
            }
        }
        if name == "pre" {
            self.pre += 1;
        }
        self.stack.push(Frame {
            name: name.to_string(),
            class,
        });
    }

    /// A void element (`<br>`, `<hr>`, `<img>`): nothing inside it.
    fn void<'a>(&mut self, name: &str, attrs: impl Iterator<Item = (&'a str, &'a str)> + Clone) {
        let class = self.class_of(name);
        self.count_removed(name, attrs.clone());
        if class == Class::Drop {
            return;
        }
        if is_block(name) {
            self.text.push('\n');
        }
        match class {
            Class::Keep => self.open_tag(name, attrs, true),
            _ => {
                self.html.push(' ');
                self.text.push(' ');
            }
        }
        if is_block(name) {
            self.text.push('\n');
        }
    }

    /// A self-closed start tag: a void element, or an element opened and closed at once.
    fn void_or_empty<'a>(
        &mut self,
        name: &str,
        attrs: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) {
        if is_void(name) {
            self.void(name, attrs);
        } else {
            self.start(name, attrs);
            self.end(name);
        }
    }

    fn open_tag<'a>(
        &mut self,
        name: &str,
        attrs: impl Iterator<Item = (&'a str, &'a str)>,
        void: bool,
    ) {
        let html = &mut self.html;
        html.push('<');
        html.push_str(name);
        let mut has_href = false;
        for (k, v) in attrs {
            let k = lower(k);
            if let Some(v) = allowed_attr(name, &k, v) {
                has_href |= k == "href";
                html.push(' ');
                html.push_str(&k);
                html.push_str("=\"");
                escape_attr(&printable(&v), html);
                html.push('"');
            }
        }
        if has_href {
            html.push_str(" rel=\"noopener noreferrer\"");
        }
        // Void elements self-close so the output is both HTML and well-formed XML.
        html.push_str(if void { "/>" } else { ">" });
    }

    fn end(&mut self, name: &str) {
        let Some(at) = self.stack.iter().rposition(|f| f.name == name) else {
            return; // an end tag with no start: nothing to close
        };
        while self.stack.len() > at {
            self.close_top();
        }
    }

    fn close_top(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let name = frame.name.as_str();
        if name == "pre" {
            self.pre -= 1;
        }
        match frame.class {
            Class::Drop => {
                self.dropping -= 1;
                return;
            }
            Class::Opaque => self.opaque -= 1,
            Class::Keep | Class::Unwrap => {}
        }
        match frame.class {
            Class::Keep => {
                self.html.push_str("</");
                self.html.push_str(name);
                self.html.push('>');
            }
            _ => self.html.push(' '),
        }
        if is_block(name) {
            self.text.push('\n');
        } else if frame.class != Class::Keep || matches!(name, "td" | "th") {
            self.text.push(' ');
        }
    }
}

/// A character no web page or XML document may hold (C0 controls other than tab and line
/// breaks, U+FFFE, U+FFFF).
fn unprintable(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}'
}

/// The text with each [`unprintable`] character shown as U+FFFD (or, for the two that are
/// whitespace, vertical tab and form feed, as a space): the one change the sanitiser makes to
/// narrative text (such characters only reach it in markup that is not XML, and would
/// otherwise make the sanitised HTML unreadable).
fn printable(t: &str) -> Cow<'_, str> {
    if t.chars().any(unprintable) {
        Cow::Owned(
            t.chars()
                .map(|c| match c {
                    '\u{b}' | '\u{c}' => ' ',
                    c if unprintable(c) => '\u{fffd}',
                    c => c,
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(t)
    }
}

/// Append a text node to the plain text. Outside `<pre>`, source line breaks are layout
/// whitespace (as in HTML rendering), not line breaks of the content.
fn push_text(t: &str, text: &mut String, pre: bool) {
    if pre || memchr::memchr2(b'\n', b'\r', t.as_bytes()).is_none() {
        text.push_str(t);
    } else {
        text.extend(
            t.chars()
                .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
        );
    }
}

fn allowed_attr(el: &str, attr: &str, value: &str) -> Option<String> {
    match (el, attr) {
        ("td" | "th", "colspan" | "rowspan") | ("col" | "colgroup", "span") | ("ol", "start") => {
            let v = value.trim();
            (!v.is_empty() && v.len() < 5 && v.bytes().all(|b| b.is_ascii_digit()))
                .then(|| v.to_string())
        }
        ("th", "scope") => matches!(value.trim(), "row" | "col" | "rowgroup" | "colgroup")
            .then(|| value.trim().to_string()),
        ("a", "href") => safe_url(value),
        (_, "title" | "lang" | "abbr") => Some(value.to_string()),
        _ => None,
    }
}

/// Only http(s), mailto, tel and in-document fragment links survive.
pub(crate) fn safe_url(v: &str) -> Option<String> {
    let cleaned: String = v
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let lower = cleaned.to_ascii_lowercase();
    let ok = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || lower.starts_with("tel:")
        || lower.starts_with('#');
    // Reject anything that still contains an entity or backslash trick.
    (ok && !lower.contains("&#") && !lower.contains('\\')).then_some(cleaned)
}

fn escape_text(t: &str, out: &mut String) {
    let mut last = 0;
    for i in memchr::memchr3_iter(b'&', b'<', b'>', t.as_bytes()) {
        out.push_str(&t[last..i]);
        out.push_str(match t.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        last = i + 1;
    }
    out.push_str(&t[last..]);
}

fn escape_attr(t: &str, out: &mut String) {
    for ch in t.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '`' => out.push_str("&#96;"),
            _ => out.push(ch),
        }
    }
}

/// Bytes that may start whitespace: ASCII whitespace, and the UTF-8 lead bytes of the
/// non-ASCII Unicode whitespace characters (U+0085, U+00A0, U+1680, U+2000..U+205F, U+3000).
const MAYBE_WS: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t[0x0b] = true;
    t[0x0c] = true;
    t[0xc2] = true;
    t[0xe1] = true;
    t[0xe2] = true;
    t[0xe3] = true;
    t
};

/// The whitespace character at `i` (length, is newline), if any.
fn ws_at(raw: &str, i: usize) -> Option<(usize, bool)> {
    let b = raw.as_bytes()[i];
    if b < 0x80 {
        return Some((1, b == b'\n'));
    }
    let ch = raw[i..].chars().next()?;
    ch.is_whitespace()
        .then(|| (ch.len_utf8(), ch == '\u{2028}' || ch == '\u{2029}'))
}

/// Collapse runs of whitespace within lines, trim lines, and drop empty lines.
/// Whitespace is Unicode whitespace (as `char::is_whitespace`).
fn normalise_text(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let n = bytes.len();
    let mut out = String::with_capacity(n);
    let mut i = 0;
    let mut newline = false;
    while i < n {
        // Skip a whitespace run, remembering whether it held a line break.
        while i < n && MAYBE_WS[bytes[i] as usize] {
            match ws_at(raw, i) {
                Some((len, nl)) => {
                    newline |= nl;
                    i += len;
                }
                None => break,
            }
        }
        if i >= n {
            break;
        }
        // A segment of words separated by single spaces (copied in one go), up to the
        // next other whitespace.
        let start = i;
        loop {
            while i < n && !MAYBE_WS[bytes[i] as usize] {
                i += 1;
            }
            if i >= n {
                break;
            }
            if bytes[i] == b' ' && i + 1 < n && !MAYBE_WS[bytes[i + 1] as usize] {
                i += 1;
                continue;
            }
            if ws_at(raw, i).is_some() {
                break;
            }
            // A non-whitespace multi-byte character with a "maybe" lead byte.
            i += raw[i..].chars().next().map_or(1, char::len_utf8);
        }
        if !out.is_empty() {
            out.push(if newline { '\n' } else { ' ' });
        }
        newline = false;
        out.push_str(&raw[start..i]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> (String, String) {
        let n = from_str(s);
        (n.html, n.text)
    }

    #[test]
    fn keeps_tables_and_text() {
        let (h, t) = run(
            r#"<div xmlns="http://www.w3.org/1999/xhtml"><table width="100%"><tr><th>Dose</th><td colspan="2">5 mg</td></tr></table></div>"#,
        );
        assert_eq!(
            h,
            r#"<div><table><tr><th>Dose</th><td colspan="2">5 mg</td></tr></table></div>"#
        );
        assert_eq!(t, "Dose 5 mg");
    }

    #[test]
    fn source_line_breaks_are_spaces_except_in_pre() {
        let (_, t) = run("<div xmlns=\"http://www.w3.org/1999/xhtml\"><table>\n <tr>\n  <th>Reason</th>\n  <td>Chest\npain</td>\n </tr>\n</table><pre>a\n b</pre></div>");
        assert_eq!(t, "Reason Chest pain\na\nb");
    }

    #[test]
    fn allowlist_is_sorted_for_binary_search() {
        assert!(ALLOWED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn text_is_normalised_by_line() {
        assert_eq!(normalise_text("  a \t b\n\n  c  \n"), "a b\nc");
        assert_eq!(normalise_text("x\u{a0}y"), "x y");
        assert_eq!(
            normalise_text("\u{a0} caf\u{e9} \u{2014} \u{3000}\u{3042}\n\u{2028}z"),
            "caf\u{e9} \u{2014} \u{3042}\nz"
        );
        for s in [
            "",
            "  ",
            "a",
            " a  b \n\n c\t",
            "\u{e9}\u{e1}\u{e2}\u{e3}\u{2000}x",
        ] {
            let expect: Vec<&str> = s.split_whitespace().collect();
            let got = normalise_text(s);
            assert_eq!(got.split_whitespace().collect::<Vec<_>>(), expect, "{s:?}");
        }
    }

    const NS: &str = r#"<div xmlns="http://www.w3.org/1999/xhtml">"#;

    #[test]
    fn children_of_void_elements_are_kept() {
        // XML lets a void element hold text; every word of it stays, in order.
        let n = from_str(&format!(
            "{NS}<p>Medicines</p><br>Warfarin 5mg STOPPED</br><hr>Review <b>INR</b></hr><table><col>col words</col><tr><td>cell</td></tr></table></div>"
        ));
        assert!(!n.unparsed);
        assert_eq!(
            n.text,
            "Medicines\nWarfarin 5mg STOPPED\nReview INR\ncol words\ncell"
        );
        assert!(n.html.contains("<br/>Warfarin 5mg STOPPED"), "{}", n.html);
        assert!(n.html.contains("<hr/>Review <b>INR</b>"), "{}", n.html);
    }

    #[test]
    fn malformed_narrative_keeps_less_than_and_greater_than_as_text() {
        let n = from_str(
            "<div>Keep INR < 3.0 and eGFR > 30 before restarting.<br>Potassium <3.5 give KCl & recheck<p>Unclosed</div>",
        );
        assert!(n.unparsed);
        assert_eq!(
            n.text,
            "Keep INR < 3.0 and eGFR > 30 before restarting.\nPotassium <3.5 give KCl & recheck\nUnclosed"
        );
        assert!(
            n.html.contains("Keep INR &lt; 3.0 and eGFR &gt; 30"),
            "{}",
            n.html
        );
        // The output is balanced, well-formed XML whatever the input was.
        assert!(roxmltree::Document::parse(&n.html).is_ok(), "{}", n.html);
    }

    #[test]
    fn script_and_style_content_is_removed_and_counted() {
        let n = from_str(&format!(
            "{NS}<p>Before</p><script>window.__x=1</script><style>@import url(x.css)</style><p onclick=\"x()\" onmouseover=\"y()\">After</p><img src=\"https://evil.example/t.png\"/><a href=\"javascript:z()\">link words</a><link rel=\"stylesheet\" href=\"x.css\"/></div>"
        ));
        assert_eq!(n.text, "Before\nAfter\nlink words");
        assert!(!n.html.contains("window.__x") && !n.html.contains("@import"));
        assert_eq!(
            n.removed,
            Removed {
                scripts: 1,
                style_blocks: 1,
                event_handlers: 2,
                remote_images: 1,
                links: 2,
            }
        );
        assert_eq!(
            n.removed.describe(),
            "1 script, 1 style block, 2 event-handler attributes, 1 remote image and 2 unsafe links"
        );
        // Malformed input: the same rules, and markup inside a script is not read as tags.
        let n = from_str(
            "<div>Before<script>if (a<b) { x('</p><b>') }</script>After<style>p{}</style><p>end",
        );
        assert!(n.unparsed);
        assert_eq!(n.text, "BeforeAfter\nend");
        assert_eq!((n.removed.scripts, n.removed.style_blocks), (1, 1));
        // Nested removals count once each.
        let n = from_str(&format!("{NS}<script><script>a</script></script>b</div>"));
        assert_eq!((n.text.as_str(), n.removed.scripts), ("b", 1));
    }

    #[test]
    fn misnested_and_unclosed_html_is_balanced() {
        let n = from_str(
            "<div><b><i>bold italic</b> rest</i><table><tr><td>one<td>two</table></div></span>",
        );
        assert!(n.unparsed);
        assert_eq!(n.text, "bold italic rest\none two");
        assert!(roxmltree::Document::parse(&n.html).is_ok(), "{}", n.html);
    }

    #[test]
    fn control_characters_become_replacement_characters() {
        // Found by fuzzing: a control character in markup that is not XML.
        let n = from_str("<div>Keep INR < 3.0 \u{0}\u{0}\u{0}1eGFR > 30<br>K\u{1f}<3.5</div>");
        assert!(n.unparsed);
        assert_eq!(
            n.text,
            "Keep INR < 3.0 \u{fffd}\u{fffd}\u{fffd}1eGFR > 30\nK\u{fffd}<3.5"
        );
        assert!(roxmltree::Document::parse(&n.html).is_ok(), "{}", n.html);
        // In attribute values too (found by fuzzing).
        let n = from_str("<div><p title=\"\u{1}x\">t</div>");
        assert!(n.html.contains("title=\"\u{fffd}x\""), "{}", n.html);
        assert!(roxmltree::Document::parse(&n.html).is_ok(), "{}", n.html);
    }

    #[test]
    fn deep_nesting_keeps_words_without_recursion() {
        let depth = 100_000;
        let s = format!(
            "{NS}{}deep words{}</div>",
            "<span>".repeat(depth),
            "</span>".repeat(depth)
        );
        let n = from_str(&s);
        assert_eq!(n.text, "deep words");
        let n = from_str(&format!("<div>{}deep words", "<b>".repeat(depth)));
        assert_eq!(n.text, "deep words");
        assert!(n.html.matches("<b>").count() < MAX_XHTML_DEPTH);
    }

    #[test]
    fn unsafe_urls_dropped() {
        assert_eq!(safe_url(" java\tscript:alert(1)"), None);
        assert_eq!(safe_url("data:text/html,x"), None);
        assert_eq!(
            safe_url("https://nhs.uk/x").as_deref(),
            Some("https://nhs.uk/x")
        );
    }
}
