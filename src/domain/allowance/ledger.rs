//! Re-pricing all reports of one person: the 4 km/day share and the 20,000 km split together.
//!
//! # Recompute policy
//!
//! The amount of a report depends on the person's other reports: the 4 km of a day are shared
//! by that day's 4‑km reports ([`super::four_km`]), and the 20,000 high‑rate km of a year are
//! consumed in drive‑date order ([`super::threshold`]). So whenever a report is created, edited,
//! submitted, approved, rejected, deleted or changes its date or distance, **every report of the
//! person in the affected calendar years is re‑priced in the same transaction** with
//! [`price_person`], and each report whose figures changed gets a system event in its audit
//! trail. Concretely:
//!
//! - **Counted** reports (pending, approved, exported) are priced together: the 4 km of each day
//!   go to that day's counted 4‑km reports in report‑id (creation) order; the 20,000 km are
//!   consumed in `(drive_date, report_id)` order per calendar year.
//! - **Frozen** reports (exported to payroll) are never changed: their lines and 4‑km share are
//!   taken as recorded and counted first (see the two modules).
//! - **Previews** (drafts and rejected reports) do not count: each is priced as if it were
//!   added to the counted reports on its own (`counted ∪ {preview}`), so it shows what it would
//!   be paid if submitted now, without taking anything from the counted ones.
//!
//! A late‑approved or late‑submitted earlier trip therefore re‑prices the later, not yet exported
//! trips; a rejected or deleted trip gives its 4 km and its high‑rate km back to the others.
//! The scope is one person: one korsel installation serves one employer (a municipality), so all
//! of a person's employments share one 20,000 km counter.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use super::four_km::{four_km_day_deductions, FourKmDayEntry};
use super::rates::{RateKind, RatePeriod};
use super::threshold::{price_reports, YearReport};
use super::units::metres_to_units;
use super::{AllowanceError, AllowanceLine};
use crate::domain::ids::ReportId;

/// What [`price_person`] needs of one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerReport {
    pub report_id: ReportId,
    pub drive_date: NaiveDate,
    /// The kind the report is entitled to (never `CarHighAbove20k`: the split makes that).
    pub rate_kind: RateKind,
    /// `TripDistance::distance_m`: after the home deduction and round‑trip doubling, before the
    /// day's 4 km.
    pub distance_m: i64,
    pub four_km_rule: bool,
    /// Pending, approved or exported.
    pub counted: bool,
    /// Exported: kept exactly as recorded.
    pub frozen: Option<FrozenReport>,
}

/// The recorded figures of an exported report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenReport {
    pub four_km_deduction_m: i64,
    pub lines: Vec<AllowanceLine>,
}

/// The figures of one report after re‑pricing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedFigures {
    pub report_id: ReportId,
    pub four_km_deduction_m: i64,
    /// Whole metres: `distance_m − four_km_deduction_m`, never below 0.
    pub reimbursable_m: i64,
    pub lines: Vec<AllowanceLine>,
}

impl PricedFigures {
    pub fn amount_ore(&self) -> i64 {
        self.lines.iter().map(|l| l.amount_ore).sum()
    }
}

/// Prices a set of reports that all count (4 km per day, then the 20,000 km per year).
fn price_counted(
    rates: &[RatePeriod],
    reports: &[&LedgerReport],
) -> Result<HashMap<ReportId, PricedFigures>, AllowanceError> {
    let mut days: BTreeMap<NaiveDate, Vec<&LedgerReport>> = BTreeMap::new();
    for r in reports {
        days.entry(r.drive_date).or_default().push(r);
    }
    let mut reimbursable: HashMap<ReportId, (i64, i64)> = HashMap::new();
    for day in days.values_mut() {
        day.sort_by_key(|r| r.report_id);
        let entries: Vec<FourKmDayEntry> = day
            .iter()
            .map(|r| FourKmDayEntry {
                distance_m: r.distance_m,
                four_km_rule: r.four_km_rule,
                frozen_deducted_m: r.frozen.as_ref().map(|f| f.four_km_deduction_m),
            })
            .collect();
        for (r, deducted) in day.iter().zip(four_km_day_deductions(&entries)) {
            reimbursable.insert(r.report_id, (deducted, (r.distance_m - deducted).max(0)));
        }
    }
    let year_reports: Vec<YearReport> = reports
        .iter()
        .map(|r| YearReport {
            report_id: r.report_id,
            drive_date: r.drive_date,
            rate_kind: r.rate_kind,
            distance_units: metres_to_units(reimbursable[&r.report_id].1),
            frozen_lines: r.frozen.as_ref().map(|f| f.lines.clone()),
        })
        .collect();
    Ok(price_reports(rates, &year_reports)?
        .into_iter()
        .map(|p| {
            let (four_km_deduction_m, reimbursable_m) = reimbursable[&p.report_id];
            let figures = PricedFigures {
                report_id: p.report_id,
                four_km_deduction_m,
                reimbursable_m,
                lines: p.lines,
            };
            (p.report_id, figures)
        })
        .collect())
}

/// Prices every report of one person (any years, any statuses) by the policy in the module
/// docs. The result has one entry per input report, in input order.
pub fn price_person(
    rates: &[RatePeriod],
    reports: &[LedgerReport],
) -> Result<Vec<PricedFigures>, AllowanceError> {
    let counted: Vec<&LedgerReport> = reports.iter().filter(|r| r.counted).collect();
    let mut priced = price_counted(rates, &counted)?;
    for preview in reports.iter().filter(|r| !r.counted) {
        let mut with_preview = counted.clone();
        with_preview.push(preview);
        let mut alone = price_counted(rates, &with_preview)?;
        let figures = alone
            .remove(&preview.report_id)
            .ok_or(AllowanceError::DuplicateReport(preview.report_id))?;
        if priced.insert(preview.report_id, figures).is_some() {
            return Err(AllowanceError::DuplicateReport(preview.report_id));
        }
    }
    reports
        .iter()
        .map(|r| {
            priced
                .get(&r.report_id)
                .cloned()
                .ok_or(AllowanceError::DuplicateReport(r.report_id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::compute_allowance;
    use super::super::rates::seed_rates;
    use super::super::units::km;
    use super::*;
    use chrono::Datelike;
    use RateKind::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rep(id: i64, date: NaiveDate, kind: RateKind, metres: i64, counted: bool) -> LedgerReport {
        LedgerReport {
            report_id: ReportId(id),
            drive_date: date,
            rate_kind: kind,
            distance_m: metres,
            four_km_rule: false,
            counted,
            frozen: None,
        }
    }

    fn four_km(mut r: LedgerReport) -> LedgerReport {
        r.four_km_rule = true;
        r
    }

    /// (four-km deduction, reimbursable m, amount øre) per report
    fn figures(p: &[PricedFigures]) -> Vec<(i64, i64, i64)> {
        p.iter()
            .map(|f| (f.four_km_deduction_m, f.reimbursable_m, f.amount_ore()))
            .collect()
    }

    #[test]
    fn os2_four_km_day_with_rejection_rebalancing() {
        // OS2 vectors: route 42, border 2 (already deducted: 40 before the 4 km).
        let rates = seed_rates();
        let day = d(2026, 3, 2);
        let mut reports = vec![
            four_km(rep(1, day, CarHigh, km(40), true)),
            four_km(rep(2, day, CarHigh, km(40), true)),
        ];
        // 36 km x 3.94 = 141.84 kr; 40 km x 3.94 = 157.60 kr
        assert_eq!(
            figures(&price_person(&rates, &reports).unwrap()),
            vec![(4_000, km(36), 14_184), (0, km(40), 15_760)]
        );
        // the first is rejected: the second now carries the day's 4 km; the rejected one
        // previews what it would get if resubmitted (first of the day again: the 4 km)
        reports[0].counted = false;
        assert_eq!(
            figures(&price_person(&rates, &reports).unwrap()),
            vec![(4_000, km(36), 14_184), (4_000, km(36), 14_184)]
        );
    }

    #[test]
    fn os2_vector_with_2_5_km_already_deducted_to_the_ore() {
        // 2.5 km already deducted that day; a 42 km trip from home, border 2: 42 - (2 + 1.5)
        let rates = seed_rates();
        let day = d(2026, 3, 2);
        let reports = vec![
            four_km(rep(1, day, CarHigh, 2_500, true)),
            four_km(rep(2, day, CarHigh, km(40), true)),
        ];
        // 38.50 km x 3.94 = 151.69 kr; the short report is paid nothing
        assert_eq!(
            figures(&price_person(&rates, &reports).unwrap()),
            vec![(2_500, 0, 0), (1_500, 38_500, 15_169)]
        );
    }

    #[test]
    fn trips_are_priced_by_their_danish_date_across_midnight_and_dst() {
        use crate::domain::org::copenhagen_date;
        let rates = seed_rates();
        let at = |s: &str| copenhagen_date(s.parse::<chrono::DateTime<chrono::Utc>>().unwrap());
        // (trip start in UTC, local date, øre for 10 km car_high as the year's first report)
        let cases = [
            // 23:30 UTC on 31 Dec is 00:30 on 1 Jan in Denmark: the new year's rate and counter
            ("2025-12-31T23:30:00Z", d(2026, 1, 1), 3_940),
            ("2025-12-31T22:59:00Z", d(2025, 12, 31), 3_810),
            // 30 April 22:30 UTC is 1 May 00:30 CEST: the raised 2022 rate
            ("2022-04-30T22:30:00Z", d(2022, 5, 1), 3_700),
            ("2022-04-30T21:59:00Z", d(2022, 4, 30), 3_510),
            // DST start and end days are ordinary dates
            ("2026-03-29T00:30:00Z", d(2026, 3, 29), 3_940),
            ("2026-10-24T22:30:00Z", d(2026, 10, 25), 3_940),
        ];
        for (instant, local, ore) in cases {
            let date = at(instant);
            assert_eq!(date, local, "{instant}");
            let mut year = vec![rep(2, date, CarHigh, km(10), true)];
            // the previous year's 20,000 km never spill over (rates are seeded from 2022)
            if date.year() > 2022 {
                year.push(rep(
                    1,
                    d(date.year() - 1, 12, 31),
                    CarHigh,
                    km(20_000),
                    true,
                ));
            }
            let p = price_person(&rates, &year).unwrap();
            assert_eq!(p[0].amount_ore(), ore, "{instant}");
        }
    }

    #[test]
    fn previews_do_not_consume_the_20000_km() {
        let rates = seed_rates();
        let reports = vec![
            rep(1, d(2026, 1, 5), CarHigh, km(19_980), true),
            // a draft before the later pending trip: previewed with the budget left on its date
            rep(2, d(2026, 2, 1), CarHigh, km(50), false),
            rep(3, d(2026, 3, 1), CarHigh, km(50), true),
        ];
        let p = price_person(&rates, &reports).unwrap();
        // the draft sees 20 km left: 20 x 3.94 + 30 x 2.28 = 147.20 kr
        assert_eq!(p[1].amount_ore(), 14_720);
        // the pending trip is not affected by the draft
        assert_eq!(p[2].amount_ore(), 14_720);
        // once submitted, the draft takes the 20 km and the later trip drops to the low rate
        let mut submitted = reports.clone();
        submitted[1].counted = true;
        let p = price_person(&rates, &submitted).unwrap();
        assert_eq!(p[1].amount_ore(), 14_720);
        assert_eq!(p[2].amount_ore(), 50 * 228);
    }

    #[test]
    fn exported_reports_keep_their_figures() {
        let rates = seed_rates();
        let day = d(2026, 5, 4);
        let exported_lines = compute_allowance(&rates, CarHigh, day, 3_000, 0).unwrap();
        let reports = vec![
            four_km(rep(1, day, CarHigh, km(30), true)),
            LedgerReport {
                frozen: Some(FrozenReport {
                    four_km_deduction_m: 3_000,
                    lines: exported_lines.clone(),
                }),
                ..four_km(rep(2, day, CarHigh, km(33), true))
            },
        ];
        let p = price_person(&rates, &reports).unwrap();
        // the exported report keeps 3 km of the day; the earlier one gets only 1 km
        assert_eq!(p[0].four_km_deduction_m, 1_000);
        assert_eq!(p[0].reimbursable_m, km(29));
        assert_eq!(p[1].four_km_deduction_m, 3_000);
        assert_eq!(p[1].lines, exported_lines);
    }

    #[test]
    fn result_follows_input_order_and_rounds_metres_once() {
        let rates = seed_rates();
        let reports = vec![
            rep(9, d(2026, 6, 2), Bicycle, 12_345, false),
            rep(3, d(2026, 6, 1), CarLow, 4_995, true),
        ];
        let p = price_person(&rates, &reports).unwrap();
        assert_eq!(p[0].report_id, ReportId(9));
        // 12,345 m -> 12.35 km x 0.64 = 7.904 kr -> 790 øre
        assert_eq!(p[0].lines[0].distance_units, 1_235);
        assert_eq!(p[0].amount_ore(), 790);
        // 4,995 m -> 5.00 km x 2.28 = 11.40 kr
        assert_eq!(p[1].amount_ore(), 1_140);
        assert_eq!(p[1].reimbursable_m, 4_995);
    }

    #[test]
    fn duplicate_ids_are_an_error() {
        let rates = seed_rates();
        let reports = vec![
            rep(1, d(2026, 6, 1), CarLow, 1_000, true),
            rep(1, d(2026, 6, 2), CarLow, 1_000, false),
        ];
        assert_eq!(
            price_person(&rates, &reports),
            Err(AllowanceError::DuplicateReport(ReportId(1)))
        );
    }
}
