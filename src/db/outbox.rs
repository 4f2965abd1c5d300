//! The e-mail outbox (issue 16): notices written in the transaction of the change that caused
//! them, claimed by one sender at a time with a lease (`claimed_until`).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::ids::{BatchId, PersonId, ReportId};

use super::schema::{drive_reports, mail_outbox, payroll_ledger, persons, users};
use super::{is_unique_violation, DbConnection};

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const UNDELIVERABLE: &str = "undeliverable";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub person_id: Option<PersonId>,
    pub recipient: Option<String>,
    pub payload: String,
    pub dedupe_key: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub claim_token: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct NewMail<'a> {
    pub kind: &'a str,
    pub person_id: Option<PersonId>,
    pub recipient: Option<&'a str>,
    pub payload: &'a str,
    pub dedupe_key: Option<&'a str>,
    pub status: &'a str,
    pub last_error: Option<&'a str>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Inserts a notice; `false` when one with the same dedupe key exists already. Inside a
/// PostgreSQL transaction a duplicate would abort it, so callers that may repeat a key check
/// [`has_key`] first and insert outside any transaction.
pub fn insert(conn: &mut DbConnection, new: &NewMail<'_>) -> QueryResult<bool> {
    match diesel::insert_into(mail_outbox::table)
        .values(new)
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn has_key(conn: &mut DbConnection, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        mail_outbox::table.filter(mail_outbox::dedupe_key.eq(key)),
    ))
    .get_result(conn)
}

/// Ids of pending notices due at `now` and not claimed by a live sender, oldest first.
pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    mail_outbox::table
        .filter(mail_outbox::status.eq(PENDING))
        .filter(mail_outbox::next_attempt_at.le(now))
        .filter(
            mail_outbox::claimed_until
                .is_null()
                .or(mail_outbox::claimed_until.lt(now)),
        )
        .order(mail_outbox::id.asc())
        .limit(limit)
        .select(mail_outbox::id)
        .load(conn)
}

/// Claims notice `id` for `token` until `until`, when it is still pending and unclaimed (or its
/// claim ran out). The one conditional UPDATE is what makes a notice go to one sender only: of
/// two instances racing, the database lets one update the row and the other finds it claimed.
pub fn claim(
    conn: &mut DbConnection,
    id: i64,
    token: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<OutboxRow>> {
    let claimed = diesel::update(
        mail_outbox::table
            .filter(mail_outbox::id.eq(id))
            .filter(mail_outbox::status.eq(PENDING))
            .filter(
                mail_outbox::claimed_until
                    .is_null()
                    .or(mail_outbox::claimed_until.lt(now)),
            ),
    )
    .set((
        mail_outbox::claimed_until.eq(until),
        mail_outbox::claim_token.eq(token),
    ))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    mail_outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

/// Records the outcome of a claimed notice: `status` (sent, pending again, failed,
/// undeliverable). Only the claim's holder may; `false` when the claim was lost.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    conn: &mut DbConnection,
    id: i64,
    token: &str,
    status: &str,
    attempts: i64,
    next_attempt_at: NaiveDateTime,
    error: Option<&str>,
    sent_at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let n = diesel::update(
        mail_outbox::table
            .filter(mail_outbox::id.eq(id))
            .filter(mail_outbox::claim_token.eq(token)),
    )
    .set((
        mail_outbox::status.eq(status),
        mail_outbox::attempts.eq(attempts),
        mail_outbox::next_attempt_at.eq(next_attempt_at),
        mail_outbox::last_error.eq(error),
        mail_outbox::sent_at.eq(sent_at),
        mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
        mail_outbox::claim_token.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks every pending notice undeliverable (no SMTP server is configured); returns how many.
pub fn mark_all_undeliverable(conn: &mut DbConnection, reason: &str) -> QueryResult<usize> {
    diesel::update(mail_outbox::table.filter(mail_outbox::status.eq(PENDING)))
        .set((
            mail_outbox::status.eq(UNDELIVERABLE),
            mail_outbox::last_error.eq(reason),
        ))
        .execute(conn)
}

pub fn for_person(conn: &mut DbConnection, person_id: PersonId) -> QueryResult<Vec<OutboxRow>> {
    mail_outbox::table
        .filter(mail_outbox::person_id.eq(person_id))
        .order(mail_outbox::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

// ---------------------------------------------------------------- recipients

/// A person's e-mail address and digest choice.
pub fn person_contact(
    conn: &mut DbConnection,
    person_id: PersonId,
) -> QueryResult<Option<(Option<String>, bool)>> {
    persons::table
        .find(person_id)
        .select((persons::email, persons::mail_digest))
        .first(conn)
        .optional()
}

pub fn set_digest(conn: &mut DbConnection, person_id: PersonId, on: bool) -> QueryResult<usize> {
    diesel::update(persons::table.find(person_id))
        .set(persons::mail_digest.eq(on))
        .execute(conn)
}

/// The persons of users whose roles include `role`, with their e-mail addresses.
pub fn persons_with_role(
    conn: &mut DbConnection,
    role: &str,
) -> QueryResult<Vec<(PersonId, Option<String>)>> {
    let candidates: Vec<(String, PersonId, Option<String>)> = users::table
        .inner_join(persons::table.on(persons::username.eq(users::username.nullable())))
        .filter(users::roles.like(format!("%{role}%")))
        .select((users::roles, persons::id, persons::email))
        .load(conn)?;
    Ok(candidates
        .into_iter()
        .filter(|(roles, _, _)| roles.split(',').any(|r| r == role))
        .map(|(_, id, email)| (id, email))
        .collect())
}

/// A report of a batch, for the employee's notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct BatchReport {
    pub person_id: PersonId,
    pub report_id: ReportId,
    pub drive_date: NaiveDate,
    pub distance_m: i64,
    pub amount_ore: i64,
}

/// The reports of batch `batch_id`, by person.
pub fn batch_reports(conn: &mut DbConnection, batch_id: BatchId) -> QueryResult<Vec<BatchReport>> {
    payroll_ledger::table
        .inner_join(drive_reports::table)
        .filter(payroll_ledger::batch_id.eq(batch_id))
        .order((
            drive_reports::person_id.asc(),
            payroll_ledger::report_id.asc(),
        ))
        .select((
            drive_reports::person_id,
            payroll_ledger::report_id,
            payroll_ledger::drive_date,
            payroll_ledger::distance_m,
            payroll_ledger::amount_ore,
        ))
        .load(conn)
}
