//! Money from GPS (issue 11 item 1): one absurd Doppler speed must not reach payroll, a report
//! beyond the plausible distance is refused in every mode, and so is an amount above the
//! configured ceiling.

use diesel::prelude::*;
use korsel::db::schema::trips;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::assert_problem;
use crate::report_fixtures::{post_created, read_report, world, world_with, HOME};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// The drive of the issue: 120 fixes due north from HOME at 14 m/s, one carrying `speed`.
fn drive_with_one_speed(speed: f64) -> Value {
    let t0: chrono::DateTime<chrono::Utc> = "2026-03-02T07:00:00Z".parse().unwrap();
    let step = 14.0 / 111_320.0;
    let points: Vec<Value> = (0..120)
        .map(|i| {
            json!({"lat": HOME.2 + step * i as f64, "lon": HOME.3,
                   "timestamp": (t0 + chrono::Duration::seconds(i)).to_rfc3339(),
                   "accuracy": 5.0, "speed": if i == 60 { speed } else { 14.0 }})
        })
        .collect();
    json!({"client_trip_id": uuid::Uuid::new_v4(), "points": points})
}

fn gps_report(employment: i64, trip: i64) -> Value {
    json!({"employment_id": employment, "rate_kind": "car_high", "purpose": "Hjemmebesøg",
           "distance_mode": "gps", "trip_id": trip})
}

#[tokio::test]
async fn one_absurd_doppler_speed_does_not_reach_the_amount() {
    let w = world().await;
    for speed in [1e6, 1e12, 1e20] {
        let trip = post_created(
            &w.app,
            &w.nina,
            "/api/v1/trips",
            drive_with_one_speed(speed),
        )
        .await;
        let metres = trip["distance_m"].as_i64().unwrap();
        assert!(
            (1_600..=1_760).contains(&metres),
            "speed {speed}: {metres} m"
        );
        if speed == 1e12 {
            let report = w.create(&w.nina, gps_report(w.emp_nina, id(&trip))).await;
            let amount = report["amount_ore"].as_i64().unwrap();
            assert!(amount < 1_000, "{amount} øre for a 1.7 km trip");
        }
    }
}

#[tokio::test]
async fn a_gps_report_beyond_five_thousand_km_is_refused() {
    let w = world().await;
    let trip = w.upload_trip(&w.nina, "2026-03-02T06:30:00Z", 600).await;
    // A trip stored by an earlier version, before speeds were bounded by the fixes.
    diesel::update(trips::table.find(id(&trip)))
        .set(trips::distance_m.eq(983_638_711_622_i64))
        .execute(&mut *w.app.db.connect())
        .unwrap();
    let res = w
        .app
        .post(
            "/api/v1/reports",
            Some(&w.nina),
            &gps_report(w.emp_nina, id(&trip)),
        )
        .await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["field"], "trip_id");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("983,638,711 km") && detail.contains("5,000 km"),
        "{detail}"
    );
    // nothing was stored
    let res = w.app.get("/api/v1/reports", Some(&w.nina)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let listing: Value = res.json().await.unwrap();
    assert_eq!(listing["total"], 0, "{listing}");
}

#[tokio::test]
async fn an_amount_above_the_ceiling_is_refused_on_create_and_edit() {
    // 100 kr per report: 20 km at 3.94 kr/km pay 78.80 kr, 30 km pay 118.20 kr
    let w = world_with(false, |s| s.reports.max_amount_ore = 10_000).await;
    let body = read_report(w.emp_nina, "2026-03-02", "car_high", 30_000);
    let res = w.app.post("/api/v1/reports", Some(&w.nina), &body).await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("118.20 kr") && detail.contains("100.00 kr"),
        "{detail}"
    );
    assert!(detail.contains("KORSEL_REPORT_MAX_AMOUNT_KR"), "{detail}");

    let report = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-03-02", "car_high", 20_000),
        )
        .await;
    assert_eq!(report["amount_ore"], 7_880);
    let mut edit = body.clone();
    edit["version"] = report["version"].clone();
    let res = w
        .app
        .put(
            &format!("/api/v1/reports/{}", id(&report)),
            Some(&w.nina),
            &edit,
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    // the refused edit changed nothing
    assert_eq!(w.get(&w.nina, id(&report)).await["amount_ore"], 7_880);
}
