//! Every error class answers RFC 9457 problem+json with a stable type.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn unknown_route_is_404() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/api/v1/nothing-here", None).await,
        404,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn wrong_method_is_405() {
    let app = spawn_app().await;
    let res = app
        .client
        .delete(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 405, "method-not-allowed").await;
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "malformed-json").await;
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("username=admin")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported-media-type").await;
}

#[tokio::test]
async fn wrong_shape_is_422() {
    let app = spawn_app().await;
    let res = app
        .post("/api/v1/auth/login", None, &json!({"username": 5}))
        .await;
    assert_problem(res, 422, "validation-failed").await;
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = spawn_app_with(|s| s.max_body_bytes = 1024).await;
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "x".repeat(2000), "password": "y"}),
        )
        .await;
    assert_problem(res, 413, "payload-too-large").await;
}

#[tokio::test]
async fn unparseable_path_parameter_is_404() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    assert_problem(
        app.get("/api/v1/users/abc", Some(&admin)).await,
        404,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn bad_query_parameter_is_400() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    assert_problem(
        app.get("/api/v1/users?page=minus", Some(&admin)).await,
        400,
        "bad-request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/users?page=0", Some(&admin)).await,
        422,
        "validation-failed",
    )
    .await;
}

#[tokio::test]
async fn internal_errors_say_nothing_about_internals() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // Corrupt the stored roles behind the service's back.
    {
        use korsel::db::schema::users::dsl::*;
        diesel::update(users.filter(username.eq("admin")))
            .set(roles.eq("secret-internal-marker"))
            .execute(&mut *app.db.connect())
            .unwrap();
    }
    let res = app.get("/api/v1/me", Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = assert_problem(res, 500, "internal-error").await;
    let text = body.to_string();
    assert!(!text.contains("secret-internal-marker"), "{text}");
    assert!(!text.to_lowercase().contains("diesel"), "{text}");
}
