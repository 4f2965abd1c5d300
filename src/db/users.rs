//! The `users` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::ids::UserId;
use crate::domain::users::Roles;

use super::queries::table_queries;
use super::schema::users;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub roles: Roles,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Signed in with a one-time password: every route but the password change is refused.
    pub must_change_password: bool,
    /// Set by an administrator: no sign-in, no token, no session while it is.
    pub deactivated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub roles: Roles,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

table_queries!(users: UserId => UserRow {
    insert insert(NewUser<'_>);
    find find;
    count count;
    list list;
    find_by find_by_username(username);
});

pub fn set_roles(
    conn: &mut DbConnection,
    id: UserId,
    roles: &Roles,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::roles.eq(roles), users::updated_at.eq(now)))
        .execute(conn)
}

pub fn set_password_hash(
    conn: &mut DbConnection,
    id: UserId,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(now),
            users::must_change_password.eq(false),
        ))
        .execute(conn)
}

/// The password is a one-time password: the user must replace it before using the service.
pub fn require_password_change(conn: &mut DbConnection, id: UserId) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::must_change_password.eq(true))
        .execute(conn)
}

/// Sets (`Some`) or clears (`None`) the deactivation. Returns the rows changed.
pub fn set_deactivated_at(
    conn: &mut DbConnection,
    id: UserId,
    at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::deactivated_at.eq(at), users::updated_at.eq(now)))
        .execute(conn)
}

/// Whether the user exists and is not deactivated (the check behind every access token).
pub fn is_active(conn: &mut DbConnection, id: UserId) -> QueryResult<bool> {
    let found: Option<Option<NaiveDateTime>> = users::table
        .find(id)
        .select(users::deactivated_at)
        .first(conn)
        .optional()?;
    Ok(matches!(found, Some(None)))
}

/// `LIKE` pattern of usernames containing `part` literally.
fn containing(part: &str) -> String {
    let escaped = part
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Users whose username contains `part`, by username.
pub fn search(
    conn: &mut DbConnection,
    part: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::username.like(containing(part)).escape('\\'))
        .order(users::username.asc())
        .offset(offset)
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)
}

pub fn count_matching(conn: &mut DbConnection, part: &str) -> QueryResult<i64> {
    users::table
        .filter(users::username.like(containing(part)).escape('\\'))
        .count()
        .get_result(conn)
}
