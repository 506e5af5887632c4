//! A tiny FHIR element builder with FHIR XML and FHIR JSON output (used by the response
//! builder and the fixture generator).

use serde_json::{Map, Value};

#[derive(Debug, Clone, Default)]
pub struct El {
    pub name: String,
    pub value: Option<String>,
    pub url: Option<String>,
    pub children: Vec<El>,
    /// Raw XHTML for a narrative `div` (must be well-formed, with the XHTML namespace).
    pub xhtml: Option<String>,
    pub resource: bool,
}

impl El {
    pub fn new(name: &str) -> Self {
        El {
            name: name.into(),
            ..Default::default()
        }
    }
    pub fn res(name: &str) -> Self {
        El {
            name: name.into(),
            resource: true,
            ..Default::default()
        }
    }
    pub fn v(name: &str, value: impl Into<String>) -> Self {
        El {
            name: name.into(),
            value: Some(value.into()),
            ..Default::default()
        }
    }
    pub fn ext(url: &str) -> Self {
        El {
            name: "extension".into(),
            url: Some(url.into()),
            ..Default::default()
        }
    }
    pub fn div(xhtml: impl Into<String>) -> Self {
        El {
            name: "div".into(),
            xhtml: Some(xhtml.into()),
            ..Default::default()
        }
    }
    pub fn c(mut self, child: El) -> Self {
        self.children.push(child);
        self
    }
    pub fn push(&mut self, child: El) {
        self.children.push(child);
    }
    pub fn coding(system: &str, code: &str, display: &str) -> El {
        El::new("coding")
            .c(El::v("system", system))
            .c(El::v("code", code))
            .c(El::v("display", display))
    }
    pub fn reference(name: &str, r: &str) -> El {
        El::new(name).c(El::v("reference", r))
    }
    /// A bundle entry with a fullUrl and a resource.
    pub fn entry(full_url: &str, resource: El) -> El {
        El::new("entry")
            .c(El::v("fullUrl", full_url))
            .c(El::new("resource").c(resource))
    }
}

/// The ITK3 handling extension (`Extension-ITK-MessageHandling-2`) of a MessageHeader, as this
/// crate writes it: recipient type "For Action", no local extension.
pub fn handling_extension(
    bus_ack: bool,
    inf_ack: bool,
    message_definition: &str,
    sender_reference: &str,
) -> El {
    let sub = |url: &str, v: El| El::ext(url).c(v);
    let flag = |b: bool| if b { "true" } else { "false" };
    El::ext("https://fhir.nhs.uk/STU3/StructureDefinition/Extension-ITK-MessageHandling-2")
        .c(sub("BusAckRequested", El::v("valueBoolean", flag(bus_ack))))
        .c(sub("InfAckRequested", El::v("valueBoolean", flag(inf_ack))))
        .c(sub(
            "RecipientType",
            El::new("valueCoding")
                .c(El::v(
                    "system",
                    "https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1",
                ))
                .c(El::v("code", "FA"))
                .c(El::v("display", "For Action")),
        ))
        .c(sub(
            "MessageDefinition",
            El::reference("valueReference", message_definition),
        ))
        .c(sub(
            "SenderReference",
            El::v("valueString", sender_reference),
        ))
        .c(sub("LocalExtension", El::v("valueString", "None")))
}

pub(crate) fn escape_attr(t: &str, out: &mut String) {
    for ch in t.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            _ => out.push(ch),
        }
    }
}

pub fn escape_text(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for ch in t.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(ch),
        }
    }
    out
}

/// FHIR XML of a resource, with the XML declaration and the FHIR namespace.
pub fn to_xml(root: &El) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_xml(root, &mut out, 0, true);
    out
}

fn write_xml(e: &El, out: &mut String, depth: usize, root: bool) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    if let Some(x) = &e.xhtml {
        out.push_str(x);
        out.push('\n');
        return;
    }
    out.push('<');
    out.push_str(&e.name);
    if root {
        out.push_str(" xmlns=\"http://hl7.org/fhir\"");
    }
    if let Some(u) = &e.url {
        out.push_str(" url=\"");
        escape_attr(u, out);
        out.push('"');
    }
    if let Some(v) = &e.value {
        out.push_str(" value=\"");
        escape_attr(v, out);
        out.push('"');
    }
    if e.children.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    for c in &e.children {
        write_xml(c, out, depth + 1, false);
    }
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push_str(">\n");
}

const ARRAYS: &[&str] = &[
    "entry",
    "extension",
    "coding",
    "identifier",
    "section",
    "given",
    "prefix",
    "line",
    "telecom",
    "address",
    "author",
    "profile",
    "issue",
    "reaction",
    "manifestation",
    "dosage",
    "note",
    "additionalInstruction",
    "generalPractitioner",
    "relatesTo",
    "contained",
    "item",
];

/// FHIR JSON of a resource.
pub fn to_json(root: &El) -> Value {
    json_of(root)
}

fn json_of(e: &El) -> Value {
    if let Some(x) = &e.xhtml {
        return Value::String(x.clone());
    }
    if e.name == "resource" && e.children.len() == 1 && e.children[0].resource {
        return json_of(&e.children[0]);
    }
    if e.children.is_empty() && e.url.is_none() && !e.resource {
        let v = e.value.clone().unwrap_or_default();
        if e.name == "valueBoolean" {
            return Value::Bool(v == "true");
        }
        return Value::String(v);
    }
    let mut map = Map::new();
    if e.resource {
        map.insert("resourceType".into(), Value::String(e.name.clone()));
    }
    if let Some(u) = &e.url {
        map.insert("url".into(), Value::String(u.clone()));
    }
    let mut order: Vec<&str> = Vec::new();
    for c in &e.children {
        if !order.contains(&c.name.as_str()) {
            order.push(&c.name);
        }
    }
    for name in order {
        let items: Vec<Value> = e
            .children
            .iter()
            .filter(|c| c.name == name)
            .map(json_of)
            .collect();
        let v = if items.len() > 1 || ARRAYS.contains(&name) {
            Value::Array(items)
        } else {
            items.into_iter().next().unwrap_or(Value::Null)
        };
        map.insert(name.to_string(), v);
    }
    Value::Object(map)
}
