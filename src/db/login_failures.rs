//! The `login_failures` table: failed logins per username and per client IP, shared by every
//! instance on the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::login_failures;
use super::DbConnection;

/// The newest failures of one subject at or after `since`, newest first, at most `limit`.
pub fn newest_since(
    conn: &mut DbConnection,
    scope: &str,
    subject: &str,
    since: NaiveDateTime,
    limit: u32,
) -> QueryResult<Vec<NaiveDateTime>> {
    login_failures::table
        .filter(login_failures::scope.eq(scope))
        .filter(login_failures::subject.eq(subject))
        .filter(login_failures::failed_at.ge(since))
        .order(login_failures::failed_at.desc())
        .limit(i64::from(limit))
        .select(login_failures::failed_at)
        .load(conn)
}

pub fn insert(
    conn: &mut DbConnection,
    scope: &str,
    subject: &str,
    failed_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::scope.eq(scope),
            login_failures::subject.eq(subject),
            login_failures::failed_at.eq(failed_at),
        ))
        .execute(conn)
}

pub fn delete_subject(conn: &mut DbConnection, scope: &str, subject: &str) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::scope.eq(scope))
            .filter(login_failures::subject.eq(subject)),
    )
    .execute(conn)
}

pub fn delete_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(cutoff))).execute(conn)
}
