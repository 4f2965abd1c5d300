//! Drive reports: creation and edits (the distance rules), the lifecycle and approval workflow,
//! re-pricing, the audit trail, the approval queue and the yearly summary.
//!
//! # Shape of a writing use case
//!
//! 1. **Plan** (reads only, no transaction): check the input and the caller, and work out which
//!    routes the distance needs.
//! 2. **Route** (async, no database connection held): ask the route service. A transaction is
//!    never held open across an HTTP call.
//! 3. **Write** (one `write_transaction`): lock the person (re-pricing reads all their reports),
//!    check the version, change the report, re-price every report of the person in the
//!    affected years (`domain::allowance::ledger`), and write the audit events.
//!
//! # Versions
//!
//! Every change bumps `version` by one through a conditional `UPDATE … WHERE version = ?`
//! ([`reports::bump_version`]); the caller's expected version comes from `If-Match` (stale:
//! 412) or the body (stale: 409). A re-pricing that changes another report bumps that report's
//! version too, so an approver never approves an amount they have not seen.
//!
//! # Who approves
//!
//! The responsible approvers of a report are resolved **today** (the day of the decision) for
//! the report's employment, by `domain::approvers`; when that employment has ended, on the drive
//! date instead. Approving, rejecting and the queue also need the `approver` role.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::db::org::{self as org_repo, RateTypeRow};
use crate::db::reports::{
    self as repo, EventRow, LineRow, ReportContent, ReportFigures, ReportFilter, ReportRow,
    StatusChange, TripFacts,
};
use crate::db::{self, is_unique_violation, write_transaction, Database, DbConnection};
use crate::domain::allowance::{
    price_person, trip_distance, AllowanceError, AllowanceLine, DistanceMode, FrozenReport,
    HomeRule, HomeWorkDistance, LedgerReport, PricedFigures, RateKind, RatePeriod, TripInput,
    HIGH_RATE_LIMIT_UNITS,
};
use crate::domain::approvers::{self as approver_rules, ApproverError, OrgSnapshot};
use crate::domain::org::in_period;
use crate::domain::page::{Page, PageRequest};
use crate::domain::report_state::{self as state, Action, ReportStatus, TransitionError};
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::routing::{Profile, RouteError, RouteService, Waypoint};
use crate::services::org::{self, opt_text, text, Location};
use crate::services::tf_codes;

const PURPOSE_MAX: usize = 500;
const REMARK_MAX: usize = 1_000;
const COMMENT_MAX: usize = 1_000;
const MAX_STOPS: usize = 50;
/// 5,000 km: more than anyone drives in a day.
const MAX_TYPED_DISTANCE_M: i64 = 5_000_000;
/// At most this many reports in one bulk approval.
pub const MAX_BULK: usize = 100;

/// What the report services need besides a connection.
#[derive(Clone)]
pub struct Context {
    pub db: Database,
    pub router: Option<Arc<dyn RouteService>>,
    /// `KORSEL_NORDDJURS_METHOD`.
    pub norddjurs_method: bool,
    /// A route stop this close to the home address (metres) is "at home", as a GPS trip's
    /// ends are (`KORSEL_TRIP_HOME_RADIUS_M`; OS2: about 100 m).
    pub home_tolerance_m: f64,
}

/// The authenticated caller, as the report rules see them.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub user_id: i64,
    pub admin: bool,
    pub approver: bool,
    pub payroll: bool,
}

/// The version the caller last saw, and where it came from (which decides 412 or 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// `If-Match: "<version>"`: a stale one is 412 Precondition Failed.
    IfMatch(i64),
    /// `version` in the body: a stale one is 409 Conflict.
    Body(i64),
}

impl Expected {
    fn version(self) -> i64 {
        match self {
            Expected::IfMatch(v) | Expected::Body(v) => v,
        }
    }

    fn check(self, current: i64) -> Result<()> {
        if self.version() == current {
            return Ok(());
        }
        Err(self.stale(current))
    }

    fn stale(self, current: i64) -> Error {
        let (kind, what) = match self {
            Expected::IfMatch(_) => (ProblemKind::PreconditionFailed, "If-Match"),
            Expected::Body(_) => (ProblemKind::VersionConflict, "version"),
        };
        Problem::new(
            kind,
            format!(
                "the report was changed by someone else: {what} names version {}, it is now at \
                 version {current}; reload it and try again",
                self.version()
            ),
        )
        .with("current_version", current)
        .into()
    }
}

// ================================================================ input and output

/// A new report, or the whole content of an edit. The server computes every distance and amount
/// and picks the rate; amounts, rates, TF codes and statuses are not fields here, so a client
/// that sends them gets a 422 naming the field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub employment_id: i64,
    /// `car_high` (with a driving authorisation), `car_low` or `bicycle`.
    pub rate_kind: RateKind,
    #[serde(default)]
    pub vehicle_id: Option<i64>,
    /// Required, except for `gps` (the trip's date).
    #[serde(default)]
    pub drive_date: Option<NaiveDate>,
    pub purpose: String,
    /// Required for `read`.
    #[serde(default)]
    pub remark: Option<String>,
    pub distance_mode: DistanceMode,
    #[serde(default)]
    pub round_trip: bool,
    /// The stops in order (`calculated*`: at least two; `read`: optional; `gps`: none).
    #[serde(default)]
    pub route: Vec<Location>,
    /// `read` only: the km the user read, in metres.
    #[serde(default)]
    pub typed_distance_m: Option<i64>,
    /// `read` only (the other modes take them from the route or the trip).
    #[serde(default)]
    pub starts_at_home: Option<bool>,
    #[serde(default)]
    pub ends_at_home: Option<bool>,
    /// `gps` only: the caller's trip.
    #[serde(default)]
    pub trip_id: Option<i64>,
    #[serde(default)]
    pub four_km_rule: bool,
    /// Edits only, when no `If-Match` is sent.
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub position: i64,
    pub tf_code: String,
    pub rate_kind: String,
    /// The km of the line in metres (a multiple of 10: km with two decimals).
    pub distance_m: i64,
    pub ore_per_km: i64,
    pub amount_ore: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub employment_id: i64,
    pub rate_type_id: i64,
    pub rate_kind: RateKind,
    pub vehicle_id: Option<i64>,
    pub trip_id: Option<i64>,
    pub drive_date: NaiveDate,
    pub purpose: String,
    pub remark: Option<String>,
    pub distance_mode: DistanceMode,
    pub round_trip: bool,
    pub route: Vec<Location>,
    pub typed_distance_m: Option<i64>,
    pub starts_at_home: bool,
    pub ends_at_home: bool,
    pub four_km_rule: bool,
    pub route_distance_m: i64,
    pub home_work_deduction_m: i64,
    pub four_km_deduction_m: i64,
    pub reimbursable_m: i64,
    pub amount_ore: i64,
    pub lines: Vec<Line>,
    pub status: ReportStatus,
    pub version: i64,
    pub rejection_comment: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by_user_id: Option<i64>,
    /// The account the approver booked the report to; `None`: the employment's default.
    pub account: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `null` for a change the system made (a re-pricing after another report changed).
    pub actor_user_id: Option<i64>,
    pub actor_username: Option<String>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub version: i64,
    /// `{"field": {"from": …, "to": …}}`.
    pub changes: Option<Value>,
    pub comment: Option<String>,
}

// ================================================================ small helpers

fn status_of(row: &ReportRow) -> Result<ReportStatus> {
    row.status
        .parse()
        .map_err(|e| Error::Internal(anyhow::anyhow!("report {}: {e}", row.id)))
}

fn mode_of(row: &ReportRow) -> Result<DistanceMode> {
    DistanceMode::parse(&row.distance_mode).ok_or_else(|| {
        Error::Internal(anyhow::anyhow!(
            "report {}: unknown distance mode {:?}",
            row.id,
            row.distance_mode
        ))
    })
}

fn allowance_error(field: &str, e: AllowanceError) -> Error {
    match e {
        AllowanceError::FourKmRuleNotAllowed => Error::validation(
            "four_km_rule",
            "the 4-km rule is not enabled for the employment's org unit",
        ),
        AllowanceError::NoRate { kind, date } => Error::validation(
            "drive_date",
            format!("no {kind} rate is configured for {date}"),
        ),
        other => Error::validation(field, other),
    }
}

fn transition_error(e: TransitionError) -> Error {
    match e {
        TransitionError::InvalidTransition { .. } => {
            Error::problem(ProblemKind::Conflict, e.to_string())
        }
        TransitionError::CommentRequired(_) => Error::validation("comment", e.to_string()),
        TransitionError::NotOwner(_)
        | TransitionError::SelfApproval
        | TransitionError::NotResponsibleApprover
        | TransitionError::NotAdmin(_) => Error::forbidden(e.to_string()),
    }
}

fn years_of(dates: impl IntoIterator<Item = NaiveDate>) -> Vec<i32> {
    dates
        .into_iter()
        .map(|d| d.year())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn waypoint(l: &Location) -> Waypoint {
    Waypoint {
        latitude: l.latitude,
        longitude: l.longitude,
    }
}

// ================================================================ rates

/// The stored rate table: the rows (for TF codes) and the domain's view of them.
struct RateBook {
    rows: Vec<RateTypeRow>,
    periods: Vec<RatePeriod>,
}

impl RateBook {
    fn load(conn: &mut DbConnection) -> Result<RateBook> {
        let rows = org_repo::all_rate_types(conn)?;
        let periods = rows.iter().map(org::rate_period).collect::<Result<_>>()?;
        Ok(RateBook { rows, periods })
    }

    fn row_for(&self, kind: RateKind, date: NaiveDate) -> Option<&RateTypeRow> {
        self.rows
            .iter()
            .zip(&self.periods)
            .find(|(_, p)| p.kind == kind && p.contains(date))
            .map(|(r, _)| r)
    }

    fn kind_of(&self, rate_type_id: i64) -> Result<RateKind> {
        self.rows
            .iter()
            .zip(&self.periods)
            .find(|(r, _)| r.id == rate_type_id)
            .map(|(_, p)| p.kind)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("rate type {rate_type_id} is missing")))
    }

    /// The stored lines of priced figures (see `services::tf_codes`).
    fn line_rows(&self, report_id: i64, date: NaiveDate, lines: &[AllowanceLine]) -> Vec<LineRow> {
        tf_codes::line_rows(report_id, lines, |kind| self.row_for(kind, date))
    }
}

// ================================================================ audit

/// The audited fields of a report, by name.
fn audit_fields(row: &ReportRow) -> Map<String, Value> {
    let route: Value = serde_json::from_str(&row.route).unwrap_or(Value::Null);
    let fields = json!({
        "employment_id": row.employment_id,
        "rate_type_id": row.rate_type_id,
        "vehicle_id": row.vehicle_id,
        "trip_id": row.trip_id,
        "drive_date": row.drive_date,
        "purpose": row.purpose,
        "remark": row.remark,
        "distance_mode": row.distance_mode,
        "round_trip": row.is_round_trip,
        "route": route,
        "typed_distance_m": row.typed_distance_m,
        "starts_at_home": row.starts_at_home,
        "ends_at_home": row.ends_at_home,
        "four_km_rule": row.four_km_rule,
        "route_distance_m": row.route_distance_m,
        "home_work_deduction_m": row.home_work_deduction_m,
        "four_km_deduction_m": row.four_km_deduction_m,
        "reimbursable_m": row.reimbursable_m,
        "amount_ore": row.amount_ore,
        "status": row.status,
        "rejection_comment": row.rejection_comment,
        "account": row.account,
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `{"field": {"from": …, "to": …}}` for every field that differs; `None` when nothing does.
fn diff(before: Option<&ReportRow>, after: &ReportRow) -> Option<String> {
    let old = before.map(audit_fields).unwrap_or_default();
    let new = audit_fields(after);
    let mut changes = Map::new();
    for (field, to) in new {
        let from = old.get(&field).cloned().unwrap_or(Value::Null);
        if from != to {
            changes.insert(field, json!({"from": from, "to": to}));
        }
    }
    (!changes.is_empty()).then(|| Value::Object(changes).to_string())
}

/// One audit event for `after` (already written), with the fields changed since `before`.
fn record(
    conn: &mut DbConnection,
    actor: Option<i64>,
    action: &str,
    before: Option<&ReportRow>,
    after: &ReportRow,
    comment: Option<&str>,
    now: NaiveDateTime,
) -> Result<()> {
    repo::insert_event(
        conn,
        &repo::NewEvent {
            report_id: after.id,
            actor_user_id: actor,
            at: now,
            action,
            from_status: before.map(|b| b.status.as_str()),
            to_status: &after.status,
            version: after.version,
            changes: diff(before, after),
            comment,
        },
    )?;
    Ok(())
}

fn reload(conn: &mut DbConnection, id: i64) -> Result<ReportRow> {
    repo::find_report(conn, id)?.ok_or_else(|| Error::not_found("report"))
}

// ================================================================ re-pricing

/// Re-prices every report of `person_id` with a drive date in `years` (see
/// `domain::allowance::ledger` for the policy), writing the figures and lines that changed.
/// Other reports that changed get a version bump and a system event; `acting` (the report the
/// caller is changing) is left to the caller's own event.
fn reprice(
    conn: &mut DbConnection,
    rates: &RateBook,
    person_id: i64,
    years: &[i32],
    acting: i64,
    now: NaiveDateTime,
) -> Result<()> {
    let rows = repo::reports_of_person_in_years(conn, person_id, years)?;
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let stored_lines = repo::lines_of(conn, &ids)?;
    let mut lines_by_report: HashMap<i64, Vec<&LineRow>> = HashMap::new();
    for line in &stored_lines {
        lines_by_report
            .entry(line.report_id)
            .or_default()
            .push(line);
    }
    let mut ledger = Vec::with_capacity(rows.len());
    for row in &rows {
        let status = status_of(row)?;
        let frozen = if status.is_frozen() {
            Some(FrozenReport {
                four_km_deduction_m: row.four_km_deduction_m,
                lines: tf_codes::priced_lines(lines_by_report.get(&row.id).map_or(&[], |v| v))?,
            })
        } else {
            None
        };
        ledger.push(LedgerReport {
            report_id: row.id as u64,
            drive_date: row.drive_date,
            rate_kind: rates.kind_of(row.rate_type_id)?,
            distance_m: row.reimbursable_m + row.four_km_deduction_m,
            four_km_rule: row.four_km_rule,
            counted: status.is_counted(),
            frozen,
        });
    }
    let priced =
        price_person(&rates.periods, &ledger).map_err(|e| allowance_error("drive_date", e))?;
    for (row, figures) in rows.iter().zip(priced) {
        if status_of(row)?.is_frozen() {
            continue;
        }
        write_figures(
            conn,
            rates,
            row,
            &figures,
            lines_by_report.get(&row.id),
            acting,
            now,
        )?;
    }
    Ok(())
}

fn write_figures(
    conn: &mut DbConnection,
    rates: &RateBook,
    row: &ReportRow,
    figures: &PricedFigures,
    stored: Option<&Vec<&LineRow>>,
    acting: i64,
    now: NaiveDateTime,
) -> Result<()> {
    let new_lines = rates.line_rows(row.id, row.drive_date, &figures.lines);
    let old_lines: Vec<LineRow> = stored
        .map(|v| v.iter().map(|l| (*l).clone()).collect())
        .unwrap_or_default();
    let new_figures = ReportFigures {
        four_km_deduction_m: figures.four_km_deduction_m,
        reimbursable_m: figures.reimbursable_m,
        amount_ore: figures.amount_ore(),
    };
    let old_figures = ReportFigures {
        four_km_deduction_m: row.four_km_deduction_m,
        reimbursable_m: row.reimbursable_m,
        amount_ore: row.amount_ore,
    };
    if new_figures == old_figures && new_lines == old_lines {
        return Ok(());
    }
    if row.id != acting && !repo::bump_version(conn, row.id, row.version, now)? {
        // Report writers hold the person lock, but payroll moves approved reports to exported
        // on its own: this transaction lost that race and rolls back.
        return Err(Error::problem(
            ProblemKind::VersionConflict,
            format!(
                "report {} of the same person changed at the same time; try again",
                row.id
            ),
        ));
    }
    repo::set_figures(conn, row.id, &new_figures)?;
    repo::replace_lines(conn, row.id, &new_lines)?;
    if row.id != acting {
        let after = reload(conn, row.id)?;
        record(
            conn,
            None,
            "reprice",
            Some(row),
            &after,
            Some("re-priced after another report of the same person changed"),
            now,
        )?;
    }
    Ok(())
}

// ================================================================ approvers

/// The persons who may approve `row` on `today` (see the module docs).
fn responsible_approvers(org: &OrgSnapshot, row: &ReportRow, today: NaiveDate) -> Vec<u64> {
    let resolve = |date| {
        approver_rules::approvers_for(org, row.person_id as u64, row.employment_id as u64, date)
    };
    match resolve(today) {
        Ok(found) => found.person_ids(),
        Err(ApproverError::EmploymentNotValid { .. }) => resolve(row.drive_date)
            .map(|found| found.person_ids())
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// Whether the caller may read the report: its owner, an administrator, payroll, or one of its
/// responsible approvers today.
fn may_read(conn: &mut DbConnection, caller: Caller, row: &ReportRow) -> Result<bool> {
    if caller.admin || caller.payroll {
        return Ok(true);
    }
    let Some(me) = org::person_of_user_id(conn, caller.user_id)? else {
        return Ok(false);
    };
    if me.id == row.person_id {
        return Ok(true);
    }
    let org_snapshot = org::snapshot(conn)?;
    Ok(responsible_approvers(&org_snapshot, row, org::today()).contains(&(me.id as u64)))
}

fn readable(conn: &mut DbConnection, caller: Caller, id: i64) -> Result<ReportRow> {
    let row = reload(conn, id)?;
    if !may_read(conn, caller, &row)? {
        return Err(Error::forbidden(
            "you may read your own reports and those you approve",
        ));
    }
    Ok(row)
}

// ================================================================ views

fn views(conn: &mut DbConnection, rows: Vec<ReportRow>) -> Result<Vec<Report>> {
    let rates = RateBook::load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut lines: HashMap<i64, Vec<Line>> = HashMap::new();
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
    let person_ids: Vec<i64> = rows
        .iter()
        .map(|r| r.person_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let names: HashMap<i64, String> = org_repo::persons_by_ids(conn, &person_ids)?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
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
                distance_mode: mode_of(&row)?,
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
                status: status_of(&row)?,
                version: row.version,
                rejection_comment: row.rejection_comment.clone(),
                submitted_at: row.submitted_at.map(|t| t.and_utc()),
                decided_at: row.decided_at.map(|t| t.and_utc()),
                decided_by_user_id: row.decided_by_user_id,
                account: row.account.clone(),
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}

fn view(conn: &mut DbConnection, row: ReportRow) -> Result<Report> {
    views(conn, vec![row])?
        .pop()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("report view lost")))
}

// ================================================================ planning a report's distance

/// Which deduction rule a report gets.
#[derive(Debug, Clone, Copy)]
enum RulePlan {
    Standard,
    FourKm { border_m: i64 },
    Norddjurs,
}

/// The routes a report needs, to be asked for outside any transaction.
#[derive(Debug, Clone, Default)]
struct RouteNeeds {
    /// Through the report's stops (`calculated*`).
    driven: Option<(Profile, Vec<Waypoint>)>,
    /// Home to work, by car (the standard deduction, when no override applies).
    home_work: Option<(Profile, Vec<Waypoint>)>,
    /// Work through the non-home stops (Norddjurs).
    work_route: Option<(Profile, Vec<Waypoint>)>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Routes {
    driven: Option<i64>,
    home_work: Option<i64>,
    work_route: Option<i64>,
}

/// Everything checked and decided before the routes are known.
#[derive(Debug, Clone)]
struct Plan {
    person_id: i64,
    content: ReportContent,
    mode: DistanceMode,
    /// Typed (read) or trip (gps) metres; routed modes take `Routes::driven`.
    known_driven_m: Option<i64>,
    rule: RulePlan,
    override_m: Option<i64>,
    unit_allows_four_km: bool,
    needs: RouteNeeds,
}

fn is_home(stop: &Location, home: Option<&Location>, tolerance_m: f64) -> bool {
    home.is_some_and(|h| {
        stop.registry_address_id == h.registry_address_id
            || crate::address::distance_m(
                (stop.latitude, stop.longitude),
                (h.latitude, h.longitude),
            ) <= tolerance_m
    })
}

fn reject_field<T>(field: &str, value: &Option<T>, mode: DistanceMode, why: &str) -> Result<()> {
    if value.is_some() {
        return Err(Error::validation(
            field,
            format!("not used with distance mode {}: {why}", mode.as_str()),
        ));
    }
    Ok(())
}

/// Checks the input against the caller's organisation data (the report belongs to the
/// caller's person) and decides the deduction rule and the routes needed.
fn plan(
    conn: &mut DbConnection,
    norddjurs_method: bool,
    home_tolerance_m: f64,
    caller_user_id: i64,
    input: ReportInput,
) -> Result<Plan> {
    let me = org::my_person(conn, caller_user_id)?;
    let mode = input.distance_mode;
    let purpose = text("purpose", &input.purpose, PURPOSE_MAX)?;
    let remark = opt_text("remark", input.remark.as_deref(), REMARK_MAX)?;
    if input.route.len() > MAX_STOPS {
        return Err(Error::validation(
            "route",
            format!("at most {MAX_STOPS} stops"),
        ));
    }
    let route = input
        .route
        .into_iter()
        .enumerate()
        .map(|(i, stop)| stop.validated(&format!("route/{i}/")))
        .collect::<Result<Vec<_>>>()?;

    // Mode-specific inputs: each mode takes what it needs and refuses what it would ignore.
    let trip: Option<TripFacts> = match mode {
        DistanceMode::Gps => {
            for (field, present) in [
                ("drive_date", input.drive_date.is_some()),
                ("typed_distance_m", input.typed_distance_m.is_some()),
                ("starts_at_home", input.starts_at_home.is_some()),
                ("ends_at_home", input.ends_at_home.is_some()),
                ("route", !route.is_empty()),
            ] {
                if present {
                    return Err(Error::validation(
                        field,
                        "a GPS report takes its date, distance and home flags from its trip",
                    ));
                }
            }
            let trip_id = input
                .trip_id
                .ok_or_else(|| Error::validation("trip_id", "a GPS report needs its trip"))?;
            let trip = repo::find_trip(conn, trip_id)?
                .filter(|t| t.user_id == caller_user_id)
                .ok_or_else(|| Error::validation("trip_id", "no such trip of yours"))?;
            if trip.employment_id.is_some_and(|e| e != input.employment_id) {
                return Err(Error::validation(
                    "employment_id",
                    "the trip was recorded for another employment",
                ));
            }
            Some(trip)
        }
        DistanceMode::Read => {
            reject_field("trip_id", &input.trip_id, mode, "only for gps")?;
            None
        }
        DistanceMode::Calculated | DistanceMode::CalculatedWithoutExtraDistance => {
            reject_field("trip_id", &input.trip_id, mode, "only for gps")?;
            reject_field(
                "typed_distance_m",
                &input.typed_distance_m,
                mode,
                "the distance is the route's",
            )?;
            reject_field(
                "starts_at_home",
                &input.starts_at_home,
                mode,
                "it follows from the route",
            )?;
            reject_field(
                "ends_at_home",
                &input.ends_at_home,
                mode,
                "it follows from the route",
            )?;
            if route.len() < 2 {
                return Err(Error::validation(
                    "route",
                    "a calculated route needs at least two stops",
                ));
            }
            None
        }
    };
    let drive_date = match &trip {
        Some(t) => t.local_date,
        None => input
            .drive_date
            .ok_or_else(|| Error::validation("drive_date", "required"))?,
    };

    let employment = org_repo::find_employment(conn, input.employment_id)?
        .filter(|e| e.person_id == me.id)
        .ok_or_else(|| Error::validation("employment_id", "not one of your employments"))?;
    if !in_period(employment.start_date, employment.end_date, drive_date) {
        return Err(Error::validation(
            "employment_id",
            format!("the employment is not valid on {drive_date}"),
        ));
    }
    let unit = org_repo::find_org_unit(conn, employment.org_unit_id)?
        .ok_or_else(|| Error::not_found("org unit"))?;
    if input.four_km_rule && !unit.four_km_rule_allowed {
        return Err(allowance_error(
            "four_km_rule",
            AllowanceError::FourKmRuleNotAllowed,
        ));
    }

    if input.rate_kind == RateKind::CarHighAbove20k {
        return Err(Error::validation(
            "rate_kind",
            "car_high_above_20k is set by the 20,000 km rule; choose car_high",
        ));
    }
    let rates = RateBook::load(conn)?;
    let rate = rates
        .row_for(input.rate_kind, drive_date)
        .ok_or_else(|| {
            allowance_error(
                "rate_kind",
                AllowanceError::NoRate {
                    kind: input.rate_kind,
                    date: drive_date,
                },
            )
        })?
        .clone();
    let profile = if rate.is_bicycle {
        Profile::Bicycle
    } else {
        Profile::Driving
    };

    let vehicles = org_repo::vehicles_of(conn, me.id)?;
    let vehicle_id = match input
        .vehicle_id
        .or(trip.as_ref().and_then(|t| t.vehicle_id))
    {
        Some(id) => Some(
            vehicles
                .iter()
                .find(|v| v.id == id)
                .ok_or_else(|| Error::validation("vehicle_id", "not one of your vehicles"))?
                .id,
        ),
        None if rate.requires_license_plate => Some(
            vehicles
                .iter()
                .find(|v| v.is_primary)
                .ok_or_else(|| {
                    Error::validation(
                        "vehicle_id",
                        "this rate needs a vehicle; register one under /api/v1/me/vehicles",
                    )
                })?
                .id,
        ),
        None => None,
    };

    let typed_distance_m = match mode {
        DistanceMode::Read => {
            let typed = input
                .typed_distance_m
                .ok_or_else(|| Error::validation("typed_distance_m", "required for read"))?;
            if !(1..=MAX_TYPED_DISTANCE_M).contains(&typed) {
                return Err(Error::validation(
                    "typed_distance_m",
                    format!("must be between 1 and {MAX_TYPED_DISTANCE_M} metres"),
                ));
            }
            if remark.is_none() {
                return Err(Error::validation(
                    "remark",
                    "required when the distance is read off the odometer",
                ));
            }
            Some(typed)
        }
        _ => None,
    };

    let places = org::addresses_on(conn, me.id, drive_date)?;
    let home: Option<Location> = places.alternative_home.or(places.home).map(|a| a.location);
    let workplace = places
        .employments
        .into_iter()
        .find(|w| w.employment_id == employment.id);
    let override_m = workplace
        .as_ref()
        .and_then(|w| w.home_work_distance_override_m);
    let work: Option<Location> = workplace
        .and_then(|w| w.alternative_work.or(w.work))
        .map(|a| a.location);

    let (starts_at_home, ends_at_home, known_driven_m) = match (mode, &trip) {
        (DistanceMode::Gps, Some(t)) => (t.starts_at_home, t.ends_at_home, Some(t.distance_m)),
        (DistanceMode::Read, _) => (
            input.starts_at_home.unwrap_or(false),
            input.ends_at_home.unwrap_or(false),
            typed_distance_m,
        ),
        _ => (
            route
                .first()
                .is_some_and(|s| is_home(s, home.as_ref(), home_tolerance_m)),
            route
                .last()
                .is_some_and(|s| is_home(s, home.as_ref(), home_tolerance_m)),
            None,
        ),
    };

    let mut needs = RouteNeeds::default();
    if mode.is_routed() {
        needs.driven = Some((profile, route.iter().map(waypoint).collect()));
    }
    let deducts = mode != DistanceMode::CalculatedWithoutExtraDistance;
    // Norddjurs replaces the home-work deduction of routed and GPS reports: one starting at
    // home is paid the shorter of its route and the route from work through its other stops;
    // one that only ends at home gets no deduction (as OS2). Of a GPS trip only the end is
    // known, so one that starts and ends at home keeps the standard deduction.
    let norddjurs = norddjurs_method
        && !input.four_km_rule
        && match mode {
            DistanceMode::Calculated => true,
            DistanceMode::Gps => !(starts_at_home && ends_at_home),
            _ => false,
        };
    let rule = if input.four_km_rule {
        RulePlan::FourKm {
            // The person's own statement; before they make one, the unit's default.
            border_m: me
                .distance_to_border_m
                .or(unit.distance_to_border_m)
                .unwrap_or(0),
        }
    } else if norddjurs {
        if starts_at_home {
            let work = work.as_ref().ok_or_else(|| {
                Error::validation(
                    "employment_id",
                    format!("no work address is known for this employment on {drive_date}"),
                )
            })?;
            let mut points = vec![waypoint(work)];
            match &trip {
                Some(t) => points.push(Waypoint {
                    latitude: t.end_latitude,
                    longitude: t.end_longitude,
                }),
                None => points.extend(
                    route
                        .iter()
                        .filter(|s| !is_home(s, home.as_ref(), home_tolerance_m))
                        .map(waypoint),
                ),
            }
            // Only home stops: nothing to drive from work to, so the work route is 0 m.
            if points.len() >= 2 {
                needs.work_route = Some((profile, points));
            }
        }
        RulePlan::Norddjurs
    } else {
        RulePlan::Standard
    };
    let home_legs = starts_at_home || ends_at_home;
    if deducts
        && home_legs
        && matches!(rule, RulePlan::Standard)
        && override_m.is_none_or(|o| o <= 0)
    {
        let (Some(home), Some(work)) = (&home, &work) else {
            return Err(Error::validation(
                "starts_at_home",
                format!(
                    "the home-work deduction needs a home and a work address valid on {drive_date}"
                ),
            ));
        };
        needs.home_work = Some((Profile::Driving, vec![waypoint(home), waypoint(work)]));
    }

    let content = ReportContent {
        employment_id: employment.id,
        rate_type_id: rate.id,
        vehicle_id,
        trip_id: trip.as_ref().map(|t| t.id),
        drive_date,
        purpose,
        remark,
        distance_mode: mode.as_str().to_string(),
        is_round_trip: input.round_trip,
        route: serde_json::to_string(&route).map_err(|e| Error::Internal(e.into()))?,
        typed_distance_m,
        starts_at_home,
        ends_at_home,
        four_km_rule: input.four_km_rule,
        route_distance_m: 0,
        home_work_deduction_m: 0,
    };
    Ok(Plan {
        person_id: me.id,
        content,
        mode,
        known_driven_m,
        rule,
        override_m,
        unit_allows_four_km: unit.four_km_rule_allowed,
        needs,
    })
}

async fn ask(
    router: Option<&dyn RouteService>,
    need: &Option<(Profile, Vec<Waypoint>)>,
) -> Result<Option<i64>> {
    let Some((profile, points)) = need else {
        return Ok(None);
    };
    let router = router.ok_or_else(|| {
        Error::problem(
            ProblemKind::RouterUnavailable,
            "no route service is configured (KORSEL_ROUTER_URL), so this report's distance \
             cannot be calculated; use distance mode \"read\" or \"gps\", or a home-work \
             distance override",
        )
    })?;
    match router.route(*profile, points).await {
        Ok(metres) => Ok(Some(metres)),
        Err(RouteError::NoRoute(why)) => Err(Error::validation("route", why)),
        Err(e @ RouteError::Unavailable(_)) => {
            tracing::warn!(error = %e, "route service failed");
            Err(Error::problem(
                ProblemKind::RouterUnavailable,
                "the route service did not answer; try again shortly",
            ))
        }
    }
}

async fn fetch_routes(router: Option<&dyn RouteService>, needs: &RouteNeeds) -> Result<Routes> {
    Ok(Routes {
        driven: ask(router, &needs.driven).await?,
        home_work: ask(router, &needs.home_work).await?,
        work_route: ask(router, &needs.work_route).await?,
    })
}

/// The report's content with its distances, and its distance before the day's 4 km.
fn finish(plan: &Plan, routes: Routes) -> Result<(ReportContent, i64)> {
    let driven_m = match plan.known_driven_m {
        Some(m) => m,
        None => routes
            .driven
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("routed report without a route")))?,
    };
    let home_work = HomeWorkDistance {
        override_m: plan.override_m,
        route_m: routes.home_work.unwrap_or(0),
    };
    let home_rule = match plan.rule {
        RulePlan::Standard => HomeRule::Standard { home_work },
        RulePlan::FourKm { border_m } => HomeRule::FourKm {
            border_from_person_m: border_m,
            border_from_report_m: None,
        },
        RulePlan::Norddjurs => HomeRule::Norddjurs {
            work_route_m: routes.work_route.unwrap_or(0),
            home_work,
        },
    };
    let distance = trip_distance(&TripInput {
        mode: plan.mode,
        driven_m,
        starts_at_home: plan.content.starts_at_home,
        ends_at_home: plan.content.ends_at_home,
        round_trip: plan.content.is_round_trip,
        home_rule,
        org_unit_allows_four_km: plan.unit_allows_four_km,
    })
    .map_err(|e| allowance_error("route", e))?;
    let content = ReportContent {
        route_distance_m: distance.driven_m,
        home_work_deduction_m: distance.home_deduction_m,
        ..plan.content.clone()
    };
    Ok((content, distance.distance_m))
}

fn trip_taken(e: diesel::result::Error) -> Error {
    if is_unique_violation(&e) {
        Error::problem(
            ProblemKind::Conflict,
            "this trip already has a report; edit that one",
        )
    } else {
        e.into()
    }
}

// ================================================================ create and edit

async fn planned(ctx: &Context, user_id: i64, input: ReportInput) -> Result<(Plan, i64)> {
    let (norddjurs, tolerance) = (ctx.norddjurs_method, ctx.home_tolerance_m);
    let plan = ctx
        .db
        .run(move |c| plan(c, norddjurs, tolerance, user_id, input))
        .await?;
    let routes = fetch_routes(ctx.router.as_deref(), &plan.needs).await?;
    let (content, distance_m) = finish(&plan, routes)?;
    Ok((Plan { content, ..plan }, distance_m))
}

/// A new report of the caller, as a draft.
pub async fn create(ctx: &Context, caller: Caller, input: ReportInput) -> Result<Report> {
    if input.version.is_some() {
        return Err(Error::validation("version", "a new report has no version"));
    }
    let user_id = caller.user_id;
    let (plan, distance_m) = planned(ctx, user_id, input).await?;
    ctx.db
        .run(move |c| {
            write_transaction(c, |c| {
                let now = db::utc_now();
                repo::lock_person(c, plan.person_id)?;
                let id = repo::insert_report(
                    c,
                    plan.person_id,
                    &plan.content,
                    ReportStatus::Draft.as_str(),
                    user_id,
                    now,
                )
                .map_err(trip_taken)?;
                repo::set_figures(
                    c,
                    id,
                    &ReportFigures {
                        four_km_deduction_m: 0,
                        reimbursable_m: distance_m,
                        amount_ore: 0,
                    },
                )?;
                let rates = RateBook::load(c)?;
                reprice(
                    c,
                    &rates,
                    plan.person_id,
                    &years_of([plan.content.drive_date]),
                    id,
                    now,
                )?;
                let after = reload(c, id)?;
                record(c, Some(user_id), "create", None, &after, None, now)?;
                view(c, after)
            })
        })
        .await
}

/// The owner replaces the content of a draft, pending or rejected report (a rejected one is
/// resubmitted as pending). In place: the id, the history and the lines' report stay.
pub async fn update(
    ctx: &Context,
    caller: Caller,
    id: i64,
    header: Option<Expected>,
    input: ReportInput,
) -> Result<Report> {
    let expected = header
        .or(input.version.map(Expected::Body))
        .ok_or_else(precondition_required)?;
    let user_id = caller.user_id;
    // Refuse early (before asking the router) what the transaction would refuse anyway.
    ctx.db
        .run(move |c| {
            let row = reload(c, id)?;
            let me = org::my_person(c, user_id)?;
            if row.person_id != me.id {
                return Err(Error::forbidden("only the report's owner may edit it"));
            }
            expected.check(row.version)?;
            state::edit(status_of(&row)?, me.id as u64, row.person_id as u64)
                .map_err(transition_error)?;
            Ok(())
        })
        .await?;
    let (plan, distance_m) = planned(ctx, user_id, input).await?;
    ctx.db
        .run(move |c| {
            write_transaction(c, |c| {
                let now = db::utc_now();
                repo::lock_person(c, plan.person_id)?;
                let before = reload(c, id)?;
                if before.person_id != plan.person_id {
                    return Err(Error::forbidden("only the report's owner may edit it"));
                }
                expected.check(before.version)?;
                let from = status_of(&before)?;
                let to = state::edit(from, plan.person_id as u64, before.person_id as u64)
                    .map_err(transition_error)?;
                if !repo::bump_version(c, id, before.version, now)? {
                    return Err(expected.stale(before.version + 1));
                }
                repo::set_content(c, id, &plan.content).map_err(trip_taken)?;
                repo::set_figures(
                    c,
                    id,
                    &ReportFigures {
                        four_km_deduction_m: 0,
                        reimbursable_m: distance_m,
                        amount_ore: before.amount_ore,
                    },
                )?;
                if to != from {
                    repo::set_status(
                        c,
                        id,
                        &StatusChange {
                            status: to.as_str().to_string(),
                            rejection_comment: None,
                            submitted_at: Some(now),
                            decided_at: None,
                            decided_by_user_id: None,
                            // The next approval books it anew.
                            account: None,
                        },
                    )?;
                }
                let rates = RateBook::load(c)?;
                reprice(
                    c,
                    &rates,
                    plan.person_id,
                    &years_of([before.drive_date, plan.content.drive_date]),
                    id,
                    now,
                )?;
                let after = reload(c, id)?;
                record(c, Some(user_id), "edit", Some(&before), &after, None, now)?;
                view(c, after)
            })
        })
        .await
}

fn precondition_required() -> Error {
    Error::problem(
        ProblemKind::PreconditionRequired,
        "send the version you last saw: an If-Match: \"<version>\" header or \"version\" in the body",
    )
}

// ================================================================ lifecycle

/// A change of status, by the owner, an approver or an administrator.
#[derive(Debug, Clone)]
pub enum Decision {
    Submit,
    Withdraw,
    /// `account`: 10 digits, when the approver books the report to another account.
    Approve {
        comment: Option<String>,
        account: Option<String>,
    },
    Reject {
        comment: String,
    },
    AdminReject {
        comment: String,
    },
}

impl Decision {
    fn action(&self) -> Action {
        match self {
            Decision::Submit => Action::Submit,
            Decision::Withdraw => Action::Withdraw,
            Decision::Approve { .. } => Action::Approve,
            Decision::Reject { .. } => Action::Reject,
            Decision::AdminReject { .. } => Action::AdminRejectApproved,
        }
    }

    fn comment(&self) -> Option<&str> {
        match self {
            Decision::Submit | Decision::Withdraw => None,
            Decision::Approve { comment, .. } => comment.as_deref(),
            Decision::Reject { comment } | Decision::AdminReject { comment } => Some(comment),
        }
    }
}

/// Checks the caller's right to take `decision` on `row` and gives the new status.
fn authorise(
    conn: &mut DbConnection,
    caller: Caller,
    row: &ReportRow,
    decision: &Decision,
) -> Result<ReportStatus> {
    let from = status_of(row)?;
    let owner = row.person_id as u64;
    let me = org::person_of_user_id(conn, caller.user_id)?;
    let me_id = me.as_ref().map(|p| p.id as u64);
    let outcome = match decision {
        Decision::Submit | Decision::Withdraw => {
            let Some(me_id) = me_id else {
                return Err(Error::forbidden("only the report's owner may do this"));
            };
            if matches!(decision, Decision::Submit) {
                state::submit(from, me_id, owner)
            } else {
                state::withdraw(from, me_id, owner)
            }
        }
        Decision::Approve { .. } | Decision::Reject { .. } => {
            if !caller.approver {
                return Err(Error::forbidden("this requires the approver role"));
            }
            let Some(me_id) = me_id else {
                return Err(Error::forbidden(
                    "no person is linked to your user account, so you approve nobody",
                ));
            };
            let org_snapshot = org::snapshot(conn)?;
            let approvers = responsible_approvers(&org_snapshot, row, org::today());
            match decision {
                Decision::Reject { comment } => {
                    state::reject(from, me_id, owner, &approvers, comment)
                }
                _ => state::approve(from, me_id, owner, &approvers),
            }
        }
        Decision::AdminReject { comment } => {
            state::admin_reject_approved(from, caller.admin, comment)
        }
    };
    outcome.map_err(transition_error)
}

fn status_change(
    row: &ReportRow,
    to: ReportStatus,
    decision: &Decision,
    caller: Caller,
    now: NaiveDateTime,
) -> StatusChange {
    match decision {
        Decision::Submit => StatusChange {
            status: to.as_str().to_string(),
            rejection_comment: None,
            submitted_at: Some(now),
            decided_at: None,
            decided_by_user_id: None,
            account: row.account.clone(),
        },
        Decision::Withdraw => StatusChange {
            status: to.as_str().to_string(),
            rejection_comment: None,
            submitted_at: row.submitted_at,
            decided_at: None,
            decided_by_user_id: None,
            account: row.account.clone(),
        },
        Decision::Approve { account, .. } => StatusChange {
            status: to.as_str().to_string(),
            rejection_comment: None,
            submitted_at: row.submitted_at,
            decided_at: Some(now),
            decided_by_user_id: Some(caller.user_id),
            account: account.clone(),
        },
        Decision::Reject { comment } | Decision::AdminReject { comment } => StatusChange {
            status: to.as_str().to_string(),
            rejection_comment: Some(comment.clone()),
            submitted_at: row.submitted_at,
            decided_at: Some(now),
            decided_by_user_id: Some(caller.user_id),
            account: row.account.clone(),
        },
    }
}

/// Takes `decision` on report `id` in one transaction: authorisation, version, status,
/// re-pricing of the person's year, audit event.
pub fn decide(
    conn: &mut DbConnection,
    caller: Caller,
    id: i64,
    expected: Option<Expected>,
    decision: Decision,
) -> Result<Report> {
    let expected = expected.ok_or_else(precondition_required)?;
    if let Decision::Approve {
        account: Some(account),
        ..
    } = &decision
    {
        if !(account.len() == 10 && account.bytes().all(|b| b.is_ascii_digit())) {
            return Err(Error::validation("account", "must be 10 digits"));
        }
    }
    if let Some(comment) = decision.comment() {
        if comment.chars().count() > COMMENT_MAX {
            return Err(Error::validation(
                "comment",
                format!("at most {COMMENT_MAX} characters"),
            ));
        }
    }
    write_transaction(conn, |c| {
        let now = db::utc_now();
        let person_id = reload(c, id)?.person_id;
        repo::lock_person(c, person_id)?;
        let before = reload(c, id)?;
        // A stale caller is told so, rather than that the status moved on (a racing approver
        // gets 409 version-conflict, not "cannot approve an approved report").
        let to = match authorise(c, caller, &before, &decision) {
            Err(e) if e.kind() == ProblemKind::Conflict => {
                expected.check(before.version)?;
                return Err(e);
            }
            other => other?,
        };
        expected.check(before.version)?;
        if !repo::bump_version(c, id, before.version, now)? {
            return Err(expected.stale(before.version + 1));
        }
        repo::set_status(c, id, &status_change(&before, to, &decision, caller, now))?;
        let rates = RateBook::load(c)?;
        reprice(
            c,
            &rates,
            before.person_id,
            &years_of([before.drive_date]),
            id,
            now,
        )?;
        let after = reload(c, id)?;
        record(
            c,
            Some(caller.user_id),
            decision.action().as_str(),
            Some(&before),
            &after,
            decision.comment(),
            now,
        )?;
        view(c, after)
    })
}

/// The owner deletes a draft that was never submitted (a report that was ever submitted keeps
/// its audit trail; withdraw it instead).
pub fn delete(
    conn: &mut DbConnection,
    caller: Caller,
    id: i64,
    expected: Option<Expected>,
) -> Result<()> {
    let expected = expected.ok_or_else(precondition_required)?;
    write_transaction(conn, |c| {
        let row = reload(c, id)?;
        let me = org::person_of_user_id(c, caller.user_id)?;
        if me.map(|p| p.id) != Some(row.person_id) {
            return Err(Error::forbidden("only the report's owner may delete it"));
        }
        expected.check(row.version)?;
        if status_of(&row)? != ReportStatus::Draft || row.submitted_at.is_some() {
            return Err(Error::problem(
                ProblemKind::Conflict,
                "only a draft that was never submitted can be deleted; withdraw a pending report",
            ));
        }
        // The version gate also here, so that an edit racing the delete is not lost silently.
        if !repo::bump_version(c, id, row.version, db::utc_now())? {
            return Err(expected.stale(row.version + 1));
        }
        // A draft counts for nothing, so no other report changes.
        repo::delete_report(c, id)?;
        Ok(())
    })
}

// ================================================================ reading

pub fn get(conn: &mut DbConnection, caller: Caller, id: i64) -> Result<Report> {
    let row = readable(conn, caller, id)?;
    view(conn, row)
}

pub fn history(conn: &mut DbConnection, caller: Caller, id: i64) -> Result<Vec<Event>> {
    readable(conn, caller, id)?;
    let events = repo::events_of(conn, id)?;
    let mut usernames: HashMap<i64, Option<String>> = HashMap::new();
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
    pub person_id: Option<i64>,
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
        status: query.status.map(|s| s.as_str().to_string()),
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
    pub person_id: Option<i64>,
    #[serde(default)]
    pub employment_id: Option<i64>,
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    #[serde(default)]
    pub sort: QueueSort,
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
        status: Some(ReportStatus::Pending.as_str().to_string()),
        from: query.from,
        to: query.to,
    };
    let org_snapshot = org::snapshot(conn)?;
    let today = org::today();
    let mut mine: Vec<ReportRow> = repo::all_reports(conn, &filter)?
        .into_iter()
        .filter(|r| query.employment_id.is_none_or(|e| e == r.employment_id))
        .filter(|r| responsible_approvers(&org_snapshot, r, today).contains(&(me.id as u64)))
        .collect();
    match query.sort {
        QueueSort::OldestFirst => {}
        QueueSort::NewestFirst => mine.reverse(),
        QueueSort::LargestAmountFirst => mine.sort_by_key(|r| std::cmp::Reverse(r.amount_ore)),
    }
    let total = mine.len() as i64;
    let rows: Vec<ReportRow> = mine
        .into_iter()
        .skip(page.offset() as usize)
        .take(page.limit() as usize)
        .collect();
    Ok(Page::new(views(conn, rows)?, page, total))
}

/// One report of a bulk approval.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkItem {
    pub id: i64,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    Approved,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkResult {
    pub id: i64,
    pub outcome: BulkOutcome,
    /// The new version (approved).
    pub version: Option<i64>,
    /// Why it failed: the problem the single approval would have answered.
    pub problem: Option<Value>,
}

/// Approves each item on its own (per-item results, not all-or-nothing): a stale or foreign
/// report fails alone, with the problem a single approval would give, and the others go
/// through. Items are taken in the order given, each in its own transaction.
pub async fn bulk_approve(
    ctx: &Context,
    caller: Caller,
    items: Vec<BulkItem>,
    comment: Option<String>,
) -> Result<Vec<BulkResult>> {
    if !caller.approver {
        return Err(Error::forbidden("this requires the approver role"));
    }
    if items.is_empty() || items.len() > MAX_BULK {
        return Err(Error::validation(
            "items",
            format!("between 1 and {MAX_BULK} reports"),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let comment = comment.clone();
        let outcome = ctx
            .db
            .run(move |c| {
                decide(
                    c,
                    caller,
                    item.id,
                    Some(Expected::Body(item.version)),
                    Decision::Approve {
                        comment,
                        account: None,
                    },
                )
            })
            .await;
        out.push(match outcome {
            Ok(report) => BulkResult {
                id: item.id,
                outcome: BulkOutcome::Approved,
                version: Some(report.version),
                problem: None,
            },
            Err(Error::Problem(p)) => BulkResult {
                id: item.id,
                outcome: BulkOutcome::Failed,
                version: None,
                problem: Some(json!({
                    "type": p.kind.type_uri(),
                    "status": p.kind.status(),
                    "detail": p.detail,
                })),
            },
            Err(internal) => return Err(internal),
        });
    }
    Ok(out)
}

// ================================================================ summary

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
    let counted: Vec<i64> = rows
        .iter()
        .filter(|r| status_of(r).is_ok_and(|s| s.is_counted()))
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
        let status = status_of(row)?;
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
        .filter(|l| seen.insert((l.report_id, l.rate_kind.clone())))
        .filter(|l| l.rate_kind == RateKind::CarHigh.as_str())
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
