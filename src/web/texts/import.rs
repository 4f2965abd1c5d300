//! The import preview's refusals in Danish. The services word a refused row in English for the
//! API (`row 3, column cpr: must be 10 digits (DDMMYY-SSSS)`); the page shows the row and the
//! column in cells of their own (the column as the file names it) and says why in Danish.

/// Why a row was refused, in Danish: the service's `detail` without its `row N, column X: `,
/// translated. A reason this table does not know is shown as the service wrote it, after a
/// Danish lead, so nothing the administrator needs is hidden.
pub fn refusal(detail: &str) -> String {
    capitalised(&reason(without_place(detail)))
}

/// `row 3, column cpr: …`, `row 3: …` or `column cpr: …` without that place.
fn without_place(detail: &str) -> &str {
    if detail.starts_with("row ") || detail.starts_with("column ") {
        if let Some((_, reason)) = detail.split_once(": ") {
            return reason;
        }
    }
    detail
}

/// The reasons said the same way every time.
const FIXED: &[(&str, &str)] = &[
    ("unknown column", "ukendt kolonne"),
    ("appears twice", "kolonnen står der to gange"),
    (
        "required column is missing",
        "kolonnen skal være med, men mangler",
    ),
    ("is required", "skal udfyldes"),
    ("must not be empty", "må ikke være tom"),
    (
        "must not contain control characters",
        "må ikke indeholde kontroltegn",
    ),
    (
        "must be a date YYYY-MM-DD",
        "skal være en dato på formen ÅÅÅÅ-MM-DD",
    ),
    (
        "must be true or false",
        "skal være true eller false (eller ja/nej, 1/0)",
    ),
    (
        "must be whole metres between 0 and 1000000",
        "skal være hele meter mellem 0 og 1.000.000",
    ),
    (
        "must be a decimal number of degrees",
        "skal være et decimaltal (grader)",
    ),
    ("must be between -90 and 90", "skal være mellem -90 og 90"),
    (
        "must be between -180 and 180",
        "skal være mellem -180 og 180",
    ),
    (
        "must be 10 digits (DDMMYY-SSSS)",
        "skal være 10 cifre (DDMMÅÅ-SSSS)",
    ),
    (
        "must start with a valid day (01-31, or 61-91 for a substitute number) and month \
         (DDMMYY)",
        "skal begynde med en gyldig dag (01-31, eller 61-91 for et erstatningsnummer) og \
         måned (DDMMÅÅ)",
    ),
    (
        "must be 2 to 10 letters and digits",
        "skal være 2 til 10 bogstaver og cifre",
    ),
    (
        "must be an e-mail address such as navn@kommune.dk",
        "skal være en e-mailadresse som navn@kommune.dk",
    ),
    ("must be 1 to 64 characters", "skal være 1 til 64 tegn"),
    (
        "may contain only letters a-z, digits and . _ - @",
        "må kun indeholde bogstaverne a-z, cifre og . _ - @",
    ),
    (
        "is already linked to another person",
        "er allerede knyttet til en anden person",
    ),
    ("belongs to another person", "tilhører en anden person"),
    (
        "a person cannot approve their own reports",
        "en person kan ikke godkende sine egne indberetninger",
    ),
    (
        "the address registry is empty: import it first (korsel addresses import FILE, or POST \
         /api/v1/addresses/import)",
        "adresseregistret er tomt: indlæs det først under Indlæsning, Adresseregister",
    ),
];

/// The reasons with a value in them: (English before the value, after it) and the Danish
/// around the same value.
const AROUND: &[(&str, &str, &str, &str)] = &[
    ("must be at most ", " characters", "må højst være ", " tegn"),
    ("repeats row ", "", "gentager række ", ""),
    (
        "differs from row ",
        " for the same person",
        "afviger fra række ",
        " for samme person",
    ),
    (
        "no org unit has external id ",
        "",
        "ingen organisationsenhed har det eksterne id ",
        "",
    ),
    (
        "no person has external id ",
        "",
        "ingen person har det eksterne id ",
        "",
    ),
    (
        "org unit ",
        " would be its own ancestor",
        "organisationsenheden ",
        " ville blive sin egen overordnede",
    ),
    (
        "must not be before the start date ",
        "",
        "må ikke ligge før startdatoen ",
        "",
    ),
    (
        "no address in the registry resembles ",
        "",
        "ingen adresse i adresseregistret ligner ",
        "",
    ),
    (
        "",
        " has no coordinates in the address registry",
        "",
        " har ingen koordinater i adresseregistret",
    ),
    ("", " appears twice", "", " står der to gange"),
];

fn reason(english: &str) -> String {
    if let Some((_, danish)) = FIXED.iter().find(|(e, _)| *e == english) {
        return (*danish).to_string();
    }
    if english.starts_with("cannot read the header: ") {
        return "overskriftslinjen kan ikke læses".to_string();
    }
    if english.starts_with("unreadable: ") {
        return "rækken kan ikke læses (har den et andet antal felter end overskriftslinjen?)"
            .to_string();
    }
    if let Some((address, candidates)) = english.split_once(
        " is not a clear match in the address registry (category C); write it as one of: ",
    ) {
        return format!(
            "{address} svarer ikke entydigt til én adresse i adresseregistret (kategori C); \
             skriv den som en af: {candidates}"
        );
    }
    for (before, after, da_before, da_after) in AROUND {
        let value = english
            .strip_prefix(before)
            .and_then(|rest| rest.strip_suffix(after));
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            return format!("{da_before}{value}{da_after}");
        }
    }
    // One licence plate of several: `"AB 12": must be …`.
    if let Some((plate, rest)) = english.strip_prefix('"').and_then(|s| s.split_once("\": ")) {
        return format!("\"{plate}\": {}", reason(rest));
    }
    format!("værdien kan ikke bruges ({english})")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_lose_their_place_and_read_in_danish() {
        assert_eq!(
            refusal("row 3, column start_date: must be a date YYYY-MM-DD"),
            "Skal være en dato på formen ÅÅÅÅ-MM-DD"
        );
        assert_eq!(
            refusal("row 1, column navn: unknown column"),
            "Ukendt kolonne"
        );
        assert_eq!(
            refusal("row 4, column employment_number: repeats row 2"),
            "Gentager række 2"
        );
        assert_eq!(
            refusal("row 5, column parent_external_id: no org unit has external id \"X9\""),
            "Ingen organisationsenhed har det eksterne id \"X9\""
        );
        assert_eq!(
            refusal("row 2, column end_date: must not be before the start date 2026-01-01"),
            "Må ikke ligge før startdatoen 2026-01-01"
        );
        assert_eq!(
            refusal("row 2, column licence_plates: \"A\": must be 2 to 10 letters and digits"),
            "\"A\": skal være 2 til 10 bogstaver og cifre"
        );
        assert_eq!(
            refusal("row 3: unreadable: CSV error: found record with 2 fields"),
            "Rækken kan ikke læses (har den et andet antal felter end overskriftslinjen?)"
        );
        assert_eq!(
            refusal("row 2, column name: must be at most 200 characters"),
            "Må højst være 200 tegn"
        );
    }

    /// The services' own words, so a change of wording there is noticed here.
    #[test]
    fn the_validators_reasons_are_all_known() {
        use crate::domain::org::{
            check_coordinates, check_period, parse_email, required_text, Cpr,
        };
        use crate::domain::users::validate_username;
        use crate::services::staff_extras::parse_plates;
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
        let reasons = [
            required_text("", 5).unwrap_err(),
            required_text("abcdef", 5).unwrap_err(),
            required_text("a\u{7}", 5).unwrap_err(),
            Cpr::parse("12").unwrap_err(),
            Cpr::parse("3213991234").unwrap_err(),
            parse_email("nobody").unwrap_err(),
            validate_username("").unwrap_err(),
            validate_username("a b").unwrap_err(),
            check_period(day(2), Some(day(1))).unwrap_err(),
            check_coordinates(91.0, 0.0).unwrap_err().1,
            check_coordinates(0.0, 181.0).unwrap_err().1,
            parse_plates("A").unwrap_err(),
            parse_plates("AB12|AB12").unwrap_err(),
        ];
        for english in reasons {
            let danish = refusal(&format!("row 2, column x: {english}"));
            assert!(!danish.starts_with("Værdien kan ikke bruges"), "{english}");
        }
    }

    #[test]
    fn an_unknown_reason_is_shown_behind_a_danish_lead() {
        assert_eq!(
            refusal("row 2, column x: something new"),
            "Værdien kan ikke bruges (something new)"
        );
    }
}
