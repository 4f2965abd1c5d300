//! Administration of the organisation and its people. Admin only, except where a handler says
//! otherwise (a person's own data, an approver reading the people they approve, rate types).

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::page::PageRequest;
use crate::domain::users::Role;
use crate::error::Error;
use crate::http::extract::{Admin, AuthUser};
use crate::http::AppState;
use crate::services::org::{self, Access};

fn checked(page: web::Query<PageRequest>) -> Result<PageRequest, Error> {
    let page = page.into_inner();
    page.validate()
        .map_err(|(field, e)| Error::validation(field, e))?;
    Ok(page)
}

fn created<T: serde::Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}

// ---------------------------------------------------------------- org units

pub async fn list_org_units(
    state: web::Data<AppState>,
    _: Admin,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = checked(page)?;
    let out = state.db.run(move |c| org::list_org_units(c, page)).await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn create_org_unit(
    state: web::Data<AppState>,
    _: Admin,
    body: web::Json<org::CreateOrgUnit>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    let out = state
        .db
        .run(move |c| org::create_org_unit(c, input))
        .await?;
    Ok(created(format!("/api/v1/org-units/{}", out.id), &out))
}

pub async fn show_org_unit(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let out = state.db.run(move |c| org::get_org_unit(c, id)).await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn update_org_unit(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<org::UpdateOrgUnit>,
) -> Result<HttpResponse, Error> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let out = state
        .db
        .run(move |c| org::update_org_unit(c, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

// ---------------------------------------------------------------- persons

pub async fn list_persons(
    state: web::Data<AppState>,
    _: Admin,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = checked(page)?;
    let out = state.db.run(move |c| org::list_persons(c, page)).await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn create_person(
    state: web::Data<AppState>,
    _: Admin,
    body: web::Json<org::CreatePerson>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    let out = state.db.run(move |c| org::create_person(c, input)).await?;
    Ok(created(format!("/api/v1/persons/{}", out.summary.id), &out))
}

/// An administrator or the person themselves sees everything; an approver of the person today
/// sees the summary (no CPR); to anyone else the person does not exist.
pub async fn show_person(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let (user_id, admin) = (user.id(), user.has(Role::Admin));
    let body = state
        .db
        .run(move |c| {
            let detail = match org::access_to_person(c, user_id, admin, id)? {
                // To anyone else the person does not exist (404), so ids cannot be probed.
                Access::None => return Err(Error::not_found("person")),
                Access::Approver => serde_json::to_value(org::get_person(c, id)?.summary),
                Access::Full => serde_json::to_value(org::get_person(c, id)?),
            };
            detail.map_err(|e| Error::Internal(e.into()))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

pub async fn update_person(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<org::UpdatePerson>,
) -> Result<HttpResponse, Error> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let out = state
        .db
        .run(move |c| org::update_person(c, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn set_person_distance_to_border(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<org::DistanceToBorder>,
) -> Result<HttpResponse, Error> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let out = state
        .db
        .run(move |c| org::set_distance_to_border(c, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproversQuery {
    employment_id: i64,
    date: NaiveDate,
}

pub async fn person_approvers(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    query: web::Query<ApproversQuery>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let ApproversQuery {
        employment_id,
        date,
    } = query.into_inner();
    let out = state
        .db
        .run(move |c| org::approvers_of(c, id, employment_id, date))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Addresses: an administrator, or the person themselves.
pub async fn person_addresses(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let (user_id, admin) = (user.id(), user.has(Role::Admin));
    let out = state
        .db
        .run(move |c| {
            // Only the person and administrators see their addresses; to anyone else they do
            // not exist.
            if org::access_to_person(c, user_id, admin, id)? != Access::Full {
                return Err(Error::not_found("person"));
            }
            org::addresses(c, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn add_person_address(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<org::CreateAddress>,
) -> Result<HttpResponse, Error> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let out = state
        .db
        .run(move |c| org::add_address(c, id, input, false))
        .await?;
    Ok(created(format!("/api/v1/persons/{id}/addresses"), &out))
}

pub async fn delete_person_address(
    state: web::Data<AppState>,
    _: Admin,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let (id, address) = path.into_inner();
    state
        .db
        .run(move |c| org::delete_address(c, id, address, false))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn add_home_work_override(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<org::CreateOverride>,
) -> Result<HttpResponse, Error> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let out = state
        .db
        .run(move |c| org::add_override(c, id, input))
        .await?;
    Ok(created(format!("/api/v1/persons/{id}/addresses"), &out))
}

pub async fn person_vehicles(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let (user_id, admin) = (user.id(), user.has(Role::Admin));
    let out = state
        .db
        .run(move |c| {
            // Only the person and administrators see their vehicles; to anyone else they do
            // not exist.
            if org::access_to_person(c, user_id, admin, id)? != Access::Full {
                return Err(Error::not_found("person"));
            }
            org::get_person(c, id)?;
            org::vehicles(c, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn add_person_vehicle(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<org::CreateVehicle>,
) -> Result<HttpResponse, Error> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let out = state
        .db
        .run(move |c| org::add_vehicle(c, id, input))
        .await?;
    Ok(created(format!("/api/v1/persons/{id}/vehicles"), &out))
}

// ---------------------------------------------------------------- employments

#[derive(Deserialize)]
pub struct EmploymentFilter {
    #[serde(default)]
    person_id: Option<i64>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

pub async fn list_employments(
    state: web::Data<AppState>,
    _: Admin,
    query: web::Query<EmploymentFilter>,
) -> Result<HttpResponse, Error> {
    let EmploymentFilter {
        person_id,
        page,
        per_page,
    } = query.into_inner();
    let defaults = PageRequest::default();
    let page = PageRequest {
        page: page.unwrap_or(defaults.page),
        per_page: per_page.unwrap_or(defaults.per_page),
    };
    page.validate()
        .map_err(|(field, e)| Error::validation(field, e))?;
    let out = state
        .db
        .run(move |c| org::list_employments(c, person_id, page))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn create_employment(
    state: web::Data<AppState>,
    _: Admin,
    body: web::Json<org::CreateEmployment>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    let out = state
        .db
        .run(move |c| org::create_employment(c, input))
        .await?;
    Ok(created(format!("/api/v1/employments/{}", out.id), &out))
}

pub async fn show_employment(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let out = state.db.run(move |c| org::get_employment(c, id)).await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn update_employment(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<org::UpdateEmployment>,
) -> Result<HttpResponse, Error> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let out = state
        .db
        .run(move |c| org::update_employment(c, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

// ---------------------------------------------------------------- substitutes, personal approvers

pub async fn list_substitutes(
    state: web::Data<AppState>,
    _: Admin,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = checked(page)?;
    let out = state
        .db
        .run(move |c| org::list_substitutes(c, page))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn create_substitute(
    state: web::Data<AppState>,
    _: Admin,
    body: web::Json<org::CreateSubstitute>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    let out = state
        .db
        .run(move |c| org::create_substitute(c, input))
        .await?;
    Ok(created(format!("/api/v1/substitutes/{}", out.id), &out))
}

pub async fn delete_substitute(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    state.db.run(move |c| org::delete_substitute(c, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn list_personal_approvers(
    state: web::Data<AppState>,
    _: Admin,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = checked(page)?;
    let out = state
        .db
        .run(move |c| org::list_personal_approvers(c, page))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn create_personal_approver(
    state: web::Data<AppState>,
    _: Admin,
    body: web::Json<org::CreatePersonalApprover>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    let out = state
        .db
        .run(move |c| org::create_personal_approver(c, input))
        .await?;
    Ok(created(
        format!("/api/v1/personal-approvers/{}", out.id),
        &out,
    ))
}

pub async fn delete_personal_approver(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    state
        .db
        .run(move |c| org::delete_personal_approver(c, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- rate types

/// Rate types are public to every authenticated user: the app offers them when reporting.
pub async fn list_rate_types(
    state: web::Data<AppState>,
    _user: AuthUser,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = checked(page)?;
    let out = state.db.run(move |c| org::list_rate_types(c, page)).await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateQuery {
    #[serde(default)]
    date: Option<NaiveDate>,
}

/// A person's addresses valid on a date (default today): an administrator or the person.
pub async fn person_effective_addresses(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: web::Query<DateQuery>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let date = query.into_inner().date.unwrap_or_else(org::today);
    let (user_id, admin) = (user.id(), user.has(Role::Admin));
    let out = state
        .db
        .run(move |c| {
            // Only the person and administrators see their addresses; to anyone else they do
            // not exist.
            if org::access_to_person(c, user_id, admin, id)? != Access::Full {
                return Err(Error::not_found("person"));
            }
            org::addresses_on(c, id, date)
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

pub async fn create_rate_type(
    state: web::Data<AppState>,
    _: Admin,
    body: web::Json<org::CreateRateType>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    let out = state
        .db
        .run(move |c| org::create_rate_type(c, input))
        .await?;
    Ok(created(format!("/api/v1/rate-types/{}", out.id), &out))
}

pub async fn update_rate_type(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<i64>,
    body: web::Json<org::UpdateRateType>,
) -> Result<HttpResponse, Error> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let out = state
        .db
        .run(move |c| org::update_rate_type(c, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}
