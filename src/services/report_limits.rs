//! The plausibility limits of `domain::report_limits` as answers of the report use cases.

use crate::domain::allowance::DistanceMode;
use crate::domain::report_limits;
use crate::error::{Error, Result};

/// Refuses a driven distance beyond the plausibility limit, naming the input it came from.
pub fn distance(mode: DistanceMode, driven_m: i64) -> Result<()> {
    let field = match mode {
        DistanceMode::Gps => "trip_id",
        DistanceMode::Read => "typed_distance_m",
        DistanceMode::Calculated | DistanceMode::CalculatedWithoutExtraDistance => "route",
    };
    report_limits::check_distance(driven_m).map_err(|e| Error::validation(field, e))
}

/// Refuses a report whose amount is above the configured ceiling.
pub fn amount(amount_ore: i64, ceiling_ore: i64) -> Result<()> {
    report_limits::check_amount(amount_ore, ceiling_ore)
        .map_err(|e| Error::validation("amount_ore", e))
}
