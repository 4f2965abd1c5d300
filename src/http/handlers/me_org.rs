//! Self-service: the caller's own person, employments, approvers, addresses and vehicles.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::shape::ok_json;
use crate::db::DbConnection;
use crate::domain::ids::{AddressId, PersonId, VehicleId};
use crate::error::Error;
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::services::org;

use super::org::DateQuery;

/// Runs `f` on the caller's own person id (404 when the caller is not a person).
async fn mine<T: Send + 'static>(
    state: &AppState,
    user: &AuthUser,
    f: impl FnOnce(&mut DbConnection, PersonId) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let id = user.id();
    state
        .db
        .run(move |c| {
            let me = org::my_person(c, id)?;
            f(c, me.id)
        })
        .await
}

/// [`mine`], answered as 200 JSON.
async fn mine_json<T: Serialize + Send + 'static>(
    state: &AppState,
    user: &AuthUser,
    f: impl FnOnce(&mut DbConnection, PersonId) -> Result<T, Error> + Send + 'static,
) -> Result<HttpResponse, Error> {
    let out = mine(state, user, f).await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn person(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let id = user.id();
    ok_json(&state, move |c| {
        Ok(org::PersonDetail::from(org::my_person(c, id)?))
    })
    .await
}

/// The 4-km rule's home-to-border distance is the employee's own statement (as in OS2).
pub async fn set_distance_to_border(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<org::DistanceToBorder>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    mine_json(&state, &user, move |c, me| {
        org::set_distance_to_border(c, me, input)
    })
    .await
}

pub async fn employments(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Error> {
    let id = user.id();
    ok_json(&state, move |c| org::my_employments(c, id)).await
}

/// Who approves my reports: per employment valid on the date (default today).
pub async fn approvers(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DateQuery>,
) -> Result<HttpResponse, Error> {
    let date = query.into_inner().or_today();
    mine_json(&state, &user, move |c, me| {
        org::approvers_of_person(c, me, date)
    })
    .await
}

/// The people whose reports I approve on the date (default today).
pub async fn approvees(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DateQuery>,
) -> Result<HttpResponse, Error> {
    let date = query.into_inner().or_today();
    mine_json(&state, &user, move |c, me| org::approvees(c, me, date)).await
}

pub async fn addresses(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    mine_json(&state, &user, org::addresses).await
}

pub async fn add_address(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<org::CreateAddress>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    let out = mine(&state, &user, move |c, me| {
        org::add_address(c, me, input, true)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", "/api/v1/me/addresses"))
        .json(out))
}

pub async fn delete_address(
    state: web::Data<AppState>,
    user: AuthUser,
    address: web::Path<AddressId>,
) -> Result<HttpResponse, Error> {
    let address = address.into_inner();
    mine(&state, &user, move |c, me| {
        org::delete_address(c, me, address, true)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn vehicles(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    mine_json(&state, &user, org::vehicles).await
}

pub async fn add_vehicle(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<org::CreateVehicle>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    let out = mine(&state, &user, move |c, me| org::add_vehicle(c, me, input)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", "/api/v1/me/vehicles"))
        .json(out))
}

pub async fn delete_vehicle(
    state: web::Data<AppState>,
    user: AuthUser,
    vehicle: web::Path<VehicleId>,
) -> Result<HttpResponse, Error> {
    let vehicle = vehicle.into_inner();
    mine(&state, &user, move |c, me| {
        org::delete_vehicle(c, me, vehicle)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn make_primary_vehicle(
    state: web::Data<AppState>,
    user: AuthUser,
    vehicle: web::Path<VehicleId>,
) -> Result<HttpResponse, Error> {
    let vehicle = vehicle.into_inner();
    mine_json(&state, &user, move |c, me| {
        org::make_primary_vehicle(c, me, vehicle)
    })
    .await
}

/// My addresses valid on the date (default today): home, alternative home, and per employment
/// the work address (the org unit's when I have none of my own), alternative work and override.
pub async fn effective_addresses(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DateQuery>,
) -> Result<HttpResponse, Error> {
    let date = query.into_inner().or_today();
    mine_json(&state, &user, move |c, me| org::addresses_on(c, me, date)).await
}
