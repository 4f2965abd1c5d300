//! Running korsel (issue 16): a person's notice settings and the scheduled jobs.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::shape::ok_json;
use crate::domain::ids::PersonId;
use crate::domain::users::Role;
use crate::error::Error;
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::services::{jobs, notices};

pub async fn my_notifications(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Error> {
    let id = user.id();
    ok_json(&state, move |c| notices::preferences(c, id)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetNotifications {
    /// The approvers' morning digest, on or off.
    digest: bool,
}

pub async fn set_my_notifications(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<SetNotifications>,
) -> Result<HttpResponse, Error> {
    let (id, digest) = (user.id(), body.digest);
    ok_json(&state, move |c| notices::set_digest(c, id, digest)).await
}

pub async fn list_jobs(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    if !user.has(Role::Admin) {
        return Err(Error::forbidden("this requires the admin role"));
    }
    let settings = state.settings.clone();
    let out = state.db.run(move |c| jobs::list(c, &settings)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": out })))
}

/// Everything korsel holds about the caller (GDPR art. 15), as a JSON download.
pub async fn my_export(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let id = user.id();
    let out = state
        .db
        .run(move |c| crate::services::export(c, id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"korsel-export.json\"",
        ))
        .json(out))
}

/// An administrator erases a person whose employments all ended longer ago than the retention
/// period (GDPR art. 17), keeping the payroll ledger lines.
pub async fn erase_person(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<PersonId>,
) -> Result<HttpResponse, Error> {
    if !user.has(Role::Admin) {
        return Err(Error::forbidden("this requires the admin role"));
    }
    let (person_id, settings) = (id.into_inner(), state.settings.retention);
    ok_json(&state, move |c| {
        crate::services::retention::erase_person(
            c,
            person_id,
            &settings,
            crate::services::org::today(),
        )
    })
    .await
}
