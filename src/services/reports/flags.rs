//! What a careful approver wants to notice about a pending report (issue 13), and the codes
//! the phone apps' uploads carry (issue 14): typed ("aflæst") km, the 4-km rule, a split at the
//! 20,000 km threshold, a GPS distance with a large uncertainty, a report sent again after a
//! rejection, and each of the report's `review_flags`. One rule, used by the approval queue's
//! "only flagged" filter and by every page that shows the flags.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::Report;
use crate::db::reports::{self as repo, ReportRow};
use crate::db::DbConnection;
use crate::domain::allowance::{DistanceMode, RateKind};
use crate::domain::ids::{ReportId, TripId};
use crate::error::Result;

/// A GPS distance is flagged when its uncertainty is at least this share of it (percent).
pub const GPS_UNCERTAIN_PERCENT: i64 = 10;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The km were typed ("aflæst"), not routed or measured.
    TypedDistance,
    FourKmRule,
    /// Part of the report is paid at the rate above 20,000 km.
    SplitAt20000Km,
    /// The trip's distance uncertainty is at least [`GPS_UNCERTAIN_PERCENT`] of it.
    GpsUncertain,
    /// The report was rejected before and sent again.
    Resubmitted,
    /// One of the report's `review_flags` (a phone app's upload), e.g. `app_distance_differs`.
    Review(String),
}

/// What the flags of one report are read from.
#[derive(Clone)]
struct Facts<'a> {
    id: ReportId,
    typed: bool,
    four_km_rule: bool,
    trip_id: Option<TripId>,
    review_flags: &'a [String],
}

/// The flags of reports the caller has already been allowed to read (from `get`, `list` or
/// `queue`), in their order.
pub fn flags(conn: &mut DbConnection, reports: &[Report]) -> Result<Vec<Vec<Flag>>> {
    let facts: Vec<Facts<'_>> = reports
        .iter()
        .map(|r| Facts {
            id: r.id,
            typed: r.distance_mode == DistanceMode::Read,
            four_km_rule: r.four_km_rule,
            trip_id: r.trip_id,
            review_flags: &r.review_flags,
        })
        .collect();
    of_facts(conn, &facts)
}

/// Whether each stored row has at least one flag (the queue's filter, before paging). A row
/// that its own columns already flag needs no query; only the others are looked up.
pub(super) fn flagged(conn: &mut DbConnection, rows: &[ReportRow]) -> Result<Vec<bool>> {
    let codes: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.review_flags
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map(Option::unwrap_or_default)
                .map_err(|e| anyhow::anyhow!("report {}: review_flags: {e}", r.id))
        })
        .collect::<std::result::Result<_, _>>()?;
    let facts: Vec<Facts<'_>> = rows
        .iter()
        .zip(&codes)
        .map(|(r, codes)| Facts {
            id: r.id,
            typed: r.distance_mode == DistanceMode::Read,
            four_km_rule: r.four_km_rule,
            trip_id: r.trip_id,
            review_flags: codes,
        })
        .collect();
    let (by_columns, rest): (Vec<&Facts<'_>>, Vec<&Facts<'_>>) =
        facts.iter().partition(|f| !f.own_flags().is_empty());
    let mut flagged: HashSet<ReportId> = by_columns.iter().map(|f| f.id).collect();
    let rest: Vec<Facts<'_>> = rest.into_iter().cloned().collect();
    for (f, flags) in rest.iter().zip(of_facts(conn, &rest)?) {
        if !flags.is_empty() {
            flagged.insert(f.id);
        }
    }
    Ok(rows.iter().map(|r| flagged.contains(&r.id)).collect())
}

impl Facts<'_> {
    /// The flags the report's own columns give, without a query.
    fn own_flags(&self) -> Vec<Flag> {
        [
            (self.typed, Flag::TypedDistance),
            (self.four_km_rule, Flag::FourKmRule),
        ]
        .into_iter()
        .filter_map(|(on, flag)| on.then_some(flag))
        .chain(self.review_flags.iter().cloned().map(Flag::Review))
        .collect()
    }
}

/// Three queries for any number of reports: their lines, their rejections and their trips.
fn of_facts(conn: &mut DbConnection, reports: &[Facts<'_>]) -> Result<Vec<Vec<Flag>>> {
    let ids: Vec<ReportId> = reports.iter().map(|r| r.id).collect();
    let mut kinds: HashMap<ReportId, HashSet<RateKind>> = HashMap::new();
    for line in repo::lines_of(conn, &ids)? {
        kinds
            .entry(line.report_id)
            .or_default()
            .insert(line.rate_kind);
    }
    let rejected: HashSet<ReportId> = repo::reports_with_event(conn, &ids, "reject")?
        .into_iter()
        .collect();
    let trip_ids: Vec<TripId> = reports.iter().filter_map(|r| r.trip_id).collect();
    let uncertain: HashSet<TripId> = repo::trip_uncertainties(conn, &trip_ids)?
        .into_iter()
        .filter(|&(_, distance_m, uncertainty_m)| {
            uncertainty_m * 100 >= distance_m.max(1) * GPS_UNCERTAIN_PERCENT
        })
        .map(|(trip, _, _)| trip)
        .collect();
    Ok(reports
        .iter()
        .map(|r| {
            let has = |k: RateKind| kinds.get(&r.id).is_some_and(|ks| ks.contains(&k));
            let looked_up = [
                (
                    has(RateKind::CarHigh) && has(RateKind::CarHighAbove20k),
                    Flag::SplitAt20000Km,
                ),
                (
                    r.trip_id.is_some_and(|t| uncertain.contains(&t)),
                    Flag::GpsUncertain,
                ),
                (rejected.contains(&r.id), Flag::Resubmitted),
            ]
            .into_iter()
            .filter_map(|(on, flag)| on.then_some(flag));
            let mut flags = r.own_flags();
            // In the order the pages show them: the report's own, then the looked-up ones,
            // then the phone app's codes last.
            let codes = flags.split_off(flags.len() - r.review_flags.len());
            flags.extend(looked_up);
            flags.extend(codes);
            flags
        })
        .collect())
}
