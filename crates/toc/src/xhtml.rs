//! Narrative XHTML: a parsed tree, an allowlist sanitiser, and plain-text extraction.
//!
//! Invariant: every text node of the original narrative is kept, in order, both in the
//! sanitised HTML (escaped, possibly unwrapped from a removed element) and in the plain
//! text. Only markup is removed: scripts, event handlers, unsafe URLs, embedded content
//! (iframe, object, SVG, MathML), forms, styles and anything that could hide content.

use std::borrow::Cow;

/// Maximum XHTML nesting kept as structure; deeper content is kept as text.
pub(crate) const MAX_XHTML_DEPTH: usize = 128;

/// A sanitised narrative: allowlisted HTML and plain text holding every original word.
#[derive(Debug, Clone, Default)]
pub(crate) struct Narrative {
    pub html: String,
    pub text: String,
    /// The markup was not well-formed XHTML; the text was recovered by stripping tags.
    pub unparsed: bool,
}

/// Sanitise a narrative `div` element of a parsed XML document.
pub(crate) fn from_xml(el: roxmltree::Node) -> Narrative {
    let (html, text) = sanitize(el);
    Narrative {
        html,
        text,
        unparsed: false,
    }
}

/// Sanitise a narrative given as a string (JSON `div`). If it is not well-formed XHTML, the
/// markup is stripped crudely and all remaining text kept (escaped).
pub(crate) fn from_str(s: &str) -> Narrative {
    if !crate::tree::has_doctype(s) {
        let opts = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: 1_000_000,
            ..Default::default()
        };
        if let Ok(doc) = roxmltree::Document::parse_with_options(s, opts) {
            return from_xml(doc.root_element());
        }
    }
    let raw = strip_tags(s);
    let mut html = String::from("<div>");
    escape_text(&raw, &mut html);
    html.push_str("</div>");
    Narrative {
        html,
        text: normalise_text(&raw),
        unparsed: true,
    }
}

/// Remove `<...>` markup from malformed HTML, decoding the basic entities.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
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
    "script",
    "style",
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
}

fn classify(name: &str) -> Class {
    if ALLOWED.binary_search(&name).is_ok() {
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

/// Sanitised HTML and plain text of a narrative `div`.
fn sanitize(root: roxmltree::Node) -> (String, String) {
    let mut html = String::with_capacity(root.range().len());
    let mut text = String::with_capacity(root.range().len() / 2);
    // The root is the narrative `div` itself: emit its children inside a clean <div>.
    html.push_str("<div>");
    for c in root.children() {
        walk(c, &mut html, &mut text, Flags::default(), 1);
    }
    html.push_str("</div>");
    let text = normalise_text(&text);
    (html, text)
}

fn lower(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Context inherited from ancestors while walking the narrative.
#[derive(Clone, Copy, Default)]
struct Flags {
    /// Inside a removed container (script, svg, ...): no markup survives.
    opaque: bool,
    /// Inside `<pre>`: line breaks in text are meaningful.
    pre: bool,
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

fn walk(n: roxmltree::Node, html: &mut String, text: &mut String, flags: Flags, depth: usize) {
    if n.is_text() {
        let t = n.text().unwrap_or("");
        escape_text(t, html);
        push_text(t, text, flags.pre);
        return;
    }
    if !n.is_element() {
        return;
    }
    let name = lower(n.tag_name().name());
    let name = name.as_ref();
    if depth >= MAX_XHTML_DEPTH {
        // Too deep to keep as structure: keep every word as text.
        for t in n.descendants().filter(|d| d.is_text()) {
            let t = t.text().unwrap_or("");
            html.push(' ');
            escape_text(t, html);
            text.push(' ');
            push_text(t, text, flags.pre);
        }
        return;
    }
    let block = is_block(name);
    if block {
        text.push('\n');
    } else if matches!(name, "td" | "th") {
        text.push('\t');
    }
    let class = if flags.opaque {
        Class::Opaque
    } else {
        classify(name)
    };
    let inner = Flags {
        opaque: class == Class::Opaque,
        pre: flags.pre || name == "pre",
    };
    let void = matches!(name, "br" | "hr" | "col");
    let has_children = n.has_children();
    match class {
        Class::Keep => {
            html.push('<');
            html.push_str(name);
            let mut has_href = false;
            for a in n.attributes() {
                let k = lower(a.name());
                if let Some(v) = allowed_attr(name, &k, a.value()) {
                    has_href |= k == "href";
                    html.push(' ');
                    html.push_str(&k);
                    html.push_str("=\"");
                    escape_attr(&v, html);
                    html.push('"');
                }
            }
            if has_href {
                html.push_str(" rel=\"noopener noreferrer\"");
            }
            // Void elements self-close so the output is both HTML and well-formed XML.
            html.push_str(if void { "/>" } else { ">" });
            if !void {
                for c in n.children() {
                    walk(c, html, text, inner, depth + 1);
                }
                html.push_str("</");
                html.push_str(name);
                html.push('>');
            }
        }
        Class::Opaque | Class::Unwrap => {
            if has_children {
                // An unwrapped element still separates words from its neighbours.
                html.push(' ');
                for c in n.children() {
                    walk(c, html, text, inner, depth + 1);
                }
                html.push(' ');
            }
        }
    }
    if block {
        text.push('\n');
    } else if class != Class::Keep || matches!(name, "td" | "th") {
        text.push(' ');
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
