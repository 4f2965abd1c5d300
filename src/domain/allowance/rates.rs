//! Rate table (øre per km by rate kind and drive date).
//!
//! Source: `danish-rules.md` §2 (Skatterådet) and §5.3 (public‑sector
//! lav/høj takst). Rates apply by **drive date** (a `NaiveDate`, the local
//! Danish calendar date of the trip); 2022 has two periods (1 Jan – 30 Apr
//! and 1 May – 31 Dec, the increase was not retroactive for the allowance).
//!
//! TF codes / lønarter are configured per municipality and are **not public**
//! (`danish-rules.md` §8, `os2indberetning.md` §3): the seeded codes are
//! placeholders (`PLACEHOLDER-…`) that must be replaced by the municipality's
//! configuration before any payroll export. (KMD IND01 expects 4 characters.)

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::AllowanceError;

/// Category of a km rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateKind {
    /// "Høj takst": car/motorcycle with a kørselsbemyndigelse, the first
    /// 20,000 km per person per employer per calendar year (Skatterådet's
    /// ≤ 20,000 km rate). Only this kind counts toward the 20,000 km.
    CarHigh,
    /// High‑rate category after 20,000 km in the year (Skatterådet's
    /// > 20,000 km rate). Produced by the 20,000 km split; never counted.
    ///
    /// Spelled as `as_str` everywhere (serde's snake_case would drop the `_` before `20k`).
    #[serde(rename = "car_high_above_20k")]
    CarHighAbove20k,
    /// "Lav takst": ordinary approved car/motorcycle driving without a
    /// bemyndigelse, from the first km (= Skatterådet's > 20,000 km rate).
    CarLow,
    /// Bicycle, moped, 45‑moped, scooter, e‑scooter.
    Bicycle,
}

impl RateKind {
    pub const ALL: [RateKind; 4] = [
        RateKind::CarHigh,
        RateKind::CarHighAbove20k,
        RateKind::CarLow,
        RateKind::Bicycle,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RateKind::CarHigh => "car_high",
            RateKind::CarHighAbove20k => "car_high_above_20k",
            RateKind::CarLow => "car_low",
            RateKind::Bicycle => "bicycle",
        }
    }

    /// Whether km at this kind count toward the 20,000 km high‑rate limit.
    pub fn counts_toward_20k(self) -> bool {
        matches!(self, RateKind::CarHigh)
    }
}

impl fmt::Display for RateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RateKind {
    type Err = AllowanceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RateKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| AllowanceError::UnknownRateKind(s.to_string()))
    }
}

/// One rate valid for an inclusive date range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatePeriod {
    pub kind: RateKind,
    /// First valid drive date (inclusive).
    pub valid_from: NaiveDate,
    /// Last valid drive date (inclusive).
    pub valid_to: NaiveDate,
    pub ore_per_km: i64,
    /// Payroll code (KMD TF code / SD lønart). Seeded values are placeholders.
    pub tf_code: String,
    /// The reference marks this value as inferred/unverified: verify against
    /// the primary source before paying with it.
    pub unverified: bool,
}

impl RatePeriod {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && date <= self.valid_to
    }
}

/// Placeholder TF code for a kind (no real codes are public).
pub fn placeholder_tf_code(kind: RateKind) -> &'static str {
    match kind {
        RateKind::CarHigh => "PLACEHOLDER-TF-CAR-HIGH",
        RateKind::CarHighAbove20k => "PLACEHOLDER-TF-CAR-HIGH-OVER-20K",
        RateKind::CarLow => "PLACEHOLDER-TF-CAR-LOW",
        RateKind::Bicycle => "PLACEHOLDER-TF-BICYCLE",
    }
}

/// How every placeholder TF code begins.
pub const PLACEHOLDER_TF_PREFIX: &str = "PLACEHOLDER-";

/// Whether `code` is one of the seeded placeholders, which payroll must never receive.
pub fn is_placeholder_tf_code(code: &str) -> bool {
    code.starts_with(PLACEHOLDER_TF_PREFIX)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid seed date")
}

/// Seeded rates 2022–2026 (øre/km) from `danish-rules.md` §2 and §5.3.
///
/// | period            | CarHigh | CarHighAbove20k | CarLow        | Bicycle |
/// |-------------------|---------|-----------------|---------------|---------|
/// | 2022‑01‑01–04‑30  | 351     | 198             | 198 (unverif.)| 55      |
/// | 2022‑05‑01–12‑31  | 370     | 217             | 217           | 57      |
/// | 2023              | 373     | 219             | 219           | 61      |
/// | 2024              | 379     | 223             | 223           | 62      |
/// | 2025              | 381     | 223             | 223 (unverif.)| 63      |
/// | 2026              | 394     | 228             | 228 (unverif.)| 64      |
pub fn seed_rates() -> Vec<RatePeriod> {
    // (from, to, car_high, car_high_above_20k, car_low, car_low_unverified, bicycle)
    let rows: [(NaiveDate, NaiveDate, i64, i64, i64, bool, i64); 6] = [
        // 2022 before the 1 May increase. Lav takst for this period is NOT in
        // the reference's public-sector table (§5.3 starts 1 May 2022); 198 is
        // inferred from the pattern lav takst = Skatterådet's >20,000 km rate.
        // Bicycle: sources disagree (0.55 / 0.57); the reference decides 0.55
        // before 1 May and 0.57 from 1 May.
        (d(2022, 1, 1), d(2022, 4, 30), 351, 198, 198, true, 55),
        (d(2022, 5, 1), d(2022, 12, 31), 370, 217, 217, false, 57),
        (d(2023, 1, 1), d(2023, 12, 31), 373, 219, 219, false, 61),
        (d(2024, 1, 1), d(2024, 12, 31), 379, 223, 223, false, 62),
        // 2025 and 2026 lav takst: reference §5.3 "[inferred, unverified]"
        // (not read from the satsreguleringscirkulære) — verify before use.
        (d(2025, 1, 1), d(2025, 12, 31), 381, 223, 223, true, 63),
        (d(2026, 1, 1), d(2026, 12, 31), 394, 228, 228, true, 64),
    ];
    let mut out = Vec::with_capacity(rows.len() * 4);
    for (from, to, high, above, low, low_unverified, bike) in rows {
        for (kind, ore, unverified) in [
            (RateKind::CarHigh, high, false),
            (RateKind::CarHighAbove20k, above, false),
            (RateKind::CarLow, low, low_unverified),
            (RateKind::Bicycle, bike, false),
        ] {
            out.push(RatePeriod {
                kind,
                valid_from: from,
                valid_to: to,
                ore_per_km: ore,
                tf_code: placeholder_tf_code(kind).to_string(),
                unverified,
            });
        }
    }
    out
}

/// The rate of `kind` valid on `date` (the drive date), if any.
/// With an overlapping (invalid) table the first match wins; use
/// [`validate_rate_table`] when loading a table.
pub fn rate_for(rates: &[RatePeriod], kind: RateKind, date: NaiveDate) -> Option<&RatePeriod> {
    rates.iter().find(|r| r.kind == kind && r.contains(date))
}

/// Like [`rate_for`] but an error when no rate is configured.
pub fn require_rate(
    rates: &[RatePeriod],
    kind: RateKind,
    date: NaiveDate,
) -> Result<&RatePeriod, AllowanceError> {
    rate_for(rates, kind, date).ok_or(AllowanceError::NoRate { kind, date })
}

/// The years a rate period may cover: a period in year 0 or 99999 is a typing error, not a
/// rate (the Danish rates start long after 2000; the seeded table starts in 2022).
pub const RATE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// Checks a table: `valid_from <= valid_to` within [`RATE_YEARS`], `ore_per_km >= 0`, no two
/// periods of the same kind overlap.
pub fn validate_rate_table(rates: &[RatePeriod]) -> Result<(), AllowanceError> {
    use chrono::Datelike;
    for r in rates {
        let plausible = |d: NaiveDate| RATE_YEARS.contains(&d.year());
        if r.valid_from > r.valid_to
            || r.ore_per_km < 0
            || !plausible(r.valid_from)
            || !plausible(r.valid_to)
        {
            return Err(AllowanceError::InvalidRatePeriod {
                kind: r.kind,
                valid_from: r.valid_from,
            });
        }
    }
    for (i, a) in rates.iter().enumerate() {
        for b in &rates[i + 1..] {
            if a.kind == b.kind && a.valid_from <= b.valid_to && b.valid_from <= a.valid_to {
                return Err(AllowanceError::OverlappingRates {
                    kind: a.kind,
                    date: a.valid_from.max(b.valid_from),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_spells_every_kind_as_as_str() {
        for kind in RateKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<RateKind>(&json).unwrap(), kind);
            assert_eq!(kind.as_str().parse::<RateKind>().unwrap(), kind);
        }
    }

    #[test]
    fn seed_table_is_valid_and_contiguous_2022_to_2026() {
        let rates = seed_rates();
        validate_rate_table(&rates).unwrap();
        for kind in RateKind::ALL {
            let mut date = d(2022, 1, 1);
            while date <= d(2026, 12, 31) {
                assert!(rate_for(&rates, kind, date).is_some(), "{kind} {date}");
                date = date.succ_opt().unwrap();
            }
            assert!(rate_for(&rates, kind, d(2021, 12, 31)).is_none());
            assert!(rate_for(&rates, kind, d(2027, 1, 1)).is_none());
        }
    }

    #[test]
    fn rate_lookup_by_drive_date() {
        let rates = seed_rates();
        let cases: &[(RateKind, NaiveDate, i64, bool)] = &[
            (RateKind::CarHigh, d(2022, 1, 1), 351, false),
            (RateKind::CarHigh, d(2022, 4, 30), 351, false),
            (RateKind::CarHigh, d(2022, 5, 1), 370, false),
            (RateKind::CarHigh, d(2022, 12, 31), 370, false),
            (RateKind::CarHighAbove20k, d(2022, 4, 30), 198, false),
            (RateKind::CarHighAbove20k, d(2022, 5, 1), 217, false),
            (RateKind::Bicycle, d(2022, 4, 30), 55, false),
            (RateKind::Bicycle, d(2022, 5, 1), 57, false),
            (RateKind::CarLow, d(2022, 4, 30), 198, true),
            (RateKind::CarLow, d(2022, 5, 1), 217, false),
            (RateKind::CarHigh, d(2023, 6, 1), 373, false),
            (RateKind::CarLow, d(2023, 6, 1), 219, false),
            (RateKind::Bicycle, d(2023, 6, 1), 61, false),
            (RateKind::CarHigh, d(2024, 2, 29), 379, false),
            (RateKind::CarLow, d(2024, 2, 29), 223, false),
            (RateKind::Bicycle, d(2024, 2, 29), 62, false),
            (RateKind::CarHigh, d(2025, 3, 30), 381, false),
            (RateKind::CarHighAbove20k, d(2025, 3, 30), 223, false),
            (RateKind::CarLow, d(2025, 3, 30), 223, true),
            (RateKind::Bicycle, d(2025, 3, 30), 63, false),
            (RateKind::CarHigh, d(2026, 10, 25), 394, false),
            (RateKind::CarHighAbove20k, d(2026, 10, 25), 228, false),
            (RateKind::CarLow, d(2026, 10, 25), 228, true),
            (RateKind::Bicycle, d(2026, 10, 25), 64, false),
        ];
        for &(kind, date, ore, unverified) in cases {
            let r = rate_for(&rates, kind, date).unwrap();
            assert_eq!(r.ore_per_km, ore, "{kind} {date}");
            assert_eq!(r.unverified, unverified, "{kind} {date}");
            assert!(is_placeholder_tf_code(&r.tf_code));
        }
    }

    #[test]
    fn validate_rejects_overlap_and_bad_periods() {
        let mut rates = seed_rates();
        rates.push(RatePeriod {
            kind: RateKind::CarHigh,
            valid_from: d(2026, 12, 31),
            valid_to: d(2027, 12, 31),
            ore_per_km: 400,
            tf_code: "X".into(),
            unverified: false,
        });
        assert!(matches!(
            validate_rate_table(&rates),
            Err(AllowanceError::OverlappingRates {
                kind: RateKind::CarHigh,
                ..
            })
        ));
        let bad = vec![RatePeriod {
            kind: RateKind::Bicycle,
            valid_from: d(2026, 2, 1),
            valid_to: d(2026, 1, 1),
            ore_per_km: 1,
            tf_code: "X".into(),
            unverified: false,
        }];
        assert!(validate_rate_table(&bad).is_err());
        // A period in year 0 or past 2099 is a typing error, not a rate.
        for (from, to) in [(d(0, 1, 1), d(0, 12, 31)), (d(2099, 1, 1), d(2100, 1, 1))] {
            let absurd = vec![RatePeriod {
                valid_from: from,
                valid_to: to,
                ..bad[0].clone()
            }];
            assert!(validate_rate_table(&absurd).is_err(), "{from}..{to}");
        }
    }

    #[test]
    fn rate_kind_round_trips_as_str() {
        for k in RateKind::ALL {
            assert_eq!(k.as_str().parse::<RateKind>().unwrap(), k);
        }
        assert!("høj".parse::<RateKind>().is_err());
        assert!(require_rate(&seed_rates(), RateKind::CarHigh, d(2021, 6, 1)).is_err());
    }
}
