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

mod audit;
mod flags;
mod lifecycle;
mod payroll_return;
mod plan;
mod pricing;
mod queries;
mod waiting;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::reports::{self as repo, ReportRow};
use crate::db::{Database, DbConnection};
use crate::domain::allowance::{AllowanceError, DistanceMode, RateKind};
use crate::domain::ids::{EmploymentId, PersonId, RateTypeId, ReportId, TripId, UserId, VehicleId};
use crate::domain::report::{
    Actor, DriveReport, Refusal, ReportState, ReportStatus, TransitionError,
};
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::routing::RouteService;
use crate::services::org::{self, Location};

pub use crate::domain::report::Decision;
pub use flags::{flags, Flag, GPS_UNCERTAIN_PERCENT};
pub use lifecycle::{
    bulk_approve, create, create_in, decide, delete, plan_new, update, BulkItem, BulkOutcome,
    BulkResult, PlannedReport, Source,
};
pub use payroll_return::{return_from_payroll, ReturnReport};
pub use queries::{
    get, history, list, queue, summary, ListQuery, QueueQuery, QueueSort, StatusTotals, Summary,
};
pub use waiting::{waiting_overview, waiting_per_approver, Waiting, WaitingGroup, WaitingOverview};

const REMARK_MAX: usize = 1_000;
const MAX_STOPS: usize = 50;
use crate::domain::report_limits::MAX_DRIVEN_DISTANCE_M as MAX_TYPED_DISTANCE_M;
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
    /// The most one report may pay, øre (`KORSEL_REPORT_MAX_AMOUNT_KR`).
    pub max_amount_ore: i64,
}

/// The authenticated caller, as the report rules see them.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub user_id: UserId,
    pub admin: bool,
    pub approver: bool,
    pub payroll: bool,
}

impl Caller {
    /// Administrators and payroll see every report.
    fn sees_all(self) -> bool {
        self.admin || self.payroll
    }
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
    pub employment_id: EmploymentId,
    /// `car_high` (with a driving authorisation), `car_low` or `bicycle`.
    pub rate_kind: RateKind,
    #[serde(default)]
    pub vehicle_id: Option<VehicleId>,
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
    pub trip_id: Option<TripId>,
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
    pub rate_kind: RateKind,
    /// The km of the line in metres (a multiple of 10: km with two decimals).
    pub distance_m: i64,
    pub ore_per_km: i64,
    pub amount_ore: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: ReportId,
    pub person_id: PersonId,
    pub person_name: String,
    pub employment_id: EmploymentId,
    pub rate_type_id: RateTypeId,
    pub rate_kind: RateKind,
    pub vehicle_id: Option<VehicleId>,
    pub trip_id: Option<TripId>,
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
    pub decided_by_user_id: Option<UserId>,
    /// The account the approver booked the report to; `None`: the employment's default.
    pub account: Option<String>,
    /// Codes for the approver to look at (reports from the phone apps), e.g.
    /// `app_distance_differs`.
    pub review_flags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `null` for a change the system made (a re-pricing after another report changed).
    pub actor_user_id: Option<UserId>,
    pub actor_username: Option<String>,
    pub action: String,
    pub from_status: Option<ReportStatus>,
    pub to_status: ReportStatus,
    pub version: i64,
    /// `{"field": {"from": …, "to": …}}`.
    pub changes: Option<Value>,
    pub comment: Option<String>,
}

// ================================================================ small helpers

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

/// The HTTP answer to a refused transition: a state that does not allow it is a conflict, a
/// missing comment a validation error, an actor without the right forbidden.
fn refusal(e: Refusal) -> Error {
    match e {
        Refusal::Transition(TransitionError::InvalidTransition { .. }) | Refusal::NotDeletable => {
            Error::problem(ProblemKind::Conflict, e.to_string())
        }
        Refusal::Transition(TransitionError::CommentRequired(_)) => {
            Error::validation("comment", e.to_string())
        }
        Refusal::Transition(
            TransitionError::NotOwner(_)
            | TransitionError::SelfApproval
            | TransitionError::NotResponsibleApprover
            | TransitionError::NotAdmin(_),
        )
        | Refusal::ApproverRoleRequired
        | Refusal::NoPersonLinked
        | Refusal::NotOwnerDelete => Error::forbidden(e.to_string()),
    }
}

/// The aggregate's view of a stored report.
fn aggregate(row: &ReportRow) -> Result<DriveReport> {
    Ok(DriveReport {
        id: row.id,
        owner: row.person_id,
        state: ReportState {
            status: row.status,
            version: row.version,
            rejection_comment: row.rejection_comment.clone(),
            submitted_at: row.submitted_at,
            decided_at: row.decided_at,
            decided_by_user_id: row.decided_by_user_id,
            account: row.account.clone(),
        },
    })
}

/// The caller as the aggregate sees them: with the person linked to their account.
fn actor(conn: &mut DbConnection, caller: Caller) -> Result<Actor> {
    Ok(Actor {
        user_id: caller.user_id,
        person_id: org::person_of_user_id(conn, caller.user_id)?.map(|p| p.id),
        admin: caller.admin,
        approver: caller.approver,
    })
}

fn years_of(dates: impl IntoIterator<Item = NaiveDate>) -> Vec<i32> {
    dates
        .into_iter()
        .map(|d| d.year())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn reload(conn: &mut DbConnection, id: ReportId) -> Result<ReportRow> {
    repo::find_report(conn, id)?.ok_or_else(|| Error::not_found("report"))
}

fn precondition_required() -> Error {
    Error::problem(
        ProblemKind::PreconditionRequired,
        "send the version you last saw: an If-Match: \"<version>\" header or \"version\" in the body",
    )
}
