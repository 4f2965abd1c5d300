//! The `trips` table: one row per uploaded GPS trip, its raw track encoded in the row.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::trips;
use super::DbConnection;
use crate::domain::ids::{EmploymentId, TripId, UserId, VehicleId};

/// Everything of a trip but its track (lists and summaries never need the track).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = trips)]
pub struct TripRow {
    pub id: TripId,
    pub user_id: UserId,
    pub client_trip_id: String,
    pub body_sha256: String,
    pub employment_id: Option<EmploymentId>,
    pub vehicle_id: Option<VehicleId>,
    pub purpose: Option<String>,
    pub started_at: NaiveDateTime,
    pub ended_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub distance_m: i64,
    pub naive_distance_m: i64,
    pub uncertainty_m: i64,
    pub points_in: i64,
    pub points_used: i64,
    pub quality: String,
    pub start_latitude: f64,
    pub start_longitude: f64,
    pub end_latitude: f64,
    pub end_longitude: f64,
    pub start_address_id: Option<String>,
    pub start_address_label: Option<String>,
    pub start_address_distance_m: Option<i64>,
    pub end_address_id: Option<String>,
    pub end_address_label: Option<String>,
    pub end_address_distance_m: Option<i64>,
    pub starts_at_home: bool,
    pub ends_at_home: bool,
    pub starts_at_work: bool,
    pub ends_at_work: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = trips)]
pub struct NewTrip<'a> {
    pub user_id: UserId,
    pub client_trip_id: &'a str,
    pub body_sha256: &'a str,
    pub employment_id: Option<EmploymentId>,
    pub vehicle_id: Option<VehicleId>,
    pub purpose: Option<&'a str>,
    pub started_at: NaiveDateTime,
    pub ended_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub distance_m: i64,
    pub naive_distance_m: i64,
    pub uncertainty_m: i64,
    pub points_in: i64,
    pub points_used: i64,
    pub quality: &'a str,
    pub start_latitude: f64,
    pub start_longitude: f64,
    pub end_latitude: f64,
    pub end_longitude: f64,
    pub start_address_id: Option<&'a str>,
    pub start_address_label: Option<&'a str>,
    pub start_address_distance_m: Option<i64>,
    pub end_address_id: Option<&'a str>,
    pub end_address_label: Option<&'a str>,
    pub end_address_distance_m: Option<i64>,
    pub starts_at_home: bool,
    pub ends_at_home: bool,
    pub starts_at_work: bool,
    pub ends_at_work: bool,
    pub track: &'a [u8],
    pub created_at: NaiveDateTime,
}

/// Returns the new id; a second trip with the same `(user_id, client_trip_id)` is a unique
/// violation.
pub fn insert(conn: &mut DbConnection, new: &NewTrip<'_>) -> QueryResult<TripId> {
    diesel::insert_into(trips::table)
        .values(new)
        .returning(trips::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: TripId) -> QueryResult<Option<TripRow>> {
    trips::table
        .find(id)
        .select(TripRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_client_id(
    conn: &mut DbConnection,
    user_id: UserId,
    client_trip_id: &str,
) -> QueryResult<Option<TripRow>> {
    trips::table
        .filter(trips::user_id.eq(user_id))
        .filter(trips::client_trip_id.eq(client_trip_id))
        .select(TripRow::as_select())
        .first(conn)
        .optional()
}

pub fn track(conn: &mut DbConnection, id: TripId) -> QueryResult<Option<Vec<u8>>> {
    trips::table
        .find(id)
        .select(trips::track)
        .first(conn)
        .optional()
}

/// A user's trips, newest first.
pub fn list_of_user(
    conn: &mut DbConnection,
    user_id: UserId,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<TripRow>> {
    trips::table
        .filter(trips::user_id.eq(user_id))
        .order((trips::started_at.desc(), trips::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(TripRow::as_select())
        .load(conn)
}

pub fn count_of_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<i64> {
    trips::table
        .filter(trips::user_id.eq(user_id))
        .count()
        .get_result(conn)
}
