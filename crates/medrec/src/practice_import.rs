//! Reading the practice's medication lists for import into the store: many patients at once,
//! from CSV with the header `nhs_number,code,name,dosage,route,type` (`type` `repeat` or
//! `acute`; `code`, `dosage` and `route` may be empty; RFC 4180 quoting, quoted fields may
//! hold commas, quotes and line breaks) or from a FHIR STU3 Bundle (XML or JSON) shaped like a
//! GP Connect structured record (read by [`handover_toc::medication_bundle`]).
//!
//! Every row is checked. A bad row is reported with its line (for a Bundle, its 1-based entry
//! number) and reason. A patient's list is taken whole or not at all: when any row of a
//! patient's is rejected, none of that patient's rows is imported (each is reported), since a
//! list with a medicine missing would make the reconciliation wrong without saying so.

use std::collections::{BTreeMap, BTreeSet};

use handover_errors::{Coded, ErrorCode};
use handover_toc::nhs::nhs_number_valid;
use serde::Serialize;

pub const CSV_HEADER: &[&str] = &["nhs_number", "code", "name", "dosage", "route", "type"];

/// Whether the practice issues the medicine on repeat or as a one-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum LineType {
    Repeat,
    Acute,
}

impl LineType {
    pub fn as_str(self) -> &'static str {
        match self {
            LineType::Repeat => "repeat",
            LineType::Acute => "acute",
        }
    }

    pub fn parse(s: &str) -> Option<LineType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "repeat" => Some(LineType::Repeat),
            "acute" => Some(LineType::Acute),
            _ => None,
        }
    }
}

/// One line of a patient's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedLine {
    /// dm+d code, when the practice holds one.
    pub code: Option<String>,
    pub name: String,
    pub dosage: Option<String>,
    pub route: Option<String>,
    #[serde(rename = "type")]
    pub line_type: LineType,
    /// Where it was in the file (line, or Bundle entry).
    pub line: u64,
}

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub line: u64,
    pub reason: String,
}

/// What a file held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportedLists {
    /// Each patient's lines, in file order, by NHS number.
    pub patients: BTreeMap<String, Vec<ImportedLine>>,
    pub rejected: Vec<RejectedRow>,
    /// Bundle entries left out on purpose: not current (completed, stopped, entered in error,
    /// cancelled).
    pub skipped: u64,
}

impl ImportedLists {
    pub fn lines(&self) -> usize {
        self.patients.values().map(Vec::len).sum()
    }
}

/// The file as a whole is not a medication list (nothing is imported).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a practice medication list: {0}")]
pub struct ListInvalid(pub String);

impl Coded for ListInvalid {
    fn code(&self) -> ErrorCode {
        ErrorCode::MedicationListInvalid
    }
}

/// Reads CSV or a FHIR Bundle, by the first character (`<` or `{` is a Bundle).
pub fn read_lists(text: &str) -> Result<ImportedLists, ListInvalid> {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('{') || start.starts_with('<') {
        read_bundle(start)
    } else {
        read_csv(text)
    }
}

/// CSV records with the line each starts on (RFC 4180: quoted fields may hold `""`, commas
/// and line breaks; CRLF or LF).
pub(crate) fn records(text: &str) -> Result<Vec<(u64, Vec<String>)>, ListInvalid> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut at_start = true;
    let mut line = 1u64;
    let mut record_line = 1u64;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => {
                quoted = true;
                at_start = false;
                any = true;
            }
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (false, ',') => {
                fields.push(std::mem::take(&mut cur));
                at_start = true;
                any = true;
            }
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                fields.push(std::mem::take(&mut cur));
                if any || fields.iter().any(|f| !f.trim().is_empty()) {
                    out.push((record_line, std::mem::take(&mut fields)));
                } else {
                    fields.clear();
                }
                line += 1;
                record_line = line;
                at_start = true;
                any = false;
            }
            (_, c) => {
                if c == '\n' {
                    line += 1;
                }
                cur.push(c);
                at_start = false;
                any = true;
            }
        }
    }
    if quoted {
        return Err(ListInvalid(format!(
            "a quoted field opened on line {record_line} is not closed"
        )));
    }
    fields.push(cur);
    if any || fields.iter().any(|f| !f.trim().is_empty()) {
        out.push((record_line, fields));
    }
    Ok(out)
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn nhs(s: &str) -> Result<String, String> {
    let n: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if nhs_number_valid(&n) {
        Ok(n)
    } else if n.is_empty() {
        Err("no NHS number".into())
    } else {
        Err(format!(
            "NHS number \"{}\" is not valid (10 digits passing the check)",
            s.trim()
        ))
    }
}

fn code(s: &str) -> Result<Option<String>, String> {
    match opt(s) {
        None => Ok(None),
        Some(c) if (6..=18).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(c))
        }
        Some(c) => Err(format!(
            "code \"{c}\" is not a dm+d (SNOMED CT) code: 6 to 18 digits"
        )),
    }
}

/// Collects rows per patient; a patient with any rejected row is left out whole.
#[derive(Default)]
struct Collector {
    rows: Vec<(String, ImportedLine)>,
    rejected: Vec<RejectedRow>,
    /// Patients with a rejected row, and that row's line.
    spoilt: BTreeMap<String, u64>,
}

impl Collector {
    fn reject(&mut self, line: u64, nhs: Option<&str>, reason: String) {
        if let Some(n) = nhs {
            self.spoilt.entry(n.to_string()).or_insert(line);
        }
        self.rejected.push(RejectedRow { line, reason });
    }

    fn finish(mut self, skipped: u64) -> ImportedLists {
        let mut out = ImportedLists {
            skipped,
            ..ImportedLists::default()
        };
        for (n, l) in self.rows {
            if let Some(first) = self.spoilt.get(&n) {
                self.rejected.push(RejectedRow {
                    line: l.line,
                    reason: format!(
                        "not imported: line {first} of NHS number {n}'s list was rejected, and a list is imported whole or not at all"
                    ),
                });
            } else {
                out.patients.entry(n).or_default().push(l);
            }
        }
        self.rejected.sort_by_key(|r| r.line);
        out.rejected = self.rejected;
        out
    }
}

/// Reads a medication list CSV. `Err` only when the file as a whole is not one.
pub fn read_csv(text: &str) -> Result<ImportedLists, ListInvalid> {
    let text = text.trim_start_matches('\u{feff}');
    let mut recs = records(text)?.into_iter();
    let Some((_, header)) = recs.next() else {
        return Err(ListInvalid("the file is empty".into()));
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    if names != CSV_HEADER {
        return Err(ListInvalid(format!(
            "the header must be {}; it is {}",
            CSV_HEADER.join(","),
            header.join(",")
        )));
    }
    let mut c = Collector::default();
    for (line, f) in recs {
        if f.len() != CSV_HEADER.len() {
            let n = f.first().and_then(|n| nhs(n).ok());
            c.reject(
                line,
                n.as_deref(),
                format!("{} fields, expected {}", f.len(), CSV_HEADER.len()),
            );
            continue;
        }
        let n = match nhs(&f[0]) {
            Ok(n) => n,
            Err(reason) => {
                c.reject(line, None, reason);
                continue;
            }
        };
        let row = (|| {
            let code = code(&f[1])?;
            let name = opt(&f[2]).ok_or("name is empty")?;
            let line_type = LineType::parse(&f[5])
                .ok_or_else(|| format!("type \"{}\" is not repeat or acute", f[5].trim()))?;
            Ok::<_, String>(ImportedLine {
                code,
                name,
                dosage: opt(&f[3]),
                route: opt(&f[4]),
                line_type,
                line,
            })
        })();
        match row {
            Ok(l) => c.rows.push((n, l)),
            Err(reason) => c.reject(line, Some(&n), reason),
        }
    }
    Ok(c.finish(0))
}

/// Reads a FHIR STU3 Bundle (XML or JSON) of MedicationStatement / MedicationRequest. A
/// request that a statement is `basedOn` is the same medicine and is not read twice. Entries
/// not current (status other than active, intended or on-hold) are skipped and counted. The
/// type is the GP Connect prescription type (`acute`; `repeat` or `repeat-dispensing`:
/// repeat); without one, `repeat` (a line wrongly taken as ongoing is reviewed, not lost).
pub fn read_bundle(text: &str) -> Result<ImportedLists, ListInvalid> {
    let meds = handover_toc::medication_bundle::read_bundle(text.as_bytes())
        .map_err(|e| ListInvalid(format!("not a FHIR Bundle of medicines: {e}")))?;
    let mut c = Collector::default();
    let mut skipped = 0;
    for m in meds {
        if m.plan_of_statement {
            continue;
        }
        let current = match m.status.as_deref() {
            None | Some("active" | "intended" | "on-hold") => true,
            Some(_) => false,
        };
        if !current {
            skipped += 1;
            continue;
        }
        let line = m.entry;
        let n = match m.nhs_number.as_deref().map(nhs) {
            Some(Ok(n)) => n,
            Some(Err(reason)) => {
                c.reject(line, None, reason);
                continue;
            }
            None => {
                let reason = if m.subject_found {
                    format!("the {}'s patient has no NHS number", m.resource)
                } else {
                    format!(
                        "the {}'s subject is not a Patient in the Bundle",
                        m.resource
                    )
                };
                c.reject(line, None, reason);
                continue;
            }
        };
        let row = (|| {
            let code = code(m.code.as_deref().unwrap_or(""))?;
            let name = m
                .name
                .clone()
                .ok_or("the medicine has no name (code.text or a coding's display)")?;
            let line_type = match m.prescription_type.as_deref().map(str::to_ascii_lowercase) {
                Some(t) if t == "acute" => LineType::Acute,
                _ => LineType::Repeat,
            };
            Ok::<_, String>(ImportedLine {
                code,
                name,
                dosage: m.dosage.clone(),
                route: m.route.clone(),
                line_type,
                line,
            })
        })();
        match row {
            Ok(l) => c.rows.push((n, l)),
            Err(reason) => c.reject(line, Some(&n), reason),
        }
    }
    Ok(c.finish(skipped))
}

/// The distinct NHS numbers of a read, for counting.
pub fn patients(lists: &ImportedLists) -> BTreeSet<&str> {
    lists.patients.keys().map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_read_and_bad_ones_reported_by_line() {
        let csv = "nhs_number,code,name,dosage,route,type\r\n\
                   943 476 5919,318901006,Ramipril 2.5mg capsules,One capsule once a day,Oral,repeat\r\n\
                   9434765919,,\"Emollient cream, 500g\",\"Apply \"\"liberally\"\"\nto dry skin\",Topical,ACUTE\r\n\
                   \r\n\
                   9434765870,12ab,Aspirin,,,repeat\n\
                   9434765870,319283006,Amlodipine 5mg tablets,One daily,Oral,repeat\n\
                   1234567890,319283006,Amlodipine 5mg tablets,One daily,Oral,repeat\n\
                   9999999468,319283006,Amlodipine 5mg tablets,One daily,Oral,sometimes\n\
                   9999999484,319283006,Amlodipine 5mg tablets,One daily,Oral\n";
        let r = read_csv(csv).unwrap();
        assert_eq!(patients(&r).into_iter().collect::<Vec<_>>(), ["9434765919"]);
        let lines = &r.patients["9434765919"];
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].code.as_deref(), Some("318901006"));
        assert_eq!(lines[1].code, None);
        assert_eq!(lines[1].name, "Emollient cream, 500g");
        assert_eq!(
            lines[1].dosage.as_deref(),
            Some("Apply \"liberally\"\nto dry skin")
        );
        assert_eq!(lines[1].line_type, LineType::Acute);
        let got: Vec<u64> = r.rejected.iter().map(|r| r.line).collect();
        // Line 7 is 9434765870's good row, left out because line 6 (its other row) was bad.
        assert_eq!(got, [6, 7, 8, 9, 10], "{:?}", r.rejected);
        assert!(r.rejected[0].reason.contains("6 to 18 digits"));
        assert!(r.rejected[1].reason.contains("line 6"));
        assert!(r.rejected[2].reason.contains("not valid"));
        assert!(r.rejected[3].reason.contains("repeat or acute"));
        assert!(r.rejected[4].reason.contains("5 fields"));
        assert_eq!(r.lines(), 2);
    }

    #[test]
    fn a_file_that_is_not_a_list_is_refused_whole() {
        for bad in [
            "",
            "nhs,code\n1,2\n",
            "nhs_number,code,name,dosage,route,type\n9434765919,,\"open",
            "<Patient xmlns=\"http://hl7.org/fhir\"/>",
        ] {
            let e = read_lists(bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MedicationListInvalid);
        }
    }

    #[test]
    fn a_gp_connect_bundle_is_read_per_patient() {
        let xml = r#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>
          <entry><fullUrl value="urn:uuid:p1"/><resource><Patient><id value="p1"/>
            <identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9434765919"/></identifier>
          </Patient></resource></entry>
          <entry><resource><Medication><id value="m1"/>
            <code><coding><system value="http://snomed.info/sct"/><code value="318901006"/><display value="Ramipril 2.5mg capsules"/></coding></code>
          </Medication></resource></entry>
          <entry><resource><MedicationStatement><id value="s1"/>
            <basedOn><reference value="MedicationRequest/r1"/></basedOn><status value="active"/>
            <medicationReference><reference value="Medication/m1"/></medicationReference>
            <subject><reference value="urn:uuid:p1"/></subject>
            <dosage><text value="One capsule once a day"/><route><text value="Oral"/></route></dosage>
          </MedicationStatement></resource></entry>
          <entry><resource><MedicationRequest><id value="r1"/>
            <extension url="https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1">
              <valueCodeableConcept><coding><code value="acute"/></coding></valueCodeableConcept></extension>
            <status value="active"/><intent value="plan"/>
            <medicationReference><reference value="Medication/m1"/></medicationReference>
            <subject><reference value="Patient/p1"/></subject>
          </MedicationRequest></resource></entry>
          <entry><resource><MedicationStatement><status value="completed"/>
            <medicationCodeableConcept><text value="Amoxicillin"/></medicationCodeableConcept>
            <subject><reference value="Patient/p1"/></subject>
          </MedicationStatement></resource></entry>
          <entry><resource><MedicationStatement><status value="active"/>
            <medicationCodeableConcept><text value="Aspirin"/></medicationCodeableConcept>
            <subject><reference value="Patient/nobody"/></subject>
          </MedicationStatement></resource></entry>
        </Bundle>"#;
        let r = read_lists(xml).unwrap();
        let lines = &r.patients["9434765919"];
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].line, 3);
        assert_eq!(lines[0].name, "Ramipril 2.5mg capsules");
        assert_eq!(lines[0].line_type, LineType::Acute);
        assert_eq!(lines[0].route.as_deref(), Some("Oral"));
        assert_eq!(r.skipped, 1);
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].line, 6);
        assert!(r.rejected[0].reason.contains("not a Patient"));
    }

    #[test]
    fn the_synthetic_practice_lists_read_back_from_csv() {
        let nhs = handover_toc::nhs::test_nhs_number(42);
        let list = handover_fixtures::practice_medication_list(&nhs);
        let mut csv = String::from("nhs_number,code,name,dosage,route,type\n");
        for m in &list {
            csv.push_str(&format!(
                "{},{},\"{}\",\"{}\",{},{}\n",
                nhs,
                m.code.as_deref().unwrap_or(""),
                m.name,
                m.dosage,
                m.route,
                m.kind
            ));
        }
        let r = read_csv(&csv).unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
        assert_eq!(r.patients[&nhs].len(), list.len());
    }
}
