//! The optional person columns of the staff import: the home address written as text and
//! washed against the local address registry, the e-mail address and the licence plates.
//!
//! * `home_address`: an A or B match of the registry's washing is taken; a C match is refused
//!   with its candidates, and so is text that matches nothing. The address is stored as the
//!   person's home from `home_address_from` (default: the start date of the person's first row);
//!   re-importing with another address on the same date replaces it, another date adds to the
//!   history. An empty cell leaves the stored addresses alone.
//! * `licence_plates`: one or more plates separated by `|`; the first is the primary one. Plates
//!   the file does not name stay (reports may name them).

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

use crate::address::wash::WashCategory;
use crate::address::AddressIndex;
use crate::db::org as repo;
use crate::db::DbConnection;
use crate::domain::ids::PersonId;
use crate::domain::org::{normalize_plate, AddressKind};
use crate::error::Result;
use crate::services::addresses::load_index;
use crate::services::import::Outcome;

/// Separates several plates in the `licence_plates` cell.
pub const PLATE_SEPARATOR: char = '|';
/// Most candidates a refused address lists.
const MAX_CANDIDATES: usize = 5;

/// Where washing finds the registry: the server's loaded index, or the database (the command
/// line), read only when a row has a home address.
pub enum AddressSource {
    Loaded(Arc<AddressIndex>),
    Database,
}

/// Washes home addresses, loading the registry on first use.
pub struct Washer {
    source: AddressSource,
}

/// Why a home address was refused: the detail and the registry's candidates.
pub struct Refusal {
    pub detail: String,
    pub candidates: Vec<String>,
}

/// A washed home address.
#[derive(Debug, Clone, PartialEq)]
pub struct HomeAddress {
    pub registry_address_id: String,
    pub label: String,
    pub latitude: f64,
    pub longitude: f64,
}

impl Washer {
    pub fn new(source: AddressSource) -> Washer {
        Washer { source }
    }

    fn index(&mut self, conn: &mut DbConnection) -> Result<Arc<AddressIndex>> {
        let index = match &self.source {
            AddressSource::Loaded(index) => index.clone(),
            AddressSource::Database => Arc::new(load_index(conn)?.index),
        };
        self.source = AddressSource::Loaded(index.clone());
        Ok(index)
    }

    /// The registry address `text` names (category A or B), or why not.
    pub fn wash(
        &mut self,
        conn: &mut DbConnection,
        text: &str,
    ) -> Result<std::result::Result<HomeAddress, Refusal>> {
        let index = self.index(conn)?;
        if index.is_empty() {
            return Ok(Err(Refusal {
                detail: "the address registry is empty: import it first \
                         (korsel addresses import FILE, or POST /api/v1/addresses/import)"
                    .into(),
                candidates: Vec::new(),
            }));
        }
        let Some(washed) = index.wash(text) else {
            return Ok(Err(Refusal {
                detail: format!("no address in the registry resembles {text:?}"),
                candidates: Vec::new(),
            }));
        };
        if washed.category == WashCategory::C {
            let candidates: Vec<String> = std::iter::once(washed.address)
                .chain(washed.alternatives.iter().copied())
                .take(MAX_CANDIDATES)
                .map(|a| a.betegnelse())
                .collect();
            return Ok(Err(Refusal {
                detail: format!(
                    "{text:?} is not a clear match in the address registry (category C); \
                     write it as one of: {}",
                    candidates.join(" / ")
                ),
                candidates,
            }));
        }
        let address = washed.address;
        if !address.has_coordinates() {
            return Ok(Err(Refusal {
                detail: format!(
                    "{} has no coordinates in the address registry",
                    address.betegnelse()
                ),
                candidates: Vec::new(),
            }));
        }
        Ok(Ok(HomeAddress {
            registry_address_id: address.id.to_string(),
            label: address.betegnelse(),
            latitude: address.lat,
            longitude: address.lon,
        }))
    }
}

/// The plates of a `licence_plates` cell, normalised, first the primary one.
pub fn parse_plates(cell: &str) -> std::result::Result<Vec<String>, String> {
    let mut plates: Vec<String> = Vec::new();
    for part in cell.split(PLATE_SEPARATOR).map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let plate = normalize_plate(part).map_err(|e| format!("{part:?}: {e}"))?;
        if plates.contains(&plate) {
            return Err(format!("{plate} appears twice"));
        }
        plates.push(plate);
    }
    Ok(plates)
}

/// Makes `home` the person's home address from `valid_from`.
pub(crate) fn store_home(
    conn: &mut DbConnection,
    person_id: PersonId,
    home: &HomeAddress,
    valid_from: NaiveDate,
    now: NaiveDateTime,
) -> Result<Outcome> {
    let kind = AddressKind::Home.as_str();
    let same_day = repo::addresses_of(conn, person_id)?
        .into_iter()
        .find(|a| a.kind == kind && a.valid_from == valid_from);
    let outcome = match same_day {
        Some(a) if a.registry_address_id == home.registry_address_id && a.label == home.label => {
            return Ok(Outcome::Unchanged)
        }
        Some(a) => {
            repo::delete_address(conn, a.id)?;
            Outcome::Updated
        }
        None => Outcome::Created,
    };
    repo::insert_address(
        conn,
        &repo::NewAddress {
            person_id,
            employment_id: None,
            kind,
            registry_address_id: &home.registry_address_id,
            label: &home.label,
            latitude: home.latitude,
            longitude: home.longitude,
            valid_from,
            created_at: now,
        },
    )?;
    Ok(outcome)
}

/// Adds the plates the person does not have and makes the first one primary. One outcome per
/// plate: a plate that becomes primary counts as updated.
pub(crate) fn store_plates(
    conn: &mut DbConnection,
    person_id: PersonId,
    plates: &[String],
    now: NaiveDateTime,
) -> Result<Vec<Outcome>> {
    let existing = repo::vehicles_of(conn, person_id)?;
    let mut outcomes = Vec::with_capacity(plates.len());
    for (i, plate) in plates.iter().enumerate() {
        let wants_primary = i == 0;
        let outcome = match existing.iter().find(|v| &v.plate == plate) {
            Some(v) if v.is_primary || !wants_primary => Outcome::Unchanged,
            Some(v) => {
                repo::clear_primary_vehicle(conn, person_id)?;
                repo::set_primary_vehicle(conn, v.id)?;
                Outcome::Updated
            }
            None => {
                if wants_primary {
                    repo::clear_primary_vehicle(conn, person_id)?;
                }
                repo::insert_vehicle(
                    conn,
                    &repo::NewVehicle {
                        person_id,
                        plate,
                        description: "",
                        is_primary: wants_primary,
                        created_at: now,
                    },
                )?;
                Outcome::Created
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_are_split_normalised_and_unique() {
        assert_eq!(
            parse_plates("ab 12 345 | CD67890").unwrap(),
            vec!["AB12345".to_string(), "CD67890".to_string()]
        );
        assert_eq!(parse_plates(" ").unwrap(), Vec::<String>::new());
        assert!(parse_plates("AB12345|ab 12345").is_err());
        assert!(parse_plates("AB12345|!").is_err());
    }
}
