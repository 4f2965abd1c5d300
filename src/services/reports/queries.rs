//! Reading reports: who may read one, the views, lists, the approval queue and the summary.

use super::pricing::RateBook;
use super::*;
use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::org::{self as org_repo};
use crate::db::reports::{self as repo, EventRow, ReportFilter, ReportRow};
use crate::db::{self, DbConnection};
use crate::domain::allowance::{RateKind, HIGH_RATE_LIMIT_UNITS};
use crate::domain::approvers::{self as approver_rules, ApproverError, OrgSnapshot};
use crate::domain::ids::{EmploymentId, PersonId, ReportId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::report_state::ReportStatus;
use crate::error::{Error, Result};
use crate::services::org::{self, Location};

/// The persons who may approve `row` on `today` (see the module docs).
pub(super) fn responsible_approvers(
    org: &OrgSnapshot,
    row: &ReportRow,
    today: NaiveDate,
) -> Vec<PersonId> {
    let resolve = |date| approver_rules::approvers_for(org, row.person_id, row.employment_id, date);
    match resolve(today) {
        Ok(found) => found.person_ids(),
        Err(ApproverError::EmploymentNotValid { .. }) => resolve(row.drive_date)
            .map(|found| found.person_ids())
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// The responsible approvers of `row` today.
pub(super) fn approvers_today(conn: &mut DbConnection, row: &ReportRow) -> Result<Vec<PersonId>> {
    let org_snapshot = org::snapshot(conn)?;
    Ok(responsible_approvers(&org_snapshot, row, org::today()))
}

/// Report `id` when the caller may see it: its owner, an administrator, payroll, or one of its
/// responsible approvers today. Anyone else is told it does not exist (404, never 403), so ids
/// cannot be probed.
pub(super) fn visible(conn: &mut DbConnection, caller: Caller, id: ReportId) -> Result<ReportRow> {
    let row = reload(conn, id)?;
    if caller.sees_all() {
        return Ok(row);
    }
    let me = org::person_of_user_id(conn, caller.user_id)?.map(|p| p.id);
    if me == Some(row.person_id) {
        return Ok(row);
    }
    match me {
        Some(me) if approvers_today(conn, &row)?.contains(&me) => Ok(row),
        _ => Err(Error::not_found("report")),
    }
}

// ================================================================ views

fn views(conn: &mut DbConnection, rows: Vec<ReportRow>) -> Result<Vec<Report>> {
    let rates = RateBook::load(conn)?;
    let ids: Vec<ReportId> = rows.iter().map(|r| r.id).collect();
    let mut lines: HashMap<ReportId, Vec<Line>> = HashMap::new();
    for l in repo::lines_of(conn, &ids)? {
        lines.entry(l.report_id).or_default().push(Line {
            position: l.position,
            tf_code: l.tf_code,
            rate_kind: l.rate_kind,
            distance_m: l.distance_m,
            ore_per_km: l.ore_per_km,
            amount_ore: l.amount_ore,
        });
    }
    let names = person_names(conn, &rows)?;
    rows.into_iter()
        .map(|row| {
            let route: Vec<Location> = serde_json::from_str(&row.route)
                .map_err(|e| anyhow::anyhow!("report {}: route: {e}", row.id))?;
            Ok(Report {
                id: row.id,
                person_id: row.person_id,
                person_name: names.get(&row.person_id).cloned().unwrap_or_default(),
                employment_id: row.employment_id,
                rate_type_id: row.rate_type_id,
                rate_kind: rates.kind_of(row.rate_type_id)?,
                vehicle_id: row.vehicle_id,
                trip_id: row.trip_id,
                drive_date: row.drive_date,
                purpose: row.purpose.clone(),
                remark: row.remark.clone(),
                distance_mode: row.distance_mode,
                round_trip: row.is_round_trip,
                route,
                typed_distance_m: row.typed_distance_m,
                starts_at_home: row.starts_at_home,
                ends_at_home: row.ends_at_home,
                four_km_rule: row.four_km_rule,
                route_distance_m: row.route_distance_m,
                home_work_deduction_m: row.home_work_deduction_m,
                four_km_deduction_m: row.four_km_deduction_m,
                reimbursable_m: row.reimbursable_m,
                amount_ore: row.amount_ore,
                lines: lines.remove(&row.id).unwrap_or_default(),
                status: row.status,
                version: row.version,
                rejection_comment: row.rejection_comment.clone(),
                submitted_at: row.submitted_at.map(|t| t.and_utc()),
                decided_at: row.decided_at.map(|t| t.and_utc()),
                decided_by_user_id: row.decided_by_user_id,
                account: row.account.clone(),
                review_flags: match &row.review_flags {
                    Some(flags) => serde_json::from_str(flags)
                        .map_err(|e| anyhow::anyhow!("report {}: review_flags: {e}", row.id))?,
                    None => Vec::new(),
                },
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}

/// The names of the rows' persons, by person id.
fn person_names(conn: &mut DbConnection, rows: &[ReportRow]) -> Result<HashMap<PersonId, String>> {
    let person_ids: Vec<PersonId> = rows
        .iter()
        .map(|r| r.person_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(org_repo::persons_by_ids(conn, &person_ids)?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

pub(super) fn view(conn: &mut DbConnection, row: ReportRow) -> Result<Report> {
    views(conn, vec![row])?
        .pop()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("report view lost")))
}

pub fn get(conn: &mut DbConnection, caller: Caller, id: ReportId) -> Result<Report> {
    let row = visible(conn, caller, id)?;
    view(conn, row)
}

pub fn history(conn: &mut DbConnection, caller: Caller, id: ReportId) -> Result<Vec<Event>> {
    visible(conn, caller, id)?;
    let events = repo::events_of(conn, id)?;
    let mut usernames: HashMap<UserId, Option<String>> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for EventRow {
        id,
        actor_user_id,
        at,
        action,
        from_status,
        to_status,
        version,
        changes,
        comment,
        ..
    } in events
    {
        let actor_username = match actor_user_id {
            Some(user) => match usernames.get(&user) {
                Some(name) => name.clone(),
                None => {
                    let name = db::users::find(conn, user)?.map(|u| u.username);
                    usernames.insert(user, name.clone());
                    name
                }
            },
            None => None,
        };
        out.push(Event {
            id,
            at: at.and_utc(),
            actor_user_id,
            actor_username,
            action,
            from_status,
            to_status,
            version,
            changes: changes.and_then(|c| serde_json::from_str(&c).ok()),
            comment,
        });
    }
    Ok(out)
}

/// Filters of `GET /api/v1/reports` (beside the page parameters, so unknown ones are ignored).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: Option<ReportStatus>,
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Administrators and payroll only: someone else's reports.
    #[serde(default)]
    pub person_id: Option<PersonId>,
}

pub fn list(
    conn: &mut DbConnection,
    caller: Caller,
    query: ListQuery,
    page: PageRequest,
) -> Result<Page<Report>> {
    let person_ids = match query.person_id {
        Some(person) if caller.admin || caller.payroll => Some(vec![person]),
        Some(_) => {
            return Err(Error::forbidden(
                "person_id is for administrators and payroll; leave it out to list your own",
            ))
        }
        None => Some(vec![org::my_person(conn, caller.user_id)?.id]),
    };
    let filter = ReportFilter {
        person_ids,
        status: query.status,
        from: query.from,
        to: query.to,
    };
    let total = repo::count_reports(conn, &filter)?;
    let rows = repo::list_reports(conn, &filter, page.offset(), page.limit())?;
    Ok(Page::new(views(conn, rows)?, page, total))
}

/// Filters of `GET /api/v1/approvals` (beside the page parameters).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    pub person_id: Option<PersonId>,
    #[serde(default)]
    pub employment_id: Option<EmploymentId>,
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    #[serde(default)]
    pub sort: QueueSort,
    /// Only reports with at least one flag for the approver (`services::reports::Flag`).
    #[serde(default)]
    pub flagged: bool,
}

/// The order of the approval queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum QueueSort {
    #[default]
    #[serde(rename = "drive_date")]
    OldestFirst,
    #[serde(rename = "-drive_date")]
    NewestFirst,
    #[serde(rename = "-amount")]
    LargestAmountFirst,
    /// By the person's name, each person's reports oldest first.
    #[serde(rename = "person")]
    Person,
}

/// The pending reports the caller may approve today, oldest drive date first unless sorted
/// otherwise.
pub fn queue(
    conn: &mut DbConnection,
    caller: Caller,
    query: QueueQuery,
    page: PageRequest,
) -> Result<Page<Report>> {
    if !caller.approver {
        return Err(Error::forbidden("this requires the approver role"));
    }
    let Some(me) = org::person_of_user_id(conn, caller.user_id)? else {
        return Ok(Page::new(Vec::new(), page, 0));
    };
    let filter = ReportFilter {
        person_ids: query.person_id.map(|p| vec![p]),
        status: Some(ReportStatus::Pending),
        from: query.from,
        to: query.to,
    };
    let org_snapshot = org::snapshot(conn)?;
    let today = org::today();
    let mut mine: Vec<ReportRow> = repo::all_reports(conn, &filter)?
        .into_iter()
        .filter(|r| query.employment_id.is_none_or(|e| e == r.employment_id))
        .filter(|r| responsible_approvers(&org_snapshot, r, today).contains(&me.id))
        .collect();
    if query.flagged {
        let mut flagged = super::flags::flagged(conn, &mine)?.into_iter();
        mine.retain(|_| flagged.next().unwrap_or(false));
    }
    match query.sort {
        QueueSort::OldestFirst => {}
        QueueSort::NewestFirst => mine.reverse(),
        QueueSort::LargestAmountFirst => mine.sort_by_key(|r| std::cmp::Reverse(r.amount_ore)),
        QueueSort::Person => {
            let names = person_names(conn, &mine)?;
            // Stable: each person's reports stay oldest first.
            mine.sort_by(|a, b| {
                let name = |r: &ReportRow| names.get(&r.person_id).map(|n| n.to_lowercase());
                name(a).cmp(&name(b)).then(a.person_id.cmp(&b.person_id))
            });
        }
    }
    let total = mine.len() as i64;
    let rows: Vec<ReportRow> = mine
        .into_iter()
        .skip(page.offset() as usize)
        .take(page.limit() as usize)
        .collect();
    Ok(Page::new(views(conn, rows)?, page, total))
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusTotals {
    pub status: ReportStatus,
    pub reports: i64,
    pub reimbursable_m: i64,
    pub amount_ore: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub year: i32,
    /// Per status, every status listed.
    pub by_status: Vec<StatusTotals>,
    /// Pending, approved and exported together: what counts.
    pub counted_reimbursable_m: i64,
    pub counted_amount_ore: i64,
    /// High-rate ("høj takst") km used against the 20,000 km of the year, in metres.
    pub high_rate_used_m: i64,
    pub high_rate_limit_m: i64,
    pub high_rate_remaining_m: i64,
}

pub fn summary(conn: &mut DbConnection, caller: Caller, year: i32) -> Result<Summary> {
    if !(2000..=2100).contains(&year) {
        return Err(Error::validation("year", "must be between 2000 and 2100"));
    }
    let me = org::my_person(conn, caller.user_id)?;
    let rows = repo::reports_of_person_in_years(conn, me.id, &[year])?;
    let counted: Vec<ReportId> = rows
        .iter()
        .filter(|r| r.status.is_counted())
        .map(|r| r.id)
        .collect();
    let mut by_status: Vec<StatusTotals> = ReportStatus::ALL
        .iter()
        .map(|&status| StatusTotals {
            status,
            reports: 0,
            reimbursable_m: 0,
            amount_ore: 0,
        })
        .collect();
    for row in &rows {
        let status = row.status;
        if let Some(t) = by_status.iter_mut().find(|t| t.status == status) {
            t.reports += 1;
            t.reimbursable_m += row.reimbursable_m;
            t.amount_ore += row.amount_ore;
        }
    }
    // High-rate metres from the priced lines, first line per kind (see `RateBook::line_rows`).
    let mut seen = BTreeSet::new();
    let high_rate_used_m: i64 = repo::lines_of(conn, &counted)?
        .into_iter()
        .filter(|l| seen.insert((l.report_id, l.rate_kind)))
        .filter(|l| l.rate_kind == RateKind::CarHigh)
        .map(|l| l.distance_m)
        .sum();
    let counted_totals = by_status.iter().filter(|t| t.status.is_counted());
    let (counted_reimbursable_m, counted_amount_ore) =
        counted_totals.fold((0, 0), |(m, a), t| (m + t.reimbursable_m, a + t.amount_ore));
    let limit = HIGH_RATE_LIMIT_UNITS * 10;
    Ok(Summary {
        year,
        by_status,
        counted_reimbursable_m,
        counted_amount_ore,
        high_rate_used_m,
        high_rate_limit_m: limit,
        high_rate_remaining_m: (limit - high_rate_used_m).max(0),
    })
}
