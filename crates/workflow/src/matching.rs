//! Matching a document to the practice register, and the ITK3 business response that follows.
//!
//! A document matches automatically only when its NHS number is valid, is on the register, and
//! the register's birth date agrees. Anything else waits for a person, with the candidates the
//! register offers. Business responses (ITK3 `BusAckRequested`): 30001 matched and registered;
//! 30004 matched and died less than 6 months ago; 30003 deducted, or died 6 months ago or more;
//! 30002 not known to the practice.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use handover_store::{MatchState, RegisterPatient, Registration};
use handover_toc::ResponseCode;

/// The patient a document is about, as the document says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentPatient<'a> {
    pub nhs_number: Option<&'a str>,
    pub nhs_number_valid: bool,
    pub birth_date: Option<&'a str>,
    pub family_name: Option<&'a str>,
    pub given_name: Option<&'a str>,
    pub postcode: Option<&'a str>,
}

/// What matching decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct MatchDecision {
    pub state: MatchState,
    /// The register's NHS number, when matched.
    pub nhs_number: Option<String>,
    pub registration: Option<Registration>,
    pub deceased_date: Option<String>,
    /// Why, in plain words.
    pub reason: String,
}

/// Decides the automatic match. `on_register` is the register's row for the document's NHS
/// number (if any); `register_empty` means no register has been imported.
pub fn decide(
    patient: &DocumentPatient<'_>,
    on_register: Option<&RegisterPatient>,
    register_empty: bool,
) -> MatchDecision {
    let unmatched = |state, reason: &str| MatchDecision {
        state,
        nhs_number: None,
        registration: None,
        deceased_date: None,
        reason: reason.to_string(),
    };
    if register_empty {
        return unmatched(
            MatchState::Unchecked,
            "no practice register has been imported, so the patient was not checked",
        );
    }
    let Some(nhs) = patient.nhs_number.filter(|n| !n.is_empty()) else {
        return unmatched(
            MatchState::NotOnRegister,
            "the document gives no NHS number",
        );
    };
    if !patient.nhs_number_valid {
        return unmatched(
            MatchState::NeedsDecision,
            &format!("the NHS number {nhs} fails its check digit"),
        );
    }
    let Some(p) = on_register else {
        return unmatched(
            MatchState::NotOnRegister,
            &format!("NHS number {nhs} is not on the practice register"),
        );
    };
    match patient.birth_date {
        Some(b) if same_date(b, &p.birth_date) => MatchDecision {
            state: MatchState::Matched,
            nhs_number: Some(p.nhs_number.clone()),
            registration: Some(p.registration),
            deceased_date: p.deceased_date.clone(),
            reason: "NHS number and date of birth agree with the practice register".into(),
        },
        Some(b) => unmatched(
            MatchState::NeedsDecision,
            &format!(
                "NHS number {nhs} is on the register, but with date of birth {} (the document says {b})",
                p.birth_date
            ),
        ),
        None => unmatched(
            MatchState::NeedsDecision,
            &format!("NHS number {nhs} is on the register, but the document gives no date of birth to check"),
        ),
    }
}

fn same_date(a: &str, b: &str) -> bool {
    a.get(..10) == b.get(..10) && a.len() >= 10
}

/// The business response for a matched patient, as of `today`.
pub fn business_code(
    registration: Registration,
    deceased_date: Option<&str>,
    today: NaiveDate,
) -> ResponseCode {
    match registration {
        Registration::Registered => ResponseCode::PatientKnown,
        Registration::Deducted => ResponseCode::PatientNoLongerHere,
        Registration::Deceased => {
            let died = deceased_date
                .and_then(|d| NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok());
            match died {
                Some(d)
                    if d.checked_add_months(Months::new(6))
                        .is_some_and(|six| six > today) =>
                {
                    ResponseCode::PatientRecentlyDeceased
                }
                // No date recorded: the longer-ago answer is the one that asks nothing more of
                // the hospital than the shorter would.
                _ => ResponseCode::PatientNoLongerHere,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(
        nhs: &str,
        birth: &str,
        registration: Registration,
        died: Option<&str>,
    ) -> RegisterPatient {
        RegisterPatient {
            nhs_number: nhs.into(),
            family_name: "Smith".into(),
            given_name: "Sam".into(),
            birth_date: birth.into(),
            gender: None,
            postcode: None,
            registration,
            deceased_date: died.map(Into::into),
        }
    }

    fn doc<'a>(nhs: &'a str, birth: Option<&'a str>) -> DocumentPatient<'a> {
        DocumentPatient {
            nhs_number: Some(nhs),
            nhs_number_valid: true,
            birth_date: birth,
            ..Default::default()
        }
    }

    #[test]
    fn only_a_valid_number_on_the_register_with_the_same_birth_date_matches() {
        let p = reg("9434765919", "1957-01-01", Registration::Registered, None);
        let d = decide(&doc("9434765919", Some("1957-01-01")), Some(&p), false);
        assert_eq!(d.state, MatchState::Matched);
        assert_eq!(d.registration, Some(Registration::Registered));
        let d = decide(&doc("9434765919", Some("1957-01-02")), Some(&p), false);
        assert_eq!(d.state, MatchState::NeedsDecision);
        assert!(d.reason.contains("1957-01-01"), "{}", d.reason);
        assert_eq!(
            decide(&doc("9434765919", None), Some(&p), false).state,
            MatchState::NeedsDecision
        );
        assert_eq!(
            decide(&doc("9434765919", Some("1957-01-01")), None, false).state,
            MatchState::NotOnRegister
        );
        let mut invalid = doc("9434765918", Some("1957-01-01"));
        invalid.nhs_number_valid = false;
        assert_eq!(
            decide(&invalid, Some(&p), false).state,
            MatchState::NeedsDecision
        );
        assert_eq!(
            decide(&doc("9434765919", Some("1957-01-01")), None, true).state,
            MatchState::Unchecked
        );
    }

    #[test]
    fn business_codes_follow_registration_and_the_six_month_rule() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            business_code(Registration::Registered, None, today),
            ResponseCode::PatientKnown
        );
        assert_eq!(
            business_code(Registration::Deducted, None, today),
            ResponseCode::PatientNoLongerHere
        );
        assert_eq!(
            business_code(Registration::Deceased, Some("2026-06-02"), today),
            ResponseCode::PatientRecentlyDeceased
        );
        assert_eq!(
            business_code(Registration::Deceased, Some("2026-06-01"), today),
            ResponseCode::PatientNoLongerHere
        );
    }
}
