//! The first administrator's generated password is a one-time password (issue 11 item 15):
//! signing in with it works, every other request is refused until a new password is set.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_on, spawn_with_one_time_admin, test_settings, TestDb};

#[tokio::test]
async fn the_first_sign_in_with_the_one_time_password_must_set_a_new_one() {
    let (app, one_time) = spawn_with_one_time_admin().await;
    let tokens = app.tokens("admin", &one_time).await;
    let token = tokens["access_token"].as_str().unwrap().to_string();
    for path in ["/api/v1/me", "/api/v1/users", "/api/v1/reports"] {
        let problem = assert_problem(
            app.get(path, Some(&token)).await,
            403,
            "password-change-required",
        )
        .await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("PUT /api/v1/me/password"),
            "{problem}"
        );
    }
    // A refreshed token is no way around it.
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: serde_json::Value = refreshed.json().await.unwrap();
    let access = refreshed["access_token"].as_str().unwrap();
    assert_problem(
        app.get("/api/v1/me", Some(access)).await,
        403,
        "password-change-required",
    )
    .await;

    let res = app
        .put(
            "/api/v1/me/password",
            Some(&token),
            &json!({"current_password": one_time, "new_password": "my own long password"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let fresh = app.tokens("admin", "my own long password").await;
    let res = app
        .get("/api/v1/me", Some(fresh["access_token"].as_str().unwrap()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A password from KORSEL_ADMIN_PASSWORD is the operator's own: no change is forced.
#[tokio::test]
async fn a_configured_admin_password_needs_no_change() {
    let db = TestDb::new();
    let settings = test_settings(&db);
    let app = spawn_on(db, settings).await;
    let token = app.admin_token().await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        StatusCode::OK
    );
}
