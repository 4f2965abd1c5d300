//! The one place where the domain's enums meet their text columns (issue 12): report status,
//! distance mode, rate kind and a user's roles are read and written as typed values, so no call
//! site parses or spells them.
//!
//! The impls are generic over the backend and delegate to diesel's own `str`/`String` impls, so
//! the same code serves SQLite, PostgreSQL and the `MultiConnection` backend (which only knows the
//! standard types; see `rust-stack-notes.md`). The domain types stay free of diesel: the impls
//! live here, which the orphan rule allows because the types are this crate's.
//!
//! A value that does not parse (a row written by hand, or by a newer version) is a
//! deserialisation error naming the column's value, not a panic.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
// What `#[derive(AsExpression)]` expands to; the domain types cannot carry the derive.
use diesel::internal::derives::as_expression::Bound;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text};

use super::DbConnection;
use crate::domain::allowance::{DistanceMode, RateKind};
use crate::domain::report_state::ReportStatus;
use crate::domain::users::{Role, Roles};

/// The `MultiConnection`'s backend.
type MultiBackend = <DbConnection as diesel::Connection>::Backend;

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

/// `FromSql` and `Queryable` (as `#[derive(FromSqlRow)]` would give) for a type read from text.
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

        impl<DB> Queryable<Text, DB> for $ty
        where
            DB: Backend,
            Self: FromSql<Text, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )*};
}

/// `ToSql` and `AsExpression` (as `#[derive(AsExpression)]` would give) for an enum stored as its
/// `as_str()` name, for the column type and its nullable form.
macro_rules! to_text {
    // One impl per backend this binary uses (the `MultiConnection` delegates to the other two).
    (@to_sql $ty:ty: $($db:ty),*) => {$(
        impl ToSql<Text, $db> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, $db>) -> serialize::Result {
                <str as ToSql<Text, $db>>::to_sql(self.as_str(), out)
            }
        }
    )*};
    ($($ty:ty),*) => {$(
        to_text!(@to_sql $ty: diesel::sqlite::Sqlite, diesel::pg::Pg, MultiBackend);

        impl<DB> ToSql<Nullable<Text>, DB> for $ty
        where
            DB: Backend,
            Self: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <Self as ToSql<Text, DB>>::to_sql(self, out)
            }
        }

        impl AsExpression<Text> for $ty {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'e> AsExpression<Text> for &'e $ty {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'e, 'f> AsExpression<Text> for &'f &'e $ty {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl AsExpression<Nullable<Text>> for $ty {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'e> AsExpression<Nullable<Text>> for &'e $ty {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
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
}
