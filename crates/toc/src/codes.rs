//! Code tables from the ToC and ITK3 specifications.

/// ToC Composition section headings: (SNOMED code, title).
pub const SECTIONS: &[(&str, &str)] = &[
    ("886731000000109", "Patient demographics"),
    ("886711000000101", "GP practice"),
    ("886921000000105", "Allergies and adverse reactions"),
    ("886781000000108", "Admission details"),
    ("1077881000000105", "Attendance details"),
    ("887141000000103", "Assessment scales"),
    ("1077901000000108", "Clinical narrative"),
    ("887121000000105", "Clinical review of systems"),
    ("887181000000106", "Clinical summary"),
    ("1077931000000102", "Contact for further information"),
    ("887161000000102", "Diagnoses"),
    ("886811000000106", "Discharge details"),
    ("887261000000109", "Distribution list"),
    ("715851000000102", "Examination finding"),
    ("887111000000104", "Family history"),
    ("717121000000105", "History"),
    ("1078911000000106", "Individual requirements"),
    ("1052951000000105", "Information and advice given"),
    ("1082101000000102", "Investigation results"),
    ("886961000000102", "Legal information"),
    ("933361000000108", "Medications and medical devices"),
    ("886751000000102", "Participation in research"),
    (
        "1052941000000107",
        "Patient and carer concerns, expectations and wishes",
    ),
    ("887231000000104", "Person completing record"),
    ("887201000000105", "Plan and requested actions"),
    ("886891000000102", "Presenting complaints or issues"),
    ("887151000000100", "Problems and issues"),
    ("887171000000109", "Procedures"),
    ("1052891000000108", "Referrer details"),
    ("886821000000100", "Relevant clinical risk factors"),
    ("1077911000000105", "Safeguarding"),
    ("886931000000107", "Safety alerts"),
    ("1078901000000109", "Senior reviewing clinician"),
    ("887051000000101", "Social context"),
];

pub fn section_title(code: &str) -> Option<&'static str> {
    SECTIONS.iter().find(|(c, _)| *c == code).map(|(_, t)| *t)
}

pub const LIST_ACTIVE_MEDICATIONS: &str = "1102411000000102";
pub const LIST_DISCONTINUED_MEDICATIONS: &str = "1102191000000100";
pub const NO_KNOWN_ALLERGY_CODES: &[&str] = &["716186003", "409137002", "429625007"];

/// Attachment content types GP systems are expected to take.
pub const SUPPORTED_ATTACHMENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/rtf",
    "text/rtf",
    "text/html",
    "text/plain",
    "text/xml",
    "application/xml",
    "image/jpeg",
    "image/jpg",
    "image/png",
    "image/tiff",
];

/// Recommended ITK3 message size limit (20015 above it).
pub const MESSAGE_SIZE_LIMIT: usize = 5 * 1024 * 1024;

/// One ITK3 response code: code, display, MessageHeader.response.code, issue severity, issue code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseCodeInfo {
    pub code: u32,
    pub display: &'static str,
    pub response_code: &'static str,
    pub severity: &'static str,
    pub issue_code: &'static str,
}

const fn rc(
    code: u32,
    display: &'static str,
    response_code: &'static str,
    severity: &'static str,
    issue_code: &'static str,
) -> ResponseCodeInfo {
    ResponseCodeInfo {
        code,
        display,
        response_code,
        severity,
        issue_code,
    }
}

/// The ToC response codes (ITK-ResponseCodes-1) with their header/outcome mapping.
pub const RESPONSE_CODES: &[ResponseCodeInfo] = &[
    rc(10001, "Handling Specification Error", "fatal-error", "fatal", "processing"),
    rc(10002, "Infrastructure Level Response Value - Processing Error", "fatal-error", "fatal", "processing"),
    rc(10003, "Business Level Response Value - Processing Error", "fatal-error", "fatal", "processing"),
    rc(10004, "Message Definition Value - Processing Error", "fatal-error", "fatal", "processing"),
    rc(10005, "Message Definition Version Value - Processing Error", "fatal-error", "fatal", "processing"),
    rc(10007, "Sender Reference Value - Processing Error", "fatal-error", "fatal", "processing"),
    rc(10008, "Handling Specification Business Rule Error", "fatal-error", "fatal", "processing"),
    rc(10009, "Unreadable message received", "fatal-error", "fatal", "processing"),
    rc(10010, "Recipient Type - Processing Error", "fatal-error", "fatal", "processing"),
    rc(20001, "Unrecognised Recipient Person", "fatal-error", "fatal", "not-found"),
    rc(20002, "Unrecognised Recipient Organisation", "fatal-error", "fatal", "not-found"),
    rc(20003, "Unrecognised Sender", "fatal-error", "fatal", "not-found"),
    rc(20004, "Non-Approved file type received as an attachment", "fatal-error", "fatal", "security"),
    rc(20005, "Unsupported file type received as an attachment", "fatal-error", "fatal", "security"),
    rc(20006, "ITK header validation failure", "fatal-error", "fatal", "invalid"),
    rc(20007, "Duplicate Message received", "fatal-error", "fatal", "duplicate"),
    rc(20008, "Duplicate Document received", "fatal-error", "fatal", "duplicate"),
    rc(20009, "Payload validation failure", "fatal-error", "fatal", "invalid"),
    rc(20010, "Unrecognised Payload Recipient Organisation", "fatal-error", "fatal", "not-found"),
    rc(20011, "Unrecognised Payload Recipient Person", "fatal-error", "fatal", "not-found"),
    rc(20012, "Unauthorised Sender", "fatal-error", "fatal", "security"),
    rc(20013, "Success", "ok", "information", "informational"),
    rc(20014, "Unable to Process Replacement Document", "fatal-error", "fatal", "processing"),
    rc(20015, "Message too large", "fatal-error", "fatal", "processing"),
    rc(30001, "Patient known here. (e.g. Patient is registered here)", "ok", "information", "informational"),
    rc(30002, "Patient not known here. (aka 'patient record not present in system')", "fatal-error", "fatal", "not-found"),
    rc(30003, "Patient no longer at this clinical setting", "fatal-error", "fatal", "business-rule"),
    rc(30004, "Patient known here and recently deceased (i.e. patient record current in GP practice system at time of patient’s death and deduction subsequently occurred for this reason)", "ok", "information", "informational"),
];

/// An ITK3 Transfer of Care response code, by name (`ResponseCode::Unreadable.code() == 10009`).
/// Serialised as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ts_rs::TS)]
#[ts(export, type = "number")]
pub enum ResponseCode {
    HandlingSpecificationError,
    InfrastructureResponseValueError,
    BusinessResponseValueError,
    MessageDefinitionError,
    MessageDefinitionVersionError,
    SenderReferenceError,
    HandlingBusinessRuleError,
    Unreadable,
    RecipientTypeError,
    UnrecognisedRecipientPerson,
    UnrecognisedRecipientOrganisation,
    UnrecognisedSender,
    NonApprovedAttachment,
    UnsupportedAttachment,
    HeaderInvalid,
    DuplicateMessage,
    DuplicateDocument,
    PayloadInvalid,
    UnrecognisedPayloadRecipientOrganisation,
    UnrecognisedPayloadRecipientPerson,
    UnauthorisedSender,
    Success,
    ReplacementNotProcessed,
    TooLarge,
    PatientKnown,
    PatientNotKnown,
    PatientNoLongerHere,
    PatientRecentlyDeceased,
}

impl ResponseCode {
    pub const ALL: [ResponseCode; 28] = [
        Self::HandlingSpecificationError,
        Self::InfrastructureResponseValueError,
        Self::BusinessResponseValueError,
        Self::MessageDefinitionError,
        Self::MessageDefinitionVersionError,
        Self::SenderReferenceError,
        Self::HandlingBusinessRuleError,
        Self::Unreadable,
        Self::RecipientTypeError,
        Self::UnrecognisedRecipientPerson,
        Self::UnrecognisedRecipientOrganisation,
        Self::UnrecognisedSender,
        Self::NonApprovedAttachment,
        Self::UnsupportedAttachment,
        Self::HeaderInvalid,
        Self::DuplicateMessage,
        Self::DuplicateDocument,
        Self::PayloadInvalid,
        Self::UnrecognisedPayloadRecipientOrganisation,
        Self::UnrecognisedPayloadRecipientPerson,
        Self::UnauthorisedSender,
        Self::Success,
        Self::ReplacementNotProcessed,
        Self::TooLarge,
        Self::PatientKnown,
        Self::PatientNotKnown,
        Self::PatientNoLongerHere,
        Self::PatientRecentlyDeceased,
    ];

    /// The numeric code (the order of [`ResponseCode::ALL`] follows [`RESPONSE_CODES`]).
    pub fn code(self) -> u32 {
        self.info().code
    }

    pub fn info(self) -> &'static ResponseCodeInfo {
        let i = Self::ALL
            .iter()
            .position(|c| *c == self)
            .unwrap_or_default();
        &RESPONSE_CODES[i]
    }

    pub fn from_code(code: u32) -> Option<Self> {
        RESPONSE_CODES
            .iter()
            .position(|r| r.code == code)
            .map(|i| Self::ALL[i])
    }

    /// A business response (prefix 3): the patient's status at the practice.
    pub fn is_business(self) -> bool {
        self.code() >= 30000
    }

    /// Negative: nothing follows it (a fatal response ends the exchange).
    pub fn is_fatal(self) -> bool {
        self.info().response_code != "ok"
    }
}

impl std::fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl From<ResponseCode> for u32 {
    fn from(c: ResponseCode) -> u32 {
        c.code()
    }
}

impl serde::Serialize for ResponseCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for ResponseCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = u32::deserialize(d)?;
        Self::from_code(code)
            .ok_or_else(|| serde::de::Error::custom(format!("{code} is not an ITK3 response code")))
    }
}

impl TryFrom<u32> for ResponseCode {
    type Error = String;
    fn try_from(code: u32) -> Result<Self, String> {
        Self::from_code(code).ok_or_else(|| format!("{code} is not an ITK3 response code"))
    }
}

pub fn response_code(code: u32) -> Option<&'static ResponseCodeInfo> {
    RESPONSE_CODES.iter().find(|r| r.code == code)
}

/// Codes that only pre-2018 systems send (retired 10006, ITK-Acknowledgement-1 codes).
pub fn is_legacy_response_code(code: &str) -> bool {
    code == "10006"
        || code.starts_with("RC")
        || ((code.starts_with("41") || code.starts_with("51")) && code.len() == 5)
}

/// The MESH workflow for responses to a message: `<workflow>_ACK`, or from the document kind
/// when the message did not come with a workflow (folder mailbox).
pub fn ack_workflow(workflow_id: Option<&str>, kind: crate::DocumentKind) -> String {
    match workflow_id {
        Some(w) if !w.is_empty() && w.ends_with("_ACK") => w.to_string(),
        Some(w) if !w.is_empty() => format!("{w}_ACK"),
        _ => match kind {
            crate::DocumentKind::EmergencyDischarge => "TOC_FHIR_EC_DISCH_ACK",
            crate::DocumentKind::MentalHealthDischarge => "TOC_FHIR_MH_DISCH_ACK",
            crate::DocumentKind::OutpatientLetter => "TOC_FHIR_OP_ATTEN_ACK",
            _ => "TOC_FHIR_IP_DISCH_ACK",
        }
        .to_string(),
    }
}

#[cfg(test)]
mod response_code_tests {
    use super::*;

    #[test]
    fn named_codes_match_the_table() {
        assert_eq!(ResponseCode::ALL.len(), RESPONSE_CODES.len());
        for (c, info) in ResponseCode::ALL.iter().zip(RESPONSE_CODES) {
            assert_eq!(c.code(), info.code);
            assert_eq!(ResponseCode::from_code(info.code), Some(*c));
        }
        assert_eq!(ResponseCode::Unreadable.code(), 10009);
        assert_eq!(ResponseCode::DuplicateMessage.code(), 20007);
        assert_eq!(ResponseCode::DuplicateDocument.code(), 20008);
        assert_eq!(ResponseCode::Success.code(), 20013);
        assert_eq!(ResponseCode::ReplacementNotProcessed.code(), 20014);
        assert_eq!(ResponseCode::TooLarge.code(), 20015);
        assert_eq!(ResponseCode::PatientKnown.code(), 30001);
        assert_eq!(ResponseCode::PatientRecentlyDeceased.code(), 30004);
        assert!(
            ResponseCode::PatientNotKnown.is_business() && ResponseCode::PatientNotKnown.is_fatal()
        );
        assert!(!ResponseCode::Success.is_fatal());
        assert_eq!(ResponseCode::from_code(10006), None);
    }
}
