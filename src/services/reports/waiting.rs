//! Pending reports by who may approve them and by org unit, with the oldest drive date: for
//! the approvers' daily digest and for payroll chasing late approvers before a deadline.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use chrono::NaiveDate;
use serde::Serialize;

use super::queries::responsible_approvers;
use crate::db::org as org_repo;
use crate::db::reports::{self as repo, ReportFilter};
use crate::db::DbConnection;
use crate::domain::ids::{EmploymentId, OrgUnitId, PersonId};
use crate::domain::report_state::ReportStatus;
use crate::error::Result;
use crate::services::org;

/// How many pending reports wait, and the oldest drive date among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Waiting {
    pub reports: i64,
    pub oldest_drive_date: NaiveDate,
}

impl Waiting {
    fn count(slot: &mut Option<Waiting>, date: NaiveDate) {
        let w = slot.get_or_insert(Waiting {
            reports: 0,
            oldest_drive_date: date,
        });
        w.reports += 1;
        w.oldest_drive_date = w.oldest_drive_date.min(date);
    }
}

/// The pending reports of one approver or one org unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingGroup<Id> {
    pub id: Id,
    pub name: String,
    #[serde(flatten)]
    pub waiting: Waiting,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WaitingOverview {
    /// Every pending report.
    pub total: Option<Waiting>,
    /// By the org unit of the report's employment; oldest drive date first.
    pub per_org_unit: Vec<WaitingGroup<OrgUnitId>>,
    /// By every person who may approve the report today (leader, substitute or personal
    /// approver; a report counts for each of them); oldest drive date first.
    pub per_approver: Vec<WaitingGroup<PersonId>>,
    /// Pending reports nobody may approve today.
    pub without_approver: Option<Waiting>,
}

struct Counts {
    total: Option<Waiting>,
    units: BTreeMap<OrgUnitId, Option<Waiting>>,
    approvers: BTreeMap<PersonId, Option<Waiting>>,
    without_approver: Option<Waiting>,
}

fn counts(conn: &mut DbConnection) -> Result<Counts> {
    let filter = ReportFilter {
        person_ids: None,
        status: Some(ReportStatus::Pending),
        from: None,
        to: None,
    };
    let org_snapshot = org::snapshot(conn)?;
    let unit_of: HashMap<EmploymentId, OrgUnitId> = org_snapshot
        .employments
        .iter()
        .map(|e| (e.id, e.org_unit_id))
        .collect();
    let today = org::today();
    let mut out = Counts {
        total: None,
        units: BTreeMap::new(),
        approvers: BTreeMap::new(),
        without_approver: None,
    };
    for row in repo::all_reports(conn, &filter)? {
        let date = row.drive_date;
        Waiting::count(&mut out.total, date);
        if let Some(&unit) = unit_of.get(&row.employment_id) {
            Waiting::count(out.units.entry(unit).or_default(), date);
        }
        let approvers = responsible_approvers(&org_snapshot, &row, today);
        if approvers.is_empty() {
            Waiting::count(&mut out.without_approver, date);
        }
        for approver in approvers {
            Waiting::count(out.approvers.entry(approver).or_default(), date);
        }
    }
    Ok(out)
}

/// For every person who may approve a pending report today (leader, substitute or personal
/// approver): how many reports wait for them and the oldest drive date among those.
pub fn waiting_per_approver(
    conn: &mut DbConnection,
) -> Result<BTreeMap<PersonId, (i64, NaiveDate)>> {
    Ok(counts(conn)?
        .approvers
        .into_iter()
        .filter_map(|(id, w)| w.map(|w| (id, (w.reports, w.oldest_drive_date))))
        .collect())
}

/// Named groups, oldest drive date first (then by name).
fn groups<Id: Copy + Ord + Hash>(
    counted: BTreeMap<Id, Option<Waiting>>,
    names: &HashMap<Id, String>,
) -> Vec<WaitingGroup<Id>> {
    let mut out: Vec<WaitingGroup<Id>> = counted
        .into_iter()
        .filter_map(|(id, w)| {
            Some(WaitingGroup {
                id,
                name: names.get(&id).cloned().unwrap_or_default(),
                waiting: w?,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.waiting.oldest_drive_date, &a.name).cmp(&(b.waiting.oldest_drive_date, &b.name))
    });
    out
}

/// The pending reports by org unit and by responsible approver (payroll's "Afventer
/// godkendelse").
pub fn waiting_overview(conn: &mut DbConnection) -> Result<WaitingOverview> {
    let counted = counts(conn)?;
    let unit_names: HashMap<OrgUnitId, String> = org_repo::all_org_units(conn)?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let ids: Vec<PersonId> = counted.approvers.keys().copied().collect();
    let person_names: HashMap<PersonId, String> = org_repo::persons_by_ids(conn, &ids)?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok(WaitingOverview {
        total: counted.total,
        per_org_unit: groups(counted.units, &unit_names),
        per_approver: groups(counted.approvers, &person_names),
        without_approver: counted.without_approver,
    })
}
