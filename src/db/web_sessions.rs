//! The `web_sessions` table: browser sign-ins. Only SHA-256 hashes of the cookie are stored.

use crate::domain::ids::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::web_sessions;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = web_sessions)]
pub struct WebSessionRow {
    pub id: i64,
    pub user_id: UserId,
    pub token_hash: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    /// The provider's ID token of a single sign-on, for its sign-out (issue 18).
    pub id_token_hint: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = web_sessions)]
pub struct NewWebSession<'a> {
    pub user_id: UserId,
    pub token_hash: &'a str,
    pub csrf_token: &'a str,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub id_token_hint: Option<&'a str>,
}

pub fn insert(conn: &mut DbConnection, new: &NewWebSession<'_>) -> QueryResult<usize> {
    diesel::insert_into(web_sessions::table)
        .values(new)
        .execute(conn)
}

pub fn find_by_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<WebSessionRow>> {
    web_sessions::table
        .filter(web_sessions::token_hash.eq(token_hash))
        .select(WebSessionRow::as_select())
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(web_sessions::table.find(id))
        .set(web_sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn delete_by_hash(conn: &mut DbConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.filter(web_sessions::token_hash.eq(token_hash)))
        .execute(conn)
}

/// Removes the sessions last used before `cutoff` (idle ones).
pub fn delete_idle(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.filter(web_sessions::last_seen_at.lt(cutoff))).execute(conn)
}

pub fn delete_all_for_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.filter(web_sessions::user_id.eq(user_id))).execute(conn)
}
