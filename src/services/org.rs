//! Organisation and people: administration, self-service and approver resolution.
//! Every writing use case runs in one transaction (`write_transaction`).

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::db::org::{self as repo, AddressRow, EmploymentRow, OrgUnitRow, PersonRow};
use crate::db::{self, is_unique_violation, write_transaction, DbConnection};
use crate::domain::allowance::rates::{seed_rates, RateKind};
use crate::domain::approvers::{self, ApproverRole, OrgSnapshot};
use crate::domain::org::{
    check_coordinates, check_period, in_period, normalize_plate, optional_text, parse_email,
    required_text, would_cycle, AddressKind, Cpr,
};
use crate::domain::page::{Page, PageRequest};
use crate::domain::users::{normalize_username, validate_username};
use crate::error::{Error, ProblemKind, Result};

const NAME_MAX: usize = 200;
const ID_MAX: usize = 64;

pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<String> {
    required_text(value, max).map_err(|e| Error::validation(field, e))
}

pub(crate) fn opt_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    optional_text(value, max).map_err(|e| Error::validation(field, e))
}

fn period(field: &str, start: NaiveDate, end: Option<NaiveDate>) -> Result<()> {
    check_period(start, end).map_err(|e| Error::validation(field, e))
}

fn conflict_on_unique(what: &'static str) -> impl Fn(diesel::result::Error) -> Error {
    move |e| {
        if is_unique_violation(&e) {
            Error::problem(ProblemKind::Conflict, format!("{what} already exists"))
        } else {
            e.into()
        }
    }
}

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

// ================================================================ org units

/// An address as stored: the address registry's id, a label, WGS84 coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub registry_address_id: String,
    pub label: String,
    pub latitude: f64,
    pub longitude: f64,
}

impl Location {
    /// Trimmed and checked; `prefix` names the fields in errors (e.g. `address/`).
    pub fn validated(self, prefix: &str) -> Result<Location> {
        let registry_address_id = text(
            &format!("{prefix}registry_address_id"),
            &self.registry_address_id,
            100,
        )?;
        let label = text(&format!("{prefix}label"), &self.label, NAME_MAX)?;
        check_coordinates(self.latitude, self.longitude)
            .map_err(|(f, e)| Error::validation(&format!("{prefix}{f}"), e))?;
        Ok(Location {
            registry_address_id,
            label,
            ..self
        })
    }

    /// The location of an org unit row, when it has one.
    pub fn of_unit(u: &OrgUnitRow) -> Option<Location> {
        Some(Location {
            registry_address_id: u.address_registry_id.clone()?,
            label: u.address_label.clone()?,
            latitude: u.address_latitude?,
            longitude: u.address_longitude?,
        })
    }
}

/// The org unit columns that hold `location`.
pub fn unit_changes(
    name: String,
    parent_id: Option<i64>,
    four_km_rule_allowed: bool,
    distance_to_border_m: Option<i64>,
    location: Option<Location>,
) -> repo::OrgUnitChanges {
    let (registry, label, lat, lon) = match location {
        Some(l) => (
            Some(l.registry_address_id),
            Some(l.label),
            Some(l.latitude),
            Some(l.longitude),
        ),
        None => (None, None, None, None),
    };
    repo::OrgUnitChanges {
        name,
        parent_id,
        four_km_rule_allowed,
        distance_to_border_m,
        address_registry_id: registry,
        address_label: label,
        address_latitude: lat,
        address_longitude: lon,
    }
}

/// An org unit row's updatable fields as they are now.
pub fn current_unit_changes(u: &OrgUnitRow) -> repo::OrgUnitChanges {
    unit_changes(
        u.name.clone(),
        u.parent_id,
        u.four_km_rule_allowed,
        u.distance_to_border_m,
        Location::of_unit(u),
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgUnit {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub parent_id: Option<i64>,
    pub four_km_rule_allowed: bool,
    pub distance_to_border_m: Option<i64>,
    /// The default work address of the unit's employees.
    pub address: Option<Location>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrgUnitRow> for OrgUnit {
    fn from(r: OrgUnitRow) -> Self {
        OrgUnit {
            address: Location::of_unit(&r),
            id: r.id,
            external_id: r.external_id,
            name: r.name,
            parent_id: r.parent_id,
            four_km_rule_allowed: r.four_km_rule_allowed,
            distance_to_border_m: r.distance_to_border_m,
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgUnit {
    pub external_id: String,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub four_km_rule_allowed: bool,
    #[serde(default)]
    pub distance_to_border_m: Option<i64>,
    #[serde(default)]
    pub address: Option<Location>,
}

/// The fields an update names; the external id is the import key and never changes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgUnit {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
    pub four_km_rule_allowed: bool,
    #[serde(default)]
    pub distance_to_border_m: Option<i64>,
    #[serde(default)]
    pub address: Option<Location>,
}

fn check_distance(field: &str, value: Option<i64>) -> Result<()> {
    match value {
        Some(v) if !(0..=1_000_000).contains(&v) => Err(Error::validation(
            field,
            "must be between 0 and 1000000 metres",
        )),
        _ => Ok(()),
    }
}

/// The parent must exist and must not be the unit itself or one of its descendants.
fn check_parent(conn: &mut DbConnection, unit: Option<i64>, parent: Option<i64>) -> Result<()> {
    let Some(parent) = parent else { return Ok(()) };
    if repo::find_org_unit(conn, parent)?.is_none() {
        return Err(Error::validation("parent_id", "no such org unit"));
    }
    if let Some(unit) = unit {
        let parents: HashMap<i64, Option<i64>> = repo::all_org_units(conn)?
            .into_iter()
            .map(|u| (u.id, u.parent_id))
            .collect();
        if would_cycle(&parents, unit, parent) {
            return Err(Error::validation(
                "parent_id",
                "would make the org unit its own ancestor",
            ));
        }
    }
    Ok(())
}

pub fn create_org_unit(conn: &mut DbConnection, input: CreateOrgUnit) -> Result<OrgUnit> {
    let external_id = text("external_id", &input.external_id, ID_MAX)?;
    let name = text("name", &input.name, NAME_MAX)?;
    check_distance("distance_to_border_m", input.distance_to_border_m)?;
    let address = input.address.map(|a| a.validated("address/")).transpose()?;
    write_transaction(conn, |conn| {
        check_parent(conn, None, input.parent_id)?;
        let now = db::utc_now();
        let id = repo::insert_org_unit(
            conn,
            &repo::NewOrgUnit {
                external_id: &external_id,
                name: &name,
                parent_id: input.parent_id,
                four_km_rule_allowed: input.four_km_rule_allowed,
                distance_to_border_m: input.distance_to_border_m,
                address_registry_id: address.as_ref().map(|a| a.registry_address_id.as_str()),
                address_label: address.as_ref().map(|a| a.label.as_str()),
                address_latitude: address.as_ref().map(|a| a.latitude),
                address_longitude: address.as_ref().map(|a| a.longitude),
                created_at: now,
                updated_at: now,
            },
        )
        .map_err(conflict_on_unique("an org unit with this external_id"))?;
        get_org_unit(conn, id)
    })
}

pub fn update_org_unit(conn: &mut DbConnection, id: i64, input: UpdateOrgUnit) -> Result<OrgUnit> {
    let changes = unit_changes(
        text("name", &input.name, NAME_MAX)?,
        input.parent_id,
        input.four_km_rule_allowed,
        input.distance_to_border_m,
        input.address.map(|a| a.validated("address/")).transpose()?,
    );
    check_distance("distance_to_border_m", input.distance_to_border_m)?;
    write_transaction(conn, |conn| {
        if repo::find_org_unit(conn, id)?.is_none() {
            return Err(Error::not_found("org unit"));
        }
        check_parent(conn, Some(id), changes.parent_id)?;
        repo::update_org_unit(conn, id, &changes, db::utc_now())?;
        get_org_unit(conn, id)
    })
}

pub fn get_org_unit(conn: &mut DbConnection, id: i64) -> Result<OrgUnit> {
    Ok(repo::find_org_unit(conn, id)?
        .ok_or_else(|| Error::not_found("org unit"))?
        .into())
}

pub fn list_org_units(conn: &mut DbConnection, page: PageRequest) -> Result<Page<OrgUnit>> {
    let total = repo::count_org_units(conn)?;
    let items = repo::list_org_units(conn, page.offset(), page.limit())?
        .into_iter()
        .map(OrgUnit::from)
        .collect();
    Ok(Page::new(items, page, total))
}

// ================================================================ persons

/// A person as lists show them: never the CPR number.
#[derive(Debug, Clone, Serialize)]
pub struct PersonSummary {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub username: Option<String>,
}

impl From<&PersonRow> for PersonSummary {
    fn from(r: &PersonRow) -> Self {
        PersonSummary {
            id: r.id,
            external_id: r.external_id.clone(),
            name: r.name.clone(),
            username: r.username.clone(),
        }
    }
}

/// One person in full, for an administrator or the person themselves. The CPR number is
/// sensitive: it has no `Debug` output.
#[derive(Clone, Serialize)]
pub struct PersonDetail {
    #[serde(flatten)]
    pub summary: PersonSummary,
    pub cpr: Option<String>,
    pub email: Option<String>,
    /// From home to the municipal border, for the 4-km rule; `None`: the org unit's value.
    pub distance_to_border_m: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for PersonDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonDetail")
            .field("summary", &self.summary)
            .field("cpr", &self.cpr.as_ref().map(|_| "**********"))
            .finish()
    }
}

impl From<PersonRow> for PersonDetail {
    fn from(r: PersonRow) -> Self {
        PersonDetail {
            summary: PersonSummary::from(&r),
            cpr: r.cpr,
            email: r.email,
            distance_to_border_m: r.distance_to_border_m,
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePerson {
    pub external_id: String,
    pub name: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub cpr: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    pub name: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub cpr: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

fn person_username(value: Option<&str>) -> Result<Option<String>> {
    match value.map(normalize_username) {
        None => Ok(None),
        Some(u) if u.is_empty() => Ok(None),
        Some(u) => {
            validate_username(&u).map_err(|e| Error::validation("username", e))?;
            Ok(Some(u))
        }
    }
}

fn person_cpr(value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => Cpr::parse(v)
            .map(|c| Some(c.expose().to_string()))
            .map_err(|e| Error::validation("cpr", e)),
    }
}

fn person_email(value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => parse_email(v)
            .map(Some)
            .map_err(|e| Error::validation("email", e)),
    }
}

pub fn create_person(conn: &mut DbConnection, input: CreatePerson) -> Result<PersonDetail> {
    let external_id = text("external_id", &input.external_id, ID_MAX)?;
    let name = text("name", &input.name, NAME_MAX)?;
    let username = person_username(input.username.as_deref())?;
    let cpr = person_cpr(input.cpr.as_deref())?;
    let email = person_email(input.email.as_deref())?;
    write_transaction(conn, |conn| {
        let now = db::utc_now();
        let id = repo::insert_person(
            conn,
            &repo::NewPerson {
                external_id: &external_id,
                name: &name,
                username: username.as_deref(),
                cpr: cpr.as_deref(),
                email: email.as_deref(),
                created_at: now,
                updated_at: now,
            },
        )
        .map_err(conflict_on_unique(
            "a person with this external_id or username",
        ))?;
        get_person(conn, id)
    })
}

pub fn update_person(
    conn: &mut DbConnection,
    id: i64,
    input: UpdatePerson,
) -> Result<PersonDetail> {
    let changes = repo::PersonChanges {
        name: text("name", &input.name, NAME_MAX)?,
        username: person_username(input.username.as_deref())?,
        cpr: person_cpr(input.cpr.as_deref())?,
        email: person_email(input.email.as_deref())?,
    };
    write_transaction(conn, |conn| {
        if repo::update_person(conn, id, &changes, db::utc_now())
            .map_err(conflict_on_unique("a person with this username"))?
            == 0
        {
            return Err(Error::not_found("person"));
        }
        get_person(conn, id)
    })
}

/// Body of the two endpoints that set the home-to-border distance (admin, or the person).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistanceToBorder {
    pub distance_to_border_m: Option<i64>,
}

pub fn set_distance_to_border(
    conn: &mut DbConnection,
    id: i64,
    input: DistanceToBorder,
) -> Result<PersonDetail> {
    check_distance("distance_to_border_m", input.distance_to_border_m)?;
    write_transaction(conn, |conn| {
        if repo::set_distance_to_border(conn, id, input.distance_to_border_m, db::utc_now())? == 0 {
            return Err(Error::not_found("person"));
        }
        get_person(conn, id)
    })
}

pub fn get_person(conn: &mut DbConnection, id: i64) -> Result<PersonDetail> {
    Ok(repo::find_person(conn, id)?
        .ok_or_else(|| Error::not_found("person"))?
        .into())
}

pub fn list_persons(conn: &mut DbConnection, page: PageRequest) -> Result<Page<PersonSummary>> {
    let total = repo::count_persons(conn)?;
    let items = repo::list_persons(conn, page.offset(), page.limit())?
        .iter()
        .map(PersonSummary::from)
        .collect();
    Ok(Page::new(items, page, total))
}

// ================================================================ employments

#[derive(Debug, Clone, Serialize)]
pub struct Employment {
    pub id: i64,
    pub person_id: i64,
    pub org_unit_id: i64,
    pub employment_number: String,
    pub position: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub cost_centre: Option<String>,
    pub is_leader: bool,
}

impl From<EmploymentRow> for Employment {
    fn from(r: EmploymentRow) -> Self {
        Employment {
            id: r.id,
            person_id: r.person_id,
            org_unit_id: r.org_unit_id,
            employment_number: r.employment_number,
            position: r.position,
            start_date: r.start_date,
            end_date: r.end_date,
            cost_centre: r.cost_centre,
            is_leader: r.is_leader,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEmployment {
    pub person_id: i64,
    pub org_unit_id: i64,
    pub employment_number: String,
    pub position: String,
    pub start_date: NaiveDate,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub cost_centre: Option<String>,
    #[serde(default)]
    pub is_leader: bool,
}

/// The person and the employment number (the payroll key) are fixed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateEmployment {
    pub org_unit_id: i64,
    pub position: String,
    pub start_date: NaiveDate,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub cost_centre: Option<String>,
    pub is_leader: bool,
}

fn check_org_unit_ref(conn: &mut DbConnection, id: i64) -> Result<()> {
    repo::find_org_unit(conn, id)?
        .map(|_| ())
        .ok_or_else(|| Error::validation("org_unit_id", "no such org unit"))
}

fn check_person_ref(conn: &mut DbConnection, field: &str, id: i64) -> Result<()> {
    repo::find_person(conn, id)?
        .map(|_| ())
        .ok_or_else(|| Error::validation(field, "no such person"))
}

pub fn create_employment(conn: &mut DbConnection, input: CreateEmployment) -> Result<Employment> {
    let number = text("employment_number", &input.employment_number, ID_MAX)?;
    let position = text("position", &input.position, NAME_MAX)?;
    let cost_centre = opt_text("cost_centre", input.cost_centre.as_deref(), ID_MAX)?;
    period("end_date", input.start_date, input.end_date)?;
    write_transaction(conn, |conn| {
        check_person_ref(conn, "person_id", input.person_id)?;
        check_org_unit_ref(conn, input.org_unit_id)?;
        let now = db::utc_now();
        let id = repo::insert_employment(
            conn,
            &repo::NewEmployment {
                person_id: input.person_id,
                org_unit_id: input.org_unit_id,
                employment_number: &number,
                position: &position,
                start_date: input.start_date,
                end_date: input.end_date,
                cost_centre: cost_centre.as_deref(),
                is_leader: input.is_leader,
                created_at: now,
                updated_at: now,
            },
        )
        .map_err(conflict_on_unique(
            "an employment with this employment_number",
        ))?;
        get_employment(conn, id)
    })
}

pub fn update_employment(
    conn: &mut DbConnection,
    id: i64,
    input: UpdateEmployment,
) -> Result<Employment> {
    let changes = repo::EmploymentChanges {
        org_unit_id: input.org_unit_id,
        position: text("position", &input.position, NAME_MAX)?,
        start_date: input.start_date,
        end_date: input.end_date,
        cost_centre: opt_text("cost_centre", input.cost_centre.as_deref(), ID_MAX)?,
        is_leader: input.is_leader,
    };
    period("end_date", input.start_date, input.end_date)?;
    write_transaction(conn, |conn| {
        if repo::find_employment(conn, id)?.is_none() {
            return Err(Error::not_found("employment"));
        }
        check_org_unit_ref(conn, changes.org_unit_id)?;
        repo::update_employment(conn, id, &changes, db::utc_now())?;
        get_employment(conn, id)
    })
}

pub fn get_employment(conn: &mut DbConnection, id: i64) -> Result<Employment> {
    Ok(repo::find_employment(conn, id)?
        .ok_or_else(|| Error::not_found("employment"))?
        .into())
}

pub fn list_employments(
    conn: &mut DbConnection,
    person: Option<i64>,
    page: PageRequest,
) -> Result<Page<Employment>> {
    let total = repo::count_employments(conn, person)?;
    let items = repo::list_employments(conn, person, page.offset(), page.limit())?
        .into_iter()
        .map(Employment::from)
        .collect();
    Ok(Page::new(items, page, total))
}

// ================================================================ substitutes

#[derive(Debug, Clone, Serialize)]
pub struct Substitute {
    pub id: i64,
    pub org_unit_id: i64,
    pub substitute_person_id: i64,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub takes_over: bool,
}

impl From<repo::SubstituteRow> for Substitute {
    fn from(r: repo::SubstituteRow) -> Self {
        Substitute {
            id: r.id,
            org_unit_id: r.org_unit_id,
            substitute_person_id: r.substitute_person_id,
            start_date: r.start_date,
            end_date: r.end_date,
            takes_over: r.takes_over,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSubstitute {
    pub org_unit_id: i64,
    pub substitute_person_id: i64,
    pub start_date: NaiveDate,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub takes_over: bool,
}

pub fn create_substitute(conn: &mut DbConnection, input: CreateSubstitute) -> Result<Substitute> {
    period("end_date", input.start_date, input.end_date)?;
    write_transaction(conn, |conn| {
        check_org_unit_ref(conn, input.org_unit_id)?;
        check_person_ref(conn, "substitute_person_id", input.substitute_person_id)?;
        let id = repo::insert_substitute(
            conn,
            &repo::NewSubstitute {
                org_unit_id: input.org_unit_id,
                substitute_person_id: input.substitute_person_id,
                start_date: input.start_date,
                end_date: input.end_date,
                takes_over: input.takes_over,
                created_at: db::utc_now(),
            },
        )?;
        Ok(repo::find_substitute(conn, id)?
            .ok_or_else(|| Error::not_found("substitute"))?
            .into())
    })
}

pub fn delete_substitute(conn: &mut DbConnection, id: i64) -> Result<()> {
    write_transaction(conn, |conn| match repo::delete_substitute(conn, id)? {
        0 => Err(Error::not_found("substitute")),
        _ => Ok(()),
    })
}

pub fn list_substitutes(conn: &mut DbConnection, page: PageRequest) -> Result<Page<Substitute>> {
    let total = repo::count_substitutes(conn)?;
    let items = repo::list_substitutes(conn, page.offset(), page.limit())?
        .into_iter()
        .map(Substitute::from)
        .collect();
    Ok(Page::new(items, page, total))
}

// ================================================================ personal approvers

#[derive(Debug, Clone, Serialize)]
pub struct PersonalApprover {
    pub id: i64,
    pub person_id: i64,
    pub approver_person_id: i64,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

impl From<repo::PersonalApproverRow> for PersonalApprover {
    fn from(r: repo::PersonalApproverRow) -> Self {
        PersonalApprover {
            id: r.id,
            person_id: r.person_id,
            approver_person_id: r.approver_person_id,
            start_date: r.start_date,
            end_date: r.end_date,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePersonalApprover {
    pub person_id: i64,
    pub approver_person_id: i64,
    pub start_date: NaiveDate,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
}

pub fn create_personal_approver(
    conn: &mut DbConnection,
    input: CreatePersonalApprover,
) -> Result<PersonalApprover> {
    period("end_date", input.start_date, input.end_date)?;
    if input.person_id == input.approver_person_id {
        return Err(Error::validation(
            "approver_person_id",
            "a person cannot approve their own reports",
        ));
    }
    write_transaction(conn, |conn| {
        check_person_ref(conn, "person_id", input.person_id)?;
        check_person_ref(conn, "approver_person_id", input.approver_person_id)?;
        let id = repo::insert_personal_approver(
            conn,
            &repo::NewPersonalApprover {
                person_id: input.person_id,
                approver_person_id: input.approver_person_id,
                start_date: input.start_date,
                end_date: input.end_date,
                created_at: db::utc_now(),
            },
        )?;
        Ok(repo::find_personal_approver(conn, id)?
            .ok_or_else(|| Error::not_found("personal approver"))?
            .into())
    })
}

pub fn delete_personal_approver(conn: &mut DbConnection, id: i64) -> Result<()> {
    write_transaction(conn, |conn| {
        match repo::delete_personal_approver(conn, id)? {
            0 => Err(Error::not_found("personal approver")),
            _ => Ok(()),
        }
    })
}

pub fn list_personal_approvers(
    conn: &mut DbConnection,
    page: PageRequest,
) -> Result<Page<PersonalApprover>> {
    let total = repo::count_personal_approvers(conn)?;
    let items = repo::list_personal_approvers(conn, page.offset(), page.limit())?
        .into_iter()
        .map(PersonalApprover::from)
        .collect();
    Ok(Page::new(items, page, total))
}

// ================================================================ addresses

#[derive(Debug, Clone, Serialize)]
pub struct Address {
    pub id: i64,
    pub person_id: i64,
    pub kind: AddressKind,
    pub employment_id: Option<i64>,
    pub registry_address_id: String,
    pub label: String,
    pub latitude: f64,
    pub longitude: f64,
    pub valid_from: NaiveDate,
}

impl TryFrom<AddressRow> for Address {
    type Error = Error;
    fn try_from(r: AddressRow) -> Result<Self> {
        let kind = AddressKind::parse(&r.kind)
            .ok_or_else(|| anyhow::anyhow!("address {} has unknown kind {:?}", r.id, r.kind))?;
        Ok(Address {
            id: r.id,
            person_id: r.person_id,
            kind,
            employment_id: r.employment_id,
            registry_address_id: r.registry_address_id,
            label: r.label,
            latitude: r.latitude,
            longitude: r.longitude,
            valid_from: r.valid_from,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAddress {
    pub kind: AddressKind,
    #[serde(default)]
    pub employment_id: Option<i64>,
    pub registry_address_id: String,
    pub label: String,
    pub latitude: f64,
    pub longitude: f64,
    pub valid_from: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct HomeWorkOverride {
    pub id: i64,
    pub employment_id: i64,
    pub distance_m: i64,
    pub valid_from: NaiveDate,
}

/// A person's addresses and home–work distance overrides, each with its history.
#[derive(Debug, Clone, Serialize)]
pub struct Addresses {
    pub addresses: Vec<Address>,
    pub home_work_overrides: Vec<HomeWorkOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOverride {
    pub employment_id: i64,
    pub distance_m: i64,
    pub valid_from: NaiveDate,
}

/// Adds an address to a person's history. `self_service` limits the kinds to the alternative
/// ones an employee may manage themselves.
pub fn add_address(
    conn: &mut DbConnection,
    person_id: i64,
    input: CreateAddress,
    self_service: bool,
) -> Result<Address> {
    if self_service && !input.kind.self_service() {
        return Err(Error::forbidden(
            "employees manage only their alternative addresses; home and work addresses come from the administration",
        ));
    }
    let registry_id = text("registry_address_id", &input.registry_address_id, 100)?;
    let label = text("label", &input.label, NAME_MAX)?;
    check_coordinates(input.latitude, input.longitude).map_err(|(f, e)| Error::validation(f, e))?;
    if input.kind.per_employment() != input.employment_id.is_some() {
        return Err(Error::validation(
            "employment_id",
            if input.kind.per_employment() {
                "is required for work addresses"
            } else {
                "is only for work addresses"
            },
        ));
    }
    write_transaction(conn, |conn| {
        if repo::find_person(conn, person_id)?.is_none() {
            return Err(Error::not_found("person"));
        }
        if let Some(e) = input.employment_id {
            check_own_employment(conn, person_id, e)?;
        }
        let id = repo::insert_address(
            conn,
            &repo::NewAddress {
                person_id,
                employment_id: input.employment_id,
                kind: input.kind.as_str(),
                registry_address_id: &registry_id,
                label: &label,
                latitude: input.latitude,
                longitude: input.longitude,
                valid_from: input.valid_from,
                created_at: db::utc_now(),
            },
        )?;
        repo::find_address(conn, id)?
            .ok_or_else(|| Error::not_found("address"))?
            .try_into()
    })
}

fn check_own_employment(conn: &mut DbConnection, person_id: i64, employment: i64) -> Result<()> {
    match repo::find_employment(conn, employment)? {
        Some(e) if e.person_id == person_id => Ok(()),
        _ => Err(Error::validation(
            "employment_id",
            "is not an employment of this person",
        )),
    }
}

pub fn add_override(
    conn: &mut DbConnection,
    person_id: i64,
    input: CreateOverride,
) -> Result<HomeWorkOverride> {
    if !(0..=1_000_000).contains(&input.distance_m) {
        return Err(Error::validation(
            "distance_m",
            "must be between 0 and 1000000 metres",
        ));
    }
    write_transaction(conn, |conn| {
        if repo::find_person(conn, person_id)?.is_none() {
            return Err(Error::not_found("person"));
        }
        check_own_employment(conn, person_id, input.employment_id)?;
        let id = repo::insert_override(
            conn,
            &repo::NewOverride {
                person_id,
                employment_id: input.employment_id,
                distance_m: input.distance_m,
                valid_from: input.valid_from,
                created_at: db::utc_now(),
            },
        )?;
        Ok(HomeWorkOverride {
            id,
            employment_id: input.employment_id,
            distance_m: input.distance_m,
            valid_from: input.valid_from,
        })
    })
}

pub fn addresses(conn: &mut DbConnection, person_id: i64) -> Result<Addresses> {
    if repo::find_person(conn, person_id)?.is_none() {
        return Err(Error::not_found("person"));
    }
    let addresses = repo::addresses_of(conn, person_id)?
        .into_iter()
        .map(Address::try_from)
        .collect::<Result<Vec<_>>>()?;
    let home_work_overrides = repo::overrides_of(conn, person_id)?
        .into_iter()
        .map(|o| HomeWorkOverride {
            id: o.id,
            employment_id: o.employment_id,
            distance_m: o.distance_m,
            valid_from: o.valid_from,
        })
        .collect();
    Ok(Addresses {
        addresses,
        home_work_overrides,
    })
}

/// Deletes one of a person's addresses; with `self_service`, only an alternative one.
pub fn delete_address(
    conn: &mut DbConnection,
    person_id: i64,
    address_id: i64,
    self_service: bool,
) -> Result<()> {
    write_transaction(conn, |conn| {
        let address = repo::find_address(conn, address_id)?
            .filter(|a| a.person_id == person_id)
            .ok_or_else(|| Error::not_found("address"))?;
        let kind = AddressKind::parse(&address.kind);
        if self_service && !kind.is_some_and(AddressKind::self_service) {
            return Err(Error::forbidden(
                "employees delete only their alternative addresses",
            ));
        }
        repo::delete_address(conn, address_id)?;
        Ok(())
    })
}

// ================================================================ vehicles

#[derive(Debug, Clone, Serialize)]
pub struct Vehicle {
    pub id: i64,
    pub person_id: i64,
    pub plate: String,
    pub description: String,
    pub is_primary: bool,
}

impl From<repo::VehicleRow> for Vehicle {
    fn from(r: repo::VehicleRow) -> Self {
        Vehicle {
            id: r.id,
            person_id: r.person_id,
            plate: r.plate,
            description: r.description,
            is_primary: r.is_primary,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateVehicle {
    pub plate: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_primary: bool,
}

pub fn vehicles(conn: &mut DbConnection, person_id: i64) -> Result<Vec<Vehicle>> {
    Ok(repo::vehicles_of(conn, person_id)?
        .into_iter()
        .map(Vehicle::from)
        .collect())
}

/// Adds a plate. The first plate of a person is primary; a new primary demotes the old one.
pub fn add_vehicle(
    conn: &mut DbConnection,
    person_id: i64,
    input: CreateVehicle,
) -> Result<Vehicle> {
    let plate = normalize_plate(&input.plate).map_err(|e| Error::validation("plate", e))?;
    let description = opt_text("description", input.description.as_deref(), NAME_MAX)?;
    write_transaction(conn, |conn| {
        if repo::find_person(conn, person_id)?.is_none() {
            return Err(Error::not_found("person"));
        }
        let existing = repo::vehicles_of(conn, person_id)?;
        let primary = input.is_primary || existing.is_empty();
        if primary {
            repo::clear_primary_vehicle(conn, person_id)?;
        }
        let id = repo::insert_vehicle(
            conn,
            &repo::NewVehicle {
                person_id,
                plate: &plate,
                description: description.as_deref().unwrap_or(""),
                is_primary: primary,
                created_at: db::utc_now(),
            },
        )
        .map_err(conflict_on_unique("this licence plate"))?;
        Ok(repo::find_vehicle(conn, id)?
            .ok_or_else(|| Error::not_found("vehicle"))?
            .into())
    })
}

fn own_vehicle(conn: &mut DbConnection, person_id: i64, id: i64) -> Result<repo::VehicleRow> {
    repo::find_vehicle(conn, id)?
        .filter(|v| v.person_id == person_id)
        .ok_or_else(|| Error::not_found("vehicle"))
}

pub fn make_primary_vehicle(conn: &mut DbConnection, person_id: i64, id: i64) -> Result<Vehicle> {
    write_transaction(conn, |conn| {
        own_vehicle(conn, person_id, id)?;
        repo::clear_primary_vehicle(conn, person_id)?;
        repo::set_primary_vehicle(conn, id)?;
        Ok(own_vehicle(conn, person_id, id)?.into())
    })
}

/// Deletes a plate; when it was the primary one, the oldest remaining plate becomes primary.
pub fn delete_vehicle(conn: &mut DbConnection, person_id: i64, id: i64) -> Result<()> {
    write_transaction(conn, |conn| {
        let vehicle = own_vehicle(conn, person_id, id)?;
        repo::delete_vehicle(conn, id).map_err(|e| {
            if db::is_foreign_key_violation(&e) {
                Error::problem(
                    ProblemKind::Conflict,
                    "drive reports name this vehicle, so it stays on record",
                )
            } else {
                e.into()
            }
        })?;
        if vehicle.is_primary {
            if let Some(next) = repo::vehicles_of(conn, person_id)?.first() {
                repo::set_primary_vehicle(conn, next.id)?;
            }
        }
        Ok(())
    })
}

// ================================================================ rate types

#[derive(Debug, Clone, Serialize)]
pub struct RateType {
    pub id: i64,
    pub kind: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub description: String,
    pub tf_code: String,
    pub tf_code_2: Option<String>,
    pub requires_license_plate: bool,
    pub is_bicycle: bool,
    pub ore_per_km: i64,
    pub unverified: bool,
}

fn rate_description(kind: RateKind) -> &'static str {
    match kind {
        RateKind::CarHigh => "Car, high rate (with driving authorisation, first 20,000 km)",
        RateKind::CarHighAbove20k => "Car, high rate above 20,000 km in the year",
        RateKind::CarLow => "Car, low rate",
        RateKind::Bicycle => "Bicycle, moped or scooter",
    }
}

/// On an empty table, stores the rates of `domain::allowance::rates::seed_rates()`
/// (2022–2026; 2022 in two periods). Returns how many were inserted.
pub fn seed_rate_types(conn: &mut DbConnection) -> Result<usize> {
    write_transaction(conn, |conn| {
        if repo::count_rate_types(conn)? > 0 {
            return Ok(0);
        }
        let rates = seed_rates();
        for r in &rates {
            // One row per statement: no multi-row INSERT through the MultiConnection.
            repo::insert_rate_type(
                conn,
                &repo::NewRateType {
                    kind: r.kind.as_str(),
                    valid_from: r.valid_from,
                    valid_to: r.valid_to,
                    description: rate_description(r.kind),
                    tf_code: &r.tf_code,
                    tf_code_2: None,
                    requires_license_plate: r.kind != RateKind::Bicycle,
                    is_bicycle: r.kind == RateKind::Bicycle,
                    ore_per_km: r.ore_per_km,
                    unverified: r.unverified,
                },
            )?;
        }
        Ok(rates.len())
    })
}

impl From<repo::RateTypeRow> for RateType {
    fn from(r: repo::RateTypeRow) -> Self {
        RateType {
            id: r.id,
            kind: r.kind,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            description: r.description,
            tf_code: r.tf_code,
            tf_code_2: r.tf_code_2,
            requires_license_plate: r.requires_license_plate,
            is_bicycle: r.is_bicycle,
            ore_per_km: r.ore_per_km,
            unverified: r.unverified,
        }
    }
}

pub fn list_rate_types(conn: &mut DbConnection, page: PageRequest) -> Result<Page<RateType>> {
    let total = repo::count_rate_types(conn)?;
    let items = repo::list_rate_types(conn, page.offset(), page.limit())?
        .into_iter()
        .map(RateType::from)
        .collect();
    Ok(Page::new(items, page, total))
}

/// A new rate period (e.g. next year's rates), admin only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRateType {
    pub kind: RateKind,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub description: String,
    pub tf_code: String,
    #[serde(default)]
    pub tf_code_2: Option<String>,
    pub ore_per_km: i64,
    #[serde(default)]
    pub unverified: bool,
}

/// What an update may change: never the kind or the period (reports were paid by them).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateRateType {
    pub description: String,
    pub tf_code: String,
    #[serde(default)]
    pub tf_code_2: Option<String>,
    pub ore_per_km: i64,
    pub unverified: bool,
}

fn rate_changes(
    kind: RateKind,
    description: &str,
    tf_code: &str,
    tf_code_2: Option<&str>,
    ore_per_km: i64,
    unverified: bool,
) -> Result<repo::RateTypeChanges> {
    if !(0..=100_000).contains(&ore_per_km) {
        return Err(Error::validation(
            "ore_per_km",
            "must be between 0 and 100000 øre",
        ));
    }
    Ok(repo::RateTypeChanges {
        description: text("description", description, NAME_MAX)?,
        tf_code: text("tf_code", tf_code, ID_MAX)?,
        tf_code_2: opt_text("tf_code_2", tf_code_2, ID_MAX)?,
        requires_license_plate: kind != RateKind::Bicycle,
        is_bicycle: kind == RateKind::Bicycle,
        ore_per_km,
        unverified,
    })
}

/// The domain's view of a stored rate type.
pub(crate) fn rate_period(
    r: &repo::RateTypeRow,
) -> Result<crate::domain::allowance::rates::RatePeriod> {
    Ok(crate::domain::allowance::rates::RatePeriod {
        kind: r
            .kind
            .parse()
            .map_err(|e| anyhow::anyhow!("rate type {}: {e}", r.id))?,
        valid_from: r.valid_from,
        valid_to: r.valid_to,
        ore_per_km: r.ore_per_km,
        tf_code: r.tf_code.clone(),
        unverified: r.unverified,
    })
}

/// The stored table, for `domain::allowance::rates::validate_rate_table`.
fn rate_table(conn: &mut DbConnection) -> Result<Vec<crate::domain::allowance::rates::RatePeriod>> {
    repo::all_rate_types(conn)?
        .iter()
        .map(rate_period)
        .collect()
}

pub fn create_rate_type(conn: &mut DbConnection, input: CreateRateType) -> Result<RateType> {
    if input.valid_to < input.valid_from {
        return Err(Error::validation(
            "valid_to",
            "must not be before valid_from",
        ));
    }
    let changes = rate_changes(
        input.kind,
        &input.description,
        &input.tf_code,
        input.tf_code_2.as_deref(),
        input.ore_per_km,
        input.unverified,
    )?;
    write_transaction(conn, |conn| {
        let mut table = rate_table(conn)?;
        table.push(crate::domain::allowance::rates::RatePeriod {
            kind: input.kind,
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            ore_per_km: input.ore_per_km,
            tf_code: changes.tf_code.clone(),
            unverified: input.unverified,
        });
        crate::domain::allowance::rates::validate_rate_table(&table)
            .map_err(|e| Error::validation("valid_from", e))?;
        let id = repo::insert_rate_type(
            conn,
            &repo::NewRateType {
                kind: input.kind.as_str(),
                valid_from: input.valid_from,
                valid_to: input.valid_to,
                description: &changes.description,
                tf_code: &changes.tf_code,
                tf_code_2: changes.tf_code_2.as_deref(),
                requires_license_plate: changes.requires_license_plate,
                is_bicycle: changes.is_bicycle,
                ore_per_km: changes.ore_per_km,
                unverified: changes.unverified,
            },
        )
        .map_err(conflict_on_unique("a rate of this kind from this date"))?;
        Ok(repo::find_rate_type(conn, id)?
            .ok_or_else(|| Error::not_found("rate type"))?
            .into())
    })
}

pub fn update_rate_type(
    conn: &mut DbConnection,
    id: i64,
    input: UpdateRateType,
) -> Result<RateType> {
    write_transaction(conn, |conn| {
        let row = repo::find_rate_type(conn, id)?.ok_or_else(|| Error::not_found("rate type"))?;
        let kind: RateKind = row
            .kind
            .parse()
            .map_err(|e| anyhow::anyhow!("rate type {id}: {e}"))?;
        let changes = rate_changes(
            kind,
            &input.description,
            &input.tf_code,
            input.tf_code_2.as_deref(),
            input.ore_per_km,
            input.unverified,
        )?;
        repo::update_rate_type(conn, id, &changes)?;
        Ok(repo::find_rate_type(conn, id)?
            .ok_or_else(|| Error::not_found("rate type"))?
            .into())
    })
}

// ================================================================ approvers

/// The organisation as `domain::approvers` sees it.
pub fn snapshot(conn: &mut DbConnection) -> Result<OrgSnapshot> {
    let id = |v: i64| v as u64;
    Ok(OrgSnapshot {
        org_units: repo::all_org_units(conn)?
            .into_iter()
            .map(|u| approvers::OrgUnit {
                id: id(u.id),
                parent_id: u.parent_id.map(id),
            })
            .collect(),
        employments: repo::all_employments(conn)?
            .into_iter()
            .map(|e| approvers::Employment {
                id: id(e.id),
                person_id: id(e.person_id),
                org_unit_id: id(e.org_unit_id),
                from: e.start_date,
                to: e.end_date,
                is_leader: e.is_leader,
            })
            .collect(),
        substitutes: repo::all_substitutes(conn)?
            .into_iter()
            .map(|s| approvers::Substitute {
                scope: approvers::SubstituteScope::OrgUnit(id(s.org_unit_id)),
                substitute_id: id(s.substitute_person_id),
                from: s.start_date,
                to: s.end_date,
                takes_over: s.takes_over,
            })
            .collect(),
        personal_approvers: repo::all_personal_approvers(conn)?
            .into_iter()
            .map(|p| approvers::PersonalApprover {
                person_id: id(p.person_id),
                approver_id: id(p.approver_person_id),
                from: p.start_date,
                to: p.end_date,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ApproverEntry {
    pub person_id: i64,
    pub name: String,
    pub role: ApproverRole,
}

/// Who approves reports of one employment on one date.
#[derive(Debug, Clone, Serialize)]
pub struct EmploymentApprovers {
    pub employment_id: i64,
    pub employment_number: String,
    pub org_unit_id: i64,
    pub date: NaiveDate,
    pub approvers: Vec<ApproverEntry>,
    pub line_leaders: Vec<i64>,
}

fn resolve(
    conn: &mut DbConnection,
    org: &OrgSnapshot,
    employment: &EmploymentRow,
    date: NaiveDate,
) -> Result<EmploymentApprovers> {
    let found =
        approvers::approvers_for(org, employment.person_id as u64, employment.id as u64, date)
            .map_err(|e| Error::validation("date", e))?;
    let ids: Vec<i64> = found.approvers.iter().map(|a| a.person_id as i64).collect();
    let names: HashMap<i64, String> = repo::persons_by_ids(conn, &ids)?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok(EmploymentApprovers {
        employment_id: employment.id,
        employment_number: employment.employment_number.clone(),
        org_unit_id: employment.org_unit_id,
        date,
        approvers: found
            .approvers
            .iter()
            .map(|a| ApproverEntry {
                person_id: a.person_id as i64,
                name: names
                    .get(&(a.person_id as i64))
                    .cloned()
                    .unwrap_or_default(),
                role: a.role,
            })
            .collect(),
        line_leaders: found.line_leaders.iter().map(|&p| p as i64).collect(),
    })
}

/// Approvers of one person's employment on a date (an administrator asking).
pub fn approvers_of(
    conn: &mut DbConnection,
    person_id: i64,
    employment_id: i64,
    date: NaiveDate,
) -> Result<EmploymentApprovers> {
    let employment = repo::find_employment(conn, employment_id)?
        .filter(|e| e.person_id == person_id)
        .ok_or_else(|| Error::not_found("employment of this person"))?;
    if !in_period(employment.start_date, employment.end_date, date) {
        return Err(Error::validation(
            "date",
            format!("the employment is not valid on {date}"),
        ));
    }
    let org = snapshot(conn)?;
    resolve(conn, &org, &employment, date)
}

/// Approvers of every employment of a person valid on `date`.
pub fn approvers_of_person(
    conn: &mut DbConnection,
    person_id: i64,
    date: NaiveDate,
) -> Result<Vec<EmploymentApprovers>> {
    let org = snapshot(conn)?;
    let employments: Vec<EmploymentRow> = repo::all_employments(conn)?
        .into_iter()
        .filter(|e| e.person_id == person_id && in_period(e.start_date, e.end_date, date))
        .collect();
    employments
        .iter()
        .map(|e| resolve(conn, &org, e, date))
        .collect()
}

/// The persons whose reports `approver` may approve on `date` (any of their valid employments).
pub fn approvees(
    conn: &mut DbConnection,
    approver: i64,
    date: NaiveDate,
) -> Result<Vec<PersonSummary>> {
    let org = snapshot(conn)?;
    let mut ids: Vec<i64> = org
        .employments
        .iter()
        .filter(|e| e.valid_on(date))
        .filter(|e| {
            approvers::approvers_for(&org, e.person_id, e.id, date)
                .is_ok_and(|a| a.contains(approver as u64))
        })
        .map(|e| e.person_id as i64)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(repo::persons_by_ids(conn, &ids)?
        .iter()
        .map(PersonSummary::from)
        .collect())
}

/// Whether `approver` may approve any report of `person` on `date`.
pub fn approves(
    conn: &mut DbConnection,
    approver: i64,
    person: i64,
    date: NaiveDate,
) -> Result<bool> {
    Ok(approvees(conn, approver, date)?
        .iter()
        .any(|p| p.id == person))
}

/// Today, as a Danish calendar date.
pub fn today() -> NaiveDate {
    crate::domain::org::copenhagen_date(Utc::now())
}

/// The person linked to a user account, if any.
pub fn person_of_user_id(conn: &mut DbConnection, user_id: i64) -> Result<Option<PersonRow>> {
    let Some(user) = db::users::find(conn, user_id)? else {
        return Ok(None);
    };
    Ok(repo::find_person_by_username(conn, &user.username)?)
}

/// What a caller may see of another person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everything, CPR included: an administrator or the person themselves.
    Full,
    /// Name and ids: an approver of the person today.
    Approver,
    None,
}

/// How much of `person` the user `user_id` (an administrator when `admin`) may see today.
pub fn access_to_person(
    conn: &mut DbConnection,
    user_id: i64,
    admin: bool,
    person: i64,
) -> Result<Access> {
    if admin {
        return Ok(Access::Full);
    }
    let Some(me) = person_of_user_id(conn, user_id)? else {
        return Ok(Access::None);
    };
    if me.id == person {
        return Ok(Access::Full);
    }
    if approves(conn, me.id, person, today())? {
        return Ok(Access::Approver);
    }
    Ok(Access::None)
}

/// A user's own person record, or 404 when none is linked.
pub fn my_person(conn: &mut DbConnection, user_id: i64) -> Result<PersonRow> {
    person_of_user_id(conn, user_id)?.ok_or_else(|| {
        Error::problem(
            ProblemKind::NotFound,
            "no person is linked to your user account",
        )
    })
}

pub fn my_employments(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Employment>> {
    let me = my_person(conn, user_id)?;
    Ok(repo::all_employments(conn)?
        .into_iter()
        .filter(|e| e.person_id == me.id)
        .map(Employment::from)
        .collect())
}

/// Where an address valid on a date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressSource {
    /// The person's own address history.
    Personal,
    /// No personal work address: the org unit's address.
    OrgUnit,
}

#[derive(Debug, Clone, Serialize)]
pub struct EffectiveAddress {
    #[serde(flatten)]
    pub location: Location,
    /// From the person's history; `None` for an org unit's address.
    pub valid_from: Option<NaiveDate>,
    pub source: AddressSource,
}

#[derive(Debug, Clone, Serialize)]
pub struct EffectiveWorkplace {
    pub employment_id: i64,
    pub org_unit_id: i64,
    pub work: Option<EffectiveAddress>,
    pub alternative_work: Option<EffectiveAddress>,
    pub home_work_distance_override_m: Option<i64>,
}

/// The addresses valid on one date: what a report driven that day uses.
#[derive(Debug, Clone, Serialize)]
pub struct EffectiveAddresses {
    pub date: NaiveDate,
    pub home: Option<EffectiveAddress>,
    pub alternative_home: Option<EffectiveAddress>,
    /// One per employment valid on the date.
    pub employments: Vec<EffectiveWorkplace>,
}

/// For each kind (and employment), the address with the latest `valid_from` on or before
/// `date`; a work address defaults to the employment's org unit address.
pub fn addresses_on(
    conn: &mut DbConnection,
    person_id: i64,
    date: NaiveDate,
) -> Result<EffectiveAddresses> {
    use crate::domain::org::valid_on;
    if repo::find_person(conn, person_id)?.is_none() {
        return Err(Error::not_found("person"));
    }
    let history = repo::addresses_of(conn, person_id)?;
    let overrides = repo::overrides_of(conn, person_id)?;
    let pick = |kind: AddressKind, employment: Option<i64>| {
        valid_on(
            history
                .iter()
                .filter(|a| a.kind == kind.as_str() && a.employment_id == employment),
            |a| a.valid_from,
            date,
        )
        .map(|a| EffectiveAddress {
            location: Location {
                registry_address_id: a.registry_address_id.clone(),
                label: a.label.clone(),
                latitude: a.latitude,
                longitude: a.longitude,
            },
            valid_from: Some(a.valid_from),
            source: AddressSource::Personal,
        })
    };
    let mut employments = Vec::new();
    for e in repo::all_employments(conn)?
        .into_iter()
        .filter(|e| e.person_id == person_id && in_period(e.start_date, e.end_date, date))
    {
        let work = match pick(AddressKind::Work, Some(e.id)) {
            Some(w) => Some(w),
            None => repo::find_org_unit(conn, e.org_unit_id)?
                .as_ref()
                .and_then(Location::of_unit)
                .map(|location| EffectiveAddress {
                    location,
                    valid_from: None,
                    source: AddressSource::OrgUnit,
                }),
        };
        employments.push(EffectiveWorkplace {
            employment_id: e.id,
            org_unit_id: e.org_unit_id,
            work,
            alternative_work: pick(AddressKind::AlternativeWork, Some(e.id)),
            home_work_distance_override_m: valid_on(
                overrides.iter().filter(|o| o.employment_id == e.id),
                |o| o.valid_from,
                date,
            )
            .map(|o| o.distance_m),
        });
    }
    Ok(EffectiveAddresses {
        date,
        home: pick(AddressKind::Home, None),
        alternative_home: pick(AddressKind::AlternativeHome, None),
        employments,
    })
}
