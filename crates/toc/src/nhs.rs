//! NHS number validation (modulus 11).

/// True when `s` (spaces and hyphens ignored) is 10 digits passing the modulus 11 check.
pub fn nhs_number_valid(s: &str) -> bool {
    let digits: Vec<u32> = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_digit(10).unwrap_or(99))
        .collect();
    if digits.len() != 10 || digits.iter().any(|d| *d > 9) {
        return false;
    }
    check_digit(&digits[..9]) == Some(digits[9])
}

/// The modulus 11 check digit of the first nine digits, or None when there is none (10).
pub fn check_digit(nine: &[u32]) -> Option<u32> {
    let sum: u32 = nine
        .iter()
        .enumerate()
        .map(|(i, d)| d * (10 - i as u32))
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

/// A valid NHS number in the 999 test range derived from `n` (skips numbers without a check digit).
pub fn test_nhs_number(mut n: u64) -> String {
    loop {
        let body = format!("999{:06}", n % 1_000_000);
        let nine: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
        if let Some(c) = check_digit(&nine) {
            return format!("{body}{c}");
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn modulus_11() {
        assert!(nhs_number_valid("9434765919"));
        assert!(nhs_number_valid("943 476 5919"));
        assert!(!nhs_number_valid("9434765918"));
        assert!(!nhs_number_valid("943476591"));
        assert!(!nhs_number_valid("94347659x9"));
        for i in 0..200 {
            let n = test_nhs_number(i * 7919);
            assert!(n.starts_with("999") && nhs_number_valid(&n), "{n}");
        }
    }
}
