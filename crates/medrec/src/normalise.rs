//! Comparing medicine names, strengths, forms, dose directions and routes as a pharmacist
//! would read them: case, spacing, plurals, the supplier in brackets and the common ways of
//! writing a frequency do not make two lines different; a number always does ("5mg" is not
//! "2.5mg"). Anything this cannot read stays as written and compares as text.

/// A medicine name taken apart: "Ramipril 2.5mg tablets (A A H Pharmaceuticals Ltd)" is drug
/// "ramipril", strengths ["2.5mg"], form "tablet".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameParts {
    /// The words before the first strength, lowercased ("ramipril", "co-amilofruse").
    pub drug: String,
    /// Each strength as a number and unit, normalised ("2.5mg", "20microgram", "100unit/ml").
    pub strengths: Vec<String>,
    /// The dose form, singular and lowercase ("tablet", "capsule", "oral solution"), if any.
    pub form: String,
}

const UNITS: &[(&str, &str)] = &[
    ("micrograms", "microgram"),
    ("microgram", "microgram"),
    ("mcg", "microgram"),
    ("µg", "microgram"),
    ("ug", "microgram"),
    ("milligrams", "mg"),
    ("milligram", "mg"),
    ("mg", "mg"),
    ("grams", "g"),
    ("gram", "g"),
    ("g", "g"),
    ("millilitres", "ml"),
    ("ml", "ml"),
    ("units", "unit"),
    ("unit", "unit"),
    ("iu", "unit"),
    ("%", "%"),
    ("mmol", "mmol"),
];

/// Lowercase, brackets of the supplier removed, whitespace collapsed.
fn clean(name: &str) -> String {
    let mut s = name.trim().to_lowercase();
    // A supplier in brackets at the end: "(a a h pharmaceuticals ltd)".
    if s.ends_with(')') {
        if let Some(open) = s.rfind('(') {
            s.truncate(open);
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a strength starting at a token: "2.5mg", "2.5 mg", "20micrograms/dose", "5mg/40mg".
/// Returns the normalised strength(s) and how many tokens it used.
fn strengths_at(tokens: &[&str]) -> Option<(Vec<String>, usize)> {
    let first = tokens.first()?;
    if !first.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (text, used) = match tokens.get(1) {
        // "2.5 mg": the unit in the next token.
        Some(next)
            if first.chars().all(|c| c.is_ascii_digit() || c == '.')
                && UNITS
                    .iter()
                    .any(|(u, _)| next.trim_end_matches(['/', ',']).starts_with(u)) =>
        {
            (format!("{first}{next}"), 2)
        }
        _ => (first.to_string(), 1),
    };
    let mut out = Vec::new();
    for part in text.split('/') {
        let digits: String = part
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let rest = &part[digits.len()..];
        let unit = UNITS
            .iter()
            .find(|(u, _)| rest == *u || rest.starts_with(u))
            .map(|(_, n)| *n)
            .unwrap_or(rest);
        if digits.is_empty() {
            // "100unit/ml": a per-unit tail belongs to the strength before it.
            if let Some(last) = out.last_mut() {
                let last: &mut String = last;
                last.push('/');
                last.push_str(unit);
            }
            continue;
        }
        let number = digits.trim_end_matches('.').to_string();
        out.push(format!("{}{}", trim_zeros(&number), unit));
    }
    Some((out, used))
}

/// "2.50" -> "2.5", "5.0" -> "5".
fn trim_zeros(n: &str) -> String {
    if n.contains('.') {
        n.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        n.to_string()
    }
}

fn singular(word: &str) -> String {
    for (plural, one) in [
        ("tablets", "tablet"),
        ("capsules", "capsule"),
        ("sachets", "sachet"),
        ("patches", "patch"),
        ("drops", "drop"),
        ("suppositories", "suppository"),
        ("inhalers", "inhaler"),
        ("injections", "injection"),
        ("puffs", "puff"),
        ("doses", "dose"),
        ("pessaries", "pessary"),
    ] {
        if word == plural {
            return one.to_string();
        }
    }
    word.to_string()
}

/// Takes a medicine name apart.
pub fn name_parts(name: &str) -> NameParts {
    let cleaned = clean(name);
    let tokens: Vec<&str> = cleaned.split(' ').filter(|t| !t.is_empty()).collect();
    let mut drug = Vec::new();
    let mut strengths = Vec::new();
    let mut form = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Some((s, used)) = strengths_at(&tokens[i..]) {
            strengths.extend(s);
            i += used;
            continue;
        }
        if strengths.is_empty() {
            drug.push(tokens[i]);
        } else {
            form.push(singular(
                tokens[i].trim_matches(|c: char| c == ',' || c == '.'),
            ));
        }
        i += 1;
    }
    // No strength: the last word may be the form ("paracetamol tablets").
    if strengths.is_empty() && drug.len() > 1 {
        let last = singular(drug[drug.len() - 1]);
        if is_form_word(&last) {
            drug.pop();
            form.push(last);
        }
    }
    NameParts {
        drug: drug.join(" "),
        strengths,
        form: form.join(" "),
    }
}

fn is_form_word(w: &str) -> bool {
    matches!(
        w,
        "tablet"
            | "capsule"
            | "solution"
            | "suspension"
            | "injection"
            | "inhaler"
            | "cream"
            | "ointment"
            | "gel"
            | "patch"
            | "sachet"
            | "drop"
            | "spray"
            | "liquid"
            | "syrup"
    )
}

/// Dose directions in one canonical spelling: lowercase, numbers as words up to ten, the
/// common ways of saying a frequency made one, strengths normalised ("5 mg" -> "5mg"),
/// plurals of dose units made singular, punctuation dropped.
pub fn dose(text: &str) -> String {
    let lower = text.trim().to_lowercase();
    let mut spaced = String::with_capacity(lower.len());
    for c in lower.chars() {
        match c {
            ',' | ';' | '(' | ')' => spaced.push(' '),
            '.' => spaced.push('.'),
            _ => spaced.push(c),
        }
    }
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut words: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Some((s, used)) = strengths_at(&tokens[i..]) {
            // A bare count ("1 tablet") stays a number word; a strength keeps its unit.
            if s.len() == 1 && s[0].chars().all(|c| c.is_ascii_digit()) {
                words.push(number_word(&s[0]));
            } else {
                words.extend(s);
            }
            i += used;
            continue;
        }
        let t = tokens[i].trim_end_matches('.');
        if !t.is_empty() {
            words.push(singular(t));
        }
        i += 1;
    }
    let mut out = words.join(" ");
    for (from, to) in [
        ("once a day", "once daily"),
        ("once each day", "once daily"),
        ("once every day", "once daily"),
        ("every day", "once daily"),
        ("each day", "once daily"),
        ("twice a day", "twice daily"),
        ("two times a day", "twice daily"),
        ("two times daily", "twice daily"),
        ("three times a day", "three times daily"),
        ("four times a day", "four times daily"),
        ("every morning", "in the morning"),
        ("each morning", "in the morning"),
        ("every night", "at night"),
        ("each night", "at night"),
        ("at bedtime", "at night"),
        ("when required", "as needed"),
        ("as required", "as needed"),
        ("when needed", "as needed"),
        ("prn", "as needed"),
    ] {
        out = replace_words(&out, from, to);
    }
    // "one tablet daily" is "one tablet once daily".
    if out.ends_with(" daily")
        && !out.contains(" once daily")
        && !out.contains(" times daily")
        && !out.contains("twice daily")
    {
        out = format!("{} once daily", &out[..out.len() - " daily".len()]);
    }
    out
}

/// Replaces whole-word occurrences of `from`.
fn replace_words(text: &str, from: &str, to: &str) -> String {
    let padded = format!(" {text} ");
    padded
        .replace(&format!(" {from} "), &format!(" {to} "))
        .trim()
        .to_string()
}

fn number_word(n: &str) -> String {
    match n {
        "1" => "one",
        "2" => "two",
        "3" => "three",
        "4" => "four",
        "5" => "five",
        "6" => "six",
        "7" => "seven",
        "8" => "eight",
        "9" => "nine",
        "10" => "ten",
        other => other,
    }
    .to_string()
}

/// A route in one spelling ("Oral", "by mouth", "PO" are "oral").
pub fn route(text: &str) -> String {
    let t = text.trim().to_lowercase();
    match t.as_str() {
        "oral" | "orally" | "by mouth" | "po" | "oral route" => "oral".into(),
        "subcutaneous" | "subcut" | "sc" | "s/c" | "subcutaneous route" => "subcutaneous".into(),
        "intravenous" | "iv" | "intravenous route" => "intravenous".into(),
        "intramuscular" | "im" | "intramuscular route" => "intramuscular".into(),
        "inhalation" | "inhaled" | "by inhalation" | "respiratory tract route" => {
            "inhalation".into()
        }
        "topical" | "cutaneous" | "cutaneous route" => "topical".into(),
        _ => t.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// No dose given, or one that defers to someone else ("as directed").
pub fn dose_incomplete(text: Option<&str>) -> bool {
    match text.map(str::trim) {
        None | Some("") => true,
        Some(t) => {
            let l = t.to_lowercase();
            l == "as directed" || l.contains("as directed") || l == "as before" || l == "see notes"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_written_differently_are_the_same_dose() {
        assert_eq!(dose("One tablet once a day"), dose("one tablet once daily"));
        assert_eq!(dose("1 tablet daily"), dose("One tablet once a day"));
        assert_eq!(dose("Two puffs twice a day"), dose("2 puffs twice daily"));
        assert_eq!(
            dose("One 5 mg capsule each morning"),
            dose("one 5mg capsule every morning")
        );
        assert_eq!(
            dose("Take ONE tablet at bedtime."),
            dose("take one tablet at night")
        );
    }

    #[test]
    fn a_number_always_makes_a_difference() {
        assert_ne!(dose("5mg once daily"), dose("2.5mg once daily"));
        assert_ne!(
            dose("One tablet once daily"),
            dose("Two tablets once daily")
        );
        assert_ne!(
            dose("One tablet once daily"),
            dose("One tablet twice daily")
        );
        assert_ne!(dose("10 units at night"), dose("12 units at night"));
        assert_eq!(dose("2.50mg"), dose("2.5 mg"));
    }

    #[test]
    fn names_come_apart_into_drug_strength_and_form() {
        let amp = name_parts("Ramipril 2.5mg tablets (A A H Pharmaceuticals Ltd)");
        let vmp = name_parts("Ramipril 2.5mg tablets");
        assert_eq!(amp, vmp);
        assert_eq!(vmp.drug, "ramipril");
        assert_eq!(vmp.strengths, vec!["2.5mg"]);
        assert_eq!(vmp.form, "tablet");
        let combo = name_parts("Co-amilofruse 5mg/40mg tablets");
        assert_eq!(combo.drug, "co-amilofruse");
        assert_eq!(combo.strengths, vec!["5mg", "40mg"]);
        let insulin =
            name_parts("Insulin glargine 100units/ml solution for injection 3ml pre-filled pens");
        assert_eq!(insulin.drug, "insulin glargine");
        assert_eq!(insulin.strengths[0], "100unit/ml");
        assert_eq!(
            name_parts("Salbutamol 100micrograms/dose inhaler").strengths,
            vec!["100microgram/dose"]
        );
        assert_eq!(name_parts("Paracetamol tablets").form, "tablet");
        assert_ne!(
            name_parts("Bisoprolol 5mg tablets"),
            name_parts("Bisoprolol 2.5mg tablets")
        );
    }

    #[test]
    fn routes_and_incomplete_doses() {
        assert_eq!(route("By mouth"), route("Oral"));
        assert_eq!(route("PO"), "oral");
        assert_ne!(route("Oral"), route("Subcutaneous"));
        assert!(dose_incomplete(None));
        assert!(dose_incomplete(Some("  ")));
        assert!(dose_incomplete(Some("As directed")));
        assert!(dose_incomplete(Some("Use as directed by the clinic")));
        assert!(!dose_incomplete(Some("One tablet once daily")));
    }
}
