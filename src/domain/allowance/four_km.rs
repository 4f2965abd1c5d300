//! The 4 km/day part of the 4‑km rule (OS2 `CalculateFourKmRuleForReport`
//! and the re‑balancing on delete/reject, `os2indberetning.md` §4.3).
//!
//! Policy:
//! - At most [`FOUR_KM_PER_DAY_M`] (4,000 m) per **person** per **calendar
//!   day** (the drive date), across all that person's non‑rejected reports
//!   of the day with the 4‑km rule (all employments together).
//! - The caller passes **all** the person's non‑rejected reports of the day
//!   in the day's order (OS2: creation order; recommended: the stable order
//!   the reports were driven/created in, tiebreak report id). Reports without
//!   the rule get 0. Rejected/deleted reports are simply not passed, which
//!   re‑balances the day.
//! - **Frozen** entries (exported to payroll) keep their recorded deduction,
//!   and it is subtracted from the day's 4 km **first, regardless of their
//!   position**, so the day never deducts more than 4 km in total and paid
//!   lines never change. The remaining allowance is then given in order:
//!   each report deducts `min(remaining, its distance)` (never below 0),
//!   the rest carries over to the next report.
//! - The 4 km is deducted after round‑trip doubling (OS2 vector: round trip
//!   `2×42 − (4 + 2×2) = 76`).

use serde::{Deserialize, Serialize};

/// 4 km in metres.
pub const FOUR_KM_PER_DAY_M: i64 = 4_000;

/// One report of the person's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FourKmDayEntry {
    /// `TripDistance::distance_m` (after border deduction and doubling).
    pub distance_m: i64,
    /// `TripDistance::four_km_rule`.
    pub four_km_rule: bool,
    /// Deduction recorded on an exported report (kept as is).
    pub frozen_deducted_m: Option<i64>,
}

/// 4 km deduction (metres) for each entry, same order as the input.
pub fn four_km_day_deductions(entries: &[FourKmDayEntry]) -> Vec<i64> {
    let frozen: i64 = entries
        .iter()
        .filter_map(|e| e.frozen_deducted_m)
        .map(|f| f.max(0))
        .sum();
    let mut remaining = (FOUR_KM_PER_DAY_M - frozen).max(0);
    entries
        .iter()
        .map(|e| match e.frozen_deducted_m {
            Some(f) => f.max(0),
            None if e.four_km_rule => {
                let take = remaining.min(e.distance_m.max(0));
                remaining -= take;
                take
            }
            None => 0,
        })
        .collect()
}

/// Final reimbursable metres of each entry: `distance − deduction`, ≥ 0.
pub fn apply_four_km_day(entries: &[FourKmDayEntry]) -> Vec<i64> {
    entries
        .iter()
        .zip(four_km_day_deductions(entries))
        .map(|(e, d)| (e.distance_m - d).max(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::distance::{trip_distance, DistanceMode, HomeRule, TripInput};
    use super::super::units::km;
    use super::*;

    fn e(distance_m: i64, rule: bool) -> FourKmDayEntry {
        FourKmDayEntry {
            distance_m,
            four_km_rule: rule,
            frozen_deducted_m: None,
        }
    }

    fn frozen(distance_m: i64, deducted: i64) -> FourKmDayEntry {
        FourKmDayEntry {
            distance_m,
            four_km_rule: true,
            frozen_deducted_m: Some(deducted),
        }
    }

    /// OS2 route 42 km, border 2 km, 4-km rule; returns the before-4km distance.
    fn os2_trip(starts: bool, round_trip: bool) -> i64 {
        trip_distance(&TripInput {
            mode: DistanceMode::Calculated,
            driven_m: km(42),
            starts_at_home: starts,
            ends_at_home: false,
            round_trip,
            home_rule: HomeRule::FourKm {
                border_from_person_m: km(2),
                border_from_report_m: None,
            },
            org_unit_allows_four_km: true,
        })
        .unwrap()
        .distance_m
    }

    #[test]
    fn os2_test_vectors() {
        // first report of the day starting at home: 42 - (4 + 2) = 36
        // second report the same day: 42 - 2 = 40
        let day = [
            e(os2_trip(true, false), true),
            e(os2_trip(true, false), true),
        ];
        assert_eq!(apply_four_km_day(&day), vec![km(36), km(40)]);

        // 2.5 km already deducted earlier that day: 42 - (2 + 1.5) = 38.5
        let day = [e(2_500, true), e(os2_trip(true, false), true)];
        assert_eq!(four_km_day_deductions(&day), vec![2_500, 1_500]);
        assert_eq!(apply_four_km_day(&day)[1], 38_500);
        // same with the earlier 2.5 km frozen (exported)
        let day = [frozen(km(10), 2_500), e(os2_trip(true, false), true)];
        assert_eq!(apply_four_km_day(&day)[1], 38_500);

        // round trip: 2x42 - (4 + 2x2) = 76
        let day = [e(os2_trip(true, true), true)];
        assert_eq!(apply_four_km_day(&day), vec![km(76)]);

        // Read: distance - 4 (no home legs)
        let day = [e(os2_trip(false, false), true)];
        assert_eq!(apply_four_km_day(&day), vec![km(38)]);
    }

    #[test]
    fn reference_worked_example_border_6() {
        // danish-rules.md §6.5: border 6 km; A home -> 3 citizens 27 km,
        // B last citizen -> home 15 km. A = 27-6-4 = 17, B = 15-6 = 9, total 26.
        let rule = HomeRule::FourKm {
            border_from_person_m: km(6),
            border_from_report_m: None,
        };
        let t = |driven: i64, s: bool, en: bool| {
            trip_distance(&TripInput {
                mode: DistanceMode::Calculated,
                driven_m: km(driven),
                starts_at_home: s,
                ends_at_home: en,
                round_trip: false,
                home_rule: rule,
                org_unit_allows_four_km: true,
            })
            .unwrap()
            .distance_m
        };
        let day = [e(t(27, true, false), true), e(t(15, false, true), true)];
        let got = apply_four_km_day(&day);
        assert_eq!(got, vec![km(17), km(9)]);
        assert_eq!(got.iter().sum::<i64>(), km(26));
    }

    #[test]
    fn day_rebalancing_table() {
        // (name, entries, expected deductions)
        let cases: Vec<(&str, Vec<FourKmDayEntry>, Vec<i64>)> = vec![
            ("empty day", vec![], vec![]),
            (
                "short first report carries the rest over",
                vec![e(1_000, true), e(km(10), true)],
                vec![1_000, 3_000],
            ),
            (
                "zero-length report takes nothing",
                vec![e(0, true), e(km(10), true)],
                vec![0, 4_000],
            ),
            (
                "three short reports",
                vec![e(1_500, true), e(1_500, true), e(1_500, true)],
                vec![1_500, 1_500, 1_000],
            ),
            (
                "reports without the rule get 0 and do not consume",
                vec![e(km(10), false), e(km(10), true)],
                vec![0, 4_000],
            ),
            (
                "first rejected (not passed): second gets all",
                vec![e(km(40), true)],
                vec![4_000],
            ),
            (
                "frozen later report consumes first",
                vec![e(km(10), true), frozen(km(10), 4_000)],
                vec![0, 4_000],
            ),
            (
                "frozen partial",
                vec![e(km(10), true), frozen(1_000, 1_000)],
                vec![3_000, 1_000],
            ),
            (
                "frozen above 4 km keeps its value; others 0",
                vec![frozen(km(10), 5_000), e(km(10), true)],
                vec![5_000, 0],
            ),
            (
                "total never exceeds 4 km",
                vec![e(km(3), true), e(km(3), true), e(km(3), true)],
                vec![3_000, 1_000, 0],
            ),
        ];
        for (name, entries, want) in cases {
            assert_eq!(four_km_day_deductions(&entries), want, "{name}");
            for (m, ent) in apply_four_km_day(&entries).iter().zip(&entries) {
                assert!(*m >= 0 && *m <= ent.distance_m.max(0), "{name}");
            }
        }
    }
}
