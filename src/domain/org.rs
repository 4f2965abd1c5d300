//! Pure rules for organisation data: text fields, CPR numbers, licence plates, date ranges,
//! address kinds and the org unit tree.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Trims `value`; it must then be 1..=`max` characters.
pub fn required_text(value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("must not be empty".into());
    }
    if v.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(v.to_string())
}

/// Like [`required_text`], but empty means absent.
pub fn optional_text(value: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_text(v, max).map(Some),
    }
}

/// The name of a person or an org unit: one line of at most [`Name::MAX`] characters. Pasted from
/// a spreadsheet or a payroll system it may carry TAB, CR or LF between its words: every run of
/// whitespace becomes one space, the ends are trimmed, and any other control character is
/// refused. The API and the staff and org-unit imports parse names with this one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX: usize = 200;

    pub fn parse(value: &str) -> Result<Name, String> {
        let words: Vec<&str> = value.split_whitespace().collect();
        required_text(&words.join(" "), Name::MAX).map(Name)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A CPR number: 10 digits, optionally written `DDMMYY-SSSS`. Never echoed in errors or logs.
///
/// The checks: 10 digits, a month 01–12 and a day 01–31, or 61–91 for a substitute number
/// (erstatningspersonnummer: the day plus 60, as in the KMD IND01 reference line's 8512481230).
/// No modulus-11 check: numbers issued since 2007 need not pass it.
#[derive(Clone, PartialEq, Eq)]
pub struct Cpr(String);

/// A substitute personal number adds this to the day of birth.
const SUBSTITUTE_DAY_OFFSET: u32 = 60;

impl Cpr {
    pub fn parse(value: &str) -> Result<Cpr, String> {
        let digits: String = value.trim().chars().filter(|c| *c != '-').collect();
        if digits.len() != 10 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err("must be 10 digits (DDMMYY-SSSS)".into());
        }
        let (d, m) = (&digits[0..2], &digits[2..4]);
        let (d, m): (u32, u32) = (d.parse().unwrap_or(0), m.parse().unwrap_or(0));
        let day_of_month = if d > SUBSTITUTE_DAY_OFFSET {
            d - SUBSTITUTE_DAY_OFFSET
        } else {
            d
        };
        if !(1..=31).contains(&day_of_month) || !(1..=12).contains(&m) {
            return Err(
                "must start with a valid day (01-31, or 61-91 for a substitute number) \
                 and month (DDMMYY)"
                    .into(),
            );
        }
        Ok(Cpr(digits))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cpr(**********)")
    }
}

/// A Danish licence plate, normalised: upper case, no spaces, 2–10 of A–Z, Æ, Ø, Å and digits.
pub fn normalize_plate(value: &str) -> Result<String, String> {
    let plate: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    let len = plate.chars().count();
    if !(2..=10).contains(&len)
        || !plate
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "ÆØÅ".contains(c))
    {
        return Err("must be 2 to 10 letters and digits".into());
    }
    Ok(plate)
}

/// An e-mail address, trimmed: at most 254 characters, no spaces or control characters, one `@`
/// with text before it and a domain with a dot after it. Case is kept (the part before the `@`
/// may be case-sensitive).
pub fn parse_email(value: &str) -> Result<String, String> {
    let email = value.trim();
    let well_formed = email.chars().count() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if well_formed {
        Ok(email.to_string())
    } else {
        Err("must be an e-mail address such as navn@kommune.dk".into())
    }
}

/// `end`, when set, must not be before `start`.
pub fn check_period(start: NaiveDate, end: Option<NaiveDate>) -> Result<(), String> {
    match end {
        Some(end) if end < start => Err(format!("must not be before the start date {start}")),
        _ => Ok(()),
    }
}

/// Whether `date` lies in the inclusive period.
pub fn in_period(start: NaiveDate, end: Option<NaiveDate>, date: NaiveDate) -> bool {
    start <= date && end.is_none_or(|e| date <= e)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressKind {
    Home,
    Work,
    AlternativeHome,
    AlternativeWork,
}

impl AddressKind {
    pub const ALL: [AddressKind; 4] = [
        AddressKind::Home,
        AddressKind::Work,
        AddressKind::AlternativeHome,
        AddressKind::AlternativeWork,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AddressKind::Home => "home",
            AddressKind::Work => "work",
            AddressKind::AlternativeHome => "alternative_home",
            AddressKind::AlternativeWork => "alternative_work",
        }
    }

    pub fn parse(s: &str) -> Option<AddressKind> {
        AddressKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Employees manage only their alternative addresses themselves.
    pub fn self_service(self) -> bool {
        matches!(
            self,
            AddressKind::AlternativeHome | AddressKind::AlternativeWork
        )
    }

    /// Work addresses belong to one employment.
    pub fn per_employment(self) -> bool {
        matches!(self, AddressKind::Work | AddressKind::AlternativeWork)
    }
}

/// Coordinates must be plausible WGS84 degrees.
pub fn check_coordinates(lat: f64, lon: f64) -> Result<(), (&'static str, String)> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(("latitude", "must be between -90 and 90".into()));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(("longitude", "must be between -180 and 180".into()));
    }
    Ok(())
}

/// Of dated entries, the one valid on `date`: the latest `valid_from` on or before it.
pub fn valid_on<T>(
    entries: impl IntoIterator<Item = T>,
    valid_from: impl Fn(&T) -> NaiveDate,
    date: NaiveDate,
) -> Option<T> {
    entries
        .into_iter()
        .filter(|e| valid_from(e) <= date)
        .max_by_key(|e| valid_from(e))
}

/// Whether giving `unit` the parent `new_parent` would close a cycle in the tree described by
/// `parents` (unit → parent).
pub fn would_cycle<Id: Copy + Eq + Hash>(
    parents: &HashMap<Id, Option<Id>>,
    unit: Id,
    new_parent: Id,
) -> bool {
    let mut seen = HashSet::new();
    let mut current = Some(new_parent);
    while let Some(u) = current {
        if u == unit || !seen.insert(u) {
            return true;
        }
        current = parents.get(&u).copied().flatten();
    }
    false
}

/// The calendar date in Denmark at the instant `now`, from the IANA time-zone database's
/// Europe/Copenhagen (so dates follow the law if it changes, and history is right).
pub fn copenhagen_date(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    copenhagen_time(now).date()
}

/// The wall-clock time in Denmark at an instant, from the IANA time-zone database's
/// Europe/Copenhagen.
pub fn copenhagen_time(now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    now.with_timezone(&chrono_tz::Europe::Copenhagen)
        .naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_line_with_single_spaces() {
        for (raw, want) in [
            ("Anna Hansen", "Anna Hansen"),
            ("  Anna\tHansen\r\n", "Anna Hansen"),
            ("Anna \t\r\n  Hansen", "Anna Hansen"),
            ("Ærø\u{a0}Kommune", "Ærø Kommune"),
        ] {
            assert_eq!(Name::parse(raw).unwrap().into_string(), want, "{raw:?}");
        }
        for bad in ["", " \t\r\n ", "Anna\u{0}Hansen", "Anna\u{7}"] {
            assert!(Name::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Name::parse(&"x".repeat(Name::MAX)).is_ok());
        assert!(Name::parse(&"x".repeat(Name::MAX + 1)).is_err());
    }

    #[test]
    fn copenhagen_dates() {
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert_eq!(copenhagen_date(at("2026-01-31T23:30:00Z")), d(2026, 2, 1));
        assert_eq!(copenhagen_date(at("2026-01-31T22:30:00Z")), d(2026, 1, 31));
        assert_eq!(copenhagen_date(at("2026-06-30T22:30:00Z")), d(2026, 7, 1));
        assert_eq!(copenhagen_date(at("2026-06-30T21:30:00Z")), d(2026, 6, 30));
        // 2026: CEST from 29 March 01:00 UTC to 25 October 01:00 UTC
        assert_eq!(copenhagen_date(at("2026-03-29T00:59:00Z")), d(2026, 3, 29));
        assert_eq!(copenhagen_date(at("2026-10-24T22:30:00Z")), d(2026, 10, 25));
        assert_eq!(copenhagen_date(at("2026-12-31T23:00:00Z")), d(2027, 1, 1));
    }

    /// The rules changed: summer time ended on the last Sunday of September until 1995, and
    /// Denmark had none from 1949 to 1980.
    #[test]
    fn copenhagen_dates_follow_the_law_of_their_time() {
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        // 1 October 1995, 22:30 UTC: 23:30 CET (summer time ended on 24 September)
        assert_eq!(copenhagen_date(at("1995-10-01T22:30:00Z")), d(1995, 10, 1));
        // 1 July 1979, 22:30 UTC: 23:30 CET, no summer time that year
        assert_eq!(copenhagen_date(at("1979-07-01T22:30:00Z")), d(1979, 7, 1));
        // and today's rule still holds
        assert_eq!(copenhagen_date(at("1996-10-26T22:30:00Z")), d(1996, 10, 27));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn cpr_is_validated_and_never_debug_printed() {
        let cpr = Cpr::parse("010190-1234").unwrap();
        assert_eq!(cpr.expose(), "0101901234");
        assert!(!format!("{cpr:?}").contains("0101"));
        assert!(Cpr::parse("12345").is_err());
        assert!(Cpr::parse("3213901234").is_err());
    }

    #[test]
    fn substitute_numbers_add_sixty_to_the_day() {
        // The KMD IND01 reference line's CPR: day 85 = 25 + 60.
        assert_eq!(Cpr::parse("8512481230").unwrap().expose(), "8512481230");
        assert!(Cpr::parse("610190-1234").is_ok());
        assert!(Cpr::parse("9101901234").is_ok());
        for refused in [
            "0001901234",
            "3201901234",
            "6001901234",
            "9201901234",
            "6113901234",
        ] {
            assert!(Cpr::parse(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn email_addresses_are_checked() {
        assert_eq!(
            parse_email(" Mette.A@fanoe.dk ").unwrap(),
            "Mette.A@fanoe.dk"
        );
        for refused in [
            "",
            "mette",
            "@fanoe.dk",
            "mette@",
            "mette@fanoe",
            "a b@fanoe.dk",
            "a@b@c.dk",
        ] {
            assert!(parse_email(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn plates_are_normalised() {
        assert_eq!(normalize_plate(" ab 12 345 ").unwrap(), "AB12345");
        assert_eq!(normalize_plate("æø-123").unwrap(), "ÆØ123");
        assert!(normalize_plate("A").is_err());
        assert!(normalize_plate("AB!123").is_err());
    }

    #[test]
    fn periods_and_validity() {
        assert!(check_period(d(2024, 1, 2), Some(d(2024, 1, 1))).is_err());
        assert!(check_period(d(2024, 1, 1), Some(d(2024, 1, 1))).is_ok());
        assert!(in_period(d(2024, 1, 1), None, d(2030, 1, 1)));
        assert!(!in_period(
            d(2024, 1, 1),
            Some(d(2024, 6, 30)),
            d(2024, 7, 1)
        ));
        let history = [
            (d(2020, 1, 1), "a"),
            (d(2024, 3, 1), "b"),
            (d(2025, 1, 1), "c"),
        ];
        assert_eq!(valid_on(history, |e| e.0, d(2024, 12, 31)).unwrap().1, "b");
        assert!(valid_on(history, |e| e.0, d(2019, 1, 1)).is_none());
    }

    #[test]
    fn tree_cycles_are_detected() {
        let parents = HashMap::from([(1, None), (2, Some(1)), (3, Some(2))]);
        assert!(would_cycle(&parents, 1, 3));
        assert!(would_cycle(&parents, 2, 2));
        assert!(!would_cycle(&parents, 3, 1));
    }
}
