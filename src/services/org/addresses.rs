//! A person's address history, home-work distance overrides and the addresses valid on a date.

use super::*;
use crate::domain::ids::{AddressId, EmploymentId, OrgUnitId, PersonId};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::org::{self as repo, AddressRow};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::org::{check_coordinates, in_period, AddressKind};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Address {
    pub id: AddressId,
    pub person_id: PersonId,
    pub kind: AddressKind,
    pub employment_id: Option<EmploymentId>,
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
    pub employment_id: Option<EmploymentId>,
    pub registry_address_id: String,
    pub label: String,
    pub latitude: f64,
    pub longitude: f64,
    pub valid_from: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct HomeWorkOverride {
    pub id: i64,
    pub employment_id: EmploymentId,
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
    pub employment_id: EmploymentId,
    pub distance_m: i64,
    pub valid_from: NaiveDate,
}

/// Adds an address to a person's history. `self_service` limits the kinds to the alternative
/// ones an employee may manage themselves.
pub fn add_address(
    conn: &mut DbConnection,
    person_id: PersonId,
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

fn check_own_employment(
    conn: &mut DbConnection,
    person_id: PersonId,
    employment: EmploymentId,
) -> Result<()> {
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
    person_id: PersonId,
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

pub fn addresses(conn: &mut DbConnection, person_id: PersonId) -> Result<Addresses> {
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
    person_id: PersonId,
    address_id: AddressId,
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
    pub employment_id: EmploymentId,
    pub org_unit_id: OrgUnitId,
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
    person_id: PersonId,
    date: NaiveDate,
) -> Result<EffectiveAddresses> {
    use crate::domain::org::valid_on;
    if repo::find_person(conn, person_id)?.is_none() {
        return Err(Error::not_found("person"));
    }
    let history = repo::addresses_of(conn, person_id)?;
    let overrides = repo::overrides_of(conn, person_id)?;
    let pick = |kind: AddressKind, employment: Option<EmploymentId>| {
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
