//! Retention and the personal data export (issue 16).

use korsel::config::RetentionSettings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::report_fixtures::{read_report, world, World};

async fn get_ok(w: &World, token: &str, path: &str) -> Value {
    let res = w.app.get(path, Some(token)).await;
    let status = res.status();
    let out: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET {path}: {out}");
    out
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

#[tokio::test]
async fn an_old_trip_loses_its_points_and_keeps_its_summary_report_and_payroll_line() {
    let w = world().await;
    let old = w.upload_trip(&w.nina, "2024-06-03T06:30:00Z", 600).await;
    let recent = w.upload_trip(&w.nina, "2026-11-20T06:30:00Z", 600).await;
    let report = w
        .create_submitted(
            &w.nina,
            json!({"employment_id": w.emp_nina, "rate_kind": "car_high", "purpose": "Hjemmebesøg",
                   "distance_mode": "gps", "trip_id": id(&old)}),
        )
        .await;
    w.act(
        &w.lea,
        &report,
        "approve",
        json!({"version": report["version"]}),
    )
    .await;
    w.set_tf_codes("car_high", "2024-06-03", "0102", None).await;
    let res = crate::notices::payroll_batch(&w, &w.admin, "2024-12-31").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let batch: Value = res.json().await.unwrap();

    let paths = [
        format!("/api/v1/trips/{}", id(&old)),
        format!("/api/v1/reports/{}", id(&report)),
        format!("/api/v1/reports/{}/history", id(&report)),
        format!("/api/v1/payroll/batches/{}", id(&batch)),
    ];
    let mut before = Vec::new();
    for path in &paths {
        before.push(get_ok(&w, &w.admin, path).await);
    }
    let track = |trip: i64| {
        let (w, path) = (&w, format!("/api/v1/trips/{trip}/track"));
        async move { get_ok(w, &w.nina, &path).await["features"][0]["geometry"].clone() }
    };
    assert!(track(id(&old)).await.is_object());

    let mut conn = w.app.db.connect();
    let settings = RetentionSettings::default();
    let done =
        korsel::services::retention::apply(&mut conn, &settings, korsel::db::utc_now()).unwrap();
    assert_eq!(done.tracks_cleared, 1);
    let again =
        korsel::services::retention::apply(&mut conn, &settings, korsel::db::utc_now()).unwrap();
    assert_eq!(again.tracks_cleared, 0, "idempotent");

    assert!(track(id(&old)).await.is_null(), "the points are gone");
    assert!(
        track(id(&recent)).await.is_object(),
        "a recent trip keeps them"
    );
    for (path, was) in paths.iter().zip(&before) {
        assert_eq!(&get_ok(&w, &w.admin, path).await, was, "{path} unchanged");
    }
    assert!(before[0]["distance_m"].as_i64().unwrap() > 8_000);
}

#[tokio::test]
async fn the_export_holds_the_callers_data_and_nobody_elses() {
    let w = world().await;
    let trip = w.upload_trip(&w.nina, "2026-11-20T06:30:00Z", 60).await;
    let nina_report = w
        .create_submitted(
            &w.nina,
            read_report(w.emp_nina, "2026-11-20", "car_low", 5_000),
        )
        .await;
    w.create_submitted(
        &w.otto,
        read_report(w.emp_otto, "2026-11-21", "car_low", 7_000),
    )
    .await;
    w.upload_trip(&w.otto, "2026-11-21T06:30:00Z", 60).await;

    let res = w.app.get("/api/v1/me/export", Some(&w.nina)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("content-disposition")
        .is_some_and(|v| v.to_str().unwrap().contains("korsel-export.json")));
    let export: Value = res.json().await.unwrap();
    assert_eq!(export["user"]["username"], "nina");
    assert_eq!(export["person"]["name"], "nina Hansen");
    assert_eq!(export["employments"].as_array().unwrap().len(), 1);
    assert_eq!(export["vehicles"].as_array().unwrap().len(), 1);
    let trips = export["trips"].as_array().unwrap();
    assert_eq!(trips.len(), 1);
    assert_eq!(trips[0]["id"], trip["id"]);
    assert_eq!(trips[0]["points"].as_array().unwrap().len(), 61);
    let reports = export["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["id"], nina_report["id"]);
    assert_eq!(reports[0]["history"].as_array().unwrap().len(), 2);
    let text = export.to_string();
    for other in ["otto", "P-otto", "2026-11-21"] {
        assert!(!text.contains(other), "{other} is someone else's: {text}");
    }

    // an account without a person record: just the account
    let export = get_ok(&w, &w.admin, "/api/v1/me/export").await;
    assert_eq!(export["user"]["username"], "admin");
    assert!(export["person"].is_null());
}

#[tokio::test]
async fn an_admin_erases_a_long_gone_person_and_the_payroll_ledger_stays() {
    let w = world().await;
    let paid = crate::notices::approved_report(&w, "2024-06-03", 5_000).await;
    let rejected = w
        .create_submitted(
            &w.nina,
            read_report(w.emp_nina, "2024-07-01", "car_low", 6_000),
        )
        .await;
    w.act(
        &w.lea,
        &rejected,
        "reject",
        json!({"version": rejected["version"], "comment": "dobbelt"}),
    )
    .await;
    w.upload_trip(&w.nina, "2024-06-10T06:30:00Z", 60).await;
    let res = crate::notices::payroll_batch(&w, &w.admin, "2024-12-31").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let batch = format!(
        "/api/v1/payroll/batches/{}",
        id(&res.json::<Value>().await.unwrap())
    );
    let ledger_before = get_ok(&w, &w.admin, &batch).await;
    let nina = w.persons["nina"];
    let erase = format!("/api/v1/persons/{nina}/erase");

    // still employed: refused; and only for administrators
    let res = w.app.post(&erase, Some(&w.admin), &json!({})).await;
    crate::helpers::assert_problem(res, 409, "conflict").await;
    let res = w.app.post(&erase, Some(&w.lea), &json!({})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = w
        .app
        .put(
            &format!("/api/v1/employments/{}", w.emp_nina),
            Some(&w.admin),
            &json!({"org_unit_id": w.sp_unit, "position": "Medarbejder",
                    "start_date": "2020-01-01", "end_date": "2024-08-31", "is_leader": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let erased = post_ok(&w, &erase).await;
    assert_eq!(
        erased,
        json!({"reports_deleted": 1, "reports_kept_for_payroll": 1, "trips_deleted": 1,
               "vehicles_deleted": 1, "employments_deleted": 0, "person_deleted": false})
    );

    assert_eq!(
        get_ok(&w, &w.admin, &batch).await,
        ledger_before,
        "the ledger stays"
    );
    let person = get_ok(&w, &w.admin, &format!("/api/v1/persons/{nina}")).await;
    assert_eq!(person["name"], "(slettet)");
    assert!(person["cpr"].is_null() && person["username"].is_null());
    let res = w
        .app
        .get(
            &format!("/api/v1/reports/{}", id(&rejected)),
            Some(&w.admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let kept = get_ok(&w, &w.admin, &format!("/api/v1/reports/{}", id(&paid))).await;
    assert_eq!(kept["purpose"], "(slettet)");
    assert_eq!(kept["amount_ore"], paid["amount_ore"]);
    let res = w.app.login("nina", crate::report_fixtures::PW).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn post_ok(w: &World, path: &str) -> Value {
    let res = w.app.post(path, Some(&w.admin), &json!({})).await;
    let status = res.status();
    let out: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "POST {path}: {out}");
    out
}

#[tokio::test]
async fn sign_in_records_go_after_their_retention_period() {
    use diesel::prelude::*;
    use korsel::db::schema::refresh_tokens::dsl::*;
    let app = crate::helpers::spawn_app().await;
    app.admin_token().await;
    app.admin_token().await;
    let mut conn = app.db.connect();
    let first: i64 = refresh_tokens
        .select(id)
        .order(id.asc())
        .first(&mut conn)
        .unwrap();
    let now = korsel::db::utc_now();
    diesel::update(refresh_tokens.find(first))
        .set(expires_at.eq(now - chrono::Duration::days(181)))
        .execute(&mut conn)
        .unwrap();
    let done =
        korsel::services::retention::apply(&mut conn, &RetentionSettings::default(), now).unwrap();
    assert_eq!(done.sign_ins_deleted, 1);
    let left: Vec<i64> = refresh_tokens.select(id).load(&mut conn).unwrap();
    assert_eq!(left.len(), 1);
    assert!(!left.contains(&first));
}
