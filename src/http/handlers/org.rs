//! Administration of the organisation and its people. Admin only, except where a handler says
//! otherwise (a person's own data, an approver reading the people they approve, rate types).

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::db::DbConnection;
use crate::domain::ids::{
    AddressId, EmploymentId, OrgUnitId, PersonId, PersonalApproverId, RateTypeId, SubstituteId,
};
use crate::domain::page::PageRequest;
use crate::domain::users::Role;
use crate::error::Error;
use crate::http::extract::{Admin, AuthUser};
use crate::http::AppState;
use crate::services::org::{self, Access};

use super::shape::{admin_handlers, checked, ok_json};

admin_handlers! {
    list list_org_units => org::list_org_units;
    create create_org_unit(org::CreateOrgUnit) => org::create_org_unit,
        |out: &org::OrgUnit| format!("/api/v1/org-units/{}", out.id);
    show show_org_unit [OrgUnitId] => org::get_org_unit;
    update update_org_unit(org::UpdateOrgUnit) [OrgUnitId] => org::update_org_unit;

    list list_persons => org::list_persons;
    create create_person(org::CreatePerson) => org::create_person,
        |out: &org::PersonDetail| format!("/api/v1/persons/{}", out.summary.id);
    update update_person(org::UpdatePerson) [PersonId] => org::update_person;
    update set_person_distance_to_border(org::DistanceToBorder) [PersonId] => org::set_distance_to_border;
    create_under add_person_address(org::CreateAddress) [PersonId] =>
        |c, id, input| org::add_address(c, id, input, false),
        |id, _: &_| format!("/api/v1/persons/{id}/addresses");
    create_under add_home_work_override(org::CreateOverride) [PersonId] => org::add_override,
        |id, _: &_| format!("/api/v1/persons/{id}/addresses");
    create_under add_person_vehicle(org::CreateVehicle) [PersonId] => org::add_vehicle,
        |id, _: &_| format!("/api/v1/persons/{id}/vehicles");

    create create_employment(org::CreateEmployment) => org::create_employment,
        |out: &org::Employment| format!("/api/v1/employments/{}", out.id);
    show show_employment [EmploymentId] => org::get_employment;
    update update_employment(org::UpdateEmployment) [EmploymentId] => org::update_employment;

    list list_substitutes => org::list_substitutes;
    create create_substitute(org::CreateSubstitute) => org::create_substitute,
        |out: &org::Substitute| format!("/api/v1/substitutes/{}", out.id);
    show show_substitute [SubstituteId] => org::get_substitute;
    delete delete_substitute [SubstituteId] => org::delete_substitute;
    list list_personal_approvers => org::list_personal_approvers;
    create create_personal_approver(org::CreatePersonalApprover) => org::create_personal_approver,
        |out: &org::PersonalApprover| format!("/api/v1/personal-approvers/{}", out.id);
    show show_personal_approver [PersonalApproverId] => org::get_personal_approver;
    delete delete_personal_approver [PersonalApproverId] => org::delete_personal_approver;

    create create_rate_type(org::CreateRateType) => org::create_rate_type,
        |out: &org::RateType| format!("/api/v1/rate-types/{}", out.id);
    update update_rate_type(org::UpdateRateType) [RateTypeId] => org::update_rate_type;
}

// ---------------------------------------------------------------- persons

/// An administrator or the person themselves sees everything; an approver of the person today
/// sees the summary (no CPR); to anyone else the person does not exist.
pub async fn show_person(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<PersonId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let (user_id, admin) = (user.id(), user.has(Role::Admin));
    ok_json(&state, move |c| {
        let detail = match org::access_to_person(c, user_id, admin, id)? {
            // To anyone else the person does not exist (404), so ids cannot be probed.
            Access::None => return Err(Error::not_found("person")),
            Access::Approver => serde_json::to_value(org::get_person(c, id)?.summary),
            Access::Full => serde_json::to_value(org::get_person(c, id)?),
        };
        detail.map_err(|e| Error::Internal(e.into()))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproversQuery {
    employment_id: EmploymentId,
    date: NaiveDate,
}

pub async fn person_approvers(
    state: web::Data<AppState>,
    _: Admin,
    id: web::Path<PersonId>,
    query: web::Query<ApproversQuery>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let ApproversQuery {
        employment_id,
        date,
    } = query.into_inner();
    ok_json(&state, move |c| {
        org::approvers_of(c, id, employment_id, date)
    })
    .await
}

/// Runs `f` (on person `id`) for an administrator or the person themselves and answers 200 with
/// its result. Only they see the person's addresses and vehicles; to anyone else the person does
/// not exist (404), so ids cannot be probed.
async fn own_or_admin<T: serde::Serialize + Send + 'static>(
    state: &AppState,
    user: &AuthUser,
    id: PersonId,
    f: impl FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
) -> Result<HttpResponse, Error> {
    let (user_id, admin) = (user.id(), user.has(Role::Admin));
    ok_json(state, move |c| {
        if org::access_to_person(c, user_id, admin, id)? != Access::Full {
            return Err(Error::not_found("person"));
        }
        f(c)
    })
    .await
}

/// Addresses: an administrator, or the person themselves.
pub async fn person_addresses(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<PersonId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    own_or_admin(&state, &user, id, move |c| org::addresses(c, id)).await
}

pub async fn delete_person_address(
    state: web::Data<AppState>,
    _: Admin,
    path: web::Path<(PersonId, AddressId)>,
) -> Result<HttpResponse, Error> {
    let (id, address) = path.into_inner();
    state
        .db
        .run(move |c| org::delete_address(c, id, address, false))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn person_vehicles(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<PersonId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    own_or_admin(&state, &user, id, move |c| {
        org::get_person(c, id)?;
        org::vehicles(c, id)
    })
    .await
}

// ---------------------------------------------------------------- employments

#[derive(Deserialize)]
pub struct EmploymentFilter {
    #[serde(default)]
    person_id: Option<PersonId>,
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
    ok_json(&state, move |c| org::list_employments(c, person_id, page)).await
}

// ---------------------------------------------------------------- rate types

/// Rate types are public to every authenticated user: the app offers them when reporting.
pub async fn list_rate_types(
    state: web::Data<AppState>,
    _user: AuthUser,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = checked(page)?;
    ok_json(&state, move |c| org::list_rate_types(c, page)).await
}

/// One rate type; like the list, for every signed-in user (the rates are public).
pub async fn show_rate_type(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<RateTypeId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    ok_json(&state, move |c| org::get_rate_type(c, id)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateQuery {
    #[serde(default)]
    date: Option<NaiveDate>,
}

impl DateQuery {
    /// The date asked for, or today.
    pub fn or_today(self) -> NaiveDate {
        self.date.unwrap_or_else(org::today)
    }
}

/// A person's addresses valid on a date (default today): an administrator or the person.
pub async fn person_effective_addresses(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<PersonId>,
    query: web::Query<DateQuery>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let date = query.into_inner().or_today();
    own_or_admin(&state, &user, id, move |c| org::addresses_on(c, id, date)).await
}
