//! The medicines of a FHIR STU3 Bundle (XML or JSON) shaped like a GP Connect structured
//! record: MedicationStatement and MedicationRequest resources about Patients in the Bundle,
//! each naming a Medication (by reference or inline) coded with dm+d. For importing a
//! practice's medication lists. No I/O; nothing is checked here: the caller decides what a row
//! means.

use std::collections::HashMap;

use serde::Serialize;

use crate::tree::{self, Node};

const SNOMED: &str = "http://snomed.info/sct";

/// One medicine as the Bundle gives it (trimmed; nothing checked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BundleMedication {
    /// 1-based position of the entry in the Bundle.
    pub entry: u64,
    /// `MedicationStatement` or `MedicationRequest`.
    pub resource: String,
    /// The NHS number of the Patient the resource's `subject` names (or, when it names none
    /// and the Bundle holds one Patient, that Patient's).
    pub nhs_number: Option<String>,
    /// Whether `subject` named a Patient that could be found in the Bundle.
    pub subject_found: bool,
    /// The dm+d (SNOMED CT) code of the medicine, if coded.
    pub code: Option<String>,
    /// `code.text`, else the SNOMED coding's display, else any coding's display.
    pub name: Option<String>,
    /// `dosage[0].text` (statement) or `dosageInstruction[0].text` (request).
    pub dosage: Option<String>,
    /// The route's text, else its first coding's display.
    pub route: Option<String>,
    /// The prescription type (GP Connect `Extension-CareConnect-GPC-PrescriptionType-1`
    /// code: `acute`, `repeat`, `repeat-dispensing`, ...), from the resource or the
    /// MedicationRequest a statement is `basedOn`.
    pub prescription_type: Option<String>,
    /// `status` as written.
    pub status: Option<String>,
    /// A MedicationRequest that a MedicationStatement in the Bundle is `basedOn` (the same
    /// medicine: the caller should read the statement, not both).
    pub plan_of_statement: bool,
}

fn text(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// A CodeableConcept's dm+d code and its name.
fn concept(cc: &Node) -> (Option<String>, Option<String>) {
    let codings: Vec<&Node> = cc.children_named("coding").collect();
    let snomed = codings
        .iter()
        .find(|c| c.val("system").map(str::trim) == Some(SNOMED));
    let code = snomed.and_then(|c| text(c.val("code")));
    let name = text(cc.val("text"))
        .or_else(|| snomed.and_then(|c| text(c.val("display"))))
        .or_else(|| codings.iter().find_map(|c| text(c.val("display"))));
    (code, name)
}

fn route(dosage: &Node) -> Option<String> {
    let r = dosage.child("route")?;
    text(r.val("text")).or_else(|| {
        r.children_named("coding")
            .find_map(|c| text(c.val("display")))
    })
}

fn prescription_type(r: &Node) -> Option<String> {
    r.extensions("PrescriptionType-1")
        .chain(r.extensions("prescriptionType"))
        .find_map(|e| {
            let cc = e.child("valueCodeableConcept")?;
            cc.children_named("coding")
                .find_map(|c| text(c.val("code")))
                .or_else(|| text(cc.val("text")))
        })
}

struct Index<'a> {
    by_ref: HashMap<String, &'a Node<'a>>,
}

impl<'a> Index<'a> {
    fn new(entries: &[(Option<&'a str>, &'a Node<'a>)]) -> Index<'a> {
        let mut by_ref = HashMap::new();
        for (full_url, r) in entries {
            if let Some(u) = full_url {
                by_ref.insert(u.trim().to_string(), *r);
            }
            if let Some(id) = r.val("id") {
                by_ref.insert(format!("{}/{}", r.name, id.trim()), *r);
            }
        }
        Index { by_ref }
    }

    fn resolve(&self, reference: Option<&Node>) -> Option<&'a Node<'a>> {
        let r = reference?.val("reference")?.trim();
        if let Some(n) = self.by_ref.get(r) {
            return Some(n);
        }
        // An absolute URL ending in Type/id.
        let mut parts = r.rsplit('/');
        let id = parts.next()?;
        let kind = parts.next()?;
        self.by_ref.get(&format!("{kind}/{id}")).copied()
    }
}

fn nhs_number(patient: &Node) -> Option<String> {
    patient
        .children_named("identifier")
        .find(|i| i.val("system").is_some_and(|s| s.contains("nhs-number")))
        .and_then(|i| text(i.val("value")))
}

/// The MedicationStatement and MedicationRequest resources of a Bundle, in entry order;
/// `Err` when the input is not a readable FHIR Bundle at all.
pub fn read_bundle(bytes: &[u8]) -> Result<Vec<BundleMedication>, String> {
    let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'<') => {
            let text = std::str::from_utf8(bytes).map_err(|_| "XML input is not valid UTF-8")?;
            let doc = tree::parse_xml(text).map_err(|tree::TreeError::Unreadable(e)| e)?;
            from_root(&tree::from_xml(&doc).root)
        }
        Some(b'{') => {
            let v = tree::parse_json(bytes).map_err(|tree::TreeError::Unreadable(e)| e)?;
            from_root(
                &tree::from_json(&v)
                    .map_err(|tree::TreeError::Unreadable(e)| e)?
                    .root,
            )
        }
        _ => Err("neither XML nor JSON".into()),
    }
}

fn from_root(root: &Node) -> Result<Vec<BundleMedication>, String> {
    if root.name != "Bundle" {
        return Err(format!("not a FHIR Bundle (it is a {})", root.name));
    }
    // (1-based entry number, fullUrl, resource)
    let numbered: Vec<(u64, Option<&str>, &Node)> = root
        .children_named("entry")
        .enumerate()
        .filter_map(|(i, e)| {
            Some((
                i as u64 + 1,
                e.val("fullUrl"),
                e.child("resource")?.resource()?,
            ))
        })
        .collect();
    let entries: Vec<(Option<&str>, &Node)> = numbered.iter().map(|(_, u, r)| (*u, *r)).collect();
    let index = Index::new(&entries);
    let patients: Vec<&Node> = entries
        .iter()
        .map(|(_, r)| *r)
        .filter(|r| r.name == "Patient")
        .collect();
    // The requests that statements are based on.
    let mut plans: HashMap<*const Node, &Node> = HashMap::new();
    for (_, r) in &entries {
        if r.name == "MedicationStatement" {
            for b in r.children_named("basedOn") {
                if let Some(req) = index.resolve(Some(b)) {
                    plans.insert(*r as *const Node, req);
                    plans.insert(req as *const Node, req);
                }
            }
        }
    }
    let mut out = Vec::new();
    for &(entry, _, r) in &numbered {
        let statement = match r.name {
            "MedicationStatement" => true,
            "MedicationRequest" => false,
            _ => continue,
        };
        let subject = r.child("subject").or_else(|| r.child("patient"));
        let patient = match subject {
            Some(s) => index.resolve(Some(s)).filter(|p| p.name == "Patient"),
            None if patients.len() == 1 => Some(patients[0]),
            None => None,
        };
        let nhs = patient.and_then(nhs_number).or_else(|| {
            // A logical reference: subject.identifier.
            subject
                .and_then(|s| s.child("identifier"))
                .filter(|i| i.val("system").is_some_and(|s| s.contains("nhs-number")))
                .and_then(|i| text(i.val("value")))
        });
        let (code, name) = if let Some(cc) = r.child("medicationCodeableConcept") {
            concept(cc)
        } else if let Some(med) = index
            .resolve(r.child("medicationReference"))
            .filter(|m| m.name == "Medication")
        {
            med.child("code").map(concept).unwrap_or((None, None))
        } else {
            let display = r
                .child("medicationReference")
                .and_then(|m| text(m.val("display")));
            (None, display)
        };
        let dosage = r
            .children_named(if statement {
                "dosage"
            } else {
                "dosageInstruction"
            })
            .next();
        let plan = statement
            .then(|| plans.get(&(r as *const Node)).copied())
            .flatten();
        out.push(BundleMedication {
            entry,
            resource: r.name.to_string(),
            nhs_number: nhs,
            subject_found: patient.is_some(),
            code,
            name,
            dosage: dosage.and_then(|d| text(d.val("text"))),
            route: dosage.and_then(route),
            prescription_type: prescription_type(r).or_else(|| plan.and_then(prescription_type)),
            status: text(r.val("status")),
            plan_of_statement: !statement && plans.contains_key(&(r as *const Node)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>
      <entry><fullUrl value="urn:uuid:p1"/><resource><Patient><id value="p1"/>
        <identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9434765919"/></identifier>
      </Patient></resource></entry>
      <entry><resource><Medication><id value="m1"/>
        <code><coding><system value="http://snomed.info/sct"/><code value="318901006"/><display value="Ramipril 2.5mg capsules"/></coding></code>
      </Medication></resource></entry>
      <entry><resource><MedicationStatement><id value="s1"/>
        <basedOn><reference value="MedicationRequest/r1"/></basedOn>
        <status value="active"/>
        <medicationReference><reference value="Medication/m1"/></medicationReference>
        <subject><reference value="urn:uuid:p1"/></subject>
        <dosage><text value="One capsule once a day"/><route><coding><system value="http://snomed.info/sct"/><code value="26643006"/><display value="Oral"/></coding></route></dosage>
      </MedicationStatement></resource></entry>
      <entry><resource><MedicationRequest><id value="r1"/>
        <extension url="https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1">
          <valueCodeableConcept><coding><code value="repeat"/></coding></valueCodeableConcept></extension>
        <status value="active"/><intent value="plan"/>
        <medicationReference><reference value="Medication/m1"/></medicationReference>
        <subject><reference value="Patient/p1"/></subject>
      </MedicationRequest></resource></entry>
      <entry><resource><MedicationStatement>
        <status value="active"/>
        <medicationCodeableConcept><text value="Emollient cream"/></medicationCodeableConcept>
        <subject><reference value="Patient/nobody"/></subject>
      </MedicationStatement></resource></entry>
    </Bundle>"#;

    #[test]
    fn statements_resolve_their_medication_patient_and_plan() {
        let meds = read_bundle(XML.as_bytes()).unwrap();
        assert_eq!(meds.len(), 3);
        let s = &meds[0];
        assert_eq!(s.entry, 3);
        assert_eq!(s.nhs_number.as_deref(), Some("9434765919"));
        assert_eq!(s.code.as_deref(), Some("318901006"));
        assert_eq!(s.name.as_deref(), Some("Ramipril 2.5mg capsules"));
        assert_eq!(s.dosage.as_deref(), Some("One capsule once a day"));
        assert_eq!(s.route.as_deref(), Some("Oral"));
        assert_eq!(s.prescription_type.as_deref(), Some("repeat"));
        assert!(!s.plan_of_statement);
        assert!(meds[1].plan_of_statement);
        assert_eq!(meds[1].resource, "MedicationRequest");
        assert!(!meds[2].subject_found);
        assert_eq!(meds[2].name.as_deref(), Some("Emollient cream"));
        assert_eq!(meds[2].code, None);
    }

    #[test]
    fn json_reads_the_same() {
        let json = r#"{"resourceType":"Bundle","type":"collection","entry":[
          {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}},
          {"resource":{"resourceType":"Medication","id":"m1","code":{"coding":[{"system":"http://snomed.info/sct","code":"318901006","display":"Ramipril 2.5mg capsules"}]}}},
          {"resource":{"resourceType":"MedicationStatement","id":"s1","basedOn":[{"reference":"MedicationRequest/r1"}],"status":"active",
            "medicationReference":{"reference":"Medication/m1"},"subject":{"reference":"urn:uuid:p1"},
            "dosage":[{"text":"One capsule once a day","route":{"coding":[{"system":"http://snomed.info/sct","code":"26643006","display":"Oral"}]}}]}},
          {"resource":{"resourceType":"MedicationRequest","id":"r1","extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1",
            "valueCodeableConcept":{"coding":[{"code":"repeat"}]}}],"status":"active","intent":"plan",
            "medicationReference":{"reference":"Medication/m1"},"subject":{"reference":"Patient/p1"}}},
          {"resource":{"resourceType":"MedicationStatement","status":"active","medicationCodeableConcept":{"text":"Emollient cream"},
            "subject":{"reference":"Patient/nobody"}}}]}"#;
        assert_eq!(
            read_bundle(json.as_bytes()).unwrap(),
            read_bundle(XML.as_bytes()).unwrap()
        );
    }

    #[test]
    fn anything_else_is_refused_whole() {
        assert!(read_bundle(b"<Patient xmlns=\"http://hl7.org/fhir\"/>").is_err());
        assert!(read_bundle(b"<Bundle").is_err());
        assert!(read_bundle(b"nhs_number,code").is_err());
    }
}
