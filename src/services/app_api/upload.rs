//! `POST /api/report`: a drive report from a phone app, stored with its trip in one transaction.
//!
//! 1. The GuId first (401 + 610), then the body (400 + 640), then `ProfileId` (401 + 670).
//! 2. The distance is korsel's, from the app's coordinates by the path-only mode of
//!    `domain::gps` (the apps send no times); the app's `TotalDistance` is kept beside it and
//!    the report is flagged for the approver when the two differ by more than 10 % and 500 m.
//!    No coordinates and a `TotalDistance`: the user typed the km, a `read` report (remark
//!    required).
//! 3. `StartsAtHome`/`EndsAtHome` are the app's (it decides them); korsel checks them against
//!    the person's home on the drive date and flags a disagreement.
//! 4. Idempotent on the app's `Uuid`: a repeat answers 200 + 690 and stores nothing. Concurrent
//!    identical uploads race on the unique `(user_id, client_trip_id)` of the trip (or the
//!    `(user_id, uuid)` of the upload): one commits, the others roll back and answer 690.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

use super::access::{self, AppUser};
use super::AppError;
use crate::db::app_api::{self as repo, NewUpload};
use crate::db::reports::TripFacts;
use crate::db::trips::{self as trips_repo, NewTrip};
use crate::db::{self, org as org_repo, write_transaction, DbConnection};
use crate::domain::allowance::{DistanceMode, RateKind};
use crate::domain::gps::{encode_track, path_distance, PathParams, PathReport, TrackPoint};
use crate::domain::ids::{EmploymentId, ReportId, TripId, UserId};
use crate::domain::os2app::{guid_of_drive_object, parse_drive_object, DriveReport};
use crate::domain::trip::{near_any, MAX_POINTS};
use crate::error::{Error, Result};
use crate::services::addresses::Registry;
use crate::services::org::{self, Location};
use crate::services::reports::{self, PlannedReport, ReportInput, Source};
use crate::services::tokens::sha256_json_hex;

/// Review flag: the app's distance and korsel's differ by more than 10 % and 500 m.
pub const FLAG_DISTANCE: &str = "app_distance_differs";
/// Review flag: the app says the trip starts (ends) at home and korsel's check of the first
/// (last) coordinate against the home address says otherwise, or the reverse.
pub const FLAG_STARTS_AT_HOME: &str = "starts_at_home_disagrees";
pub const FLAG_ENDS_AT_HOME: &str = "ends_at_home_disagrees";

const FLAG_MIN_DIFFERENCE_M: i64 = 500;
const FLAG_MIN_DIFFERENCE_PERCENT: i64 = 10;

/// What an upload needs besides the body.
#[derive(Clone)]
pub struct UploadContext {
    pub reports: reports::Context,
    pub registry: Arc<Registry>,
    /// A coordinate this close to the home (work) address is at home (work), metres.
    pub home_radius_m: f64,
    /// Stops farther than this from any registry address are named by their coordinates.
    pub address_radius_m: f64,
    pub token_max_age: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    Stored {
        report_id: ReportId,
    },
    /// The `Uuid` was stored before: nothing new.
    Duplicate,
}

pub async fn upload(ctx: &UploadContext, body: Value) -> std::result::Result<Uploaded, AppError> {
    let db = ctx.reports.db.clone();
    let guid = guid_of_drive_object(&body)
        .ok_or_else(|| AppError::InvalidAuthorization("Invalid authorization".into()))?;
    let max_age = ctx.token_max_age;
    let owner = db
        .run(move |c| Ok(access::authenticate(c, &guid, max_age)))
        .await??;
    let report = parse_drive_object(&body, org::today(), MAX_POINTS)?.report;
    if report.profile_id != owner.person.id {
        return Err(AppError::ReportAndUserDoNotMatch);
    }
    let user_id = owner.user_id;
    let uuid = report.uuid.clone();
    if db
        .run(move |c| Ok(repo::upload_exists(c, user_id, &uuid)?))
        .await?
    {
        return Ok(Uploaded::Duplicate);
    }

    let prepared = {
        let (ctx, report) = (ctx.clone(), report.clone());
        db.run(move |c| prepare(c, &ctx, &owner, &report)).await?
    };
    let planned = reports::plan_new(&ctx.reports, user_id, prepared.input, prepared.source).await?;
    let body_sha256 = sha256_json_hex(&body).map_err(|e| Error::Internal(e.into()))?;
    let trip = prepared.trip;
    let stored = db
        .run(move |c| {
            Ok(write_transaction(c, |c| {
                store(c, user_id, &report, &body_sha256, trip.as_ref(), &planned)
            }))
        })
        .await?;
    match stored {
        Ok(Some(report_id)) => Ok(Uploaded::Stored { report_id }),
        Ok(None) => Ok(Uploaded::Duplicate),
        Err(e) if is_unique_violation(&e) => Ok(Uploaded::Duplicate),
        Err(e) => Err(e.into()),
    }
}

/// A duplicate key from the database, through the error's cause chain.
fn is_unique_violation(e: &Error) -> bool {
    match e {
        Error::Internal(cause) => cause
            .downcast_ref::<diesel::result::Error>()
            .is_some_and(db::is_unique_violation),
        Error::Problem(_) => false,
    }
}

/// The report's input for the report service, and the trip to store with it.
struct Prepared {
    input: ReportInput,
    source: Source,
    trip: Option<AppTrip>,
}

/// A trip from the app's coordinates, ready to insert.
struct AppTrip {
    path: PathReport,
    points: Vec<TrackPoint>,
    /// The apps send no time: noon (UTC) of the drive date stands in for start and end.
    at: DateTime<Utc>,
    date: NaiveDate,
    employment_id: EmploymentId,
    purpose: String,
    /// The first and last stops, with the distance to their registry address when one is near.
    start: (Location, Option<i64>),
    end: (Location, Option<i64>),
    starts_at_home: bool,
    ends_at_home: bool,
    starts_at_work: bool,
    ends_at_work: bool,
}

/// Reads what the report needs (no writes): the rate's kind, the distance, the stops, korsel's
/// check of the home flags, the review flags.
fn prepare(
    conn: &mut DbConnection,
    ctx: &UploadContext,
    owner: &AppUser,
    report: &DriveReport,
) -> Result<Prepared> {
    let rate_kind = org_repo::find_rate_type(conn, report.rate_id)?
        .map(|r| r.kind)
        .filter(|&k| k != RateKind::CarHighAbove20k)
        .ok_or_else(|| Error::validation("DriveReport.RateId", "no such rate"))?;
    let border_m = report.four_km_rule.then_some(report.home_to_border_m);
    let mut input = ReportInput {
        employment_id: report.employment_id,
        rate_kind,
        vehicle_id: None,
        drive_date: None,
        purpose: report.purpose.clone(),
        remark: report.remark.clone(),
        distance_mode: DistanceMode::Gps,
        round_trip: false,
        route: Vec::new(),
        typed_distance_m: None,
        starts_at_home: None,
        ends_at_home: None,
        trip_id: None,
        four_km_rule: report.four_km_rule,
        version: None,
    };
    if report.coordinates.is_empty() {
        // The user typed the km on the phone: OS2's "Read".
        if report.total_distance_m == 0 {
            return Err(Error::validation(
                "DriveReport.route.TotalDistance",
                "without coordinates the distance typed on the phone is required",
            ));
        }
        input.distance_mode = DistanceMode::Read;
        input.drive_date = Some(report.date);
        input.typed_distance_m = Some(report.total_distance_m);
        input.starts_at_home = Some(report.starts_at_home);
        input.ends_at_home = Some(report.ends_at_home);
        return Ok(Prepared {
            input,
            source: Source {
                border_m,
                ..Source::default()
            },
            trip: None,
        });
    }

    let coordinates: Vec<(f64, f64)> = report
        .coordinates
        .iter()
        .map(|c| (c.latitude, c.longitude))
        .collect();
    let path = path_distance(&coordinates, &PathParams::default());
    let (Some(&first), Some(&last)) = (path.path.first(), path.path.last()) else {
        return Err(Error::validation(
            "DriveReport.route.GPSCoordinates",
            "no usable coordinates",
        ));
    };
    if path.points_used < 2 {
        return Err(Error::validation(
            "DriveReport.route.GPSCoordinates",
            "the coordinates do not describe a drive: at least two different places are needed",
        ));
    }
    let places = org::addresses_on(conn, owner.person.id, report.date)?;
    let spot = |a: &org::EffectiveAddress| (a.location.latitude, a.location.longitude);
    let homes: Vec<(f64, f64)> = [&places.home, &places.alternative_home]
        .into_iter()
        .flatten()
        .map(spot)
        .collect();
    let works: Vec<(f64, f64)> = places
        .employments
        .iter()
        .filter(|w| w.employment_id == report.employment_id)
        .flat_map(|w| [&w.work, &w.alternative_work])
        .flatten()
        .map(spot)
        .collect();
    let radius = ctx.home_radius_m;
    let distance_m = i64::try_from(path.distance_m).unwrap_or(i64::MAX);
    let review_flags = review_flags(
        report,
        distance_m,
        near_any(first, &homes, radius),
        near_any(last, &homes, radius),
    );
    let stop = |(lat, lon): (f64, f64)| named_stop(ctx, lat, lon);
    let (start, end) = (stop(first), stop(last));
    let mut stops = vec![start.0.clone()];
    stops.extend(
        report
            .coordinates
            .iter()
            .filter(|c| c.is_via_point)
            .map(|c| stop((c.latitude, c.longitude)).0),
    );
    stops.push(end.0.clone());
    let at = report
        .date
        .and_hms_opt(12, 0, 0)
        .expect("noon exists")
        .and_utc();
    let trip = AppTrip {
        points: coordinates
            .iter()
            .map(|&(lat, lon)| TrackPoint::new(lat, lon, at))
            .collect(),
        at,
        date: report.date,
        employment_id: report.employment_id,
        purpose: report.purpose.clone(),
        start,
        end,
        starts_at_home: report.starts_at_home,
        ends_at_home: report.ends_at_home,
        starts_at_work: near_any(first, &works, radius),
        ends_at_work: near_any(last, &works, radius),
        path,
    };
    let facts = TripFacts {
        // Stored in the same transaction as the report, which learns the id there.
        id: TripId(0),
        user_id: owner.user_id,
        local_date: report.date,
        distance_m,
        starts_at_home: trip.starts_at_home,
        ends_at_home: trip.ends_at_home,
        starts_at_work: trip.starts_at_work,
        ends_at_work: trip.ends_at_work,
        employment_id: Some(report.employment_id),
        vehicle_id: None,
        purpose: Some(report.purpose.clone()),
        end_latitude: last.0,
        end_longitude: last.1,
    };
    Ok(Prepared {
        input,
        source: Source {
            trip: Some(facts),
            stops,
            border_m,
            review_flags,
        },
        trip: Some(trip),
    })
}

/// What the approver should look at (see the `FLAG_*` codes).
fn review_flags(
    report: &DriveReport,
    distance_m: i64,
    starts_near_home: bool,
    ends_near_home: bool,
) -> Vec<String> {
    let mut flags = Vec::new();
    let difference = (report.total_distance_m - distance_m).abs();
    if difference > FLAG_MIN_DIFFERENCE_M
        && difference * 100 > FLAG_MIN_DIFFERENCE_PERCENT * distance_m
    {
        flags.push(FLAG_DISTANCE.to_string());
    }
    if report.starts_at_home != starts_near_home {
        flags.push(FLAG_STARTS_AT_HOME.to_string());
    }
    if report.ends_at_home != ends_near_home {
        flags.push(FLAG_ENDS_AT_HOME.to_string());
    }
    flags
}

/// A stop at a coordinate: the nearest registry address within the radius names it (and its
/// distance, metres, is given); none near, the coordinates do.
fn named_stop(ctx: &UploadContext, lat: f64, lon: f64) -> (Location, Option<i64>) {
    let found = ctx
        .registry
        .match_point(lat, lon, Some(ctx.address_radius_m), None)
        .filter(|m| m.within_tolerance);
    let (registry_address_id, label, distance_m) = match found {
        Some(m) => (
            m.address_id.to_string(),
            m.text,
            Some(m.distance_m.round() as i64),
        ),
        None => (String::new(), format!("{lat:.6}, {lon:.6}"), None),
    };
    let location = Location {
        registry_address_id,
        label,
        latitude: lat,
        longitude: lon,
    };
    (location, distance_m)
}

/// The writes, in the caller's transaction. `None`: the Uuid was stored meanwhile.
fn store(
    c: &mut DbConnection,
    user_id: UserId,
    report: &DriveReport,
    body_sha256: &str,
    trip: Option<&AppTrip>,
    planned: &PlannedReport,
) -> Result<Option<ReportId>> {
    if repo::upload_exists(c, user_id, &report.uuid)? {
        return Ok(None);
    }
    let now = db::utc_now();
    let trip_id = match trip {
        Some(trip) => Some(insert_trip(c, user_id, report, body_sha256, trip, now)?),
        None => None,
    };
    let stored = reports::create_in(c, user_id, planned, trip_id, true)?;
    repo::insert_upload(
        c,
        &NewUpload {
            user_id,
            uuid: &report.uuid,
            body_sha256,
            trip_id,
            report_id: stored.id,
            app_total_distance_m: report.total_distance_m,
            created_at: now,
        },
    )?;
    Ok(Some(stored.id))
}

fn insert_trip(
    c: &mut DbConnection,
    user_id: UserId,
    report: &DriveReport,
    body_sha256: &str,
    trip: &AppTrip,
    now: chrono::NaiveDateTime,
) -> Result<TripId> {
    let path = &trip.path;
    // What the trip summary shows under `quality`: the path-only figures and the app's own.
    let quality = json!({
        "mode": "path_only",
        "app_total_distance_m": report.total_distance_m,
        "path": path,
    })
    .to_string();
    let track = encode_track(&trip.points).map_err(|e| Error::Internal(e.into()))?;
    let metres = |m: u64| i64::try_from(m).unwrap_or(i64::MAX);
    fn address(stop: &(Location, Option<i64>)) -> Option<(&Location, i64)> {
        stop.1.map(|d| (&stop.0, d))
    }
    let (start, end) = (address(&trip.start), address(&trip.end));
    let new = NewTrip {
        user_id,
        client_trip_id: &report.uuid,
        body_sha256,
        employment_id: Some(trip.employment_id),
        vehicle_id: None,
        purpose: Some(&trip.purpose),
        started_at: trip.at.naive_utc(),
        ended_at: trip.at.naive_utc(),
        local_date: trip.date,
        distance_m: metres(path.distance_m),
        naive_distance_m: metres(path.naive_distance_m),
        // Without accuracies only what cleaning removed is uncertain.
        uncertainty_m: metres(path.naive_distance_m.saturating_sub(path.distance_m) / 2),
        points_in: path.points_in as i64,
        points_used: path.points_used as i64,
        quality: &quality,
        start_latitude: trip.start.0.latitude,
        start_longitude: trip.start.0.longitude,
        end_latitude: trip.end.0.latitude,
        end_longitude: trip.end.0.longitude,
        start_address_id: start.map(|(l, _)| l.registry_address_id.as_str()),
        start_address_label: start.map(|(l, _)| l.label.as_str()),
        start_address_distance_m: start.map(|(_, d)| d),
        end_address_id: end.map(|(l, _)| l.registry_address_id.as_str()),
        end_address_label: end.map(|(l, _)| l.label.as_str()),
        end_address_distance_m: end.map(|(_, d)| d),
        starts_at_home: trip.starts_at_home,
        ends_at_home: trip.ends_at_home,
        starts_at_work: trip.starts_at_work,
        ends_at_work: trip.ends_at_work,
        track: &track,
        created_at: now,
    };
    Ok(trips_repo::insert(c, &new)?)
}
