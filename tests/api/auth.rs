use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use korsel::config::ThrottleSettings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, ADMIN_PASSWORD, JWT_SECRET};

#[tokio::test]
async fn login_gives_tokens_that_open_me() {
    let app = spawn_app().await;
    let tokens = app.tokens("admin", ADMIN_PASSWORD).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().unwrap();

    let res = app.get("/api/v1/me", Some(access)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["username"], "admin");
    assert_eq!(
        me["roles"],
        json!(["employee", "approver", "payroll", "admin"])
    );

    // The JWT carries the claims the spec names.
    let payload = access.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    for claim in ["sub", "roles", "exp", "iat", "jti"] {
        assert!(claims.get(claim).is_some(), "missing claim {claim}");
    }
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
}

#[tokio::test]
async fn usernames_are_case_insensitive() {
    let app = spawn_app().await;
    app.tokens("ADMIN", ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = spawn_app().await;
    let wrong = assert_problem(
        app.login("admin", "not the password").await,
        401,
        "invalid-credentials",
    )
    .await;
    let unknown = assert_problem(
        app.login("nobody", "not the password").await,
        401,
        "invalid-credentials",
    )
    .await;
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_stops_working() {
    let app = spawn_app().await;
    let first = app.tokens("admin", ADMIN_PASSWORD).await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let res = app.get("/api/v1/me", second["access_token"].as_str()).await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_problem(res, 401, "invalid-token").await;
}

#[tokio::test]
async fn reuse_of_a_rotated_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    let first = app.tokens("admin", ADMIN_PASSWORD).await;
    let second: Value = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    // An attacker replays the stolen first token...
    let replay = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_problem(replay, 401, "invalid-token").await;
    // ...and the legitimate newer token is dead too.
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": second["refresh_token"]}),
        )
        .await;
    assert_problem(res, 401, "invalid-token").await;
    // Another session of the same user is untouched.
    let other = app.tokens("admin", ADMIN_PASSWORD).await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": other["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let tokens = app.tokens("admin", ADMIN_PASSWORD).await;
    let body = json!({"refresh_token": tokens["refresh_token"]});
    let res = app.post("/api/v1/auth/logout", None, &body).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.post("/api/v1/auth/refresh", None, &body).await;
    assert_problem(res, 401, "invalid-token").await;
    // Idempotent.
    let res = app.post("/api/v1/auth/logout", None, &body).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn refresh_tokens_are_stored_hashed() {
    let app = spawn_app().await;
    let tokens = app.tokens("admin", ADMIN_PASSWORD).await;
    let token = tokens["refresh_token"].as_str().unwrap();
    use korsel::db::schema::refresh_tokens::dsl::*;
    let stored: Vec<String> = refresh_tokens
        .select(token_hash)
        .load(&mut *app.db.connect())
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert_eq!(
        stored[0],
        korsel::services::tokens::hash_opaque_token(token)
    );
}

fn sign(claims: &Value, alg: Algorithm) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

fn valid_claims() -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": "1", "roles": ["admin"], "iat": now, "exp": now + 600, "jti": "x", "iss": "korsel"})
}

#[tokio::test]
async fn a_self_signed_token_with_the_right_key_works() {
    // Control for the negative cases below: they fail for the reason they name.
    let app = spawn_app().await;
    let res = app
        .get("/api/v1/me", Some(&sign(&valid_claims(), Algorithm::HS256)))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn expired_tampered_none_and_swapped_algorithm_tokens_are_401() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();

    let mut expired = valid_claims();
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    let expired = sign(&expired, Algorithm::HS256);

    let genuine = app.tokens("admin", ADMIN_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut parts: Vec<String> = genuine.split('.').map(String::from).collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["sub"] = json!("2");
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    let tampered = parts.join(".");

    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let none_payload = URL_SAFE_NO_PAD.encode(valid_claims().to_string());
    let alg_none = format!("{none_header}.{none_payload}.");

    let swapped = sign(&valid_claims(), Algorithm::HS512);

    for (name, token) in [
        ("expired", expired),
        ("tampered", tampered),
        ("alg none", alg_none),
        ("HS512", swapped),
        ("garbage", "not-a-jwt".to_string()),
    ] {
        let res = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(res.status(), 401, "{name}");
        assert_problem(res, 401, "invalid-token").await;
    }
}

fn throttle(per_username: u32, per_ip: u32) -> ThrottleSettings {
    ThrottleSettings {
        per_username,
        per_ip,
        window: std::time::Duration::from_secs(600),
    }
}

#[tokio::test]
async fn failed_logins_are_throttled_per_username() {
    let app = spawn_app_with(|s| s.login_throttle = throttle(3, 100)).await;
    for _ in 0..3 {
        assert_problem(
            app.login("admin", "wrong password").await,
            401,
            "invalid-credentials",
        )
        .await;
    }
    let res = app.login("admin", ADMIN_PASSWORD).await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 600, "{retry_after}");
    assert_problem(res, 429, "too-many-requests").await;
    // Other usernames are not affected by this username's lock.
    assert_problem(
        app.login("someone", "wrong password").await,
        401,
        "invalid-credentials",
    )
    .await;
}

#[tokio::test]
async fn failed_logins_are_throttled_per_ip() {
    let app = spawn_app_with(|s| s.login_throttle = throttle(100, 4)).await;
    for i in 0..4 {
        assert_problem(
            app.login(&format!("user{i}"), "wrong password").await,
            401,
            "invalid-credentials",
        )
        .await;
    }
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "too-many-requests").await;
}

#[tokio::test]
async fn a_successful_login_clears_the_username_counter() {
    let app = spawn_app_with(|s| s.login_throttle = throttle(3, 100)).await;
    for _ in 0..2 {
        app.login("admin", "wrong password").await;
    }
    app.tokens("admin", ADMIN_PASSWORD).await;
    for _ in 0..2 {
        assert_problem(
            app.login("admin", "wrong password").await,
            401,
            "invalid-credentials",
        )
        .await;
    }
}

#[tokio::test]
async fn impossible_usernames_are_plain_invalid_credentials() {
    // A NUL byte would make PostgreSQL reject the query: it must be a 401, never a 500.
    let app = spawn_app().await;
    for name in ["ad\u{0}min", "", "😀", &"x".repeat(1000)] {
        assert_problem(
            app.login(name, "whatever password").await,
            401,
            "invalid-credentials",
        )
        .await;
    }
}
