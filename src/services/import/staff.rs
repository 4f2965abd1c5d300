//! `staff import`: one row per employment. Upserts persons by `external_id` (a person with
//! several employments has several rows, which must agree), employments by
//! `employment_number`, personal approvers by (person, approver, from) and substitutes by
//! (org unit, substitute, from).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::db::org::{self as repo, EmploymentChanges, PersonChanges};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::org::{check_period, parse_email, Cpr};
use crate::domain::users::{normalize_username, validate_username};
use crate::error::{Error, Result};
use crate::services::csv_table::{csv_error, csv_problem, read_table, rows, Row};
use crate::services::staff_extras::{self, parse_plates, AddressSource, HomeAddress, Washer};

use super::changes::{field, FieldChange, FileChanges, LineChange, Refusals, RowKind};
use super::{Counts, Outcome, Progress, StaffImportSummary, STAFF_COLUMNS};

#[derive(Clone, PartialEq)]
struct PersonFields {
    name: String,
    username: Option<String>,
    cpr: Option<String>,
    email: Option<String>,
}

impl PersonFields {
    /// The columns in which `self` (stored) differs from `after`; a CPR number is not shown.
    fn changes(&self, after: &PersonFields) -> Vec<FieldChange> {
        let hidden = |cpr: &Option<String>| cpr.as_ref().map(|_| "******".to_string());
        let mut fields: Vec<FieldChange> = [
            field("name", &Some(&self.name), &Some(&after.name)),
            field("username", &self.username, &after.username),
            field("email", &self.email, &after.email),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.cpr != after.cpr {
            fields.push(FieldChange {
                column: "cpr",
                before: hidden(&self.cpr).unwrap_or_default(),
                after: hidden(&after.cpr).unwrap_or_default(),
            });
        }
        fields
    }
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

pub(super) struct StaffLine {
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
            name: row.name()?,
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

/// The rows of the file, each checked on its own (home addresses washed against the
/// registry); every bad row is named.
pub(super) fn parse(
    conn: &mut DbConnection,
    data: &[u8],
    addresses: AddressSource,
) -> Result<Vec<StaffLine>> {
    let table = read_table(data, STAFF_COLUMNS)?;
    let mut washer = Washer::new(addresses);
    let mut refused = Refusals::default();
    let mut lines = Vec::new();
    let mut persons: HashMap<String, (u64, PersonFields, PersonExtras)> = HashMap::new();
    let mut numbers: HashMap<String, u64> = HashMap::new();
    for row in rows(&table) {
        let Some(l) = refused.keep(staff_line(&row, conn, &mut washer))? else {
            continue;
        };
        let agrees = match persons.get(&l.external_id) {
            Some((first, fields, extras)) => match fields.differing_column(extras, &l) {
                Some(column) => Err(row.err(
                    column,
                    format!("differs from row {first} for the same person"),
                )),
                None => Ok(()),
            },
            None => {
                persons.insert(
                    l.external_id.clone(),
                    (l.line, l.person.clone(), l.extras.clone()),
                );
                Ok(())
            }
        };
        if refused.keep(agrees)?.is_none() {
            continue;
        }
        if let Some(first) = numbers.get(&l.employment_number) {
            let repeat = row.err("employment_number", format!("repeats row {first}"));
            refused.keep::<()>(Err(repeat))?;
            continue;
        }
        numbers.insert(l.employment_number.clone(), l.line);
        lines.push(l);
    }
    refused.finish()?;
    Ok(lines)
}

/// `staff import`: parses the file and imports it in one transaction.
pub fn import_staff(
    conn: &mut DbConnection,
    data: &[u8],
    addresses: AddressSource,
    progress: Progress<'_>,
) -> Result<StaffImportSummary> {
    let lines = parse(conn, data, addresses)?;
    write_transaction(conn, |conn| {
        apply(conn, &lines, progress, &mut FileChanges::default())
    })
}

/// The employment a row names: created, or updated to what the row says (and what changed).
fn store_employment(
    conn: &mut DbConnection,
    l: &StaffLine,
    person_id: i64,
    org_unit_id: i64,
    now: chrono::NaiveDateTime,
    change: &mut LineChange,
) -> Result<Outcome> {
    let changes = EmploymentChanges {
        org_unit_id,
        position: l.position.clone(),
        start_date: l.start,
        end_date: l.end,
        cost_centre: l.cost_centre.clone(),
        is_leader: l.is_leader,
    };
    match repo::find_employment_by_number(conn, &l.employment_number)? {
        Some(e) if e.person_id != person_id => Err(csv_error(
            Some(l.line),
            Some("employment_number"),
            "belongs to another person".into(),
        )),
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
                return Ok(Outcome::Unchanged);
            }
            if current.org_unit_id != org_unit_id {
                let before = repo::find_org_unit(conn, current.org_unit_id)?.map(|u| u.external_id);
                change.add(field(
                    "org_unit_external_id",
                    &before,
                    &Some(l.org_unit.clone()),
                ));
            }
            change.add(
                [
                    field("position", &Some(&current.position), &Some(&l.position)),
                    field("start_date", &Some(current.start_date), &Some(l.start)),
                    field("end_date", &current.end_date, &l.end),
                    field("cost_centre", &current.cost_centre, &l.cost_centre),
                    field("is_leader", &Some(current.is_leader), &Some(l.is_leader)),
                ]
                .into_iter()
                .flatten(),
            );
            let ends = match (current.end_date, l.end) {
                (None, Some(_)) => true,
                (Some(before), Some(after)) => after < before,
                _ => false,
            };
            if ends {
                change.kind = RowKind::Ended;
            }
            repo::update_employment(conn, e.id, &changes, now)?;
            Ok(Outcome::Updated)
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
            change.kind = RowKind::New;
            Ok(Outcome::Created)
        }
    }
}

/// The person of a row (the first row of each person): fields, home address and vehicles.
fn store_person(
    conn: &mut DbConnection,
    l: &StaffLine,
    summary: &mut StaffImportSummary,
    now: chrono::NaiveDateTime,
    change: &mut LineChange,
) -> Result<i64> {
    let (id, outcome) = upsert_person(conn, l, now, change)?;
    summary.persons.count(outcome);
    if let Some(home) = &l.extras.home {
        let from = l.extras.home_from.unwrap_or(l.start);
        let outcome = staff_extras::store_home(conn, id, home, from, now)?;
        if outcome != Outcome::Unchanged {
            change.add(field("home_address", &None, &Some(&home.label)));
        }
        summary.home_addresses.count(outcome);
    }
    let mut plates_changed = false;
    for outcome in staff_extras::store_plates(conn, id, &l.extras.plates, now)? {
        plates_changed |= outcome != Outcome::Unchanged;
        summary.vehicles.count(outcome);
    }
    if plates_changed {
        change.add(field(
            "licence_plates",
            &None,
            &Some(l.extras.plates.join(" ")),
        ));
    }
    Ok(id)
}

/// Imports the rows inside the caller's transaction.
pub(super) fn apply(
    conn: &mut DbConnection,
    lines: &[StaffLine],
    progress: Progress<'_>,
    file_changes: &mut FileChanges,
) -> Result<StaffImportSummary> {
    let total = lines.len() as u64 * 2;
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
    let mut refused = Refusals::default();
    let mut changes = vec![LineChange::unchanged(); lines.len()];
    let mut person_ids: HashMap<String, i64> = HashMap::new();
    // Pass 1: persons and employments.
    for (i, l) in lines.iter().enumerate() {
        let change = &mut changes[i];
        let person_id = match person_ids.get(&l.external_id) {
            Some(id) => *id,
            None => {
                let id = store_person(conn, l, &mut summary, now, change)?;
                person_ids.insert(l.external_id.clone(), id);
                id
            }
        };
        let unit = repo::find_org_unit_by_external_id(conn, &l.org_unit)?.ok_or_else(|| {
            csv_error(
                Some(l.line),
                Some("org_unit_external_id"),
                format!("no org unit has external id {:?}", l.org_unit),
            )
        });
        let Some(unit) = refused.keep(unit)? else {
            continue;
        };
        let stored = store_employment(conn, l, person_id, unit.id, now, change);
        if let Some(outcome) = refused.keep(stored)? {
            summary.employments.count(outcome);
        }
        progress(i as u64 + 1, total);
    }
    // Pass 2: approvers and substitutes, which may name people of later rows.
    let approvers = repo::all_personal_approvers(conn)?;
    let substitutes = repo::all_substitutes(conn)?;
    for (i, l) in lines.iter().enumerate() {
        let person_id = person_ids[&l.external_id];
        if let Some(approver) = &l.approver {
            let stored = store_approver(conn, l, person_id, approver, &person_ids, &approvers, now);
            if let Some((outcome, fields)) = refused.keep(stored)? {
                changes[i].add(fields);
                summary.personal_approvers.count(outcome);
            }
        }
        if let Some(substitute) = &l.substitute {
            let stored = store_substitute(conn, l, person_id, substitute, &substitutes, now);
            if let Some((outcome, fields)) = refused.keep(stored)? {
                changes[i].add(fields);
                summary.substitutes.count(outcome);
            }
        }
        progress(lines.len() as u64 + i as u64 + 1, total);
    }
    refused.finish()?;
    for (l, change) in lines.iter().zip(changes) {
        file_changes.record(l.line, &l.employment_number, &l.person.name, change);
    }
    Ok(summary)
}

fn store_approver(
    conn: &mut DbConnection,
    l: &StaffLine,
    person_id: i64,
    (approver, from, to): &(String, NaiveDate, Option<NaiveDate>),
    person_ids: &HashMap<String, i64>,
    approvers: &[repo::PersonalApproverRow],
    now: chrono::NaiveDateTime,
) -> Result<(Outcome, Vec<FieldChange>)> {
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
        a.person_id == person_id && a.approver_person_id == approver_id && a.start_date == *from
    });
    Ok(match existing {
        Some(a) if a.end_date == *to => (Outcome::Unchanged, Vec::new()),
        Some(a) => {
            repo::set_personal_approver_end(conn, a.id, *to)?;
            let fields = field("approver_to", &a.end_date, to);
            (Outcome::Updated, fields.into_iter().collect())
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
            let fields = field("approver_external_id", &None, &Some(approver));
            (Outcome::Created, fields.into_iter().collect())
        }
    })
}

fn store_substitute(
    conn: &mut DbConnection,
    l: &StaffLine,
    person_id: i64,
    (unit, from, to, takes_over): &(String, NaiveDate, Option<NaiveDate>, bool),
    substitutes: &[repo::SubstituteRow],
    now: chrono::NaiveDateTime,
) -> Result<(Outcome, Vec<FieldChange>)> {
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
        s.org_unit_id == unit_id && s.substitute_person_id == person_id && s.start_date == *from
    });
    Ok(match existing {
        Some(s) if s.end_date == *to && s.takes_over == *takes_over => {
            (Outcome::Unchanged, Vec::new())
        }
        Some(s) => {
            repo::set_substitute_terms(conn, s.id, *to, *takes_over)?;
            let fields = [
                field("substitute_to", &s.end_date, to),
                field(
                    "substitute_takes_over",
                    &Some(s.takes_over),
                    &Some(*takes_over),
                ),
            ];
            (Outcome::Updated, fields.into_iter().flatten().collect())
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
            let fields = field("substitute_for_org_unit", &None, &Some(unit));
            (Outcome::Created, fields.into_iter().collect())
        }
    })
}

fn upsert_person(
    conn: &mut DbConnection,
    l: &StaffLine,
    now: chrono::NaiveDateTime,
    change: &mut LineChange,
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
            change.add(current.changes(&l.person));
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
