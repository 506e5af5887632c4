//! Reading a practice register file: CSV with the header
//! `nhs_number,family_name,given_name,birth_date,gender,postcode,registration,deceased_date`
//! (`birth_date` and `deceased_date` as `YYYY-MM-DD`; `registration` one of `registered`,
//! `deducted`, `deceased`). Every row is checked; a bad row is reported with its line and
//! reason and left out, never half-read. (A FHIR STU3 Bundle of Patient resources is read by
//! `handover_toc` — not yet written: see docs/workflow-design.md.)

use chrono::NaiveDate;
use serde::Serialize;

use handover_store::{RegisterPatient, Registration};
use handover_toc::nhs::nhs_number_valid;

pub const CSV_HEADER: &[&str] = &[
    "nhs_number",
    "family_name",
    "given_name",
    "birth_date",
    "gender",
    "postcode",
    "registration",
    "deceased_date",
];

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RejectedRow {
    /// 1-based line in the file.
    #[ts(type = "number")]
    pub line: u64,
    pub reason: String,
}

/// What a file held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterFile {
    pub patients: Vec<RegisterPatient>,
    pub rejected: Vec<RejectedRow>,
}

/// Splits one CSV line into fields (RFC 4180 quoting; no newlines inside fields).
fn fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => {
                quoted = true;
                at_start = false;
            }
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (false, ',') => {
                out.push(std::mem::take(&mut cur));
                at_start = true;
            }
            (_, c) => {
                cur.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    out.push(cur);
    Ok(out)
}

fn date(s: &str, what: &str) -> Result<String, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| format!("{what} \"{s}\" is not a date as YYYY-MM-DD"))
}

fn row(f: &[String], today: NaiveDate) -> Result<RegisterPatient, String> {
    if f.len() != CSV_HEADER.len() {
        return Err(format!("{} fields, expected {}", f.len(), CSV_HEADER.len()));
    }
    let get = |i: usize| f[i].trim();
    let nhs: String = get(0).chars().filter(|c| !c.is_whitespace()).collect();
    if !nhs_number_valid(&nhs) {
        return Err(format!(
            "NHS number \"{}\" is not valid (10 digits passing the check)",
            get(0)
        ));
    }
    if get(1).is_empty() {
        return Err("family_name is empty".into());
    }
    let birth = date(get(3), "birth_date")?;
    if birth.as_str() > today.format("%Y-%m-%d").to_string().as_str() {
        return Err(format!("birth_date {birth} is in the future"));
    }
    let gender = match get(4).to_lowercase().as_str() {
        "" => None,
        g @ ("male" | "female" | "other" | "unknown") => Some(g.to_string()),
        other => {
            return Err(format!(
                "gender \"{other}\" is not male, female, other or unknown"
            ))
        }
    };
    let registration = Registration::parse(get(6)).ok_or_else(|| {
        format!(
            "registration \"{}\" is not registered, deducted or deceased",
            get(6)
        )
    })?;
    let deceased = match get(7) {
        "" => None,
        d => Some(date(d, "deceased_date")?),
    };
    match (registration, &deceased) {
        (Registration::Deceased, None) => {
            return Err("a deceased patient needs a deceased_date".into())
        }
        (Registration::Registered | Registration::Deducted, Some(_)) => {
            return Err("deceased_date is given but registration is not deceased".into())
        }
        _ => {}
    }
    Ok(RegisterPatient {
        nhs_number: nhs,
        family_name: get(1).to_string(),
        given_name: get(2).to_string(),
        birth_date: birth,
        gender,
        postcode: Some(get(5).to_uppercase()).filter(|p| !p.is_empty()),
        registration,
        deceased_date: deceased,
    })
}

/// Reads a register CSV. `Err` only when the file as a whole is not one (no or wrong header).
pub fn read_csv(text: &str, today: NaiveDate) -> Result<RegisterFile, String> {
    let mut lines = text.lines().enumerate();
    let header = loop {
        match lines.next() {
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((_, l)) => break l.trim_start_matches('\u{feff}'),
            None => return Err("the file is empty".into()),
        }
    };
    let names: Vec<String> = fields(header)?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if names != CSV_HEADER {
        return Err(format!(
            "the header must be {}; it is {}",
            CSV_HEADER.join(","),
            header
        ));
    }
    let mut out = RegisterFile::default();
    let mut seen = std::collections::HashMap::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + 1;
        match fields(line).and_then(|f| row(&f, today)) {
            Ok(p) => {
                if let Some(first) = seen.insert(p.nhs_number.clone(), line_no) {
                    out.rejected.push(RejectedRow {
                        line: line_no,
                        reason: format!("NHS number {} is already on line {first}", p.nhs_number),
                    });
                    seen.insert(p.nhs_number.clone(), first);
                } else {
                    out.patients.push(p);
                }
            }
            Err(reason) => out.rejected.push(RejectedRow {
                line: line_no,
                reason,
            }),
        }
    }
    Ok(out)
}

/// Reads a register file: CSV (the header above), or a FHIR STU3 Bundle of Patient resources
/// (XML or JSON). `Err` only when the file as a whole cannot be read (nothing is imported).
pub fn read_register(text: &str, today: NaiveDate) -> Result<RegisterFile, String> {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('{') || start.starts_with('<') {
        read_fhir_bundle(start, today)
    } else {
        read_csv(text, today)
    }
}

/// Reads a FHIR STU3 Bundle (XML or JSON) of Patient resources. Each Patient becomes one row,
/// read and checked exactly as a CSV row is; its "line" in a rejection is its 1-based entry
/// number. `active: false` means deducted; a deceased date or flag means deceased.
pub fn read_fhir_bundle(text: &str, today: NaiveDate) -> Result<RegisterFile, String> {
    let patients = handover_toc::patients::read_bundle(text.as_bytes())
        .map_err(|e| format!("not a FHIR Bundle of patients: {e}"))?;
    let mut out = RegisterFile::default();
    let mut seen = std::collections::HashMap::new();
    for p in patients {
        let registration = if p.deceased {
            "deceased"
        } else if p.active == Some(false) {
            "deducted"
        } else {
            "registered"
        };
        let deceased = p.deceased_date.clone().unwrap_or_default();
        let fields = vec![
            p.nhs_number.clone().unwrap_or_default(),
            p.family.clone().unwrap_or_default(),
            p.given.join(" "),
            p.birth_date.clone().unwrap_or_default(),
            p.gender.clone().unwrap_or_default(),
            p.postcode.clone().unwrap_or_default(),
            registration.to_string(),
            deceased.get(..10).unwrap_or(&deceased).to_string(),
        ];
        let line = p.entry;
        match row(&fields, today) {
            Ok(p) => {
                if let Some(first) = seen.insert(p.nhs_number.clone(), line) {
                    out.rejected.push(RejectedRow {
                        line,
                        reason: format!("NHS number {} is already in entry {first}", p.nhs_number),
                    });
                    seen.insert(p.nhs_number.clone(), first);
                } else {
                    out.patients.push(p);
                }
            }
            Err(reason) => out.rejected.push(RejectedRow { line, reason }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_rows_are_read_and_bad_ones_reported_by_line() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let csv = "nhs_number,family_name,given_name,birth_date,gender,postcode,registration,deceased_date\n\
                   943 476 5919,Smith,Sam,1957-01-01,male,ls1 4ab,registered,\n\
                   9434765918,Jones,Ann,1960-02-02,female,,registered,\n\
                   9999999468,\"O'Neil, Jr\",Pat,1970-03-03,,,deceased,2026-10-01\n\
                   9434765919,Smith,Sam,1957-01-01,male,,registered,\n\
                   9999999484,Brown,Al,01/02/1980,,,registered,\n\
                   9999999492,Green,Jo,1980-02-01,,,deceased,\n";
        let f = read_csv(csv, today).unwrap();
        let nhs: Vec<&str> = f.patients.iter().map(|p| p.nhs_number.as_str()).collect();
        assert_eq!(nhs, ["9434765919", "9999999468"]);
        assert_eq!(f.patients[0].postcode.as_deref(), Some("LS1 4AB"));
        assert_eq!(f.patients[1].family_name, "O'Neil, Jr");
        let lines: Vec<u64> = f.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 5, 6, 7], "{:?}", f.rejected);
        assert!(f.rejected[0].reason.contains("not valid"));
        assert!(f.rejected[1].reason.contains("line 2"));
        assert!(f.rejected[2].reason.contains("YYYY-MM-DD"));
        assert!(f.rejected[3].reason.contains("deceased_date"));
        assert!(read_csv("nhs,name\n1,2\n", today).is_err());
    }

    #[test]
    fn a_fhir_xml_bundle_is_read_like_the_csv() {
        let patient = |nhs: &str, extra: &str| {
            format!(
                r#"<entry><resource><Patient>
                  <identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="{nhs}"/></identifier>
                  <name><family value="Smith"/><given value="Jane"/></name>
                  <gender value="female"/><birthDate value="1970-02-03"/>{extra}
                </Patient></resource></entry>"#
            )
        };
        let xml = format!(
            r#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>{}{}{}{}</Bundle>"#,
            patient(
                "9434765919",
                r#"<address><postalCode value="ls1 4ap"/></address>"#
            ),
            patient("9000000009", r#"<active value="false"/>"#),
            patient(
                "9434765870",
                r#"<deceasedDateTime value="2026-10-01T10:00:00Z"/>"#
            ),
            patient("1234567890", ""),
        );
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let read = read_register(&xml, today).unwrap();
        let regs: Vec<_> = read.patients.iter().map(|p| p.registration).collect();
        assert_eq!(
            regs,
            vec![
                Registration::Registered,
                Registration::Deducted,
                Registration::Deceased
            ]
        );
        assert_eq!(read.patients[0].postcode.as_deref(), Some("LS1 4AP"));
        assert_eq!(
            read.patients[2].deceased_date.as_deref(),
            Some("2026-10-01")
        );
        assert_eq!(read.rejected.len(), 1);
        assert_eq!(read.rejected[0].line, 4, "the entry's number");
        assert!(read.rejected[0].reason.contains("not valid"));
        assert!(read_register("<Patient/>", today).is_err());
    }
}
