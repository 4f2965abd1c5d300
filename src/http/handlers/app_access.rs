//! App passwords and the phone apps' GuIds in korsel's own API: a user sets their app password
//! and lists and revokes their GuIds; an administrator does the same for any user.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::shape::{checked, ok_json};
use crate::domain::ids::UserId;
use crate::domain::page::PageRequest;
use crate::error::Error;
use crate::http::extract::{Admin, AuthUser};
use crate::http::AppState;
use crate::services::app_api::access;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnAppPassword {
    current_password: String,
    app_password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppPassword {
    app_password: String,
}

pub async fn set_own_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<OwnAppPassword>,
) -> Result<HttpResponse, Error> {
    let id = user.id();
    let OwnAppPassword {
        current_password,
        app_password,
    } = body.into_inner();
    state
        .db
        .run(move |c| access::change_own_app_password(c, id, &current_password, &app_password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn set_password(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<UserId>,
    body: web::Json<AppPassword>,
) -> Result<HttpResponse, Error> {
    let (id, password) = (id.into_inner(), body.into_inner().app_password);
    state
        .db
        .run(move |c| access::set_app_password(c, id, &password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn list(
    state: &AppState,
    user_id: UserId,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = checked(page)?;
    let max_age = state.settings.app_api.token_max_age;
    ok_json(state, move |c| {
        access::list_tokens(c, user_id, max_age, page)
    })
    .await
}

async fn revoke(state: &AppState, user_id: UserId, token_id: i64) -> Result<HttpResponse, Error> {
    let max_age = state.settings.app_api.token_max_age;
    ok_json(state, move |c| {
        access::revoke_token(c, user_id, token_id, max_age)
    })
    .await
}

pub async fn my_tokens(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    list(&state, user.id(), page).await
}

pub async fn revoke_my_token(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    revoke(&state, user.id(), id.into_inner()).await
}

pub async fn user_tokens(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<UserId>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    list(&state, id.into_inner(), page).await
}

pub async fn revoke_user_token(
    state: web::Data<AppState>,
    _: Admin,
    ids: web::Path<(UserId, i64)>,
) -> Result<HttpResponse, Error> {
    let (user_id, token_id) = ids.into_inner();
    revoke(&state, user_id, token_id).await
}
