//! The `oidc_logins` table (single sign-ons under way) and the `auth_events` table (the sign-in
//! audit trail), issue 18.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{auth_events, oidc_logins};
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oidc_logins)]
pub struct OidcLoginRow {
    pub id: i64,
    pub state_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = oidc_logins)]
pub struct NewOidcLogin<'a> {
    pub state_hash: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub next_path: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_login(conn: &mut DbConnection, new: &NewOidcLogin<'_>) -> QueryResult<usize> {
    diesel::insert_into(oidc_logins::table)
        .values(new)
        .execute(conn)
}

pub fn find_login(conn: &mut DbConnection, state_hash: &str) -> QueryResult<Option<OidcLoginRow>> {
    oidc_logins::table
        .filter(oidc_logins::state_hash.eq(state_hash))
        .select(OidcLoginRow::as_select())
        .first(conn)
        .optional()
}

/// Deletes one sign-in; 1 when this call removed it, 0 when another got there first.
pub fn delete_login(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(oidc_logins::table.find(id)).execute(conn)
}

/// Removes sign-ins that expired before `now` (abandoned at the provider).
pub fn delete_expired_logins(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(oidc_logins::table.filter(oidc_logins::expires_at.lt(now))).execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = auth_events)]
pub struct AuthEventRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub kind: String,
    pub username: Option<String>,
    pub detail: String,
}

pub fn insert_event(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    kind: &str,
    username: Option<&str>,
    detail: &str,
) -> QueryResult<usize> {
    diesel::insert_into(auth_events::table)
        .values((
            auth_events::at.eq(at),
            auth_events::kind.eq(kind),
            auth_events::username.eq(username),
            auth_events::detail.eq(detail),
        ))
        .execute(conn)
}

/// The events naming `username`, oldest first.
pub fn events_of(conn: &mut DbConnection, username: &str) -> QueryResult<Vec<AuthEventRow>> {
    auth_events::table
        .filter(auth_events::username.eq(username))
        .order(auth_events::id.asc())
        .select(AuthEventRow::as_select())
        .load(conn)
}

/// Every event, oldest first.
pub fn all_events(conn: &mut DbConnection) -> QueryResult<Vec<AuthEventRow>> {
    auth_events::table
        .order(auth_events::id.asc())
        .select(AuthEventRow::as_select())
        .load(conn)
}
