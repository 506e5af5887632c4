//! The reconciliation rows: the discharge document's medicines (active, with their change
//! status, and discontinued) against the practice's list. Every line of both lists is in
//! exactly one row.
//!
//! Pairing, best first: the same code (a previous code resolved through dm+d); the same VMP
//! (an AMP against its VMP, or two AMPs of one VMP); the same VTM (the drug in another strength
//! or form); without dm+d, the same normalised name, then the same drug name. Each discharge
//! line takes its best candidate among the practice lines not yet taken; more than one
//! candidate at the best level is flagged `ambiguous-match`, the others listed.

use serde::Serialize;

use handover_toc::{Medication, MedicationChange, MedicationList, MedicationStatus};

use crate::dictionary::Dictionary;
use crate::normalise::{dose, dose_incomplete, name_parts, route, NameParts};
use crate::practice::PracticeLine;

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export, rename = "MedrecCategory")]
pub enum Category {
    /// Same medicine, same dose after normalisation, same route.
    Unchanged,
    /// Added by the hospital, not on the practice list.
    Added,
    /// On the discharge list with no change status, not on the practice list.
    Commission,
    /// The hospital's status contradicts the practice list.
    StatusConflict,
    /// On the discontinued list (with the practice line it ends, if any).
    Stopped,
    /// On the practice list, in neither hospital list: needs review.
    Omission,
    DoseChanged,
    RouteChanged,
    /// The same drug in another strength or form (another VMP).
    StrengthOrFormChanged,
    /// The same VMP from another supplier (another AMP).
    ProductSwitch,
    /// Put on hold: needs restart criteria.
    OnHold,
}

/// Something about a row a person must look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export, rename = "MedrecFlag")]
pub enum Flag {
    /// Two lines of the same drug (or an Added drug the practice holds in another strength).
    Duplication,
    /// No dose, or "as directed".
    Incomplete,
    Uncoded,
    /// Added, amended or stopped with no reason given.
    ReasonMissing,
    /// More than one practice line could be this one.
    AmbiguousMatch,
}

/// How a pair was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export, rename = "MedrecBasis")]
pub enum Basis {
    Code,
    Vmp,
    Vtm,
    Name,
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, rename = "MedrecRow")]
pub struct Row {
    pub category: Category,
    /// Index into the document's `medications` (as `handover inspect --json` lists them).
    pub discharge_index: Option<usize>,
    /// 0-based data row of the practice list.
    pub practice_index: Option<usize>,
    pub basis: Option<Basis>,
    pub flags: Vec<Flag>,
    /// Other practice lines that matched as well (with `ambiguous-match`).
    pub others: Vec<usize>,
    /// What changed, in words ("dose: one tablet once daily -> two tablets once daily").
    pub detail: Option<String>,
}

/// The whole reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, rename = "MedrecDiff")]
pub struct Diff {
    pub rows: Vec<Row>,
}

/// A side's line as the pairing sees it.
struct Side<'a> {
    code: Option<&'a str>,
    parts: NameParts,
    vmp: Option<String>,
    vtm: Option<String>,
    current: Option<String>,
}

fn side<'a>(code: Option<&'a str>, name: &'a str, dict: &dyn Dictionary) -> Side<'a> {
    let concept = code.and_then(|c| dict.lookup(c));
    Side {
        code,
        parts: name_parts(name),
        vmp: concept.as_ref().and_then(|c| c.vmp.clone()),
        vtm: concept.as_ref().and_then(|c| c.vtm.clone()),
        current: concept.map(|c| c.code),
    }
}

/// How (and whether) two lines are the same medicine.
fn basis(d: &Side, p: &Side) -> Option<(Basis, u8)> {
    let same_code = match (
        d.current.as_deref().or(d.code),
        p.current.as_deref().or(p.code),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    if same_code {
        return Some((Basis::Code, 0));
    }
    if d.vmp.is_some() && d.vmp == p.vmp {
        return Some((Basis::Vmp, 1));
    }
    if d.vtm.is_some() && d.vtm == p.vtm {
        return Some((Basis::Vtm, 3));
    }
    if d.parts.drug.is_empty() || d.parts.drug != p.parts.drug {
        return None;
    }
    if d.parts.strengths == p.parts.strengths
        && (d.parts.form == p.parts.form || d.parts.form.is_empty() || p.parts.form.is_empty())
    {
        // The same product by name (an AMP's name without its supplier is its VMP's).
        Some((Basis::Name, 2))
    } else {
        // The same drug by name, in another strength or form.
        Some((Basis::Name, 4))
    }
}

fn is_stopped(m: &Medication) -> bool {
    m.list == MedicationList::Discontinued || m.status == MedicationStatus::Stopped
}

fn reason_given(m: &Medication) -> bool {
    m.change_indication
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty())
}

fn shown(s: Option<&str>) -> String {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("(none)")
        .to_string()
}

/// Reconciles `discharge` (a document's medicines, in order) against `practice`.
pub fn diff(discharge: &[Medication], practice: &[PracticeLine], dict: &dyn Dictionary) -> Diff {
    let d_sides: Vec<Side> = discharge
        .iter()
        .map(|m| side(m.code.as_deref(), m.name.as_deref().unwrap_or(""), dict))
        .collect();
    let p_sides: Vec<Side> = practice
        .iter()
        .map(|p| side(p.code.as_deref(), &p.name, dict))
        .collect();
    let mut taken = vec![false; practice.len()];
    let mut rows: Vec<Row> = Vec::with_capacity(discharge.len() + practice.len());

    // Stopped lines first claim what they end, then the active ones (so a line both stopped
    // and restarted in another strength pairs the stop with the old line).
    let mut order: Vec<usize> = (0..discharge.len())
        .filter(|&i| is_stopped(&discharge[i]))
        .collect();
    order.extend((0..discharge.len()).filter(|&i| !is_stopped(&discharge[i])));
    let mut by_index: Vec<Option<Row>> = vec![None; discharge.len()];

    for i in order {
        let m = &discharge[i];
        let d = &d_sides[i];
        let mut candidates: Vec<(u8, Basis, usize)> = p_sides
            .iter()
            .enumerate()
            .filter(|(j, _)| !taken[*j])
            .filter_map(|(j, p)| basis(d, p).map(|(b, rank)| (rank, b, j)))
            .collect();
        candidates.sort();
        let best = candidates.first().map(|c| c.0);
        let mut tied: Vec<(u8, Basis, usize)> = candidates
            .iter()
            .copied()
            .filter(|c| Some(c.0) == best)
            .collect();
        // Among equals, the one with the same dose.
        if tied.len() > 1 {
            let want = m.dosage.as_deref().map(dose);
            tied.sort_by_key(|c| (practice[c.2].dosage.as_deref().map(dose) != want, c.2));
        }
        let added = m.change == Some(MedicationChange::Added) && !is_stopped(m);
        // An Added line pairs only with the very same product: one the practice holds in
        // another strength stays its own line (flagged as a duplication), and so does the
        // practice's.
        let pick = tied.first().copied().filter(|c| !(added && c.0 >= 3));
        let mut row = Row {
            category: Category::Unchanged,
            discharge_index: Some(i),
            practice_index: None,
            basis: None,
            flags: Vec::new(),
            others: Vec::new(),
            detail: None,
        };
        if added && pick.is_none() && best.is_some_and(|b| b >= 3) {
            row.flags.push(Flag::Duplication);
        }
        if let Some((_, b, j)) = pick {
            taken[j] = true;
            row.practice_index = Some(j);
            row.basis = Some(b);
            if tied.len() > 1 {
                row.flags.push(Flag::AmbiguousMatch);
                row.others = tied.iter().skip(1).map(|c| c.2).collect();
            }
        }
        categorise(
            &mut row,
            m,
            pick.map(|(rank, _, j)| (rank, &practice[j], &p_sides[j], d)),
        );
        let changed = is_stopped(m)
            || matches!(
                m.change,
                Some(MedicationChange::Added | MedicationChange::Amended)
            );
        if changed && !reason_given(m) {
            row.flags.push(Flag::ReasonMissing);
        }
        if !is_stopped(m) && dose_incomplete(m.dosage.as_deref()) {
            row.flags.push(Flag::Incomplete);
        }
        if m.code.is_none()
            || row
                .practice_index
                .is_some_and(|j| practice[j].code.is_none())
        {
            row.flags.push(Flag::Uncoded);
        }
        by_index[i] = Some(row);
    }
    rows.extend(by_index.into_iter().flatten());

    // Two active discharge lines of one drug.
    let active: Vec<usize> = (0..discharge.len())
        .filter(|&i| !is_stopped(&discharge[i]))
        .collect();
    for (a, &i) in active.iter().enumerate() {
        for &k in &active[a + 1..] {
            let same = match (&d_sides[i].vtm, &d_sides[k].vtm) {
                (Some(x), Some(y)) => x == y,
                _ => {
                    !d_sides[i].parts.drug.is_empty()
                        && d_sides[i].parts.drug == d_sides[k].parts.drug
                }
            };
            if same {
                for idx in [i, k] {
                    let row = &mut rows[idx];
                    if !row.flags.contains(&Flag::Duplication) {
                        row.flags.push(Flag::Duplication);
                    }
                }
            }
        }
    }

    // What the practice holds that the hospital did not list at all.
    for (j, p) in practice.iter().enumerate() {
        if taken[j] {
            continue;
        }
        let mut flags = Vec::new();
        if p.code.is_none() {
            flags.push(Flag::Uncoded);
        }
        if dose_incomplete(p.dosage.as_deref()) {
            flags.push(Flag::Incomplete);
        }
        rows.push(Row {
            category: Category::Omission,
            discharge_index: None,
            practice_index: Some(j),
            basis: None,
            flags,
            others: Vec::new(),
            detail: Some(format!(
                "{} is on the practice list and in neither of the hospital's lists",
                p.name
            )),
        });
    }
    for row in &mut rows {
        row.flags.sort_by_key(|f| *f as u8);
        row.flags.dedup();
    }
    Diff { rows }
}

fn categorise(row: &mut Row, m: &Medication, pair: Option<(u8, &PracticeLine, &Side, &Side)>) {
    let name = m.name.as_deref().unwrap_or("(unnamed)");
    if is_stopped(m) {
        row.category = Category::Stopped;
        row.detail = Some(match pair {
            Some((_, p, _, _)) => format!("stopped: ends {} on the practice list", p.name),
            None => format!("stopped: {name} is not on the practice list"),
        });
        return;
    }
    let Some((rank, p, ps, ds)) = pair else {
        row.category = match m.change {
            Some(MedicationChange::Added) => Category::Added,
            Some(MedicationChange::OnHold) => Category::OnHold,
            Some(MedicationChange::Continued | MedicationChange::Amended) => {
                Category::StatusConflict
            }
            None => Category::Commission,
        };
        row.detail = Some(match row.category {
            Category::StatusConflict => format!(
                "the hospital says {} but {name} is not on the practice list",
                m.change_raw
                    .as_deref()
                    .unwrap_or("continued")
                    .to_lowercase()
            ),
            Category::Commission => {
                format!("{name} is new to the practice list and the hospital gave no change status")
            }
            Category::OnHold => format!("{name} is on hold and not on the practice list"),
            _ => format!("{name} is new"),
        });
        return;
    };
    let dose_differs = match (m.dosage.as_deref(), p.dosage.as_deref()) {
        (Some(a), Some(b)) => dose(a) != dose(b),
        (None, None) => false,
        _ => true,
    };
    let route_differs = match (m.route.as_deref(), p.route.as_deref()) {
        (Some(a), Some(b)) => route(a) != route(b),
        _ => false,
    };
    let mut changes = Vec::new();
    if dose_differs {
        changes.push(format!(
            "dose: {} -> {}",
            shown(p.dosage.as_deref()),
            shown(m.dosage.as_deref())
        ));
    }
    if route_differs {
        changes.push(format!(
            "route: {} -> {}",
            shown(p.route.as_deref()),
            shown(m.route.as_deref())
        ));
    }
    let other_product = rank >= 3;
    let other_supplier = rank == 1
        && ds.code.is_some()
        && ps.code.is_some()
        && ds.current != ps.current
        && ds.vmp.as_ref() != ds.current.as_ref()
        && ps.vmp.as_ref() != ps.current.as_ref();
    if other_product || other_supplier {
        changes.insert(0, format!("product: {} -> {name}", p.name));
    }
    row.category = match m.change {
        Some(MedicationChange::OnHold) => Category::OnHold,
        Some(MedicationChange::Added) => Category::StatusConflict,
        _ if other_product => Category::StrengthOrFormChanged,
        _ if other_supplier => Category::ProductSwitch,
        _ if dose_differs => Category::DoseChanged,
        _ if route_differs => Category::RouteChanged,
        Some(MedicationChange::Amended) => Category::StatusConflict,
        _ => Category::Unchanged,
    };
    row.detail = match row.category {
        Category::StatusConflict if m.change == Some(MedicationChange::Added) => Some(format!(
            "the hospital says added, but {} is already on the practice list",
            p.name
        )),
        Category::StatusConflict => {
            Some("the hospital says amended, but nothing differs from the practice list".into())
        }
        _ if changes.is_empty() => None,
        _ => Some(changes.join("; ")),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::{Concept, ConceptKind, NoDictionary};

    fn med(
        name: &str,
        code: Option<&str>,
        dosage: &str,
        change: Option<MedicationChange>,
    ) -> Medication {
        Medication {
            name: Some(name.into()),
            code: code.map(str::to_string),
            dosage: Some(dosage.into()).filter(|d: &String| !d.is_empty()),
            route: Some("Oral".into()),
            change,
            change_raw: change.map(|c| format!("{c:?}")),
            change_indication: Some("reviewed".into()),
            ..Default::default()
        }
    }

    fn stopped(name: &str, code: Option<&str>) -> Medication {
        Medication {
            list: MedicationList::Discontinued,
            status: MedicationStatus::Stopped,
            ..med(name, code, "One tablet once daily", None)
        }
    }

    fn line(name: &str, code: Option<&str>, dosage: &str) -> PracticeLine {
        PracticeLine {
            nhs_number: "9434765919".into(),
            code: code.map(str::to_string),
            name: name.into(),
            dosage: Some(dosage.into()),
            route: Some("Oral".into()),
            kind: "repeat".into(),
        }
    }

    struct Dict;
    impl Dictionary for Dict {
        fn lookup(&self, code: &str) -> Option<Concept> {
            let c = |code: &str, kind, name: &str, vmp: Option<&str>, vtm: &str| Concept {
                code: code.into(),
                kind,
                name: name.into(),
                vmp: vmp.map(str::to_string),
                vtm: Some(vtm.into()),
            };
            match code {
                // Ramipril: VTM 1, VMPs 2.5mg (10) and 5mg (11), AMPs of 2.5mg (100, 101);
                // 9 is a previous code of 10.
                "10" | "9" => Some(c(
                    "10",
                    ConceptKind::Vmp,
                    "Ramipril 2.5mg capsules",
                    Some("10"),
                    "1",
                )),
                "11" => Some(c(
                    "11",
                    ConceptKind::Vmp,
                    "Ramipril 5mg capsules",
                    Some("11"),
                    "1",
                )),
                "100" => Some(c(
                    "100",
                    ConceptKind::Amp,
                    "Ramipril 2.5mg capsules (A)",
                    Some("10"),
                    "1",
                )),
                "101" => Some(c(
                    "101",
                    ConceptKind::Amp,
                    "Ramipril 2.5mg capsules (B)",
                    Some("10"),
                    "1",
                )),
                _ => None,
            }
        }
    }

    fn categories(d: &Diff) -> Vec<Category> {
        d.rows.iter().map(|r| r.category).collect()
    }

    #[test]
    fn each_category_from_one_small_pair_of_lists() {
        let discharge = vec![
            med(
                "Bisoprolol 2.5mg tablets",
                Some("20"),
                "One tablet once a day",
                Some(MedicationChange::Continued),
            ),
            med(
                "Sertraline 50mg tablets",
                Some("21"),
                "One tablet once daily",
                Some(MedicationChange::Added),
            ),
            med(
                "Omeprazole 20mg capsules",
                Some("22"),
                "One capsule once daily",
                None,
            ),
            med(
                "Atorvastatin 40mg tablets",
                Some("23"),
                "One tablet at night",
                Some(MedicationChange::Continued),
            ),
            stopped("Clopidogrel 75mg tablets", Some("24")),
            med(
                "Furosemide 40mg tablets",
                Some("25"),
                "Two tablets in the morning",
                Some(MedicationChange::Amended),
            ),
            med(
                "Warfarin 1mg tablets",
                Some("26"),
                "As directed",
                Some(MedicationChange::OnHold),
            ),
            med(
                "Metformin 500mg tablets",
                Some("27"),
                "One tablet twice daily",
                Some(MedicationChange::Amended),
            ),
        ];
        let practice = vec![
            line("Bisoprolol 2.5mg tablets", Some("20"), "1 tablet daily"),
            line(
                "Clopidogrel 75mg tablets",
                Some("24"),
                "One tablet once daily",
            ),
            line(
                "Furosemide 40mg tablets",
                Some("25"),
                "One tablet in the morning",
            ),
            line("Warfarin 1mg tablets", Some("26"), "As directed"),
            line(
                "Amlodipine 5mg tablets",
                Some("28"),
                "One tablet once daily",
            ),
            line(
                "Metformin 500mg tablets",
                Some("27"),
                "One tablet twice a day",
            ),
        ];
        let d = diff(&discharge, &practice, &NoDictionary);
        assert_eq!(
            categories(&d),
            vec![
                Category::Unchanged,
                Category::Added,
                Category::Commission,
                Category::StatusConflict,
                Category::Stopped,
                Category::DoseChanged,
                Category::OnHold,
                Category::StatusConflict,
                Category::Omission,
            ]
        );
        let omission = &d.rows[8];
        assert_eq!(omission.practice_index, Some(4));
        assert_eq!(
            d.rows[4].practice_index,
            Some(1),
            "the stop ends the practice line"
        );
        assert_eq!(
            d.rows[5].detail.as_deref(),
            Some("dose: One tablet in the morning -> Two tablets in the morning")
        );
        assert!(d.rows[6].flags.contains(&Flag::Incomplete));
        assert_eq!(d.rows[0].basis, Some(Basis::Code));
    }

    #[test]
    fn dm_d_pairs_an_amp_with_its_vmp_follows_previous_codes_and_tells_strength_from_supplier() {
        let discharge = vec![med(
            "Ramipril 2.5mg capsules (A)",
            Some("100"),
            "One capsule once daily",
            Some(MedicationChange::Continued),
        )];
        let practice = vec![line(
            "Ramipril 2.5mg capsules",
            Some("9"),
            "One capsule once a day",
        )];
        let d = diff(&discharge, &practice, &Dict);
        assert_eq!(categories(&d), vec![Category::Unchanged]);
        assert_eq!(d.rows[0].basis, Some(Basis::Vmp));
        // Another supplier's product of the same VMP.
        let practice = vec![line(
            "Ramipril 2.5mg capsules (B)",
            Some("101"),
            "One capsule once daily",
        )];
        let d = diff(&discharge, &practice, &Dict);
        assert_eq!(categories(&d), vec![Category::ProductSwitch]);
        // Another strength of the drug.
        let practice = vec![line(
            "Ramipril 5mg capsules",
            Some("11"),
            "One capsule once daily",
        )];
        let d = diff(&discharge, &practice, &Dict);
        assert_eq!(categories(&d), vec![Category::StrengthOrFormChanged]);
        assert_eq!(d.rows[0].basis, Some(Basis::Vtm));
        // Without dm+d the names still pair the AMP with the VMP, and tell the strengths apart.
        let practice = vec![line(
            "Ramipril 2.5mg capsules",
            None,
            "One capsule once daily",
        )];
        let d = diff(&discharge, &practice, &NoDictionary);
        assert_eq!(categories(&d), vec![Category::Unchanged]);
        assert_eq!(d.rows[0].basis, Some(Basis::Name));
        assert!(d.rows[0].flags.contains(&Flag::Uncoded));
        let practice = vec![line(
            "Ramipril 5mg capsules",
            None,
            "One capsule once daily",
        )];
        let d = diff(&discharge, &practice, &NoDictionary);
        assert_eq!(categories(&d), vec![Category::StrengthOrFormChanged]);
    }

    #[test]
    fn an_added_drug_held_in_another_strength_is_a_duplication_not_a_pair() {
        let discharge = vec![med(
            "Ramipril 5mg capsules",
            Some("11"),
            "One capsule once daily",
            Some(MedicationChange::Added),
        )];
        let practice = vec![line(
            "Ramipril 2.5mg capsules",
            Some("10"),
            "One capsule once daily",
        )];
        let d = diff(&discharge, &practice, &Dict);
        assert_eq!(categories(&d), vec![Category::Added, Category::Omission]);
        assert!(d.rows[0].flags.contains(&Flag::Duplication));
    }

    #[test]
    fn reasons_ambiguity_and_two_lines_of_one_drug_are_flagged() {
        let mut amended = med(
            "Furosemide 40mg tablets",
            None,
            "Two tablets in the morning",
            Some(MedicationChange::Amended),
        );
        amended.change_indication = None;
        let discharge = vec![
            amended,
            med(
                "Paracetamol 500mg tablets",
                None,
                "Two tablets four times a day",
                Some(MedicationChange::Continued),
            ),
            med(
                "Paracetamol 500mg tablets",
                None,
                "Two tablets when required",
                None,
            ),
        ];
        let practice = vec![
            line("Furosemide 40mg tablets", None, "One tablet in the morning"),
            line(
                "Paracetamol 500mg tablets",
                None,
                "Two tablets when required",
            ),
            line(
                "Paracetamol 500mg tablets",
                None,
                "Two tablets four times daily",
            ),
        ];
        let d = diff(&discharge, &practice, &NoDictionary);
        assert!(d.rows[0].flags.contains(&Flag::ReasonMissing));
        // The first paracetamol line takes the practice line with its own dose, and says the
        // other could have been it.
        assert_eq!(d.rows[1].practice_index, Some(2));
        assert_eq!(d.rows[1].others, vec![1]);
        assert!(d.rows[1].flags.contains(&Flag::AmbiguousMatch));
        assert!(d.rows[1].flags.contains(&Flag::Duplication));
        assert!(d.rows[2].flags.contains(&Flag::Duplication));
        assert_eq!(d.rows[2].practice_index, Some(1));
    }
}
