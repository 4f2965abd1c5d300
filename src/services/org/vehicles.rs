//! A person's vehicles (licence plates), one of them primary.

use super::*;
use crate::domain::ids::{PersonId, VehicleId};

use serde::{Deserialize, Serialize};

use crate::db::org::{self as repo};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::org::normalize_plate;
use crate::error::{Error, ProblemKind, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Vehicle {
    pub id: VehicleId,
    pub person_id: PersonId,
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

pub fn vehicles(conn: &mut DbConnection, person_id: PersonId) -> Result<Vec<Vehicle>> {
    Ok(repo::vehicles_of(conn, person_id)?
        .into_iter()
        .map(Vehicle::from)
        .collect())
}

/// Adds a plate. The first plate of a person is primary; a new primary demotes the old one.
pub fn add_vehicle(
    conn: &mut DbConnection,
    person_id: PersonId,
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

fn own_vehicle(
    conn: &mut DbConnection,
    person_id: PersonId,
    id: VehicleId,
) -> Result<repo::VehicleRow> {
    repo::find_vehicle(conn, id)?
        .filter(|v| v.person_id == person_id)
        .ok_or_else(|| Error::not_found("vehicle"))
}

pub fn make_primary_vehicle(
    conn: &mut DbConnection,
    person_id: PersonId,
    id: VehicleId,
) -> Result<Vehicle> {
    write_transaction(conn, |conn| {
        own_vehicle(conn, person_id, id)?;
        repo::clear_primary_vehicle(conn, person_id)?;
        repo::set_primary_vehicle(conn, id)?;
        Ok(own_vehicle(conn, person_id, id)?.into())
    })
}

/// Deletes a plate; when it was the primary one, the oldest remaining plate becomes primary.
pub fn delete_vehicle(conn: &mut DbConnection, person_id: PersonId, id: VehicleId) -> Result<()> {
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
