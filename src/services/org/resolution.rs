//! Approver resolution (who approves whom on a date) and who may see a person.

use super::*;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::db::org::{self as repo, EmploymentRow, PersonRow};
use crate::db::org_generation::{self, OrgGeneration};
use crate::db::{self, DbConnection};
use crate::domain::approvers::{self, ApproverRole, OrgSnapshot};
use crate::domain::ids::{EmploymentId, OrgUnitId, PersonId, UserId};
use crate::domain::org::in_period;
use crate::error::{Error, ProblemKind, Result};

/// The snapshots of the organisations this process has read, by database, with the generation
/// each was read at. A handful of databases at most (one in production, one per test).
static SNAPSHOTS: Mutex<Vec<(OrgGeneration, Arc<OrgSnapshot>)>> = Mutex::new(Vec::new());
const CACHED_DATABASES: usize = 16;

/// The organisation as `domain::approvers` sees it. Loaded from the four tables only when it
/// changed since this process last read it (every write to them replaces the generation), so
/// that deciding on many reports (a bulk approval) reads one row per decision, not the whole
/// organisation.
pub fn snapshot(conn: &mut DbConnection) -> Result<Arc<OrgSnapshot>> {
    // The generation first: a snapshot read after it is at least that current.
    let generation = org_generation::current(conn)?;
    let cached = lock_snapshots()
        .iter()
        .find(|(g, _)| *g == generation)
        .map(|(_, s)| Arc::clone(s));
    if let Some(snapshot) = cached {
        return Ok(snapshot);
    }
    let snapshot = Arc::new(load_snapshot(conn)?);
    let mut snapshots = lock_snapshots();
    snapshots.retain(|(g, _)| g.instance != generation.instance);
    if snapshots.len() >= CACHED_DATABASES {
        snapshots.remove(0);
    }
    snapshots.push((generation, Arc::clone(&snapshot)));
    Ok(snapshot)
}

/// The cache holds plain data, so a panic elsewhere cannot leave it half-written.
fn lock_snapshots() -> std::sync::MutexGuard<'static, Vec<(OrgGeneration, Arc<OrgSnapshot>)>> {
    SNAPSHOTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn load_snapshot(conn: &mut DbConnection) -> Result<OrgSnapshot> {
    Ok(OrgSnapshot {
        org_units: repo::all_org_units(conn)?
            .into_iter()
            .map(|u| approvers::OrgUnit {
                id: u.id,
                parent_id: u.parent_id,
            })
            .collect(),
        employments: repo::all_employments(conn)?
            .into_iter()
            .map(|e| approvers::Employment {
                id: e.id,
                person_id: e.person_id,
                org_unit_id: e.org_unit_id,
                from: e.start_date,
                to: e.end_date,
                is_leader: e.is_leader,
            })
            .collect(),
        substitutes: repo::all_substitutes(conn)?
            .into_iter()
            .map(|s| approvers::Substitute {
                scope: approvers::SubstituteScope::OrgUnit(s.org_unit_id),
                substitute_id: s.substitute_person_id,
                from: s.start_date,
                to: s.end_date,
                takes_over: s.takes_over,
            })
            .collect(),
        personal_approvers: repo::all_personal_approvers(conn)?
            .into_iter()
            .map(|p| approvers::PersonalApprover {
                person_id: p.person_id,
                approver_id: p.approver_person_id,
                from: p.start_date,
                to: p.end_date,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ApproverEntry {
    pub person_id: PersonId,
    pub name: String,
    pub role: ApproverRole,
}

/// Who approves reports of one employment on one date.
#[derive(Debug, Clone, Serialize)]
pub struct EmploymentApprovers {
    pub employment_id: EmploymentId,
    pub employment_number: String,
    pub org_unit_id: OrgUnitId,
    pub date: NaiveDate,
    pub approvers: Vec<ApproverEntry>,
    pub line_leaders: Vec<PersonId>,
}

fn resolve(
    conn: &mut DbConnection,
    org: &OrgSnapshot,
    employment: &EmploymentRow,
    date: NaiveDate,
) -> Result<EmploymentApprovers> {
    let found = approvers::approvers_for(org, employment.person_id, employment.id, date)
        .map_err(|e| Error::validation("date", e))?;
    let ids: Vec<PersonId> = found.approvers.iter().map(|a| a.person_id).collect();
    let names: HashMap<PersonId, String> = repo::persons_by_ids(conn, &ids)?
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
                person_id: a.person_id,
                name: names.get(&a.person_id).cloned().unwrap_or_default(),
                role: a.role,
            })
            .collect(),
        line_leaders: found.line_leaders.clone(),
    })
}

/// Approvers of one person's employment on a date (an administrator asking).
pub fn approvers_of(
    conn: &mut DbConnection,
    person_id: PersonId,
    employment_id: EmploymentId,
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
    person_id: PersonId,
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
    approver: PersonId,
    date: NaiveDate,
) -> Result<Vec<PersonSummary>> {
    let org = snapshot(conn)?;
    let mut ids: Vec<PersonId> = org
        .employments
        .iter()
        .filter(|e| e.valid_on(date))
        .filter(|e| {
            approvers::approvers_for(&org, e.person_id, e.id, date)
                .is_ok_and(|a| a.contains(approver))
        })
        .map(|e| e.person_id)
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
    approver: PersonId,
    person: PersonId,
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
pub fn person_of_user_id(conn: &mut DbConnection, user_id: UserId) -> Result<Option<PersonRow>> {
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
    user_id: UserId,
    admin: bool,
    person: PersonId,
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
pub fn my_person(conn: &mut DbConnection, user_id: UserId) -> Result<PersonRow> {
    person_of_user_id(conn, user_id)?.ok_or_else(|| {
        Error::problem(
            ProblemKind::NotFound,
            "no person is linked to your user account",
        )
    })
}

pub fn my_employments(conn: &mut DbConnection, user_id: UserId) -> Result<Vec<Employment>> {
    let me = my_person(conn, user_id)?;
    Ok(repo::all_employments(conn)?
        .into_iter()
        .filter(|e| e.person_id == me.id)
        .map(Employment::from)
        .collect())
}
