//! GPS trips: the idempotent upload, the summary, the track and who may read them.
//!
//! A trip is personal data. Its owner, the owner's approvers (on the trip's date or today) and
//! administrators may read it; anyone else is told it does not exist.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db::trips::{self as repo, NewTrip, TripRow};
use crate::db::{self, app_api as app_repo, org as org_repo, DbConnection};
use crate::domain::allowance::units::metres_to_units;
use crate::domain::gps::{
    compute_distance, decode_track, encode_track, path_distance, CleanPoint, DistanceReport,
    DroppedCounts, Gap, PathParams, PipelineParams, TrackPoint,
};
use crate::domain::ids::{EmploymentId, PersonId, TripId, UserId, VehicleId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::report::Purpose;
use crate::domain::trip::{self, PointProblem, MAX_POINTS};
use crate::error::{Error, ProblemKind, Result};
use crate::services::addresses::Registry;
use crate::services::org;
use crate::services::tokens::{hex_of, sha256_json_hex};
use sha2::{Digest, Sha256};

/// An upload as the phone sent it (JSON or GPX plus query parameters).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TripUpload {
    pub client_trip_id: Uuid,
    pub points: Vec<TrackPoint>,
    #[serde(default)]
    pub employment_id: Option<EmploymentId>,
    #[serde(default)]
    pub vehicle_id: Option<VehicleId>,
    #[serde(default)]
    pub purpose: Option<String>,
}

/// Marks fingerprints of the binary layout; a stored fingerprint without it is of the JSON
/// re-encoding that uploads stored before 2 December 2026 carry.
const FINGERPRINT_LAYOUT: &str = "bin1:";

impl TripUpload {
    /// SHA-256 over the upload as parsed, in a fixed binary layout of every field, so a retry
    /// matches whatever whitespace, field order or number spelling the phone used, and any
    /// different content does not. (The binary layout costs a third of re-encoding the upload
    /// as JSON, which was a quarter of an upload's CPU time.)
    pub fn fingerprint(&self) -> String {
        let TripUpload {
            client_trip_id,
            points,
            employment_id,
            vehicle_id,
            purpose,
        } = self;
        let mut hasher = Sha256::new();
        hasher.update(client_trip_id.as_bytes());
        // The stored fingerprints hash the raw number.
        hash_option(&mut hasher, employment_id.map(|e| e.0.to_le_bytes()));
        hash_option(&mut hasher, vehicle_id.map(|v| v.0.to_le_bytes()));
        hash_option(&mut hasher, purpose.as_ref().map(|p| p.len().to_le_bytes()));
        hasher.update(purpose.as_deref().unwrap_or_default());
        hasher.update(points.len().to_le_bytes());
        for point in points {
            let TrackPoint {
                lat,
                lon,
                timestamp,
                accuracy,
                speed,
            } = point;
            hasher.update(lat.to_bits().to_le_bytes());
            hasher.update(lon.to_bits().to_le_bytes());
            hasher.update(timestamp.timestamp().to_le_bytes());
            hasher.update(timestamp.timestamp_subsec_nanos().to_le_bytes());
            hash_option(&mut hasher, accuracy.map(|a| a.to_bits().to_le_bytes()));
            hash_option(&mut hasher, speed.map(|v| v.to_bits().to_le_bytes()));
        }
        format!("{FINGERPRINT_LAYOUT}{}", hex_of(&hasher.finalize()))
    }

    /// Whether `stored` (a trip's fingerprint) is this upload's; `fingerprint` is
    /// [`Self::fingerprint`]. Trips stored before the binary layout are compared by the JSON
    /// re-encoding they were fingerprinted with, so a phone's retry across the upgrade is
    /// still a retry.
    fn is_fingerprint(&self, stored: &str, fingerprint: &str) -> bool {
        if stored.starts_with(FINGERPRINT_LAYOUT) {
            stored == fingerprint
        } else {
            sha256_json_hex(self).is_ok_and(|legacy| legacy == stored)
        }
    }
}

fn hash_option<const N: usize>(hasher: &mut Sha256, value: Option<[u8; N]>) {
    match value {
        Some(bytes) => {
            hasher.update([1]);
            hasher.update(bytes);
        }
        None => hasher.update([0]),
    }
}

/// What the trip pipeline needs besides the database.
pub struct TripContext<'a> {
    pub registry: &'a Registry,
    pub params: &'a PipelineParams,
    /// A trip starts or ends at home (work) within this distance of the address, metres.
    pub home_radius_m: f64,
    /// Start and end addresses farther than this are not named, metres.
    pub address_radius_m: f64,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TripQuality {
    pub points_in: usize,
    pub points_used: usize,
    pub out_of_order: usize,
    pub dropped: DroppedCounts,
    pub stationary_periods: u32,
    pub stationary_s: f64,
    pub gaps_bridged: u32,
    pub gap_distance_m: f64,
    pub gaps: Vec<Gap>,
    pub speed_integral_m: Option<u64>,
}

impl From<&DistanceReport> for TripQuality {
    fn from(r: &DistanceReport) -> Self {
        TripQuality {
            points_in: r.points_in,
            points_used: r.points_used,
            out_of_order: r.out_of_order,
            dropped: r.dropped.clone(),
            stationary_periods: r.stationary_periods,
            stationary_s: r.stationary_s,
            gaps_bridged: r.gaps_bridged,
            gap_distance_m: r.gap_distance_m,
            gaps: r.gaps.clone(),
            speed_integral_m: r.speed_integral_m,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MatchedAddress {
    pub id: String,
    pub label: String,
    pub distance_m: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TripEnd {
    pub latitude: f64,
    pub longitude: f64,
    pub address: Option<MatchedAddress>,
    pub at_home: bool,
    pub at_work: bool,
}

/// The summary of a trip, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Trip {
    pub id: TripId,
    pub user_id: UserId,
    pub client_trip_id: String,
    pub employment_id: Option<EmploymentId>,
    pub vehicle_id: Option<VehicleId>,
    pub purpose: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub local_date: NaiveDate,
    pub distance_m: i64,
    /// `distance_m` in km with two decimals (10 m rounded half up), for display.
    pub distance_km: f64,
    pub naive_distance_m: i64,
    pub uncertainty_m: i64,
    pub quality: Value,
    pub start: TripEnd,
    pub end: TripEnd,
    pub created_at: DateTime<Utc>,
}

impl From<TripRow> for Trip {
    fn from(r: TripRow) -> Self {
        let end = |lat, lon, id: Option<String>, label: Option<String>, dist, home, work| TripEnd {
            latitude: lat,
            longitude: lon,
            address: match (id, label, dist) {
                (Some(id), Some(label), Some(distance_m)) => Some(MatchedAddress {
                    id,
                    label,
                    distance_m,
                }),
                _ => None,
            },
            at_home: home,
            at_work: work,
        };
        Trip {
            id: r.id,
            user_id: r.user_id,
            client_trip_id: r.client_trip_id,
            employment_id: r.employment_id,
            vehicle_id: r.vehicle_id,
            purpose: r.purpose,
            started_at: r.started_at.and_utc(),
            ended_at: r.ended_at.and_utc(),
            local_date: r.local_date,
            distance_m: r.distance_m,
            distance_km: metres_to_units(r.distance_m) as f64 / 100.0,
            naive_distance_m: r.naive_distance_m,
            uncertainty_m: r.uncertainty_m,
            // Written by this module from `TripQuality`; shown as stored.
            quality: serde_json::from_str(&r.quality).unwrap_or(Value::Null),
            start: end(
                r.start_latitude,
                r.start_longitude,
                r.start_address_id,
                r.start_address_label,
                r.start_address_distance_m,
                r.starts_at_home,
                r.starts_at_work,
            ),
            end: end(
                r.end_latitude,
                r.end_longitude,
                r.end_address_id,
                r.end_address_label,
                r.end_address_distance_m,
                r.ends_at_home,
                r.ends_at_work,
            ),
            created_at: r.created_at.and_utc(),
        }
    }
}

/// The result of an upload: a new trip, or the one an earlier identical upload created.
pub enum Uploaded {
    Created(Trip),
    Replayed(Trip),
}

fn point_problem(p: PointProblem) -> Error {
    Error::validation(&p.field, p.message)
}

/// Stores an upload once. The same `client_trip_id` with the same content returns the stored
/// trip; with different content it is a conflict. Concurrent identical uploads race on the
/// unique `(user_id, client_trip_id)` key: one inserts, the others find its row.
pub fn upload(
    conn: &mut DbConnection,
    user_id: UserId,
    upload: TripUpload,
    ctx: &TripContext<'_>,
) -> Result<Uploaded> {
    if upload.points.len() > MAX_POINTS {
        return Err(Error::problem(
            ProblemKind::PayloadTooLarge,
            format!(
                "a trip may have at most {MAX_POINTS} points; this one has {}",
                upload.points.len()
            ),
        ));
    }
    trip::validate_points(&upload.points, ctx.now).map_err(point_problem)?;
    let fingerprint = upload.fingerprint();
    let client_trip_id = upload.client_trip_id.to_string();
    if let Some(existing) = repo::find_by_client_id(conn, user_id, &client_trip_id)? {
        return replay(existing, &upload, &fingerprint);
    }

    let person = org::person_of_user_id(conn, user_id)?;
    check_references(conn, person.as_ref().map(|p| p.id), &upload)?;
    // The report's rule for a purpose, so that a report made from the trip can take it as it is.
    let purpose = Purpose::optional(upload.purpose.as_deref())
        .map_err(|e| Error::validation("purpose", e))?
        .map(Purpose::into_string);
    let report = compute_distance(&upload.points, ctx.params);
    let (Some(first), Some(last)) = (report.track.first(), report.track.last()) else {
        return Err(Error::validation(
            "points",
            "no usable fixes remain after cleaning",
        ));
    };
    let started_at = first.timestamp;
    let local_date = trip::local_date(started_at);
    let places = match &person {
        Some(person) => Places::of(conn, person.id, local_date, upload.employment_id)?,
        None => Places::default(),
    };
    let at = |p: &CleanPoint, spots: &[(f64, f64)]| {
        trip::near_any((p.lat, p.lon), spots, ctx.home_radius_m)
    };
    let start_address = nearest_address(ctx, first);
    let end_address = nearest_address(ctx, last);
    let quality = serde_json::to_string(&TripQuality::from(&report))
        .map_err(|e| Error::Internal(e.into()))?;
    let track = encode_track(&upload.points).map_err(|e| Error::Internal(e.into()))?;
    let new = NewTrip {
        user_id,
        client_trip_id: &client_trip_id,
        body_sha256: &fingerprint,
        employment_id: upload.employment_id,
        vehicle_id: upload.vehicle_id,
        purpose: purpose.as_deref(),
        started_at: started_at.naive_utc(),
        ended_at: last.timestamp.naive_utc(),
        local_date,
        distance_m: to_i64(report.distance_m),
        naive_distance_m: to_i64(report.naive_distance_m),
        uncertainty_m: to_i64(report.uncertainty_m),
        points_in: report.points_in as i64,
        points_used: report.points_used as i64,
        quality: &quality,
        start_latitude: first.lat,
        start_longitude: first.lon,
        end_latitude: last.lat,
        end_longitude: last.lon,
        start_address_id: start_address.as_ref().map(|a| a.id.as_str()),
        start_address_label: start_address.as_ref().map(|a| a.label.as_str()),
        start_address_distance_m: start_address.as_ref().map(|a| a.distance_m),
        end_address_id: end_address.as_ref().map(|a| a.id.as_str()),
        end_address_label: end_address.as_ref().map(|a| a.label.as_str()),
        end_address_distance_m: end_address.as_ref().map(|a| a.distance_m),
        starts_at_home: at(first, &places.home),
        ends_at_home: at(last, &places.home),
        starts_at_work: at(first, &places.work),
        ends_at_work: at(last, &places.work),
        track: &track,
        created_at: db::utc_now(),
    };
    let inserted = db::write_transaction(conn, |conn| repo::insert(conn, &new));
    match inserted {
        Ok(id) => Ok(Uploaded::Created(stored(conn, id)?.into())),
        Err(e) if db::is_unique_violation(&e) => {
            let existing =
                repo::find_by_client_id(conn, user_id, &client_trip_id)?.ok_or_else(|| {
                    Error::Internal(anyhow::anyhow!("unique violation without a row"))
                })?;
            replay(existing, &upload, &fingerprint)
        }
        Err(e) => Err(e.into()),
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn stored(conn: &mut DbConnection, id: TripId) -> Result<TripRow> {
    repo::find(conn, id)?.ok_or_else(|| Error::not_found("trip"))
}

fn replay(existing: TripRow, upload: &TripUpload, fingerprint: &str) -> Result<Uploaded> {
    if upload.is_fingerprint(&existing.body_sha256, fingerprint) {
        Ok(Uploaded::Replayed(existing.into()))
    } else {
        Err(Error::problem(
            ProblemKind::Conflict,
            format!(
                "client_trip_id {} was already uploaded with different content (trip {})",
                existing.client_trip_id, existing.id
            ),
        ))
    }
}

/// The employment and vehicle an upload names must be the uploader's own.
fn check_references(
    conn: &mut DbConnection,
    person_id: Option<PersonId>,
    upload: &TripUpload,
) -> Result<()> {
    if let Some(id) = upload.employment_id {
        let own =
            org_repo::find_employment(conn, id)?.is_some_and(|e| Some(e.person_id) == person_id);
        if !own {
            return Err(Error::validation(
                "employment_id",
                "is not one of your employments",
            ));
        }
    }
    if let Some(id) = upload.vehicle_id {
        let own = org_repo::find_vehicle(conn, id)?.is_some_and(|v| Some(v.person_id) == person_id);
        if !own {
            return Err(Error::validation(
                "vehicle_id",
                "is not one of your vehicles",
            ));
        }
    }
    Ok(())
}

/// The person's home and work locations valid on the trip's date.
#[derive(Default)]
struct Places {
    home: Vec<(f64, f64)>,
    work: Vec<(f64, f64)>,
}

impl Places {
    fn of(
        conn: &mut DbConnection,
        person_id: PersonId,
        date: NaiveDate,
        employment_id: Option<EmploymentId>,
    ) -> Result<Places> {
        let addresses = org::addresses_on(conn, person_id, date)?;
        let spot = |a: &org::EffectiveAddress| (a.location.latitude, a.location.longitude);
        let home = [&addresses.home, &addresses.alternative_home]
            .into_iter()
            .flatten()
            .map(spot)
            .collect();
        // Without a chosen employment, any workplace of the day counts.
        let work = addresses
            .employments
            .iter()
            .filter(|w| employment_id.is_none_or(|id| id == w.employment_id))
            .flat_map(|w| [&w.work, &w.alternative_work])
            .flatten()
            .map(spot)
            .collect();
        Ok(Places { home, work })
    }
}

fn nearest_address(ctx: &TripContext<'_>, p: &CleanPoint) -> Option<MatchedAddress> {
    let found = ctx
        .registry
        .match_point(p.lat, p.lon, Some(ctx.address_radius_m), None)?;
    found.within_tolerance.then(|| MatchedAddress {
        id: found.address_id.to_string(),
        label: found.text,
        distance_m: found.distance_m.round() as i64,
    })
}

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub struct Reader {
    pub user_id: UserId,
    pub is_admin: bool,
}

/// A trip the reader may see; otherwise "not found", so its existence does not leak.
pub fn visible(conn: &mut DbConnection, reader: Reader, id: TripId) -> Result<TripRow> {
    let row = stored(conn, id)?;
    if row.user_id == reader.user_id || reader.is_admin || approves_owner(conn, reader, &row)? {
        Ok(row)
    } else {
        Err(Error::not_found("trip"))
    }
}

fn approves_owner(conn: &mut DbConnection, reader: Reader, row: &TripRow) -> Result<bool> {
    let (Some(approver), Some(owner)) = (
        org::person_of_user_id(conn, reader.user_id)?,
        org::person_of_user_id(conn, row.user_id)?,
    ) else {
        return Ok(false);
    };
    let today = org::today();
    if org::approves(conn, approver.id, owner.id, row.local_date)? {
        return Ok(true);
    }
    // Each resolution reads the whole organisation: ask about today only when it differs.
    Ok(today != row.local_date && org::approves(conn, approver.id, owner.id, today)?)
}

pub fn get(conn: &mut DbConnection, reader: Reader, id: TripId) -> Result<Trip> {
    Ok(visible(conn, reader, id)?.into())
}

/// The caller's own trips, newest first.
pub fn list_mine(
    conn: &mut DbConnection,
    user_id: UserId,
    page: PageRequest,
) -> Result<Page<Trip>> {
    let total = repo::count_of_user(conn, user_id)?;
    let items = repo::list_of_user(conn, user_id, page.offset(), page.limit())?
        .into_iter()
        .map(Trip::from)
        .collect();
    Ok(Page::new(items, page, total))
}

/// GeoJSON of the raw track (as uploaded) and the cleaned track (recomputed from it).
pub fn track_geojson(
    conn: &mut DbConnection,
    reader: Reader,
    id: TripId,
    params: &PipelineParams,
) -> Result<Value> {
    let (row, raw) = stored_track(conn, reader, id)?;
    let raw_line: Vec<(f64, f64, DateTime<Utc>)> =
        raw.iter().map(|p| (p.lon, p.lat, p.timestamp)).collect();
    let clean_line = cleaned_line(conn, &row, &raw, params)?;
    Ok(json!({
        "type": "FeatureCollection",
        "features": [
            line_feature("raw", row.id, &raw_line),
            line_feature("cleaned", row.id, &clean_line),
        ],
    }))
}

/// A visible trip and its track as uploaded.
fn stored_track(
    conn: &mut DbConnection,
    reader: Reader,
    id: TripId,
) -> Result<(TripRow, Vec<TrackPoint>)> {
    let row = visible(conn, reader, id)?;
    let bytes = repo::track(conn, row.id)?.ok_or_else(|| Error::not_found("trip"))?;
    let raw = decode_track(&bytes).map_err(|e| Error::Internal(e.into()))?;
    Ok((row, raw))
}

/// The cleaned line of a stored track as (longitude, latitude, time).
fn cleaned_line(
    conn: &mut DbConnection,
    row: &TripRow,
    raw: &[TrackPoint],
    params: &PipelineParams,
) -> Result<Vec<(f64, f64, DateTime<Utc>)>> {
    Ok(if app_repo::upload_of_trip(conn, row.id)?.is_some() {
        // From a phone app: coordinates without times, cleaned by the path-only mode.
        let positions: Vec<(f64, f64)> = raw.iter().map(|p| (p.lat, p.lon)).collect();
        let at = row.started_at.and_utc();
        path_distance(&positions, &PathParams::default())
            .path
            .iter()
            .map(|&(lat, lon)| (lon, lat, at))
            .collect()
    } else {
        compute_distance(raw, params)
            .track
            .iter()
            .map(|p| (p.lon, p.lat, p.timestamp))
            .collect()
    })
}

/// The cleaned track of a trip the reader may see, as (latitude, longitude): what a map draws.
pub fn cleaned_track(
    conn: &mut DbConnection,
    reader: Reader,
    id: TripId,
    params: &PipelineParams,
) -> Result<Vec<(f64, f64)>> {
    let (row, raw) = stored_track(conn, reader, id)?;
    Ok(cleaned_line(conn, &row, &raw, params)?
        .into_iter()
        .map(|(lon, lat, _)| (lat, lon))
        .collect())
}

/// A LineString feature with the fixes' times in `coordTimes` (the convention of
/// togeojson/Mapbox). Fewer than two positions make no line: the geometry is then null.
fn line_feature(kind: &str, trip_id: TripId, line: &[(f64, f64, DateTime<Utc>)]) -> Value {
    let geometry = if line.len() >= 2 {
        json!({
            "type": "LineString",
            "coordinates": line.iter().map(|&(lon, lat, _)| [lon, lat]).collect::<Vec<_>>(),
        })
    } else {
        Value::Null
    };
    json!({
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "trip_id": trip_id,
            "kind": kind,
            "points": line.len(),
            "coordTimes": line.iter().map(|&(_, _, t)| t).collect::<Vec<_>>(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn upload() -> TripUpload {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 7, 0, 0).unwrap();
        let points = (0..3)
            .map(|i| TrackPoint {
                lat: 55.4 + f64::from(i) * 1e-4,
                lon: 8.4,
                timestamp: t0 + chrono::Duration::seconds(i64::from(i)),
                accuracy: Some(5.0),
                speed: None,
            })
            .collect();
        TripUpload {
            client_trip_id: Uuid::nil(),
            points,
            employment_id: Some(EmploymentId(7)),
            vehicle_id: None,
            purpose: Some("Hjemmebesøg".into()),
        }
    }

    type Change = Box<dyn Fn(&mut TripUpload)>;

    #[test]
    fn every_field_changes_the_fingerprint() {
        let base = upload();
        let same = upload().fingerprint();
        assert_eq!(base.fingerprint(), same);
        let changes: Vec<Change> = vec![
            Box::new(|u| u.client_trip_id = Uuid::from_u128(1)),
            Box::new(|u| u.employment_id = None),
            Box::new(|u| u.vehicle_id = Some(VehicleId(7))),
            Box::new(|u| u.purpose = Some("Hjemmebesøg ".into())),
            Box::new(|u| u.purpose = None),
            Box::new(|u| u.points[1].lat += 1e-9),
            Box::new(|u| u.points[1].lon = -u.points[1].lon),
            Box::new(|u| u.points[2].timestamp += chrono::Duration::nanoseconds(1)),
            Box::new(|u| u.points[0].accuracy = None),
            Box::new(|u| u.points[0].speed = Some(0.0)),
            Box::new(|u| {
                u.points.pop();
            }),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut changed = upload();
            change(&mut changed);
            assert_ne!(changed.fingerprint(), same, "change {i}");
            assert!(
                !changed.is_fingerprint(&same, &changed.fingerprint()),
                "change {i}"
            );
        }
    }

    #[test]
    fn trips_stored_with_the_json_fingerprint_still_match_their_retry() {
        let retry = upload();
        let stored = sha256_json_hex(&retry).unwrap();
        assert!(retry.is_fingerprint(&stored, &retry.fingerprint()));
        let mut other = upload();
        other.points[0].lat += 1e-6;
        assert!(!other.is_fingerprint(&stored, &other.fingerprint()));
    }
}
