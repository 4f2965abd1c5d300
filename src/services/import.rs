//! CSV import of the organisation (`org import`) and of staff (`staff import`): idempotent
//! upserts keyed by external ids, in one transaction. A bad row aborts the whole import and the
//! error names the row (the line in the file; the header is row 1) and the column.
//!
//! The file is the truth for the records it names: their fields are set to what the file says
//! (an empty cell clears an optional field). Records the file does not name are left alone.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::db::org::{self as repo, EmploymentChanges, PersonChanges};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::org::{check_coordinates, check_period, parse_email, Cpr};
use crate::domain::users::{normalize_username, validate_username};
use crate::error::{Error, Result};
use crate::services::csv_table::{csv_error, csv_problem, read_table, rows, Row};
use crate::services::org::{current_unit_changes, unit_changes, Location};
use crate::services::staff_extras::{self, parse_plates, AddressSource, HomeAddress, Washer};

/// Called with (done, total) as rows are processed.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Counts {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgImportSummary {
    pub rows: u64,
    pub org_units: Counts,
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffImportSummary {
    pub rows: u64,
    pub persons: Counts,
    pub employments: Counts,
    pub substitutes: Counts,
    pub personal_approvers: Counts,
    pub home_addresses: Counts,
    pub vehicles: Counts,
}

pub const ORG_COLUMNS: &[(&str, bool)] = &[
    ("external_id", true),
    ("name", true),
    ("parent_external_id", false),
    ("four_km_rule_allowed", false),
    ("distance_to_border_m", false),
    ("address_registry_id", false),
    ("address_label", false),
    ("address_latitude", false),
    ("address_longitude", false),
];

pub const STAFF_COLUMNS: &[(&str, bool)] = &[
    ("external_id", true),
    ("name", true),
    ("username", false),
    ("cpr", false),
    ("employment_number", true),
    ("org_unit_external_id", true),
    ("position", true),
    ("start_date", true),
    ("end_date", false),
    ("cost_centre", false),
    ("is_leader", false),
    ("approver_external_id", false),
    ("approver_from", false),
    ("approver_to", false),
    ("substitute_for_org_unit", false),
    ("substitute_from", false),
    ("substitute_to", false),
    ("substitute_takes_over", false),
    ("email", false),
    ("home_address", false),
    ("home_address_from", false),
    ("licence_plates", false),
];

// ================================================================ org units

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

struct OrgLine {
    line: u64,
    external_id: String,
    name: String,
    parent: Option<String>,
    four_km: bool,
    border: Option<i64>,
    address: Option<Location>,
}

/// `org import`: upserts org units by `external_id`; parents by `parent_external_id` (in the
/// file or already stored), in any order.
pub fn import_org_units(
    conn: &mut DbConnection,
    data: &[u8],
    progress: Progress<'_>,
) -> Result<OrgImportSummary> {
    let table = read_table(data, ORG_COLUMNS)?;
    let mut lines = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in rows(&table) {
        let external_id = row.text("external_id", 64)?;
        if let Some(first) = seen.insert(external_id.clone(), row.line) {
            return Err(row.err("external_id", format!("repeats row {first}")));
        }
        lines.push(OrgLine {
            line: row.line,
            name: row.text("name", 200)?,
            parent: row.opt_text("parent_external_id", 64)?,
            four_km: row.flag("four_km_rule_allowed")?,
            border: row.metres("distance_to_border_m")?,
            address: unit_address(&row)?,
            external_id,
        });
    }
    let total = lines.len() as u64 * 2;
    write_transaction(conn, |conn| {
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
        for (i, l) in lines.iter().enumerate() {
            let current = repo::find_org_unit_by_external_id(conn, &l.external_id)?
                .ok_or_else(|| anyhow::anyhow!("org unit {} vanished", l.external_id))?;
            let parent_id = match &l.parent {
                None => None,
                Some(p) => Some(
                    repo::find_org_unit_by_external_id(conn, p)?
                        .ok_or_else(|| {
                            csv_error(
                                Some(l.line),
                                Some("parent_external_id"),
                                format!("no org unit has external id {p:?}"),
                            )
                        })?
                        .id,
                ),
            };
            let changes = unit_changes(
                l.name.clone(),
                parent_id,
                l.four_km,
                l.border,
                l.address.clone(),
            );
            let same = current_unit_changes(&current) == changes;
            if !same {
                repo::update_org_unit(conn, current.id, &changes, now)?;
            }
            counts.count(if created.contains_key(&l.external_id) {
                Outcome::Created
            } else if same {
                Outcome::Unchanged
            } else {
                Outcome::Updated
            });
            progress(lines.len() as u64 + i as u64 + 1, total);
        }
        // The tree must stay a tree.
        let units = repo::all_org_units(conn)?;
        let parents: HashMap<i64, Option<i64>> =
            units.iter().map(|u| (u.id, u.parent_id)).collect();
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
    })
}

// ================================================================ staff

#[derive(Clone, PartialEq)]
struct PersonFields {
    name: String,
    username: Option<String>,
    cpr: Option<String>,
    email: Option<String>,
}

/// What a row says about the person beyond the person's own columns.
#[derive(Clone, PartialEq)]
struct PersonExtras {
    home: Option<HomeAddress>,
    home_from: Option<NaiveDate>,
    plates: Vec<String>,
}

impl PersonFields {
    /// The first column in which two rows of one person disagree.
    fn differing_column(&self, extras: &PersonExtras, other: &StaffLine) -> Option<&'static str> {
        let o = &other.person;
        [
            ("name", self.name != o.name),
            ("username", self.username != o.username),
            ("cpr", self.cpr != o.cpr),
            ("email", self.email != o.email),
            ("home_address", extras.home != other.extras.home),
            (
                "home_address_from",
                extras.home_from != other.extras.home_from,
            ),
            ("licence_plates", extras.plates != other.extras.plates),
        ]
        .into_iter()
        .find(|(_, differs)| *differs)
        .map(|(column, _)| column)
    }
}

struct StaffLine {
    line: u64,
    external_id: String,
    person: PersonFields,
    extras: PersonExtras,
    employment_number: String,
    org_unit: String,
    position: String,
    start: NaiveDate,
    end: Option<NaiveDate>,
    cost_centre: Option<String>,
    is_leader: bool,
    approver: Option<(String, NaiveDate, Option<NaiveDate>)>,
    substitute: Option<(String, NaiveDate, Option<NaiveDate>, bool)>,
}

fn staff_line(row: &Row<'_>, conn: &mut DbConnection, washer: &mut Washer) -> Result<StaffLine> {
    let username = match row.get("username").map(normalize_username) {
        None => None,
        Some(u) => {
            validate_username(&u).map_err(|e| row.err("username", e))?;
            Some(u)
        }
    };
    let cpr = row
        .get("cpr")
        .map(|v| {
            Cpr::parse(v)
                .map(|c| c.expose().to_string())
                .map_err(|e| row.err("cpr", e))
        })
        .transpose()?;
    let email = row
        .get("email")
        .map(|v| parse_email(v).map_err(|e| row.err("email", e)))
        .transpose()?;
    let home = match row.get("home_address") {
        None => None,
        Some(text) => Some(washer.wash(conn, text)?.map_err(|refusal| {
            Error::Problem(
                csv_problem(Some(row.line), Some("home_address"), refusal.detail)
                    .with("candidates", refusal.candidates),
            )
        })?),
    };
    let plates = match row.get("licence_plates") {
        None => Vec::new(),
        Some(cell) => parse_plates(cell).map_err(|e| row.err("licence_plates", e))?,
    };
    let start = row
        .date("start_date")?
        .ok_or_else(|| row.err("start_date", "is required"))?;
    let end = row.date("end_date")?;
    check_period(start, end).map_err(|e| row.err("end_date", e))?;
    let approver = match row.opt_text("approver_external_id", 64)? {
        None => None,
        Some(a) => {
            let from = row.date("approver_from")?.unwrap_or(start);
            let to = row.date("approver_to")?;
            check_period(from, to).map_err(|e| row.err("approver_to", e))?;
            Some((a, from, to))
        }
    };
    let substitute = match row.opt_text("substitute_for_org_unit", 64)? {
        None => None,
        Some(u) => {
            let from = row.date("substitute_from")?.unwrap_or(start);
            let to = row.date("substitute_to")?;
            check_period(from, to).map_err(|e| row.err("substitute_to", e))?;
            Some((u, from, to, row.flag("substitute_takes_over")?))
        }
    };
    Ok(StaffLine {
        line: row.line,
        external_id: row.text("external_id", 64)?,
        person: PersonFields {
            name: row.text("name", 200)?,
            username,
            cpr,
            email,
        },
        extras: PersonExtras {
            home,
            home_from: row.date("home_address_from")?,
            plates,
        },
        employment_number: row.text("employment_number", 64)?,
        org_unit: row.text("org_unit_external_id", 64)?,
        position: row.text("position", 200)?,
        start,
        end,
        cost_centre: row.opt_text("cost_centre", 64)?,
        is_leader: row.flag("is_leader")?,
        approver,
        substitute,
    })
}

/// `staff import`: one row per employment. Upserts persons by `external_id` (a person with
/// several employments has several rows, which must agree), employments by
/// `employment_number`, personal approvers by (person, approver, from) and substitutes by
/// (org unit, substitute, from).
pub fn import_staff(
    conn: &mut DbConnection,
    data: &[u8],
    addresses: AddressSource,
    progress: Progress<'_>,
) -> Result<StaffImportSummary> {
    let table = read_table(data, STAFF_COLUMNS)?;
    let mut washer = Washer::new(addresses);
    let mut lines = Vec::new();
    let mut persons: HashMap<String, (u64, PersonFields, PersonExtras)> = HashMap::new();
    let mut numbers: HashMap<String, u64> = HashMap::new();
    for row in rows(&table) {
        let l = staff_line(&row, conn, &mut washer)?;
        if let Some((first, fields, extras)) = persons.get(&l.external_id) {
            if let Some(column) = fields.differing_column(extras, &l) {
                return Err(row.err(
                    column,
                    format!("differs from row {first} for the same person"),
                ));
            }
        } else {
            persons.insert(
                l.external_id.clone(),
                (l.line, l.person.clone(), l.extras.clone()),
            );
        }
        if let Some(first) = numbers.insert(l.employment_number.clone(), l.line) {
            return Err(row.err("employment_number", format!("repeats row {first}")));
        }
        lines.push(l);
    }
    let total = lines.len() as u64 * 2;
    write_transaction(conn, |conn| {
        let now = db::utc_now();
        let mut summary = StaffImportSummary {
            rows: lines.len() as u64,
            persons: Counts::default(),
            employments: Counts::default(),
            substitutes: Counts::default(),
            personal_approvers: Counts::default(),
            home_addresses: Counts::default(),
            vehicles: Counts::default(),
        };
        let mut person_ids: HashMap<String, i64> = HashMap::new();
        // Pass 1: persons and employments.
        for (i, l) in lines.iter().enumerate() {
            if !person_ids.contains_key(&l.external_id) {
                let (id, outcome) = upsert_person(conn, l, now)?;
                person_ids.insert(l.external_id.clone(), id);
                summary.persons.count(outcome);
                if let Some(home) = &l.extras.home {
                    let from = l.extras.home_from.unwrap_or(l.start);
                    summary
                        .home_addresses
                        .count(staff_extras::store_home(conn, id, home, from, now)?);
                }
                for outcome in staff_extras::store_plates(conn, id, &l.extras.plates, now)? {
                    summary.vehicles.count(outcome);
                }
            }
            let person_id = person_ids[&l.external_id];
            let org_unit_id = repo::find_org_unit_by_external_id(conn, &l.org_unit)?
                .ok_or_else(|| {
                    csv_error(
                        Some(l.line),
                        Some("org_unit_external_id"),
                        format!("no org unit has external id {:?}", l.org_unit),
                    )
                })?
                .id;
            let changes = EmploymentChanges {
                org_unit_id,
                position: l.position.clone(),
                start_date: l.start,
                end_date: l.end,
                cost_centre: l.cost_centre.clone(),
                is_leader: l.is_leader,
            };
            let outcome = match repo::find_employment_by_number(conn, &l.employment_number)? {
                Some(e) if e.person_id != person_id => {
                    return Err(csv_error(
                        Some(l.line),
                        Some("employment_number"),
                        "belongs to another person".into(),
                    ))
                }
                Some(e) => {
                    let current = EmploymentChanges {
                        org_unit_id: e.org_unit_id,
                        position: e.position,
                        start_date: e.start_date,
                        end_date: e.end_date,
                        cost_centre: e.cost_centre,
                        is_leader: e.is_leader,
                    };
                    if current == changes {
                        Outcome::Unchanged
                    } else {
                        repo::update_employment(conn, e.id, &changes, now)?;
                        Outcome::Updated
                    }
                }
                None => {
                    repo::insert_employment(
                        conn,
                        &repo::NewEmployment {
                            person_id,
                            org_unit_id,
                            employment_number: &l.employment_number,
                            position: &l.position,
                            start_date: l.start,
                            end_date: l.end,
                            cost_centre: l.cost_centre.as_deref(),
                            is_leader: l.is_leader,
                            created_at: now,
                            updated_at: now,
                        },
                    )?;
                    Outcome::Created
                }
            };
            summary.employments.count(outcome);
            progress(i as u64 + 1, total);
        }
        // Pass 2: approvers and substitutes, which may name people of later rows.
        let approvers = repo::all_personal_approvers(conn)?;
        let substitutes = repo::all_substitutes(conn)?;
        for (i, l) in lines.iter().enumerate() {
            let person_id = person_ids[&l.external_id];
            if let Some((approver, from, to)) = &l.approver {
                let approver_id = match person_ids.get(approver) {
                    Some(id) => *id,
                    None => {
                        repo::find_person_by_external_id(conn, approver)?
                            .ok_or_else(|| {
                                csv_error(
                                    Some(l.line),
                                    Some("approver_external_id"),
                                    format!("no person has external id {approver:?}"),
                                )
                            })?
                            .id
                    }
                };
                if approver_id == person_id {
                    return Err(csv_error(
                        Some(l.line),
                        Some("approver_external_id"),
                        "a person cannot approve their own reports".into(),
                    ));
                }
                let existing = approvers.iter().find(|a| {
                    a.person_id == person_id
                        && a.approver_person_id == approver_id
                        && a.start_date == *from
                });
                let outcome = match existing {
                    Some(a) if a.end_date == *to => Outcome::Unchanged,
                    Some(a) => {
                        repo::set_personal_approver_end(conn, a.id, *to)?;
                        Outcome::Updated
                    }
                    None => {
                        repo::insert_personal_approver(
                            conn,
                            &repo::NewPersonalApprover {
                                person_id,
                                approver_person_id: approver_id,
                                start_date: *from,
                                end_date: *to,
                                created_at: now,
                            },
                        )?;
                        Outcome::Created
                    }
                };
                summary.personal_approvers.count(outcome);
            }
            if let Some((unit, from, to, takes_over)) = &l.substitute {
                let unit_id = repo::find_org_unit_by_external_id(conn, unit)?
                    .ok_or_else(|| {
                        csv_error(
                            Some(l.line),
                            Some("substitute_for_org_unit"),
                            format!("no org unit has external id {unit:?}"),
                        )
                    })?
                    .id;
                let existing = substitutes.iter().find(|s| {
                    s.org_unit_id == unit_id
                        && s.substitute_person_id == person_id
                        && s.start_date == *from
                });
                let outcome = match existing {
                    Some(s) if s.end_date == *to && s.takes_over == *takes_over => {
                        Outcome::Unchanged
                    }
                    Some(s) => {
                        repo::set_substitute_terms(conn, s.id, *to, *takes_over)?;
                        Outcome::Updated
                    }
                    None => {
                        repo::insert_substitute(
                            conn,
                            &repo::NewSubstitute {
                                org_unit_id: unit_id,
                                substitute_person_id: person_id,
                                start_date: *from,
                                end_date: *to,
                                takes_over: *takes_over,
                                created_at: now,
                            },
                        )?;
                        Outcome::Created
                    }
                };
                summary.substitutes.count(outcome);
            }
            progress(lines.len() as u64 + i as u64 + 1, total);
        }
        Ok(summary)
    })
}

fn upsert_person(
    conn: &mut DbConnection,
    l: &StaffLine,
    now: chrono::NaiveDateTime,
) -> Result<(i64, Outcome)> {
    let unique = |e: diesel::result::Error| {
        if db::is_unique_violation(&e) {
            csv_error(
                Some(l.line),
                Some("username"),
                "is already linked to another person".into(),
            )
        } else {
            e.into()
        }
    };
    match repo::find_person_by_external_id(conn, &l.external_id)? {
        Some(p) => {
            let current = PersonFields {
                name: p.name.clone(),
                username: p.username.clone(),
                cpr: p.cpr.clone(),
                email: p.email.clone(),
            };
            if current == l.person {
                return Ok((p.id, Outcome::Unchanged));
            }
            repo::update_person(
                conn,
                p.id,
                &PersonChanges {
                    name: l.person.name.clone(),
                    username: l.person.username.clone(),
                    cpr: l.person.cpr.clone(),
                    email: l.person.email.clone(),
                },
                now,
            )
            .map_err(unique)?;
            Ok((p.id, Outcome::Updated))
        }
        None => {
            let id = repo::insert_person(
                conn,
                &repo::NewPerson {
                    external_id: &l.external_id,
                    name: &l.person.name,
                    username: l.person.username.as_deref(),
                    cpr: l.person.cpr.as_deref(),
                    email: l.person.email.as_deref(),
                    created_at: now,
                    updated_at: now,
                },
            )
            .map_err(unique)?;
            Ok((id, Outcome::Created))
        }
    }
}
