//! The tables of the administration pages' imports: `import_previews` (an uploaded CSV waiting
//! for its preview to be applied or cancelled) and `address_import_runs` (address registry
//! imports running in the background).

use crate::domain::ids::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{address_import_runs, import_previews};
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_previews)]
pub struct PreviewRow {
    pub id: String,
    pub kind: String,
    pub file_name: String,
    pub data: Vec<u8>,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_preview(conn: &mut DbConnection, row: &PreviewRow) -> QueryResult<usize> {
    diesel::insert_into(import_previews::table)
        .values(row)
        .execute(conn)
}

/// The live preview `id` of `user_id` (not expired at `now`).
pub fn find_preview(
    conn: &mut DbConnection,
    id: &str,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<Option<PreviewRow>> {
    import_previews::table
        .filter(import_previews::id.eq(id))
        .filter(import_previews::created_by.eq(user_id))
        .filter(import_previews::expires_at.gt(now))
        .select(PreviewRow::as_select())
        .first(conn)
        .optional()
}

/// Deletes a preview of `user_id`; the count says whether it was there.
pub fn delete_preview(conn: &mut DbConnection, id: &str, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(
        import_previews::table
            .filter(import_previews::id.eq(id))
            .filter(import_previews::created_by.eq(user_id)),
    )
    .execute(conn)
}

pub fn delete_expired_previews(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(import_previews::table.filter(import_previews::expires_at.le(now))).execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = address_import_runs)]
pub struct AddressRunRow {
    pub id: String,
    pub created_by: UserId,
    pub file_name: String,
    pub file_bytes: i64,
    pub state: String,
    pub summary: Option<String>,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

pub fn insert_address_run(conn: &mut DbConnection, row: &AddressRunRow) -> QueryResult<usize> {
    diesel::insert_into(address_import_runs::table)
        .values(row)
        .execute(conn)
}

pub fn find_address_run(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AddressRunRow>> {
    address_import_runs::table
        .find(id)
        .select(AddressRunRow::as_select())
        .first(conn)
        .optional()
}

/// The most recent runs, newest first.
pub fn recent_address_runs(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<AddressRunRow>> {
    address_import_runs::table
        .order(address_import_runs::created_at.desc())
        .limit(limit)
        .select(AddressRunRow::as_select())
        .load(conn)
}

pub fn finish_address_run(
    conn: &mut DbConnection,
    id: &str,
    state: &str,
    summary: Option<&str>,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(address_import_runs::table.find(id))
        .set((
            address_import_runs::state.eq(state),
            address_import_runs::summary.eq(summary),
            address_import_runs::error.eq(error),
            address_import_runs::finished_at.eq(Some(now)),
        ))
        .execute(conn)
}
