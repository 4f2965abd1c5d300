//! `;`-separated CSV export, for Danish Excel and for machine import.
//!
//! # Format
//! * UTF-8; a UTF-8 BOM first when [`CsvOptions::bom`] is set (the default:
//!   without it Excel reads the file as Windows-1252 and garbles æøå; with
//!   it Danish Excel opens the `;` file correctly by double-click). Turn it
//!   off for machine import ([`CsvOptions::machine`]).
//! * Separator `;`, records end with CRLF, a header row first.
//! * Fields are quoted only when needed (they contain `;`, `"`, CR or LF);
//!   quotes inside are doubled (RFC 4180).
//! * Numbers use a decimal comma, exactly two decimals, no thousands
//!   separator, `-` for negatives: km via [`format_metres_km`] (truncated to
//!   10 m), kr via [`format_ore_kr`].
//! * Dates are ISO 8601 `YYYY-MM-DD` (unambiguous; Danish Excel reads it as
//!   a date).
//!
//! # Columns
//! `Medarbejdernummer;Navn;[CPR;]TF-kode;Kørselsdato;Km;Takst (kr/km);Beløb (kr);Indberetning;Formål`
//! — the `CPR` column exists only with [`CsvOptions::include_cpr`]
//! (default `false`: CPR never appears unless asked for).
//!
//! # Grouped mode ([`CsvOptions::grouped`])
//! One row per **employment number × TF code × calendar month** of the
//! drive date:
//! * `Kørselsdato` is the **last day of the month** (as in IND01);
//! * `Km` is the sum of the metres, truncated to 10 m once, after summing;
//! * `Beløb (kr)` is the exact sum of the lines' øre (never recomputed);
//! * `Takst (kr/km)` is the rate when every line of the group has the same
//!   rate, and **empty** when the rates differ (a derived average would
//!   look like a real rate; divide amount by km if one is needed);
//! * `Indberetning` lists the group's report ids ascending, separated by a
//!   space (a comma would make Danish Excel read `101,102` as a number);
//! * `Navn` (and `CPR`) come from the group's first line (earliest drive
//!   date, then lowest report id); `Formål` is empty.
//!
//! # Order
//! * Detail rows: employment number (byte-wise), drive date, report id, TF
//!   code, then the remaining fields, so equal input always gives equal
//!   bytes whatever its order.
//! * Grouped rows: employment number, year, month, TF code.
//!
//! # Excel formula guard
//! With [`CsvOptions::neutralize_formulas`] (default `true`) a text field
//! (employment number, name, CPR, TF code, purpose) that starts with `=`,
//! `+`, `-`, `@`, TAB or CR gets a leading `'`, so Excel shows it as text
//! instead of evaluating it (CSV/formula injection). Numeric columns are
//! never touched. Machine imports should turn this off.
//!
//! # Streaming
//! Rows go straight to the writer through `csv::Writer` (its small internal
//! buffer only); the file is never built in memory. [`write_csv`] collects
//! its input to sort it (and, grouped, into one accumulator per group);
//! [`CsvWriter`] takes the input one employment at a time, so only one
//! employment's lines are held at once.
//!
//! Known Excel behaviour not fixed here (it would break machine import):
//! Excel drops leading zeros of all-digit fields such as employment number
//! `000123` or a CPR starting with 0 unless the column is imported as text.

use crate::domain::ids::ReportId;
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::Write;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{end_of_month, format_metres_km, format_ore_kr, ExportLine, PayrollError};

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Header names, in column order; [`HEADER_CPR`] goes after the name when
/// included.
pub const HEADER_BEFORE_CPR: [&str; 2] = ["Medarbejdernummer", "Navn"];
/// Header of the optional CPR column.
pub const HEADER_CPR: &str = "CPR";
/// Header names after the (optional) CPR column.
pub const HEADER_AFTER_CPR: [&str; 7] = [
    "TF-kode",
    "Kørselsdato",
    "Km",
    "Takst (kr/km)",
    "Beløb (kr)",
    "Indberetning",
    "Formål",
];

/// Options of [`write_csv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvOptions {
    /// One row per employment × TF code × month instead of one per line.
    pub grouped: bool,
    /// Add the CPR column. Default `false`.
    pub include_cpr: bool,
    /// Start the file with a UTF-8 BOM. Default `true` (Excel).
    pub bom: bool,
    /// Prefix text fields that Excel would evaluate with `'`. Default `true`.
    pub neutralize_formulas: bool,
}

impl Default for CsvOptions {
    /// [`CsvOptions::excel`].
    fn default() -> Self {
        Self::excel()
    }
}

impl CsvOptions {
    /// For people opening the file in (Danish) Excel: BOM, formula guard,
    /// detail rows, no CPR.
    pub fn excel() -> Self {
        Self {
            grouped: false,
            include_cpr: false,
            bom: true,
            neutralize_formulas: true,
        }
    }

    /// For machine import: no BOM, text exactly as given, detail rows, no CPR.
    pub fn machine() -> Self {
        Self {
            grouped: false,
            include_cpr: false,
            bom: false,
            neutralize_formulas: false,
        }
    }
}

/// Writes the CSV export of `lines` to `out` and returns the number of data
/// rows (header excluded). See the module docs for format, columns, grouping
/// and order. Nothing is written when grouping fails.
pub fn write_csv<W, I, B>(out: W, lines: I, options: &CsvOptions) -> Result<usize, PayrollError>
where
    W: Write,
    I: IntoIterator<Item = B>,
    B: Borrow<ExportLine>,
{
    let mut writer = CsvWriter::new(out, options);
    writer.write_lines(lines)?;
    writer.finish()
}

/// The CSV export written piece by piece, for files too large to hold: the
/// caller hands over the lines one employment at a time, in byte-wise
/// employment number order, and every call must hold **all** lines of the
/// employments it names (grouping and sorting happen within a call). The
/// header (and BOM) go out with the first call, or at [`CsvWriter::finish`]
/// for an empty file. Given the same lines, the bytes equal [`write_csv`]'s.
pub struct CsvWriter<W: Write> {
    /// The output until the header is written, then the CSV writer around it.
    state: WriterState<W>,
    options: CsvOptions,
    rows: usize,
}

enum WriterState<W: Write> {
    Waiting(W),
    /// Boxed: the csv writer carries its buffer state inline.
    Writing(Box<::csv::Writer<W>>),
    /// Between the two, and for good when writing the BOM or header failed.
    Switching,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W, options: &CsvOptions) -> Self {
        Self {
            state: WriterState::Waiting(out),
            options: *options,
            rows: 0,
        }
    }

    /// Writes the rows of `lines`: complete employments (see the type docs).
    pub fn write_lines<I, B>(&mut self, lines: I) -> Result<(), PayrollError>
    where
        I: IntoIterator<Item = B>,
        B: Borrow<ExportLine>,
    {
        let mut lines: Vec<B> = lines.into_iter().collect();
        lines.sort_by(|a, b| detail_order(a.borrow(), b.borrow()));
        // Grouping can fail (overflow): do it before this call writes anything.
        let groups = if self.options.grouped {
            Some(group(lines.iter().map(Borrow::borrow))?)
        } else {
            None
        };
        let options = self.options;
        let csv = self.start()?;
        let mut rows = 0;
        match groups {
            None => {
                for line in &lines {
                    let line = line.borrow();
                    let row = Row {
                        employment_number: &line.employment_number,
                        person_name: &line.person_name,
                        cpr: line.cpr.as_deref(),
                        tf_code: &line.tf_code,
                        date: line.drive_date,
                        km: format_metres_km(line.distance_m),
                        rate: format_ore_kr(line.ore_per_km),
                        amount: format_ore_kr(line.amount_ore),
                        report: line.report_id.to_string(),
                        purpose: &line.purpose,
                    };
                    row.write(csv, &options)?;
                    rows += 1;
                }
            }
            Some(groups) => {
                for (key, g) in groups {
                    let report = g
                        .report_ids
                        .iter()
                        .map(ReportId::to_string)
                        .collect::<Vec<_>>()
                        .join(" ");
                    let row = Row {
                        employment_number: key.employment_number,
                        person_name: &g.first.person_name,
                        cpr: g.first.cpr.as_deref(),
                        tf_code: key.tf_code,
                        date: end_of_month(g.first.drive_date),
                        km: format_metres_km(g.distance_m),
                        rate: g.rate.map(format_ore_kr).unwrap_or_default(),
                        amount: format_ore_kr(g.amount_ore),
                        report,
                        purpose: "",
                    };
                    row.write(csv, &options)?;
                    rows += 1;
                }
            }
        }
        self.rows += rows;
        Ok(())
    }

    /// Writes the header (and BOM) if no lines came, flushes, and returns
    /// the number of data rows.
    pub fn finish(mut self) -> Result<usize, PayrollError> {
        self.start()?.flush()?;
        Ok(self.rows)
    }

    /// The CSV writer, after writing the BOM and header on first use.
    fn start(&mut self) -> Result<&mut ::csv::Writer<W>, PayrollError> {
        if let WriterState::Waiting(_) = self.state {
            let WriterState::Waiting(mut out) =
                std::mem::replace(&mut self.state, WriterState::Switching)
            else {
                unreachable!("matched above")
            };
            if self.options.bom {
                out.write_all(BOM)?;
            }
            let mut csv = ::csv::WriterBuilder::new()
                .delimiter(b';')
                .terminator(::csv::Terminator::CRLF)
                .quote_style(::csv::QuoteStyle::Necessary)
                .from_writer(out);
            let mut header: Vec<&str> = HEADER_BEFORE_CPR.to_vec();
            if self.options.include_cpr {
                header.push(HEADER_CPR);
            }
            header.extend(HEADER_AFTER_CPR);
            csv.write_record(&header)?;
            self.state = WriterState::Writing(Box::new(csv));
        }
        match &mut self.state {
            WriterState::Writing(csv) => Ok(csv.as_mut()),
            _ => Err(PayrollError::Io(std::io::Error::other(
                "the CSV writer failed while writing its header",
            ))),
        }
    }
}

/// Detail order: employment, date, report, TF code, then everything else.
fn detail_order(a: &ExportLine, b: &ExportLine) -> Ordering {
    (
        &a.employment_number,
        a.drive_date,
        a.report_id,
        &a.tf_code,
        a.distance_m,
        a.ore_per_km,
        a.amount_ore,
        &a.account,
        &a.cpr,
        &a.person_name,
        &a.purpose,
    )
        .cmp(&(
            &b.employment_number,
            b.drive_date,
            b.report_id,
            &b.tf_code,
            b.distance_m,
            b.ore_per_km,
            b.amount_ore,
            &b.account,
            &b.cpr,
            &b.person_name,
            &b.purpose,
        ))
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey<'a> {
    employment_number: &'a str,
    year: i32,
    month: u32,
    tf_code: &'a str,
}

struct Group<'a> {
    /// First line in detail order.
    first: &'a ExportLine,
    distance_m: i64,
    amount_ore: i64,
    /// `Some` while all lines share one rate.
    rate: Option<i64>,
    report_ids: Vec<ReportId>,
}

/// `lines` must already be in detail order.
fn group<'a>(
    lines: impl Iterator<Item = &'a ExportLine>,
) -> Result<BTreeMap<GroupKey<'a>, Group<'a>>, PayrollError> {
    let mut groups: BTreeMap<GroupKey<'a>, Group<'a>> = BTreeMap::new();
    for line in lines {
        let key = GroupKey {
            employment_number: &line.employment_number,
            year: line.drive_date.year(),
            month: line.drive_date.month(),
            tf_code: &line.tf_code,
        };
        match groups.get_mut(&key) {
            None => {
                groups.insert(
                    key,
                    Group {
                        first: line,
                        distance_m: line.distance_m,
                        amount_ore: line.amount_ore,
                        rate: Some(line.ore_per_km),
                        report_ids: vec![line.report_id],
                    },
                );
            }
            Some(g) => {
                let overflow = || {
                    PayrollError::Config(format!(
                        "sum overflows for employment {} TF {} {}-{:02}",
                        line.employment_number,
                        line.tf_code,
                        line.drive_date.year(),
                        line.drive_date.month()
                    ))
                };
                g.distance_m = g
                    .distance_m
                    .checked_add(line.distance_m)
                    .ok_or_else(overflow)?;
                g.amount_ore = g
                    .amount_ore
                    .checked_add(line.amount_ore)
                    .ok_or_else(overflow)?;
                if g.rate != Some(line.ore_per_km) {
                    g.rate = None;
                }
                g.report_ids.push(line.report_id);
            }
        }
    }
    for g in groups.values_mut() {
        g.report_ids.sort_unstable();
        g.report_ids.dedup();
    }
    Ok(groups)
}

struct Row<'a> {
    employment_number: &'a str,
    person_name: &'a str,
    cpr: Option<&'a str>,
    tf_code: &'a str,
    date: NaiveDate,
    km: String,
    rate: String,
    amount: String,
    report: String,
    purpose: &'a str,
}

impl Row<'_> {
    fn write<W: Write>(
        &self,
        w: &mut ::csv::Writer<W>,
        options: &CsvOptions,
    ) -> Result<(), PayrollError> {
        let text = |s: &str| -> String {
            if options.neutralize_formulas && starts_like_formula(s) {
                format!("'{s}")
            } else {
                s.to_string()
            }
        };
        let mut record: Vec<String> = Vec::with_capacity(10);
        record.push(text(self.employment_number));
        record.push(text(self.person_name));
        if options.include_cpr {
            record.push(text(self.cpr.map(str::trim).unwrap_or("")));
        }
        record.push(text(self.tf_code));
        record.push(self.date.format("%Y-%m-%d").to_string());
        record.push(self.km.clone());
        record.push(self.rate.clone());
        record.push(self.amount.clone());
        record.push(self.report.clone());
        record.push(text(self.purpose));
        w.write_record(&record)?;
        Ok(())
    }
}

/// Would Excel treat a cell starting like this as a formula?
fn starts_like_formula(s: &str) -> bool {
    matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn line(report_id: i64, emp: &str, tf: &str, d: NaiveDate, m: i64, rate: i64) -> ExportLine {
        ExportLine {
            report_id: ReportId(report_id),
            employment_number: emp.to_string(),
            person_name: "Åse Ørum".to_string(),
            cpr: Some("0101901234".to_string()),
            tf_code: tf.to_string(),
            drive_date: d,
            distance_m: m,
            ore_per_km: rate,
            amount_ore: m * rate / 1000,
            purpose: "Møde".to_string(),
            account: None,
        }
    }

    fn write(lines: &[ExportLine], options: &CsvOptions) -> String {
        let mut buf = Vec::new();
        write_csv(&mut buf, lines, options).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn detail_row_machine() {
        let text = write(
            &[line(7, "42", "1111", date(2026, 3, 4), 12_345, 394)],
            &CsvOptions::machine(),
        );
        assert_eq!(
            text,
            "Medarbejdernummer;Navn;TF-kode;Kørselsdato;Km;Takst (kr/km);Beløb (kr);Indberetning;Formål\r\n\
             42;Åse Ørum;1111;2026-03-04;12,34;3,94;48,63;7;Møde\r\n"
        );
    }

    #[test]
    fn bom_only_when_asked() {
        let l = [line(7, "42", "1111", date(2026, 3, 4), 1_000, 394)];
        assert!(write(&l, &CsvOptions::excel()).as_bytes().starts_with(BOM));
        assert!(!write(&l, &CsvOptions::machine())
            .as_bytes()
            .starts_with(BOM));
    }

    #[test]
    fn cpr_only_when_asked() {
        let l = [line(7, "42", "1111", date(2026, 3, 4), 1_000, 394)];
        for grouped in [false, true] {
            let mut o = CsvOptions::machine();
            o.grouped = grouped;
            let text = write(&l, &o);
            assert!(!text.contains("0101901234"), "{text}");
            assert!(!text.contains("CPR"), "{text}");
            o.include_cpr = true;
            let text = write(&l, &o);
            assert!(text.starts_with("Medarbejdernummer;Navn;CPR;TF-kode;"));
            assert!(text.contains(";Åse Ørum;0101901234;1111;"), "{text}");
        }
    }

    #[test]
    fn quotes_where_needed() {
        let mut l = line(7, "42", "1111", date(2026, 3, 4), 1_000, 394);
        l.purpose = "Møde; \"budget\"\nDag 2".to_string();
        let text = write(&[l], &CsvOptions::machine());
        assert!(
            text.ends_with(";7;\"Møde; \"\"budget\"\"\nDag 2\"\r\n"),
            "{text}"
        );
    }

    #[test]
    fn formula_guard() {
        let mut l = line(7, "42", "1111", date(2026, 3, 4), 1_000, 394);
        l.purpose = "=HYPERLINK(\"x\")".to_string();
        l.person_name = "@Bo".to_string();
        l.amount_ore = -250;
        let text = write(std::slice::from_ref(&l), &CsvOptions::excel());
        assert!(text.contains(";'@Bo;"), "{text}");
        assert!(text.contains(";-2,50;"), "numbers stay numbers: {text}");
        assert!(text.ends_with(";\"'=HYPERLINK(\"\"x\"\")\"\r\n"), "{text}");
        let text = write(&[l], &CsvOptions::machine());
        assert!(text.contains(";@Bo;"), "{text}");
    }

    #[test]
    fn detail_order_is_deterministic() {
        let mut lines = vec![
            line(3, "2", "1111", date(2026, 1, 1), 1_000, 394),
            line(2, "1", "2222", date(2026, 1, 5), 1_000, 228),
            line(2, "1", "1111", date(2026, 1, 5), 1_000, 394),
            line(1, "1", "1111", date(2026, 1, 9), 1_000, 394),
        ];
        let a = write(&lines, &CsvOptions::machine());
        lines.reverse();
        assert_eq!(a, write(&lines, &CsvOptions::machine()));
        let keys: Vec<(&str, &str, &str)> = a
            .split_terminator("\r\n")
            .skip(1)
            .map(|r| {
                let f: Vec<&str> = r.split(';').collect();
                (f[0], f[7], f[2])
            })
            .collect();
        assert_eq!(
            keys,
            vec![
                ("1", "2", "1111"),
                ("1", "2", "2222"),
                ("1", "1", "1111"),
                ("2", "3", "1111")
            ]
        );
    }

    #[test]
    fn grouped_sums_and_rate_column() {
        let lines = [
            line(1, "1", "1111", date(2026, 1, 5), 12_345, 394),
            line(2, "1", "1111", date(2026, 1, 9), 12_345, 394),
            line(3, "1", "1111", date(2026, 2, 1), 1_000, 394),
            // same group, different rates -> empty rate
            line(4, "2", "2222", date(2026, 1, 5), 10_000, 228),
            line(5, "2", "2222", date(2026, 1, 6), 10_000, 223),
        ];
        let mut o = CsvOptions::machine();
        o.grouped = true;
        let text = write(&lines, &o);
        let rows: Vec<&str> = text.split_terminator("\r\n").skip(1).collect();
        assert_eq!(
            rows,
            vec![
                // 24,690 m -> 24,69 km; 4863 + 4863 øre
                "1;Åse Ørum;1111;2026-01-31;24,69;3,94;97,26;1 2;",
                "1;Åse Ørum;1111;2026-02-28;1,00;3,94;3,94;3;",
                "2;Åse Ørum;2222;2026-01-31;20,00;;45,10;4 5;",
            ]
        );
    }

    #[test]
    fn empty_input_gives_header_only() {
        let text = write(&[], &CsvOptions::machine());
        assert_eq!(text.split_terminator("\r\n").count(), 1);
    }
}
