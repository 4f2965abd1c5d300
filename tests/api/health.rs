use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app, spawn_on, test_settings, TestDb, ADMIN_PASSWORD};

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], app.db.url.kind());
}

#[tokio::test]
async fn readyz_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);
    app.db.destroy();
    assert_problem(app.get("/readyz", None).await, 503, "service-unavailable").await;
    // Liveness is about the process, not the database.
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "phone-42-retry-3")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "phone-42-retry-3");

    let res = app.get("/healthz", None).await;
    let generated = res.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");

    // An id that could forge log lines is replaced.
    let res = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "a b")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "a b");
    let echoed = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body = assert_problem(res, 404, "not-found").await;
    assert_eq!(body["request_id"], echoed);
}

#[tokio::test]
async fn restart_keeps_sessions_with_a_generated_signing_key() {
    let db = TestDb::new();
    let mut settings = test_settings(&db);
    settings.jwt_secret = None;
    let first = spawn_on(db, settings.clone()).await;
    let token = first.tokens("admin", ADMIN_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // A second instance on the same database: same key, no second admin, no new migrations.
    let second = korsel::app::Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());
    let res = first
        .client
        .get(format!("{address}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let admin = first.admin_token().await;
    let users: Value = first
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users["total"], 1);
}
