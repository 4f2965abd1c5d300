//! Storing the checked rows. What the import reads (org units, persons, employments, personal
//! approvers, substitutes) is loaded once into maps; each row is decided against them in file
//! order, as if stored one by one (a username another person holds refuses the row, as the
//! unique index would); then the writes follow: updates one by one, inserts many rows to a
//! statement. A file of 50,000 rows takes a few dozen statements, not 250,000.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::org::{self as repo, EmploymentChanges, PersonChanges};
use crate::db::{self, DbConnection};
use crate::domain::ids::{EmploymentId, OrgUnitId, PersonId};
use crate::error::Result;
use crate::services::csv_table::csv_error;
use crate::services::staff_extras;

use super::super::changes::{field, FieldChange, FileChanges, LineChange, Refusals, RowKind};
use super::super::{Counts, Outcome, Progress, StaffImportSummary};
use super::{PersonFields, StaffLine};

/// What the database holds that the import reads.
struct Stored {
    /// Org units: external id → id, and id → external id.
    units: HashMap<String, OrgUnitId>,
    unit_keys: HashMap<OrgUnitId, String>,
    persons: HashMap<String, repo::PersonRow>,
    /// Username → the external id of the person who has it, kept as the rows are decided.
    usernames: HashMap<String, String>,
    employments: HashMap<String, repo::EmploymentRow>,
}

impl Stored {
    fn load(conn: &mut DbConnection) -> Result<Stored> {
        let units = repo::all_org_units(conn)?;
        let persons = repo::all_persons(conn)?;
        Ok(Stored {
            units: units
                .iter()
                .map(|u| (u.external_id.clone(), u.id))
                .collect(),
            unit_keys: units.into_iter().map(|u| (u.id, u.external_id)).collect(),
            usernames: persons
                .iter()
                .filter_map(|p| Some((p.username.clone()?, p.external_id.clone())))
                .collect(),
            persons: persons
                .into_iter()
                .map(|p| (p.external_id.clone(), p))
                .collect(),
            employments: repo::all_employments(conn)?
                .into_iter()
                .map(|e| (e.employment_number.clone(), e))
                .collect(),
        })
    }

    /// Decides the person of a row (its first row): stored id (None: new) and outcome. A
    /// username another person has refuses the file at once, as the unique index did.
    fn person(
        &mut self,
        l: &StaffLine,
        change: &mut LineChange,
    ) -> Result<(Option<PersonId>, Outcome)> {
        let stored = self.persons.get(&l.external_id);
        let old_username = match stored {
            Some(p) => {
                let current = PersonFields {
                    name: p.name.clone(),
                    username: p.username.clone(),
                    cpr: p.cpr.clone(),
                    email: p.email.clone(),
                };
                if current == l.person {
                    return Ok((Some(p.id), Outcome::Unchanged));
                }
                change.add(current.changes(&l.person));
                p.username.clone()
            }
            None => None,
        };
        if let Some(username) = &l.person.username {
            if self
                .usernames
                .get(username)
                .is_some_and(|holder| holder != &l.external_id)
            {
                return Err(csv_error(
                    Some(l.line),
                    Some("username"),
                    "is already linked to another person".into(),
                ));
            }
        }
        if let Some(old) = old_username {
            self.usernames.remove(&old);
        }
        if let Some(username) = &l.person.username {
            self.usernames
                .insert(username.clone(), l.external_id.clone());
        }
        Ok(match stored {
            Some(p) => (Some(p.id), Outcome::Updated),
            None => (None, Outcome::Created),
        })
    }
}

/// What a row does to its employment.
enum EmploymentWrite {
    Unchanged,
    Update(EmploymentId, EmploymentChanges),
    Insert(OrgUnitId),
}

/// A row's employment: the write, and what the preview shows (fields, and the row's kind when
/// the employment is new or ends).
struct EmploymentPlan {
    write: EmploymentWrite,
    fields: Vec<FieldChange>,
    kind: Option<RowKind>,
}

fn plan_employment(
    stored: &Stored,
    l: &StaffLine,
    person_id: Option<PersonId>,
    org_unit_id: OrgUnitId,
) -> Result<EmploymentPlan> {
    let changes = EmploymentChanges {
        org_unit_id,
        position: l.position.clone(),
        start_date: l.start,
        end_date: l.end,
        cost_centre: l.cost_centre.clone(),
        is_leader: l.is_leader,
    };
    let Some(e) = stored.employments.get(&l.employment_number) else {
        return Ok(EmploymentPlan {
            write: EmploymentWrite::Insert(org_unit_id),
            fields: Vec::new(),
            kind: Some(RowKind::New),
        });
    };
    if Some(e.person_id) != person_id {
        return Err(csv_error(
            Some(l.line),
            Some("employment_number"),
            "belongs to another person".into(),
        ));
    }
    let current = EmploymentChanges {
        org_unit_id: e.org_unit_id,
        position: e.position.clone(),
        start_date: e.start_date,
        end_date: e.end_date,
        cost_centre: e.cost_centre.clone(),
        is_leader: e.is_leader,
    };
    if current == changes {
        return Ok(EmploymentPlan {
            write: EmploymentWrite::Unchanged,
            fields: Vec::new(),
            kind: None,
        });
    }
    let mut fields = Vec::new();
    if current.org_unit_id != org_unit_id {
        let before = stored.unit_keys.get(&current.org_unit_id).cloned();
        fields.extend(field(
            "org_unit_external_id",
            &before,
            &Some(l.org_unit.clone()),
        ));
    }
    fields.extend(
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
    Ok(EmploymentPlan {
        write: EmploymentWrite::Update(e.id, changes),
        fields,
        kind: ends.then_some(RowKind::Ended),
    })
}

/// Writes the persons decided in pass 1: updates in file order (so usernames move as they
/// did row by row), then the new persons. Returns every person's id by external id.
fn write_persons(
    conn: &mut DbConnection,
    lines: &[StaffLine],
    persons: &[(usize, Option<PersonId>, Outcome)],
    now: NaiveDateTime,
) -> Result<HashMap<String, PersonId>> {
    let mut ids = HashMap::with_capacity(persons.len());
    let mut new = Vec::new();
    for &(i, id, outcome) in persons {
        let l = &lines[i];
        match id {
            Some(id) => {
                if outcome == Outcome::Updated {
                    let changes = PersonChanges {
                        name: l.person.name.clone(),
                        username: l.person.username.clone(),
                        cpr: l.person.cpr.clone(),
                        email: l.person.email.clone(),
                    };
                    repo::update_person(conn, id, &changes, now).map_err(|e| {
                        if db::is_unique_violation(&e) {
                            csv_error(
                                Some(l.line),
                                Some("username"),
                                "is already linked to another person".into(),
                            )
                        } else {
                            e.into()
                        }
                    })?;
                }
                ids.insert(l.external_id.clone(), id);
            }
            None => new.push(repo::NewPerson {
                external_id: &l.external_id,
                name: &l.person.name,
                username: l.person.username.as_deref(),
                cpr: l.person.cpr.as_deref(),
                email: l.person.email.as_deref(),
                created_at: now,
                updated_at: now,
            }),
        }
    }
    repo::insert_persons(conn, &new)?;
    let keys: Vec<&str> = new.iter().map(|p| p.external_id).collect();
    ids.extend(repo::person_ids_by_external_id(conn, &keys)?);
    Ok(ids)
}

/// A person's home address and vehicles (the person's first row).
fn store_extras(
    conn: &mut DbConnection,
    l: &StaffLine,
    id: PersonId,
    summary: &mut StaffImportSummary,
    now: NaiveDateTime,
    change: &mut LineChange,
) -> Result<()> {
    if let Some(home) = &l.extras.home {
        let from = l.extras.home_from.unwrap_or(l.start);
        let outcome = staff_extras::store_home(conn, id, home, from, now)?;
        if outcome != Outcome::Unchanged {
            change.add(field("home_address", &None, &Some(&home.label)));
        }
        summary.home_addresses.count(outcome);
    }
    if l.extras.plates.is_empty() {
        return Ok(());
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
    Ok(())
}

/// Imports the rows inside the caller's transaction.
pub(in crate::services::import) fn apply(
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
    let mut stored = Stored::load(conn)?;
    // Pass 1, decided in memory: persons (first row of each) and employments.
    let mut persons: Vec<(usize, Option<PersonId>, Outcome)> = Vec::new();
    let mut person_of: HashMap<&str, Option<PersonId>> = HashMap::new();
    let mut employments: Vec<Option<EmploymentPlan>> = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let person_id = match person_of.get(l.external_id.as_str()) {
            Some(id) => *id,
            None => {
                let (id, outcome) = stored.person(l, &mut changes[i])?;
                summary.persons.count(outcome);
                persons.push((i, id, outcome));
                person_of.insert(&l.external_id, id);
                id
            }
        };
        let unit = stored.units.get(&l.org_unit).copied().ok_or_else(|| {
            csv_error(
                Some(l.line),
                Some("org_unit_external_id"),
                format!("no org unit has external id {:?}", l.org_unit),
            )
        });
        let plan = match refused.keep(unit)? {
            Some(unit) => {
                progress(i as u64 + 1, total);
                refused.keep(plan_employment(&stored, l, person_id, unit))?
            }
            None => None,
        };
        employments.push(plan);
    }
    // The writes of pass 1.
    let person_ids = write_persons(conn, lines, &persons, now)?;
    for &(i, _, _) in &persons {
        let l = &lines[i];
        let id = person_ids[&l.external_id];
        store_extras(conn, l, id, &mut summary, now, &mut changes[i])?;
    }
    let mut new_employments = Vec::new();
    for ((l, plan), change) in lines.iter().zip(employments).zip(&mut changes) {
        let Some(plan) = plan else { continue };
        change.add(plan.fields);
        if let Some(kind) = plan.kind {
            change.kind = kind;
        }
        let outcome = match plan.write {
            EmploymentWrite::Unchanged => Outcome::Unchanged,
            EmploymentWrite::Update(id, changes) => {
                repo::update_employment(conn, id, &changes, now)?;
                Outcome::Updated
            }
            EmploymentWrite::Insert(org_unit_id) => {
                new_employments.push(repo::NewEmployment {
                    person_id: person_ids[&l.external_id],
                    org_unit_id,
                    employment_number: &l.employment_number,
                    position: &l.position,
                    start_date: l.start,
                    end_date: l.end,
                    cost_centre: l.cost_centre.as_deref(),
                    is_leader: l.is_leader,
                    created_at: now,
                    updated_at: now,
                });
                Outcome::Created
            }
        };
        summary.employments.count(outcome);
    }
    repo::insert_employments(conn, &new_employments)?;
    // Pass 2: approvers and substitutes, which may name people of later rows.
    let approvers = Approvers::load(conn)?;
    let substitutes = repo::all_substitutes(conn)?;
    let mut new_approvers = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let person_id = person_ids[&l.external_id];
        if let Some(approver) = &l.approver {
            let result = approvers.store(conn, l, person_id, approver, &person_ids, &stored, now);
            if let Some((outcome, fields, new)) = refused.keep(result)? {
                changes[i].add(fields);
                summary.personal_approvers.count(outcome);
                new_approvers.extend(new);
            }
        }
        if let Some(substitute) = &l.substitute {
            let result =
                store_substitute(conn, l, person_id, substitute, &substitutes, &stored, now);
            if let Some((outcome, fields)) = refused.keep(result)? {
                changes[i].add(fields);
                summary.substitutes.count(outcome);
            }
        }
        progress(lines.len() as u64 + i as u64 + 1, total);
    }
    repo::insert_personal_approvers(conn, &new_approvers)?;
    refused.finish()?;
    for (l, change) in lines.iter().zip(changes) {
        file_changes.record(l.line, &l.employment_number, &l.person.name, change);
    }
    Ok(summary)
}

/// The stored personal approvers by (person, approver, from): the first of each.
struct Approvers(HashMap<(PersonId, PersonId, NaiveDate), repo::PersonalApproverRow>);

impl Approvers {
    fn load(conn: &mut DbConnection) -> Result<Approvers> {
        let mut map = HashMap::new();
        for a in repo::all_personal_approvers(conn)? {
            map.entry((a.person_id, a.approver_person_id, a.start_date))
                .or_insert(a);
        }
        Ok(Approvers(map))
    }

    /// A row's personal approver: the outcome, what changed, and the row to insert if new.
    #[allow(clippy::too_many_arguments)]
    fn store(
        &self,
        conn: &mut DbConnection,
        l: &StaffLine,
        person_id: PersonId,
        (approver, from, to): &(String, NaiveDate, Option<NaiveDate>),
        person_ids: &HashMap<String, PersonId>,
        stored: &Stored,
        now: NaiveDateTime,
    ) -> Result<(Outcome, Vec<FieldChange>, Option<repo::NewPersonalApprover>)> {
        let approver_id = match person_ids.get(approver) {
            Some(id) => *id,
            None => {
                stored
                    .persons
                    .get(approver)
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
        Ok(match self.0.get(&(person_id, approver_id, *from)) {
            Some(a) if a.end_date == *to => (Outcome::Unchanged, Vec::new(), None),
            Some(a) => {
                repo::set_personal_approver_end(conn, a.id, *to)?;
                let fields = field("approver_to", &a.end_date, to);
                (Outcome::Updated, fields.into_iter().collect(), None)
            }
            None => {
                let new = repo::NewPersonalApprover {
                    person_id,
                    approver_person_id: approver_id,
                    start_date: *from,
                    end_date: *to,
                    created_at: now,
                };
                let fields = field("approver_external_id", &None, &Some(approver));
                (Outcome::Created, fields.into_iter().collect(), Some(new))
            }
        })
    }
}

fn store_substitute(
    conn: &mut DbConnection,
    l: &StaffLine,
    person_id: PersonId,
    (unit, from, to, takes_over): &(String, NaiveDate, Option<NaiveDate>, bool),
    substitutes: &[repo::SubstituteRow],
    stored: &Stored,
    now: NaiveDateTime,
) -> Result<(Outcome, Vec<FieldChange>)> {
    let unit_id = *stored.units.get(unit).ok_or_else(|| {
        csv_error(
            Some(l.line),
            Some("substitute_for_org_unit"),
            format!("no org unit has external id {unit:?}"),
        )
    })?;
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
