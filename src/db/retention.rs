//! Deleting personal data past its retention period (issue 16).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{auth_events, refresh_tokens, trips};
use super::DbConnection;

/// Replaces the raw points of every trip that ended before `cutoff` with `empty` (an encoded
/// track without points); the trip's summary columns stay. Returns how many trips lost points.
pub fn clear_old_tracks(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    empty: &[u8],
) -> QueryResult<usize> {
    diesel::update(
        trips::table
            .filter(trips::ended_at.lt(cutoff))
            .filter(trips::track.ne(empty)),
    )
    .set(trips::track.eq(empty))
    .execute(conn)
}

/// Deletes the sign-in records (refresh tokens: when, and from which login family) that expired
/// before `cutoff`, and the sign-in audit events (issue 18) written before it. Returns how many.
pub fn delete_old_sign_ins(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    let tokens =
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(cutoff)))
            .execute(conn)?;
    let events =
        diesel::delete(auth_events::table.filter(auth_events::at.lt(cutoff))).execute(conn)?;
    Ok(tokens + events)
}
