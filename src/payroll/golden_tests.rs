//! Golden tests: a fixed data set → expected bytes in `tests/golden/`,
//! compared byte for byte.
//!
//! The files live at `<crate root>/tests/golden/` (found through
//! `CARGO_MANIFEST_DIR`, so no crate name is involved). To regenerate them
//! after an intended format change run
//! `UPDATE_GOLDEN=1 cargo test golden` and review the diff.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::csv::{write_csv, CsvOptions};
use super::ind01::{write_ind01, EmploymentCodes, Ind01Config};
use super::ExportLine;
use crate::domain::ids::ReportId;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn l(
    report_id: i64,
    emp: &str,
    name: &str,
    cpr: &str,
    tf: &str,
    d: NaiveDate,
    distance_m: i64,
    ore_per_km: i64,
    amount_ore: i64,
    purpose: &str,
    account: Option<&str>,
) -> ExportLine {
    ExportLine {
        report_id: ReportId(report_id),
        employment_number: emp.to_string(),
        person_name: name.to_string(),
        cpr: Some(cpr.to_string()),
        tf_code: tf.to_string(),
        drive_date: d,
        distance_m,
        ore_per_km,
        amount_ore,
        purpose: purpose.to_string(),
        account: account.map(str::to_string),
    }
}

/// The fixed data set, deliberately out of order.
///
/// * 101: æøå in the name, `;` and quotes in the purpose.
/// * 102: a report split at the 20,000 km threshold (1111 high, 2222 low).
/// * 103: a deviating account, and a purpose Excel would read as a formula.
/// * 104: a rate type with a second TF code (3333, km only), a newline in
///   the purpose, in the next month.
/// * 105: bicycle rate, amount rounded upstream (6.2 km × 0.64 = 3.968 kr).
pub(super) fn data_set() -> Vec<ExportLine> {
    let soren = ("000123", "Søren Ærø Ålund", "0101901111");
    let bjorn = ("4567", "Bjørn Kærgård", "0202902222");
    vec![
        l(
            105,
            soren.0,
            soren.1,
            soren.2,
            "4444",
            date(2026, 2, 10),
            6_200,
            64,
            397,
            "Cykel til Ørnereden",
            None,
        ),
        l(
            104,
            bjorn.0,
            bjorn.1,
            bjorn.2,
            "3333",
            date(2026, 2, 3),
            8_000,
            0,
            0,
            "Tilsyn\nDag 2",
            None,
        ),
        l(
            101,
            soren.0,
            soren.1,
            soren.2,
            "1111",
            date(2026, 1, 5),
            23_450,
            394,
            9_239,
            "Møde på rådhuset; budget \"2026\"",
            None,
        ),
        l(
            102,
            soren.0,
            soren.1,
            soren.2,
            "2222",
            date(2026, 1, 20),
            30_000,
            228,
            6_840,
            "Hjemmebesøg, Åbyhøj",
            None,
        ),
        l(
            103,
            bjorn.0,
            bjorn.1,
            bjorn.2,
            "1111",
            date(2026, 1, 12),
            12_345,
            394,
            4_864,
            "=1+1 kursus i Ærøskøbing",
            Some("1234567890"),
        ),
        l(
            102,
            soren.0,
            soren.1,
            soren.2,
            "1111",
            date(2026, 1, 20),
            20_000,
            394,
            7_880,
            "Hjemmebesøg, Åbyhøj",
            None,
        ),
        l(
            104,
            bjorn.0,
            bjorn.1,
            bjorn.2,
            "1111",
            date(2026, 2, 3),
            8_000,
            394,
            3_152,
            "Tilsyn\nDag 2",
            None,
        ),
    ]
}

pub(super) fn ind01_config() -> Ind01Config {
    let mut config = Ind01Config::new(751, 1, 0);
    config.employment_codes.insert(
        "4567".to_string(),
        EmploymentCodes {
            employment_type: 3,
            extra_number: 1,
        },
    );
    config.header = Some("0751 Kørsel testkommune".to_string());
    config
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
        .join(name)
}

fn assert_golden(name: &str, actual: &[u8]) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    if expected != actual {
        panic!(
            "{} differs from the output\n--- expected\n{}\n--- actual\n{}",
            path.display(),
            String::from_utf8_lossy(&expected).escape_debug(),
            String::from_utf8_lossy(actual).escape_debug()
        );
    }
}

fn csv_bytes(options: &CsvOptions) -> Vec<u8> {
    let mut buf = Vec::new();
    write_csv(&mut buf, data_set(), options).unwrap();
    buf
}

#[test]
fn golden_ind01() {
    let mut buf = Vec::new();
    let out = write_ind01(&mut buf, data_set(), &ind01_config()).unwrap();
    assert_eq!(out.records.len(), 6);
    assert_eq!(
        out.written_report_ids(),
        [101, 102, 103, 104, 105].map(ReportId)
    );
    assert_golden("ind01.txt", &buf);
}

/// One IND01 line from its fields in the record layout's order, written `|`-separated so that
/// each field stays visible.
fn ind01_line(fields: &str) -> String {
    format!("DA6{}", fields.replace('|', ""))
}

/// The IND01 golden file, spelled out field by field, so that the golden
/// file itself is checked against hand-derived values.
#[test]
fn golden_ind01_matches_hand_derived_lines() {
    let expected = [
        "0751 Kørsel testkommune".to_string(),
        // 000123 Jan 1111: 101 + 102 = 23,450 + 20,000 m = 43.45 km
        ind01_line("0751|1|0101901111|0|1111|004345|0000000|             310126"),
        // 000123 Jan 2222: 102 low part 30 km
        ind01_line("0751|1|0101901111|0|2222|003000|0000000|             310126"),
        // 000123 Feb 4444: 105 bicycle 6.2 km
        ind01_line("0751|1|0101901111|0|4444|000620|0000000|             280226"),
        // 4567 Jan 1111 account 1234567890: 103, 12,345 m truncated to 12.34 km
        ind01_line("0751|3|0202902222|1|1111|001234|0000000|   1234567890310126"),
        // 4567 Feb 1111 and 3333: 104 twice with the same km
        ind01_line("0751|3|0202902222|1|1111|000800|0000000|             280226"),
        ind01_line("0751|3|0202902222|1|3333|000800|0000000|             280226"),
    ];
    let expected: String = expected.iter().map(|l| format!("{l}\r\n")).collect();
    let golden = std::fs::read(golden_path("ind01.txt")).unwrap();
    assert_eq!(String::from_utf8(golden).unwrap(), expected);
    for line in expected.split_terminator("\r\n").skip(1) {
        assert_eq!(line.len(), 55, "{line}");
    }
}

#[test]
fn golden_csv_excel_detail() {
    assert_golden("detail_excel.csv", &csv_bytes(&CsvOptions::excel()));
}

#[test]
fn golden_csv_machine_detail_with_cpr() {
    let mut options = CsvOptions::machine();
    options.include_cpr = true;
    assert_golden("detail_machine_cpr.csv", &csv_bytes(&options));
}

#[test]
fn golden_csv_excel_grouped() {
    let mut options = CsvOptions::excel();
    options.grouped = true;
    assert_golden("grouped_excel.csv", &csv_bytes(&options));
}

#[test]
fn golden_csv_is_independent_of_input_order() {
    let mut reversed = data_set();
    reversed.reverse();
    for grouped in [false, true] {
        let mut options = CsvOptions::excel();
        options.grouped = grouped;
        let mut buf = Vec::new();
        write_csv(&mut buf, &reversed, &options).unwrap();
        assert_eq!(buf, csv_bytes(&options));
    }
}

/// The one-employment-at-a-time writers, fed as the batch file generator feeds them, give the
/// golden bytes of every format.
#[test]
fn streaming_writers_give_the_golden_bytes() {
    use super::{CsvLayout, CsvStyle, EmploymentRuns, FileSettings, FileWriter};

    let mut lines = data_set();
    lines.sort_by(|a, b| a.employment_number.cmp(&b.employment_number));
    let csv = |include_cpr| FileSettings::Csv { include_cpr };
    let layout = |grouped, style| CsvLayout { grouped, style };
    let cases = [
        (
            csv(false),
            layout(false, CsvStyle::Excel),
            "detail_excel.csv",
        ),
        (
            csv(true),
            layout(false, CsvStyle::Machine),
            "detail_machine_cpr.csv",
        ),
        (
            csv(false),
            layout(true, CsvStyle::Excel),
            "grouped_excel.csv",
        ),
        (
            FileSettings::KmdInd01(ind01_config()),
            CsvLayout::default(),
            "ind01.txt",
        ),
    ];
    for (settings, layout, golden) in cases {
        let mut buf = Vec::new();
        let mut writer = FileWriter::new(&mut buf, &settings, layout).unwrap();
        let mut runs = EmploymentRuns::default();
        let mut calls = 0;
        for line in lines.clone() {
            if let Some(employment) = runs.push(line) {
                writer.write_lines(&employment).unwrap();
                calls += 1;
            }
        }
        writer.write_lines(&runs.finish()).unwrap();
        let rows = writer.finish().unwrap();
        assert_eq!(
            calls, 1,
            "two employments: one handed over early, one at the end"
        );
        // Seven lines; six groups, in grouped CSV and in IND01 alike.
        let expected_rows = if golden.starts_with("detail") { 7 } else { 6 };
        assert_eq!(rows, expected_rows, "{golden}");
        let expected = std::fs::read(golden_path(golden)).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            String::from_utf8(expected).unwrap(),
            "{golden}"
        );
    }
}

#[test]
fn an_empty_streamed_csv_is_its_header() {
    use super::{CsvLayout, FileSettings, FileWriter};

    let settings = FileSettings::Csv { include_cpr: false };
    let mut buf = Vec::new();
    let writer = FileWriter::new(&mut buf, &settings, CsvLayout::default()).unwrap();
    assert_eq!(writer.finish().unwrap(), 0);
    assert_eq!(buf, csv_bytes(&CsvOptions::excel())[..buf.len()]);
    let text = String::from_utf8(buf).unwrap();
    assert_eq!(text.split_terminator("\r\n").count(), 1, "{text}");
}
