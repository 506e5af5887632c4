//! A small format-neutral FHIR element tree, built from FHIR STU3 XML or JSON.
//!
//! XML attributes `value` become [`Node::value`]; the `url` attribute of an extension
//! becomes a child named `url` (as in JSON). JSON arrays become repeated children.
//! A JSON object with `resourceType` becomes a child named after the type, so
//! `resource.Composition` has the same shape in both formats. Narrative `div`s carry a
//! parsed XHTML tree.

use std::borrow::Cow;
use std::cell::RefCell;

use crate::xhtml::{self, Narrative};
use crate::xml;

/// Maximum element nesting kept in the FHIR tree (FHIR documents nest ~15 deep).
pub(crate) const MAX_DEPTH: usize = 96;

#[derive(Debug, Default, Clone)]
pub(crate) struct Node<'i> {
    pub name: &'i str,
    pub value: Option<Cow<'i, str>>,
    pub children: Vec<Node<'i>>,
    /// For narrative `div` elements: the sanitised narrative.
    /// Taken (moved out) by the one reader that uses it.
    pub xhtml: Option<RefCell<Narrative>>,
}

impl<'i> Node<'i> {
    pub fn child(&self, name: &str) -> Option<&Node<'i>> {
        self.children.iter().find(|c| c.name == name)
    }
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node<'i>> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// Value of a direct child primitive, e.g. `node.val("id")`.
    pub fn val(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(|c| c.value.as_deref())
    }
    /// Follow a path of child names (first match at each step).
    pub fn path(&self, path: &[&str]) -> Option<&Node<'i>> {
        let mut n = self;
        for p in path {
            n = n.child(p)?;
        }
        Some(n)
    }
    pub fn path_val(&self, path: &[&str]) -> Option<&str> {
        self.path(path).and_then(|n| n.value.as_deref())
    }
    /// The single resource inside a `resource` wrapper element.
    pub fn resource(&self) -> Option<&Node<'i>> {
        self.children.first()
    }
    /// Extensions whose url equals or ends with `suffix`.
    pub fn extensions<'a>(&'a self, suffix: &'a str) -> impl Iterator<Item = &'a Node<'i>> + 'a {
        self.children_named("extension").filter(move |e| {
            e.val("url")
                .is_some_and(|u| u == suffix || u.ends_with(suffix))
        })
    }
}

pub(crate) enum TreeError {
    Unreadable(String),
}

/// Outcome of building a tree: the root plus non-fatal notes (truncation etc.).
pub(crate) struct Built<'i> {
    pub root: Node<'i>,
    pub notes: Vec<String>,
}

/// Parse XML text (DOCTYPEs refused).
pub(crate) fn parse_xml(text: &str) -> Result<roxmltree::Document<'_>, TreeError> {
    xml::parse(text, 4_000_000).map_err(|e| TreeError::Unreadable(e.to_string()))
}

/// The FHIR tree of a parsed XML document, borrowing its strings.
pub(crate) fn from_xml<'a>(doc: &'a roxmltree::Document<'_>) -> Built<'a> {
    let mut notes = Vec::new();
    let root = xml_node(doc.root_element(), 0, &mut notes);
    Built { root, notes }
}

fn xml_node<'a>(el: roxmltree::Node<'a, '_>, depth: usize, notes: &mut Vec<String>) -> Node<'a> {
    let mut node = Node {
        name: el.tag_name().name(),
        ..Default::default()
    };
    if node.name == "div" {
        node.xhtml = Some(RefCell::new(xhtml::from_xml(el)));
        return node;
    }
    for a in el.attributes() {
        match a.name() {
            "value" => node.value = Some(Cow::Borrowed(a.value())),
            "url" => node.children.push(Node {
                name: "url",
                value: Some(Cow::Borrowed(a.value())),
                ..Default::default()
            }),
            _ => {}
        }
    }
    if depth >= MAX_DEPTH {
        if el.children().any(|c| c.is_element()) {
            notes.push(format!(
                "elements nested deeper than {MAX_DEPTH} levels under <{}> were not read",
                node.name
            ));
        }
        return node;
    }
    node.children
        .reserve(el.children().filter(|c| c.is_element()).count());
    for c in el.children().filter(|c| c.is_element()) {
        node.children.push(xml_node(c, depth + 1, notes));
    }
    node
}

/// Parse JSON (serde_json bounds recursion at 128 levels and reports it as an error).
pub(crate) fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, TreeError> {
    serde_json::from_slice(bytes).map_err(|e| TreeError::Unreadable(format!("not valid JSON: {e}")))
}

/// The FHIR tree of a JSON resource, borrowing its strings.
pub(crate) fn from_json(v: &serde_json::Value) -> Result<Built<'_>, TreeError> {
    let serde_json::Value::Object(map) = v else {
        return Err(TreeError::Unreadable("JSON input is not an object".into()));
    };
    let Some(rt) = map.get("resourceType").and_then(|r| r.as_str()) else {
        return Err(TreeError::Unreadable(
            "JSON input has no resourceType".into(),
        ));
    };
    let mut notes = Vec::new();
    let mut root = Node {
        name: rt,
        ..Default::default()
    };
    json_object_into(&mut root, map, 0, &mut notes);
    Ok(Built { root, notes })
}

fn json_object_into<'a>(
    node: &mut Node<'a>,
    map: &'a serde_json::Map<String, serde_json::Value>,
    depth: usize,
    notes: &mut Vec<String>,
) {
    for (k, v) in map {
        if k == "resourceType" || k.starts_with('_') || k == "fhir_comments" {
            continue;
        }
        match v {
            serde_json::Value::Array(items) => {
                for item in items {
                    json_value(node, k, item, depth, notes);
                }
            }
            _ => json_value(node, k, v, depth, notes),
        }
    }
}

fn json_value<'a>(
    parent: &mut Node<'a>,
    key: &'a str,
    v: &'a serde_json::Value,
    depth: usize,
    notes: &mut Vec<String>,
) {
    use serde_json::Value as V;
    let mut node = Node {
        name: key,
        ..Default::default()
    };
    match v {
        V::Null => return,
        V::Bool(b) => node.value = Some(Cow::Owned(b.to_string())),
        V::Number(n) => node.value = Some(Cow::Owned(n.to_string())),
        V::String(s) => {
            if key == "div" {
                node.xhtml = Some(RefCell::new(xhtml::from_str(s)));
            } else {
                node.value = Some(Cow::Borrowed(s));
            }
        }
        V::Array(items) => {
            // Nested arrays are not FHIR; keep their items under the same name.
            if depth >= MAX_DEPTH {
                notes.push(format!(
                    "arrays nested deeper than {MAX_DEPTH} levels under \"{key}\" were not read"
                ));
            } else {
                for item in items {
                    json_value(&mut node, key, item, depth + 1, notes);
                }
            }
        }
        V::Object(map) => {
            if depth >= MAX_DEPTH {
                notes.push(format!(
                    "elements nested deeper than {MAX_DEPTH} levels under \"{key}\" were not read"
                ));
            } else if let Some(rt) = map.get("resourceType").and_then(|r| r.as_str()) {
                let mut res = Node {
                    name: rt,
                    ..Default::default()
                };
                json_object_into(&mut res, map, depth + 1, notes);
                node.children.push(res);
            } else {
                json_object_into(&mut node, map, depth + 1, notes);
            }
        }
    }
    parent.children.push(node);
}
