//! The IND01 record layout, field by field, and the refusals of what does not fit.

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The data of `OpusFileGeneratorTest/FileRecordTest.cs`.
fn reference_line(account: Option<&str>) -> ExportLine {
    ExportLine {
        report_id: ReportId(1),
        employment_number: "1".to_string(),
        person_name: "Test".to_string(),
        cpr: Some("8512481230".to_string()),
        tf_code: "6666".to_string(),
        drive_date: date(2020, 1, 27),
        distance_m: 123_500,
        ore_per_km: 0,
        amount_ore: 0,
        purpose: String::new(),
        account: account.map(str::to_string),
    }
}

fn reference_config() -> Ind01Config {
    Ind01Config::new(123, 9, 5)
}

fn write(lines: &[ExportLine], config: &Ind01Config) -> (String, Ind01Output) {
    let mut buf = Vec::new();
    let out = write_ind01(&mut buf, lines, config).unwrap();
    (String::from_utf8(buf).unwrap(), out)
}

fn line(
    report_id: i64,
    emp: &str,
    tf: &str,
    d: NaiveDate,
    m: i64,
    account: Option<&str>,
) -> ExportLine {
    ExportLine {
        report_id: ReportId(report_id),
        employment_number: emp.to_string(),
        person_name: format!("Person {emp}"),
        cpr: Some(format!("01019{:05}", emp.parse::<u32>().unwrap())),
        tf_code: tf.to_string(),
        drive_date: d,
        distance_m: m,
        ore_per_km: 394,
        amount_ore: m * 394 / 1000,
        purpose: "x".to_string(),
        account: account.map(str::to_string),
    }
}

#[test]
fn reference_line_without_account_byte_for_byte() {
    let (text, _) = write(&[reference_line(None)], &reference_config());
    assert_eq!(
        text,
        "DA6012398512481230566660123500000000             310120\r\n"
    );
    assert_eq!(text.len(), LINE_LEN + 2);
}

#[test]
fn reference_line_with_account_byte_for_byte() {
    let (text, _) = write(&[reference_line(Some("9999999999"))], &reference_config());
    assert_eq!(
        text,
        "DA6012398512481230566660123500000000   9999999999310120\r\n"
    );
}

#[test]
fn reference_columns_match_the_table() {
    let rec = &build_records([reference_line(Some("9999999999"))], &reference_config()).unwrap()[0];
    let l = rec.to_line();
    let col = |from: usize, len: usize| &l[from - 1..from - 1 + len];
    assert_eq!(col(1, 3), "DA6");
    assert_eq!(col(4, 4), "0123");
    assert_eq!(col(8, 1), "9");
    assert_eq!(col(9, 10), "8512481230");
    assert_eq!(col(19, 1), "5");
    assert_eq!(col(20, 4), "6666");
    assert_eq!(col(24, 6), "012350");
    assert_eq!(col(30, 7), "0000000");
    assert_eq!(col(37, 13), "   9999999999");
    assert_eq!(col(50, 6), "310120");
}

#[test]
fn header_first_and_every_line_crlf() {
    let mut config = reference_config();
    config.header = Some("026 Test Kommune".to_string());
    let (text, _) = write(&[reference_line(None)], &config);
    assert_eq!(
        text,
        "026 Test Kommune\r\nDA6012398512481230566660123500000000             310120\r\n"
    );
}

#[test]
fn groups_by_employment_tf_account_and_month_summing_metres() {
    let lines = [
        line(1, "1", "1111", date(2026, 1, 3), 10_000, None),
        line(2, "1", "1111", date(2026, 1, 20), 5_000, None),
        // other account -> own record
        line(3, "1", "1111", date(2026, 1, 21), 1_000, Some("1234567890")),
        // other month -> own record
        line(4, "1", "1111", date(2026, 2, 1), 2_000, None),
        // same month, other year -> own record (OS2 classic merged these)
        line(5, "1", "1111", date(2025, 1, 15), 3_000, None),
        // other employment -> own record
        line(6, "2", "1111", date(2026, 1, 3), 4_000, None),
        // blank account is no account
        line(7, "1", "1111", date(2026, 1, 31), 1_000, Some("  ")),
    ];
    let records = build_records(&lines, &reference_config()).unwrap();
    type Summary = (
        String,
        String,
        Option<String>,
        NaiveDate,
        i64,
        Vec<ReportId>,
    );
    let summary: Vec<Summary> = records
        .iter()
        .map(|r| {
            (
                r.employment_number.clone(),
                r.tf_code.clone(),
                r.account.clone(),
                r.period_end,
                r.distance_m,
                r.report_ids.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "1".into(),
                "1111".into(),
                None,
                date(2025, 1, 31),
                3_000,
                vec![ReportId(5)]
            ),
            (
                "1".into(),
                "1111".into(),
                None,
                date(2026, 1, 31),
                16_000,
                vec![ReportId(1), ReportId(2), ReportId(7)]
            ),
            (
                "1".into(),
                "1111".into(),
                Some("1234567890".into()),
                date(2026, 1, 31),
                1_000,
                vec![ReportId(3)]
            ),
            (
                "1".into(),
                "1111".into(),
                None,
                date(2026, 2, 28),
                2_000,
                vec![ReportId(4)]
            ),
            (
                "2".into(),
                "1111".into(),
                None,
                date(2026, 1, 31),
                4_000,
                vec![ReportId(6)]
            ),
        ]
    );
}

#[test]
fn truncates_after_summing_not_per_line() {
    // 3 x 12,345 m = 37,035 m -> 003703 (per-line truncation would give 003702)
    let lines: Vec<ExportLine> = (1..=3)
        .map(|id| line(id, "7", "2222", date(2026, 3, id as u32), 12_345, None))
        .collect();
    let records = build_records(&lines, &reference_config()).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(&records[0].to_line()[23..29], "003703");
    // 9 m truncates to 0
    let records = build_records(
        [line(9, "7", "2222", date(2026, 3, 1), 19, None)],
        &reference_config(),
    )
    .unwrap();
    assert_eq!(&records[0].to_line()[23..29], "000001");
}

#[test]
fn second_tf_code_gives_second_line_with_same_km() {
    let lines = [
        line(10, "3", "1111", date(2026, 5, 2), 42_000, None),
        line(10, "3", "9999", date(2026, 5, 2), 42_000, None),
    ];
    let (text, out) = write(&lines, &reference_config());
    let got: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(got.len(), 2);
    assert_eq!(&got[0][19..29], "1111004200");
    assert_eq!(&got[1][19..29], "9999004200");
    assert_eq!(out.written_report_ids(), vec![ReportId(10)]);
}

#[test]
fn order_does_not_depend_on_input_order() {
    let mut lines = vec![
        line(1, "2", "1111", date(2026, 1, 3), 1_000, None),
        line(2, "1", "2222", date(2026, 1, 3), 1_000, None),
        line(3, "1", "1111", date(2026, 2, 3), 1_000, None),
        line(4, "1", "1111", date(2026, 1, 3), 1_000, Some("2")),
        line(5, "1", "1111", date(2026, 1, 3), 1_000, None),
    ];
    let (a, _) = write(&lines, &reference_config());
    lines.reverse();
    let (b, _) = write(&lines, &reference_config());
    assert_eq!(a, b);
    let tf_and_account: Vec<(&str, &str)> = a
        .split_terminator("\r\n")
        .map(|l| (&l[19..23], l[36..49].trim()))
        .collect();
    assert_eq!(
        tf_and_account,
        vec![
            ("1111", ""),
            ("1111", "2"),
            ("2222", ""),
            ("1111", ""),
            ("1111", "")
        ]
    );
}

#[test]
fn per_employment_codes_override_defaults() {
    let mut config = reference_config();
    config.employment_codes.insert(
        "2".to_string(),
        EmploymentCodes {
            employment_type: 1,
            extra_number: 3,
        },
    );
    let lines = [
        line(1, "1", "1111", date(2026, 1, 3), 1_000, None),
        line(2, "2", "1111", date(2026, 1, 3), 1_000, None),
    ];
    let (text, _) = write(&lines, &config);
    let got: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!((&got[0][7..8], &got[0][18..19]), ("9", "5"));
    assert_eq!((&got[1][7..8], &got[1][18..19]), ("1", "3"));
}

#[test]
fn zero_distance_groups_are_skipped_and_reported() {
    let lines = [
        line(1, "1", "1111", date(2026, 1, 3), 0, None),
        line(2, "1", "1111", date(2026, 1, 4), 9, None),
        line(3, "1", "2222", date(2026, 1, 3), 10, None),
    ];
    let (text, out) = write(&lines, &reference_config());
    assert_eq!(text.split_terminator("\r\n").count(), 1);
    assert_eq!(out.zero_distance_report_ids, vec![ReportId(1), ReportId(2)]);
    assert_eq!(out.written_report_ids(), vec![ReportId(3)]);

    let mut keep = reference_config();
    keep.skip_zero_distance = false;
    let (text, out) = write(&lines, &keep);
    assert_eq!(text.split_terminator("\r\n").count(), 2);
    assert!(out.zero_distance_report_ids.is_empty());
}

#[test]
fn cpr_with_hyphen_is_accepted() {
    let mut l = reference_line(None);
    l.cpr = Some(" 851248-1230 ".to_string());
    let (text, _) = write(&[l], &reference_config());
    assert_eq!(&text[8..18], "8512481230");
}

#[test]
fn invalid_input_is_rejected_before_writing() {
    let check = |l: ExportLine| {
        let mut buf = Vec::new();
        let err =
            write_ind01(&mut buf, [reference_line(None), l], &reference_config()).unwrap_err();
        assert!(buf.is_empty(), "nothing may be written on error");
        err
    };
    let mut l = reference_line(None);
    l.cpr = None;
    assert!(matches!(check(l), PayrollError::MissingCpr { .. }));
    let mut l = reference_line(None);
    l.cpr = Some("12345".into());
    assert!(matches!(check(l), PayrollError::InvalidCpr { .. }));
    let mut l = reference_line(None);
    l.cpr = Some("0101901234".into());
    assert!(matches!(check(l), PayrollError::InconsistentCpr { .. }));
    let mut l = reference_line(None);
    l.tf_code = "310-4".into();
    assert!(matches!(check(l), PayrollError::InvalidTfCode { .. }));
    let mut l = reference_line(None);
    l.tf_code = "66 6".into();
    assert!(matches!(check(l), PayrollError::InvalidTfCode { .. }));
    let mut l = reference_line(None);
    l.account = Some("12345678901234".into());
    assert!(matches!(check(l), PayrollError::InvalidAccount { .. }));
    let mut l = reference_line(None);
    l.distance_m = -10;
    assert!(matches!(check(l), PayrollError::NegativeDistance { .. }));
    // 123.5 km already in the group; 9876.5 km more -> 10,000.00 km
    let mut l = reference_line(None);
    l.distance_m = 9_876_500;
    assert!(matches!(check(l), PayrollError::DistanceOverflow { .. }));
}

#[test]
fn largest_distance_fits() {
    let mut l = reference_line(None);
    l.distance_m = 9_999_999;
    let (text, _) = write(&[l], &reference_config());
    assert_eq!(&text[23..29], "999999");
}

#[test]
fn config_is_validated() {
    let mut c = reference_config();
    c.municipality_number = 10_000;
    assert!(matches!(
        build_records([reference_line(None)], &c),
        Err(PayrollError::Config(_))
    ));
    let c = Ind01Config::new(123, 10, 0);
    assert!(matches!(
        build_records([reference_line(None)], &c),
        Err(PayrollError::Config(_))
    ));
    let mut c = reference_config();
    c.header = Some("a\r\nb".into());
    assert!(matches!(
        build_records([reference_line(None)], &c),
        Err(PayrollError::Config(_))
    ));
}
