//! The phone apps' secrets stay secret: with every log line of the process captured at TRACE
//! level, neither a GuId nor an app password appears in any, and neither is stored in clear.
//! Its own test binary (process), because it installs the process-wide log subscriber.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "api/report_fixtures.rs"]
mod report_fixtures;

use korsel::db::app_api;
use korsel::domain::ids::UserId;
use korsel::services::tokens::sha256_hex;
use reqwest::StatusCode;
use serde_json::{json, Value};

use report_fixtures::{world_with, PW};

#[tokio::test]
async fn guids_and_app_passwords_are_never_logged_or_stored_in_clear() {
    let sink = helpers::LogSink::default();
    let writer = sink.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .init();

    let app_password = "phone secret 4711";
    let w = world_with(true, |s| s.app_api.enabled = true).await;
    let res = w
        .app
        .put(
            "/api/v1/me/app-password",
            Some(&w.nina),
            &json!({"current_password": PW, "app_password": app_password}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = w
        .app
        .post(
            "/api/auth",
            None,
            &json!({"UserName": "nina", "Password": app_password}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let info: Value = res.json().await.unwrap();
    let guid = info["profile"]["Authorization"]["GuId"]
        .as_str()
        .unwrap()
        .to_string();
    // Everything else the app does with the GuId, succeeding and failing.
    let res = w
        .app
        .post("/api/userinfo", None, &json!({"GuId": guid}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let report = json!({
        "Authorization": {"GuId": guid},
        "DriveReport": {"Uuid": "secret-test", "Purpose": "Møde", "EmploymentId": w.emp_nina,
            "RateId": 999_999, "Date": "2026-11-20", "ProfileId": w.persons["nina"],
            "route": {"TotalDistance": "3.0", "GPSCoordinates": []}}
    });
    let res = w.app.post("/api/report", None, &report).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = w
        .app
        .post(
            "/api/auth",
            None,
            &json!({"UserName": "nina", "Password": format!("{app_password}x")}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let log = sink.text();
    assert!(log.contains("/api/auth"), "the capture works: {log}");
    assert!(
        log.contains("status=401"),
        "the request lines are captured: {log}"
    );
    assert!(!log.contains(&guid), "a GuId was logged");
    assert!(!log.contains(app_password), "an app password was logged");

    let mut conn = w.app.db.connect();
    let me: Value = w
        .app
        .get("/api/v1/me", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    let stored = app_api::password_hash(&mut conn, UserId(me["id"].as_i64().unwrap()))
        .unwrap()
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains(app_password));
    assert!(
        app_api::find_token_by_hash(&mut conn, &sha256_hex(guid.as_bytes()))
            .unwrap()
            .is_some()
    );
    assert!(app_api::find_token_by_hash(&mut conn, &guid)
        .unwrap()
        .is_none());
}
