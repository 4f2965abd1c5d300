//! What a careful approver wants to notice about a pending report: typed ("aflæst") km, the
//! 4-km rule, a split at the 20,000 km threshold, a GPS distance with a large uncertainty, and
//! a report sent again after a rejection. Read from what the services return; no rule is
//! decided here.

use crate::db::DbConnection;
use crate::domain::allowance::distance::DistanceMode;
use crate::domain::allowance::rates::RateKind;
use crate::error::Result;
use crate::services::reports::{self, Caller, Report};
use crate::services::trips::{self, Reader};
use crate::web::texts::DA;

/// A GPS distance is flagged when its uncertainty is at least this share of it (in percent).
pub const GPS_UNCERTAIN_PERCENT: i64 = 10;

/// The flags of one report, given what the history and the trip say.
pub fn of(report: &Report, resubmitted: bool, gps_uncertain: bool) -> Vec<&'static str> {
    let has_kind = |k: RateKind| report.lines.iter().any(|l| l.rate_kind == k.as_str());
    [
        (report.distance_mode == DistanceMode::Read, DA.flag_typed),
        (report.four_km_rule, DA.flag_four_km),
        (
            has_kind(RateKind::CarHigh) && has_kind(RateKind::CarHighAbove20k),
            DA.flag_split,
        ),
        (gps_uncertain, DA.flag_gps_uncertain),
        (resubmitted, DA.flag_resubmitted),
    ]
    .into_iter()
    .filter_map(|(on, text)| on.then_some(text))
    .collect()
}

/// The flags of each report, reading each one's history and trip with the caller's rights.
pub fn of_reports(
    conn: &mut DbConnection,
    caller: Caller,
    items: &[Report],
) -> Result<Vec<Vec<&'static str>>> {
    let reader = Reader {
        user_id: caller.user_id,
        is_admin: caller.admin,
    };
    items
        .iter()
        .map(|r| {
            let resubmitted = reports::history(conn, caller, r.id)?
                .iter()
                .any(|e| e.action == "reject");
            let gps_uncertain = match r.trip_id {
                Some(trip) => {
                    let trip = trips::get(conn, reader, trip)?;
                    trip.uncertainty_m * 100 >= trip.distance_m.max(1) * GPS_UNCERTAIN_PERCENT
                }
                None => false,
            };
            Ok(of(r, resubmitted, gps_uncertain))
        })
        .collect()
}
