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

/// Reads a practice list CSV (the header above). Every data row, in order: the diff's
/// `practice_index` is its 0-based position. `Err` names the first line that cannot be read.
pub fn read_csv(text: &str) -> Result<Vec<PracticeLine>, String> {
    let records = crate::practice_import::records(text).map_err(|e| e.0)?;
    let mut records = records.into_iter();
    let (_, header) = records.next().ok_or("the file is empty")?;
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    if names != CSV_HEADER {
        return Err(format!(
            "the header must be {}; it is {}",
            CSV_HEADER.join(","),
            header.join(",")
        ));
    }
    let mut out = Vec::new();
    for (line, f) in records {
        if f.len() != CSV_HEADER.len() {
            return Err(format!(
                "line {line}: {} fields, expected {}",
                f.len(),
                CSV_HEADER.len()
            ));
        }
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let name = f[2].trim();
        if name.is_empty() {
            return Err(format!("line {line}: the medicine has no name"));
        }
        let kind = f[5].trim().to_lowercase();
        if kind != "repeat" && kind != "acute" {
            return Err(format!(
                "line {line}: type must be repeat or acute, not {:?}",
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
