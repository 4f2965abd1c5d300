//! Substitutes of an org unit's leader and personal approvers of a person.

use super::*;
use crate::domain::ids::{OrgUnitId, PersonId, PersonalApproverId, SubstituteId};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::org::{self as repo};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::page::{Page, PageRequest};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Substitute {
    pub id: SubstituteId,
    pub org_unit_id: OrgUnitId,
    pub substitute_person_id: PersonId,
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
    pub org_unit_id: OrgUnitId,
    pub substitute_person_id: PersonId,
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

pub fn delete_substitute(conn: &mut DbConnection, id: SubstituteId) -> Result<()> {
    write_transaction(conn, |conn| match repo::delete_substitute(conn, id)? {
        0 => Err(Error::not_found("substitute")),
        _ => Ok(()),
    })
}

pub fn get_substitute(conn: &mut DbConnection, id: SubstituteId) -> Result<Substitute> {
    Ok(repo::find_substitute(conn, id)?
        .ok_or_else(|| Error::not_found("substitute"))?
        .into())
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
    pub id: PersonalApproverId,
    pub person_id: PersonId,
    pub approver_person_id: PersonId,
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
    pub person_id: PersonId,
    pub approver_person_id: PersonId,
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

pub fn delete_personal_approver(conn: &mut DbConnection, id: PersonalApproverId) -> Result<()> {
    write_transaction(conn, |conn| {
        match repo::delete_personal_approver(conn, id)? {
            0 => Err(Error::not_found("personal approver")),
            _ => Ok(()),
        }
    })
}

pub fn get_personal_approver(
    conn: &mut DbConnection,
    id: PersonalApproverId,
) -> Result<PersonalApprover> {
    Ok(repo::find_personal_approver(conn, id)?
        .ok_or_else(|| Error::not_found("personal approver"))?
        .into())
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
