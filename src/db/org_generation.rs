//! The organisation's generation: one row that every write to the tables approver resolution
//! reads replaces (database triggers, migration `2026-12-02-000101_org_generation`), so a cached
//! organisation snapshot is checked for being current with one indexed read.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::DbConnection;

/// Which database (`instance`) and which state of its organisation (`generation`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, QueryableByName)]
pub struct OrgGeneration {
    #[diesel(sql_type = Text)]
    pub instance: String,
    #[diesel(sql_type = BigInt)]
    pub generation: i64,
}

pub fn current(conn: &mut DbConnection) -> QueryResult<OrgGeneration> {
    diesel::sql_query("SELECT instance, generation FROM org_generation WHERE id = 1")
        .get_result(conn)
}
