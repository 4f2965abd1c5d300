//! `staff import`: one row per employment. Upserts persons by `external_id` (a person with
//! several employments has several rows, which must agree), employments by
//! `employment_number`, personal approvers by (person, approver, from) and substitutes by
//! (org unit, substitute, from).

mod apply;

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::db::{write_transaction, DbConnection};
use crate::domain::org::{check_period, parse_email, Cpr};
use crate::domain::users::{normalize_username, validate_username};
use crate::error::{Error, Result};
use crate::services::csv_table::{csv_problem, read_table, rows, Row};
use crate::services::staff_extras::{parse_plates, AddressSource, HomeAddress, Washer};

use super::changes::{field, FieldChange, FileChanges, Refusals};
use super::{Progress, StaffImportSummary, STAFF_COLUMNS};

pub(super) use apply::apply;

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
