//! The address registry's generation and the index snapshots stored with it.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::schema::{address_index_snapshots, address_registry};
use super::{utc_now, DbConnection};

/// The PostgreSQL channel an import notifies on commit; the payload is the new generation.
pub const CHANGED_CHANNEL: &str = "korsel_address_registry";

pub fn generation(conn: &mut DbConnection) -> QueryResult<i64> {
    address_registry::table
        .find(1)
        .select(address_registry::generation)
        .first(conn)
}

/// Bumps the generation inside the caller's (import) transaction and returns the new one. On
/// PostgreSQL the other instances are notified when that transaction commits.
pub fn bump_generation(conn: &mut DbConnection) -> QueryResult<i64> {
    diesel::update(address_registry::table.find(1))
        .set((
            address_registry::generation.eq(address_registry::generation + 1),
            address_registry::changed_at.eq(utc_now()),
        ))
        .execute(conn)?;
    let generation = generation(conn)?;
    if let DbConnection::Postgresql(_) = conn {
        conn.batch_execute(&format!("NOTIFY {CHANGED_CHANNEL}, '{generation}'"))?;
    }
    Ok(generation)
}

/// The parts of the snapshot of `generation`, in order; empty when there is none.
pub fn snapshot_parts(conn: &mut DbConnection, generation: i64) -> QueryResult<Vec<Vec<u8>>> {
    address_index_snapshots::table
        .filter(address_index_snapshots::generation.eq(generation))
        .order(address_index_snapshots::part)
        .select(address_index_snapshots::data)
        .load(conn)
}

pub fn has_snapshot(conn: &mut DbConnection, generation: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        address_index_snapshots::table.filter(address_index_snapshots::generation.eq(generation)),
    ))
    .get_result(conn)
}

/// Stores the snapshot of `generation` and drops those of older generations. Call inside a
/// transaction; a concurrent writer of the same generation makes it fail with a unique
/// violation, which means the snapshot is there.
pub fn store_snapshot(
    conn: &mut DbConnection,
    generation: i64,
    parts: &[Vec<u8>],
) -> QueryResult<()> {
    diesel::delete(
        address_index_snapshots::table.filter(address_index_snapshots::generation.lt(generation)),
    )
    .execute(conn)?;
    for (part, data) in parts.iter().enumerate() {
        diesel::insert_into(address_index_snapshots::table)
            .values((
                address_index_snapshots::generation.eq(generation),
                address_index_snapshots::part.eq(i32::try_from(part).unwrap_or(i32::MAX)),
                address_index_snapshots::data.eq(data),
            ))
            .execute(conn)?;
    }
    Ok(())
}
