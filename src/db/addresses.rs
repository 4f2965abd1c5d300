//! The address registry tables: `access_addresses` and `unit_addresses`, keyed by UUID text.
//!
//! Bulk writes are backend-specific (multi-row `INSERT ... ON CONFLICT DO UPDATE` does not
//! compile through the `MultiConnection`), so [`upsert!`] matches on the connection variant and
//! writes the same statement for each.

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::{access_addresses, unit_addresses};
use super::DbConnection;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_addresses)]
pub struct AccessRow {
    pub id: String,
    pub vejnavn: String,
    pub husnr: String,
    pub supplerendebynavn: Option<String>,
    pub postnr: i32,
    pub postnrnavn: String,
    pub kommunekode: i32,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub status: i32,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = unit_addresses)]
pub struct UnitRow {
    pub id: String,
    pub access_address_id: String,
    pub etage: Option<String>,
    pub dor: Option<String>,
    pub status: i32,
    pub active: bool,
}

/// Rows per statement: 11 columns x 1000 stays below both backends' bind-parameter limits.
pub const CHUNK: usize = 1000;

/// One multi-row upsert statement per chunk, on whichever backend `$conn` is: PostgreSQL gets
/// `INSERT ... ON CONFLICT (id) DO UPDATE SET col = excluded.col, ...`; SQLite gets
/// `REPLACE INTO ... VALUES (...), (...)` (diesel does not batch `ON CONFLICT` on SQLite; no
/// foreign key points at these tables, so delete-and-insert is an upsert).
macro_rules! upsert {
    ($conn:expr, $table:ident, $rows:expr, [$($col:ident),+ $(,)?]) => {{
        match $conn {
            DbConnection::Sqlite(c) => diesel::replace_into($table::table).values($rows).execute(c),
            DbConnection::Postgresql(c) => diesel::insert_into($table::table)
                .values($rows)
                .on_conflict($table::id)
                .do_update()
                .set(($($table::$col.eq(excluded($table::$col)),)+))
                .execute(c),
        }
    }};
}

/// Inserts or replaces `rows` (ids unique within the slice). At most [`CHUNK`] rows.
pub fn upsert_access(conn: &mut DbConnection, rows: &[AccessRow]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    upsert!(
        conn,
        access_addresses,
        rows,
        [
            vejnavn,
            husnr,
            supplerendebynavn,
            postnr,
            postnrnavn,
            kommunekode,
            lat,
            lon,
            status,
            active
        ]
    )
}

/// Inserts or replaces `rows` (ids unique within the slice). At most [`CHUNK`] rows.
pub fn upsert_units(conn: &mut DbConnection, rows: &[UnitRow]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    upsert!(
        conn,
        unit_addresses,
        rows,
        [access_address_id, etage, dor, status, active]
    )
}

pub fn access_by_ids(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<AccessRow>> {
    access_addresses::table
        .filter(access_addresses::id.eq_any(ids))
        .select(AccessRow::as_select())
        .load(conn)
}

pub fn units_by_ids(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<UnitRow>> {
    unit_addresses::table
        .filter(unit_addresses::id.eq_any(ids))
        .select(UnitRow::as_select())
        .load(conn)
}

pub fn unit(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UnitRow>> {
    unit_addresses::table
        .find(id)
        .select(UnitRow::as_select())
        .first(conn)
        .optional()
}

/// `active_page!(fn_name, table, selection, Item)`: active rows in id order, `limit` after
/// `after` (keyset paging, so that loading 2.5 M rows never holds more than one page of raw rows).
macro_rules! active_page {
    ($(#[$doc:meta])* $name:ident, $table:ident, $select:expr, $item:ty) => {
        $(#[$doc])*
        pub fn $name(
            conn: &mut DbConnection,
            after: Option<&str>,
            limit: i64,
        ) -> QueryResult<Vec<$item>> {
            let mut query = $table::table
                .filter($table::active.eq(true))
                .select($select)
                .order($table::id)
                .limit(limit)
                .into_boxed();
            if let Some(after) = after {
                query = query.filter($table::id.gt(after.to_string()));
            }
            query.load(conn)
        }
    };
}

/// `deactivate!(fn_name, table)`: marks the rows with these ids inactive.
macro_rules! deactivate {
    ($name:ident, $table:ident) => {
        pub fn $name(conn: &mut DbConnection, ids: &[String]) -> QueryResult<usize> {
            diesel::update($table::table.filter($table::id.eq_any(ids)))
                .set($table::active.eq(false))
                .execute(conn)
        }
    };
}

active_page!(
    /// Active access addresses, a keyset page.
    active_access_page, access_addresses, AccessRow::as_select(), AccessRow
);
active_page!(
    /// Ids of active access addresses, a keyset page.
    active_access_ids, access_addresses, access_addresses::id, String
);
active_page!(
    /// Ids of active unit addresses, a keyset page.
    active_unit_ids, unit_addresses, unit_addresses::id, String
);
deactivate!(deactivate_access, access_addresses);
deactivate!(deactivate_units, unit_addresses);

pub fn count_active_access(conn: &mut DbConnection) -> QueryResult<i64> {
    access_addresses::table
        .filter(access_addresses::active.eq(true))
        .count()
        .get_result(conn)
}
