//! Administration of user accounts. Admin only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::domain::ids::UserId;
use crate::domain::users::{Role, Roles};
use crate::error::Error;
use crate::http::extract::Admin;
use crate::http::AppState;
use crate::services::users;

use super::shape::{admin_handlers, ok_json};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetActive {
    active: bool,
}

admin_handlers! {
    list list => users::list;
    create create(CreateUser) =>
        |c, u: CreateUser| users::create(c, &u.username, &u.password, &Roles::new(u.roles)),
        |out: &users::User| format!("/api/v1/users/{}", out.id);
    show show [UserId] => users::get;
    update set_roles(SetRoles) [UserId] => |c, id, input: SetRoles| users::set_roles(c, id, &Roles::new(input.roles));
}

pub async fn set_password(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<UserId>,
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

/// `PUT /api/v1/users/{id}/active`: deactivates (ending every session of the user) or
/// reactivates; an administrator cannot deactivate themselves (409).
pub async fn set_active(
    state: web::Data<AppState>,
    admin: Admin,
    id: web::Path<UserId>,
    body: web::Json<SetActive>,
) -> Result<HttpResponse, Error> {
    let (admin_id, id, active) = (admin.id(), id.into_inner(), body.active);
    ok_json(&state, move |c| users::set_active(c, admin_id, id, active)).await
}
