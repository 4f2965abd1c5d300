use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::shape::ok_json;
use crate::error::Error;
use crate::http::{client_address, AppState};
use crate::services::auth;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, Error> {
    let LoginRequest { username, password } = body.into_inner();
    let ip = client_address(&req, &state);
    let throttle = state.throttle;
    let keys = state.keys.clone();
    let ttl = state.settings.refresh_token_ttl;
    let policy = state.settings.password_login;
    ok_json(&state, move |conn| {
        let attempt = auth::LoginAttempt {
            username: &username,
            password: &password,
            ip,
            policy,
        };
        throttle.login(conn, attempt, &keys, ttl)
    })
    .await
}

pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, Error> {
    let keys = state.keys.clone();
    let ttl = state.settings.refresh_token_ttl;
    let token = body.into_inner().refresh_token;
    ok_json(&state, move |conn| auth::refresh(conn, &keys, ttl, &token)).await
}

pub async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, Error> {
    let token = body.into_inner().refresh_token;
    state.db.run(move |conn| auth::logout(conn, &token)).await?;
    Ok(HttpResponse::NoContent().finish())
}
