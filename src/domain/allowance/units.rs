//! Units and rounding.
//!
//! # Rounding rule (the only place where rounding happens)
//!
//! 1. **All distance arithmetic is done in whole metres (`i64`)**: route
//!    lengths, home–work deductions, border deductions, the 4‑km deduction,
//!    round‑trip doubling, the Norddjurs minimum. No rounding happens on the
//!    way; a negative intermediate result is clamped to 0 where the rules say
//!    "never below 0".
//! 2. **Metres → reimbursable distance**: the final reimbursable metres of a
//!    report are converted **once** to units of 10 m (= 0.01 km, i.e. "km
//!    with 2 decimals") by rounding **half‑up**: `units = (metres + 5) / 10`
//!    for `metres >= 0` (so 4 m → 0.00 km, 5 m → 0.01 km, 12 345 m →
//!    12.35 km, 12 344 m → 12.34 km). Negative input is clamped to 0 first.
//!    From here on every distance (20,000 km counter, line splits, payroll)
//!    is an integer number of 10‑m units, so `km = units / 100` exactly and
//!    the KMD IND01 field `DistanceMeters/10` is `units`.
//! 3. **Amount of one line**: `amount_øre = units × øre_per_km / 100`,
//!    rounded **half‑up to whole øre**: `(units × øre_per_km + 50) / 100`
//!    (all values non‑negative). E.g. 0.05 km × 3.70 kr = 18.5 øre → 19 øre;
//!    0.01 km × 3.94 kr = 3.94 øre → 4 øre; 0.01 km × 2.28 kr = 2.28 øre →
//!    2 øre.
//! 4. A report's amount is the **sum of its lines' rounded amounts** (a report
//!    split by the 20,000 km rule is rounded per line, as payroll receives
//!    one line per rate).
//!
//! OS2indberetning rounded km and kr (doubles) to 2 decimals; KMD truncates
//! km to 2 decimals in the IND01 file. Rounding metres to 10‑m units half‑up
//! and then keeping integers means our km never need further truncation.

/// Metres per 10‑m distance unit (0.01 km).
pub const METRES_PER_UNIT: i64 = 10;
/// 10‑m units per km.
pub const UNITS_PER_KM: i64 = 100;

/// Convert whole metres to 10‑m units (0.01 km), rounding half‑up.
/// Negative input is clamped to 0.
pub fn metres_to_units(metres: i64) -> i64 {
    if metres <= 0 {
        0
    } else {
        (metres + METRES_PER_UNIT / 2) / METRES_PER_UNIT
    }
}

/// `units × øre_per_km / 100`, rounded half‑up to whole øre. Negative
/// inputs are clamped to 0 (amounts are never negative).
pub fn amount_ore(units: i64, ore_per_km: i64) -> i64 {
    if units <= 0 || ore_per_km <= 0 {
        return 0;
    }
    (units * ore_per_km + UNITS_PER_KM / 2) / UNITS_PER_KM
}

/// Format 10‑m units as km with exactly two decimals and a `.` separator
/// (`1234` → `"12.34"`). Display helper only.
pub fn format_km(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let u = units.abs();
    format!("{sign}{}.{:02}", u / UNITS_PER_KM, u % UNITS_PER_KM)
}

/// Kilometres → metres for whole km (test/seed helper).
pub const fn km(km: i64) -> i64 {
    km * 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metres_to_units_half_up() {
        let cases: &[(i64, i64)] = &[
            (-100, 0),
            (0, 0),
            (1, 0),
            (4, 0),
            (5, 1),
            (9, 1),
            (10, 1),
            (14, 1),
            (15, 2),
            (12_344, 1234),
            (12_345, 1235),
            (42_000, 4200),
            (19_999_995, 2_000_000),
            (19_999_994, 1_999_999),
        ];
        for &(m, want) in cases {
            assert_eq!(metres_to_units(m), want, "metres {m}");
        }
    }

    #[test]
    fn amount_half_up_to_whole_ore() {
        // (units, øre/km, expected øre)
        let cases: &[(i64, i64, i64)] = &[
            (0, 394, 0),
            (1, 394, 4),       // 3.94 øre -> 4
            (1, 228, 2),       // 2.28 øre -> 2
            (1, 350, 4),       // 3.50 øre -> 4 (exact half goes up)
            (1, 349, 3),       // 3.49 øre -> 3
            (5, 370, 19),      // 18.50 øre -> 19
            (5, 369, 18),      // 18.45 øre -> 18
            (50, 1, 1),        // 0.50 øre -> 1
            (49, 1, 0),        // 0.49 øre -> 0
            (1, 55, 1),        // 0.55 øre -> 1
            (1, 50, 1),        // 0.50 øre -> 1
            (1, 49, 0),        // 0.49 øre -> 0
            (2000, 394, 7880), // 20 km x 3.94
            (3000, 228, 6840), // 30 km x 2.28
            (4200, 223, 9366), // 42 km x 2.23
            (3650, 217, 7921), // 36.50 km x 2.17 = 79.205 kr -> 79.21 kr
            (-5, 394, 0),
            (5, -1, 0),
        ];
        for &(u, r, want) in cases {
            assert_eq!(amount_ore(u, r), want, "units {u} rate {r}");
        }
    }

    #[test]
    fn format_km_two_decimals() {
        let cases: &[(i64, &str)] = &[
            (0, "0.00"),
            (1, "0.01"),
            (10, "0.10"),
            (1234, "12.34"),
            (2_000_000, "20000.00"),
            (-5, "-0.05"),
        ];
        for &(u, want) in cases {
            assert_eq!(format_km(u), want);
        }
    }
}
