//! Server time of the two heaviest pages: the approval queue with 5,000 pending reports from
//! 500 people (first page), and a report detail page with a 10,000-point GPS track.
//!
//!     cargo run --release --example web_bench [-- PEOPLE REPORTS_EACH RUNS]
//!
//! Defaults: 500 people × 10 reports, 30 timed requests per page. The real server on a fresh
//! SQLite file; the leader signs in through the sign-in form and the pages are fetched over
//! loopback HTTP (the time includes that; nothing else runs in the measured requests).

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use futures_util::{stream, StreamExt};
use korsel::app::Application;
use korsel::config::{Secret, Settings};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::Client;
use serde_json::{json, Value};

const PASSWORD: &str = "web-bench-password";
const CONCURRENCY: usize = 8;

async fn post(client: &Client, base: &str, token: &str, path: &str, body: Value) -> Value {
    let res = client
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = res.status();
    let out: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {path}: {status} {out}");
    out
}

async fn token(client: &Client, base: &str, username: &str) -> String {
    let out = post(
        client,
        base,
        "",
        "/api/v1/auth/login",
        json!({"username": username, "password": PASSWORD}),
    )
    .await;
    out["access_token"].as_str().unwrap().to_string()
}

/// A 1 Hz drive north from the unit's address, `points` fixes.
fn trip(points: usize) -> Value {
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 10, 7, 0, 0)
        .single()
        .unwrap();
    let fixes: Vec<Value> = (0..points)
        .map(|i| {
            let wobble = ((i * 7919) % 13) as f64 * 1e-6;
            json!({"lat": 56.0 + i as f64 * 12.0 / 111_320.0 + wobble,
                   "lon": 10.0 + (i as f64 / 300.0).sin() * 0.002,
                   "timestamp": (t0 + chrono::Duration::seconds(i as i64)).to_rfc3339(),
                   "accuracy": 5.0, "speed": 12.0})
        })
        .collect();
    json!({"client_trip_id": uuid::Uuid::new_v4(), "points": fixes})
}

fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

/// Signs in through the form; returns the session cookie.
async fn web_session(client: &Client, base: &str, username: &str) -> String {
    let form = client.get(format!("{base}/log-ind")).send().await.unwrap();
    let login_cookie = cookie(&form, "korsel_login").expect("login cookie");
    let html = form.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field");
    // The session cookie comes with the 303: not followed, or it would be lost.
    let no_redirects = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .post(format!("{base}/log-ind"))
        .header(COOKIE, login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("csrf", csrf),
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/"),
                ])
                .finish(),
        )
        .send()
        .await
        .unwrap();
    match cookie(&res, "korsel_session") {
        Some(session) => session,
        None => panic!(
            "sign-in refused: {} {}",
            res.status(),
            res.text().await.unwrap_or_default()
        ),
    }
}

async fn time_page(
    client: &Client,
    base: &str,
    session: &str,
    path: &str,
    runs: usize,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs + 3 {
        let started = Instant::now();
        let res = client
            .get(format!("{base}{path}"))
            .header(COOKIE, session)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        let body = res.bytes().await.unwrap();
        let elapsed = started.elapsed();
        assert!(body.len() > 1000);
        // The first three warm caches (and SQLite's page cache).
        if i >= 3 {
            times.push(elapsed);
        }
    }
    times.sort();
    times
}

fn report(what: &str, times: &[Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms (n = {})",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let people: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(500);
    let each: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let runs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(30);

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let mut settings = Settings::with_database(url.parse().map_err(anyhow::Error::msg)?);
    settings.bind = "127.0.0.1:0".parse()?;
    settings.admin_password = Some(Secret::new(PASSWORD));
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = Client::new();
    let admin = token(&client, &base, "admin").await;

    let seeding = Instant::now();
    let unit = post(
        &client,
        &base,
        &admin,
        "/api/v1/org-units",
        json!({"external_id": "U", "name": "Hjemmeplejen", "address": {"registry_address_id": "u",
               "label": "Rådhuspladsen 2, 8000 Aarhus C", "latitude": 56.0, "longitude": 10.0}}),
    )
    .await;
    let unit = unit["id"].as_i64().unwrap();
    let names: Vec<String> = std::iter::once("leder".to_string())
        .chain((0..people).map(|i| format!("medarbejder{i:03}")))
        .collect();
    // Users, persons and employments; the first is the unit's leader.
    let staff: Vec<(String, i64)> = stream::iter(names.iter().enumerate())
        .map(|(i, name)| {
            let (client, base, admin) = (&client, &base, &admin);
            async move {
                let roles = if i == 0 { json!(["employee", "approver"]) } else { json!(["employee"]) };
                post(client, base, admin, "/api/v1/users",
                    json!({"username": name, "password": PASSWORD, "roles": roles})).await;
                let person = post(client, base, admin, "/api/v1/persons",
                    json!({"external_id": name, "name": format!("{name} Jensen"), "username": name})).await;
                let employment = post(client, base, admin, "/api/v1/employments",
                    json!({"person_id": person["id"], "org_unit_id": unit,
                           "employment_number": format!("{}", 10_000 + i), "position": "Social- og sundhedshjælper",
                           "start_date": "2020-01-01", "is_leader": i == 0})).await;
                (name.clone(), employment["id"].as_i64().unwrap())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    // Each employee's reports: typed km by bicycle (car rates need a registered vehicle),
    // submitted.
    stream::iter(staff.iter().filter(|(name, _)| name != "leder"))
        .map(|(name, employment)| {
            let (client, base) = (&client, &base);
            async move {
                let token = token(client, base, name).await;
                for r in 0..each {
                    let draft = post(
                        client,
                        base,
                        &token,
                        "/api/v1/reports",
                        json!({"employment_id": employment, "rate_kind": "bicycle",
                               "drive_date": format!("2026-10-{:02}", 1 + r % 28),
                               "purpose": format!("Besøg {r}"), "distance_mode": "read",
                               "typed_distance_m": 3_000 + r as i64 * 700,
                               "remark": "aflæst på kilometertælleren"}),
                    )
                    .await;
                    post(
                        client,
                        base,
                        &token,
                        &format!("/api/v1/reports/{}/submit", draft["id"]),
                        json!({"version": draft["version"]}),
                    )
                    .await;
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    // One more report of the first employee, from a 10,000-point trip.
    let (name, employment) = &staff.iter().find(|(n, _)| n != "leder").unwrap();
    let employee = token(&client, &base, name).await;
    let uploaded = post(&client, &base, &employee, "/api/v1/trips", trip(10_000)).await;
    let gps = post(
        &client,
        &base,
        &employee,
        "/api/v1/reports",
        json!({"employment_id": employment, "rate_kind": "bicycle", "purpose": "Ruteplan",
               "distance_mode": "gps", "trip_id": uploaded["id"]}),
    )
    .await;
    post(
        &client,
        &base,
        &employee,
        &format!("/api/v1/reports/{}/submit", gps["id"]),
        json!({"version": gps["version"]}),
    )
    .await;
    println!(
        "seeded {} pending reports from {people} people in {:.0} s",
        people * each + 1,
        seeding.elapsed().as_secs_f64()
    );

    let session = web_session(&client, &base, "leder").await;
    report(
        "approval queue, first page (25 of the pending)",
        &time_page(&client, &base, &session, "/godkendelse", runs).await,
    );
    report(
        "approval queue by person, first page",
        &time_page(
            &client,
            &base,
            &session,
            "/godkendelse?sortering=person",
            runs,
        )
        .await,
    );
    report(
        "approval queue, only flagged, first page (every report has typed km)",
        &time_page(&client, &base, &session, "/godkendelse?markeret=1", runs).await,
    );
    report(
        "report detail with a 10,000-point track",
        &time_page(
            &client,
            &base,
            &session,
            &format!("/indberetninger/{}", gps["id"]),
            runs,
        )
        .await,
    );
    Ok(())
}
