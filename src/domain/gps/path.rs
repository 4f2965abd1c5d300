//! Driven distance from coordinates alone: the path-only mode for the OS2indberetning phone apps,
//! which send latitude and longitude without time, accuracy or speed (their own filters ran on
//! the phone: accuracy ≤ 50–100 m, a point closer to the previous than its accuracy ignored).
//!
//! Without time there is no speed to judge a jump by and nothing to smooth over, so the rules
//! are geometric:
//! 1. hygiene: drop non-finite, out-of-range and (0, 0) coordinates and exact repeats;
//! 2. jumps: a run of at most [`PathParams::max_jump_run`] points that leaves the track by
//!    more than [`PathParams::jump_min_m`] and comes back next to where it left (the points
//!    before and after the run are closer to each other than a third of the way out) is a
//!    reflection or a stale fix, and is dropped; a real detour to a dead end has many points;
//! 3. jitter: consecutive points within [`PathParams::jitter_radius_m`] of their running mean
//!    (standing at a light, creeping in a queue, the phone's noise) collapse to that mean, so
//!    the noise's zig-zag is not summed;
//! 4. length: the sum of the geodesic lengths between the remaining points.

use serde::Serialize;

use geo::{Distance, Geodesic, Point};

use super::point::TrackPoint;

/// Tuning of the path-only mode. Physical, not fitted: a phone's position noise is a few
/// metres to 15 m; the apps themselves warn about a jump of more than 200 m.
#[derive(Debug, Clone, PartialEq)]
pub struct PathParams {
    /// Points within this distance of their group's running mean collapse to it, metres.
    pub jitter_radius_m: f64,
    /// A run that leaves and comes back by less than this is not a jump, metres.
    pub jump_min_m: f64,
    /// Longest run of points that may be dropped as one jump.
    pub max_jump_run: usize,
}

impl Default for PathParams {
    fn default() -> Self {
        PathParams {
            jitter_radius_m: 15.0,
            jump_min_m: 200.0,
            max_jump_run: 3,
        }
    }
}

/// What the path-only mode made of a list of coordinates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathReport {
    /// Metres, rounded.
    pub distance_m: u64,
    /// The plain sum over the valid input points in order (what the apps compute), metres.
    pub naive_distance_m: u64,
    pub points_in: usize,
    pub points_used: usize,
    pub dropped_invalid: usize,
    pub dropped_repeats: usize,
    pub dropped_jumps: usize,
    /// Points merged into a neighbour's mean.
    pub collapsed_jitter: usize,
    /// The cleaned path, (lat, lon).
    #[serde(skip)]
    pub path: Vec<(f64, f64)>,
}

fn valid(lat: f64, lon: f64) -> bool {
    TrackPoint::new(lat, lon, chrono::DateTime::UNIX_EPOCH).has_valid_position()
}

/// Karney's geodesic length, metres.
fn length(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}

/// The driven distance of `points` (latitude, longitude), in order.
pub fn path_distance(points: &[(f64, f64)], params: &PathParams) -> PathReport {
    let mut report = PathReport {
        distance_m: 0,
        naive_distance_m: 0,
        points_in: points.len(),
        points_used: 0,
        dropped_invalid: 0,
        dropped_repeats: 0,
        dropped_jumps: 0,
        collapsed_jitter: 0,
        path: Vec::new(),
    };
    let mut clean: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for &(lat, lon) in points {
        if !valid(lat, lon) {
            report.dropped_invalid += 1;
        } else if clean.last() == Some(&(lat, lon)) {
            report.dropped_repeats += 1;
        } else {
            clean.push((lat, lon));
        }
    }
    report.naive_distance_m = naive_sum(&clean).round() as u64;
    let kept = drop_jumps(&clean, params);
    report.dropped_jumps = clean.len() - kept.len();
    let path = collapse_jitter(&kept, params.jitter_radius_m);
    report.collapsed_jitter = kept.len() - path.len();
    report.points_used = path.len();
    report.distance_m = naive_sum(&path).round() as u64;
    report.path = path;
    report
}

fn naive_sum(path: &[(f64, f64)]) -> f64 {
    path.windows(2).map(|w| length(w[0], w[1])).sum()
}

/// Drops runs that jump out and come back (see the module docs). The first and last points are
/// kept: they are where the trip starts and ends.
fn drop_jumps(points: &[(f64, f64)], params: &PathParams) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    let mut i = 0;
    while i < points.len() {
        let jump = kept.last().and_then(|&before| {
            (1..=params.max_jump_run).find(|&run| {
                let Some(&after) = points.get(i + run) else {
                    return false;
                };
                let out = length(before, points[i]);
                let back = length(points[i + run - 1], after);
                let across = length(before, after);
                out.min(back) > params.jump_min_m.max(3.0 * across)
            })
        });
        match jump {
            Some(run) => i += run,
            None => {
                kept.push(points[i]);
                i += 1;
            }
        }
    }
    kept
}

/// Merges consecutive points that stay within `radius_m` of their running mean into that mean.
/// The first and last points of the trip stay as they are.
fn collapse_jitter(points: &[(f64, f64)], radius_m: f64) -> Vec<(f64, f64)> {
    let Some((&first, rest)) = points.split_first() else {
        return Vec::new();
    };
    let Some((&last, middle)) = rest.split_last() else {
        return vec![first];
    };
    let mut out = vec![first];
    let mut group: Option<((f64, f64), usize)> = None;
    for &p in middle {
        group = match group {
            Some((sum, n)) if length(mean(sum, n), p) <= radius_m => {
                Some(((sum.0 + p.0, sum.1 + p.1), n + 1))
            }
            Some((sum, n)) => {
                out.push(mean(sum, n));
                Some((p, 1))
            }
            None => Some((p, 1)),
        };
    }
    if let Some((sum, n)) = group {
        out.push(mean(sum, n));
    }
    out.push(last);
    out
}

fn mean(sum: (f64, f64), n: usize) -> (f64, f64) {
    (sum.0 / n as f64, sum.1 / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point `north_m` north and `east_m` east of (56.0, 10.0).
    fn at(north_m: f64, east_m: f64) -> (f64, f64) {
        let lat = 56.0 + north_m / 111_320.0;
        let lon = 10.0 + east_m / (111_320.0 * 56.0_f64.to_radians().cos());
        (lat, lon)
    }

    fn straight(n: usize, step_m: f64) -> Vec<(f64, f64)> {
        (0..n).map(|i| at(i as f64 * step_m, 0.0)).collect()
    }

    #[test]
    fn a_clean_straight_path_keeps_its_length() {
        let report = path_distance(&straight(101, 50.0), &PathParams::default());
        assert!(
            (report.distance_m as f64 - 5_000.0).abs() < 5.0,
            "{report:?}"
        );
        assert_eq!(report.dropped_jumps, 0);
    }

    #[test]
    fn a_jump_out_and_back_is_dropped() {
        let mut points = straight(41, 50.0);
        points[20] = at(1_000.0, 800.0);
        let report = path_distance(&points, &PathParams::default());
        assert_eq!(report.dropped_jumps, 1);
        assert!(
            (report.distance_m as f64 - 2_000.0).abs() < 5.0,
            "{report:?}"
        );
        assert!(
            report.naive_distance_m > 3_000,
            "the naive sum keeps the jump"
        );
    }

    #[test]
    fn a_run_of_three_jumped_points_is_dropped_but_a_long_detour_is_driven() {
        let mut points = straight(41, 50.0);
        for k in 0..3 {
            points[10 + k] = at(500.0 + 10.0 * k as f64, 900.0);
        }
        let report = path_distance(&points, &PathParams::default());
        assert_eq!(report.dropped_jumps, 3);
        // A real detour: 20 points out to 500 m east and back.
        let mut detour: Vec<(f64, f64)> = (0..=10).map(|i| at(0.0, 50.0 * i as f64)).collect();
        detour.extend((0..10).rev().map(|i| at(10.0, 50.0 * i as f64)));
        let report = path_distance(&detour, &PathParams::default());
        assert_eq!(report.dropped_jumps, 0);
        assert!(report.distance_m > 990, "{report:?}");
    }

    #[test]
    fn jitter_while_standing_is_not_driven() {
        let mut points = straight(11, 100.0);
        // Two minutes at a light: 30 fixes scattered by 8 m around the same spot.
        let light = (0..30).map(|i| {
            let a = i as f64 * 2.4;
            at(1_000.0 + 8.0 * a.sin(), 8.0 * a.cos())
        });
        points.extend(light);
        points.extend((11..21).map(|i| at(i as f64 * 100.0, 0.0)));
        let report = path_distance(&points, &PathParams::default());
        assert!(report.naive_distance_m > 2_300, "{report:?}");
        assert!(
            (report.distance_m as f64 - 2_000.0).abs() < 30.0,
            "{report:?}"
        );
        assert!(report.collapsed_jitter >= 29);
    }

    #[test]
    fn bad_coordinates_and_repeats_are_dropped_and_tiny_inputs_do_not_panic() {
        let points = [
            (f64::NAN, 10.0),
            (0.0, 0.0),
            (91.0, 10.0),
            at(0.0, 0.0),
            at(0.0, 0.0),
            at(100.0, 0.0),
        ];
        let report = path_distance(&points, &PathParams::default());
        assert_eq!(report.dropped_invalid, 3);
        assert_eq!(report.dropped_repeats, 1);
        assert!((report.distance_m as f64 - 100.0).abs() < 1.0);
        for n in 0..3 {
            let report = path_distance(&straight(n, 10.0), &PathParams::default());
            assert_eq!(report.points_used, n);
        }
    }
}
