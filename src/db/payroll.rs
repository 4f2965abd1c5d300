//! Payroll batches, the ledger, the snapshot of the batches' lines and the connector API keys.
//!
//! A batch moves whole sets of reports, so its statements are set-based SQL (`INSERT ... SELECT`,
//! `UPDATE ... WHERE id IN (SELECT ...)`): a batch of 100,000 reports costs a handful of
//! statements, not 400,000 round trips. They are written once for both backends with `$1, $2, …`
//! placeholders: PostgreSQL's own syntax, and to SQLite named parameters that it numbers in order
//! of first appearance, which is why every statement below first mentions `$1`, then `$2`, and so
//! on. Sums are cast to BIGINT because PostgreSQL sums BIGINT as NUMERIC.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Text, Timestamp};

use crate::domain::allowance::RateKind;
use crate::domain::ids::{BatchId, ReportId, UserId};
use crate::domain::report_state::ReportStatus;

use super::queries::table_queries;
use super::schema::{payroll_api_keys, payroll_batches, payroll_ledger, payroll_lines};
use super::DbConnection;

// ---------------------------------------------------------------- batches

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = payroll_batches)]
pub struct BatchRow {
    pub id: BatchId,
    pub format: String,
    pub up_to: NaiveDate,
    pub settings: String,
    pub created_by_user_id: Option<UserId>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub report_count: i64,
    pub line_count: i64,
    pub total_distance_m: i64,
    pub total_amount_ore: i64,
    pub first_fetched_at: Option<NaiveDateTime>,
    pub last_fetched_at: Option<NaiveDateTime>,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub cancelled_by: Option<String>,
    pub cancel_reason: Option<String>,
}

/// A batch as first inserted: empty, its totals filled in once its ledger is written.
#[derive(Debug, Insertable)]
#[diesel(table_name = payroll_batches)]
pub struct NewBatch<'a> {
    pub format: &'a str,
    pub up_to: NaiveDate,
    pub settings: &'a str,
    pub created_by_user_id: Option<UserId>,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
    pub report_count: i64,
    pub line_count: i64,
    pub total_distance_m: i64,
    pub total_amount_ore: i64,
}

table_queries!(payroll_batches: BatchId => BatchRow {
    insert insert_batch(NewBatch<'_>);
    find find_batch;
    count count_batches;
});

/// Newest first.
pub fn list_batches(
    conn: &mut DbConnection,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<BatchRow>> {
    payroll_batches::table
        .order(payroll_batches::id.desc())
        .offset(offset)
        .limit(limit)
        .select(BatchRow::as_select())
        .load(conn)
}

/// What a batch holds, for its totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct LedgerTotals {
    #[diesel(sql_type = BigInt)]
    pub reports: i64,
    #[diesel(sql_type = BigInt)]
    pub distance_m: i64,
    #[diesel(sql_type = BigInt)]
    pub amount_ore: i64,
}

pub fn ledger_totals(conn: &mut DbConnection, batch_id: BatchId) -> QueryResult<LedgerTotals> {
    diesel::sql_query(
        "SELECT COUNT(*) AS reports, CAST(COALESCE(SUM(distance_m), 0) AS BIGINT) AS distance_m, \
                CAST(COALESCE(SUM(amount_ore), 0) AS BIGINT) AS amount_ore \
         FROM payroll_ledger WHERE batch_id = $1",
    )
    .bind::<BigInt, _>(batch_id)
    .get_result(conn)
}

pub fn set_totals(
    conn: &mut DbConnection,
    batch_id: BatchId,
    totals: LedgerTotals,
    line_count: i64,
) -> QueryResult<usize> {
    diesel::update(payroll_batches::table.find(batch_id))
        .set((
            payroll_batches::report_count.eq(totals.reports),
            payroll_batches::line_count.eq(line_count),
            payroll_batches::total_distance_m.eq(totals.distance_m),
            payroll_batches::total_amount_ore.eq(totals.amount_ore),
        ))
        .execute(conn)
}

/// Cancels a batch that is neither cancelled nor acknowledged; returns whether it did. The
/// conditions sit in the UPDATE itself, so a concurrent acknowledgement either lands first (and
/// this matches nothing) or waits for this one.
pub fn cancel_batch(
    conn: &mut DbConnection,
    batch_id: BatchId,
    now: NaiveDateTime,
    by: &str,
    reason: &str,
) -> QueryResult<bool> {
    let updated = diesel::update(open_batches().filter(payroll_batches::id.eq(batch_id)))
        .set((
            payroll_batches::cancelled_at.eq(now),
            payroll_batches::cancelled_by.eq(by),
            payroll_batches::cancel_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Batches neither cancelled nor acknowledged: the ones payroll may still receive, and the
/// only ones that can be cancelled or acknowledged.
#[diesel::dsl::auto_type]
fn open_batches() -> _ {
    payroll_batches::table
        .filter(payroll_batches::acknowledged_at.is_null())
        .filter(payroll_batches::cancelled_at.is_null())
}

/// Open batches, oldest first.
pub fn unacknowledged_batches(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<BatchRow>> {
    open_batches()
        .order(payroll_batches::id.asc())
        .limit(limit)
        .select(BatchRow::as_select())
        .load(conn)
}

/// Open batches a connector fetched before `fetched_before`.
pub fn fetched_unacknowledged(
    conn: &mut DbConnection,
    fetched_before: NaiveDateTime,
) -> QueryResult<Vec<BatchRow>> {
    open_batches()
        .filter(payroll_batches::first_fetched_at.lt(fetched_before))
        .order(payroll_batches::id.asc())
        .select(BatchRow::as_select())
        .load(conn)
}

pub fn mark_fetched(
    conn: &mut DbConnection,
    ids: &[BatchId],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(payroll_batches::table.filter(payroll_batches::id.eq_any(ids)))
        .set(payroll_batches::last_fetched_at.eq(now))
        .execute(conn)?;
    diesel::update(
        payroll_batches::table
            .filter(payroll_batches::id.eq_any(ids))
            .filter(payroll_batches::first_fetched_at.is_null()),
    )
    .set(payroll_batches::first_fetched_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Acknowledges a live, unacknowledged batch; returns whether it did (see [`cancel_batch`]).
pub fn acknowledge_batch(
    conn: &mut DbConnection,
    batch_id: BatchId,
    now: NaiveDateTime,
    by: &str,
) -> QueryResult<bool> {
    let updated = diesel::update(open_batches().filter(payroll_batches::id.eq(batch_id)))
        .set((
            payroll_batches::acknowledged_at.eq(now),
            payroll_batches::acknowledged_by.eq(by),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

// ---------------------------------------------------------------- moving reports

/// PostgreSQL only: locks the reports a batch up to `up_to` would take, so that a concurrent
/// batch waits for this one and then finds them exported (instead of failing on the ledger's
/// unique index), and no other writer changes them meanwhile. SQLite needs nothing: the write
/// transaction (`BEGIN IMMEDIATE`) already excludes every other writer.
pub fn lock_approved_up_to(
    conn: &mut DbConnection,
    approved: ReportStatus,
    up_to: NaiveDate,
) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query(
            "SELECT COUNT(*) FROM (SELECT id FROM drive_reports \
             WHERE status = $1 AND drive_date <= $2 FOR UPDATE) AS locked",
        )
        .bind::<Text, _>(approved)
        .bind::<Date, _>(up_to)
        .execute(pg)?;
    }
    Ok(())
}

/// The reports a batch takes, as one SQL tail for the batch itself and for its preview: every
/// report in a status driven on or before a date (the two placeholders), with its employment `e`
/// and person `p`.
macro_rules! batch_reports {
    ($status:literal, $up_to:literal) => {
        concat!(
            " FROM drive_reports r \
             JOIN employments e ON e.id = r.employment_id \
             JOIN persons p ON p.id = r.person_id \
             WHERE r.status = ",
            $status,
            " AND r.drive_date <= ",
            $up_to
        )
    };
}

/// Writes a ledger row for every report in `status` driven on or before `up_to`, with the
/// report as it is now (its version after the move to exported, the employment number, name,
/// CPR only if `with_cpr`, date, purpose, distance and amount). Returns the number of rows.
pub fn insert_ledger(
    conn: &mut DbConnection,
    batch_id: BatchId,
    with_cpr: bool,
    status: ReportStatus,
    up_to: NaiveDate,
) -> QueryResult<usize> {
    diesel::sql_query(concat!(
        "INSERT INTO payroll_ledger (batch_id, report_id, report_version, employment_number, \
                person_name, cpr, drive_date, purpose, distance_m, amount_ore, account) \
         SELECT $1, r.id, r.version + 1, e.employment_number, p.name, \
                CASE WHEN $2 THEN p.cpr END, r.drive_date, r.purpose, r.reimbursable_m, \
                r.amount_ore, r.account",
        batch_reports!("$3", "$4")
    ))
    .bind::<BigInt, _>(batch_id)
    .bind::<Bool, _>(with_cpr)
    .bind::<Text, _>(status)
    .bind::<Date, _>(up_to)
    .execute(conn)
}

/// What a batch of every report in `status` driven on or before `up_to` would hold now: the
/// reports [`insert_ledger`] would take, counted and summed as [`ledger_totals`] sums them.
pub fn totals_up_to(
    conn: &mut DbConnection,
    status: ReportStatus,
    up_to: NaiveDate,
) -> QueryResult<LedgerTotals> {
    diesel::sql_query(concat!(
        "SELECT COUNT(*) AS reports, CAST(COALESCE(SUM(r.reimbursable_m), 0) AS BIGINT) AS distance_m, \
                CAST(COALESCE(SUM(r.amount_ore), 0) AS BIGINT) AS amount_ore",
        batch_reports!("$1", "$2")
    ))
    .bind::<Text, _>(status)
    .bind::<Date, _>(up_to)
    .get_result(conn)
}

/// The batch's reports (with their drive dates) whose stored TF codes are not those in force now: a priced line (the
/// first of its rate kind) whose code differs from its rate type's, or a km-only line for the
/// second TF code that is missing, different or no longer wanted. Lines of a rate kind and date
/// without a rate type are left as they are.
pub fn reports_with_stale_tf_codes(
    conn: &mut DbConnection,
    batch_id: BatchId,
) -> QueryResult<Vec<(ReportId, NaiveDate)>> {
    #[derive(QueryableByName)]
    struct Stale {
        #[diesel(sql_type = BigInt)]
        report_id: ReportId,
        #[diesel(sql_type = Date)]
        drive_date: NaiveDate,
    }
    let stale: Vec<Stale> = diesel::sql_query(
        "SELECT DISTINCT rl.report_id, l.drive_date \
         FROM payroll_ledger l \
         JOIN report_lines rl ON rl.report_id = l.report_id \
         JOIN rate_types rt ON rt.kind = rl.rate_kind \
              AND l.drive_date BETWEEN rt.valid_from AND rt.valid_to \
         WHERE l.batch_id = $1 \
           AND NOT EXISTS (SELECT 1 FROM report_lines p WHERE p.report_id = rl.report_id \
                           AND p.rate_kind = rl.rate_kind AND p.position < rl.position) \
           AND (rl.tf_code <> rt.tf_code \
                OR (rt.tf_code_2 IS NULL AND EXISTS ( \
                      SELECT 1 FROM report_lines s WHERE s.report_id = rl.report_id \
                      AND s.rate_kind = rl.rate_kind AND s.position = rl.position + 1)) \
                OR (rt.tf_code_2 IS NOT NULL AND NOT EXISTS ( \
                      SELECT 1 FROM report_lines s WHERE s.report_id = rl.report_id \
                      AND s.rate_kind = rl.rate_kind AND s.position = rl.position + 1 \
                      AND s.tf_code = rt.tf_code_2))) \
         ORDER BY rl.report_id",
    )
    .bind::<BigInt, _>(batch_id)
    .load(conn)?;
    Ok(stale
        .into_iter()
        .map(|s| (s.report_id, s.drive_date))
        .collect())
}

/// A line of the batch's reports whose TF code matches `pattern` (SQL `LIKE`): its rate kind,
/// the report's drive date and the code.
pub fn batch_line_with_tf_code_like(
    conn: &mut DbConnection,
    batch_id: BatchId,
    pattern: &str,
) -> QueryResult<Option<(RateKind, NaiveDate, String)>> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        rate_kind: RateKind,
        #[diesel(sql_type = Date)]
        drive_date: NaiveDate,
        #[diesel(sql_type = Text)]
        tf_code: String,
    }
    let found: Option<Found> = diesel::sql_query(
        "SELECT rl.rate_kind, l.drive_date, rl.tf_code \
         FROM payroll_ledger l JOIN report_lines rl ON rl.report_id = l.report_id \
         WHERE l.batch_id = $1 AND rl.tf_code LIKE $2 \
         ORDER BY l.drive_date, rl.report_id, rl.position \
         LIMIT 1",
    )
    .bind::<BigInt, _>(batch_id)
    .bind::<Text, _>(pattern)
    .get_result(conn)
    .optional()?;
    Ok(found.map(|f| (f.rate_kind, f.drive_date, f.tf_code)))
}

/// The earliest drive date of a report that may still reach payroll (draft, pending or
/// approved), if any.
pub fn earliest_unexported_drive_date(
    conn: &mut DbConnection,
    statuses: &[ReportStatus],
) -> QueryResult<Option<NaiveDate>> {
    use super::schema::drive_reports;
    drive_reports::table
        .filter(drive_reports::status.eq_any(statuses))
        .select(diesel::dsl::min(drive_reports::drive_date))
        .first(conn)
}

/// Copies the priced lines of the batch's reports, numbered in file order: employment number
/// (byte-wise, by the column's collation), drive date, report, line position.
pub fn insert_lines(conn: &mut DbConnection, batch_id: BatchId) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO payroll_lines (batch_id, seq, report_id, tf_code, distance_m, ore_per_km, \
                amount_ore) \
         SELECT l.batch_id, \
                ROW_NUMBER() OVER (ORDER BY l.employment_number, l.drive_date, l.report_id, \
                                            rl.position), \
                l.report_id, rl.tf_code, rl.distance_m, rl.ore_per_km, rl.amount_ore \
         FROM payroll_ledger l \
         JOIN report_lines rl ON rl.report_id = l.report_id \
         WHERE l.batch_id = $1",
    )
    .bind::<BigInt, _>(batch_id)
    .execute(conn)
}

/// Moves the batch's reports that are in status `from` to `to`, bumping their version. Returns
/// how many moved: fewer than the batch holds means someone else changed one meanwhile.
pub fn move_reports(
    conn: &mut DbConnection,
    batch_id: BatchId,
    from: ReportStatus,
    to: ReportStatus,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE drive_reports SET status = $1, version = version + 1, updated_at = $2 \
         WHERE status = $3 AND id IN (SELECT report_id FROM payroll_ledger WHERE batch_id = $4)",
    )
    .bind::<Text, _>(to)
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(from)
    .bind::<BigInt, _>(batch_id)
    .execute(conn)
}

/// One audit event per report of the batch, at the report's current version.
pub struct BatchEvent<'a> {
    pub actor_user_id: Option<UserId>,
    pub at: NaiveDateTime,
    pub action: &'a str,
    pub from_status: ReportStatus,
    pub to_status: ReportStatus,
    pub comment: &'a str,
}

pub fn insert_events(
    conn: &mut DbConnection,
    batch_id: BatchId,
    event: &BatchEvent<'_>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO report_events (actor_user_id, at, action, from_status, to_status, comment, \
                report_id, version) \
         SELECT $1, $2, $3, $4, $5, $6, r.id, r.version \
         FROM payroll_ledger l JOIN drive_reports r ON r.id = l.report_id \
         WHERE l.batch_id = $7",
    )
    .bind::<Nullable<BigInt>, _>(event.actor_user_id)
    .bind::<Timestamp, _>(event.at)
    .bind::<Text, _>(event.action)
    .bind::<Text, _>(event.from_status)
    .bind::<Text, _>(event.to_status)
    .bind::<Text, _>(event.comment)
    .bind::<BigInt, _>(batch_id)
    .execute(conn)
}

/// Frees the batch's reports for a later batch; the rows stay as history.
pub fn release_ledger(
    conn: &mut DbConnection,
    batch_id: BatchId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        payroll_ledger::table
            .filter(payroll_ledger::batch_id.eq(batch_id))
            .filter(payroll_ledger::released_at.is_null()),
    )
    .set(payroll_ledger::released_at.eq(now))
    .execute(conn)
}

/// A report's row in a batch; `None` when the report is not in the batch.
pub fn ledger_row(
    conn: &mut DbConnection,
    batch_id: BatchId,
    report_id: ReportId,
) -> QueryResult<Option<LedgerRow>> {
    payroll_ledger::table
        .filter(payroll_ledger::batch_id.eq(batch_id))
        .filter(payroll_ledger::report_id.eq(report_id))
        .select(LedgerRow::as_select())
        .first(conn)
        .optional()
}

/// Frees one report of a batch for a later batch (payroll sent it back); its row stays as
/// history. Returns whether a live row was released.
pub fn release_report(
    conn: &mut DbConnection,
    batch_id: BatchId,
    report_id: ReportId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let released = diesel::update(
        payroll_ledger::table
            .filter(payroll_ledger::batch_id.eq(batch_id))
            .filter(payroll_ledger::report_id.eq(report_id))
            .filter(payroll_ledger::released_at.is_null()),
    )
    .set(payroll_ledger::released_at.eq(now))
    .execute(conn)?;
    Ok(released == 1)
}

// ---------------------------------------------------------------- reading a batch

/// One line of a batch's file: a snapshot line with its report's snapshot.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct FileLineRow {
    pub seq: i64,
    pub report_id: ReportId,
    pub tf_code: String,
    pub distance_m: i64,
    pub ore_per_km: i64,
    pub amount_ore: i64,
    pub employment_number: String,
    pub person_name: String,
    pub cpr: Option<String>,
    pub drive_date: NaiveDate,
    pub purpose: String,
    pub account: Option<String>,
}

/// Up to `limit` lines after `after_seq`, in file order.
pub fn file_lines(
    conn: &mut DbConnection,
    batch_id: BatchId,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<FileLineRow>> {
    payroll_lines::table
        .inner_join(
            payroll_ledger::table.on(payroll_ledger::batch_id
                .eq(payroll_lines::batch_id)
                .and(payroll_ledger::report_id.eq(payroll_lines::report_id))),
        )
        .filter(payroll_lines::batch_id.eq(batch_id))
        .filter(payroll_lines::seq.gt(after_seq))
        .order(payroll_lines::seq.asc())
        .limit(limit)
        .select((
            payroll_lines::seq,
            payroll_lines::report_id,
            payroll_lines::tf_code,
            payroll_lines::distance_m,
            payroll_lines::ore_per_km,
            payroll_lines::amount_ore,
            payroll_ledger::employment_number,
            payroll_ledger::person_name,
            payroll_ledger::cpr,
            payroll_ledger::drive_date,
            payroll_ledger::purpose,
            payroll_ledger::account,
        ))
        .load(conn)
}

/// The sums of one employment and TF code in a batch.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct EmploymentTfTotalRow {
    #[diesel(sql_type = Text)]
    pub employment_number: String,
    #[diesel(sql_type = Text)]
    pub person_name: String,
    #[diesel(sql_type = Text)]
    pub tf_code: String,
    #[diesel(sql_type = BigInt)]
    pub reports: i64,
    #[diesel(sql_type = BigInt)]
    pub distance_m: i64,
    #[diesel(sql_type = BigInt)]
    pub amount_ore: i64,
}

/// Per employment and TF code, in byte-wise order of both.
pub fn employment_tf_totals(
    conn: &mut DbConnection,
    batch_id: BatchId,
) -> QueryResult<Vec<EmploymentTfTotalRow>> {
    diesel::sql_query(
        "SELECT l.employment_number, MIN(l.person_name) AS person_name, pl.tf_code, \
                COUNT(DISTINCT pl.report_id) AS reports, \
                CAST(SUM(pl.distance_m) AS BIGINT) AS distance_m, \
                CAST(SUM(pl.amount_ore) AS BIGINT) AS amount_ore \
         FROM payroll_lines pl \
         JOIN payroll_ledger l ON l.batch_id = pl.batch_id AND l.report_id = pl.report_id \
         WHERE pl.batch_id = $1 \
         GROUP BY l.employment_number, pl.tf_code \
         ORDER BY l.employment_number, pl.tf_code",
    )
    .bind::<BigInt, _>(batch_id)
    .load(conn)
}

/// A report in a batch, as exported.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = payroll_ledger)]
pub struct LedgerRow {
    pub report_id: ReportId,
    pub report_version: i64,
    /// Set when the batch was cancelled or payroll sent this report back.
    pub released_at: Option<NaiveDateTime>,
    pub employment_number: String,
    pub person_name: String,
    pub drive_date: NaiveDate,
    pub purpose: String,
    pub distance_m: i64,
    pub amount_ore: i64,
}

/// A page of the batch's reports in file order (employment number, drive date, report).
pub fn ledger_page(
    conn: &mut DbConnection,
    batch_id: BatchId,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<LedgerRow>> {
    payroll_ledger::table
        .filter(payroll_ledger::batch_id.eq(batch_id))
        .order((
            payroll_ledger::employment_number.asc(),
            payroll_ledger::drive_date.asc(),
            payroll_ledger::report_id.asc(),
        ))
        .offset(offset)
        .limit(limit)
        .select(LedgerRow::as_select())
        .load(conn)
}

// ---------------------------------------------------------------- connector API keys

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = payroll_api_keys)]
pub struct ApiKeyRow {
    pub id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_api_key(
    conn: &mut DbConnection,
    name: &str,
    key_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(payroll_api_keys::table)
        .values((
            payroll_api_keys::name.eq(name),
            payroll_api_keys::key_hash.eq(key_hash),
            payroll_api_keys::created_at.eq(now),
        ))
        .returning(payroll_api_keys::id)
        .get_result(conn)
}

/// The key with this hash, if it is not revoked.
pub fn find_active_api_key(
    conn: &mut DbConnection,
    key_hash: &str,
) -> QueryResult<Option<ApiKeyRow>> {
    payroll_api_keys::table
        .filter(payroll_api_keys::key_hash.eq(key_hash))
        .filter(payroll_api_keys::revoked_at.is_null())
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()
}

pub fn touch_api_key(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(payroll_api_keys::table.find(id))
        .set(payroll_api_keys::last_used_at.eq(now))
        .execute(conn)
}

pub fn revoke_api_key(
    conn: &mut DbConnection,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        payroll_api_keys::table
            .filter(payroll_api_keys::name.eq(name))
            .filter(payroll_api_keys::revoked_at.is_null()),
    )
    .set(payroll_api_keys::revoked_at.eq(now))
    .execute(conn)
}

pub fn list_api_keys(conn: &mut DbConnection) -> QueryResult<Vec<ApiKeyRow>> {
    payroll_api_keys::table
        .order(payroll_api_keys::name.asc())
        .select(ApiKeyRow::as_select())
        .load(conn)
}
