//! Rules of a trip upload that need no I/O: what a phone may send, and where a trip starts and
//! ends relative to the places that matter for the allowance (home, work).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use geo::{Distance, Geodesic, Point};

use crate::domain::gps::TrackPoint;

/// The most fixes one upload may carry: 14 hours at 1 Hz.
pub const MAX_POINTS: usize = 50_000;

/// How far a phone clock may run ahead of ours before a timestamp counts as absurd.
const MAX_CLOCK_AHEAD: Duration = Duration::hours(24);

/// The first offending fix of an upload.
#[derive(Debug, Clone, PartialEq)]
pub struct PointProblem {
    /// `points[<index>].<field>`, or `points` for the upload as a whole.
    pub field: String,
    pub message: String,
}

impl PointProblem {
    fn at(index: usize, field: &str, message: impl Into<String>) -> Self {
        PointProblem {
            field: format!("points[{index}].{field}"),
            message: message.into(),
        }
    }
}

fn earliest_plausible() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid fixed date")
}

/// Checks an upload before anything is computed or stored. `now` is the server's clock.
///
/// Coordinates must be finite and in range, timestamps between 2000 and a day ahead of `now`,
/// accuracy and speed finite when present (negative values are the phones' "unknown" and are
/// dropped later, not rejected). At least two fixes with a valid position and distinct times
/// must remain.
pub fn validate_points(points: &[TrackPoint], now: DateTime<Utc>) -> Result<(), PointProblem> {
    let latest = now + MAX_CLOCK_AHEAD;
    let earliest = earliest_plausible();
    for (index, p) in points.iter().enumerate() {
        if !(p.lat.is_finite() && p.lat.abs() <= 90.0) {
            return Err(PointProblem::at(index, "lat", "must be between -90 and 90"));
        }
        if !(p.lon.is_finite() && p.lon.abs() <= 180.0) {
            return Err(PointProblem::at(
                index,
                "lon",
                "must be between -180 and 180",
            ));
        }
        if p.timestamp < earliest || p.timestamp > latest {
            return Err(PointProblem::at(
                index,
                "timestamp",
                format!("{} is not a plausible time for a trip", p.timestamp),
            ));
        }
        if p.accuracy.is_some_and(|a| !a.is_finite()) {
            return Err(PointProblem::at(
                index,
                "accuracy",
                "must be a finite number",
            ));
        }
        if p.speed.is_some_and(|s| !s.is_finite()) {
            return Err(PointProblem::at(index, "speed", "must be a finite number"));
        }
    }
    let mut times: Vec<DateTime<Utc>> = points
        .iter()
        .filter(|p| p.has_valid_position())
        .map(|p| p.timestamp)
        .collect();
    times.sort_unstable();
    times.dedup();
    if times.len() < 2 {
        return Err(PointProblem {
            field: "points".into(),
            message: "at least 2 fixes with a valid position and distinct times are needed".into(),
        });
    }
    Ok(())
}

/// A trip's calendar date: the Danish date at its start (a trip at 00:30 local time belongs to
/// that day, whatever the UTC date).
pub fn local_date(started_at: DateTime<Utc>) -> NaiveDate {
    crate::domain::org::copenhagen_date(started_at)
}

/// Geodesic distance in metres between two (lat, lon) points.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}

/// Whether `point` lies within `radius_m` of any of `places`.
pub fn near_any(point: (f64, f64), places: &[(f64, f64)], radius_m: f64) -> bool {
    places.iter().any(|&p| distance_m(point, p) <= radius_m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("valid time")
    }

    fn fix(lat: f64, lon: f64, t: &str) -> TrackPoint {
        TrackPoint::new(lat, lon, at(t))
    }

    fn now() -> DateTime<Utc> {
        at("2026-03-02T12:00:00Z")
    }

    fn two_good() -> Vec<TrackPoint> {
        vec![
            fix(55.44, 8.40, "2026-03-02T07:12:03Z"),
            fix(55.45, 8.41, "2026-03-02T07:13:03Z"),
        ]
    }

    #[test]
    fn accepts_a_plain_trip() {
        assert_eq!(validate_points(&two_good(), now()), Ok(()));
    }

    #[test]
    fn names_the_first_offending_fix_and_field() {
        type Spoil = Box<dyn Fn(&mut TrackPoint)>;
        let cases: Vec<(Spoil, &str)> = vec![
            (Box::new(|p| p.lat = 90.5), "points[1].lat"),
            (Box::new(|p| p.lat = f64::NAN), "points[1].lat"),
            (Box::new(|p| p.lon = -181.0), "points[1].lon"),
            (Box::new(|p| p.lon = f64::INFINITY), "points[1].lon"),
            (
                Box::new(|p| p.timestamp = at("2030-01-01T00:00:00Z")),
                "points[1].timestamp",
            ),
            (
                Box::new(|p| p.timestamp = at("1999-12-31T23:59:59Z")),
                "points[1].timestamp",
            ),
            (
                Box::new(|p| p.accuracy = Some(f64::NAN)),
                "points[1].accuracy",
            ),
            (
                Box::new(|p| p.speed = Some(f64::INFINITY)),
                "points[1].speed",
            ),
        ];
        for (spoil, field) in cases {
            let mut points = two_good();
            points.push(fix(55.46, 8.42, "2026-03-02T07:14:03Z"));
            spoil(&mut points[1]);
            spoil(&mut points[2]);
            assert_eq!(validate_points(&points, now()).unwrap_err().field, field);
        }
    }

    #[test]
    fn a_phone_clock_slightly_ahead_is_fine() {
        let mut points = two_good();
        points[1].timestamp = now() + Duration::hours(23);
        assert_eq!(validate_points(&points, now()), Ok(()));
    }

    #[test]
    fn needs_two_usable_fixes() {
        assert_eq!(validate_points(&[], now()).unwrap_err().field, "points");
        assert_eq!(
            validate_points(&two_good()[..1], now()).unwrap_err().field,
            "points"
        );
        let mut same_time = two_good();
        same_time[1].timestamp = same_time[0].timestamp;
        assert_eq!(
            validate_points(&same_time, now()).unwrap_err().field,
            "points"
        );
        let mut null_island = two_good();
        null_island[1].lat = 0.0;
        null_island[1].lon = 0.0;
        assert_eq!(
            validate_points(&null_island, now()).unwrap_err().field,
            "points"
        );
    }

    #[test]
    fn negative_accuracy_and_speed_are_unknowns_not_errors() {
        let mut points = two_good();
        points[0].accuracy = Some(-1.0);
        points[0].speed = Some(-1.0);
        assert_eq!(validate_points(&points, now()), Ok(()));
    }

    #[test]
    fn local_date_follows_copenhagen_time_across_midnight_and_dst() {
        // 00:30 local in winter (UTC+1) is 23:30 UTC the day before.
        assert_eq!(
            local_date(at("2026-01-14T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()
        );
        // 00:30 local in summer (UTC+2) is 22:30 UTC the day before.
        assert_eq!(
            local_date(at("2026-07-14T22:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 7, 15).unwrap()
        );
        // The night DST ends (25 October 2026, 03:00 CEST → 02:00 CET): 23:30 UTC on the 25th
        // is 00:30 CET on the 26th; 22:30 UTC on the 24th is 00:30 CEST on the 25th.
        assert_eq!(
            local_date(at("2026-10-25T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 10, 26).unwrap()
        );
        assert_eq!(
            local_date(at("2026-10-24T22:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
        );
        // The night DST starts (29 March 2026): 22:30 UTC on the 28th is 23:30 CET, still the 28th.
        assert_eq!(
            local_date(at("2026-03-28T22:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 3, 28).unwrap()
        );
        assert_eq!(
            local_date(at("2026-03-29T22:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 3, 30).unwrap()
        );
    }

    #[test]
    fn nearness_is_geodesic() {
        let home = (55.4400, 8.4000);
        // 0.0008° of latitude ≈ 89 m.
        assert!(near_any((55.4408, 8.4000), &[home], 100.0));
        assert!(!near_any((55.4410, 8.4000), &[home], 100.0));
        assert!(!near_any((55.4408, 8.4000), &[], 100.0));
    }
}
