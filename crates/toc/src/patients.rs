//! The patients of a FHIR STU3 Bundle (XML or JSON): for importing a practice register exported
//! as Patient resources. No I/O; the caller decides what a row means.

use serde::Serialize;

use crate::tree::{self, Node};

/// A Patient resource's fields a register needs, as written (trimmed; nothing checked here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BundlePatient {
    /// 1-based position of the entry in the Bundle.
    pub entry: u64,
    pub nhs_number: Option<String>,
    pub family: Option<String>,
    pub given: Vec<String>,
    pub birth_date: Option<String>,
    pub gender: Option<String>,
    pub postcode: Option<String>,
    /// `Patient.active`, when given.
    pub active: Option<bool>,
    /// `deceasedDateTime`, when given.
    pub deceased_date: Option<String>,
    /// `deceasedBoolean` true, or a deceased date.
    pub deceased: bool,
}

fn text(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn patient(entry: u64, p: &Node) -> BundlePatient {
    let name = p
        .children_named("name")
        .find(|n| n.val("use") == Some("official"))
        .or_else(|| p.child("name"));
    let address = p
        .children_named("address")
        .find(|a| a.val("use") == Some("home"))
        .or_else(|| p.child("address"));
    let deceased_date = text(p.val("deceasedDateTime"));
    BundlePatient {
        entry,
        nhs_number: p
            .children_named("identifier")
            .find(|i| i.val("system").is_some_and(|s| s.contains("nhs-number")))
            .and_then(|i| text(i.val("value"))),
        family: name.and_then(|n| text(n.val("family"))),
        given: name
            .map(|n| {
                n.children_named("given")
                    .filter_map(|g| text(g.value.as_deref()))
                    .collect()
            })
            .unwrap_or_default(),
        birth_date: text(p.val("birthDate")),
        gender: text(p.val("gender")),
        postcode: address.and_then(|a| text(a.val("postalCode"))),
        active: p.val("active").map(|v| v.trim() == "true"),
        deceased: deceased_date.is_some()
            || p.val("deceasedBoolean").map(str::trim) == Some("true"),
        deceased_date,
    }
}

/// The Patient resources of a Bundle, in entry order; `Err` when the input is not a readable
/// FHIR Bundle at all.
pub fn read_bundle(bytes: &[u8]) -> Result<Vec<BundlePatient>, String> {
    let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
    let from = |root: &Node| -> Result<Vec<BundlePatient>, String> {
        if root.name != "Bundle" {
            return Err(format!("not a FHIR Bundle (it is a {})", root.name));
        }
        Ok(root
            .children_named("entry")
            .enumerate()
            .filter_map(|(i, e)| {
                let r = e.child("resource")?.resource()?;
                (r.name == "Patient").then(|| patient(i as u64 + 1, r))
            })
            .collect())
    };
    match first {
        Some(b'<') => {
            let text = std::str::from_utf8(bytes).map_err(|_| "XML input is not valid UTF-8")?;
            let doc = tree::parse_xml(text).map_err(|tree::TreeError::Unreadable(e)| e)?;
            from(&tree::from_xml(&doc).root)
        }
        Some(b'{') => {
            let v = tree::parse_json(bytes).map_err(|tree::TreeError::Unreadable(e)| e)?;
            from(
                &tree::from_json(&v)
                    .map_err(|tree::TreeError::Unreadable(e)| e)?
                    .root,
            )
        }
        _ => Err("neither XML nor JSON".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>
      <entry><resource><Patient>
        <identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9434765919"/></identifier>
        <active value="true"/>
        <name><use value="usual"/><family value="Nick"/></name>
        <name><use value="official"/><family value="Smith"/><given value="Jane"/><given value="Ann"/></name>
        <gender value="female"/><birthDate value="1970-02-03"/>
        <address><use value="home"/><postalCode value="LS1 4AP"/></address>
      </Patient></resource></entry>
      <entry><resource><Organization><name value="Not a patient"/></Organization></resource></entry>
      <entry><resource><Patient>
        <identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9000000009"/></identifier>
        <name><family value="Jones"/></name><birthDate value="1940-01-01"/>
        <deceasedDateTime value="2026-10-01T10:00:00Z"/>
      </Patient></resource></entry>
    </Bundle>"#;

    #[test]
    fn xml_and_json_bundles_give_the_same_patients() {
        let from_xml = read_bundle(XML.as_bytes()).unwrap();
        assert_eq!(from_xml.len(), 2);
        assert_eq!(from_xml[0].nhs_number.as_deref(), Some("9434765919"));
        assert_eq!(from_xml[0].family.as_deref(), Some("Smith"));
        assert_eq!(from_xml[0].given, vec!["Jane", "Ann"]);
        assert_eq!(from_xml[0].postcode.as_deref(), Some("LS1 4AP"));
        assert_eq!(from_xml[0].active, Some(true));
        assert!(!from_xml[0].deceased);
        assert_eq!(from_xml[1].entry, 3);
        assert!(from_xml[1].deceased);
        assert_eq!(
            from_xml[1].deceased_date.as_deref(),
            Some("2026-10-01T10:00:00Z")
        );

        let json = r#"{"resourceType":"Bundle","type":"collection","entry":[
          {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
            "active":true,"name":[{"use":"usual","family":"Nick"},{"use":"official","family":"Smith","given":["Jane","Ann"]}],
            "gender":"female","birthDate":"1970-02-03","address":[{"use":"home","postalCode":"LS1 4AP"}]}},
          {"resource":{"resourceType":"Organization","name":"Not a patient"}},
          {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
            "name":[{"family":"Jones"}],"birthDate":"1940-01-01","deceasedDateTime":"2026-10-01T10:00:00Z"}}]}"#;
        assert_eq!(read_bundle(json.as_bytes()).unwrap(), from_xml);
    }

    #[test]
    fn anything_else_is_refused_whole() {
        assert!(read_bundle(b"<Patient xmlns=\"http://hl7.org/fhir\"/>").is_err());
        assert!(read_bundle(b"<Bundle").is_err());
        assert!(read_bundle(b"nhs_number,family_name").is_err());
    }
}
