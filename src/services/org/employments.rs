//! Employments: the administration's create, read, update and list.

use super::*;
use crate::domain::ids::{EmploymentId, OrgUnitId, PersonId};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::org::{self as repo, EmploymentRow};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::page::{Page, PageRequest};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Employment {
    pub id: EmploymentId,
    pub person_id: PersonId,
    pub org_unit_id: OrgUnitId,
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
    pub person_id: PersonId,
    pub org_unit_id: OrgUnitId,
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
    pub org_unit_id: OrgUnitId,
    pub position: String,
    pub start_date: NaiveDate,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub cost_centre: Option<String>,
    pub is_leader: bool,
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
    id: EmploymentId,
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

pub fn get_employment(conn: &mut DbConnection, id: EmploymentId) -> Result<Employment> {
    Ok(repo::find_employment(conn, id)?
        .ok_or_else(|| Error::not_found("employment"))?
        .into())
}

pub fn list_employments(
    conn: &mut DbConnection,
    person: Option<PersonId>,
    page: PageRequest,
) -> Result<Page<Employment>> {
    let total = repo::count_employments(conn, person)?;
    let items = repo::list_employments(conn, person, page.offset(), page.limit())?
        .into_iter()
        .map(Employment::from)
        .collect();
    Ok(Page::new(items, page, total))
}
