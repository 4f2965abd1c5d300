//! The phone apps' tables: app passwords (argon2id), GuIds (SHA-256 hashes only) and the
//! uploads' idempotency keys.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::ids::{ReportId, TripId, UserId};

use super::schema::{app_passwords, app_tokens, app_uploads};
use super::DbConnection;

// ---------------------------------------------------------------- app passwords

pub fn password_hash(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Option<String>> {
    app_passwords::table
        .find(user_id)
        .select(app_passwords::password_hash)
        .first(conn)
        .optional()
}

/// Sets (or replaces) a user's app password hash.
pub fn set_password_hash(
    conn: &mut DbConnection,
    user_id: UserId,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(app_passwords::table.find(user_id))
        .set((
            app_passwords::password_hash.eq(hash),
            app_passwords::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(app_passwords::table)
            .values((
                app_passwords::user_id.eq(user_id),
                app_passwords::password_hash.eq(hash),
                app_passwords::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- GuIds

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = app_tokens)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: UserId,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_token(
    conn: &mut DbConnection,
    user_id: UserId,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(app_tokens::table)
        .values((
            app_tokens::user_id.eq(user_id),
            app_tokens::token_hash.eq(token_hash),
            app_tokens::created_at.eq(now),
        ))
        .returning(app_tokens::id)
        .get_result(conn)
}

pub fn find_token_by_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<TokenRow>> {
    app_tokens::table
        .filter(app_tokens::token_hash.eq(token_hash))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_token(conn: &mut DbConnection, id: i64) -> QueryResult<Option<TokenRow>> {
    app_tokens::table
        .find(id)
        .select(TokenRow::as_select())
        .first(conn)
        .optional()
}

pub fn touch_token(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(app_tokens::table.find(id))
        .set(app_tokens::last_used_at.eq(now))
        .execute(conn)
}

/// A user's GuIds, newest first.
pub fn tokens_of(
    conn: &mut DbConnection,
    user_id: UserId,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<TokenRow>> {
    app_tokens::table
        .filter(app_tokens::user_id.eq(user_id))
        .order(app_tokens::id.desc())
        .offset(offset)
        .limit(limit)
        .select(TokenRow::as_select())
        .load(conn)
}

pub fn count_tokens_of(conn: &mut DbConnection, user_id: UserId) -> QueryResult<i64> {
    app_tokens::table
        .filter(app_tokens::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

pub fn revoke_token(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        app_tokens::table
            .find(id)
            .filter(app_tokens::revoked_at.is_null()),
    )
    .set(app_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// Revokes every live GuId of a user; returns how many.
pub fn revoke_tokens_of(
    conn: &mut DbConnection,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        app_tokens::table
            .filter(app_tokens::user_id.eq(user_id))
            .filter(app_tokens::revoked_at.is_null()),
    )
    .set(app_tokens::revoked_at.eq(now))
    .execute(conn)
}

// ---------------------------------------------------------------- uploads

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = app_uploads)]
pub struct UploadRow {
    pub id: i64,
    pub user_id: UserId,
    pub uuid: String,
    pub body_sha256: String,
    pub trip_id: Option<TripId>,
    pub report_id: ReportId,
    pub app_total_distance_m: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = app_uploads)]
pub struct NewUpload<'a> {
    pub user_id: UserId,
    pub uuid: &'a str,
    pub body_sha256: &'a str,
    pub trip_id: Option<TripId>,
    pub report_id: ReportId,
    pub app_total_distance_m: i64,
    pub created_at: NaiveDateTime,
}

/// A second upload with the same `(user_id, uuid)` is a unique violation.
pub fn insert_upload(conn: &mut DbConnection, new: &NewUpload<'_>) -> QueryResult<i64> {
    diesel::insert_into(app_uploads::table)
        .values(new)
        .returning(app_uploads::id)
        .get_result(conn)
}

pub fn upload_exists(conn: &mut DbConnection, user_id: UserId, uuid: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        app_uploads::table
            .filter(app_uploads::user_id.eq(user_id))
            .filter(app_uploads::uuid.eq(uuid)),
    ))
    .get_result(conn)
}

/// The upload a trip came from, if it came from the phone app.
pub fn upload_of_trip(conn: &mut DbConnection, trip_id: TripId) -> QueryResult<Option<UploadRow>> {
    app_uploads::table
        .filter(app_uploads::trip_id.eq(trip_id))
        .select(UploadRow::as_select())
        .first(conn)
        .optional()
}
