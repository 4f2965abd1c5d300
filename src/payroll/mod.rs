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

use crate::domain::ids::ReportId;
use std::fmt;
use std::io::Write;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use self::csv::{CsvOptions, CsvWriter};
use self::ind01::{Ind01Config, Ind01Writer};

/// One payable line, computed upstream.
///
/// A report yields one `ExportLine` per TF code: a report whose rate type has
/// an optional second TF code (OS2 `TFCodeOptional`), or a report split at the
/// 20,000 km threshold, yields several lines, each with its own `tf_code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportLine {
    /// The report this line comes from.
    pub report_id: ReportId,
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

/// The file formats a payroll batch can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PayrollFormat {
    #[serde(rename = "csv")]
    Csv,
    #[serde(rename = "kmd-ind01")]
    KmdInd01,
}

impl PayrollFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            PayrollFormat::Csv => "csv",
            PayrollFormat::KmdInd01 => "kmd-ind01",
        }
    }
}

impl fmt::Display for PayrollFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PayrollFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [PayrollFormat::Csv, PayrollFormat::KmdInd01]
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown format '{s}' (expected csv or kmd-ind01)"))
    }
}

/// The format settings a batch is written with. They are fixed when the
/// batch is made, so that every download of it gives the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format")]
pub enum FileSettings {
    #[serde(rename = "csv")]
    Csv {
        /// Add the CPR column (never unless the configuration asks for it).
        include_cpr: bool,
    },
    #[serde(rename = "kmd-ind01")]
    KmdInd01(Ind01Config),
}

impl FileSettings {
    pub fn format(&self) -> PayrollFormat {
        match self {
            FileSettings::Csv { .. } => PayrollFormat::Csv,
            FileSettings::KmdInd01(_) => PayrollFormat::KmdInd01,
        }
    }

    /// Whether the lines need the CPR number.
    pub fn needs_cpr(&self) -> bool {
        match self {
            FileSettings::Csv { include_cpr } => *include_cpr,
            FileSettings::KmdInd01(_) => true,
        }
    }
}

/// Who a CSV file is for (see [`CsvOptions::excel`] and [`CsvOptions::machine`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CsvStyle {
    #[default]
    Excel,
    Machine,
}

impl FromStr for CsvStyle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "excel" => Ok(CsvStyle::Excel),
            "machine" => Ok(CsvStyle::Machine),
            other => Err(format!(
                "unknown style '{other}' (expected excel or machine)"
            )),
        }
    }
}

/// The choices made when a CSV batch is downloaded; IND01 has one layout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvLayout {
    /// One row per employment × TF code × month.
    pub grouped: bool,
    pub style: CsvStyle,
}

/// A payroll file in either format, written one employment at a time (see
/// [`CsvWriter`] and [`Ind01Writer`] for the contract).
pub enum FileWriter<'c, W: Write> {
    Csv(CsvWriter<W>),
    KmdInd01 {
        writer: Ind01Writer<'c, W>,
        records: usize,
    },
}

impl<'c, W: Write> FileWriter<'c, W> {
    /// `layout` applies to CSV only.
    pub fn new(
        out: W,
        settings: &'c FileSettings,
        layout: CsvLayout,
    ) -> Result<Self, PayrollError> {
        Ok(match settings {
            FileSettings::Csv { include_cpr } => {
                let mut options = match layout.style {
                    CsvStyle::Excel => CsvOptions::excel(),
                    CsvStyle::Machine => CsvOptions::machine(),
                };
                options.grouped = layout.grouped;
                options.include_cpr = *include_cpr;
                FileWriter::Csv(CsvWriter::new(out, &options))
            }
            FileSettings::KmdInd01(config) => FileWriter::KmdInd01 {
                writer: Ind01Writer::new(out, config)?,
                records: 0,
            },
        })
    }

    /// Writes every line of one or more complete employments.
    pub fn write_lines(&mut self, lines: &[ExportLine]) -> Result<(), PayrollError> {
        match self {
            FileWriter::Csv(writer) => writer.write_lines(lines),
            FileWriter::KmdInd01 { writer, records } => {
                *records += writer.write_lines(lines)?.records.len();
                Ok(())
            }
        }
    }

    /// Flushes; returns the number of rows (CSV, header excluded) or
    /// records (IND01, header excluded) written.
    pub fn finish(self) -> Result<usize, PayrollError> {
        match self {
            FileWriter::Csv(writer) => writer.finish(),
            FileWriter::KmdInd01 { writer, records } => {
                writer.finish()?;
                Ok(records)
            }
        }
    }
}

/// Gathers lines that arrive in employment order into complete employments,
/// for the one-employment-at-a-time writers.
#[derive(Debug, Default)]
pub struct EmploymentRuns {
    current: Vec<ExportLine>,
}

impl EmploymentRuns {
    /// Adds `line`; when it starts a new employment, returns the lines of
    /// the one before.
    pub fn push(&mut self, line: ExportLine) -> Option<Vec<ExportLine>> {
        let done = match self.current.last() {
            Some(last) if last.employment_number != line.employment_number => {
                Some(std::mem::take(&mut self.current))
            }
            _ => None,
        };
        self.current.push(line);
        done
    }

    /// The lines of the last employment (empty when no line came).
    pub fn finish(self) -> Vec<ExportLine> {
        self.current
    }
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
    MissingCpr { report_id: ReportId },
    #[error("report {report_id}: CPR must be 10 digits, got {len} characters")]
    InvalidCpr { report_id: ReportId, len: usize },
    #[error("employment {employment_number}: lines carry different CPR numbers")]
    InconsistentCpr { employment_number: String },
    #[error(
        "report {report_id}: TF code {tf_code:?} must be exactly 4 printable ASCII characters"
    )]
    InvalidTfCode {
        report_id: ReportId,
        tf_code: String,
    },
    #[error(
        "report {report_id}: account {account:?} must be at most 13 printable ASCII characters"
    )]
    InvalidAccount {
        report_id: ReportId,
        account: String,
    },
    #[error("report {report_id}: negative distance {distance_m} m cannot be sent in IND01")]
    NegativeDistance {
        report_id: ReportId,
        distance_m: i64,
    },
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
    fn formats_and_settings_round_trip() {
        for format in [PayrollFormat::Csv, PayrollFormat::KmdInd01] {
            assert_eq!(format.as_str().parse::<PayrollFormat>(), Ok(format));
            assert_eq!(
                serde_json::to_value(format).unwrap(),
                serde_json::Value::String(format.to_string())
            );
        }
        assert!("ind01".parse::<PayrollFormat>().is_err());
        let settings = [
            FileSettings::Csv { include_cpr: true },
            FileSettings::KmdInd01(Ind01Config::new(751, 1, 0)),
        ];
        for s in settings {
            let json = serde_json::to_string(&s).unwrap();
            assert!(
                json.contains(&format!("\"format\":\"{}\"", s.format())),
                "{json}"
            );
            assert_eq!(serde_json::from_str::<FileSettings>(&json).unwrap(), s);
        }
        assert!(!FileSettings::Csv { include_cpr: false }.needs_cpr());
        assert!(FileSettings::KmdInd01(Ind01Config::new(1, 0, 0)).needs_cpr());
    }

    #[test]
    fn employment_runs_hand_over_complete_employments() {
        let line = |report_id, emp: &str| ExportLine {
            report_id: ReportId(report_id),
            employment_number: emp.to_string(),
            person_name: String::new(),
            cpr: None,
            tf_code: "1111".to_string(),
            drive_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            distance_m: 0,
            ore_per_km: 0,
            amount_ore: 0,
            purpose: String::new(),
            account: None,
        };
        let mut runs = EmploymentRuns::default();
        let ids =
            |lines: Vec<ExportLine>| -> Vec<i64> { lines.iter().map(|l| l.report_id.0).collect() };
        assert!(runs.push(line(1, "A")).is_none());
        assert!(runs.push(line(2, "A")).is_none());
        assert_eq!(runs.push(line(3, "B")).map(ids), Some(vec![1, 2]));
        assert_eq!(runs.push(line(4, "C")).map(ids), Some(vec![3]));
        assert_eq!(ids(runs.finish()), vec![4]);
        assert!(EmploymentRuns::default().finish().is_empty());
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
