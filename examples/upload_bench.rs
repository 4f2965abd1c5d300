//! Upload throughput: the real server on a fresh database, clients posting 1,000-point trips.
//!
//!     cargo run --release --example upload_bench [-- TRIPS CONCURRENCY]
//!     KORSEL_DATABASE_URL=postgres://postgres@127.0.0.1/EMPTY_DB cargo run --release --example upload_bench
//!
//! Defaults: 400 trips, 8 concurrent clients, a fresh SQLite file (or the empty database named
//! by `KORSEL_DATABASE_URL`). Prints trips/s, points/s, the body size and the median, p95 and
//! p99 latency of one upload (parse, validation, distance pipeline, address match, one insert).

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
    let mut args = std::env::args().skip(1);
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
