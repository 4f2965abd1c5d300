//! Danish number, money, distance and date formats for the pages (pure): `1.234,56 kr.`,
//! `12,35 km`, `2. dec. 2026`. And the reverse for what users type: `12,3` km.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use crate::domain::org::copenhagen_time;

const MONTHS: [&str; 12] = [
    "jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.",
];

/// Digits of a non-negative integer with a dot between thousands: `1234567` → `1.234.567`.
fn grouped(mut n: u64) -> String {
    let mut groups = Vec::new();
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut out = groups.pop().unwrap_or(0).to_string();
    for g in groups.iter().rev() {
        out.push_str(&format!(".{g:03}"));
    }
    out
}

/// Øre as kroner: `123456` → `1.234,56 kr.`.
pub fn kroner(ore: i64) -> String {
    let sign = if ore < 0 { "-" } else { "" };
    let abs = ore.unsigned_abs();
    format!("{sign}{},{:02} kr.", grouped(abs / 100), abs % 100)
}

/// Metres as km with two decimals (the project's rule for shown distances), rounded half up:
/// `12_345` → `12,35 km`.
pub fn km(metres: i64) -> String {
    format!("{} km", km_number(metres))
}

/// The number part of [`km`]: `12_345` → `12,35`.
pub fn km_number(metres: i64) -> String {
    let (sign, hundredths) = signed_hundredths(metres);
    format!(
        "{sign}{},{:02}",
        grouped(hundredths / 100),
        hundredths % 100
    )
}

/// A typed distance as an edit form shows it: like [`km_number`] without thousands separators,
/// so that [`parse_km`] reads it back (`1_234_567` → `1234,57`).
pub fn km_input(metres: i64) -> String {
    let (sign, hundredths) = signed_hundredths(metres);
    format!("{sign}{},{:02}", hundredths / 100, hundredths % 100)
}

/// Metres as a sign and a count of hundredths of a km, rounded half up.
fn signed_hundredths(metres: i64) -> (&'static str, u64) {
    let sign = if metres < 0 { "-" } else { "" };
    (sign, (metres.unsigned_abs() + 5) / 10)
}

/// `2. dec. 2026`.
pub fn date(d: NaiveDate) -> String {
    format!("{}. {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// An instant as Danish wall-clock time: `2. dec. 2026 kl. 14.05`.
pub fn date_time(at: DateTime<Utc>) -> String {
    let local = copenhagen_time(at);
    format!(
        "{} kl. {:02}.{:02}",
        date(local.date()),
        local.hour(),
        local.minute()
    )
}

/// Month name for the year overview: 1 → `januar`.
pub fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ];
    NAMES[(month.clamp(1, 12) - 1) as usize]
}

/// Kilometres as typed into a form, to metres: `12,3`, `12.3`, ` 7 ` (at most three decimals,
/// no thousands separators). `None` for anything else, negative numbers included.
pub fn parse_km(input: &str) -> Option<i64> {
    parse_fixed(input, 3, 6)
}

/// Kroner as typed into a form (a rate per km), to øre: `3,81`, `3.8`, `4` (at most two
/// decimals, at most four digits before them). `None` for anything else.
pub fn parse_kroner(input: &str) -> Option<i64> {
    parse_fixed(input, 2, 4)
}

/// A non-negative decimal number with `,` or `.` as the decimal mark, in units of
/// 10^-`decimals`.
fn parse_fixed(input: &str, decimals: usize, whole_digits: usize) -> Option<i64> {
    let text = input.trim().replace(',', ".");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > whole_digits
        || fraction.len() > decimals
        || !digits(whole)
        || !digits(fraction)
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<decimals$}").parse().ok()?;
    Some(whole * 10_i64.pow(decimals as u32) + fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kroner_use_dot_thousands_and_comma_decimals() {
        assert_eq!(kroner(123_456), "1.234,56 kr.");
        assert_eq!(kroner(5), "0,05 kr.");
        assert_eq!(kroner(0), "0,00 kr.");
        assert_eq!(kroner(100_000_000), "1.000.000,00 kr.");
        assert_eq!(kroner(-123_456), "-1.234,56 kr.");
        assert_eq!(kroner(i64::MIN), "-92.233.720.368.547.758,08 kr.");
    }

    #[test]
    fn km_have_one_decimal_rounded_half_up() {
        assert_eq!(km(12_345), "12,35 km");
        assert_eq!(km(12_344), "12,34 km");
        assert_eq!(km(0), "0,00 km");
        assert_eq!(km(4), "0,00 km");
        assert_eq!(km(5), "0,01 km");
        assert_eq!(km(1_234_567), "1.234,57 km");
        assert_eq!(km(-1_500), "-1,50 km");
    }

    #[test]
    fn dates_are_danish() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(date(d(2026, 12, 2)), "2. dec. 2026");
        assert_eq!(date(d(2026, 5, 31)), "31. maj 2026");
        assert_eq!(date(d(2027, 1, 1)), "1. jan. 2027");
        assert_eq!(month_name(3), "marts");
    }

    #[test]
    fn date_times_are_copenhagen_wall_clock() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            date_time(at("2026-12-02T13:05:00Z")),
            "2. dec. 2026 kl. 14.05"
        );
        assert_eq!(
            date_time(at("2026-07-01T22:30:00Z")),
            "2. jul. 2026 kl. 00.30"
        );
    }

    #[test]
    fn typed_kroner_are_ore() {
        assert_eq!(parse_kroner("3,81"), Some(381));
        assert_eq!(parse_kroner("3.8"), Some(380));
        assert_eq!(parse_kroner(" 4 "), Some(400));
        for bad in ["", "-1", "3,815", "12345", "kr"] {
            assert_eq!(parse_kroner(bad), None, "{bad}");
        }
    }

    #[test]
    fn typed_km_accept_comma_or_dot() {
        assert_eq!(parse_km("12,3"), Some(12_300));
        assert_eq!(parse_km("12.345"), Some(12_345));
        assert_eq!(parse_km(" 7 "), Some(7_000));
        assert_eq!(parse_km("0,05"), Some(50));
        // What an edit form shows reads back, thousands included.
        assert_eq!(km_input(1_234_567), "1234,57");
        assert_eq!(parse_km(&km_input(1_234_567)), Some(1_234_570));
        for bad in [
            "", "-3", "1.234,5", "12,3456", "abc", ",5", "1e3", "9999999",
        ] {
            assert_eq!(parse_km(bad), None, "{bad}");
        }
    }
}
