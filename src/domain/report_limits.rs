//! Plausibility limits a drive report stays within before it can reach payroll, whatever
//! produced its distance (typed, routed or a GPS trip).

use std::fmt;

/// The longest distance one report may claim, metres: no drive of a working day is longer.
pub const MAX_DRIVEN_DISTANCE_M: i64 = 5_000_000;

/// Default ceiling of one report's amount, øre (25,000 kr: 5,000 km at the highest rate
/// with room to spare). A setting: `KORSEL_REPORT_MAX_AMOUNT_KR`.
pub const DEFAULT_MAX_AMOUNT_ORE: i64 = 2_500_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitError {
    /// The driven distance is not within 1 m..=[`MAX_DRIVEN_DISTANCE_M`].
    Distance { distance_m: i64 },
    /// The amount is above the configured ceiling.
    Amount { amount_ore: i64, ceiling_ore: i64 },
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LimitError::Distance { distance_m } => write!(
                f,
                "a distance of {} km is not plausible for one report (at most {} km); \
                 check the trip or the distance",
                kilometres(distance_m),
                kilometres(MAX_DRIVEN_DISTANCE_M),
            ),
            LimitError::Amount {
                amount_ore,
                ceiling_ore,
            } => write!(
                f,
                "the report would pay {} kr, above the ceiling of {} kr per report \
                 (KORSEL_REPORT_MAX_AMOUNT_KR); check the distance and the rate, or split \
                 the drive into several reports",
                kroner(amount_ore),
                kroner(ceiling_ore),
            ),
        }
    }
}

/// A report's driven distance must be positive and at most [`MAX_DRIVEN_DISTANCE_M`].
pub fn check_distance(distance_m: i64) -> Result<(), LimitError> {
    if (0..=MAX_DRIVEN_DISTANCE_M).contains(&distance_m) {
        Ok(())
    } else {
        Err(LimitError::Distance { distance_m })
    }
}

/// A report's amount must not exceed the ceiling.
pub fn check_amount(amount_ore: i64, ceiling_ore: i64) -> Result<(), LimitError> {
    if amount_ore <= ceiling_ore {
        Ok(())
    } else {
        Err(LimitError::Amount {
            amount_ore,
            ceiling_ore,
        })
    }
}

/// Whole kilometres with thousands separators (display only).
fn kilometres(metres: i64) -> String {
    grouped(metres / 1000)
}

/// Kroner with two decimals and thousands separators (display only).
fn kroner(ore: i64) -> String {
    format!("{}.{:02}", grouped(ore / 100), (ore % 100).unsigned_abs())
}

fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_beyond_five_thousand_km_is_refused() {
        assert_eq!(check_distance(0), Ok(()));
        assert_eq!(check_distance(MAX_DRIVEN_DISTANCE_M), Ok(()));
        let err = check_distance(983_638_711_622).unwrap_err();
        assert_eq!(
            err,
            LimitError::Distance {
                distance_m: 983_638_711_622
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("983,638,711 km") && text.contains("5,000 km"),
            "{text}"
        );
        assert!(check_distance(MAX_DRIVEN_DISTANCE_M + 1).is_err());
        assert!(check_distance(i64::MAX).is_err());
        assert!(check_distance(-1).is_err());
    }

    #[test]
    fn amount_above_the_ceiling_is_refused_with_both_figures() {
        assert_eq!(check_amount(2_500_000, 2_500_000), Ok(()));
        let err = check_amount(224_000_000_000, 2_500_000).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("2,240,000,000.00 kr") && text.contains("25,000.00 kr"),
            "{text}"
        );
        assert!(text.contains("KORSEL_REPORT_MAX_AMOUNT_KR"));
    }
}
