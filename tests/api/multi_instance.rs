//! Several instances of korsel on one database (issue 17): start-up, shared limits, one registry.

use std::time::Duration;

use korsel::config::ThrottleSettings;
use korsel::db::address_registry;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    assert_problem, spawn_instance, spawn_instances, test_settings, ADMIN_PASSWORD,
};
use crate::trips::{drive_north, upload_body};

#[tokio::test]
async fn three_instances_starting_at_once_on_an_empty_database_bootstrap_once() {
    // No configured secret: instances that did not agree would each generate their own key.
    let apps = spawn_instances(3, |settings| settings.jwt_secret = None).await;
    let mut rate_type_lists = Vec::new();
    for app in &apps {
        let token = app.admin_token().await;
        for other in &apps {
            let res = other.get("/api/v1/me", Some(&token)).await;
            assert_eq!(res.status(), StatusCode::OK, "one signing key");
        }
        let users: Value = app
            .get("/api/v1/users", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(users["total"], 1, "one admin: {users}");
        let rates: Value = app
            .get("/api/v1/rate-types?per_page=200", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        rate_type_lists.push(rates);
    }
    let rates = rate_type_lists[0]["items"].as_array().expect("rate types");
    let mut periods: Vec<String> = rates
        .iter()
        .map(|r| format!("{} {}", r["kind"], r["valid_from"]))
        .collect();
    periods.sort();
    periods.dedup();
    assert!(!rates.is_empty());
    assert_eq!(
        periods.len(),
        rates.len(),
        "each seeded rate once: {rates:?}"
    );
    assert_eq!(rate_type_lists[0]["total"], rates.len());
    assert!(rate_type_lists
        .iter()
        .all(|list| list == &rate_type_lists[0]));
}

fn throttle(per_username: u32, per_ip: u32) -> ThrottleSettings {
    ThrottleSettings {
        per_username,
        per_ip,
        window: Duration::from_secs(15 * 60),
    }
}

#[tokio::test]
async fn five_failures_spread_over_three_instances_lock_the_username_on_all() {
    let apps = spawn_instances(3, |settings| settings.login_throttle = throttle(5, 100)).await;
    for i in 0..5 {
        let res = apps[i % 3].login("admin", "wrong password").await;
        assert_problem(res, 401, "invalid-credentials").await;
    }
    for app in &apps {
        let res = app.login("admin", ADMIN_PASSWORD).await;
        assert!(res.headers().contains_key("retry-after"));
        assert_problem(res, 429, "too-many-requests").await;
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_counted_per_ip() {
    let apps = spawn_instances(2, |settings| {
        settings.login_throttle = throttle(100, 2);
        settings.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let login_from = |app: usize, client: &str| {
        apps[app]
            .client
            .post(apps[app].url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("203.0.113.250, {client}"))
            .json(&json!({"username": "nobody", "password": "wrong password"}))
            .send()
    };
    for app in 0..2 {
        let res = login_from(app, "198.51.100.7").await.unwrap();
        assert_problem(res, 401, "invalid-credentials").await;
    }
    // The client that failed twice is locked out on both instances; another client is not,
    // though all requests come through the same proxy (the TCP peer).
    for app in 0..2 {
        let res = login_from(app, "198.51.100.7").await.unwrap();
        assert_problem(res, 429, "too-many-requests").await;
    }
    let res = login_from(1, "198.51.100.8").await.unwrap();
    assert_problem(res, 401, "invalid-credentials").await;
}

const FANO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/addresses/dawa-fano-2015/adgangsadresser.csv"
);

/// An access address of the fixture, as the checks need it.
struct Probe {
    id: String,
    query: String,
    lat: f64,
    lon: f64,
}

/// The Fanø fixture cut in two CSV files (rows before and from `at`), and probes for the
/// first and the last address of each.
fn fano_in_two(at: usize) -> [(String, [Probe; 2]); 2] {
    let mut reader = csv::Reader::from_path(FANO).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, street, number) = (column("id"), column("vejnavn"), column("husnr"));
    let (lat, lon) = (
        column("wgs84koordinat_bredde"),
        column("wgs84koordinat_længde"),
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let probe = |row: &csv::StringRecord| Probe {
        id: row[id].to_string(),
        query: format!("{} {}", &row[street], &row[number]),
        lat: row[lat].parse().unwrap(),
        lon: row[lon].parse().unwrap(),
    };
    let file = |rows: &[csv::StringRecord]| {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&headers).unwrap();
        for row in rows {
            writer.write_record(row).unwrap();
        }
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        (text, [probe(&rows[0]), probe(&rows[rows.len() - 1])])
    };
    [file(&rows[..at]), file(&rows[at..])]
}

/// Whether the instance knows the address: by reverse geocoding, then by autocomplete.
async fn knows(app: &crate::helpers::TestApp, token: &str, probe: &Probe) -> [bool; 2] {
    let reverse = app
        .get(
            &format!(
                "/api/v1/addresses/reverse?lat={}&lon={}",
                probe.lat, probe.lon
            ),
            Some(token),
        )
        .await;
    let by_reverse = match reverse.status() {
        StatusCode::OK => reverse.json::<Value>().await.unwrap()["address"]["id"] == probe.id,
        _ => false,
    };
    let query: String = probe
        .query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let suggestions: Value = app
        .get(
            &format!("/api/v1/addresses/autocomplete?q={query}&limit=100"),
            Some(token),
        )
        .await
        .json()
        .await
        .unwrap();
    let by_autocomplete = suggestions
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["address"]["registry_address_id"] == probe.id);
    [by_reverse, by_autocomplete]
}

/// Waits until every instance knows both probes (the first and the last row of an import), at
/// most 5 s. An instance swaps whole indexes, so once one answer shows the import, every later
/// answer must: a "yes" followed by a "no" would be an index with half the import.
async fn every_instance_learns(apps: &[crate::helpers::TestApp], token: &str, probes: &[Probe; 2]) {
    let started = std::time::Instant::now();
    let mut seen = vec![false; apps.len()];
    loop {
        for (app, seen) in apps.iter().zip(seen.iter_mut()) {
            let [first, last] = [
                knows(app, token, &probes[0]).await,
                knows(app, token, &probes[1]).await,
            ];
            for known in first.into_iter().chain(last) {
                assert!(known || !*seen, "an instance answered from half an import");
                *seen |= known;
            }
        }
        if seen.iter().all(|s| *s) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not every instance knows the new addresses after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn imports_through_one_instance_or_the_cli_reach_every_instance_within_5_s() {
    let apps = spawn_instances(3, |_| {}).await;
    let token = apps[0].admin_token().await;
    let [(through_api, api_probes), (through_cli, cli_probes)] = fano_in_two(2_000);
    for app in &apps {
        assert_eq!(knows(app, &token, &api_probes[0]).await, [false, false]);
    }

    let res = apps[0]
        .client
        .post(apps[0].url("/api/v1/addresses/import"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(through_api)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    every_instance_learns(&apps, &token, &api_probes).await;

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), through_cli).unwrap();
    let url = match &apps[0].db.url {
        korsel::config::DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        korsel::config::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_korsel"))
        .args(["addresses", "import"])
        .arg(file.path())
        .env("KORSEL_DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    every_instance_learns(&apps, &token, &cli_probes).await;
    for app in &apps {
        assert_eq!(
            knows(app, &token, &api_probes[1]).await,
            [true, true],
            "the earlier import stays"
        );
    }

    // The index of the current generation was stored as a snapshot; a new instance starts
    // from it with both imports.
    let mut conn = apps[0].db.connect();
    let generation = address_registry::generation(&mut conn).unwrap();
    assert!(address_registry::has_snapshot(&mut conn, generation).unwrap());
    let late = spawn_instance(apps[0].db.clone(), test_settings(&apps[0].db)).await;
    for probe in api_probes.iter().chain(&cli_probes) {
        assert_eq!(knows(&late, &token, probe).await, [true, true]);
    }
}

#[tokio::test]
async fn a_sustained_upload_over_three_instances_loses_and_doubles_nothing() {
    let apps = spawn_instances(3, |_| {}).await;
    let token = apps[0].admin_token().await;
    let bodies: Vec<Value> = (0..24)
        .map(|i| {
            let start = format!("2026-05-04T08:{i:02}:00Z");
            upload_body(Uuid::new_v4(), drive_north((55.44, 8.40), &start, 30))
        })
        .collect();
    // Every trip goes to two instances at once, as a phone retrying through a load balancer
    // after a lost answer would send it; all trips are in flight together.
    let outcomes = futures_util::future::join_all(bodies.iter().enumerate().map(|(i, body)| {
        let token = token.clone();
        let (first, second) = (&apps[i % 3], &apps[(i + 1) % 3]);
        async move {
            let (a, b) = futures_util::join!(
                first.post("/api/v1/trips", Some(&token), body),
                second.post("/api/v1/trips", Some(&token), body)
            );
            let mut answers = Vec::new();
            for res in [a, b] {
                let status = res.status();
                answers.push((status, res.json::<Value>().await.unwrap()["id"].clone()));
            }
            answers
        }
    }))
    .await;
    let mut ids = Vec::new();
    for answers in &outcomes {
        let created = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        assert_eq!(
            created, 1,
            "one of the two copies creates the trip: {answers:?}"
        );
        assert!(answers.iter().all(
            |(s, id)| (*s == StatusCode::CREATED || *s == StatusCode::OK) && *id == answers[0].1
        ));
        ids.push(answers[0].1.as_i64().unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), bodies.len());
    for app in &apps {
        let listed: Value = app
            .get("/api/v1/trips?per_page=200", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            listed["total"],
            bodies.len(),
            "every instance sees every trip once"
        );
    }
}
