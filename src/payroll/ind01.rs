//! KMD OPUS "IND01" file: fixed width, 55 characters per line.
//!
//! Reproduces `drive_opus_filegenerator:OPUSFileGenerator/Model/FileRecord.cs`:
//!
//! ```text
//! $"DA6{MunicipalityNumber:0000}{EmploymentType:0}{CprNumber}{ExtraNumber:0}{TFCode}{DistanceMeters/10:000000}0000000{AccountNumber,13}{EndOfMonth(DriveDate):ddMMyy}"
//! ```
//!
//! | cols (1-based) | len | field                                   |
//! |----------------|-----|-----------------------------------------|
//! | 1–3            | 3   | `DA6` literal                           |
//! | 4–7            | 4   | municipality number, zero-padded        |
//! | 8              | 1   | employment type (Ansættelsesform)       |
//! | 9–18           | 10  | CPR, no hyphen                          |
//! | 19             | 1   | extra number (ekstra ciffer)            |
//! | 20–23          | 4   | TF code                                 |
//! | 24–29          | 6   | distance in 1/100 km (metres / 10, truncated), zero-padded, no sign |
//! | 30–36          | 7   | `0000000` literal                       |
//! | 37–49          | 13  | account, right-aligned, space-padded (13 spaces if none) |
//! | 50–55          | 6   | last day of the drive month, `ddMMyy`   |
//!
//! Every line, the optional header included, ends with CRLF (OS2 uses
//! `File.AppendAllLines` on Windows); the file is UTF-8 without BOM, and the
//! records themselves are pure ASCII.
//!
//! # Grouping (as `OPUSService.GenerateFileRecords`)
//! Lines are grouped by **(employment number, TF code, account, year, month
//! of the drive date)**; metres are summed over the group and only then
//! truncated to 10 m (`sum / 10`). A report with a second TF code arrives as
//! two [`ExportLine`]s and so yields a second record with its own TF code.
//! Unlike the classic OS2 generator, the year is part of the key (its
//! "month only" group break was a bug).
//!
//! # Order
//! Records are written sorted by **employment number (byte-wise string
//! order), year, month, TF code, account (no account first, then byte-wise)**.
//! The input order never matters.

use crate::domain::ids::ReportId;
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::io::Write;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{end_of_month, ExportLine, PayrollError};

/// The literal the records start with ("KMD statisk identifier").
pub const STATIC_ID: &str = "DA6";
/// The reserved literal in columns 30–36.
pub const RESERVED: &str = "0000000";
/// Length of every record line, line ending excluded.
pub const LINE_LEN: usize = 55;
/// Largest value the 6-digit distance field holds (9999.99 km).
pub const MAX_HUNDREDTHS_KM: i64 = 999_999;

/// KMD codes of one employment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmploymentCodes {
    /// Ansættelsesform, one digit (e.g. 0, 1, 3).
    pub employment_type: u8,
    /// Ekstra ciffer, one digit; distinguishes employments of one CPR.
    pub extra_number: u8,
}

/// Settings for one IND01 file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ind01Config {
    /// Municipality number, 0–9999, written zero-padded to 4 digits.
    pub municipality_number: u16,
    /// Codes used for every employment not listed in `employment_codes`.
    pub default_codes: EmploymentCodes,
    /// Per-employment codes (key: employment number), as OS2 keeps them on
    /// `Employment.EmploymentType` / `Employment.ExtraNumber`.
    #[serde(default)]
    pub employment_codes: BTreeMap<String, EmploymentCodes>,
    /// Header line written first (OS2 `FileHeader`, e.g. `"026 Test Kommune"`).
    /// OS2 writes it only when it creates the file: pass `None` when
    /// appending to an existing file.
    #[serde(default)]
    pub header: Option<String>,
    /// Leave out records whose distance field would be `000000` (groups
    /// under 10 m). drive_cloud never sends 0-km reports to the file agent,
    /// so the default is `true`; their report ids are returned in
    /// [`Ind01Output::zero_distance_report_ids`] so the caller can still
    /// mark them processed.
    #[serde(default = "default_true")]
    pub skip_zero_distance: bool,
}

fn default_true() -> bool {
    true
}

impl Ind01Config {
    /// A config with the given municipality and default codes, no
    /// per-employment codes, no header, zero-distance records skipped.
    pub fn new(municipality_number: u16, employment_type: u8, extra_number: u8) -> Self {
        Self {
            municipality_number,
            default_codes: EmploymentCodes {
                employment_type,
                extra_number,
            },
            employment_codes: BTreeMap::new(),
            header: None,
            skip_zero_distance: true,
        }
    }

    fn codes_for(&self, employment_number: &str) -> EmploymentCodes {
        self.employment_codes
            .get(employment_number)
            .copied()
            .unwrap_or(self.default_codes)
    }

    fn validate(&self) -> Result<(), PayrollError> {
        if self.municipality_number > 9999 {
            return Err(PayrollError::Config(format!(
                "municipality number {} has more than 4 digits",
                self.municipality_number
            )));
        }
        let all = std::iter::once((None, &self.default_codes)).chain(
            self.employment_codes
                .iter()
                .map(|(k, v)| (Some(k.as_str()), v)),
        );
        for (emp, c) in all {
            if c.employment_type > 9 || c.extra_number > 9 {
                return Err(PayrollError::Config(format!(
                    "employment type and extra number must be one digit each \
                     (employment {}: {}, {})",
                    emp.unwrap_or("default"),
                    c.employment_type,
                    c.extra_number
                )));
            }
        }
        if let Some(h) = &self.header {
            if h.contains(['\r', '\n']) {
                return Err(PayrollError::Config(
                    "header must be a single line".to_string(),
                ));
            }
        }
        Ok(())
    }
}

/// One IND01 record: one group of export lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ind01Record {
    pub municipality_number: u16,
    pub employment_number: String,
    /// 10 digits, hyphen removed.
    pub cpr: String,
    pub codes: EmploymentCodes,
    pub tf_code: String,
    /// Trimmed; `None` for no account (13 spaces).
    pub account: Option<String>,
    /// Last day of the drive month.
    pub period_end: NaiveDate,
    /// Summed metres, before truncation.
    pub distance_m: i64,
    /// Reports in this record, ascending, without duplicates.
    pub report_ids: Vec<ReportId>,
}

impl Ind01Record {
    /// The value of the distance field: metres / 10, truncated.
    pub fn hundredths_km(&self) -> i64 {
        self.distance_m / 10
    }

    /// The 55-character line, without line ending.
    pub fn to_line(&self) -> String {
        let line = format!(
            "{STATIC_ID}{:04}{}{}{}{}{:06}{RESERVED}{:>13}{}",
            self.municipality_number,
            self.codes.employment_type,
            self.cpr,
            self.codes.extra_number,
            self.tf_code,
            self.hundredths_km(),
            self.account.as_deref().unwrap_or(""),
            self.period_end.format("%d%m%y"),
        );
        debug_assert_eq!(line.len(), LINE_LEN, "{line:?}");
        line
    }
}

/// What [`write_ind01`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ind01Output {
    /// The records, in file order.
    pub records: Vec<Ind01Record>,
    /// Reports that went into no record because their group's distance
    /// field was `000000` and `skip_zero_distance` was set (ascending).
    pub zero_distance_report_ids: Vec<ReportId>,
}

impl Ind01Output {
    /// Every report id in the file, ascending, without duplicates.
    pub fn written_report_ids(&self) -> Vec<ReportId> {
        let mut ids: Vec<ReportId> = self
            .records
            .iter()
            .flat_map(|r| r.report_ids.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Group key; its field order is the file's sort order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    employment_number: String,
    year: i32,
    month: u32,
    tf_code: String,
    account: Option<String>,
}

/// Groups and validates `lines` into records, in file order, without
/// writing anything. Zero-distance groups are included here regardless of
/// `skip_zero_distance`.
pub fn build_records<I, B>(lines: I, config: &Ind01Config) -> Result<Vec<Ind01Record>, PayrollError>
where
    I: IntoIterator<Item = B>,
    B: Borrow<ExportLine>,
{
    config.validate()?;
    let mut groups: BTreeMap<GroupKey, (i64, Vec<ReportId>, NaiveDate)> = BTreeMap::new();
    let mut cprs: BTreeMap<String, String> = BTreeMap::new();

    for line in lines {
        let line = line.borrow();
        let cpr = normalize_cpr(line)?;
        match cprs.get(&line.employment_number) {
            Some(known) if *known != cpr => {
                return Err(PayrollError::InconsistentCpr {
                    employment_number: line.employment_number.clone(),
                })
            }
            Some(_) => {}
            None => {
                cprs.insert(line.employment_number.clone(), cpr);
            }
        }
        if !is_fixed_ascii(&line.tf_code, 4, 4) {
            return Err(PayrollError::InvalidTfCode {
                report_id: line.report_id,
                tf_code: line.tf_code.clone(),
            });
        }
        let account = normalize_account(line)?;
        if line.distance_m < 0 {
            return Err(PayrollError::NegativeDistance {
                report_id: line.report_id,
                distance_m: line.distance_m,
            });
        }
        let key = GroupKey {
            employment_number: line.employment_number.clone(),
            year: line.drive_date.year(),
            month: line.drive_date.month(),
            tf_code: line.tf_code.clone(),
            account,
        };
        let overflow = |key: &GroupKey, distance_m: i64| PayrollError::DistanceOverflow {
            employment_number: key.employment_number.clone(),
            tf_code: key.tf_code.clone(),
            year: key.year,
            month: key.month,
            distance_m,
        };
        let entry = groups
            .entry(key.clone())
            .or_insert_with(|| (0, Vec::new(), end_of_month(line.drive_date)));
        entry.0 = entry
            .0
            .checked_add(line.distance_m)
            .ok_or_else(|| overflow(&key, i64::MAX))?;
        if entry.0 / 10 > MAX_HUNDREDTHS_KM {
            return Err(overflow(&key, entry.0));
        }
        entry.1.push(line.report_id);
    }

    Ok(groups
        .into_iter()
        .map(|(key, (distance_m, mut report_ids, period_end))| {
            report_ids.sort_unstable();
            report_ids.dedup();
            Ind01Record {
                municipality_number: config.municipality_number,
                cpr: cprs[&key.employment_number].clone(),
                codes: config.codes_for(&key.employment_number),
                employment_number: key.employment_number,
                tf_code: key.tf_code,
                account: key.account,
                period_end,
                distance_m,
                report_ids,
            }
        })
        .collect())
}

/// Writes the IND01 file for `lines` to `out`: the optional header, then one
/// CRLF-terminated 55-character record per group (see the module docs for
/// grouping and order).
///
/// All validation happens before the first byte is written. `out` is
/// written line by line; wrap a `File` in a `BufWriter` if needed.
pub fn write_ind01<W, I, B>(
    out: W,
    lines: I,
    config: &Ind01Config,
) -> Result<Ind01Output, PayrollError>
where
    W: Write,
    I: IntoIterator<Item = B>,
    B: Borrow<ExportLine>,
{
    let records = build_records(lines, config)?;
    let mut writer = Ind01Writer::new(out, config)?;
    let output = writer.write_records(records)?;
    writer.finish()?;
    Ok(output)
}

/// The IND01 file written piece by piece, for files too large to hold: the
/// caller hands over the lines one employment at a time, in byte-wise
/// employment number order, and every call must hold **all** lines of the
/// employments it names (a group never spans two calls). Given the same
/// lines, the bytes equal [`write_ind01`]'s; validation covers one call, so
/// a bad line in a later call fails after earlier calls were written.
pub struct Ind01Writer<'c, W: Write> {
    out: W,
    config: &'c Ind01Config,
}

impl<'c, W: Write> Ind01Writer<'c, W> {
    /// Checks the configuration and writes the header, if any.
    pub fn new(mut out: W, config: &'c Ind01Config) -> Result<Self, PayrollError> {
        config.validate()?;
        if let Some(header) = &config.header {
            out.write_all(header.as_bytes())?;
            out.write_all(b"\r\n")?;
        }
        Ok(Self { out, config })
    }

    /// Writes the records of `lines`: complete employments (see the type docs).
    pub fn write_lines<I, B>(&mut self, lines: I) -> Result<Ind01Output, PayrollError>
    where
        I: IntoIterator<Item = B>,
        B: Borrow<ExportLine>,
    {
        let records = build_records(lines, self.config)?;
        self.write_records(records)
    }

    fn write_records(&mut self, all: Vec<Ind01Record>) -> Result<Ind01Output, PayrollError> {
        let mut output = Ind01Output::default();
        for record in all {
            if self.config.skip_zero_distance && record.hundredths_km() == 0 {
                output
                    .zero_distance_report_ids
                    .extend(record.report_ids.iter().copied());
            } else {
                self.out.write_all(record.to_line().as_bytes())?;
                self.out.write_all(b"\r\n")?;
                output.records.push(record);
            }
        }
        output.zero_distance_report_ids.sort_unstable();
        output.zero_distance_report_ids.dedup();
        Ok(output)
    }

    /// Flushes and hands the output back.
    pub fn finish(mut self) -> Result<W, PayrollError> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Printable ASCII (no space) of a length in `min..=max`.
fn is_fixed_ascii(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
}

/// Trimmed, `DDMMYY-XXXX` → `DDMMYYXXXX`, then exactly 10 ASCII digits.
fn normalize_cpr(line: &ExportLine) -> Result<String, PayrollError> {
    let raw = line
        .cpr
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(PayrollError::MissingCpr {
            report_id: line.report_id,
        })?;
    let cpr: String = if raw.len() == 11 && raw.as_bytes()[6] == b'-' {
        raw.chars().filter(|&c| c != '-').collect()
    } else {
        raw.to_string()
    };
    if cpr.len() == 10 && cpr.bytes().all(|b| b.is_ascii_digit()) {
        Ok(cpr)
    } else {
        Err(PayrollError::InvalidCpr {
            report_id: line.report_id,
            len: raw.chars().count(),
        })
    }
}

/// Trimmed; empty → `None`; else 1–13 printable ASCII characters.
fn normalize_account(line: &ExportLine) -> Result<Option<String>, PayrollError> {
    match line.account.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(a) if is_fixed_ascii(a, 1, 13) => Ok(Some(a.to_string())),
        Some(a) => Err(PayrollError::InvalidAccount {
            report_id: line.report_id,
            account: a.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests;
