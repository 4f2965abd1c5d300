//! The plain per-table queries that every administered table repeats (issue 12): insert
//! returning the new id, find by id, delete by id, count, a page in id order, and all rows in id
//! order. [`table_queries!`] writes them; a table whose query differs (another order, a filter)
//! keeps its own function.

/// `table_queries!(table: IdType => RowType { kind fn_name; insert fn_name(NewType); … })` (the
/// id type is `i64` when left out) with `kind`
/// one of `insert`, `find`, `delete`, `count`, `list` (offset, limit; by id), `all` (by id),
/// `update fn_name(ChangesType)` (the changes plus `updated_at = now`) and
/// `find_by fn_name(text_column)` (the first row whose text column equals the value) and
/// `insert_all fn_name(NewType)` (many rows, [`INSERT_CHUNK`] to a statement).
macro_rules! table_queries {
    ($table:ident => $row:ident { $($body:tt)* }) => {
        $crate::db::queries::table_queries!($table: i64 => $row { $($body)* });
    };
    ($table:ident: $id:ty => $row:ident { $($kind:ident $name:ident $(($($arg:tt)*))?;)* }) => {$(
        $crate::db::queries::table_queries!(@one $kind $name $table $row $id [$($($arg)*)?]);
    )*};
    (@one update $name:ident $table:ident $row:ident $id:ty [$changes:ty]) => {
        pub fn $name(
            conn: &mut $crate::db::DbConnection,
            id: $id,
            changes: &$changes,
            now: chrono::NaiveDateTime,
        ) -> QueryResult<usize> {
            diesel::update($table::table.find(id))
                .set((changes, $table::updated_at.eq(now)))
                .execute(conn)
        }
    };
    (@one find_by $name:ident $table:ident $row:ident $id:ty [$column:ident]) => {
        pub fn $name(
            conn: &mut $crate::db::DbConnection,
            value: &str,
        ) -> QueryResult<Option<$row>> {
            $table::table
                .filter($table::$column.eq(value))
                .select($row::as_select())
                .first(conn)
                .optional()
        }
    };
    (@one insert $name:ident $table:ident $row:ident $id:ty [$new:ty]) => {
        pub fn $name(conn: &mut $crate::db::DbConnection, new: &$new) -> QueryResult<$id> {
            diesel::insert_into($table::table)
                .values(new)
                .returning($table::id)
                .get_result(conn)
        }
    };
    (@one insert_all $name:ident $table:ident $row:ident $id:ty [$new:ty]) => {
        /// Inserts `rows` in multi-row statements of at most [`INSERT_CHUNK`] rows each. A
        /// multi-row insert does not compile through the `MultiConnection`, so per backend.
        pub fn $name(conn: &mut $crate::db::DbConnection, rows: &[$new]) -> QueryResult<usize> {
            let mut inserted = 0;
            for chunk in rows.chunks($crate::db::queries::INSERT_CHUNK) {
                inserted += match conn {
                    $crate::db::DbConnection::Sqlite(c) => {
                        diesel::insert_into($table::table).values(chunk).execute(c)?
                    }
                    $crate::db::DbConnection::Postgresql(c) => {
                        diesel::insert_into($table::table).values(chunk).execute(c)?
                    }
                };
            }
            Ok(inserted)
        }
    };
    (@one find $name:ident $table:ident $row:ident $id:ty []) => {
        pub fn $name(conn: &mut $crate::db::DbConnection, id: $id) -> QueryResult<Option<$row>> {
            $table::table
                .find(id)
                .select($row::as_select())
                .first(conn)
                .optional()
        }
    };
    (@one delete $name:ident $table:ident $row:ident $id:ty []) => {
        pub fn $name(conn: &mut $crate::db::DbConnection, id: $id) -> QueryResult<usize> {
            diesel::delete($table::table.find(id)).execute(conn)
        }
    };
    (@one count $name:ident $table:ident $row:ident $id:ty []) => {
        pub fn $name(conn: &mut $crate::db::DbConnection) -> QueryResult<i64> {
            $table::table.count().get_result(conn)
        }
    };
    (@one list $name:ident $table:ident $row:ident $id:ty []) => {
        pub fn $name(
            conn: &mut $crate::db::DbConnection,
            offset: i64,
            limit: i64,
        ) -> QueryResult<Vec<$row>> {
            $table::table
                .order($table::id.asc())
                .offset(offset)
                .limit(limit)
                .select($row::as_select())
                .load(conn)
        }
    };
    (@one all $name:ident $table:ident $row:ident $id:ty []) => {
        pub fn $name(conn: &mut $crate::db::DbConnection) -> QueryResult<Vec<$row>> {
            $table::table
                .order($table::id.asc())
                .select($row::as_select())
                .load(conn)
        }
    };
}
pub(crate) use table_queries;

/// Rows per multi-row insert: 1000 rows of at most a dozen columns stay well below SQLite's
/// 32,766 bind parameters (and PostgreSQL's 65,535). The inserted type must say
/// `treat_none_as_default_value = false`, or SQLite inserts its rows one by one.
pub const INSERT_CHUNK: usize = 1000;
