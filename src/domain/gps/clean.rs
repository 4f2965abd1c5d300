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
    /// Doppler speeds beyond the physical limit (dropped; the fixes stay)
    pub impossible_speed: usize,
}

/// Drop invalid fixes, sort by time, and resolve equal timestamps. One vector, compacted in
/// place. A Doppler speed above `max_speed_mps` is no car's: the fix keeps its position and
/// loses the speed.
pub(super) fn hygiene(input: &[TrackPoint], max_speed_mps: f64) -> Hygiene {
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
        if matches!(q.speed, Some(s) if !(0.0..=max_speed_mps).contains(&s)) {
            if q.speed.is_some_and(|s| s > max_speed_mps) {
                h.impossible_speed += 1;
            }
            q.speed = None;
        }
        if pts.last().is_some_and(|last| q.timestamp < last.timestamp) {
            h.out_of_order += 1;
        }
        pts.push(q);
    }
    if h.out_of_order > 0 {
        pts.sort_by_key(|p| p.timestamp);
    }
    let mut kept = 0usize;
    for r in 0..pts.len() {
        let p = pts[r];
        match kept.checked_sub(1).map(|l| &mut pts[l]) {
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
            _ => {
                pts[kept] = p;
                kept += 1;
            }
        }
    }
    pts.truncate(kept);
    h.points = pts;
    h
}

/// Median of the values (reordered in place, no copy); `None` when empty.
pub(super) fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let (lower, &mut hi, _) = values.select_nth_unstable_by(n / 2, |a, b| a.total_cmp(b));
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(0.5 * (lo + hi))
}

/// Accuracy limit for this trip: far worse than the trip's typical accuracy is dropped.
/// `scratch` is a reusable buffer (its contents are replaced).
pub(super) fn accuracy_limit(
    points: &[TrackPoint],
    p: &PipelineParams,
    scratch: &mut Vec<f64>,
) -> Option<f64> {
    scratch.clear();
    scratch.extend(points.iter().filter_map(|q| q.accuracy));
    let med = median(scratch)?;
    Some((p.accuracy_gate_factor * med).max(p.accuracy_gate_floor_m))
}

fn violates(a: &Fix, b: &Fix, p: &PipelineParams) -> bool {
    let dt = (b.t - a.t).max(1e-3);
    let d2 = (b.x - a.x).powi(2) + (b.y - a.y).powi(2);
    let noise = p.teleport_sigma * (a.sigma * a.sigma + b.sigma * b.sigma).sqrt();
    let mut vmax = p.max_speed_mps;
    if let (Some(sa), Some(sb)) = (a.speed, b.speed) {
        // mean speed over dt cannot exceed the larger end speed by more than what the
        // car can gain and lose again within dt (triangle profile: a_max·dt/4)
        let doppler = sa.max(sb) * p.doppler_speed_factor
            + p.doppler_speed_slack_mps
            + p.max_accel_mps2 * dt / 4.0;
        vmax = vmax.min(doppler);
    }
    // max(distance − noise, 0) / dt > vmax, without the square root of the distance
    let allowed = noise + vmax * dt;
    vmax < 0.0 || d2 > allowed * allowed
}

/// Teleport / multipath rejection. Splits the track wherever consecutive fixes imply an
/// impossible speed, then repeatedly removes the smallest piece whose removal makes its
/// neighbours consistent again (a "sandwich" test generalised to runs of bad fixes).
/// Removes the rejected fixes in place and returns how many there were.
pub(super) fn reject_teleports(fixes: &mut Vec<Fix>, p: &PipelineParams) -> usize {
    let before = fixes.len();
    // segments as [start, end) ranges into the current fixes
    let mut segs: Vec<(usize, usize)> = Vec::new();
    let mut cands: Vec<(usize, usize)> = Vec::new(); // (len, seg index)
    let mut taken: Vec<bool> = Vec::new();
    for _ in 0..before {
        let n = fixes.len();
        if n < 2 {
            break;
        }
        segs.clear();
        let mut start = 0;
        for j in 1..n {
            if violates(&fixes[j - 1], &fixes[j], p) {
                segs.push((start, j));
                start = j;
            }
        }
        segs.push((start, n));
        if segs.len() == 1 {
            break;
        }
        // Candidates: small, short pieces whose removal makes their neighbours consistent.
        // Several non-adjacent pieces are removed per round, smallest first.
        cands.clear();
        for (si, &(s, e)) in segs.iter().enumerate() {
            let len = e - s;
            let duration = fixes[e - 1].t - fixes[s].t;
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
                let before = segs[si - 1].1 - 1;
                let after = segs[si + 1].0;
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
        taken.clear();
        taken.resize(segs.len(), false);
        for &(_, si) in &cands {
            let near = (si > 0 && taken[si - 1]) || (si + 1 < segs.len() && taken[si + 1]);
            if !near {
                taken[si] = true;
            }
        }
        let mut kept = 0;
        for (&(s, e), _) in segs.iter().zip(&taken).filter(|(_, &t)| !t) {
            fixes.copy_within(s..e, kept);
            kept += e - s;
        }
        fixes.truncate(kept);
    }
    before - fixes.len()
}

/// Result of [`collapse_stationary`].
#[derive(Debug, Default)]
pub(super) struct Stationary {
    /// fixes merged away (a period of n fixes keeps two)
    pub merged: usize,
    pub periods: u32,
    pub seconds: f64,
}

/// Stationary periods (parked, traffic lights): runs of fixes that stay within a radius
/// of their running mean for at least a minimum time, with no Doppler speed saying the
/// car moves. Each period is replaced, in place, by two fixes at its mean position (first
/// and last time), marked `stop`, so the smoother holds still there.
pub(super) fn collapse_stationary(
    fixes: &mut Vec<Fix>,
    typical_acc: f64,
    p: &PipelineParams,
) -> Stationary {
    let r = (p.stationary_radius_factor * typical_acc).max(p.stationary_radius_min_m);
    let r2 = r * r;
    let n = fixes.len();
    let mut st = Stationary::default();
    let mut sig: Vec<f64> = Vec::new();
    let moving = |f: &Fix| f.speed.is_some_and(|s| s > p.stationary_max_doppler_mps);
    // Fixes are written back at `kept` ≤ `i`: a period of ≥ 3 fixes is replaced by two.
    let mut kept = 0;
    let mut i = 0;
    while i < n {
        if moving(&fixes[i]) {
            fixes[kept] = fixes[i];
            kept += 1;
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
            sig.clear();
            sig.extend(fixes[i..j].iter().map(|f| f.sigma));
            sig.sort_by(|a, b| a.total_cmp(b));
            // errors are time-correlated: averaging helps, but far less than 1/√n
            let sigma = sig[sig.len() / 2] / (count.min(4) as f64).sqrt();
            let (mx, my) = (sx / sw, sy / sw);
            let id = st.periods;
            st.periods += 1;
            st.seconds += dur;
            let (first, last) = (fixes[i], fixes[j - 1]);
            for f in [first, last] {
                fixes[kept] = Fix {
                    x: mx,
                    y: my,
                    sigma,
                    speed: Some(0.0),
                    stop: Some(id),
                    ..f
                };
                kept += 1;
            }
            st.merged += count - 2;
            i = j;
        } else {
            fixes[kept] = fixes[i];
            kept += 1;
            i += 1;
        }
    }
    fixes.truncate(kept);
    st
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
        let h = hygiene(&pts, 60.0);
        assert_eq!(h.invalid, 2);
        assert_eq!(h.duplicate, 1); // t=1 twice at the same place
        assert_eq!(h.same_time_conflict, 1); // t=2 at two places
        assert_eq!(h.out_of_order, 1);
        assert_eq!(h.stale_repeat, 1); // t=5 repeats t=2's position
        assert_eq!(h.points.len(), 2);
        assert!(h.points[0].timestamp < h.points[1].timestamp);
    }

    #[test]
    fn hygiene_drops_speeds_no_car_drives() {
        let with_speed = |speed: f64| TrackPoint {
            speed: Some(speed),
            ..tp(55.0, 12.0, 1)
        };
        for (speed, kept) in [
            (0.0, Some(0.0)),
            (59.9, Some(59.9)),
            (60.1, None),
            (1e12, None),
            (f64::INFINITY, None),
            (-1.0, None),
        ] {
            let h = hygiene(&[with_speed(speed)], 60.0);
            assert_eq!(h.points.len(), 1, "the fix stays");
            assert_eq!(h.points[0].speed, kept, "{speed}");
            assert_eq!(h.impossible_speed, usize::from(speed > 60.0), "{speed}");
        }
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
        // t is the fix's index: it tells which fixes survive
        let mut kept = fixes.clone();
        assert_eq!(reject_teleports(&mut kept, &p), 4);
        let dropped: Vec<usize> = (0..40)
            .filter(|&i| !kept.iter().any(|f| f.t == i as f64))
            .collect();
        assert_eq!(dropped, vec![10, 20, 21, 22]);
    }

    #[test]
    fn parked_jitter_collapses() {
        let p = PipelineParams::default();
        let fixes: Vec<Fix> = (0..60)
            .map(|i| fix(i as f64, (i % 5) as f64 * 2.0, (i % 3) as f64 * 3.0))
            .collect();
        let mut out = fixes;
        let st = collapse_stationary(&mut out, 5.0, &p);
        assert_eq!(out.len(), 2);
        assert_eq!(st.merged, 58);
        assert_eq!(st.periods, 1);
    }
}
