//! The practice's medication list, as the diff reads it.

use serde::{Deserialize, Serialize};

/// One line of the practice's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PracticeLine {
    pub nhs_number: String,
    /// dm+d code; None for a line recorded as free text.
    pub code: Option<String>,
    pub name: String,
    pub dosage: Option<String>,
    pub route: Option<String>,
    /// `repeat` or `acute`.
    pub kind: String,
}

/// The CSV header.
pub const CSV_HEADER: [&str; 6] = ["nhs_number", "code", "name", "dosage", "route", "type"];

/// Splits one CSV line (RFC 4180 quoting, no newlines inside fields).
pub fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut at_start = true;
    let mut chars = line.chars().peekable();
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

/// Reads a practice list CSV (the header above). Every data row, in order: the diff's
/// `practice_index` is its 0-based position. `Err` names the first line that cannot be read.
pub fn read_csv(text: &str) -> Result<Vec<PracticeLine>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or("the file is empty")?;
    let names: Vec<String> = csv_fields(header.trim_start_matches('\u{feff}'))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if names != CSV_HEADER {
        return Err(format!(
            "the header must be {}; it is {header}",
            CSV_HEADER.join(",")
        ));
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let f = csv_fields(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if f.len() != CSV_HEADER.len() {
            return Err(format!(
                "line {}: {} fields, expected {}",
                i + 1,
                f.len(),
                CSV_HEADER.len()
            ));
        }
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let name = f[2].trim();
        if name.is_empty() {
            return Err(format!("line {}: the medicine has no name", i + 1));
        }
        let kind = f[5].trim().to_lowercase();
        if kind != "repeat" && kind != "acute" {
            return Err(format!(
                "line {}: type must be repeat or acute, not {:?}",
                i + 1,
                f[5].trim()
            ));
        }
        out.push(PracticeLine {
            nhs_number: f[0].chars().filter(|c| !c.is_whitespace()).collect(),
            code: opt(&f[1]),
            name: name.to_string(),
            dosage: opt(&f[3]),
            route: opt(&f[4]),
            kind,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_read_in_order_with_quoted_fields() {
        let csv = "nhs_number,code,name,dosage,route,type\n\
                   943 476 5919,318135008,Co-amilofruse 2.5mg/20mg tablets,\"One tablet, once daily\",Oral,repeat\n\
                   9434765919,,Paracetamol 500mg tablets,Two tablets when required,Oral,acute\n";
        let lines = read_csv(csv).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].nhs_number, "9434765919");
        assert_eq!(lines[0].dosage.as_deref(), Some("One tablet, once daily"));
        assert_eq!(lines[1].code, None);
        assert_eq!(lines[1].kind, "acute");
        assert!(read_csv("nhs,code\n").is_err());
        assert!(
            read_csv("nhs_number,code,name,dosage,route,type\n1,2,x,y,z,weekly\n")
                .unwrap_err()
                .contains("line 2")
        );
    }
}
