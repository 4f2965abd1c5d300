//! Mileage allowance (kørselsgodtgørelse) rules: rates, home deductions,
//! the 4‑km rule, the Norddjurs variant, the 20,000 km split and pricing.
//!
//! Pipeline for one person:
//! 1. per report: [`trip_distance`] (metres; home–work / border deduction,
//!    Norddjurs, round trip);
//! 2. per person per day: [`four_km_day_deductions`] / [`apply_four_km_day`];
//! 3. metres → 10‑m units: [`metres_to_units`] (half‑up, the only distance
//!    rounding; see [`units`]);
//! 4. per person × employer × year: [`price_reports`] (20,000 km split,
//!    calls [`compute_allowance`] per report; amounts rounded half‑up to
//!    whole øre per line).
//!
//! [`ledger::price_person`] runs steps 2–4 over all reports of a person and
//! holds the recompute policy (which reports count, which are frozen, how
//! drafts are previewed).

pub mod distance;
pub mod four_km;
pub mod ledger;
pub mod rates;
pub mod threshold;
pub mod units;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::ids::ReportId;

pub use self::distance::{
    trip_distance, DistanceMode, HomeRule, HomeWorkDistance, TripDistance, TripInput,
};
pub use self::four_km::{
    apply_four_km_day, four_km_day_deductions, FourKmDayEntry, FOUR_KM_PER_DAY_M,
};
pub use self::ledger::{price_person, FrozenReport, LedgerReport, PricedFigures};
pub use self::rates::{
    placeholder_tf_code, rate_for, require_rate, seed_rates, validate_rate_table, RateKind,
    RatePeriod,
};
pub use self::threshold::{price_reports, PricedReport, YearReport, HIGH_RATE_LIMIT_UNITS};
pub use self::units::{amount_ore, format_km, metres_to_units};

/// Errors of the allowance rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AllowanceError {
    #[error("no {kind} rate configured for drive date {date}")]
    NoRate { kind: RateKind, date: NaiveDate },
    #[error("rate periods for {kind} overlap on {date}")]
    OverlappingRates { kind: RateKind, date: NaiveDate },
    #[error("invalid {kind} rate period starting {valid_from}")]
    InvalidRatePeriod {
        kind: RateKind,
        valid_from: NaiveDate,
    },
    #[error("unknown rate kind {0:?}")]
    UnknownRateKind(String),
    #[error("distance {0} must not be negative")]
    NegativeDistance(&'static str),
    #[error("the 4-km rule is not enabled for the employment's organisational unit")]
    FourKmRuleNotAllowed,
    #[error("report {0} passed twice")]
    DuplicateReport(ReportId),
}

/// One payroll line of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceLine {
    pub rate_kind: RateKind,
    pub tf_code: String,
    /// Distance in 10‑m units (0.01 km); `km = distance_units / 100`.
    pub distance_units: i64,
    pub ore_per_km: i64,
    /// `distance_units × ore_per_km / 100`, rounded half‑up to whole øre.
    pub amount_ore: i64,
    /// The rate used is flagged unverified in the rate table.
    pub unverified_rate: bool,
}

fn line(
    rates: &[RatePeriod],
    kind: RateKind,
    date: NaiveDate,
    units: i64,
) -> Result<AllowanceLine, AllowanceError> {
    let rate = require_rate(rates, kind, date)?;
    Ok(AllowanceLine {
        rate_kind: kind,
        tf_code: rate.tf_code.clone(),
        distance_units: units,
        ore_per_km: rate.ore_per_km,
        amount_ore: amount_ore(units, rate.ore_per_km),
        unverified_rate: rate.unverified,
    })
}

/// Price one report of `distance_units` (10‑m units) at `kind` on
/// `drive_date`, given the high‑rate units already counted this year for the
/// person × employer (`high_units_used_before`, see [`price_reports`]).
///
/// - `CarHigh`: up to the remaining `HIGH_RATE_LIMIT_UNITS − used` at
///   `CarHigh`, the rest as a `CarHighAbove20k` line (both rates of the drive
///   date). Lines with 0 km are omitted, except that a 0‑km report yields
///   one 0‑km line of its own kind.
/// - any other kind: one line.
pub fn compute_allowance(
    rates: &[RatePeriod],
    kind: RateKind,
    drive_date: NaiveDate,
    distance_units: i64,
    high_units_used_before: i64,
) -> Result<Vec<AllowanceLine>, AllowanceError> {
    if distance_units < 0 {
        return Err(AllowanceError::NegativeDistance("distance_units"));
    }
    if kind != RateKind::CarHigh || distance_units == 0 {
        return Ok(vec![line(rates, kind, drive_date, distance_units)?]);
    }
    let available = (HIGH_RATE_LIMIT_UNITS - high_units_used_before.max(0)).max(0);
    let high = distance_units.min(available);
    let above = distance_units - high;
    let mut lines = Vec::with_capacity(2);
    if high > 0 {
        lines.push(line(rates, RateKind::CarHigh, drive_date, high)?);
    }
    if above > 0 {
        lines.push(line(rates, RateKind::CarHighAbove20k, drive_date, above)?);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::units::km;
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn standard(home_work_km: i64) -> HomeRule {
        HomeRule::Standard {
            home_work: HomeWorkDistance {
                override_m: None,
                route_m: km(home_work_km),
            },
        }
    }

    /// Full pipeline for one report alone on its day and first in its year.
    fn price_single(input: TripInput, kind: RateKind, date: NaiveDate) -> (i64, i64) {
        let t = trip_distance(&input).unwrap();
        let metres = apply_four_km_day(&[FourKmDayEntry {
            distance_m: t.distance_m,
            four_km_rule: t.four_km_rule,
            frozen_deducted_m: None,
        }])[0];
        let units = metres_to_units(metres);
        let lines = compute_allowance(&seed_rates(), kind, date, units, 0).unwrap();
        (units, lines.iter().map(|l| l.amount_ore).sum())
    }

    fn input(driven_m: i64, s: bool, e: bool, rt: bool, rule: HomeRule) -> TripInput {
        TripInput {
            mode: DistanceMode::Calculated,
            driven_m,
            starts_at_home: s,
            ends_at_home: e,
            round_trip: rt,
            home_rule: rule,
            org_unit_allows_four_km: true,
        }
    }

    #[test]
    fn worked_examples_to_the_ore() {
        let four = |border_km: i64| HomeRule::FourKm {
            border_from_person_m: km(border_km),
            border_from_report_m: None,
        };
        let nd = |work_km: i64| HomeRule::Norddjurs {
            work_route_m: km(work_km),
            home_work: HomeWorkDistance {
                override_m: None,
                route_m: km(10),
            },
        };
        use RateKind::*;
        // (name, input, kind, date, expected units, expected øre)
        let cases: Vec<(&str, TripInput, RateKind, NaiveDate, i64, i64)> = vec![
            // PAV (danish-rules §6.2), lav takst 2024 = 2.23 kr/km
            (
                "PAV 1",
                input(km(20), true, true, false, standard(20)),
                CarLow,
                d(2024, 5, 1),
                0,
                0,
            ),
            (
                "PAV 2a",
                input(km(80), true, true, false, standard(20)),
                CarLow,
                d(2024, 5, 1),
                4_000,
                8_920,
            ),
            (
                "PAV 2b",
                input(km(80), true, true, false, standard(20)),
                CarLow,
                d(2024, 5, 1),
                4_000,
                8_920,
            ),
            (
                "PAV 2c",
                input(km(60), true, true, false, standard(20)),
                CarLow,
                d(2024, 5, 1),
                2_000,
                4_460,
            ),
            (
                "PAV 3a",
                input(km(200), true, true, false, standard(90)),
                CarLow,
                d(2024, 5, 1),
                2_000,
                4_460,
            ),
            (
                "PAV 3b",
                input(km(200), true, true, false, standard(90)),
                CarLow,
                d(2024, 5, 1),
                2_000,
                4_460,
            ),
            (
                "PAV 3c",
                input(km(100), true, true, false, standard(90)),
                CarLow,
                d(2024, 5, 1),
                0,
                0,
            ),
            // OS2 4-km vectors, høj takst 2026 = 3.94 kr/km
            (
                "4-km first trip 36 km",
                input(km(42), true, false, false, four(2)),
                CarHigh,
                d(2026, 3, 2),
                3_600,
                14_184,
            ),
            (
                "4-km round trip 76 km",
                input(km(42), true, false, true, four(2)),
                CarHigh,
                d(2026, 3, 2),
                7_600,
                29_944,
            ),
            // OS2 ReimbursementCalculatorTest, other vectors (42 km, home-work 10 km, border 2)
            (
                "OS2 read: 42 - 4 = 38 km",
                TripInput {
                    mode: DistanceMode::Read,
                    ..input(km(42), false, false, false, four(2))
                },
                CarHigh,
                d(2026, 3, 2),
                3_800,
                14_972,
            ),
            (
                "OS2 round trip doubles: 84 km",
                input(km(42), false, false, true, standard(10)),
                CarHigh,
                d(2026, 3, 2),
                8_400,
                33_096,
            ),
            (
                "OS2 starts at home: 42 - 10 = 32 km",
                input(km(42), true, false, false, standard(10)),
                CarHigh,
                d(2026, 3, 2),
                3_200,
                12_608,
            ),
            (
                "OS2 starts and ends at home: 42 - 20 = 22 km",
                input(km(42), true, true, false, standard(10)),
                CarHigh,
                d(2026, 3, 2),
                2_200,
                8_668,
            ),
            // Norddjurs (os2 §4.4), lav takst 2023 = 2.19 kr/km
            (
                "Norddjurs 14 vs 9",
                input(km(14), true, false, false, nd(9)),
                CarLow,
                d(2023, 8, 1),
                900,
                1_971,
            ),
            (
                "Norddjurs 5 vs 12",
                input(km(5), true, false, false, nd(12)),
                CarLow,
                d(2023, 8, 1),
                500,
                1_095,
            ),
            // bicycle, 2022 before and after 1 May, 12.345 km -> 12.35 km
            (
                "bike 2022-04-30",
                input(12_345, false, false, false, standard(0)),
                Bicycle,
                d(2022, 4, 30),
                1_235,
                679,
            ),
            (
                "bike 2022-05-01",
                input(12_345, false, false, false, standard(0)),
                Bicycle,
                d(2022, 5, 1),
                1_235,
                704,
            ),
        ];
        for (name, inp, kind, date, units, ore) in cases {
            assert_eq!(price_single(inp, kind, date), (units, ore), "{name}");
        }
    }

    #[test]
    fn four_km_worked_example_day_and_standard_alternative() {
        // danish-rules §6.5: border 6 km, A 27 km from home, B 15 km to home.
        // 4-km rule: 17 + 9 = 26 km; standard (home-work 10): 17 + 5 = 22 km.
        let rates = seed_rates();
        let date = d(2026, 4, 14);
        let price_day = |rule: HomeRule| -> (i64, i64) {
            let a = trip_distance(&input(km(27), true, false, false, rule)).unwrap();
            let b = trip_distance(&input(km(15), false, true, false, rule)).unwrap();
            let metres = apply_four_km_day(&[
                FourKmDayEntry {
                    distance_m: a.distance_m,
                    four_km_rule: a.four_km_rule,
                    frozen_deducted_m: None,
                },
                FourKmDayEntry {
                    distance_m: b.distance_m,
                    four_km_rule: b.four_km_rule,
                    frozen_deducted_m: None,
                },
            ]);
            let reports: Vec<YearReport> = metres
                .iter()
                .enumerate()
                .map(|(i, m)| YearReport {
                    report_id: ReportId(i as i64 + 1),
                    drive_date: date,
                    rate_kind: RateKind::CarLow,
                    distance_units: metres_to_units(*m),
                    frozen_lines: None,
                })
                .collect();
            let priced = price_reports(&rates, &reports).unwrap();
            (
                reports.iter().map(|r| r.distance_units).sum(),
                priced.iter().map(|p| p.amount_ore()).sum(),
            )
        };
        let four = HomeRule::FourKm {
            border_from_person_m: km(6),
            border_from_report_m: None,
        };
        // 26 km x 2.28 = 59.28 kr ; 22 km x 2.28 = 50.16 kr
        assert_eq!(price_day(four), (2_600, 5_928));
        assert_eq!(price_day(standard(10)), (2_200, 5_016));
    }

    #[test]
    fn compute_allowance_lines_carry_rate_metadata() {
        let rates = seed_rates();
        let lines = compute_allowance(&rates, RateKind::CarLow, d(2026, 1, 1), 100, 0).unwrap();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].unverified_rate);
        assert_eq!(lines[0].tf_code, "PLACEHOLDER-TF-CAR-LOW");
        let lines =
            compute_allowance(&rates, RateKind::CarHigh, d(2026, 1, 1), 100, 1_999_950).unwrap();
        assert_eq!(
            lines
                .iter()
                .map(|l| (
                    l.rate_kind,
                    l.distance_units,
                    l.tf_code.as_str(),
                    l.amount_ore
                ))
                .collect::<Vec<_>>(),
            vec![
                (RateKind::CarHigh, 50, "PLACEHOLDER-TF-CAR-HIGH", 197),
                (
                    RateKind::CarHighAbove20k,
                    50,
                    "PLACEHOLDER-TF-CAR-HIGH-OVER-20K",
                    114
                ),
            ]
        );
        assert!(compute_allowance(&rates, RateKind::CarHigh, d(2026, 1, 1), -1, 0).is_err());
    }
}
