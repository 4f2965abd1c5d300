//! Persons: the administration's create, read, update and list, and the home-to-border distance.

use super::*;
use crate::domain::ids::PersonId;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::org::{self as repo, PersonRow};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::org::{parse_email, Cpr};
use crate::domain::page::{Page, PageRequest};
use crate::domain::users::{normalize_username, validate_username};
use crate::error::{Error, Result};

/// A person as lists show them: never the CPR number.
#[derive(Debug, Clone, Serialize)]
pub struct PersonSummary {
    pub id: PersonId,
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

/// The fields an update names; one it leaves out keeps its value, and `null` clears an optional
/// one (so an update of the name alone does not unlink the person's login).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "named")]
    pub username: Option<Option<String>>,
    #[serde(default, deserialize_with = "named")]
    pub cpr: Option<Option<String>>,
    #[serde(default, deserialize_with = "named")]
    pub email: Option<Option<String>>,
}

/// A field that is present: `Some(value)`, where the value itself may be `null`.
fn named<'de, D, T>(deserializer: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
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
    let name = parse_name(&input.name)?;
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
    id: PersonId,
    input: UpdatePerson,
) -> Result<PersonDetail> {
    let name = input.name.map(|n| parse_name(&n)).transpose()?;
    let username = input
        .username
        .map(|u| person_username(u.as_deref()))
        .transpose()?;
    let cpr = input.cpr.map(|c| person_cpr(c.as_deref())).transpose()?;
    let email = input
        .email
        .map(|e| person_email(e.as_deref()))
        .transpose()?;
    write_transaction(conn, |conn| {
        let current = repo::find_person(conn, id)?.ok_or_else(|| Error::not_found("person"))?;
        let changes = repo::PersonChanges {
            name: name.unwrap_or(current.name),
            username: username.unwrap_or(current.username),
            cpr: cpr.unwrap_or(current.cpr),
            email: email.unwrap_or(current.email),
        };
        repo::update_person(conn, id, &changes, db::utc_now())
            .map_err(conflict_on_unique("a person with this username"))?;
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
    id: PersonId,
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

pub fn get_person(conn: &mut DbConnection, id: PersonId) -> Result<PersonDetail> {
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

/// Links the user `username` to the person with `external_id` (the person's `username`), moving
/// the link from any other person, in one transaction. With `external_id` `None`, unlinks.
pub fn link_user(
    conn: &mut DbConnection,
    username: &str,
    external_id: Option<&str>,
) -> Result<Option<PersonSummary>> {
    let username = normalize_username(username);
    write_transaction(conn, |conn| {
        let target = match external_id.map(str::trim) {
            None | Some("") => None,
            Some(ext) => Some(repo::find_person_by_external_id(conn, ext)?.ok_or_else(|| {
                Error::validation("external_id", "no person has this external id")
            })?),
        };
        let now = db::utc_now();
        if let Some(linked) = repo::find_person_by_username(conn, &username)? {
            if target.as_ref().is_some_and(|t| t.id == linked.id) {
                return Ok(Some(PersonSummary::from(&linked)));
            }
            let changes = repo::PersonChanges {
                username: None,
                name: linked.name.clone(),
                cpr: linked.cpr.clone(),
                email: linked.email.clone(),
            };
            repo::update_person(conn, linked.id, &changes, now)?;
        }
        let Some(person) = target else {
            return Ok(None);
        };
        let changes = repo::PersonChanges {
            username: Some(username.clone()),
            name: person.name.clone(),
            cpr: person.cpr.clone(),
            email: person.email.clone(),
        };
        repo::update_person(conn, person.id, &changes, now)?;
        Ok(Some(PersonSummary {
            username: Some(username.clone()),
            ..PersonSummary::from(&person)
        }))
    })
}
