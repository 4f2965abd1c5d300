//! Pure payroll file formats: no web, no database, no clock.
//!
//! * [`ind01`]: the KMD OPUS "IND01" fixed-width file (55-character lines),
//!   as written by OS2indberetning's `drive_opus_filegenerator`.
//! * [`csv`]: a `;`-separated CSV export for people (Danish Excel) and for
//!   machine import.
//!
//! Both take already computed [`ExportLine`]s: one line per report per TF
//! code. Money is integer øre and distance integer metres throughout; the
//! only conversions to text live in the helpers of this module
//! ([`format_ore_kr`], [`format_metres_km`]).
//!
//! Nothing in here reads the clock or the environment, so the same input
//! always gives the same bytes.

pub mod csv;
pub mod ind01;

#[cfg(test)]
mod golden_tests;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// One payable line, computed upstream.
///
/// A report yields one `ExportLine` per TF code: a report whose rate type has
/// an optional second TF code (OS2 `TFCodeOptional`), or a report split at the
/// 20,000 km threshold, yields several lines, each with its own `tf_code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportLine {
    /// The report this line comes from.
    pub report_id: i64,
    /// OS2 `Employment.EmploymentId` ("MaNr"); leading zeros are significant.
    pub employment_number: String,
    /// Display name of the employee.
    pub person_name: String,
    /// CPR number, 10 digits (`DDMMYYXXXX`; `DDMMYY-XXXX` is accepted by
    /// IND01). Required by IND01, never written to CSV unless asked for.
    pub cpr: Option<String>,
    /// KMD TF code / SD lønart. IND01 requires exactly 4 characters.
    pub tf_code: String,
    /// The drive date (local Danish date).
    pub drive_date: NaiveDate,
    /// Distance in metres (the reimbursed distance, after deductions).
    pub distance_m: i64,
    /// Rate in øre per km.
    pub ore_per_km: i64,
    /// Amount in øre.
    pub amount_ore: i64,
    /// The purpose the employee gave (free text, may contain anything).
    pub purpose: String,
    /// Posting account chosen at approval (OS2 `AccountNumber`, 10 digits),
    /// if it deviates from the employment's default.
    pub account: Option<String>,
}

/// Everything that can go wrong while writing a payroll file.
///
/// Validation errors are detected before the first byte is written, so a
/// failed export never leaves half a file behind (I/O errors excepted).
#[derive(Debug, thiserror::Error)]
pub enum PayrollError {
    #[error("I/O error while writing payroll file: {0}")]
    Io(#[from] std::io::Error),
    #[error("CSV error: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("report {report_id}: no CPR number (required by IND01)")]
    MissingCpr { report_id: i64 },
    #[error("report {report_id}: CPR must be 10 digits, got {len} characters")]
    InvalidCpr { report_id: i64, len: usize },
    #[error("employment {employment_number}: lines carry different CPR numbers")]
    InconsistentCpr { employment_number: String },
    #[error(
        "report {report_id}: TF code {tf_code:?} must be exactly 4 printable ASCII characters"
    )]
    InvalidTfCode { report_id: i64, tf_code: String },
    #[error(
        "report {report_id}: account {account:?} must be at most 13 printable ASCII characters"
    )]
    InvalidAccount { report_id: i64, account: String },
    #[error("report {report_id}: negative distance {distance_m} m cannot be sent in IND01")]
    NegativeDistance { report_id: i64, distance_m: i64 },
    #[error(
        "employment {employment_number}, TF {tf_code}, {year}-{month:02}: \
         {distance_m} m does not fit the 6-digit IND01 field (max 9999.99 km)"
    )]
    DistanceOverflow {
        employment_number: String,
        tf_code: String,
        year: i32,
        month: u32,
        distance_m: i64,
    },
}

/// Formats øre as plain kroner with a decimal comma and exactly two
/// decimals: `123456` → `"1234,56"`, `-5` → `"-0,05"`.
///
/// Deliberately **no thousands separator**, so that machine importers and
/// Danish Excel read the value as a number alike.
pub fn format_ore_kr(ore: i64) -> String {
    format_hundredths(ore)
}

/// Formats metres as km with a decimal comma and exactly two decimals,
/// **truncated toward zero to whole 10 m** (the same truncation IND01
/// applies): `12345` → `"12,34"`, `123500` → `"123,50"`, `-15` → `"-0,01"`.
pub fn format_metres_km(metres: i64) -> String {
    format_hundredths(metres / 10)
}

/// `value` in hundredths → `"[-]I,FF"`.
fn format_hundredths(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// The last day of the month `date` falls in.
pub fn end_of_month(date: NaiveDate) -> NaiveDate {
    let (y, m) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .expect("first of next month exists for all supported dates")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ore_formatting_is_plain_with_decimal_comma() {
        assert_eq!(format_ore_kr(0), "0,00");
        assert_eq!(format_ore_kr(5), "0,05");
        assert_eq!(format_ore_kr(394), "3,94");
        assert_eq!(format_ore_kr(123456), "1234,56");
        assert_eq!(format_ore_kr(100_000_000), "1000000,00");
        assert_eq!(format_ore_kr(-5), "-0,05");
        assert_eq!(format_ore_kr(-123456), "-1234,56");
        assert_eq!(format_ore_kr(i64::MIN), "-92233720368547758,08");
    }

    #[test]
    fn metres_formatting_truncates_to_10_m() {
        assert_eq!(format_metres_km(0), "0,00");
        assert_eq!(format_metres_km(9), "0,00");
        assert_eq!(format_metres_km(10), "0,01");
        assert_eq!(format_metres_km(12345), "12,34");
        assert_eq!(format_metres_km(12349), "12,34");
        assert_eq!(format_metres_km(123500), "123,50");
        assert_eq!(format_metres_km(-15), "-0,01");
        assert_eq!(format_metres_km(-5), "0,00");
    }

    #[test]
    fn end_of_month_handles_lengths_and_leap_years() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(end_of_month(d(2020, 1, 27)), d(2020, 1, 31));
        assert_eq!(end_of_month(d(2020, 2, 1)), d(2020, 2, 29));
        assert_eq!(end_of_month(d(2026, 2, 28)), d(2026, 2, 28));
        assert_eq!(end_of_month(d(2026, 4, 30)), d(2026, 4, 30));
        assert_eq!(end_of_month(d(2026, 12, 5)), d(2026, 12, 31));
    }
}
