//! Upload throughput: the real server on a fresh database, clients posting 1,000-point trips.
//!
//!     cargo run --release --example upload_bench [-- TRIPS CONCURRENCY]
//!     KORSEL_DATABASE_URL=postgres://postgres@127.0.0.1/EMPTY_DB cargo run --release --example upload_bench
//!
//!     cargo run --release --example upload_bench -- stages [UPLOADS]
//!
//! Defaults: 400 trips, 8 concurrent clients, a fresh SQLite file (or the empty database named
//! by `KORSEL_DATABASE_URL`). Prints trips/s, points/s, the body size and the median, p95 and
//! p99 latency of one upload (parse, validation, distance pipeline, address match, one insert).
//!
//! `stages` times the CPU stages of one upload in-process instead (median of UPLOADS, default
//! 300): JSON parsing, point validation, the idempotency fingerprint, the distance pipeline,
//! the quality summary and the track encoding. The rest of an upload's latency at concurrency 1
//! is HTTP, the database reads and the insert transaction.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use korsel::app::Application;
use korsel::config::{Secret, Settings};
use serde_json::{json, Value};

const POINTS: usize = 1_000;
const PASSWORD: &str = "upload-bench-password";

/// A 1 Hz drive along a gentle curve with a little noise, accuracy and speed.
fn trip(seed: usize) -> Value {
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 2, 7, 0, 0)
        .single()
        .expect("valid date")
        + chrono::Duration::minutes(seed as i64 * 30);
    let (mut lat, mut lon, mut heading) = (55.40 + seed as f64 * 1e-4, 8.40, 0.3f64);
    let points: Vec<Value> = (0..POINTS)
        .map(|i| {
            heading += 0.01 * (i as f64 / 60.0).sin();
            lat += 14.0 * heading.cos() / 111_320.0;
            lon += 14.0 * heading.sin() / 63_000.0;
            let wobble = ((i * 7919 + seed) % 13) as f64 * 1e-6;
            json!({
                "lat": lat + wobble,
                "lon": lon - wobble,
                "timestamp": (t0 + chrono::Duration::seconds(i as i64)).to_rfc3339(),
                "accuracy": 4.0 + (i % 5) as f64,
                "speed": 14.0 + (i % 3) as f64 * 0.1,
            })
        })
        .collect();
    json!({"client_trip_id": uuid::Uuid::new_v4(), "points": points})
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("stages") {
        args.next();
        let uploads = args.next().map(|s| s.parse()).transpose()?.unwrap_or(300);
        return stages(uploads);
    }
    let trips: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(400);
    let concurrency: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(8);

    let dir = tempfile::tempdir()?;
    let url = std::env::var("KORSEL_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.path().display()));
    let mut settings = Settings::with_database(url.parse().map_err(anyhow::Error::msg)?);
    settings.bind = "127.0.0.1:0".parse()?;
    settings.admin_password = Some(Secret::new(PASSWORD));
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?
        .to_string();

    // Bodies are built before the clock starts: the client's JSON encoding is not the server's work.
    let bodies: Vec<Vec<u8>> = (0..trips)
        .map(|i| serde_json::to_vec(&trip(i)))
        .collect::<Result<_, _>>()?;
    let body_bytes: usize = bodies.iter().map(Vec::len).sum();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, queue, token, base) =
                (client.clone(), queue.clone(), token.clone(), base.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let Some(body) = queue.lock().expect("queue").pop() else {
                        return Ok::<_, anyhow::Error>(latencies);
                    };
                    let t = Instant::now();
                    let res = client
                        .post(format!("{base}/api/v1/trips"))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await?;
                    anyhow::ensure!(res.status() == 201, "upload failed: {}", res.status());
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "{trips} trips × {POINTS} points, {concurrency} clients, {} worker threads: {:.1} s",
        std::thread::available_parallelism()?,
        elapsed.as_secs_f64()
    );
    println!(
        "throughput: {:.0} trips/s, {:.0} points/s ({:.1} MB/s of JSON)",
        trips as f64 / elapsed.as_secs_f64(),
        (trips * POINTS) as f64 / elapsed.as_secs_f64(),
        body_bytes as f64 / 1e6 / elapsed.as_secs_f64()
    );
    println!(
        "latency per upload: median {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; body {:.0} KB each",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        body_bytes as f64 / trips as f64 / 1e3
    );
    if let Ok(metadata) = std::fs::metadata(dir.path().join("bench.db")) {
        let db_size = metadata.len();
        println!(
            "database: {:.1} MB for {trips} trips ({:.1} bytes per point incl. summary rows)",
            db_size as f64 / 1e6,
            db_size as f64 / (trips * POINTS) as f64
        );
    }
    Ok(())
}

/// The median time of each CPU stage of an upload, over `uploads` different trips.
fn stages(uploads: usize) -> anyhow::Result<()> {
    use korsel::domain::gps::{compute_distance, encode_track, PipelineParams};
    use korsel::services::trips::TripUpload;

    let bodies: Vec<Vec<u8>> = (0..uploads)
        .map(|i| serde_json::to_vec(&trip(i)))
        .collect::<Result<_, _>>()?;
    let names = [
        "parse JSON with error paths (the server before 2 December)",
        "parse JSON, plain serde_json (the server now; paths only for a refused body)",
        "validate points",
        "idempotency fingerprint (binary layout + SHA-256)",
        "distance pipeline",
        "quality summary JSON",
        "track encoding",
    ];
    let mut times = vec![Vec::with_capacity(uploads); names.len()];
    let params = PipelineParams::default();
    let now = Utc::now();
    let time = |times: &mut Vec<Duration>, t: Instant| times.push(t.elapsed());
    for body in &bodies {
        let t = Instant::now();
        let mut de = serde_json::Deserializer::from_slice(body);
        let upload: TripUpload = serde_path_to_error::deserialize(&mut de)?;
        time(&mut times[0], t);
        let t = Instant::now();
        let plain: TripUpload = serde_json::from_slice(body)?;
        time(&mut times[1], t);
        drop(plain);
        let t = Instant::now();
        korsel::domain::trip::validate_points(&upload.points, now)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        time(&mut times[2], t);
        let t = Instant::now();
        std::hint::black_box(upload.fingerprint());
        time(&mut times[3], t);
        let t = Instant::now();
        let report = compute_distance(&upload.points, &params);
        time(&mut times[4], t);
        let t = Instant::now();
        std::hint::black_box(serde_json::to_string(
            &korsel::services::trips::TripQuality::from(&report),
        )?);
        time(&mut times[5], t);
        let t = Instant::now();
        std::hint::black_box(encode_track(&upload.points)?);
        time(&mut times[6], t);
    }
    println!("{uploads} uploads of {POINTS} points, medians:");
    let mut server_total = 0.0;
    for (i, (name, mut t)) in names.iter().zip(times).enumerate() {
        t.sort();
        let ms = t[t.len() / 2].as_secs_f64() * 1e3;
        if i != 0 {
            server_total += ms;
        }
        println!("  {ms:7.3} ms  {name}");
    }
    println!("  {server_total:7.3} ms  sum of the server's CPU stages");
    Ok(())
}
