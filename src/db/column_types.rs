//! The one place where the domain's typed values meet their columns (issue 12). The rule: no
//! call site parses or spells a stored enum, and no call site casts an id; rows, parameters and
//! filters use the domain types, and the impls here are the only conversions.
//!
//! - Report status, distance mode, rate kind and a user's roles are text columns, read and
//!   written as typed values.
//! - Entity ids (`domain::ids`) are `BIGINT` columns holding the id's `i64` as it is, so
//!   `drive_reports::id.eq(report_id)` takes a `ReportId` and a row's `person_id` is a `PersonId`.
//!
//! The impls delegate to diesel's own `str`/`String`/`i64` impls, so the same code serves SQLite,
//! PostgreSQL and the `MultiConnection` backend (which only knows the standard types; see
//! `rust-stack-notes.md`). The domain types stay free of diesel: the impls live here, which the
//! orphan rule allows because the types are this crate's.
//!
//! A text value that does not parse (a row written by hand, or by a newer version) is a
//! deserialisation error naming the column's value, not a panic.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
// What `#[derive(AsExpression)]` expands to; the domain types cannot carry the derive.
use diesel::internal::derives::as_expression::Bound;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{BigInt, Nullable, Text};

use super::DbConnection;
use crate::domain::allowance::{DistanceMode, RateKind};
use crate::domain::ids::{
    AddressId, BatchId, EmploymentId, OrgUnitId, PersonId, PersonalApproverId, RateTypeId,
    ReportId, SubstituteId, TripId, UserId, VehicleId,
};
use crate::domain::report_state::ReportStatus;
use crate::domain::users::{Role, Roles};

/// The `MultiConnection`'s backend.
type MultiBackend = <DbConnection as diesel::Connection>::Backend;

/// `Queryable` (as `#[derive(FromSqlRow)]` would give), and `AsExpression` (as
/// `#[derive(AsExpression)]` would give) with the `ToSql` of the nullable form, for types whose
/// `FromSql`/`ToSql` of column type `$st` are written below. `@queryable` gives only the first.
macro_rules! column_type {
    (@queryable $st:ty: $($ty:ty),*) => {$(
        impl<DB> Queryable<$st, DB> for $ty
        where
            DB: Backend,
            Self: FromSql<$st, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )*};
    ($st:ty: $($ty:ty),*) => {$(
        column_type!(@queryable $st: $ty);

        impl<DB> ToSql<Nullable<$st>, DB> for $ty
        where
            DB: Backend,
            Self: ToSql<$st, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <Self as ToSql<$st, DB>>::to_sql(self, out)
            }
        }

        impl AsExpression<$st> for $ty {
            type Expression = Bound<$st, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'e> AsExpression<$st> for &'e $ty {
            type Expression = Bound<$st, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'e, 'f> AsExpression<$st> for &'f &'e $ty {
            type Expression = Bound<$st, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl AsExpression<Nullable<$st>> for $ty {
            type Expression = Bound<Nullable<$st>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'e> AsExpression<Nullable<$st>> for &'e $ty {
            type Expression = Bound<Nullable<$st>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
    )*};
}

// ---------------------------------------------------------------- enums as text

/// Reads the text and parses it with `parse`, naming the value when it does not parse.
fn parse_text<DB, T, E: std::fmt::Display>(
    bytes: DB::RawValue<'_>,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> deserialize::Result<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    let text = String::from_sql(bytes)?;
    parse(&text).map_err(|e| format!("unreadable {what} {text:?} in the database: {e}").into())
}

/// `FromSql` for a type read from text.
macro_rules! from_text {
    ($($ty:ty => $what:literal, $parse:expr;)*) => {$(
        impl<DB> FromSql<Text, DB> for $ty
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                parse_text::<DB, _, _>(bytes, $what, $parse)
            }
        }
    )*};
}

/// `ToSql` for an enum stored as its `as_str()` name, one impl per backend this binary uses (the
/// `MultiConnection` delegates to the other two).
macro_rules! to_text {
    ($($ty:ty),*) => {$(
        to_text!(@to_sql $ty: diesel::sqlite::Sqlite, diesel::pg::Pg, MultiBackend);
    )*};
    (@to_sql $ty:ty: $($db:ty),*) => {$(
        impl ToSql<Text, $db> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, $db>) -> serialize::Result {
                <str as ToSql<Text, $db>>::to_sql(self.as_str(), out)
            }
        }
    )*};
}

from_text! {
    ReportStatus => "report status", str::parse::<ReportStatus>;
    DistanceMode => "distance mode", |s: &str| DistanceMode::parse(s).ok_or("unknown distance mode");
    RateKind => "rate kind", str::parse::<RateKind>;
    Role => "role", str::parse::<Role>;
    Roles => "roles", Roles::from_csv;
}

to_text!(ReportStatus, DistanceMode, RateKind, Role);
column_type!(Text: ReportStatus, DistanceMode, RateKind, Role);
column_type!(@queryable Text: Roles);

/// Roles are stored as their canonical comma-separated list (`admin,employee`); the value is
/// built, so the bound parameter owns it.
impl AsExpression<Text> for &Roles {
    type Expression = <String as AsExpression<Text>>::Expression;
    fn as_expression(self) -> Self::Expression {
        <String as AsExpression<Text>>::as_expression(self.to_csv())
    }
}

impl AsExpression<Text> for Roles {
    type Expression = <String as AsExpression<Text>>::Expression;
    fn as_expression(self) -> Self::Expression {
        (&self).as_expression()
    }
}

// ---------------------------------------------------------------- ids as BIGINT

/// `FromSql` and `ToSql` for an entity id: the column's `i64`, wrapped and unwrapped here only.
macro_rules! bigint_ids {
    ($($ty:ty),*) => {
        $(
            impl<DB> FromSql<BigInt, DB> for $ty
            where
                DB: Backend,
                i64: FromSql<BigInt, DB>,
            {
                fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                    i64::from_sql(bytes).map(Self)
                }
            }

            impl<DB> ToSql<BigInt, DB> for $ty
            where
                DB: Backend,
                i64: ToSql<BigInt, DB>,
            {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                    <i64 as ToSql<BigInt, DB>>::to_sql(&self.0, out)
                }
            }
        )*
        column_type!(BigInt: $($ty),*);
    };
}

bigint_ids! {
    PersonId, OrgUnitId, EmploymentId, ReportId, TripId, UserId, BatchId, VehicleId, RateTypeId,
    SubstituteId, PersonalApproverId, AddressId
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::*;

    /// Writes `value` as a bound parameter, reads the text back, then parses that text again.
    macro_rules! round_trip {
        ($conn:expr, $value:expr, $ty:ty) => {{
            let text: String = diesel::select(AsExpression::<Text>::as_expression($value))
                .get_result($conn)
                .unwrap();
            let back: $ty = diesel::select(text.clone().into_sql::<Text>())
                .get_result($conn)
                .unwrap();
            (text, back)
        }};
    }

    /// Every enum value goes out as its name and comes back as itself (SQLite in memory; the
    /// integration tests run PostgreSQL through the same generic impls).
    #[test]
    fn enums_round_trip_through_text() {
        let conn = &mut diesel::SqliteConnection::establish(":memory:").unwrap();
        for s in ReportStatus::ALL {
            assert_eq!(round_trip!(conn, s, ReportStatus), (s.as_str().into(), s));
        }
        for m in DistanceMode::ALL {
            assert_eq!(round_trip!(conn, m, DistanceMode), (m.as_str().into(), m));
        }
        for k in RateKind::ALL {
            assert_eq!(round_trip!(conn, k, RateKind), (k.as_str().into(), k));
        }
        for r in Role::ALL {
            assert_eq!(round_trip!(conn, r, Role), (r.as_str().into(), r));
        }
        let roles = Roles::new([Role::Admin, Role::Payroll]);
        assert_eq!(
            round_trip!(conn, &roles, Roles),
            ("payroll,admin".into(), roles)
        );
    }

    #[test]
    fn an_unknown_value_is_an_error_not_a_panic() {
        let conn = &mut diesel::SqliteConnection::establish(":memory:").unwrap();
        let got = diesel::select("paid".into_sql::<Text>()).get_result::<ReportStatus>(conn);
        let err = format!("{:?}", got.unwrap_err());
        assert!(
            err.contains(r#"unreadable report status \"paid\""#),
            "{err}"
        );
    }

    diesel::table! {
        id_probe (id) {
            id -> BigInt,
            person_id -> Nullable<BigInt>,
        }
    }

    /// Ids go in and come out as themselves through the `MultiConnection` (SQLite in memory), as
    /// a key, a filter, a `RETURNING` value and a nullable column.
    #[test]
    fn ids_round_trip_through_bigint_columns() {
        use crate::db::DbConnection;
        use diesel::connection::SimpleConnection;

        let conn =
            &mut DbConnection::Sqlite(diesel::SqliteConnection::establish(":memory:").unwrap());
        conn.batch_execute("CREATE TABLE id_probe (id BIGINT PRIMARY KEY, person_id BIGINT)")
            .unwrap();
        let (report, person) = (ReportId(7), PersonId(42));
        let stored: ReportId = diesel::insert_into(id_probe::table)
            .values((
                id_probe::id.eq(report),
                id_probe::person_id.eq(Some(person)),
            ))
            .returning(id_probe::id)
            .get_result(conn)
            .unwrap();
        assert_eq!(stored, report);
        diesel::insert_into(id_probe::table)
            .values((
                id_probe::id.eq(&ReportId(8)),
                id_probe::person_id.eq(None::<PersonId>),
            ))
            .execute(conn)
            .unwrap();

        let row: (ReportId, Option<PersonId>) = id_probe::table
            .filter(id_probe::id.eq(report))
            .first(conn)
            .unwrap();
        assert_eq!(row, (report, Some(person)));
        let by_person: Vec<ReportId> = id_probe::table
            .filter(id_probe::person_id.eq(person))
            .select(id_probe::id)
            .load(conn)
            .unwrap();
        assert_eq!(by_person, [report]);
        let all: Vec<(ReportId, Option<PersonId>)> = id_probe::table
            .filter(id_probe::id.eq_any(&[ReportId(8), report]))
            .order(id_probe::id.asc())
            .load(conn)
            .unwrap();
        assert_eq!(all, [(report, Some(person)), (ReportId(8), None)]);
    }
}
