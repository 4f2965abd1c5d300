//! Per‑report distance: home–work deduction (merudgiftsbetragtning), the
//! per‑leg border deduction of the 4‑km rule, the Norddjurs variant, and
//! round‑trip doubling. Follows OS2indberetning's
//! `ReimbursementCalculator.Calculate` (`os2indberetning.md` §4.2–4.4).
//!
//! All values are whole metres; see [`super::units`] for the one rounding
//! step. The day‑level 4 km deduction is applied afterwards by
//! [`super::four_km::four_km_day_deductions`].
//!
//! Order of operations (as OS2): `driven − deduction`, clamp at 0, double if
//! round trip; then (day level) the 4 km.

use serde::{Deserialize, Serialize};

use super::AllowanceError;

/// How the driven distance was obtained (OS2 `KilometerAllowance`, plus the
/// app/GPS path that OS2 maps onto `Calculated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceMode {
    /// "Beregnet": routed distance; home deduction applies.
    Calculated,
    /// "Aflæst": distance typed by the user, with user‑stated start/end at
    /// home; home deduction applies. (Norddjurs min() does not apply, as
    /// coded in OS2: only `Calculated` switches to the alternative method.)
    Read,
    /// "Beregnet uden merkørsel": routed distance, **no** deduction of any
    /// kind (also exempt from the 4 km/day, following the OS2 Java rewrite).
    CalculatedWithoutExtraDistance,
    /// Phone/GPS report: the phone's distance is used as is, then treated as
    /// `Calculated`; with the 4‑km rule the border distance stated on the
    /// report (`HomeToBorderDistance`) is used instead of the person's.
    Gps,
}

impl DistanceMode {
    pub const ALL: [DistanceMode; 4] = [
        DistanceMode::Calculated,
        DistanceMode::Read,
        DistanceMode::CalculatedWithoutExtraDistance,
        DistanceMode::Gps,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            DistanceMode::Calculated => "calculated",
            DistanceMode::Read => "read",
            DistanceMode::CalculatedWithoutExtraDistance => "calculated_without_extra_distance",
            DistanceMode::Gps => "gps",
        }
    }

    pub fn parse(s: &str) -> Option<DistanceMode> {
        DistanceMode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The driven distance is a route through the report's stops (from the route service).
    pub fn is_routed(self) -> bool {
        matches!(
            self,
            DistanceMode::Calculated | DistanceMode::CalculatedWithoutExtraDistance
        )
    }
}

/// Home–work distance for the employment on the drive date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeWorkDistance {
    /// `Employment.WorkDistanceOverride` ("afvigende afstand"); used when > 0.
    pub override_m: Option<i64>,
    /// Car route between the home and work addresses valid on the drive date.
    pub route_m: i64,
}

impl HomeWorkDistance {
    /// The override if set and > 0 (OS2: "if ≤ 0, the car route"), else the route.
    pub fn effective_m(&self) -> i64 {
        match self.override_m {
            Some(o) if o > 0 => o,
            _ => self.route_m,
        }
    }
}

/// Which home rule the municipality / org unit / report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum HomeRule {
    /// Standard merudgiftsbetragtning: subtract home–work once per home leg.
    Standard { home_work: HomeWorkDistance },
    /// 4‑km rule (report ticked "Jeg bruger 4 Km-reglen"): subtract the
    /// home‑to‑municipal‑border distance once per home leg **instead of**
    /// home–work; the 4 km/day is applied at day level afterwards.
    FourKm {
        /// `Person.DistanceFromHomeToBorder`.
        border_from_person_m: i64,
        /// `DriveReport.HomeToBorderDistance` sent by the app (GPS mode only).
        border_from_report_m: Option<i64>,
    },
    /// Norddjurs alternative method (`AlternativeCalculationMethod`): a
    /// `Calculated`/`Gps` report **starting at home** is paid
    /// `min(driven, work_route)`; other reports are paid as driven (a report
    /// that only *ends* at home gets no deduction, as coded in OS2). `Read`
    /// reports keep the standard home–work deduction.
    Norddjurs {
        /// Route from the work address through all non‑home points of the
        /// report (bicycle profile for bicycle rates).
        work_route_m: i64,
        /// Used for `Read` reports only.
        home_work: HomeWorkDistance,
    },
}

/// One report's distance inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripInput {
    pub mode: DistanceMode,
    /// Route length (Calculated), typed km (Read), phone km (Gps), in metres.
    pub driven_m: i64,
    pub starts_at_home: bool,
    pub ends_at_home: bool,
    pub round_trip: bool,
    pub home_rule: HomeRule,
    /// `OrgUnit.HasAccessToFourKmRule` of the employment's unit. OS2 only
    /// checked this client side; here a `FourKm` rule without access is an error.
    pub org_unit_allows_four_km: bool,
}

/// Result of [`trip_distance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripDistance {
    pub driven_m: i64,
    /// Metres subtracted for home legs (one‑way, before doubling), or for
    /// Norddjurs `driven − min(driven, work_route)`.
    pub home_deduction_m: i64,
    /// `max(0, driven − home_deduction)`, doubled for a round trip. The 4 km
    /// day deduction is **not** yet applied.
    pub distance_m: i64,
    /// OS2 `IsExtraDistance` ("merkørsel"): starts or ends at home, standard
    /// rule, deduction mode.
    pub is_extra_distance: bool,
    /// Takes part in the 4 km/day deduction.
    pub four_km_rule: bool,
}

fn legs(starts: bool, ends: bool) -> i64 {
    i64::from(starts) + i64::from(ends)
}

fn non_negative(name: &'static str, v: i64) -> Result<i64, AllowanceError> {
    if v < 0 {
        Err(AllowanceError::NegativeDistance(name))
    } else {
        Ok(v)
    }
}

/// Distance of one report before the day‑level 4 km deduction.
pub fn trip_distance(input: &TripInput) -> Result<TripDistance, AllowanceError> {
    let driven = non_negative("driven_m", input.driven_m)?;
    let home_legs = legs(input.starts_at_home, input.ends_at_home);
    let mut four_km_rule = false;
    let mut is_extra_distance = false;

    let deduction = if input.mode == DistanceMode::CalculatedWithoutExtraDistance {
        if matches!(input.home_rule, HomeRule::FourKm { .. }) && !input.org_unit_allows_four_km {
            return Err(AllowanceError::FourKmRuleNotAllowed);
        }
        0
    } else {
        match input.home_rule {
            HomeRule::Standard { home_work } => {
                is_extra_distance = home_legs > 0;
                non_negative("home_work", home_work.effective_m())? * home_legs
            }
            HomeRule::FourKm {
                border_from_person_m,
                border_from_report_m,
            } => {
                if !input.org_unit_allows_four_km {
                    return Err(AllowanceError::FourKmRuleNotAllowed);
                }
                four_km_rule = true;
                let border = match (input.mode, border_from_report_m) {
                    (DistanceMode::Gps, Some(b)) => b,
                    _ => border_from_person_m,
                };
                non_negative("border", border)? * home_legs
            }
            HomeRule::Norddjurs {
                work_route_m,
                home_work,
            } => match input.mode {
                DistanceMode::Read => {
                    is_extra_distance = home_legs > 0;
                    non_negative("home_work", home_work.effective_m())? * home_legs
                }
                _ if input.starts_at_home => {
                    let work = non_negative("work_route_m", work_route_m)?;
                    driven - driven.min(work)
                }
                _ => 0,
            },
        }
    };

    let one_way = (driven - deduction).max(0);
    let distance = if input.round_trip {
        one_way * 2
    } else {
        one_way
    };
    Ok(TripDistance {
        driven_m: driven,
        home_deduction_m: deduction,
        distance_m: distance,
        is_extra_distance,
        four_km_rule,
    })
}

#[cfg(test)]
mod tests {
    use super::super::units::km;
    use super::*;

    fn standard(home_work_km: i64) -> HomeRule {
        HomeRule::Standard {
            home_work: HomeWorkDistance {
                override_m: None,
                route_m: km(home_work_km),
            },
        }
    }

    fn trip(
        mode: DistanceMode,
        driven: i64,
        s: bool,
        e: bool,
        rt: bool,
        rule: HomeRule,
    ) -> TripInput {
        TripInput {
            mode,
            driven_m: driven,
            starts_at_home: s,
            ends_at_home: e,
            round_trip: rt,
            home_rule: rule,
            org_unit_allows_four_km: true,
        }
    }

    use DistanceMode::*;

    /// (name, mode, driven, starts, ends, round trip, km parameter, expected m)
    type NamedCase = (&'static str, DistanceMode, i64, bool, bool, bool, i64, i64);
    /// (mode, starts, ends, round trip, person border, report border, expected m)
    type BorderCase = (DistanceMode, bool, bool, bool, i64, Option<i64>, i64);

    #[test]
    fn standard_home_work_deduction_per_mode() {
        // (name, mode, driven m, starts, ends, round trip, home-work km, expected m)
        let cases: &[NamedCase] = &[
            (
                "no home leg",
                Calculated,
                km(42),
                false,
                false,
                false,
                10,
                km(42),
            ),
            (
                "starts at home",
                Calculated,
                km(42),
                true,
                false,
                false,
                10,
                km(32),
            ),
            (
                "ends at home",
                Calculated,
                km(42),
                false,
                true,
                false,
                10,
                km(32),
            ),
            (
                "both ends at home",
                Calculated,
                km(42),
                true,
                true,
                false,
                10,
                km(22),
            ),
            (
                "read same as calculated",
                Read,
                km(42),
                true,
                true,
                false,
                10,
                km(22),
            ),
            (
                "gps same as calculated",
                Gps,
                km(42),
                true,
                false,
                false,
                10,
                km(32),
            ),
            (
                "without extra distance: no deduction",
                CalculatedWithoutExtraDistance,
                km(42),
                true,
                true,
                false,
                10,
                km(42),
            ),
            (
                "round trip doubles (OS2 84 vs 42)",
                Calculated,
                km(42),
                false,
                false,
                true,
                10,
                km(84),
            ),
            (
                "round trip doubles after deduction",
                Calculated,
                km(42),
                true,
                false,
                true,
                10,
                km(64),
            ),
            ("never below 0", Calculated, km(5), true, true, false, 10, 0),
            (
                "never below 0, round trip",
                Calculated,
                km(5),
                true,
                false,
                true,
                10,
                0,
            ),
            (
                "metres kept exactly",
                Read,
                12_345,
                true,
                false,
                false,
                0,
                12_345,
            ),
            // danish-rules.md §6.2 (PAV), whole day as one report from/to home
            (
                "PAV 1: MT on the road B-FT",
                Calculated,
                km(10) + km(10),
                true,
                true,
                false,
                20,
                0,
            ),
            (
                "PAV 2a: B-FT-MT-B",
                Calculated,
                km(20 + 30 + 30),
                true,
                true,
                false,
                20,
                km(40),
            ),
            (
                "PAV 2b: B-MT-FT-B",
                Calculated,
                km(30 + 30 + 20),
                true,
                true,
                false,
                20,
                km(40),
            ),
            (
                "PAV 2c: B-MT-B",
                Calculated,
                km(30 + 30),
                true,
                true,
                false,
                20,
                km(20),
            ),
            (
                "PAV 3a: B-FT-MT-B",
                Calculated,
                km(90 + 60 + 50),
                true,
                true,
                false,
                90,
                km(20),
            ),
            (
                "PAV 3b: B-MT-FT-B",
                Calculated,
                km(50 + 60 + 90),
                true,
                true,
                false,
                90,
                km(20),
            ),
            (
                "PAV 3c: B-MT-B",
                Calculated,
                km(50 + 50),
                true,
                true,
                false,
                90,
                0,
            ),
        ];
        for &(name, mode, driven, s, e, rt, hw, want) in cases {
            let got = trip_distance(&trip(mode, driven, s, e, rt, standard(hw))).unwrap();
            assert_eq!(got.distance_m, want, "{name}");
            assert!(!got.four_km_rule, "{name}");
        }
    }

    #[test]
    fn distance_mode_names_round_trip_and_match_serde() {
        for mode in DistanceMode::ALL {
            assert_eq!(DistanceMode::parse(mode.as_str()), Some(mode));
            assert_eq!(
                serde_json::to_value(mode).unwrap(),
                serde_json::json!(mode.as_str())
            );
        }
        assert_eq!(DistanceMode::parse("Calculated"), None);
        assert!(Calculated.is_routed() && CalculatedWithoutExtraDistance.is_routed());
        assert!(!Read.is_routed() && !Gps.is_routed());
    }

    #[test]
    fn home_work_override_wins_when_positive() {
        let cases: &[(Option<i64>, i64, i64)] = &[
            (None, 10_000, 10_000),
            (Some(7_500), 10_000, 7_500),
            (Some(0), 10_000, 10_000),
            (Some(-1), 10_000, 10_000),
        ];
        for &(o, r, want) in cases {
            let hw = HomeWorkDistance {
                override_m: o,
                route_m: r,
            };
            assert_eq!(hw.effective_m(), want);
            let t = trip(
                Calculated,
                km(30),
                true,
                false,
                false,
                HomeRule::Standard { home_work: hw },
            );
            assert_eq!(trip_distance(&t).unwrap().distance_m, km(30) - want);
        }
    }

    #[test]
    fn is_extra_distance_flag() {
        let cases: &[(DistanceMode, bool, bool, bool)] = &[
            (Calculated, true, false, true),
            (Calculated, false, true, true),
            (Calculated, false, false, false),
            (Read, true, true, true),
            (CalculatedWithoutExtraDistance, true, false, false),
        ];
        for &(mode, s, e, want) in cases {
            let got = trip_distance(&trip(mode, km(42), s, e, false, standard(10))).unwrap();
            assert_eq!(got.is_extra_distance, want, "{mode:?} {s} {e}");
        }
    }

    #[test]
    fn four_km_border_deduction_per_leg() {
        let four = |person: i64, report: Option<i64>| HomeRule::FourKm {
            border_from_person_m: person,
            border_from_report_m: report,
        };
        // (mode, starts, ends, round trip, person border, report border, expected m before 4 km)
        let cases: &[BorderCase] = &[
            (Calculated, true, false, false, km(2), None, km(40)),
            (Calculated, true, true, false, km(2), None, km(38)),
            (Calculated, false, false, false, km(2), None, km(42)),
            (Calculated, true, false, true, km(2), None, km(80)),
            (Read, true, false, false, km(2), Some(km(5)), km(40)),
            (Gps, true, false, false, km(2), Some(km(5)), km(37)),
            (Gps, true, false, false, km(2), None, km(40)),
            (Calculated, true, false, false, km(50), None, 0),
        ];
        for &(mode, s, e, rt, pb, rb, want) in cases {
            let got = trip_distance(&trip(mode, km(42), s, e, rt, four(pb, rb))).unwrap();
            assert_eq!(got.distance_m, want, "{mode:?} {s} {e} {rt}");
            assert!(got.four_km_rule);
            assert!(!got.is_extra_distance);
        }
        let exempt = trip_distance(&trip(
            CalculatedWithoutExtraDistance,
            km(42),
            true,
            false,
            false,
            four(km(2), None),
        ))
        .unwrap();
        assert_eq!(exempt.distance_m, km(42));
        assert!(!exempt.four_km_rule);
    }

    #[test]
    fn four_km_requires_unit_access() {
        let mut t = trip(
            Calculated,
            km(42),
            true,
            false,
            false,
            HomeRule::FourKm {
                border_from_person_m: km(2),
                border_from_report_m: None,
            },
        );
        t.org_unit_allows_four_km = false;
        assert_eq!(trip_distance(&t), Err(AllowanceError::FourKmRuleNotAllowed));
    }

    #[test]
    fn norddjurs_pays_shorter_of_home_and_work_route() {
        let nd = |work_km: i64| HomeRule::Norddjurs {
            work_route_m: km(work_km),
            home_work: HomeWorkDistance {
                override_m: None,
                route_m: km(10),
            },
        };
        // (name, mode, driven km, starts, ends, rt, work-route km, expected m)
        let cases: &[NamedCase] = &[
            (
                "ref: home 14, work 9 -> 9",
                Calculated,
                14,
                true,
                false,
                false,
                9,
                km(9),
            ),
            (
                "ref: home 5, work 12 -> 5",
                Calculated,
                5,
                true,
                false,
                false,
                12,
                km(5),
            ),
            ("gps same", Gps, 14, true, false, false, 9, km(9)),
            (
                "only ends at home: no deduction",
                Calculated,
                14,
                false,
                true,
                false,
                9,
                km(14),
            ),
            (
                "no home: as driven",
                Calculated,
                14,
                false,
                false,
                false,
                9,
                km(14),
            ),
            (
                "round trip doubles min",
                Calculated,
                14,
                true,
                false,
                true,
                9,
                km(18),
            ),
            (
                "read: standard deduction",
                Read,
                14,
                true,
                false,
                false,
                9,
                km(4),
            ),
            (
                "without extra distance",
                CalculatedWithoutExtraDistance,
                14,
                true,
                false,
                false,
                9,
                km(14),
            ),
        ];
        for &(name, mode, driven, s, e, rt, w, want) in cases {
            let got = trip_distance(&trip(mode, km(driven), s, e, rt, nd(w))).unwrap();
            assert_eq!(got.distance_m, want, "{name}");
        }
    }

    #[test]
    fn negative_inputs_are_errors() {
        let t = trip(Read, -1, false, false, false, standard(10));
        assert_eq!(
            trip_distance(&t),
            Err(AllowanceError::NegativeDistance("driven_m"))
        );
        let t = trip(
            Read,
            km(10),
            true,
            false,
            false,
            HomeRule::FourKm {
                border_from_person_m: -5,
                border_from_report_m: None,
            },
        );
        assert_eq!(
            trip_distance(&t),
            Err(AllowanceError::NegativeDistance("border"))
        );
    }
}
