//! ITK3 responses (event ITK008M): build one for a received message, and read incoming ones.
//!
//! A built response correlates by `MessageHeader.response.identifier` = the original
//! MessageHeader id (or `UNREADABLE-IN-ORIGINAL-MESSAGE`), is addressed to the original
//! `source.endpoint`, and holds no patient-identifiable data: only the responder
//! organisation, the code and the correlation id.

use crate::codes::{self, ResponseCode, ResponseCodeInfo};
use crate::model::{Parsed, ResponseInfo, Severity};
use crate::writer::{self, El};

pub const UNREADABLE: &str = "UNREADABLE-IN-ORIGINAL-MESSAGE";
pub const RESPONSE_MESSAGE_DEFINITION: &str =
    "https://fhir.nhs.uk/STU3/MessageDefinition/ITK-Response-MessageDefinition-1";

/// The receiving organisation that sends the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responder {
    pub ods_code: String,
    pub name: String,
    /// Our MESH mailbox (the response's `source.endpoint`).
    pub mailbox: String,
}

/// Fresh identifiers for the response (the caller supplies random UUIDs; see [`uuid_from_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseIds {
    pub bundle_id: String,
    pub bundle_identifier: String,
    pub message_id: String,
    pub organization_id: String,
    pub outcome_id: String,
}

impl ResponseIds {
    /// Five version-4 style UUIDs from 80 random bytes.
    pub fn from_random(bytes: &[u8; 80]) -> Self {
        let u = |i: usize| {
            let mut b = [0u8; 16];
            b.copy_from_slice(&bytes[i * 16..i * 16 + 16]);
            uuid_from_bytes(b)
        };
        ResponseIds {
            bundle_id: u(0),
            bundle_identifier: u(1),
            message_id: u(2),
            organization_id: u(3),
            outcome_id: u(4),
        }
    }
}

/// Format 16 random bytes as a version-4 UUID string.
pub fn uuid_from_bytes(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltResponse {
    /// The ITK3 response message, FHIR STU3 XML.
    pub xml: String,
    /// Where to send it: the original `source.endpoint`; None when the original was unreadable
    /// (then reply to the mailbox the MESH message came from).
    pub to_mailbox: Option<String>,
    /// `MessageHeader.response.identifier`.
    pub correlation_id: String,
    pub code: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// Not a ToC ITK3 response code (10006 is retired; 30005+ are not ToC).
    UnknownCode(u32),
    /// A positive infrastructure code (20013) or business code requested for a message that
    /// could not be read.
    NotApplicable(&'static str),
}

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownCode(c) => write!(f, "{c} is not an ITK3 Transfer of Care response code"),
            Self::NotApplicable(m) => f.write_str(m),
        }
    }
}
impl std::error::Error for ResponseError {}

/// Build the ITK008M response to `original` with `code` (20013 or a negative infrastructure
/// code; or business 30001..30004). `timestamp` is an ISO 8601 instant.
pub fn build(
    original: &Parsed,
    code: u32,
    responder: &Responder,
    ids: &ResponseIds,
    timestamp: &str,
) -> Result<BuiltResponse, ResponseError> {
    let info = codes::response_code(code).ok_or(ResponseError::UnknownCode(code))?;
    let msg = original.message.as_ref();
    let correlation = msg
        .and_then(|m| m.message_id.clone())
        .filter(|_| !original.is_fatal());
    if correlation.is_none() && info.response_code == "ok" {
        return Err(ResponseError::NotApplicable(
            "a positive response needs a readable original message id",
        ));
    }
    let correlation_id = correlation.unwrap_or_else(|| UNREADABLE.to_string());
    let to_mailbox = msg
        .and_then(|m| m.sender_mailbox.clone())
        .filter(|_| !original.is_fatal());
    let sender_ref = msg
        .and_then(|m| m.handling.sender_reference.clone())
        .unwrap_or_else(|| "None".into());
    let xml = writer::to_xml(&response_bundle(
        info,
        responder,
        ids,
        timestamp,
        &correlation_id,
        &sender_ref,
    ));
    Ok(BuiltResponse {
        xml,
        to_mailbox,
        correlation_id,
        code,
    })
}

fn response_bundle(
    info: &ResponseCodeInfo,
    responder: &Responder,
    ids: &ResponseIds,
    timestamp: &str,
    correlation: &str,
    sender_ref: &str,
) -> El {
    let org_url = format!("urn:uuid:{}", ids.organization_id);
    let oo_url = format!("urn:uuid:{}", ids.outcome_id);
    let handling =
        writer::handling_extension(false, false, RESPONSE_MESSAGE_DEFINITION, sender_ref);
    let header = El::res("MessageHeader")
        .c(El::v("id", &ids.message_id))
        .c(El::new("meta").c(El::v(
            "profile",
            "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-MessageHeader-2",
        )))
        .c(handling)
        .c(El::new("event")
            .c(El::v(
                "system",
                "https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2",
            ))
            .c(El::v("code", "ITK008M"))
            .c(El::v("display", "ITK Response")))
        .c(El::reference("sender", &org_url))
        .c(El::v("timestamp", timestamp))
        .c(El::new("source").c(El::v("endpoint", &responder.mailbox)))
        .c(El::new("response")
            .c(El::v("identifier", correlation))
            .c(El::v("code", info.response_code))
            .c(El::reference("details", &oo_url)));
    let org = El::res("Organization")
        .c(El::v("id", &ids.organization_id))
        .c(El::new("meta").c(El::v(
            "profile",
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-ITK-Header-Organization-1",
        )))
        .c(El::new("identifier")
            .c(El::v(
                "system",
                "https://fhir.nhs.uk/Id/ods-organization-code",
            ))
            .c(El::v("value", &responder.ods_code)))
        .c(El::v("name", &responder.name));
    let oo = El::res("OperationOutcome")
        .c(El::v("id", &ids.outcome_id))
        .c(El::new("meta").c(El::v(
            "profile",
            "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Response-OperationOutcome-1",
        )))
        .c(El::new("issue")
            .c(El::v("severity", info.severity))
            .c(El::v("code", info.issue_code))
            .c(El::new("details").c(El::coding(
                "https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1",
                &info.code.to_string(),
                info.display,
            ))));
    El::res("Bundle")
        .c(El::v("id", &ids.bundle_id))
        .c(El::new("meta").c(El::v(
            "profile",
            "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Message-Bundle-1",
        )))
        .c(El::new("identifier")
            .c(El::v("system", "https://tools.ietf.org/html/rfc4122"))
            .c(El::v("value", &ids.bundle_identifier)))
        .c(El::v("type", "message"))
        .c(El::entry(&format!("urn:uuid:{}", ids.message_id), header))
        .c(El::entry(&org_url, org))
        .c(El::entry(&oo_url, oo))
}

/// Read an incoming ITK3 response; None when the input is not a (readable) response.
pub fn parse(bytes: &[u8]) -> Option<ResponseInfo> {
    crate::parse(bytes).response
}

/// The infrastructure code a receiver would send for this parse: the code of a fatal
/// diagnostic, else of the most significant error (handling 10xxx, header 20006, size 20015,
/// attachment 20005, payload 20009), else 20013 (success). Policy (e.g. accepting a payload
/// error for clinical review) is the caller's.
pub fn suggested_infrastructure_code(p: &Parsed) -> ResponseCode {
    use ResponseCode as Rc;
    let code = |d: &crate::Diagnostic| d.itk_code.and_then(ResponseCode::from_code);
    if let Some(c) = p
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Fatal)
        .and_then(code)
    {
        return c;
    }
    let errors: Vec<ResponseCode> = p
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .filter_map(code)
        .collect();
    for prefer in [
        Rc::HandlingSpecificationError,
        Rc::MessageDefinitionError,
        Rc::RecipientTypeError,
        Rc::HeaderInvalid,
        Rc::TooLarge,
        Rc::UnsupportedAttachment,
        Rc::PayloadInvalid,
    ] {
        if errors.contains(&prefer) {
            return prefer;
        }
    }
    errors.first().copied().unwrap_or(Rc::Success)
}
