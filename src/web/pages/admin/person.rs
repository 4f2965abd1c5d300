//! A person's page: their details (no CPR number), employments, approvers today, addresses with
//! their dates, home–work distance overrides, distance to the border and vehicles. Read-only:
//! these are changed by the staff import, the API (`/api/v1/persons/{id}/…`), or by the person
//! on their own pages.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::domain::ids::{EmploymentId, PersonId};
use crate::domain::page::{PageRequest, MAX_PER_PAGE};
use crate::http::AppState;
use crate::services::org;
use crate::web::error::WebError;
use crate::web::format;
use crate::web::session::Administrator;
use crate::web::texts::admin::{self as texts, AdminTexts, ADMIN};
use crate::web::{ok, Layout};

pub struct EmploymentRow {
    pub number: String,
    pub unit: String,
    pub position: String,
    pub period: String,
    pub leader: &'static str,
    pub approvers: String,
}

pub struct AddressRow {
    pub kind: &'static str,
    pub label: String,
    pub employment: String,
    pub from: String,
}

pub struct OverrideRow {
    pub employment: String,
    pub km: String,
    pub from: String,
}

pub struct VehicleRow {
    pub plate: String,
    pub description: String,
    pub primary: &'static str,
}

#[derive(Template)]
#[template(path = "admin_person.html")]
struct PersonPage {
    layout: Layout,
    a: &'static AdminTexts,
    name: String,
    external_id: String,
    username: String,
    email: String,
    border: String,
    employments: Vec<EmploymentRow>,
    addresses: Vec<AddressRow>,
    overrides: Vec<OverrideRow>,
    vehicles: Vec<VehicleRow>,
}

pub async fn show(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    id: web::Path<PersonId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let today = org::today();
    let all = PageRequest {
        page: 1,
        per_page: MAX_PER_PAGE,
    };
    let (person, employments, units, approvers, addresses, vehicles) = state
        .db
        .run(move |c| {
            let person = org::get_person(c, id)?;
            let employments = org::list_employments(c, Some(id), all)?.items;
            let mut units = HashMap::new();
            for e in &employments {
                if let std::collections::hash_map::Entry::Vacant(v) = units.entry(e.org_unit_id) {
                    v.insert(org::get_org_unit(c, e.org_unit_id)?.name);
                }
            }
            let approvers = org::approvers_of_person(c, id, today)?;
            Ok((
                person,
                employments,
                units,
                approvers,
                org::addresses(c, id)?,
                org::vehicles(c, id)?,
            ))
        })
        .await?;
    let numbers: HashMap<EmploymentId, String> = employments
        .iter()
        .map(|e| (e.id, e.employment_number.clone()))
        .collect();
    let number = |id: Option<EmploymentId>| {
        id.and_then(|id| numbers.get(&id).cloned())
            .unwrap_or_default()
    };
    ok(&PersonPage {
        layout: Layout::signed(&signed, &person.summary.name, "organisation"),
        a: &ADMIN,
        name: person.summary.name.clone(),
        external_id: person.summary.external_id.clone(),
        username: person.summary.username.clone().unwrap_or_default(),
        email: person.email.clone().unwrap_or_default(),
        border: person
            .distance_to_border_m
            .map(format::km)
            .unwrap_or_else(|| ADMIN.not_set.to_string()),
        employments: employments
            .iter()
            .map(|e| EmploymentRow {
                number: e.employment_number.clone(),
                unit: units.get(&e.org_unit_id).cloned().unwrap_or_default(),
                position: e.position.clone(),
                period: texts::period(
                    &format::date(e.start_date),
                    e.end_date.map(format::date).as_deref(),
                ),
                leader: if e.is_leader { ADMIN.yes } else { "" },
                approvers: approvers
                    .iter()
                    .find(|a| a.employment_id == e.id)
                    .map(|a| {
                        a.approvers
                            .iter()
                            .map(|p| p.name.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        addresses: addresses
            .addresses
            .iter()
            .map(|a| AddressRow {
                kind: texts::address_kind(a.kind),
                label: a.label.clone(),
                employment: number(a.employment_id),
                from: format::date(a.valid_from),
            })
            .collect(),
        overrides: addresses
            .home_work_overrides
            .iter()
            .map(|o| OverrideRow {
                employment: number(Some(o.employment_id)),
                km: format::km(o.distance_m),
                from: format::date(o.valid_from),
            })
            .collect(),
        vehicles: vehicles
            .iter()
            .map(|v| VehicleRow {
                plate: v.plate.clone(),
                description: v.description.clone(),
                primary: if v.is_primary { ADMIN.yes } else { "" },
            })
            .collect(),
    })
}
