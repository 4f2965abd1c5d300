//! Scheduled jobs (issue 16): one row per job with its next slot and lease, and a log of runs.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{job_runs, scheduled_jobs};
use super::{is_unique_violation, DbConnection};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = scheduled_jobs)]
pub struct JobRow {
    pub name: String,
    pub next_due_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_started_at: Option<NaiveDateTime>,
    pub last_finished_at: Option<NaiveDateTime>,
    pub last_result: Option<String>,
    pub last_detail: Option<String>,
    pub runs: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = job_runs)]
pub struct RunRow {
    pub id: i64,
    pub job: String,
    pub instance: String,
    pub due_at: NaiveDateTime,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub result: Option<String>,
    pub detail: Option<String>,
}

/// Adds the job's row, first due at `first_due`, unless it exists (another instance may add it
/// at the same moment: the loser's unique violation is ignored; outside any transaction).
pub fn ensure(conn: &mut DbConnection, name: &str, first_due: NaiveDateTime) -> QueryResult<()> {
    match diesel::insert_into(scheduled_jobs::table)
        .values((
            scheduled_jobs::name.eq(name),
            scheduled_jobs::next_due_at.eq(first_due),
            scheduled_jobs::runs.eq(0_i64),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn find(conn: &mut DbConnection, name: &str) -> QueryResult<Option<JobRow>> {
    scheduled_jobs::table
        .find(name)
        .select(JobRow::as_select())
        .first(conn)
        .optional()
}

pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<JobRow>> {
    scheduled_jobs::table
        .order(scheduled_jobs::name.asc())
        .select(JobRow::as_select())
        .load(conn)
}

/// Takes the lease of job `name` for the slot `due` when that slot is still the job's next one,
/// has come, and no live lease holds it. One conditional UPDATE: of several instances exactly
/// one gets the row. `true` when this caller holds the lease.
pub fn take_lease(
    conn: &mut DbConnection,
    name: &str,
    due: NaiveDateTime,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        scheduled_jobs::table
            .filter(scheduled_jobs::name.eq(name))
            .filter(scheduled_jobs::next_due_at.eq(due))
            .filter(scheduled_jobs::next_due_at.le(now))
            .filter(
                scheduled_jobs::lease_until
                    .is_null()
                    .or(scheduled_jobs::lease_until.lt(now)),
            ),
    )
    .set((
        scheduled_jobs::lease_owner.eq(owner),
        scheduled_jobs::lease_until.eq(until),
        scheduled_jobs::last_started_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends the lease held by `owner`: the next slot, the result; `false` when the lease was lost
/// (it ran out and another instance took the job).
pub fn finish(
    conn: &mut DbConnection,
    name: &str,
    owner: &str,
    next_due: NaiveDateTime,
    now: NaiveDateTime,
    result: &str,
    detail: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        scheduled_jobs::table
            .filter(scheduled_jobs::name.eq(name))
            .filter(scheduled_jobs::lease_owner.eq(owner)),
    )
    .set((
        scheduled_jobs::next_due_at.eq(next_due),
        scheduled_jobs::lease_owner.eq(None::<String>),
        scheduled_jobs::lease_until.eq(None::<NaiveDateTime>),
        scheduled_jobs::last_finished_at.eq(now),
        scheduled_jobs::last_result.eq(result),
        scheduled_jobs::last_detail.eq(detail),
        scheduled_jobs::runs.eq(scheduled_jobs::runs + 1),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn insert_run(
    conn: &mut DbConnection,
    job: &str,
    instance: &str,
    due_at: NaiveDateTime,
    started_at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(job_runs::table)
        .values((
            job_runs::job.eq(job),
            job_runs::instance.eq(instance),
            job_runs::due_at.eq(due_at),
            job_runs::started_at.eq(started_at),
        ))
        .returning(job_runs::id)
        .get_result(conn)
}

pub fn finish_run(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
    result: &str,
    detail: &str,
) -> QueryResult<usize> {
    diesel::update(job_runs::table.find(id))
        .set((
            job_runs::finished_at.eq(now),
            job_runs::result.eq(result),
            job_runs::detail.eq(detail),
        ))
        .execute(conn)
}

pub fn runs(conn: &mut DbConnection, job: &str) -> QueryResult<Vec<RunRow>> {
    job_runs::table
        .filter(job_runs::job.eq(job))
        .order(job_runs::id.asc())
        .select(RunRow::as_select())
        .load(conn)
}
