use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::shape::ok_json;
use crate::error::Error;
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::services::users;

pub async fn show(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let id = user.id();
    ok_json(&state, move |conn| users::get(conn, id)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<ChangePassword>,
) -> Result<HttpResponse, Error> {
    let id = user.id();
    let ChangePassword {
        current_password,
        new_password,
    } = body.into_inner();
    state
        .db
        .run(move |conn| users::change_own_password(conn, id, &current_password, &new_password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
