//! The approver's flags of reports (`services::reports::flags`, where the rule lives), as the
//! pages show them: in Danish.

use crate::db::DbConnection;
use crate::error::Result;
use crate::services::reports::{self, Report};
use crate::web::texts;

/// The flags of each report (already read with the caller's rights), as texts.
pub fn of_reports(conn: &mut DbConnection, items: &[Report]) -> Result<Vec<Vec<String>>> {
    Ok(reports::flags(conn, items)?
        .iter()
        .map(|flags| flags.iter().map(texts::flag).collect())
        .collect())
}
