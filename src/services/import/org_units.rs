//! `org import`: org units by `external_id`; parents by `parent_external_id` (in the file or
//! already stored), in any order.

use std::collections::HashMap;

use crate::db::org::{self as repo, OrgUnitChanges};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::org::check_coordinates;
use crate::error::Result;
use crate::services::csv_table::{csv_error, read_table, rows, Row};
use crate::services::org::{current_unit_changes, unit_changes, Location};

use super::changes::{field, FieldChange, FileChanges, LineChange, Refusals, RowKind};
use super::{Counts, OrgImportSummary, Outcome, Progress, ORG_COLUMNS};

/// The four address columns: all or none.
fn unit_address(row: &Row<'_>) -> Result<Option<Location>> {
    let cols = [
        "address_registry_id",
        "address_label",
        "address_latitude",
        "address_longitude",
    ];
    if cols.iter().all(|c| row.get(c).is_none()) {
        return Ok(None);
    }
    let coordinate = |column: &str| -> Result<f64> {
        row.get(column)
            .and_then(|v| v.replace(',', ".").parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| row.err(column, "must be a decimal number of degrees"))
    };
    let location = Location {
        registry_address_id: row.text("address_registry_id", 100)?,
        label: row.text("address_label", 200)?,
        latitude: coordinate("address_latitude")?,
        longitude: coordinate("address_longitude")?,
    };
    check_coordinates(location.latitude, location.longitude)
        .map_err(|(f, e)| row.err(&format!("address_{f}"), e))?;
    Ok(Some(location))
}

pub(super) struct OrgLine {
    line: u64,
    external_id: String,
    name: String,
    parent: Option<String>,
    four_km: bool,
    border: Option<i64>,
    address: Option<Location>,
}

fn org_line(row: &Row<'_>, seen: &mut HashMap<String, u64>) -> Result<OrgLine> {
    let external_id = row.text("external_id", 64)?;
    if let Some(first) = seen.get(&external_id) {
        return Err(row.err("external_id", format!("repeats row {first}")));
    }
    let line = OrgLine {
        line: row.line,
        name: row.name()?,
        parent: row.opt_text("parent_external_id", 64)?,
        four_km: row.flag("four_km_rule_allowed")?,
        border: row.metres("distance_to_border_m")?,
        address: unit_address(row)?,
        external_id,
    };
    seen.insert(line.external_id.clone(), line.line);
    Ok(line)
}

/// The rows of the file, each checked on its own; every bad row is named.
pub(super) fn parse(data: &[u8]) -> Result<Vec<OrgLine>> {
    let table = read_table(data, ORG_COLUMNS)?;
    let mut refused = Refusals::default();
    let mut lines = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in rows(&table) {
        if let Some(l) = refused.keep(org_line(&row, &mut seen))? {
            lines.push(l);
        }
    }
    refused.finish()?;
    Ok(lines)
}

/// `org import`: parses the file and imports it in one transaction.
pub fn import_org_units(
    conn: &mut DbConnection,
    data: &[u8],
    progress: Progress<'_>,
) -> Result<OrgImportSummary> {
    let lines = parse(data)?;
    write_transaction(conn, |conn| {
        apply(conn, &lines, progress, &mut FileChanges::default())
    })
}

/// The columns in which a stored unit differs from what the row says.
fn unit_fields(
    conn: &mut DbConnection,
    before: &OrgUnitChanges,
    after: &OrgUnitChanges,
    l: &OrgLine,
) -> Result<Vec<FieldChange>> {
    let mut fields: Vec<FieldChange> = [
        field("name", &Some(&before.name), &Some(&after.name)),
        field(
            "four_km_rule_allowed",
            &Some(before.four_km_rule_allowed),
            &Some(after.four_km_rule_allowed),
        ),
        field(
            "distance_to_border_m",
            &before.distance_to_border_m,
            &after.distance_to_border_m,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if before.parent_id != after.parent_id {
        let parent = match before.parent_id {
            Some(id) => repo::find_org_unit(conn, id)?.map(|u| u.external_id),
            None => None,
        };
        fields.extend(field("parent_external_id", &parent, &l.parent));
    }
    let place = |c: &OrgUnitChanges| {
        (
            c.address_registry_id.clone(),
            c.address_latitude.map(f64::to_bits),
            c.address_longitude.map(f64::to_bits),
        )
    };
    if place(before) != place(after) || before.address_label != after.address_label {
        fields.push(FieldChange {
            column: "address_label",
            before: before.address_label.clone().unwrap_or_default(),
            after: after.address_label.clone().unwrap_or_default(),
        });
    }
    Ok(fields)
}

/// Imports the rows inside the caller's transaction.
pub(super) fn apply(
    conn: &mut DbConnection,
    lines: &[OrgLine],
    progress: Progress<'_>,
    changes: &mut FileChanges,
) -> Result<OrgImportSummary> {
    let total = lines.len() as u64 * 2;
    let mut counts = Counts::default();
    let mut created = HashMap::new();
    let now = db::utc_now();
    // Pass 1: every unit exists, so parents can be named in any order.
    for (i, l) in lines.iter().enumerate() {
        if repo::find_org_unit_by_external_id(conn, &l.external_id)?.is_none() {
            let id = repo::insert_org_unit(
                conn,
                &repo::NewOrgUnit {
                    external_id: &l.external_id,
                    name: &l.name,
                    parent_id: None,
                    four_km_rule_allowed: l.four_km,
                    distance_to_border_m: l.border,
                    address_registry_id: None,
                    address_label: None,
                    address_latitude: None,
                    address_longitude: None,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            created.insert(l.external_id.clone(), id);
        }
        progress(i as u64 + 1, total);
    }
    // Pass 2: fields and parents.
    let mut refused = Refusals::default();
    for (i, l) in lines.iter().enumerate() {
        let current = repo::find_org_unit_by_external_id(conn, &l.external_id)?
            .ok_or_else(|| anyhow::anyhow!("org unit {} vanished", l.external_id))?;
        let parent_id = match &l.parent {
            None => None,
            Some(p) => {
                let found = repo::find_org_unit_by_external_id(conn, p)?.ok_or_else(|| {
                    csv_error(
                        Some(l.line),
                        Some("parent_external_id"),
                        format!("no org unit has external id {p:?}"),
                    )
                });
                match refused.keep(found)? {
                    Some(unit) => Some(unit.id),
                    None => continue,
                }
            }
        };
        let after = unit_changes(
            l.name.clone(),
            parent_id,
            l.four_km,
            l.border,
            l.address.clone(),
        );
        let before = current_unit_changes(&current);
        let same = before == after;
        let is_new = created.contains_key(&l.external_id);
        let mut change = LineChange::unchanged();
        if is_new {
            change.kind = RowKind::New;
        } else if !same {
            change.add(unit_fields(conn, &before, &after, l)?);
        }
        if !same {
            repo::update_org_unit(conn, current.id, &after, now)?;
        }
        changes.record(l.line, &l.external_id, &l.name, change);
        counts.count(if is_new {
            Outcome::Created
        } else if same {
            Outcome::Unchanged
        } else {
            Outcome::Updated
        });
        progress(lines.len() as u64 + i as u64 + 1, total);
    }
    refused.finish()?;
    // The tree must stay a tree.
    let units = repo::all_org_units(conn)?;
    let parents: HashMap<_, _> = units.iter().map(|u| (u.id, u.parent_id)).collect();
    for u in &units {
        if let Some(parent) = u.parent_id {
            if crate::domain::org::would_cycle(&parents, u.id, parent) {
                let line = lines.iter().find(|l| l.external_id == u.external_id);
                return Err(csv_error(
                    line.map(|l| l.line),
                    Some("parent_external_id"),
                    format!("org unit {:?} would be its own ancestor", u.external_id),
                ));
            }
        }
    }
    Ok(OrgImportSummary {
        rows: lines.len() as u64,
        org_units: counts,
    })
}
