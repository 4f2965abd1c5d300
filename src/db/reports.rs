//! Drive reports, their priced lines and their audit events; and the few trip columns a report
//! made from a GPS trip needs. Plain queries; the rules live in services and domain.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::allowance::{DistanceMode, RateKind};
use crate::domain::ids::{EmploymentId, PersonId, RateTypeId, ReportId, TripId, UserId, VehicleId};
use crate::domain::report_state::ReportStatus;

use super::schema::{drive_reports, persons, report_events, report_lines, trips};
use super::DbConnection;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = drive_reports)]
pub struct ReportRow {
    pub id: ReportId,
    pub person_id: PersonId,
    pub employment_id: EmploymentId,
    pub rate_type_id: RateTypeId,
    pub vehicle_id: Option<VehicleId>,
    pub trip_id: Option<TripId>,
    pub drive_date: NaiveDate,
    pub purpose: String,
    pub remark: Option<String>,
    pub distance_mode: DistanceMode,
    pub is_round_trip: bool,
    pub route: String,
    pub typed_distance_m: Option<i64>,
    pub starts_at_home: bool,
    pub ends_at_home: bool,
    pub four_km_rule: bool,
    pub route_distance_m: i64,
    pub home_work_deduction_m: i64,
    pub four_km_deduction_m: i64,
    pub reimbursable_m: i64,
    pub amount_ore: i64,
    pub status: ReportStatus,
    pub version: i64,
    pub rejection_comment: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by_user_id: Option<UserId>,
    pub created_by_user_id: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The account an approver booked the report to, if not the employment's default.
    pub account: Option<String>,
    /// JSON array of codes for the approver (reports from the phone apps).
    pub review_flags: Option<String>,
}

/// What the owner's input and the distance rules decide: written on create and on every edit.
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = drive_reports, treat_none_as_null = true)]
pub struct ReportContent {
    pub employment_id: EmploymentId,
    pub rate_type_id: RateTypeId,
    pub vehicle_id: Option<VehicleId>,
    pub trip_id: Option<TripId>,
    pub drive_date: NaiveDate,
    pub purpose: String,
    pub remark: Option<String>,
    pub distance_mode: DistanceMode,
    pub is_round_trip: bool,
    pub route: String,
    pub typed_distance_m: Option<i64>,
    pub starts_at_home: bool,
    pub ends_at_home: bool,
    pub four_km_rule: bool,
    pub route_distance_m: i64,
    pub home_work_deduction_m: i64,
}

/// The figures that re-pricing decides (see `domain::allowance::ledger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = drive_reports)]
pub struct ReportFigures {
    pub four_km_deduction_m: i64,
    pub reimbursable_m: i64,
    pub amount_ore: i64,
}

/// A change of status and its bookkeeping.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = drive_reports, treat_none_as_null = true)]
pub struct StatusChange {
    pub status: ReportStatus,
    pub rejection_comment: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by_user_id: Option<UserId>,
    pub account: Option<String>,
}

pub fn insert_report(
    conn: &mut DbConnection,
    person_id: PersonId,
    content: &ReportContent,
    status: ReportStatus,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<ReportId> {
    diesel::insert_into(drive_reports::table)
        .values((
            content,
            drive_reports::person_id.eq(person_id),
            drive_reports::four_km_deduction_m.eq(0),
            drive_reports::reimbursable_m.eq(0),
            drive_reports::amount_ore.eq(0),
            drive_reports::status.eq(status),
            drive_reports::version.eq(1),
            drive_reports::created_by_user_id.eq(user_id),
            drive_reports::created_at.eq(now),
            drive_reports::updated_at.eq(now),
        ))
        .returning(drive_reports::id)
        .get_result(conn)
}

/// Sets the codes the approver should look at (a JSON array), or clears them.
pub fn set_review_flags(
    conn: &mut DbConnection,
    id: ReportId,
    flags: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(drive_reports::table.find(id))
        .set(drive_reports::review_flags.eq(flags))
        .execute(conn)
}

pub fn find_report(conn: &mut DbConnection, id: ReportId) -> QueryResult<Option<ReportRow>> {
    drive_reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

/// The gate of every change: bumps `version` to `version + 1` only when the report still has
/// `version`, and says whether it did. Run first in the transaction; on PostgreSQL it also takes
/// the row lock, so of two racing writers exactly one sees `true`.
pub fn bump_version(
    conn: &mut DbConnection,
    id: ReportId,
    version: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let rows = diesel::update(
        drive_reports::table
            .find(id)
            .filter(drive_reports::version.eq(version)),
    )
    .set((
        drive_reports::version.eq(version + 1),
        drive_reports::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(rows == 1)
}

/// A writer per part of a report that is stored as a whole (each part is a diesel changeset).
macro_rules! report_part_writers {
    ($($(#[$doc:meta])* $name:ident($part:ty);)*) => {$(
        $(#[$doc])*
        pub fn $name(conn: &mut DbConnection, id: ReportId, part: &$part) -> QueryResult<usize> {
            diesel::update(drive_reports::table.find(id))
                .set(part)
                .execute(conn)
        }
    )*};
}

report_part_writers! {
    /// What the employee entered.
    set_content(ReportContent);
    /// What korsel computed from it.
    set_figures(ReportFigures);
    /// A move to another status, as the report aggregate decided it.
    set_status(StatusChange);
}

pub fn delete_report(conn: &mut DbConnection, id: ReportId) -> QueryResult<usize> {
    diesel::delete(report_events::table.filter(report_events::report_id.eq(id))).execute(conn)?;
    diesel::delete(report_lines::table.filter(report_lines::report_id.eq(id))).execute(conn)?;
    diesel::delete(drive_reports::table.find(id)).execute(conn)
}

/// Serialises the writers of one person's reports: re-pricing reads all of them, so two
/// transactions for the same person must not interleave. A no-op update takes the row lock on
/// PostgreSQL; SQLite has one writer anyway (`BEGIN IMMEDIATE`).
pub fn lock_person(conn: &mut DbConnection, person_id: PersonId) -> QueryResult<usize> {
    diesel::update(persons::table.find(person_id))
        .set(persons::updated_at.eq(persons::updated_at))
        .execute(conn)
}

/// Every report of a person with a drive date in one of `years`.
pub fn reports_of_person_in_years(
    conn: &mut DbConnection,
    person_id: PersonId,
    years: &[i32],
) -> QueryResult<Vec<ReportRow>> {
    let mut out = Vec::new();
    for &year in years {
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            continue;
        };
        out.extend(
            drive_reports::table
                .filter(drive_reports::person_id.eq(person_id))
                .filter(drive_reports::drive_date.between(first, last))
                .order(drive_reports::id.asc())
                .select(ReportRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Filters of a report listing; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub person_ids: Option<Vec<PersonId>>,
    pub status: Option<ReportStatus>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

type Backend = <DbConnection as Connection>::Backend;

fn filtered(filter: &ReportFilter) -> drive_reports::BoxedQuery<'static, Backend> {
    let mut query = drive_reports::table.into_boxed();
    if let Some(persons) = &filter.person_ids {
        query = query.filter(drive_reports::person_id.eq_any(persons.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(drive_reports::status.eq(*status));
    }
    if let Some(from) = filter.from {
        query = query.filter(drive_reports::drive_date.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(drive_reports::drive_date.le(to));
    }
    query
}

pub fn count_reports(conn: &mut DbConnection, filter: &ReportFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// Newest drive date first (then newest report), a page at a time.
pub fn list_reports(
    conn: &mut DbConnection,
    filter: &ReportFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<ReportRow>> {
    filtered(filter)
        .order((drive_reports::drive_date.desc(), drive_reports::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(ReportRow::as_select())
        .load(conn)
}

/// Every report matching `filter`, oldest drive date first (for the approval queue, whose
/// approver check is done in the service).
pub fn all_reports(conn: &mut DbConnection, filter: &ReportFilter) -> QueryResult<Vec<ReportRow>> {
    filtered(filter)
        .order((drive_reports::drive_date.asc(), drive_reports::id.asc()))
        .select(ReportRow::as_select())
        .load(conn)
}

// ---------------------------------------------------------------- lines

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_lines)]
pub struct LineRow {
    pub report_id: ReportId,
    pub position: i64,
    pub tf_code: String,
    pub rate_kind: RateKind,
    pub distance_m: i64,
    pub ore_per_km: i64,
    pub amount_ore: i64,
}

pub fn lines_of(conn: &mut DbConnection, report_ids: &[ReportId]) -> QueryResult<Vec<LineRow>> {
    report_lines::table
        .filter(report_lines::report_id.eq_any(report_ids))
        .order((report_lines::report_id.asc(), report_lines::position.asc()))
        .select(LineRow::as_select())
        .load(conn)
}

/// The lines are derived from the report (never edited on their own), so a re-pricing replaces
/// them, inside the report's transaction. One row per statement (MultiConnection).
pub fn replace_lines(
    conn: &mut DbConnection,
    report_id: ReportId,
    lines: &[LineRow],
) -> QueryResult<()> {
    diesel::delete(report_lines::table.filter(report_lines::report_id.eq(report_id)))
        .execute(conn)?;
    for line in lines {
        diesel::insert_into(report_lines::table)
            .values(line)
            .execute(conn)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- events

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = report_events)]
pub struct EventRow {
    pub id: i64,
    pub report_id: ReportId,
    pub actor_user_id: Option<UserId>,
    pub at: NaiveDateTime,
    pub action: String,
    pub from_status: Option<ReportStatus>,
    pub to_status: ReportStatus,
    pub version: i64,
    pub changes: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = report_events)]
pub struct NewEvent<'a> {
    pub report_id: ReportId,
    pub actor_user_id: Option<UserId>,
    pub at: NaiveDateTime,
    pub action: &'a str,
    pub from_status: Option<ReportStatus>,
    pub to_status: ReportStatus,
    pub version: i64,
    pub changes: Option<String>,
    pub comment: Option<&'a str>,
}

pub fn insert_event(conn: &mut DbConnection, event: &NewEvent<'_>) -> QueryResult<usize> {
    diesel::insert_into(report_events::table)
        .values(event)
        .execute(conn)
}

pub fn events_of(conn: &mut DbConnection, report_id: ReportId) -> QueryResult<Vec<EventRow>> {
    report_events::table
        .filter(report_events::report_id.eq(report_id))
        .order(report_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)
}

/// Which of these reports have at least one event with this action (e.g. `reject`).
pub fn reports_with_event(
    conn: &mut DbConnection,
    report_ids: &[ReportId],
    action: &str,
) -> QueryResult<Vec<ReportId>> {
    report_events::table
        .filter(report_events::report_id.eq_any(report_ids))
        .filter(report_events::action.eq(action))
        .select(report_events::report_id)
        .distinct()
        .load(conn)
}

// ---------------------------------------------------------------- trips

/// `(trip id, distance_m, uncertainty_m)` of these trips.
pub fn trip_uncertainties(
    conn: &mut DbConnection,
    trip_ids: &[TripId],
) -> QueryResult<Vec<(TripId, i64, i64)>> {
    trips::table
        .filter(trips::id.eq_any(trip_ids))
        .select((trips::id, trips::distance_m, trips::uncertainty_m))
        .load(conn)
}

/// The columns of a GPS trip (issue 4) that a report made from it takes.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = trips)]
pub struct TripFacts {
    pub id: TripId,
    pub user_id: UserId,
    pub local_date: NaiveDate,
    pub distance_m: i64,
    pub starts_at_home: bool,
    pub ends_at_home: bool,
    pub starts_at_work: bool,
    pub ends_at_work: bool,
    pub employment_id: Option<EmploymentId>,
    pub vehicle_id: Option<VehicleId>,
    pub purpose: Option<String>,
    pub end_latitude: f64,
    pub end_longitude: f64,
}

pub fn find_trip(conn: &mut DbConnection, id: TripId) -> QueryResult<Option<TripFacts>> {
    trips::table
        .find(id)
        .select(TripFacts::as_select())
        .first(conn)
        .optional()
}
