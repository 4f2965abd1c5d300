//! The distance pipeline: hygiene → accuracy gate → teleports → stationary periods →
//! Kalman/RTS smoothing → curvature-aware geodesic length with bridged gaps.

use chrono::{DateTime, Utc};
use geo::{Distance, Geodesic, Point};
use serde::{Deserialize, Serialize};

use super::clean::{self, Fix};
use super::kalman::{self, LocalFrame, Meas, State};
use super::point::TrackPoint;

/// How segment lengths on the WGS84 ellipsoid are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum LengthMethod {
    /// Karney's geodesic (`geo::Geodesic`) for every segment: the reference, ≈ 1 µs per
    /// segment.
    #[default]
    Karney,
    /// WGS84 meridional/prime-vertical radii at the segment's mid-latitude for segments
    /// shorter than 2 km (agrees with Karney to < 1e-6 relative there, see tests), Karney
    /// for longer ones. About 30× faster.
    MidLatitudeEllipsoid,
}

/// Tuning of the pipeline. The defaults are physical (car dynamics, phone accuracy
/// semantics), not fitted to any particular file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineParams {
    /// Accuracy radius assumed when a fix has none, metres.
    pub default_accuracy_m: f64,
    /// Reported accuracy is the 68 % radius; per-axis σ = accuracy / this (√(2·ln(1/0.32))).
    pub accuracy_to_sigma: f64,
    /// Drop fixes with accuracy > max(factor × trip median, floor).
    pub accuracy_gate_factor: f64,
    pub accuracy_gate_floor_m: f64,
    /// Hard speed limit for implied speeds between fixes, m/s.
    pub max_speed_mps: f64,
    /// Noise allowance for implied speeds, in σ of the two fixes combined.
    pub teleport_sigma: f64,
    /// Implied mean speed allowed beyond the Doppler speeds: factor, slack and acceleration.
    pub doppler_speed_factor: f64,
    pub doppler_speed_slack_mps: f64,
    pub max_accel_mps2: f64,
    /// Longest run of fixes (and its duration, s) that may be dropped as one outlier
    /// excursion.
    pub max_outlier_run: usize,
    pub max_outlier_duration_s: f64,
    /// Stationary periods: radius = max(min, factor × median accuracy), minimum duration,
    /// and the Doppler speed above which a fix counts as moving.
    pub stationary_radius_min_m: f64,
    pub stationary_radius_factor: f64,
    pub stationary_min_duration_s: f64,
    pub stationary_max_doppler_mps: f64,
    /// Fixes whose Doppler speed is at most this are "still": their allowed distance from
    /// the period's mean is multiplied by `stationary_still_radius_factor`.
    pub stationary_still_doppler_mps: f64,
    pub stationary_still_radius_factor: f64,
    /// Doppler speed below which a zero-velocity update is applied, and its σ (m/s).
    pub zupt_speed_mps: f64,
    pub zupt_sigma_mps: f64,
    /// White-noise acceleration spectral density of the constant-velocity model, m²/s³.
    pub process_noise: f64,
    /// Second smoothing pass drops fixes whose squared residual exceeds this many σ².
    pub residual_gate_chi2: f64,
    /// A gap is an interval longer than max(gap_min_s, gap_median_factor × median interval)
    /// over which the car moved more than gap_min_distance_m.
    pub gap_min_s: f64,
    pub gap_median_factor: f64,
    pub gap_min_distance_m: f64,
    /// Cap of the curve length over the chord within an ordinary interval, and across a
    /// gap (road-network circuity: road distance / straight line ≈ 1.2–1.4).
    pub max_curve_ratio: f64,
    pub max_gap_ratio: f64,
    /// Doppler speed fusion: noise of one Doppler reading (m/s), spread of the mean
    /// acceleration within an interval (m/s², sets how fast trust in the trapezoid
    /// Σ v̄·dt falls with dt), the speed below which Doppler is not used for length
    /// (its magnitude is biased upwards near standstill), and the longest span over which
    /// a missing speed is interpolated from its neighbours (s).
    pub doppler_sigma_mps: f64,
    pub doppler_accel_sd_mps2: f64,
    pub doppler_min_speed_mps: f64,
    pub speed_fill_max_s: f64,
    /// Segment length formula (see [`LengthMethod`]).
    pub length_method: LengthMethod,
}

impl Default for PipelineParams {
    fn default() -> Self {
        PipelineParams {
            default_accuracy_m: 10.0,
            accuracy_to_sigma: 1.51,
            accuracy_gate_factor: 4.0,
            accuracy_gate_floor_m: 30.0,
            max_speed_mps: 60.0,
            teleport_sigma: 3.0,
            doppler_speed_factor: 1.2,
            doppler_speed_slack_mps: 3.0,
            max_accel_mps2: 4.0,
            max_outlier_run: 10,
            max_outlier_duration_s: 20.0,
            stationary_radius_min_m: 12.0,
            stationary_radius_factor: 1.5,
            stationary_min_duration_s: 20.0,
            stationary_max_doppler_mps: 0.8,
            stationary_still_doppler_mps: 0.5,
            stationary_still_radius_factor: 3.0,
            zupt_speed_mps: 0.3,
            zupt_sigma_mps: 0.2,
            process_noise: 10.0,
            residual_gate_chi2: 25.0,
            gap_min_s: 45.0,
            gap_median_factor: 5.0,
            gap_min_distance_m: 50.0,
            max_curve_ratio: 1.5,
            max_gap_ratio: 1.4,
            doppler_sigma_mps: 0.3,
            doppler_accel_sd_mps2: 1.0,
            doppler_min_speed_mps: 2.0,
            speed_fill_max_s: 10.0,
            length_method: LengthMethod::Karney,
        }
    }
}

/// Fixes dropped, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DroppedCounts {
    /// non-finite, out of range, (0, 0), negative accuracy
    pub invalid: usize,
    /// same time and same position as another fix
    pub duplicate: usize,
    /// same time, different position: the better-accuracy fix is kept
    pub same_time_conflict: usize,
    /// position bit-identical to the previous fix at a later time (stale re-send)
    pub stale_repeat: usize,
    /// accuracy far worse than the trip's typical accuracy
    pub poor_accuracy: usize,
    /// implied speed impossible (teleports, multipath jumps, spikes)
    pub teleport: usize,
    /// inconsistent with the smoothed track (second smoothing pass)
    pub smoother_outlier: usize,
    /// merged into a stationary period (parked, traffic lights)
    pub stationary_merged: usize,
}

/// An interval without usable fixes that was bridged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub duration_s: f64,
    /// straight-line (geodesic) distance across the gap
    pub chord_m: f64,
    /// distance added for the gap
    pub bridged_m: f64,
}

/// A point of the cleaned, smoothed track (for display).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CleanPoint {
    pub lat: f64,
    pub lon: f64,
    pub timestamp: DateTime<Utc>,
}

/// Outcome of [`compute_distance`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistanceReport {
    /// The driven distance, metres.
    pub distance_m: u64,
    /// Geodesic sum over the valid input fixes in input order, for comparison (computed
    /// with [`LengthMethod::MidLatitudeEllipsoid`], within 1e-6 of Karney).
    pub naive_distance_m: u64,
    /// Σ Doppler speed × dt (trapezoid; short holes interpolated) over the cleaned fixes,
    /// as a cross-check, when ≥ 80 % of the intervals have speeds at both ends.
    pub speed_integral_m: Option<u64>,
    pub points_in: usize,
    /// Fixes that reached the smoother (stationary periods count as two).
    pub points_used: usize,
    pub dropped: DroppedCounts,
    /// Fixes that arrived out of time order (re-sorted, not dropped).
    pub out_of_order: usize,
    pub stationary_periods: u32,
    pub stationary_s: f64,
    pub gaps_bridged: u32,
    pub gap_distance_m: f64,
    pub gaps: Vec<Gap>,
    /// Length added over the chords by curve-aware interpolation (sparse sampling).
    pub curve_correction_m: f64,
    /// Net change from fusing Doppler speed × dt into the interval lengths.
    pub doppler_adjustment_m: f64,
    /// Uncertainty estimate of `distance_m`, metres (how it is built: see
    /// [`compute_distance`]).
    pub uncertainty_m: u64,
    pub track: Vec<CleanPoint>,
}

fn karney(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}

/// Length of the segment between (lat, lon) pairs `a` and `b` on WGS84.
fn segment_length(a: (f64, f64), b: (f64, f64), method: LengthMethod) -> f64 {
    match method {
        LengthMethod::Karney => karney(a, b),
        LengthMethod::MidLatitudeEllipsoid => {
            const A: f64 = 6_378_137.0;
            const F: f64 = 1.0 / 298.257_223_563;
            let e2 = F * (2.0 - F);
            let (s, c) = (0.5 * (a.0 + b.0)).to_radians().sin_cos();
            let w2 = 1.0 - e2 * s * s;
            let w = w2.sqrt();
            let m = A * (1.0 - e2) / (w2 * w);
            let n = A / w;
            let mut dlon = b.1 - a.1;
            if dlon > 180.0 {
                dlon -= 360.0;
            } else if dlon < -180.0 {
                dlon += 360.0;
            }
            let dy = m * (b.0 - a.0).to_radians();
            let dx = n * c * dlon.to_radians();
            let d = (dx * dx + dy * dy).sqrt();
            if d > 2_000.0 {
                karney(a, b)
            } else {
                d
            }
        }
    }
}

fn empty_report(points_in: usize, naive: f64) -> DistanceReport {
    DistanceReport {
        distance_m: 0,
        naive_distance_m: naive.round() as u64,
        speed_integral_m: None,
        points_in,
        points_used: 0,
        dropped: DroppedCounts::default(),
        out_of_order: 0,
        stationary_periods: 0,
        stationary_s: 0.0,
        gaps_bridged: 0,
        gap_distance_m: 0.0,
        gaps: Vec::new(),
        curve_correction_m: 0.0,
        doppler_adjustment_m: 0.0,
        uncertainty_m: 0,
        track: Vec::new(),
    }
}

/// Naive geodesic (Karney) point sum over the valid fixes in input order.
pub fn naive_distance(points: &[TrackPoint]) -> f64 {
    naive_distance_with(points, LengthMethod::Karney)
}

fn naive_distance_with(points: &[TrackPoint], method: LengthMethod) -> f64 {
    let mut total = 0.0;
    let mut prev: Option<(f64, f64)> = None;
    for p in points.iter().filter(|p| p.has_valid_position()) {
        let cur = (p.lat, p.lon);
        if let Some(q) = prev {
            total += segment_length(q, cur, method);
        }
        prev = Some(cur);
    }
    total
}

/// Compute the driven distance of one trip.
///
/// Uncertainty: a sum of (a) 0.2 % of the distance for model/formula effects, (b) half of
/// the curve correction (it is an interpolation, not a measurement), (c) for each gap the
/// spread between the chord and the capped detour, and (d) the length bias expected from
/// the remaining position noise of the smoothed track (≈ σ²/step per step).
pub fn compute_distance(points: &[TrackPoint], params: &PipelineParams) -> DistanceReport {
    let p = params;
    // The naive figure is only a comparison: the mid-latitude formula (≤ 1e-6 from
    // Karney on segments < 2 km, Karney beyond) keeps it cheap.
    let naive = naive_distance_with(points, LengthMethod::MidLatitudeEllipsoid);
    let h = clean::hygiene(points);
    let mut report = empty_report(points.len(), naive);
    report.dropped.invalid = h.invalid;
    report.dropped.duplicate = h.duplicate;
    report.dropped.same_time_conflict = h.same_time_conflict;
    report.dropped.stale_repeat = h.stale_repeat;
    report.out_of_order = h.out_of_order;

    // accuracy gate
    let limit = clean::accuracy_limit(&h.points, p);
    let mut pts: Vec<TrackPoint> = Vec::with_capacity(h.points.len());
    for q in &h.points {
        if matches!((q.accuracy, limit), (Some(a), Some(l)) if a > l) {
            report.dropped.poor_accuracy += 1;
        } else {
            pts.push(*q);
        }
    }
    if pts.len() < 2 {
        report.points_used = pts.len();
        report.track = pts
            .iter()
            .map(|q| CleanPoint {
                lat: q.lat,
                lon: q.lon,
                timestamp: q.timestamp,
            })
            .collect();
        return report;
    }

    // local frame around the centroid
    let n = pts.len() as f64;
    let lat0 = pts.iter().map(|q| q.lat).sum::<f64>() / n;
    let lon0 = pts.iter().map(|q| q.lon).sum::<f64>() / n;
    let frame = LocalFrame::new(lat0, lon0);
    let t0 = pts[0].timestamp;
    let fixes: Vec<Fix> = pts
        .iter()
        .map(|q| {
            let (x, y) = frame.to_local(q.lat, q.lon);
            let acc = q.accuracy.unwrap_or(p.default_accuracy_m);
            let micros = (q.timestamp - t0).num_microseconds().unwrap_or(i64::MAX);
            Fix {
                ts: q.timestamp,
                t: micros as f64 * 1e-6,
                x,
                y,
                acc,
                sigma: (acc / p.accuracy_to_sigma).max(0.5),
                speed: q.speed,
                stop: None,
            }
        })
        .collect();

    // teleports
    let keep = clean::reject_teleports(&fixes, p);
    let fixes: Vec<Fix> = fixes
        .iter()
        .zip(&keep)
        .filter(|(_, &k)| k)
        .map(|(f, _)| *f)
        .collect();
    report.dropped.teleport = keep.iter().filter(|&&k| !k).count();

    // stationary periods
    let accs: Vec<f64> = fixes.iter().map(|f| f.acc).collect();
    let typical_acc = clean::median(&accs).unwrap_or(p.default_accuracy_m);
    let (mut fixes, merged, stops, stopped_s) = clean::collapse_stationary(&fixes, typical_acc, p);
    report.dropped.stationary_merged = merged;
    report.stationary_periods = stops;
    report.stationary_s = stopped_s;

    // smoothing, with one robust re-run
    let init_speed_sigma = 30.0;
    let to_meas = |f: &Fix| Meas {
        t: f.t,
        x: f.x,
        y: f.y,
        sigma: f.sigma,
        zupt: f.stop.is_some() || f.speed.is_some_and(|s| s < p.zupt_speed_mps),
    };
    let meas: Vec<Meas> = fixes.iter().map(to_meas).collect();
    let mut states = kalman::smooth(&meas, p.process_noise, p.zupt_sigma_mps, init_speed_sigma);
    let outlier: Vec<bool> = fixes
        .iter()
        .zip(&states)
        .map(|(f, s)| {
            f.stop.is_none()
                && ((f.x - s.x).powi(2) + (f.y - s.y).powi(2)) / (f.sigma * f.sigma)
                    > p.residual_gate_chi2
        })
        .collect();
    let n_out = outlier.iter().filter(|&&o| o).count();
    if n_out > 0 && fixes.len() - n_out >= 2 {
        fixes = fixes
            .iter()
            .zip(&outlier)
            .filter(|(_, &o)| !o)
            .map(|(f, _)| *f)
            .collect();
        let meas: Vec<Meas> = fixes.iter().map(to_meas).collect();
        states = kalman::smooth(&meas, p.process_noise, p.zupt_sigma_mps, init_speed_sigma);
        report.dropped.smoother_outlier = n_out;
    }
    report.points_used = fixes.len();

    measure(&fixes, &states, frame, p, &mut report);
    report
}

/// Curve-aware geodesic length over the smoothed states, with gap bridging.
fn measure(
    fixes: &[Fix],
    states: &[State],
    frame: LocalFrame,
    p: &PipelineParams,
    report: &mut DistanceReport,
) {
    let geo: Vec<(f64, f64)> = states.iter().map(|s| frame.to_geo(s.x, s.y)).collect();
    report.track = geo
        .iter()
        .zip(fixes)
        .map(|(&(lat, lon), f)| CleanPoint {
            lat,
            lon,
            timestamp: f.ts,
        })
        .collect();

    // typical sampling interval over moving intervals
    let dts: Vec<f64> = fixes
        .windows(2)
        .filter(|w| !(w[0].stop.is_some() && w[0].stop == w[1].stop))
        .map(|w| w[1].t - w[0].t)
        .collect();
    let median_dt = clean::median(&dts).unwrap_or(1.0);
    let gap_threshold = p.gap_min_s.max(p.gap_median_factor * median_dt);

    let speeds = fill_speeds(fixes, p.speed_fill_max_s);
    let mut total = 0.0;
    let mut curve = 0.0;
    let mut doppler_m = 0.0;
    let mut var_fused = 0.0;
    let mut unc_gap = 0.0;
    let mut unc_noise = 0.0;
    let mut speed_sum = 0.0;
    let mut speed_intervals = 0usize;
    for k in 0..fixes.len().saturating_sub(1) {
        let (f0, f1) = (&fixes[k], &fixes[k + 1]);
        let (s0, s1) = (&states[k], &states[k + 1]);
        let dt = f1.t - f0.t;
        if let (Some(a), Some(b)) = (speeds[k], speeds[k + 1]) {
            speed_sum += 0.5 * (a + b) * dt;
            speed_intervals += 1;
        }
        if f0.stop.is_some() && f0.stop == f1.stop {
            continue; // inside one stationary period: both ends are the same position
        }
        let g = segment_length(geo[k], geo[k + 1], p.length_method);
        let chord = ((s1.x - s0.x).powi(2) + (s1.y - s0.y).powi(2)).sqrt();
        let is_gap = dt > gap_threshold && chord > p.gap_min_distance_m;
        let cap = if is_gap {
            p.max_gap_ratio
        } else {
            p.max_curve_ratio
        };
        let ratio = if is_gap {
            // Across a gap the car's path is unknown: take the distance it covers at the
            // mean of its speeds at both ends, bounded below by the chord and above by a
            // road-network circuity factor. Flagged and counted in the uncertainty.
            let v0 = speeds[k].unwrap_or_else(|| s0.vx.hypot(s0.vy));
            let v1 = speeds[k + 1].unwrap_or_else(|| s1.vx.hypot(s1.vy));
            (0.5 * (v0 + v1) * dt / chord).clamp(1.0, cap)
        } else if chord > 0.5 && dt > 1.5 {
            (hermite_length(s0, s1, f0.speed, f1.speed, dt) / chord).clamp(1.0, cap)
        } else {
            1.0
        };
        let mut seg = g * ratio;
        curve += seg - g;
        let doppler = match (speeds[k], speeds[k + 1]) {
            (Some(a), Some(b)) if !is_gap && a.max(b) >= p.doppler_min_speed_mps => Some((a, b)),
            _ => None,
        };
        if let Some((a, b)) = doppler {
            // Fuse the geometric length with the Doppler trapezoid, each weighted by its
            // variance: geometry from the smoother's velocity uncertainty (step error ≈
            // velocity error × dt) and half the curve correction; Doppler from its
            // reading noise and the unknown speed change inside the interval.
            let l_dop = 0.5 * (a + b) * dt;
            let var_dop = 0.5 * (p.doppler_sigma_mps * dt).powi(2)
                + (p.doppler_accel_sd_mps2 * dt * dt / 8.0).powi(2);
            let var_geo = (0.5 * (s0.var_vel + s1.var_vel) * dt * dt).min(s0.var_pos + s1.var_pos)
                + (0.5 * (seg - g)).powi(2)
                + 1e-4;
            let w = var_geo / (var_geo + var_dop);
            let fused = w * l_dop + (1.0 - w) * seg;
            doppler_m += w * (l_dop - seg);
            var_fused += var_geo * var_dop / (var_geo + var_dop);
            seg = fused;
        } else {
            let var = 0.5 * (s0.var_pos + s1.var_pos);
            if chord > 0.0 {
                unc_noise += (var / chord).min((2.0 * var).sqrt());
            }
        }
        total += seg;
        if is_gap {
            report.gaps_bridged += 1;
            report.gap_distance_m += seg;
            unc_gap += (g * p.max_gap_ratio - seg).max(seg - g);
            report.gaps.push(Gap {
                start: f0.ts,
                end: f1.ts,
                duration_s: dt,
                chord_m: g,
                bridged_m: seg,
            });
        }
    }
    report.distance_m = total.round().max(0.0) as u64;
    report.curve_correction_m = curve;
    let intervals = fixes.len().saturating_sub(1);
    if intervals > 0 && speed_intervals * 5 >= intervals * 4 {
        report.speed_integral_m = Some(speed_sum.round() as u64);
    }
    report.doppler_adjustment_m = doppler_m;
    let unc = 0.002 * total
        + 0.5 * (curve - report.gap_distance_m + gap_chords(report)).max(0.0)
        + unc_gap
        + unc_noise
        + var_fused.sqrt();
    report.uncertainty_m = unc.round().max(0.0) as u64;
}

/// Doppler speeds per fix; a missing speed is interpolated linearly in time between the
/// nearest known speeds when they are at most `max_span` seconds apart.
fn fill_speeds(fixes: &[Fix], max_span: f64) -> Vec<Option<f64>> {
    let mut out: Vec<Option<f64>> = fixes.iter().map(|f| f.speed).collect();
    let mut prev: Option<usize> = None;
    let mut k = 0;
    while k < fixes.len() {
        if fixes[k].speed.is_some() {
            prev = Some(k);
            k += 1;
            continue;
        }
        let next = (k + 1..fixes.len()).find(|&j| fixes[j].speed.is_some());
        if let (Some(i), Some(j)) = (prev, next) {
            let span = fixes[j].t - fixes[i].t;
            if span <= max_span && span > 0.0 {
                let (a, b) = (fixes[i].speed.unwrap_or(0.0), fixes[j].speed.unwrap_or(0.0));
                for m in k..j {
                    let u = (fixes[m].t - fixes[i].t) / span;
                    out[m] = Some(a + (b - a) * u);
                }
            }
            k = j;
        } else {
            k = next.unwrap_or(fixes.len());
        }
    }
    out
}

fn gap_chords(report: &DistanceReport) -> f64 {
    report.gaps.iter().map(|g| g.chord_m).sum()
}

/// Length of the cubic Hermite curve between two smoothed states, using their velocities
/// as tangents. Where the phone measured a Doppler speed, the tangent keeps the smoothed
/// direction but takes the measured magnitude (chords of sparse fixes under-state speed
/// on curves, Doppler does not).
fn hermite_length(s0: &State, s1: &State, sp0: Option<f64>, sp1: Option<f64>, dt: f64) -> f64 {
    let tangent = |s: &State, sp: Option<f64>| -> (f64, f64) {
        let v = (s.vx * s.vx + s.vy * s.vy).sqrt();
        match sp {
            Some(m) if v > 0.5 => (s.vx * m / v * dt, s.vy * m / v * dt),
            _ => (s.vx * dt, s.vy * dt),
        }
    };
    let (m0x, m0y) = tangent(s0, sp0);
    let (m1x, m1y) = tangent(s1, sp1);
    let steps = (dt.ceil() as usize).clamp(2, 32);
    let mut len = 0.0;
    let (mut px, mut py) = (s0.x, s0.y);
    for i in 1..=steps {
        let u = i as f64 / steps as f64;
        let u2 = u * u;
        let u3 = u2 * u;
        let h00 = 2.0 * u3 - 3.0 * u2 + 1.0;
        let h10 = u3 - 2.0 * u2 + u;
        let h01 = -2.0 * u3 + 3.0 * u2;
        let h11 = u3 - u2;
        let x = h00 * s0.x + h10 * m0x + h01 * s1.x + h11 * m1x;
        let y = h00 * s0.y + h10 * m0y + h01 * s1.y + h11 * m1y;
        len += ((x - px).powi(2) + (y - py).powi(2)).sqrt();
        px = x;
        py = y;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_latitude_formula_matches_karney() {
        for &(lat, lon) in &[
            (55.7, 12.5),
            (57.5, 9.9),
            (0.0, 0.0),
            (-45.0, 170.0),
            (70.0, 25.0),
        ] {
            for &(dn, de) in &[(100.0, 0.0), (0.0, 100.0), (700.0, 700.0), (-1500.0, 300.0)] {
                let b = (
                    lat + dn / 111_000.0,
                    lon + de / (111_000.0 * f64::cos(f64::to_radians(lat))),
                );
                let k = segment_length((lat, lon), b, LengthMethod::Karney);
                let m = segment_length((lat, lon), b, LengthMethod::MidLatitudeEllipsoid);
                assert!(
                    (k - m).abs() / k < 1e-6,
                    "{lat},{lon} {dn},{de}: {k} vs {m}"
                );
            }
        }
    }

    #[test]
    fn karney_is_not_haversine() {
        // 1 km east-west at 55.7°N: haversine (mean radius) reads ≈ 0.34 % short
        let a = (55.7, 12.5);
        let b = (
            55.7,
            12.5 + 1000.0 / (111_320.0 * f64::cos(f64::to_radians(55.7))),
        );
        let k = segment_length(a, b, LengthMethod::Karney);
        let h = geo::Haversine.distance(Point::new(a.1, a.0), Point::new(b.1, b.0));
        assert!((k - h) / k > 0.003 && (k - h) / k < 0.004, "{k} {h}");
    }
}
