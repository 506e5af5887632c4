//! Tolerant reading of ITK3 messages and ToC documents into the model.

use std::collections::{HashMap, HashSet};

use crate::codes::{self, ResponseCode as Rc};
use crate::model::*;
use crate::nhs;
use crate::tree::{self, Node};

/// Inputs above this are refused outright (fatal Rc::TooLarge); above 5 MB is an error but read.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
const MAX_SECTION_DEPTH: u32 = 32;

pub(crate) struct Diags(pub Vec<Diagnostic>);

impl Diags {
    fn push(
        &mut self,
        severity: Severity,
        itk_code: Option<Rc>,
        location: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.0.push(Diagnostic {
            severity,
            itk_code: itk_code.map(Rc::code),
            location: location.into(),
            message: message.into(),
            attention: false,
        });
    }
    /// A warning a reader of the document must see (see [`Diagnostic::attention`]).
    fn notice(&mut self, code: Option<Rc>, loc: impl Into<String>, msg: impl Into<String>) {
        self.push(Severity::Warning, code, loc, msg);
        if let Some(d) = self.0.last_mut() {
            d.attention = true;
        }
    }
    fn fatal(&mut self, code: Rc, loc: &str, msg: impl Into<String>) {
        self.push(Severity::Fatal, Some(code), loc, msg);
    }
    fn error(&mut self, code: Rc, loc: impl Into<String>, msg: impl Into<String>) {
        self.push(Severity::Error, Some(code), loc, msg);
    }
    fn warn(&mut self, code: Option<Rc>, loc: impl Into<String>, msg: impl Into<String>) {
        self.push(Severity::Warning, code, loc, msg);
    }
}

/// Parse an ITK3 message or a bare ToC document Bundle (FHIR STU3 XML or JSON).
/// Never panics and never fails: see [`Parsed::is_fatal`] and [`Parsed::diagnostics`].
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut p = Parsed {
        input_size: bytes.len() as u64,
        ..Default::default()
    };
    let mut d = Diags(Vec::new());
    read(bytes, &mut p, &mut d);
    p.diagnostics = d.0;
    p
}

fn read(bytes: &[u8], p: &mut Parsed, d: &mut Diags) {
    if bytes.len() > MAX_INPUT_BYTES {
        d.fatal(
            Rc::TooLarge,
            "",
            format!(
                "input is {} bytes, above the {} byte limit; not read",
                bytes.len(),
                MAX_INPUT_BYTES
            ),
        );
        return;
    }
    if bytes.len() > codes::MESSAGE_SIZE_LIMIT {
        d.error(
            Rc::TooLarge,
            "",
            format!(
                "message is {} bytes, above the recommended 5 MB ITK3 limit",
                bytes.len()
            ),
        );
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        d.fatal(
            Rc::Unreadable,
            "",
            "UTF-16 input is not supported (expected UTF-8)",
        );
        return;
    }
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());
    let xml_doc;
    let json_value;
    let built = match first {
        Some(b'<') => {
            p.format = InputFormat::Xml;
            let Ok(text) = std::str::from_utf8(body) else {
                d.fatal(Rc::Unreadable, "", "XML input is not valid UTF-8");
                return;
            };
            match tree::parse_xml(text) {
                Ok(doc) => {
                    xml_doc = doc;
                    Ok(tree::from_xml(&xml_doc))
                }
                Err(e) => Err(e),
            }
        }
        Some(b'{') => {
            p.format = InputFormat::Json;
            match tree::parse_json(body) {
                Ok(v) => {
                    json_value = v;
                    tree::from_json(&json_value)
                }
                Err(e) => Err(e),
            }
        }
        None => {
            d.fatal(Rc::Unreadable, "", "input is empty");
            return;
        }
        Some(_) => {
            d.fatal(Rc::Unreadable, "", "input is neither XML nor JSON");
            return;
        }
    };
    let built = match built {
        Ok(b) => b,
        Err(tree::TreeError::Unreadable(msg)) => {
            d.fatal(Rc::Unreadable, "", msg);
            return;
        }
    };
    for note in built.notes {
        d.error(Rc::PayloadInvalid, "", note);
    }
    let root = &built.root;
    if root.name != "Bundle" {
        d.fatal(
            Rc::Unreadable,
            root.name,
            format!(
                "root resource is {}, not a Bundle (message or document)",
                root.name
            ),
        );
        return;
    }
    match root.val("type") {
        Some("message") => read_message(root, p, d),
        Some("document") => {
            let doc = read_document(root, None, None, d);
            p.kind = doc.kind;
            p.document = Some(doc);
        }
        other => {
            if bundle_resources(root).any(|r| r.name == "MessageHeader") {
                d.error(
                    Rc::HeaderInvalid,
                    "Bundle.type",
                    format!(
                        "Bundle.type is {:?}; read as a message because it holds a MessageHeader",
                        other.unwrap_or("")
                    ),
                );
                read_message(root, p, d);
            } else if bundle_resources(root).any(|r| r.name == "Composition") {
                d.error(
                    Rc::PayloadInvalid,
                    "Bundle.type",
                    format!(
                        "Bundle.type is {:?}; read as a document because it holds a Composition",
                        other.unwrap_or("")
                    ),
                );
                let doc = read_document(root, None, None, d);
                p.kind = doc.kind;
                p.document = Some(doc);
            } else {
                d.fatal(
                    Rc::Unreadable,
                    "Bundle.type",
                    format!(
                        "Bundle of type {:?} is neither a message nor a document",
                        other.unwrap_or("")
                    ),
                );
            }
        }
    }
}

fn bundle_resources<'a>(b: &'a Node<'a>) -> impl Iterator<Item = &'a Node<'a>> {
    b.children_named("entry")
        .filter_map(|e| e.child("resource"))
        .filter_map(|r| r.resource())
}

/// Resources of a Bundle, addressable by fullUrl and by `Type/id`.
struct Index<'a> {
    map: HashMap<String, &'a Node<'a>>,
}

impl<'a> Index<'a> {
    fn new(bundle: &'a Node<'a>) -> Self {
        let mut map = HashMap::new();
        for e in bundle.children_named("entry") {
            let Some(res) = e.child("resource").and_then(|r| r.resource()) else {
                continue;
            };
            if let Some(u) = e.val("fullUrl") {
                map.entry(u.to_string()).or_insert(res);
            }
            if let Some(id) = res.val("id") {
                map.entry(format!("{}/{}", res.name, id)).or_insert(res);
                map.entry(format!("urn:uuid:{id}")).or_insert(res);
            }
        }
        Index { map }
    }
    fn get(&self, reference: &str) -> Option<&'a Node<'a>> {
        if let Some(n) = self.map.get(reference) {
            return Some(n);
        }
        // Absolute URL ending in Type/id.
        let mut parts = reference.rsplit('/');
        let id = parts.next()?;
        let ty = parts.next()?;
        self.map.get(&format!("{ty}/{id}")).copied()
    }
}

struct Ctx<'a> {
    doc: Index<'a>,
    outer: Option<&'a Index<'a>>,
}

impl<'a> Ctx<'a> {
    fn resolve(&self, reference: &str) -> Option<&'a Node<'a>> {
        self.doc
            .get(reference)
            .or_else(|| self.outer.and_then(|o| o.get(reference)))
    }
    fn resolve_ref(&self, node: Option<&Node>) -> Option<&'a Node<'a>> {
        node.and_then(|n| n.val("reference"))
            .and_then(|r| self.resolve(r))
    }
}

fn s(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Display of a CodeableConcept: text, else first coding display, else code.
fn concept_text(cc: Option<&Node>) -> Option<String> {
    let cc = cc?;
    s(cc.val("text"))
        .or_else(|| {
            cc.children_named("coding")
                .find_map(|c| s(c.val("display")))
        })
        .or_else(|| cc.children_named("coding").find_map(|c| s(c.val("code"))))
        .or_else(|| s(cc.val("display")))
        .or_else(|| s(cc.val("code")))
}

fn snomed_code(cc: Option<&Node>) -> Option<String> {
    let cc = cc?;
    let codings: Vec<&Node> = cc.children_named("coding").collect();
    codings
        .iter()
        .find(|c| c.val("system").is_some_and(|s| s.contains("snomed")))
        .or(codings.first())
        .and_then(|c| s(c.val("code")))
}

fn coded(cc: Option<&Node>) -> Option<Coded> {
    let cc = cc?;
    let c = cc.child("coding").unwrap_or(cc);
    let out = Coded {
        system: s(c.val("system")),
        code: s(c.val("code")),
        display: s(c.val("display")).or_else(|| s(cc.val("text"))),
    };
    (out.code.is_some() || out.display.is_some()).then_some(out)
}

/// value[x] of an extension as a display string.
fn ext_value(ext: &Node) -> Option<String> {
    let v = ext.children.iter().find(|c| c.name.starts_with("value"))?;
    match v.name {
        "valueCodeableConcept" => concept_text(Some(v)).or_else(|| snomed_code(Some(v))),
        "valueCoding" => s(v.val("code")).or_else(|| s(v.val("display"))),
        "valueReference" => s(v.val("reference")),
        "valuePeriod" => s(v.val("start")),
        _ => s(v.value.as_deref()),
    }
}

fn human_name(n: Option<&Node>) -> Option<String> {
    let n = n?;
    if let Some(t) = s(n.val("text")) {
        return Some(t);
    }
    let mut parts: Vec<String> = n
        .children_named("prefix")
        .filter_map(|c| s(c.value.as_deref()))
        .collect();
    parts.extend(
        n.children_named("given")
            .filter_map(|c| s(c.value.as_deref())),
    );
    parts.extend(s(n.val("family")));
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn best_name<'a>(res: &'a Node<'a>) -> Option<&'a Node<'a>> {
    res.children_named("name")
        .find(|n| n.val("use") == Some("official"))
        .or_else(|| res.child("name"))
}

fn identifier_with(res: &Node, system_part: &str) -> Option<String> {
    res.children_named("identifier")
        .find(|i| i.val("system").is_some_and(|s| s.contains(system_part)))
        .and_then(|i| s(i.val("value")))
}

fn party(res: &Node, ctx: Option<&Ctx>) -> Party {
    let mut p = Party {
        resource_type: res.name.to_string(),
        ..Default::default()
    };
    match res.name {
        "Organization" => {
            p.ods_code = identifier_with(res, "ods-organization-code")
                .or_else(|| identifier_with(res, "ods-site-code"));
            p.identifier = res.child("identifier").and_then(|i| s(i.val("value")));
            p.name = s(res.val("name"));
        }
        "PractitionerRole" => {
            if let Some(ctx) = ctx {
                if let Some(pr) = ctx.resolve_ref(res.child("practitioner")) {
                    p.name = human_name(best_name(pr));
                    p.identifier = identifier_with(pr, "sds-user-id")
                        .or_else(|| pr.child("identifier").and_then(|i| s(i.val("value"))));
                }
                if let Some(org) = ctx.resolve_ref(res.child("organization")) {
                    p.ods_code = identifier_with(org, "ods-organization-code");
                }
            }
            p.name = p
                .name
                .or_else(|| res.child("practitioner").and_then(|r| s(r.val("display"))));
        }
        _ => {
            p.name = human_name(best_name(res)).or_else(|| s(res.val("name")));
            p.identifier = identifier_with(res, "sds-user-id")
                .or_else(|| res.child("identifier").and_then(|i| s(i.val("value"))));
            p.ods_code = identifier_with(res, "ods-organization-code");
        }
    }
    p
}

fn party_ref(reference: Option<&Node>, ctx: &Ctx) -> Option<Party> {
    let r = reference?;
    match ctx.resolve_ref(Some(r)) {
        Some(res) => Some(party(res, Some(ctx))),
        None => {
            let ident = r.child("identifier").and_then(|i| s(i.val("value")));
            let display = s(r.val("display"));
            (ident.is_some() || display.is_some()).then(|| Party {
                resource_type: String::new(),
                ods_code: ident,
                identifier: None,
                name: display,
            })
        }
    }
}

fn read_message(root: &Node, p: &mut Parsed, d: &mut Diags) {
    let idx = Index::new(root);
    let ctx = Ctx {
        doc: Index {
            map: HashMap::new(),
        },
        outer: Some(&idx),
    };
    let first = bundle_resources(root).next();
    let header = match first {
        Some(h) if h.name == "MessageHeader" => h,
        _ => match bundle_resources(root).find(|r| r.name == "MessageHeader") {
            Some(h) => {
                d.error(
                    Rc::HeaderInvalid,
                    "Bundle.entry[0]",
                    "MessageHeader is not the first entry of the message Bundle",
                );
                h
            }
            None => {
                d.fatal(
                    Rc::Unreadable,
                    "Bundle",
                    "message Bundle has no MessageHeader",
                );
                return;
            }
        },
    };
    let mut m = MessageInfo {
        bundle_id: s(root.val("id")),
        bundle_identifier: s(root.path_val(&["identifier", "value"])),
        ..Default::default()
    };
    m.message_id = s(header.val("id"));
    if m.message_id.is_none() {
        d.error(
            Rc::HeaderInvalid,
            "MessageHeader.id",
            "MessageHeader has no id; responses will use UNREADABLE-IN-ORIGINAL-MESSAGE",
        );
    }
    if let Some(ev) = header.child("event") {
        m.event_code = s(ev.val("code"));
        m.event_display = s(ev.val("display"));
    }
    let Some(event) = m.event_code.clone() else {
        d.error(
            Rc::HeaderInvalid,
            "MessageHeader.event",
            "MessageHeader has no event code",
        );
        finish_message(root, header, &ctx, &idx, m, DocumentKind::Unknown, p, d);
        return;
    };
    let kind = DocumentKind::from_event(&event);
    if kind == DocumentKind::Unknown {
        d.error(
            Rc::MessageDefinitionError,
            "MessageHeader.event",
            format!("event code {event} is not a Transfer of Care or response event"),
        );
    }
    m.legacy = event.starts_with("ITK001")
        || event.starts_with("ITK002")
        || header.child("destination").is_some();
    finish_message(root, header, &ctx, &idx, m, kind, p, d);
}

#[allow(clippy::too_many_arguments)]
fn finish_message(
    root: &Node,
    header: &Node,
    ctx: &Ctx,
    idx: &Index,
    mut m: MessageInfo,
    kind: DocumentKind,
    p: &mut Parsed,
    d: &mut Diags,
) {
    read_handling(header, &mut m.handling, d, kind == DocumentKind::Response);
    m.sender = party_ref(header.child("sender"), ctx);
    if m.sender.is_none() {
        d.error(
            Rc::HeaderInvalid,
            "MessageHeader.sender",
            "MessageHeader has no resolvable sender",
        );
    }
    m.receiver = party_ref(header.child("receiver"), ctx);
    m.sender_mailbox = s(header.path_val(&["source", "endpoint"]));
    if m.sender_mailbox.is_none() {
        d.error(
            Rc::HeaderInvalid,
            "MessageHeader.source.endpoint",
            "MessageHeader has no source.endpoint (sender MESH mailbox)",
        );
    }
    m.timestamp = s(header.val("timestamp"));
    if m.timestamp.is_none() {
        d.error(
            Rc::HeaderInvalid,
            "MessageHeader.timestamp",
            "MessageHeader has no timestamp",
        );
    }
    p.kind = kind;
    if kind == DocumentKind::Response || header.child("response").is_some() {
        p.kind = DocumentKind::Response;
        p.response = Some(read_response(root, header, idx, &m, d));
        p.message = Some(m);
        return;
    }
    // The payload: MessageHeader.focus, else the first Bundle entry.
    let focus_ref = header.path_val(&["focus", "reference"]);
    let focused = focus_ref
        .and_then(|r| idx.get(r))
        .filter(|n| n.name == "Bundle");
    if focus_ref.is_some() && focused.is_none() {
        d.error(
            Rc::HeaderInvalid,
            "MessageHeader.focus",
            "MessageHeader.focus does not resolve to a Bundle in the message",
        );
    }
    let payload = focused.or_else(|| bundle_resources(root).find(|r| r.name == "Bundle"));
    match payload {
        Some(b) => {
            if b.val("type") != Some("document") {
                d.error(
                    Rc::PayloadInvalid,
                    "Bundle.entry.resource.Bundle.type",
                    "payload Bundle is not of type document",
                );
            }
            let doc = read_document(b, Some(idx), Some(kind), d);
            if p.kind == DocumentKind::Unknown {
                p.kind = doc.kind;
            }
            p.document = Some(doc);
        }
        None => {
            if bundle_resources(root).any(|r| r.name == "Composition") {
                d.error(
                    Rc::PayloadInvalid,
                    "Bundle",
                    "Composition sent directly in the message Bundle instead of a document Bundle",
                );
                let doc = read_document(root, None, Some(kind), d);
                p.document = Some(doc);
            } else {
                d.error(
                    Rc::PayloadInvalid,
                    "Bundle",
                    "message carries no document Bundle",
                );
            }
        }
    }
    p.message = Some(m);
}

fn read_handling(header: &Node, h: &mut Handling, d: &mut Diags, is_response: bool) {
    let mut found = false;
    for ext in header.extensions("Extension-ITK-MessageHandling-2") {
        found = true;
        for sub in ext.children_named("extension") {
            let val = ext_value(sub);
            match sub.val("url").unwrap_or("") {
                "BusAckRequested" => h.bus_ack_requested = val.as_deref().and_then(parse_bool),
                "InfAckRequested" => h.inf_ack_requested = val.as_deref().and_then(parse_bool),
                "RecipientType" => h.recipient_type = val,
                "MessageDefinition" => h.message_definition = val,
                "SenderReference" => h.sender_reference = val,
                "LocalExtension" => h.local_extension = val,
                _ => {}
            }
        }
    }
    for ext in header.extensions("Extension-ITK-MessageHandling-1") {
        found = true;
        h.legacy = true;
        let mut key = None;
        let mut value = None;
        for sub in ext.children_named("extension") {
            match sub.val("url").unwrap_or("") {
                "Key" => {
                    key = sub
                        .children
                        .iter()
                        .find(|c| c.name.starts_with("value"))
                        .and_then(|v| {
                            v.child("coding")
                                .map(|c| c.val("code"))
                                .unwrap_or(v.val("code"))
                                .map(str::to_string)
                        })
                        .or_else(|| ext_value(sub))
                }
                "Value" => value = ext_value(sub),
                _ => {}
            }
        }
        let key = key.unwrap_or_default();
        let value = value.unwrap_or_default();
        match key.as_str() {
            "INFACK" => h.inf_ack_requested = parse_bool(&value),
            "BUSACK" => h.bus_ack_requested = parse_bool(&value),
            "SNDREF" => h.sender_reference = Some(value.clone()),
            "RECIPTYPE" | "RCPTYPE" => h.recipient_type = Some(value.clone()),
            _ => {}
        }
        h.legacy_keys.push((key, value));
    }
    if !found {
        d.error(
            Rc::HandlingSpecificationError,
            "MessageHeader.extension",
            "no ITK handling specification (Extension-ITK-MessageHandling-2)",
        );
        return;
    }
    if !h.legacy && !is_response {
        if h.bus_ack_requested.is_none() || h.inf_ack_requested.is_none() {
            d.error(
                Rc::HandlingSpecificationError,
                "MessageHeader.extension",
                "handling specification lacks a readable BusAckRequested or InfAckRequested flag",
            );
        }
        match h.recipient_type.as_deref() {
            Some("FA" | "FI") => {}
            Some(other) => d.error(
                Rc::RecipientTypeError,
                "MessageHeader.extension.RecipientType",
                format!("recipient type {other:?} is not FA or FI"),
            ),
            None => d.error(
                Rc::RecipientTypeError,
                "MessageHeader.extension.RecipientType",
                "no recipient type",
            ),
        }
        if h.message_definition.is_none() {
            d.error(
                Rc::MessageDefinitionError,
                "MessageHeader.extension.MessageDefinition",
                "no MessageDefinition in the handling specification",
            );
        }
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn read_response(
    root: &Node,
    header: &Node,
    idx: &Index,
    m: &MessageInfo,
    d: &mut Diags,
) -> ResponseInfo {
    let mut r = ResponseInfo::default();
    let resp = header.child("response");
    if resp.is_none() {
        d.error(
            Rc::HeaderInvalid,
            "MessageHeader.response",
            "response message has no MessageHeader.response",
        );
    }
    r.original_message_id = resp.and_then(|x| s(x.val("identifier")));
    r.response_code = resp.and_then(|x| s(x.val("code")));
    let outcome = resp
        .and_then(|x| x.path_val(&["details", "reference"]))
        .and_then(|rf| idx.get(rf))
        .filter(|n| n.name == "OperationOutcome")
        .or_else(|| bundle_resources(root).find(|n| n.name == "OperationOutcome"));
    if let Some(issue) = outcome.and_then(|o| o.child("issue")) {
        r.issue_severity = s(issue.val("severity"));
        r.issue_code = s(issue.val("code"));
        r.diagnostics = s(issue.val("diagnostics"));
        if let Some(c) = issue.path(&["details", "coding"]) {
            r.code = s(c.val("code"));
            r.display = s(c.val("display"));
        }
    }
    let code = r.code.clone().unwrap_or_default();
    r.legacy = m.legacy || codes::is_legacy_response_code(&code) || m.handling.legacy;
    r.business = code.starts_with('3')
        || code.starts_with("41")
        || m.event_code
            .as_deref()
            .is_some_and(|e| e.starts_with("ITK002"));
    if r.code.is_none() && !r.legacy {
        d.error(
            Rc::HeaderInvalid,
            "OperationOutcome.issue.details",
            "response has no response code",
        );
    }
    if let (Ok(n), Some(rc)) = (code.parse::<u32>(), r.response_code.as_deref()) {
        if let Some(info) = codes::response_code(n) {
            if info.response_code != rc {
                d.warn(
                    Some(Rc::HeaderInvalid),
                    "MessageHeader.response.code",
                    format!(
                        "response code {n} should have MessageHeader.response.code {}, not {rc}",
                        info.response_code
                    ),
                );
            }
        }
    }
    r
}

fn kind_from_profile(comp: &Node) -> DocumentKind {
    let profile = comp.path_val(&["meta", "profile"]).unwrap_or("");
    let tcode = snomed_code(comp.child("type")).unwrap_or_default();
    if profile.contains("EDIS") {
        DocumentKind::InpatientDischarge
    } else if profile.contains("ECD") || profile.contains("-EC-") {
        DocumentKind::EmergencyDischarge
    } else if profile.contains("-MH-") {
        DocumentKind::MentalHealthDischarge
    } else if profile.contains("OPL") || tcode == "823681000000100" {
        DocumentKind::OutpatientLetter
    } else {
        DocumentKind::Unknown
    }
}

const RECOGNISED: &[&str] = &[
    "Composition",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Encounter",
    "Location",
    "List",
    "MedicationStatement",
    "Medication",
    "MedicationDispense",
    "AllergyIntolerance",
    "Condition",
    "Procedure",
    "Binary",
    "RelatedPerson",
    "Device",
];

fn read_document(
    bundle: &Node,
    outer: Option<&Index>,
    event_kind: Option<DocumentKind>,
    d: &mut Diags,
) -> Document {
    let ctx = Ctx {
        doc: Index::new(bundle),
        outer,
    };
    let mut doc = Document {
        bundle_id: s(bundle.val("id")),
        bundle_identifier: s(bundle.path_val(&["identifier", "value"])),
        ..Default::default()
    };
    if doc.bundle_id.is_none() {
        d.error(
            Rc::PayloadInvalid,
            "Bundle.id",
            "document Bundle has no id (needed for duplicate detection)",
        );
    }
    let comp = bundle_resources(bundle).find(|r| r.name == "Composition");
    let Some(comp) = comp else {
        d.error(
            Rc::PayloadInvalid,
            "Bundle",
            "document Bundle has no Composition",
        );
        collect_entries(bundle, &ctx, &mut doc, d);
        return doc;
    };
    if bundle_resources(bundle).next().map(|r| r.name) != Some("Composition") {
        d.warn(
            Some(Rc::PayloadInvalid),
            "Bundle.entry[0]",
            "Composition is not the first entry of the document Bundle",
        );
    }
    let pk = kind_from_profile(comp);
    doc.kind = match event_kind {
        Some(k) if k != DocumentKind::Unknown && k != DocumentKind::Response => {
            if pk != DocumentKind::Unknown && pk != k {
                d.warn(
                    Some(Rc::PayloadInvalid),
                    "Composition.meta.profile",
                    format!(
                        "Composition profile suggests {} but the message event says {}",
                        pk.as_str(),
                        k.as_str()
                    ),
                );
            }
            k
        }
        _ => pk,
    };
    if doc.kind == DocumentKind::Unknown {
        d.warn(
            Some(Rc::PayloadInvalid),
            "Composition",
            "document kind could not be determined from the event or Composition profile",
        );
    }
    doc.composition_id = comp
        .children_named("identifier")
        .find_map(|i| s(i.val("value")));
    if doc.composition_id.is_none() {
        d.error(
            Rc::PayloadInvalid,
            "Composition.identifier",
            "Composition has no identifier",
        );
    }
    doc.title = s(comp.val("title"));
    doc.date = s(comp.val("date"));
    doc.status = s(comp.val("status"));
    doc.document_type = coded(comp.child("type"));
    doc.care_setting = comp
        .extensions("CareSettingType-1")
        .find_map(|e| coded(e.child("valueCodeableConcept")));
    doc.author = comp
        .children_named("author")
        .find_map(|a| party_ref(Some(a), &ctx));
    doc.custodian = party_ref(comp.child("custodian"), &ctx);
    for rel in comp.children_named("relatesTo") {
        if rel.val("code") == Some("replaces") {
            doc.replaces = s(rel.path_val(&["targetIdentifier", "value"]))
                .or_else(|| s(rel.path_val(&["targetReference", "identifier", "value"])))
                .or_else(|| s(rel.path_val(&["targetReference", "reference"])));
            if doc.replaces.is_none() {
                d.error(
                    Rc::PayloadInvalid,
                    "Composition.relatesTo",
                    "replacement document does not identify the document it replaces",
                );
            }
        }
    }
    if let Some(enc) = ctx.resolve_ref(comp.child("encounter")) {
        doc.encounter = Some(read_encounter(enc, doc.kind, &ctx));
    }
    match ctx.resolve_ref(comp.child("subject")) {
        Some(pat) if pat.name == "Patient" => doc.patient = Some(read_patient(pat, &ctx, d)),
        _ => d.error(
            Rc::PayloadInvalid,
            "Composition.subject",
            "Composition subject does not resolve to a Patient in the document",
        ),
    }
    let mut n = 0usize;
    read_sections(comp, 0, &ctx, &mut doc, &mut n, d);
    if doc.sections.is_empty() {
        d.error(
            Rc::PayloadInvalid,
            "Composition.section",
            "Composition has no sections",
        );
    }
    if doc
        .patient
        .as_ref()
        .is_some_and(|p| p.gp_practice_ods.is_none())
    {
        // GP practice section entry as a fallback for the patient's practice.
        let gp = comp
            .children_named("section")
            .find(|sct| snomed_code(sct.child("code")).as_deref() == Some("886711000000101"))
            .and_then(|sct| {
                sct.children_named("entry")
                    .find_map(|e| ctx.resolve_ref(Some(e)))
            })
            .filter(|o| o.name == "Organization");
        if let (Some(gp), Some(pat)) = (gp, doc.patient.as_mut()) {
            pat.gp_practice_ods = identifier_with(gp, "ods-organization-code");
            pat.gp_practice_name = s(gp.val("name"));
        }
    }
    collect_entries(bundle, &ctx, &mut doc, d);
    doc
}

fn read_sections(
    parent: &Node,
    level: u32,
    ctx: &Ctx,
    doc: &mut Document,
    n: &mut usize,
    d: &mut Diags,
) {
    for sct in parent.children_named("section") {
        let loc = format!("Composition.section[{}]", *n);
        *n += 1;
        let code = snomed_code(sct.child("code"));
        let code_display = sct.child("code").and_then(|c| concept_text(Some(c)));
        let known_title = code.as_deref().and_then(codes::section_title);
        let mut section = Section {
            code: code.clone(),
            code_display,
            title: s(sct.val("title")),
            known: known_title.is_some(),
            level,
            ..Default::default()
        };
        if section.title.is_none() {
            d.warn(
                Some(Rc::PayloadInvalid),
                loc.clone(),
                "section has no title",
            );
            section.title = known_title
                .map(str::to_string)
                .or_else(|| section.code_display.clone());
        }
        if !section.known {
            d.warn(
                Some(Rc::PayloadInvalid),
                loc.clone(),
                format!("section {:?} (code {}) is not a recognised Transfer of Care heading; kept for display", section.title.as_deref().unwrap_or(""), code.as_deref().unwrap_or("none")),
            );
        }
        match sct.path(&["text", "div"]).and_then(|dv| dv.xhtml.as_ref()) {
            Some(x) => {
                let x = std::mem::take(&mut *x.borrow_mut());
                narrative_notes(&x, &format!("{loc}.text"), d);
                section.html = x.html;
                section.text = x.text;
            }
            None => d.error(
                Rc::PayloadInvalid,
                format!("{loc}.text"),
                format!(
                    "section {:?} has no narrative text",
                    section.title.as_deref().unwrap_or("")
                ),
            ),
        }
        for e in sct.children_named("entry") {
            let Some(r) = s(e.val("reference")) else {
                continue;
            };
            let res = ctx.resolve(&r);
            if res.is_none() {
                d.warn(
                    Some(Rc::PayloadInvalid),
                    format!("{loc}.entry"),
                    format!("entry reference {r} does not resolve in the document"),
                );
            }
            section.entries.push(EntryRef {
                reference: r,
                resource_type: res.map(|x| x.name.to_string()),
                recognised: res.is_some_and(|x| RECOGNISED.contains(&x.name)),
            });
        }
        doc.sections.push(section);
        if level < MAX_SECTION_DEPTH {
            read_sections(sct, level + 1, ctx, doc, n, d);
        } else if sct.child("section").is_some() {
            d.error(
                Rc::PayloadInvalid,
                loc,
                format!("sub-sections nested deeper than {MAX_SECTION_DEPTH} levels were not read"),
            );
        }
    }
}

fn read_encounter(enc: &Node, kind: DocumentKind, ctx: &Ctx) -> Encounter {
    let mut e = Encounter {
        status: s(enc.val("status")),
        class: enc
            .child("class")
            .and_then(|c| s(c.val("display")).or_else(|| s(c.val("code")))),
        encounter_type: concept_text(enc.child("type")),
        start: s(enc.path_val(&["period", "start"])),
        end: s(enc.path_val(&["period", "end"])),
        admission_method: enc
            .extensions("AdmissionMethod-1")
            .find_map(|x| ext_value(x)),
        discharge_method: enc
            .extensions("DischargeMethod-1")
            .find_map(|x| ext_value(x)),
        admission_source: concept_text(enc.path(&["hospitalization", "admitSource"])),
        discharge_destination: concept_text(enc.path(&["hospitalization", "dischargeDisposition"]))
            .or_else(|| {
                enc.path(&["hospitalization", "destination"]).and_then(|r| {
                    ctx.resolve_ref(Some(r))
                        .and_then(|x| s(x.val("name")))
                        .or_else(|| s(r.val("display")))
                })
            }),
        location: enc.path(&["location", "location"]).and_then(|r| {
            ctx.resolve_ref(Some(r))
                .and_then(|x| s(x.val("name")))
                .or_else(|| s(r.val("display")))
        }),
        ..Default::default()
    };
    match kind {
        DocumentKind::EmergencyDischarge | DocumentKind::OutpatientLetter => {
            e.attendance_date = e.start.clone()
        }
        _ => e.admission_date = e.start.clone(),
    }
    if kind != DocumentKind::OutpatientLetter {
        e.discharge_date = e.end.clone();
    }
    e
}

fn read_patient(pat: &Node, ctx: &Ctx, d: &mut Diags) -> Patient {
    let name = best_name(pat);
    let mut p = Patient {
        nhs_number: identifier_with(pat, "nhs-number"),
        name: human_name(name),
        family: name.and_then(|n| s(n.val("family"))),
        given: name
            .map(|n| {
                n.children_named("given")
                    .filter_map(|g| s(g.value.as_deref()))
                    .collect()
            })
            .unwrap_or_default(),
        birth_date: s(pat.val("birthDate")),
        gender: s(pat.val("gender")),
        ..Default::default()
    };
    if let Some(addr) = pat
        .children_named("address")
        .find(|a| a.val("use") == Some("home"))
        .or_else(|| pat.child("address"))
    {
        let mut parts: Vec<String> = addr
            .children_named("line")
            .filter_map(|l| s(l.value.as_deref()))
            .collect();
        for k in ["city", "district", "postalCode"] {
            parts.extend(s(addr.val(k)));
        }
        p.postcode = s(addr.val("postalCode"));
        p.address = s(addr.val("text")).or_else(|| (!parts.is_empty()).then(|| parts.join(", ")));
    }
    for gp in pat.children_named("generalPractitioner") {
        if let Some(org) = ctx
            .resolve_ref(Some(gp))
            .filter(|o| o.name == "Organization")
        {
            p.gp_practice_ods = identifier_with(org, "ods-organization-code");
            p.gp_practice_name = s(org.val("name"));
            break;
        }
        if let Some(id) = gp.path_val(&["identifier", "value"]) {
            p.gp_practice_ods = s(Some(id));
        }
    }
    match &p.nhs_number {
        Some(n) => {
            p.nhs_number_valid = nhs::nhs_number_valid(n);
            if !p.nhs_number_valid {
                d.error(
                    Rc::PayloadInvalid,
                    "Patient.identifier",
                    format!("NHS number {n} is invalid: it fails the modulus 11 check"),
                );
            }
        }
        None => d.warn(
            Some(Rc::PayloadInvalid),
            "Patient.identifier",
            "patient has no NHS number",
        ),
    }
    p
}

fn collect_entries(bundle: &Node, ctx: &Ctx, doc: &mut Document, d: &mut Diags) {
    let mut seen: HashSet<*const Node<'_>> = HashSet::new();
    // Lists first: membership decides active/discontinued.
    for list in bundle_resources(bundle).filter(|r| r.name == "List") {
        let code = snomed_code(list.child("code"));
        for item in list.children_named("entry").filter_map(|e| e.child("item")) {
            let Some(res) = ctx.resolve_ref(Some(item)) else {
                if let Some(r) = item.val("reference") {
                    d.warn(
                        Some(Rc::PayloadInvalid),
                        "List.entry.item",
                        format!("list item {r} does not resolve in the document"),
                    );
                }
                continue;
            };
            if !seen.insert(res as *const Node<'_>) {
                continue;
            }
            add_clinical(res, code.as_deref(), ctx, doc, d);
        }
    }
    for res in bundle_resources(bundle) {
        if seen.contains(&(res as *const Node<'_>)) {
            continue;
        }
        match res.name {
            "MedicationStatement" | "AllergyIntolerance" | "Condition" | "Procedure" => {
                add_clinical(res, None, ctx, doc, d)
            }
            "Practitioner" => doc.practitioners.push(Practitioner {
                id: s(res.val("id")),
                name: human_name(best_name(res)),
                identifier: identifier_with(res, "sds-user-id")
                    .or_else(|| res.child("identifier").and_then(|i| s(i.val("value")))),
                telecom: res
                    .children_named("telecom")
                    .filter_map(|t| s(t.val("value")))
                    .collect(),
            }),
            "Binary" => {
                let data = res.val("content").unwrap_or("").to_string();
                let content_type = s(res.val("contentType"));
                let size = crate::base64::decoded_len(&data);
                if size.is_none() {
                    d.error(
                        Rc::PayloadInvalid,
                        "Binary.content",
                        "attachment content is not valid base64",
                    );
                }
                let supported = content_type.as_deref().is_some_and(|ct| {
                    let base = ct
                        .split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase();
                    codes::SUPPORTED_ATTACHMENT_TYPES.contains(&base.as_str())
                });
                if !supported {
                    d.error(
                        Rc::UnsupportedAttachment,
                        "Binary.contentType",
                        format!(
                            "attachment type {:?} is not supported",
                            content_type.as_deref().unwrap_or("")
                        ),
                    );
                }
                doc.attachments.push(Attachment {
                    id: s(res.val("id")),
                    content_type,
                    size: size.unwrap_or(0),
                    supported,
                    data_base64: data,
                });
            }
            t if RECOGNISED.contains(&t) => {}
            t => {
                let narrative = res.path(&["text", "div"]).and_then(|dv| dv.xhtml.as_ref());
                let narrative = narrative.map(|n| std::mem::take(&mut *n.borrow_mut()));
                if let Some(n) = &narrative {
                    narrative_notes(n, &format!("{t}.text"), d);
                }
                let (html, text) = (
                    narrative.as_ref().map(|n| n.html.clone()),
                    narrative.map(|n| n.text),
                );
                d.warn(
                    Some(Rc::PayloadInvalid),
                    t.to_string(),
                    format!("resource type {t} is not recognised; kept for display"),
                );
                doc.unrecognised_entries.push(UnrecognisedEntry {
                    resource_type: t.to_string(),
                    id: s(res.val("id")),
                    narrative_text: text,
                    narrative_html: html,
                });
            }
        }
    }
}

/// Says on the document what sanitising a narrative did that a reader should know: markup that
/// was not well-formed (read as HTML), and code removed (scripts, styles, event handlers, ...).
fn narrative_notes(n: &crate::xhtml::Narrative, loc: &str, d: &mut Diags) {
    if n.unparsed {
        d.notice(
            Some(Rc::PayloadInvalid),
            loc,
            "narrative is not well-formed XHTML; it was read as HTML and every word kept",
        );
    }
    if !n.removed.is_empty() {
        d.notice(
            None,
            loc,
            format!(
                "removed from the narrative, as code and not clinical text: {} (the message as received is kept byte for byte)",
                n.removed.describe()
            ),
        );
    }
}

fn annotations(res: &Node) -> Vec<String> {
    res.children_named("note")
        .filter_map(|n| s(n.val("text")))
        .collect()
}

fn add_clinical(res: &Node, list_code: Option<&str>, ctx: &Ctx, doc: &mut Document, d: &mut Diags) {
    match res.name {
        "MedicationStatement" => doc
            .medications
            .push(read_medication(res, list_code, ctx, d)),
        "AllergyIntolerance" => {
            let code = snomed_code(res.child("code"));
            let mut reactions = Vec::new();
            let mut severity = None;
            for r in res.children_named("reaction") {
                reactions.extend(
                    r.children_named("manifestation")
                        .filter_map(|m| concept_text(Some(m))),
                );
                reactions.extend(s(r.val("description")));
                severity = severity.or_else(|| s(r.val("severity")));
            }
            doc.allergies.push(Allergy {
                substance: concept_text(res.child("code")).or_else(|| {
                    res.path(&["reaction", "substance"])
                        .and_then(|x| concept_text(Some(x)))
                }),
                no_known_allergies: code
                    .as_deref()
                    .is_some_and(|c| codes::NO_KNOWN_ALLERGY_CODES.contains(&c)),
                code,
                reactions,
                severity,
                criticality: s(res.val("criticality")),
                clinical_status: s(res.val("clinicalStatus")),
                verification_status: s(res.val("verificationStatus")),
                onset: s(res.val("onsetDateTime")),
                asserted_date: s(res.val("assertedDate")),
                notes: annotations(res),
            });
        }
        "Condition" => doc.conditions.push(Condition {
            code: snomed_code(res.child("code")),
            name: concept_text(res.child("code")),
            clinical_status: s(res.val("clinicalStatus")),
            verification_status: s(res.val("verificationStatus")),
            category: concept_text(res.child("category")),
            onset: s(res.val("onsetDateTime"))
                .or_else(|| s(res.path_val(&["onsetPeriod", "start"]))),
            notes: annotations(res),
        }),
        "Procedure" => doc.procedures.push(Procedure {
            code: snomed_code(res.child("code")),
            name: concept_text(res.child("code")),
            status: s(res.val("status")),
            performed: s(res.val("performedDateTime"))
                .or_else(|| s(res.path_val(&["performedPeriod", "start"]))),
            notes: annotations(res),
        }),
        other => d.warn(
            Some(Rc::PayloadInvalid),
            "List.entry.item",
            format!("list item of type {other} is not a clinical entry"),
        ),
    }
}

fn read_medication(ms: &Node, list_code: Option<&str>, ctx: &Ctx, d: &mut Diags) -> Medication {
    let mut m = Medication {
        status_raw: s(ms.val("status")),
        list_code: list_code.map(str::to_string),
        ..Default::default()
    };
    m.status = match m.status_raw.as_deref() {
        Some("active") => MedicationStatus::Active,
        Some("stopped") => MedicationStatus::Stopped,
        _ => MedicationStatus::Unknown,
    };
    m.list = match list_code {
        Some(codes::LIST_DISCONTINUED_MEDICATIONS) => MedicationList::Discontinued,
        Some(codes::LIST_ACTIVE_MEDICATIONS) | Some("933361000000108") => MedicationList::Active,
        Some(_) => MedicationList::Other,
        None => MedicationList::None,
    };
    if let Some(cc) = ms.child("medicationCodeableConcept") {
        m.code = snomed_code(Some(cc));
        m.name = concept_text(Some(cc));
    } else if let Some(med) = ctx.resolve_ref(ms.child("medicationReference")) {
        m.code = snomed_code(med.child("code"));
        m.name = concept_text(med.child("code"));
        m.form = concept_text(med.child("form"));
    } else {
        m.name = ms
            .child("medicationReference")
            .and_then(|r| s(r.val("display")));
        d.warn(
            Some(Rc::PayloadInvalid),
            "MedicationStatement.medication",
            "medication reference does not resolve in the document",
        );
    }
    let dosages: Vec<&Node> = ms.children_named("dosage").collect();
    let texts: Vec<String> = dosages.iter().filter_map(|x| s(x.val("text"))).collect();
    m.dosage = (!texts.is_empty()).then(|| texts.join("; "));
    m.route = dosages.iter().find_map(|x| concept_text(x.child("route")));
    m.additional_instructions = dosages
        .iter()
        .flat_map(|x| x.children_named("additionalInstruction"))
        .filter_map(|a| concept_text(Some(a)))
        .collect();
    m.patient_instruction = dosages.iter().find_map(|x| s(x.val("patientInstruction")));
    m.effective =
        s(ms.val("effectiveDateTime")).or_else(|| s(ms.path_val(&["effectivePeriod", "start"])));
    m.notes = annotations(ms);
    let change = ms
        .extensions("Extension-CareConnect-MedicationChangeSummary-1")
        .next()
        .or_else(|| {
            ms.extensions("Extension-CareConnect-GPC-MedicationChangeSummary-1")
                .next()
        });
    if let Some(ch) = change {
        for sub in ch.children_named("extension") {
            match sub.val("url").unwrap_or("") {
                "status" => m.change_raw = ext_value(sub),
                "dateChanged" => m.change_date = ext_value(sub),
                "detailsOfAmendment" => m.change_details = ext_value(sub),
                "indicationForChange" => m.change_indication = ext_value(sub),
                _ => {}
            }
        }
        m.change = match m
            .change_raw
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("added") => Some(MedicationChange::Added),
            Some("amended") => Some(MedicationChange::Amended),
            Some("continued") => Some(MedicationChange::Continued),
            Some("on-hold") => Some(MedicationChange::OnHold),
            Some(other) => {
                d.warn(
                    Some(Rc::PayloadInvalid),
                    "MedicationStatement.extension.changeSummary",
                    format!("medication change status {other:?} is not recognised"),
                );
                None
            }
            None => None,
        };
    }
    if let Some(disp) = ms.child("partOf").and_then(|r| ctx.resolve_ref(Some(r))) {
        m.quantity = disp
            .extensions("MedicationQuantityText-1")
            .find_map(ext_value)
            .or_else(|| s(disp.path_val(&["quantity", "value"])));
    }
    if m.status == MedicationStatus::Stopped
        && m.list == MedicationList::Active
        && list_code == Some(codes::LIST_ACTIVE_MEDICATIONS)
    {
        d.warn(
            Some(Rc::PayloadInvalid),
            "MedicationStatement.status",
            format!(
                "{} is stopped but listed as an active medication",
                m.name.as_deref().unwrap_or("medication")
            ),
        );
    }
    m.high_risk = m.name.as_deref().and_then(crate::medicines::high_risk);
    m
}
