//! The 20,000 km rule (`danish-rules.md` §4, §5.2).
//!
//! # Policy
//!
//! - **Scope**: one person × one employer (CVR; a municipality is one
//!   employer even with several employments) × one **calendar year of the
//!   drive date**. The caller passes the reports of one person × employer;
//!   [`price_reports`] groups them by `drive_date.year()` itself, so the
//!   counter restarts at 0 on 1 January.
//! - **What counts**: only km priced at [`RateKind::CarHigh`] (høj takst).
//!   Lav takst, bicycle and the above‑20k rate never count (lav takst is
//!   numerically the above‑20k rate, so not counting it is never more than
//!   the tax‑free ceiling allows).
//! - **Counted reports**: the caller passes every *non‑rejected* report that
//!   has a final distance (pending, approved, exported). Rejected reports
//!   (also rejected after export) are simply not passed and leave the
//!   counter. Drafts should not be passed.
//! - **Order**: by `(drive_date, report_id)` (sorted here; input order does
//!   not matter). Dates are local calendar dates (`NaiveDate`), so time of
//!   day, DST and midnight play no role.
//! - **Frozen reports**: a report with `frozen_lines` (exported to payroll)
//!   keeps its lines unchanged. All frozen high‑rate km of the year are
//!   subtracted from the 20,000 km budget **first, whatever their date**;
//!   the remaining budget is consumed by the non‑frozen reports in order.
//!   So Σ high‑rate km of the year never exceeds 20,000 km (unless frozen
//!   lines alone already do), and a late‑approved earlier trip re‑prices the
//!   later *non‑frozen* trips only. Without frozen reports this is exactly
//!   "recompute in drive‑date order".
//! - **Split**: a `CarHigh` report crossing the limit yields a `CarHigh` line
//!   for the km up to 20,000 km and a `CarHighAbove20k` line for the rest,
//!   both at the rates valid on the report's drive date (2022: the counter
//!   continues across 1 May, the rate follows the drive date). Each line's
//!   amount is rounded half‑up to whole øre separately.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

use super::rates::{RateKind, RatePeriod};
use super::{compute_allowance, AllowanceError, AllowanceLine};
use crate::domain::ids::ReportId;

/// 20,000 km in 10‑m units.
pub const HIGH_RATE_LIMIT_UNITS: i64 = 2_000_000;

/// One counted report of the person × employer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearReport {
    /// Stable tiebreak within a drive date.
    pub report_id: ReportId,
    pub drive_date: NaiveDate,
    /// Rate kind the report is entitled to (CarHigh with a bemyndigelse).
    pub rate_kind: RateKind,
    /// Final reimbursable distance in 10‑m units.
    pub distance_units: i64,
    /// Lines already exported to payroll; kept as is and counted.
    pub frozen_lines: Option<Vec<AllowanceLine>>,
}

/// Lines of one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedReport {
    pub report_id: ReportId,
    pub drive_date: NaiveDate,
    pub frozen: bool,
    /// High‑rate units of the year counted before this report (for
    /// non‑frozen reports: frozen units of the year + earlier non‑frozen).
    pub high_units_before: i64,
    pub lines: Vec<AllowanceLine>,
}

impl PricedReport {
    pub fn amount_ore(&self) -> i64 {
        self.lines.iter().map(|l| l.amount_ore).sum()
    }
}

fn high_units(lines: &[AllowanceLine]) -> i64 {
    lines
        .iter()
        .filter(|l| l.rate_kind.counts_toward_20k())
        .map(|l| l.distance_units)
        .sum()
}

/// Price all counted reports of one person × employer (any years). Output
/// sorted by `(drive_date, report_id)`. See the module docs for the policy.
pub fn price_reports(
    rates: &[RatePeriod],
    reports: &[YearReport],
) -> Result<Vec<PricedReport>, AllowanceError> {
    let mut seen = HashSet::new();
    for r in reports {
        if !seen.insert(r.report_id) {
            return Err(AllowanceError::DuplicateReport(r.report_id));
        }
    }
    let mut sorted: Vec<&YearReport> = reports.iter().collect();
    sorted.sort_by_key(|r| (r.drive_date, r.report_id));

    let mut frozen_by_year: BTreeMap<i32, i64> = BTreeMap::new();
    for r in &sorted {
        if let Some(lines) = &r.frozen_lines {
            *frozen_by_year.entry(r.drive_date.year()).or_default() += high_units(lines);
        }
    }
    // high-rate units counted so far per year (frozen ones counted up front)
    let mut used_by_year = frozen_by_year.clone();

    let mut out = Vec::with_capacity(sorted.len());
    for r in sorted {
        let used = used_by_year.entry(r.drive_date.year()).or_default();
        match &r.frozen_lines {
            Some(lines) => out.push(PricedReport {
                report_id: r.report_id,
                drive_date: r.drive_date,
                frozen: true,
                high_units_before: *used,
                lines: lines.clone(),
            }),
            None => {
                let lines =
                    compute_allowance(rates, r.rate_kind, r.drive_date, r.distance_units, *used)?;
                let before = *used;
                *used += high_units(&lines);
                out.push(PricedReport {
                    report_id: r.report_id,
                    drive_date: r.drive_date,
                    frozen: false,
                    high_units_before: before,
                    lines,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::rates::seed_rates;
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rep(id: i64, date: NaiveDate, kind: RateKind, units: i64) -> YearReport {
        YearReport {
            report_id: ReportId(id),
            drive_date: date,
            rate_kind: kind,
            distance_units: units,
            frozen_lines: None,
        }
    }

    /// (kind, units, øre/km, amount) per line
    fn summary(p: &PricedReport) -> Vec<(RateKind, i64, i64, i64)> {
        p.lines
            .iter()
            .map(|l| (l.rate_kind, l.distance_units, l.ore_per_km, l.amount_ore))
            .collect()
    }

    use RateKind::*;

    #[test]
    fn reference_example_19980_plus_50_in_2026() {
        let rates = seed_rates();
        let reports = [
            rep(1, d(2026, 3, 1), CarHigh, 1_998_000),
            rep(2, d(2026, 11, 2), CarHigh, 5_000),
        ];
        let priced = price_reports(&rates, &reports).unwrap();
        assert_eq!(priced[1].high_units_before, 1_998_000);
        assert_eq!(
            summary(&priced[1]),
            vec![
                (CarHigh, 2_000, 394, 7_880),
                (CarHighAbove20k, 3_000, 228, 6_840)
            ]
        );
        assert_eq!(priced[1].amount_ore(), 14_720); // 20 x 3.94 + 30 x 2.28 = 147.20 kr
    }

    #[test]
    fn split_edge_cases_table() {
        let rates = seed_rates();
        // (name, already used units, trip units, expected lines)
        type Case = (&'static str, i64, i64, Vec<(RateKind, i64, i64, i64)>);
        let cases: Vec<Case> = vec![
            (
                "19,999.99 + 0.02 km",
                1_999_999,
                2,
                vec![(CarHigh, 1, 394, 4), (CarHighAbove20k, 1, 228, 2)],
            ),
            (
                "reaches exactly 20,000",
                1_995_000,
                5_000,
                vec![(CarHigh, 5_000, 394, 19_700)],
            ),
            (
                "starts at exactly 20,000",
                2_000_000,
                1_000,
                vec![(CarHighAbove20k, 1_000, 228, 2_280)],
            ),
            ("far below", 0, 4_200, vec![(CarHigh, 4_200, 394, 16_548)]),
            ("zero km", 0, 0, vec![(CarHigh, 0, 394, 0)]),
            (
                "zero km past limit",
                2_100_000,
                0,
                vec![(CarHigh, 0, 394, 0)],
            ),
        ];
        for (name, used, units, want) in cases {
            let mut reports = vec![];
            if used > 0 {
                reports.push(rep(1, d(2026, 1, 2), CarHigh, used));
            }
            reports.push(rep(2, d(2026, 6, 1), CarHigh, units));
            let priced = price_reports(&rates, &reports).unwrap();
            assert_eq!(summary(priced.last().unwrap()), want, "{name}");
        }
    }

    #[test]
    fn counter_restarts_at_year_end() {
        let rates = seed_rates();
        let reports = [
            rep(1, d(2025, 12, 31), CarHigh, 1_999_000),
            rep(2, d(2025, 12, 31), CarHigh, 5_000), // 10 km high + 40 km above
            rep(3, d(2026, 1, 1), CarHigh, 5_000),   // new year: all high
        ];
        let p = price_reports(&rates, &reports).unwrap();
        assert_eq!(
            summary(&p[1]),
            vec![
                (CarHigh, 1_000, 381, 3_810),
                (CarHighAbove20k, 4_000, 223, 8_920)
            ]
        );
        assert_eq!(p[2].high_units_before, 0);
        assert_eq!(summary(&p[2]), vec![(CarHigh, 5_000, 394, 19_700)]);
    }

    #[test]
    fn both_2022_periods_rate_by_drive_date_counter_continues() {
        let rates = seed_rates();
        // crossing on 30 April: old rates
        let reports = [
            rep(1, d(2022, 1, 10), CarHigh, 1_998_000),
            rep(2, d(2022, 4, 30), CarHigh, 5_000),
        ];
        let p = price_reports(&rates, &reports).unwrap();
        assert_eq!(
            summary(&p[1]),
            vec![
                (CarHigh, 2_000, 351, 7_020),
                (CarHighAbove20k, 3_000, 198, 5_940)
            ]
        );
        // crossing on 1 May: new rates, km driven before 1 May still count
        let reports = [
            rep(1, d(2022, 4, 30), CarHigh, 1_998_000),
            rep(2, d(2022, 5, 1), CarHigh, 5_000),
            rep(3, d(2022, 5, 2), CarHigh, 100),
        ];
        let p = price_reports(&rates, &reports).unwrap();
        assert_eq!(summary(&p[0]), vec![(CarHigh, 1_998_000, 351, 7_012_980)]);
        assert_eq!(
            summary(&p[1]),
            vec![
                (CarHigh, 2_000, 370, 7_400),
                (CarHighAbove20k, 3_000, 217, 6_510)
            ]
        );
        assert_eq!(summary(&p[2]), vec![(CarHighAbove20k, 100, 217, 217)]);
    }

    #[test]
    fn ordering_by_date_then_id_dst_and_midnight_irrelevant() {
        let rates = seed_rates();
        // DST change days (29 Mar / 25 Oct 2026) are ordinary dates; input
        // order is irrelevant, ties on a date break by report id.
        let reports = [
            rep(30, d(2026, 10, 25), CarHigh, 2_000),
            rep(20, d(2026, 3, 29), CarHigh, 1_999_000),
            rep(10, d(2026, 10, 25), CarHigh, 2_000),
        ];
        let p = price_reports(&rates, &reports).unwrap();
        let ids: Vec<i64> = p.iter().map(|r| r.report_id.0).collect();
        assert_eq!(ids, vec![20, 10, 30]);
        assert_eq!(
            summary(&p[1]),
            vec![
                (CarHigh, 1_000, 394, 3_940),
                (CarHighAbove20k, 1_000, 228, 2_280)
            ]
        );
        assert_eq!(summary(&p[2]), vec![(CarHighAbove20k, 2_000, 228, 4_560)]);
        // 31 Dec vs 1 Jan: a trip's calendar date decides the year, nothing else
        let reports = [
            rep(1, d(2025, 12, 31), CarHigh, 2_000_000),
            rep(2, d(2026, 1, 1), CarHigh, 1),
        ];
        let p = price_reports(&rates, &reports).unwrap();
        assert_eq!(summary(&p[1]), vec![(CarHigh, 1, 394, 4)]);
    }

    #[test]
    fn late_approved_earlier_trip_reprices_later_ones() {
        let rates = seed_rates();
        let mut reports = vec![
            rep(1, d(2026, 2, 1), CarHigh, 1_999_000),
            rep(3, d(2026, 9, 1), CarHigh, 1_000),
        ];
        let p = price_reports(&rates, &reports).unwrap();
        assert_eq!(summary(&p[1]), vec![(CarHigh, 1_000, 394, 3_940)]);
        // trip 2 in June approved late: it now takes the remaining budget first
        reports.push(rep(2, d(2026, 6, 1), CarHigh, 1_500));
        let p = price_reports(&rates, &reports).unwrap();
        assert_eq!(
            summary(&p[1]),
            vec![
                (CarHigh, 1_000, 394, 3_940),
                (CarHighAbove20k, 500, 228, 1_140)
            ]
        );
        assert_eq!(summary(&p[2]), vec![(CarHighAbove20k, 1_000, 228, 2_280)]);
        // trip 1 rejected: not passed in, budget returns
        let p = price_reports(&rates, &reports[1..]).unwrap();
        assert!(p
            .iter()
            .all(|r| r.lines.len() == 1 && r.lines[0].rate_kind == CarHigh));
    }

    #[test]
    fn frozen_reports_keep_lines_and_are_counted_first() {
        let rates = seed_rates();
        let exported = compute_allowance(&rates, CarHigh, d(2026, 9, 1), 1_995_000, 0).unwrap();
        let reports = vec![
            // earlier trip approved after the September one was exported
            rep(1, d(2026, 3, 1), CarHigh, 10_000),
            YearReport {
                frozen_lines: Some(exported.clone()),
                ..rep(2, d(2026, 9, 1), CarHigh, 1_995_000)
            },
            rep(3, d(2026, 10, 1), CarHigh, 1_000),
        ];
        let p = price_reports(&rates, &reports).unwrap();
        assert_eq!(p[0].high_units_before, 1_995_000);
        assert_eq!(
            summary(&p[0]),
            vec![
                (CarHigh, 5_000, 394, 19_700),
                (CarHighAbove20k, 5_000, 228, 11_400)
            ]
        );
        assert!(p[1].frozen);
        assert_eq!(p[1].lines, exported);
        assert_eq!(summary(&p[2]), vec![(CarHighAbove20k, 1_000, 228, 2_280)]);
        let total_high: i64 = p.iter().map(|r| high_units(&r.lines)).sum();
        assert_eq!(total_high, HIGH_RATE_LIMIT_UNITS);
    }

    #[test]
    fn only_high_rate_counts() {
        let rates = seed_rates();
        let reports = [
            rep(1, d(2026, 1, 5), CarLow, 2_500_000),
            rep(2, d(2026, 1, 6), Bicycle, 100_000),
            rep(3, d(2026, 1, 7), CarHighAbove20k, 1_000),
            rep(4, d(2026, 1, 8), CarHigh, 1_000),
        ];
        let p = price_reports(&rates, &reports).unwrap();
        assert_eq!(summary(&p[0]), vec![(CarLow, 2_500_000, 228, 5_700_000)]);
        assert_eq!(summary(&p[1]), vec![(Bicycle, 100_000, 64, 64_000)]);
        assert_eq!(summary(&p[2]), vec![(CarHighAbove20k, 1_000, 228, 2_280)]);
        assert_eq!(p[3].high_units_before, 0);
        assert_eq!(summary(&p[3]), vec![(CarHigh, 1_000, 394, 3_940)]);
    }

    #[test]
    fn invariants_over_a_generated_year() {
        // deterministic pseudo-random sequence (LCG), some reports frozen
        let rates = seed_rates();
        let mut seed: u64 = 42;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            seed >> 33
        };
        let mut reports = Vec::new();
        let mut frozen_high = 0;
        for id in 0..400i64 {
            let date = d(2026, 1, 1) + chrono::Days::new(next() % 365);
            let units = (next() % 20_000) as i64;
            let mut r = rep(id, date, CarHigh, units);
            if next() % 10 == 0 && frozen_high + units <= HIGH_RATE_LIMIT_UNITS {
                frozen_high += units;
                r.frozen_lines = Some(compute_allowance(&rates, CarHigh, date, units, 0).unwrap());
            }
            reports.push(r);
        }
        let priced = price_reports(&rates, &reports).unwrap();
        let mut total_high = 0;
        let mut prev = (d(2000, 1, 1), ReportId(0));
        for p in &priced {
            assert!((p.drive_date, p.report_id) > prev);
            prev = (p.drive_date, p.report_id);
            let src = reports.iter().find(|r| r.report_id == p.report_id).unwrap();
            let units: i64 = p.lines.iter().map(|l| l.distance_units).sum();
            assert_eq!(units, src.distance_units);
            assert!(p.lines.len() <= 2);
            total_high += high_units(&p.lines);
        }
        assert_eq!(total_high, HIGH_RATE_LIMIT_UNITS);
    }

    #[test]
    fn errors() {
        let rates = seed_rates();
        let dup = [
            rep(1, d(2026, 1, 1), CarHigh, 1),
            rep(1, d(2026, 1, 2), CarHigh, 1),
        ];
        assert_eq!(
            price_reports(&rates, &dup),
            Err(AllowanceError::DuplicateReport(ReportId(1)))
        );
        let no_rate = [rep(1, d(2021, 1, 1), CarHigh, 1)];
        assert!(matches!(
            price_reports(&rates, &no_rate),
            Err(AllowanceError::NoRate { .. })
        ));
        let neg = [rep(1, d(2026, 1, 1), CarHigh, -1)];
        assert!(matches!(
            price_reports(&rates, &neg),
            Err(AllowanceError::NegativeDistance(_))
        ));
    }
}
