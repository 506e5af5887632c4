//! Safe XML parsing, shared by the FHIR tree (`tree.rs`) and the narrative (`xhtml.rs`):
//! DOCTYPEs and entity declarations are refused before parsing, and the node count is bounded.

/// Why text could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XmlError {
    /// A DOCTYPE or entity declaration (refused: entity expansion attacks, external entities).
    Doctype,
    NotWellFormed(String),
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XmlError::Doctype => f.write_str("XML with a DOCTYPE or entity declaration is refused"),
            XmlError::NotWellFormed(e) => write!(f, "not well-formed XML: {e}"),
        }
    }
}

/// A DOCTYPE (or other markup declaration such as `<!ENTITY`) in the prolog, before the
/// root element; the only place XML allows one. Comments, processing instructions and the
/// XML declaration are skipped.
pub(crate) fn has_doctype(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        let at = i + off + 1;
        match b.get(at) {
            Some(b'!') => {
                if b[at..].starts_with(b"!--") {
                    // Skip the comment.
                    match text[at..].find("-->") {
                        Some(e) => i = at + e + 3,
                        None => return false,
                    }
                    continue;
                }
                return true;
            }
            Some(b'?') => i = at,
            _ => return false,
        }
    }
    false
}

/// Parses XML text with DTDs refused and at most `nodes_limit` nodes.
pub(crate) fn parse(text: &str, nodes_limit: u32) -> Result<roxmltree::Document<'_>, XmlError> {
    if has_doctype(text) {
        return Err(XmlError::Doctype);
    }
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, opts)
        .map_err(|e| XmlError::NotWellFormed(e.to_string()))
}
