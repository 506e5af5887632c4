//! What a medicine is, as far as the inbox needs to know to warn: the high-risk groups where an
//! error at transfer of care harms most (NICE and NHS England safety alerts name these groups).
//! Matched on the medicine's name (its VTM, VMP or AMP name), word by word.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A high-risk group of medicines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum HighRisk {
    Anticoagulant,
    Insulin,
    Opioid,
    Antiepileptic,
    Lithium,
    Methotrexate,
}

impl HighRisk {
    /// In plain words, for a tag.
    pub fn label(self) -> &'static str {
        match self {
            HighRisk::Anticoagulant => "anticoagulant",
            HighRisk::Insulin => "insulin",
            HighRisk::Opioid => "opioid",
            HighRisk::Antiepileptic => "antiepileptic",
            HighRisk::Lithium => "lithium",
            HighRisk::Methotrexate => "methotrexate",
        }
    }
}

const GROUPS: &[(HighRisk, &[&str])] = &[
    (
        HighRisk::Anticoagulant,
        &[
            "warfarin",
            "apixaban",
            "rivaroxaban",
            "edoxaban",
            "dabigatran",
            "heparin",
            "enoxaparin",
            "dalteparin",
            "tinzaparin",
            "fondaparinux",
            "acenocoumarol",
            "phenindione",
        ],
    ),
    (HighRisk::Insulin, &["insulin"]),
    (
        HighRisk::Opioid,
        &[
            "morphine",
            "oxycodone",
            "fentanyl",
            "buprenorphine",
            "codeine",
            "dihydrocodeine",
            "tramadol",
            "methadone",
            "diamorphine",
            "tapentadol",
            "hydromorphone",
            "pethidine",
            // co-codamol and co-dydramol (codeine and dihydrocodeine with paracetamol)
            "codamol",
            "dydramol",
        ],
    ),
    (
        HighRisk::Antiepileptic,
        &[
            "levetiracetam",
            "valproate",
            "valproic",
            "carbamazepine",
            "lamotrigine",
            "phenytoin",
            "topiramate",
            "lacosamide",
            "oxcarbazepine",
            "zonisamide",
            "phenobarbital",
            "brivaracetam",
            "perampanel",
            "eslicarbazepine",
            "ethosuximide",
            "primidone",
        ],
    ),
    (
        HighRisk::Lithium,
        &["lithium", "priadel", "camcolit", "liskonum"],
    ),
    (HighRisk::Methotrexate, &["methotrexate"]),
];

/// The high-risk group a medicine belongs to, from its name.
pub fn high_risk(name: &str) -> Option<HighRisk> {
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    GROUPS.iter().find_map(|(group, stems)| {
        words
            .iter()
            .any(|w| stems.iter().any(|s| w == s))
            .then_some(*group)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_risk_medicines_by_name() {
        assert_eq!(
            high_risk("Warfarin 1mg tablets"),
            Some(HighRisk::Anticoagulant)
        );
        assert_eq!(
            high_risk("Apixaban 5mg tablets (Bristol-Myers Squibb)"),
            Some(HighRisk::Anticoagulant)
        );
        assert_eq!(
            high_risk("Insulin glargine 100units/ml"),
            Some(HighRisk::Insulin)
        );
        assert_eq!(
            high_risk("Morphine sulfate 10mg/5ml oral solution"),
            Some(HighRisk::Opioid)
        );
        assert_eq!(
            high_risk("Sodium valproate 200mg gastro-resistant tablets"),
            Some(HighRisk::Antiepileptic)
        );
        assert_eq!(
            high_risk("Lithium carbonate 400mg modified-release tablets"),
            Some(HighRisk::Lithium)
        );
        assert_eq!(
            high_risk("Methotrexate 2.5mg tablets"),
            Some(HighRisk::Methotrexate)
        );
        assert_eq!(high_risk("Ramipril 2.5mg capsules"), None);
        assert_eq!(high_risk("Paracetamol 500mg tablets"), None);
        // Whole words: a heparinoid cream is not heparin.
        assert_eq!(high_risk("Heparinoid 0.3% cream"), None);
        assert_eq!(
            high_risk("Co-codamol 30mg/500mg tablets"),
            Some(HighRisk::Opioid)
        );
        assert_eq!(
            high_risk("Codeine phosphate 30mg tablets"),
            Some(HighRisk::Opioid)
        );
    }
}
