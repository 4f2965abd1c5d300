//! The organisation as the administration page shows it: the tree of org units with each
//! unit's leaders and substitutes, and the personal approvers, as they stand on a date (and
//! the substitutes and personal approvers still to come).

use super::*;
use crate::domain::ids::{OrgUnitId, PersonId};

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::db::org::{self as repo, OrgUnitRow};
use crate::db::DbConnection;
use crate::domain::org::in_period;
use crate::error::Result;

/// A substitute or personal approver, with the period.
#[derive(Debug, Clone)]
pub struct Delegate {
    pub person: PersonSummary,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub takes_over: bool,
}

#[derive(Debug, Clone)]
pub struct UnitNode {
    pub id: OrgUnitId,
    pub external_id: String,
    pub name: String,
    /// 0 for a root.
    pub depth: usize,
    pub leaders: Vec<PersonSummary>,
    pub substitutes: Vec<Delegate>,
}

#[derive(Debug, Clone)]
pub struct PersonalApproverLine {
    pub person: PersonSummary,
    pub approver: Delegate,
}

#[derive(Debug, Clone, Default)]
pub struct OrgOverview {
    /// Depth first, siblings by name.
    pub units: Vec<UnitNode>,
    pub personal_approvers: Vec<PersonalApproverLine>,
}

/// Depth-first order of the tree; units in a cycle (which imports refuse) are left out.
fn tree_order(units: &[OrgUnitRow]) -> Vec<(usize, usize)> {
    let mut children: HashMap<Option<OrgUnitId>, Vec<usize>> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        children.entry(u.parent_id).or_default().push(i);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| units[*a].name.cmp(&units[*b].name));
    }
    let mut order = Vec::with_capacity(units.len());
    let mut seen = HashSet::new();
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|&i| (i, 0)).collect())
        .unwrap_or_default();
    while let Some((i, depth)) = stack.pop() {
        if !seen.insert(i) {
            continue;
        }
        order.push((i, depth));
        if let Some(kids) = children.get(&Some(units[i].id)) {
            stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
        }
    }
    order
}

pub fn overview(conn: &mut DbConnection, date: NaiveDate) -> Result<OrgOverview> {
    let units = repo::all_org_units(conn)?;
    // Running on `date` or still to come.
    let current = |to: Option<NaiveDate>| to.is_none_or(|t| t >= date);
    let leaders: Vec<_> = repo::all_employments(conn)?
        .into_iter()
        .filter(|e| e.is_leader && in_period(e.start_date, e.end_date, date))
        .collect();
    let substitutes: Vec<_> = repo::all_substitutes(conn)?
        .into_iter()
        .filter(|s| current(s.end_date))
        .collect();
    let approvers: Vec<_> = repo::all_personal_approvers(conn)?
        .into_iter()
        .filter(|a| current(a.end_date))
        .collect();
    let mut ids: Vec<PersonId> = leaders.iter().map(|e| e.person_id).collect();
    ids.extend(substitutes.iter().map(|s| s.substitute_person_id));
    ids.extend(
        approvers
            .iter()
            .flat_map(|a| [a.person_id, a.approver_person_id]),
    );
    ids.sort_unstable();
    ids.dedup();
    let persons: HashMap<PersonId, PersonSummary> = repo::persons_by_ids(conn, &ids)?
        .iter()
        .map(|p| (p.id, PersonSummary::from(p)))
        .collect();
    let person = |id: PersonId| persons.get(&id).cloned();
    let units = tree_order(&units)
        .into_iter()
        .map(|(i, depth)| {
            let u = &units[i];
            UnitNode {
                id: u.id,
                external_id: u.external_id.clone(),
                name: u.name.clone(),
                depth,
                leaders: leaders
                    .iter()
                    .filter(|e| e.org_unit_id == u.id)
                    .filter_map(|e| person(e.person_id))
                    .collect(),
                substitutes: substitutes
                    .iter()
                    .filter(|s| s.org_unit_id == u.id)
                    .filter_map(|s| {
                        Some(Delegate {
                            person: person(s.substitute_person_id)?,
                            from: s.start_date,
                            to: s.end_date,
                            takes_over: s.takes_over,
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    let mut personal_approvers: Vec<PersonalApproverLine> = approvers
        .iter()
        .filter_map(|a| {
            Some(PersonalApproverLine {
                person: person(a.person_id)?,
                approver: Delegate {
                    person: person(a.approver_person_id)?,
                    from: a.start_date,
                    to: a.end_date,
                    takes_over: false,
                },
            })
        })
        .collect();
    personal_approvers.sort_by(|a, b| a.person.name.cmp(&b.person.name));
    Ok(OrgOverview {
        units,
        personal_approvers,
    })
}
