//! Org units: the administration's create, read, update and list.

use super::*;
use crate::domain::ids::OrgUnitId;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::org::{self as repo, OrgUnitRow};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::org::would_cycle;
use crate::domain::page::{Page, PageRequest};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub external_id: String,
    pub name: String,
    pub parent_id: Option<OrgUnitId>,
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
    pub parent_id: Option<OrgUnitId>,
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
    pub parent_id: Option<OrgUnitId>,
    pub four_km_rule_allowed: bool,
    #[serde(default)]
    pub distance_to_border_m: Option<i64>,
    #[serde(default)]
    pub address: Option<Location>,
}

/// The parent must exist and must not be the unit itself or one of its descendants.
fn check_parent(
    conn: &mut DbConnection,
    unit: Option<OrgUnitId>,
    parent: Option<OrgUnitId>,
) -> Result<()> {
    let Some(parent) = parent else { return Ok(()) };
    if repo::find_org_unit(conn, parent)?.is_none() {
        return Err(Error::validation("parent_id", "no such org unit"));
    }
    if let Some(unit) = unit {
        let parents: HashMap<OrgUnitId, Option<OrgUnitId>> = repo::all_org_units(conn)?
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
    let name = parse_name(&input.name)?;
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

pub fn update_org_unit(
    conn: &mut DbConnection,
    id: OrgUnitId,
    input: UpdateOrgUnit,
) -> Result<OrgUnit> {
    let changes = unit_changes(
        parse_name(&input.name)?,
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

pub fn get_org_unit(conn: &mut DbConnection, id: OrgUnitId) -> Result<OrgUnit> {
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
