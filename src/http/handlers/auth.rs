use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::error::Error;
use crate::http::AppState;
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
    let ip = req.peer_addr().map(|a| a.ip());
    state.throttle.check(&username, ip)?;
    let keys = state.keys.clone();
    let ttl = state.settings.refresh_token_ttl;
    let name = username.clone();
    let outcome = state
        .db
        .run(move |conn| auth::login(conn, &keys, ttl, &name, &password))
        .await;
    state.throttle.record(&username, ip, &outcome);
    Ok(HttpResponse::Ok().json(outcome?))
}

pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, Error> {
    let keys = state.keys.clone();
    let ttl = state.settings.refresh_token_ttl;
    let token = body.into_inner().refresh_token;
    let pair = state
        .db
        .run(move |conn| auth::refresh(conn, &keys, ttl, &token))
        .await?;
    Ok(HttpResponse::Ok().json(pair))
}

pub async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, Error> {
    let token = body.into_inner().refresh_token;
    state.db.run(move |conn| auth::logout(conn, &token)).await?;
    Ok(HttpResponse::NoContent().finish())
}
