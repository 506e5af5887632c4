//! Mandatory GP review: which documents an admin may not file without a GP having reviewed
//! them. Mental health discharges always; any document whose text shows suspected cancer
//! (two-week wait), safeguarding, end of life or learning disability content.
//!
//! Reading text errs towards review (a GP's minute costs less than a missed concern). A phrase
//! does not count only where its own sentence plainly says there is none ("No safeguarding
//! concerns", "Safeguarding: none"); a sentence that says so and goes on ("no concerns, but
//! ...") still counts. The reason given names the phrase and quotes the sentence, so the GP
//! sees why.

use serde::{Deserialize, Serialize};

use handover_toc::DocumentKind;

/// Why a document needs a GP's review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReviewReason {
    /// `mental-health`, `suspected-cancer`, `safeguarding`, `end-of-life` or
    /// `learning-disability`.
    pub topic: String,
    /// In plain words: "Mental health discharge", or the sentence quoted.
    pub detail: String,
}

const TOPICS: &[(&str, &[&str])] = &[
    (
        "suspected-cancer",
        &[
            "two week wait",
            "two-week wait",
            "2ww",
            "2 week wait",
            "urgent suspected cancer",
            "suspected cancer",
            "suspected malignancy",
            "? malignancy",
            "?malignancy",
            "cancer pathway",
        ],
    ),
    (
        "safeguarding",
        &[
            "safeguarding",
            "child protection",
            "domestic abuse",
            "domestic violence",
            "vulnerable adult",
            "mash referral",
        ],
    ),
    (
        "end-of-life",
        &[
            "end of life",
            "end-of-life",
            "palliative",
            "dnacpr",
            "do not attempt cardiopulmonary resuscitation",
            "respect form",
            "gold standards framework",
            "last days of life",
        ],
    ),
    (
        "learning-disability",
        &[
            "learning disability",
            "learning disabilities",
            "learning-disability",
        ],
    ),
];

const NEGATIONS: &[&str] = &[
    "no ", "nil ", "none", "not ", "no known", "denies", "without ",
];
const BUT: &[&str] = &[" but ", " however", " although", " though "];

/// Why `kind` with this text needs a GP's review (empty: it does not).
pub fn review_reasons(kind: DocumentKind, text: &str) -> Vec<ReviewReason> {
    let mut out = Vec::new();
    if kind == DocumentKind::MentalHealthDischarge {
        out.push(ReviewReason {
            topic: "mental-health".into(),
            detail: "Mental health discharge".into(),
        });
    }
    let sentences: Vec<&str> = text
        .split(['.', ';', '\n', '!', '?'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    for (topic, phrases) in TOPICS {
        let hit = sentences.iter().find(|sentence| {
            let lower = sentence.to_lowercase();
            phrases.iter().any(|p| lower.contains(p)) && !plainly_none(&lower)
        });
        if let Some(sentence) = hit {
            let quoted: String = sentence.chars().take(200).collect();
            out.push(ReviewReason {
                topic: (*topic).into(),
                detail: format!("\"{quoted}\""),
            });
        }
    }
    out
}

/// The sentence says there is none of it, and nothing more.
fn plainly_none(lower: &str) -> bool {
    if BUT.iter().any(|b| lower.contains(b)) {
        return false;
    }
    let starts = NEGATIONS.iter().any(|n| lower.starts_with(n));
    let after_colon = lower
        .split_once(':')
        .map(|(_, rest)| {
            let rest = rest.trim();
            rest.starts_with("none")
                || rest.starts_with("nil")
                || rest.starts_with("no ")
                || rest == "no"
        })
        .unwrap_or(false);
    starts || after_colon
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(kind: DocumentKind, text: &str) -> Vec<String> {
        review_reasons(kind, text)
            .into_iter()
            .map(|r| r.topic)
            .collect()
    }

    #[test]
    fn mental_health_discharges_always_need_review() {
        assert_eq!(
            topics(DocumentKind::MentalHealthDischarge, "Discharged home."),
            ["mental-health"]
        );
        assert!(topics(DocumentKind::InpatientDischarge, "Discharged home.").is_empty());
    }

    #[test]
    fn each_topic_is_found_and_quoted() {
        let text = "Referred on the two week wait pathway for colonoscopy. Lives alone.";
        let r = review_reasons(DocumentKind::OutpatientLetter, text);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].topic, "suspected-cancer");
        assert!(r[0].detail.contains("two week wait pathway"));
        assert_eq!(
            topics(
                DocumentKind::InpatientDischarge,
                "DNACPR in place; ReSPECT form completed"
            ),
            ["end-of-life"]
        );
        assert_eq!(
            topics(
                DocumentKind::EmergencyDischarge,
                "Has a mild learning disability and lives with his mother"
            ),
            ["learning-disability"]
        );
        assert_eq!(
            topics(
                DocumentKind::EmergencyDischarge,
                "Referral made to the MASH: safeguarding concern about the children"
            ),
            ["safeguarding"]
        );
    }

    #[test]
    fn a_plain_none_does_not_count_but_a_qualified_one_does() {
        assert!(topics(
            DocumentKind::InpatientDischarge,
            "No safeguarding concerns."
        )
        .is_empty());
        assert!(topics(
            DocumentKind::InpatientDischarge,
            "Safeguarding: none identified"
        )
        .is_empty());
        assert_eq!(
            topics(
                DocumentKind::InpatientDischarge,
                "No safeguarding concerns raised on the ward, but a referral to adult safeguarding was made by the paramedics"
            ),
            ["safeguarding"]
        );
        // The negation belongs to its own sentence only.
        assert_eq!(
            topics(
                DocumentKind::InpatientDischarge,
                "No chest pain. Safeguarding referral made."
            ),
            ["safeguarding"]
        );
    }
}
