//! Organisation and people: administration, self-service and approver resolution.
//! Every writing use case runs in one transaction (`write_transaction`).

mod addresses;
mod delegation;
mod employments;
mod overview;
mod persons;
mod rate_types;
mod resolution;
mod units;
mod vehicles;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::db::org::{self as repo, OrgUnitRow};
use crate::db::{is_unique_violation, DbConnection};
use crate::domain::ids::{OrgUnitId, PersonId};
use crate::domain::org::{check_coordinates, check_period, optional_text, required_text, Name};
use crate::error::{Error, ProblemKind, Result};

pub use addresses::*;
pub use delegation::*;
pub use employments::*;
pub use overview::*;
pub use persons::*;
pub use rate_types::*;
pub use resolution::*;
pub use units::*;
pub use vehicles::*;

const NAME_MAX: usize = 200;
const ID_MAX: usize = 64;

pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<String> {
    required_text(value, max).map_err(|e| Error::validation(field, e))
}

pub(crate) fn opt_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    optional_text(value, max).map_err(|e| Error::validation(field, e))
}

/// A person's or an org unit's name, by the one rule for names ([`Name`]).
fn parse_name(value: &str) -> Result<String> {
    Name::parse(value)
        .map(Name::into_string)
        .map_err(|e| Error::validation("name", e))
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
    parent_id: Option<OrgUnitId>,
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

fn check_org_unit_ref(conn: &mut DbConnection, id: OrgUnitId) -> Result<()> {
    repo::find_org_unit(conn, id)?
        .map(|_| ())
        .ok_or_else(|| Error::validation("org_unit_id", "no such org unit"))
}

fn check_person_ref(conn: &mut DbConnection, field: &str, id: PersonId) -> Result<()> {
    repo::find_person(conn, id)?
        .map(|_| ())
        .ok_or_else(|| Error::validation(field, "no such person"))
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
