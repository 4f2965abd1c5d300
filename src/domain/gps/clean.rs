//! Input hygiene: validity, ordering, duplicates, accuracy gate, teleports and stationary
//! jitter. Everything here is deterministic and local; nothing shortens a moving track.

use chrono::{DateTime, Utc};

use super::distance::PipelineParams;
use super::point::TrackPoint;

/// A cleaned fix in the local metric frame.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fix {
    pub ts: DateTime<Utc>,
    /// seconds since the first kept fix
    pub t: f64,
    pub x: f64,
    pub y: f64,
    /// reported accuracy radius (or the default), metres
    pub acc: f64,
    /// per-axis standard deviation, metres
    pub sigma: f64,
    /// Doppler speed, m/s
    pub speed: Option<f64>,
    /// id of the stationary period this fix stands for, if any
    pub stop: Option<u32>,
}

/// Result of [`hygiene`].
#[derive(Debug, Default)]
pub(super) struct Hygiene {
    pub points: Vec<TrackPoint>,
    pub invalid: usize,
    pub duplicate: usize,
    pub same_time_conflict: usize,
    pub stale_repeat: usize,
    pub out_of_order: usize,
}

/// Drop invalid fixes, sort by time, and resolve equal timestamps.
pub(super) fn hygiene(input: &[TrackPoint]) -> Hygiene {
    let mut h = Hygiene::default();
    let mut pts: Vec<TrackPoint> = Vec::with_capacity(input.len());
    for p in input {
        if !p.has_valid_position() || matches!(p.accuracy, Some(a) if !a.is_finite() || a < 0.0) {
            h.invalid += 1;
            continue;
        }
        let mut q = *p;
        // 0 accuracy means "unknown" on some devices; negative/NaN speed means "no speed".
        if matches!(q.accuracy, Some(a) if a <= 0.0) {
            q.accuracy = None;
        }
        if matches!(q.speed, Some(s) if !s.is_finite() || s < 0.0) {
            q.speed = None;
        }
        pts.push(q);
    }
    h.out_of_order = pts
        .windows(2)
        .filter(|w| w[1].timestamp < w[0].timestamp)
        .count();
    if h.out_of_order > 0 {
        pts.sort_by_key(|p| p.timestamp);
    }
    let mut out: Vec<TrackPoint> = Vec::with_capacity(pts.len());
    for p in pts {
        match out.last_mut() {
            Some(last) if last.timestamp == p.timestamp => {
                let same_place = (last.lat - p.lat).abs() < 1e-7 && (last.lon - p.lon).abs() < 1e-7;
                if same_place {
                    h.duplicate += 1;
                } else {
                    h.same_time_conflict += 1;
                }
                // keep the better (smaller) accuracy; on a tie keep the first
                let better = match (p.accuracy, last.accuracy) {
                    (Some(a), Some(b)) => a < b,
                    (Some(_), None) => true,
                    _ => false,
                };
                if better {
                    *last = p;
                }
            }
            // A fix bit-identical in position to the previous one at a later time carries
            // no new information; when the device re-sends a stale position while moving
            // it even fakes a stop followed by an impossible catch-up. Keep the first.
            Some(last) if last.lat == p.lat && last.lon == p.lon => {
                h.stale_repeat += 1;
            }
            _ => out.push(p),
        }
    }
    h.points = out;
    h
}

/// Median of a slice (copied); `None` when empty.
pub(super) fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    let n = v.len();
    let (_, &mut hi, _) = v.select_nth_unstable_by(n / 2, |a, b| a.total_cmp(b));
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(0.5 * (lo + hi))
}

/// Accuracy limit for this trip: far worse than the trip's typical accuracy is dropped.
pub(super) fn accuracy_limit(points: &[TrackPoint], p: &PipelineParams) -> Option<f64> {
    let accs: Vec<f64> = points.iter().filter_map(|q| q.accuracy).collect();
    let med = median(&accs)?;
    Some((p.accuracy_gate_factor * med).max(p.accuracy_gate_floor_m))
}

fn violates(a: &Fix, b: &Fix, p: &PipelineParams) -> bool {
    let dt = (b.t - a.t).max(1e-3);
    let d = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
    let noise = p.teleport_sigma * (a.sigma * a.sigma + b.sigma * b.sigma).sqrt();
    let excess = (d - noise).max(0.0);
    let mut vmax = p.max_speed_mps;
    if let (Some(sa), Some(sb)) = (a.speed, b.speed) {
        // mean speed over dt cannot exceed the larger end speed by more than what the
        // car can gain and lose again within dt (triangle profile: a_max·dt/4)
        let doppler = sa.max(sb) * p.doppler_speed_factor
            + p.doppler_speed_slack_mps
            + p.max_accel_mps2 * dt / 4.0;
        vmax = vmax.min(doppler);
    }
    excess / dt > vmax
}

/// Teleport / multipath rejection. Splits the track wherever consecutive fixes imply an
/// impossible speed, then repeatedly removes the smallest piece whose removal makes its
/// neighbours consistent again (a "sandwich" test generalised to runs of bad fixes).
/// Returns a keep-mask.
pub(super) fn reject_teleports(fixes: &[Fix], p: &PipelineParams) -> Vec<bool> {
    let n = fixes.len();
    let mut keep = vec![true; n];
    if n < 2 {
        return keep;
    }
    for _ in 0..n {
        let idx: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
        if idx.len() < 2 {
            break;
        }
        // segments as [start, end) ranges into idx
        let mut segs: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        for j in 1..idx.len() {
            if violates(&fixes[idx[j - 1]], &fixes[idx[j]], p) {
                segs.push((start, j));
                start = j;
            }
        }
        segs.push((start, idx.len()));
        if segs.len() == 1 {
            break;
        }
        // Candidates: small, short pieces whose removal makes their neighbours consistent.
        // Several non-adjacent pieces are removed per round, smallest first.
        let mut cands: Vec<(usize, usize)> = Vec::new(); // (len, seg index)
        for (si, &(s, e)) in segs.iter().enumerate() {
            let len = e - s;
            let duration = fixes[idx[e - 1]].t - fixes[idx[s]].t;
            if len > p.max_outlier_run || duration > p.max_outlier_duration_s {
                continue;
            }
            // an end piece is dropped only when it is tiny next to its neighbour: the
            // start or end of a trip must not be cut off lightly
            let ok = if si == 0 {
                len <= 3 && 4 * len <= segs[1].1 - segs[1].0
            } else if si == segs.len() - 1 {
                len <= 3 && 4 * len <= segs[si - 1].1 - segs[si - 1].0
            } else {
                let before = idx[segs[si - 1].1 - 1];
                let after = idx[segs[si + 1].0];
                !violates(&fixes[before], &fixes[after], p)
            };
            if ok {
                cands.push((len, si));
            }
        }
        if cands.is_empty() {
            break;
        }
        cands.sort_unstable();
        let mut taken = vec![false; segs.len()];
        for &(_, si) in &cands {
            let near = (si > 0 && taken[si - 1]) || (si + 1 < segs.len() && taken[si + 1]);
            if near {
                continue;
            }
            taken[si] = true;
            let (s, e) = segs[si];
            for &i in &idx[s..e] {
                keep[i] = false;
            }
        }
    }
    keep
}

/// Stationary periods (parked, traffic lights): runs of fixes that stay within a radius
/// of their running mean for at least a minimum time, with no Doppler speed saying the
/// car moves. Each period is replaced by two fixes at its mean position (first and last
/// time), marked `stop`, so the smoother holds still there. Returns the new fixes and the
/// number of fixes merged away.
pub(super) fn collapse_stationary(
    fixes: &[Fix],
    typical_acc: f64,
    p: &PipelineParams,
) -> (Vec<Fix>, usize, u32, f64) {
    let r = (p.stationary_radius_factor * typical_acc).max(p.stationary_radius_min_m);
    let r2 = r * r;
    let n = fixes.len();
    let mut out = Vec::with_capacity(n);
    let mut merged = 0usize;
    let mut stops = 0u32;
    let mut stopped_s = 0.0;
    let moving = |f: &Fix| f.speed.is_some_and(|s| s > p.stationary_max_doppler_mps);
    let mut i = 0;
    while i < n {
        if moving(&fixes[i]) {
            out.push(fixes[i]);
            i += 1;
            continue;
        }
        let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
        let w = 1.0 / (fixes[i].sigma * fixes[i].sigma);
        sx += w * fixes[i].x;
        sy += w * fixes[i].y;
        sw += w;
        let mut j = i + 1;
        while j < n {
            let f = &fixes[j];
            if moving(f) {
                break;
            }
            let (mx, my) = (sx / sw, sy / sw);
            // A Doppler reading of (nearly) zero is direct evidence of standing still, so
            // such fixes may wander further (correlated drift of a parked phone).
            let inside = |g: &Fix| {
                let still = g.speed.is_some_and(|s| s <= p.stationary_still_doppler_mps);
                let lim = if still {
                    r2 * p.stationary_still_radius_factor.powi(2)
                } else {
                    r2
                };
                (g.x - mx).powi(2) + (g.y - my).powi(2) <= lim
            };
            if !inside(f) {
                // tolerate up to two position excursions if the fix after them is back
                match (j + 1..(j + 3).min(n)).find(|&m| !moving(&fixes[m]) && inside(&fixes[m])) {
                    Some(m) => {
                        j = m; // the excursion fixes are merged without weight
                        continue;
                    }
                    None => break,
                }
            }
            let w = 1.0 / (f.sigma * f.sigma);
            sx += w * f.x;
            sy += w * f.y;
            sw += w;
            j += 1;
        }
        let count = j - i;
        let dur = fixes[j - 1].t - fixes[i].t;
        if count >= 3 && dur >= p.stationary_min_duration_s {
            let mut sig: Vec<f64> = fixes[i..j].iter().map(|f| f.sigma).collect();
            sig.sort_by(|a, b| a.total_cmp(b));
            // errors are time-correlated: averaging helps, but far less than 1/√n
            let sigma = sig[sig.len() / 2] / (count.min(4) as f64).sqrt();
            let (mx, my) = (sx / sw, sy / sw);
            let id = stops;
            stops += 1;
            stopped_s += dur;
            for f in [&fixes[i], &fixes[j - 1]] {
                out.push(Fix {
                    x: mx,
                    y: my,
                    sigma,
                    speed: Some(0.0),
                    stop: Some(id),
                    ..*f
                });
            }
            merged += count - 2;
            i = j;
        } else {
            out.push(fixes[i]);
            i += 1;
        }
    }
    (out, merged, stops, stopped_s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn tp(lat: f64, lon: f64, s: i64) -> TrackPoint {
        TrackPoint::new(lat, lon, Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap())
    }

    fn fix(t: f64, x: f64, y: f64) -> Fix {
        Fix {
            ts: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            t,
            x,
            y,
            acc: 5.0,
            sigma: 3.3,
            speed: None,
            stop: None,
        }
    }

    #[test]
    fn hygiene_sorts_dedupes_and_drops_invalid() {
        let pts = vec![
            tp(55.2, 12.0, 2),
            tp(55.0, 12.0, 1),
            tp(55.0, 12.0, 1),
            tp(0.0, 0.0, 3),
            tp(f64::NAN, 12.0, 4),
            tp(55.1, 12.0, 2),
            tp(55.2, 12.0, 5),
        ];
        let h = hygiene(&pts);
        assert_eq!(h.invalid, 2);
        assert_eq!(h.duplicate, 1); // t=1 twice at the same place
        assert_eq!(h.same_time_conflict, 1); // t=2 at two places
        assert_eq!(h.out_of_order, 1);
        assert_eq!(h.stale_repeat, 1); // t=5 repeats t=2's position
        assert_eq!(h.points.len(), 2);
        assert!(h.points[0].timestamp < h.points[1].timestamp);
    }

    #[test]
    fn single_spike_and_short_run_are_removed() {
        let p = PipelineParams::default();
        let mut fixes: Vec<Fix> = (0..40)
            .map(|i| fix(i as f64, 15.0 * i as f64, 0.0))
            .collect();
        fixes[10].y = 400.0; // one-second 400 m spike
        for f in &mut fixes[20..23] {
            f.y = 300.0; // a 3-fix multipath excursion
        }
        let keep = reject_teleports(&fixes, &p);
        let dropped: Vec<usize> = (0..40).filter(|&i| !keep[i]).collect();
        assert_eq!(dropped, vec![10, 20, 21, 22]);
    }

    #[test]
    fn parked_jitter_collapses() {
        let p = PipelineParams::default();
        let fixes: Vec<Fix> = (0..60)
            .map(|i| fix(i as f64, (i % 5) as f64 * 2.0, (i % 3) as f64 * 3.0))
            .collect();
        let (out, merged, stops, _) = collapse_stationary(&fixes, 5.0, &p);
        assert_eq!(out.len(), 2);
        assert_eq!(merged, 58);
        assert_eq!(stops, 1);
    }
}
