//! Accuracy harness: `cargo run --release --example gps_accuracy -- <fixtures/tracks>`.
//!
//! For each fixture set prints median, p90 and max relative error of the pipeline and,
//! beside it, of the naive point sum; for map-matching-2 also of the path-only mode (the
//! phone apps' coordinates: no timestamps).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use korsel::domain::gps::{
    compute_distance, naive_distance, parse_gpx, path_distance, PathParams, PipelineParams,
    TrackPoint,
};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(serde::Deserialize)]
struct JsonTrip {
    points: Vec<TrackPoint>,
}

struct Row {
    name: String,
    truth: f64,
    pipeline: f64,
    uncertainty: f64,
    naive: f64,
}

fn stats(errs: &mut [f64]) -> (f64, f64, f64) {
    if errs.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    errs.sort_by(|a, b| a.total_cmp(b));
    let pct = |q: f64| {
        let idx = ((errs.len() as f64 - 1.0) * q).round() as usize;
        errs[idx]
    };
    (pct(0.5), pct(0.9), errs[errs.len() - 1])
}

fn print_set(label: &str, rows: &[Row], verbose: bool) {
    let mut pe: Vec<f64> = rows
        .iter()
        .map(|r| 100.0 * (r.pipeline - r.truth).abs() / r.truth)
        .collect();
    let mut ne: Vec<f64> = rows
        .iter()
        .map(|r| 100.0 * (r.naive - r.truth).abs() / r.truth)
        .collect();
    let bias_p = rows
        .iter()
        .map(|r| 100.0 * (r.pipeline - r.truth) / r.truth)
        .sum::<f64>()
        / rows.len().max(1) as f64;
    let bias_n = rows
        .iter()
        .map(|r| 100.0 * (r.naive - r.truth) / r.truth)
        .sum::<f64>()
        / rows.len().max(1) as f64;
    let (pm, p9, px) = stats(&mut pe);
    let (nm, n9, nx) = stats(&mut ne);
    let covered = rows
        .iter()
        .filter(|r| (r.pipeline - r.truth).abs() <= r.uncertainty)
        .count();
    println!(
        "{label:<34} {:>4} | {pm:>6.2} {p9:>6.2} {px:>7.2} {bias_p:>+6.2} | {nm:>6.2} {n9:>6.2} {nx:>7.2} {bias_n:>+6.2} | {:>5.1}",
        rows.len(),
        100.0 * covered as f64 / rows.len().max(1) as f64
    );
    if verbose {
        for r in rows {
            println!(
                "    {:<12} truth {:>9.1} pipeline {:>9.1} ({:+.2}%) naive {:>9.1} ({:+.2}%)",
                r.name,
                r.truth,
                r.pipeline,
                100.0 * (r.pipeline - r.truth) / r.truth,
                r.naive,
                100.0 * (r.naive - r.truth) / r.truth
            );
        }
    }
}

fn run(points: &[TrackPoint], params: &PipelineParams) -> f64 {
    compute_distance(points, params).distance_m as f64
}

fn run_u(points: &[TrackPoint], params: &PipelineParams) -> (f64, f64) {
    let r = compute_distance(points, params);
    (r.distance_m as f64, r.uncertainty_m as f64)
}

fn simulated(dir: &Path, params: &PipelineParams, gpx: bool) -> Res<Vec<Row>> {
    let mut rdr = csv::Reader::from_path(dir.join("truth.csv"))?;
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        let name = rec.get(0).ok_or("name")?.to_string();
        let truth: f64 = rec.get(1).ok_or("truth")?.parse()?;
        let points = if gpx {
            let path = dir.join(format!("{name}.gpx"));
            if !path.exists() {
                continue;
            }
            parse_gpx(&std::fs::read_to_string(path)?)?
        } else {
            let trip: JsonTrip =
                serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json")))?)?;
            trip.points
        };
        let (pipeline, uncertainty) = run_u(&points, params);
        rows.push(Row {
            pipeline,
            uncertainty,
            naive: naive_distance(&points),
            name,
            truth,
        });
    }
    Ok(rows)
}

fn parse_wkt_point(s: &str) -> Option<(f64, f64)> {
    let inner = s
        .trim()
        .strip_prefix("POINT")?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let mut it = inner.split_whitespace();
    let lon: f64 = it.next()?.parse().ok()?;
    let lat: f64 = it.next()?.parse().ok()?;
    Some((lat, lon))
}

/// The map-matching-2 trips measured by `measure` (distance, uncertainty).
fn map_matching(dir: &Path, measure: impl Fn(&[TrackPoint]) -> (f64, f64)) -> Res<Vec<Row>> {
    let mut trips: BTreeMap<u32, Vec<TrackPoint>> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(dir.join("points.csv"))?;
    for rec in rdr.records() {
        let rec = rec?;
        let id: u32 = rec.get(0).ok_or("id")?.parse()?;
        let ts = DateTime::parse_from_str(rec.get(1).ok_or("time")?, "%Y-%m-%d %H:%M:%S%:z")?
            .with_timezone(&Utc);
        let (lat, lon) = parse_wkt_point(rec.get(2).ok_or("geom")?).ok_or("bad point")?;
        trips
            .entry(id)
            .or_default()
            .push(TrackPoint::new(lat, lon, ts));
    }
    let mut rows = Vec::new();
    let mut rdr = csv::Reader::from_path(dir.join("ground_truth_lengths.csv"))?;
    for rec in rdr.records() {
        let rec = rec?;
        let id: u32 = rec.get(0).ok_or("id")?.parse()?;
        let truth: f64 = rec.get(5).ok_or("gt")?.parse()?;
        let Some(points) = trips.get(&id) else {
            continue;
        };
        let (pipeline, uncertainty) = measure(points);
        rows.push(Row {
            name: format!("fcd-{id}"),
            truth,
            pipeline,
            uncertainty,
            naive: naive_distance(points),
        });
    }
    Ok(rows)
}

#[derive(serde::Deserialize)]
struct BarefootPoint {
    point: String,
    time: String,
}

fn barefoot(path: &Path) -> Res<Vec<TrackPoint>> {
    let raw: Vec<BarefootPoint> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut out = Vec::new();
    for p in raw {
        let (lat, lon) = parse_wkt_point(&p.point).ok_or("bad point")?;
        let ts = DateTime::parse_from_str(&p.time, "%Y-%m-%d %H:%M:%S%z")?.with_timezone(&Utc);
        out.push(TrackPoint::new(lat, lon, ts));
    }
    Ok(out)
}

fn main() -> Res<()> {
    let root: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: gps_accuracy <fixtures/tracks> [--verbose]")?;
    let verbose = std::env::args().any(|a| a == "--verbose");
    // optional overrides `name=value` (for studying sensitivity; the defaults are what
    // the report quotes)
    let mut v = serde_json::to_value(PipelineParams::default())?;
    for kv in std::env::args().skip(2).filter(|a| a.contains('=')) {
        if let Some((k, val)) = kv.split_once('=') {
            v[k] = serde_json::from_str(val)?;
        }
    }
    let params: PipelineParams = serde_json::from_value(v)?;
    println!(
        "{:<34} {:>4} | {:>6} {:>6} {:>7} {:>6} | {:>6} {:>6} {:>7} {:>6} | {:>5}",
        "relative error, %",
        "n",
        "median",
        "p90",
        "max",
        "bias",
        "median",
        "p90",
        "max",
        "bias",
        "cov%"
    );
    println!(
        "{:<34}      | {:^28} | {:^28} | share with |err| <= uncertainty_m",
        "", "pipeline", "naive point sum"
    );
    let syn = root.join("simulated/synthetic-roads");
    let real = root.join("simulated/real-roads");
    let a = simulated(&syn, &params, false)?;
    print_set("simulated/synthetic-roads (json)", &a, verbose);
    let b = simulated(&real, &params, false)?;
    print_set("simulated/real-roads (json)", &b, verbose);
    let mut both = a;
    both.extend(b);
    print_set("simulated, both sets", &both, false);
    let mut g = simulated(&syn, &params, true)?;
    g.extend(simulated(&real, &params, true)?);
    print_set("simulated, GPX variants (hdop)", &g, false);
    let mm_dir = root.join("real/map-matching-2");
    let mm = map_matching(&mm_dir, |points| run_u(points, &params))?;
    print_set("real/map-matching-2", &mm, verbose);
    // The phone apps' case: the same coordinates in order, timestamps removed.
    let path_only = map_matching(&mm_dir, |points| {
        let coordinates: Vec<(f64, f64)> = points.iter().map(|p| (p.lat, p.lon)).collect();
        let r = path_distance(&coordinates, &PathParams::default());
        let removed = r.naive_distance_m.saturating_sub(r.distance_m);
        (r.distance_m as f64, removed as f64 / 2.0)
    })?;
    print_set("real/map-matching-2 path-only", &path_only, verbose);

    let bf1 = barefoot(&root.join("real/barefoot-munich/x0001-001.json"))?;
    let bf15 = barefoot(&root.join("real/barefoot-munich/x0001-015.json"))?;
    let (p1, p15) = (run(&bf1, &params), run(&bf15, &params));
    let (n1, n15) = (naive_distance(&bf1), naive_distance(&bf15));
    println!(
        "real/barefoot-munich 15 s vs 1 Hz: pipeline {p15:.0} vs {p1:.0} m ({:+.2} %); naive {n15:.0} vs {n1:.0} m ({:+.2} %)",
        100.0 * (p15 - p1) / p1,
        100.0 * (n15 - n1) / n1
    );

    let vis = parse_gpx(&std::fs::read_to_string(
        root.join("real/gpxpy-visnjan/around-visnjan-with-car.gpx"),
    )?)?;
    let rep = compute_distance(&vis, &params);
    println!(
        "real/gpxpy-visnjan (no truth): pipeline {} m, naive {} m, stationary periods {} ({:.0} s), merged {} fixes",
        rep.distance_m, rep.naive_distance_m, rep.stationary_periods, rep.stationary_s,
        rep.dropped.stationary_merged
    );

    // Frederiksberg: 19 fixes without times; timestamps are assigned 30 s apart (an
    // assumption of the harness, documented in the report).
    let mut fred = Vec::new();
    let mut rdr = csv::Reader::from_path(root.join("real/osrm-1544-frederiksberg/points.csv"))?;
    let start =
        NaiveDateTime::parse_from_str("2015-06-23 12:00:00", "%Y-%m-%d %H:%M:%S")?.and_utc();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec?;
        let lat: f64 = rec.get(1).ok_or("lat")?.parse()?;
        let lon: f64 = rec.get(2).ok_or("lon")?.parse()?;
        fred.push(TrackPoint::new(
            lat,
            lon,
            start + Duration::seconds(30 * i as i64),
        ));
    }
    let rep = compute_distance(&fred, &params);
    println!(
        "real/osrm-1544-frederiksberg (odometer 4900 m, times assumed 30 s apart): pipeline {} m ({:+.2} %), naive {} m ({:+.2} %)",
        rep.distance_m,
        100.0 * (rep.distance_m as f64 - 4900.0) / 4900.0,
        rep.naive_distance_m,
        100.0 * (rep.naive_distance_m as f64 - 4900.0) / 4900.0
    );
    Ok(())
}
