//! Administration of user accounts. Admin only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::domain::page::PageRequest;
use crate::domain::users::{Role, Roles};
use crate::error::Error;
use crate::http::extract::Admin;
use crate::http::AppState;
use crate::services::users;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    username: String,
    password: String,
    #[serde(default)]
    roles: Vec<Role>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRoles {
    roles: Vec<Role>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    password: String,
}

pub async fn list(
    state: web::Data<AppState>,
    _: Admin,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = page.into_inner();
    page.validate()
        .map_err(|(field, e)| Error::validation(field, e))?;
    let users = state.db.run(move |conn| users::list(conn, page)).await?;
    Ok(HttpResponse::Ok().json(users))
}

pub async fn create(
    state: web::Data<AppState>,
    _: Admin,
    body: web::Json<CreateUser>,
) -> Result<HttpResponse, Error> {
    let CreateUser {
        username,
        password,
        roles,
    } = body.into_inner();
    let created = state
        .db
        .run(move |conn| users::create(conn, &username, &password, &Roles::new(roles)))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", created.id)))
        .json(created))
}

pub async fn show(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| users::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(found))
}

pub async fn set_roles(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<SetRoles>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let roles = Roles::new(body.into_inner().roles);
    let updated = state
        .db
        .run(move |conn| users::set_roles(conn, id, &roles))
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

pub async fn set_password(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<SetPassword>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let password = body.into_inner().password;
    state
        .db
        .run(move |conn| users::set_password(conn, id, &password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
