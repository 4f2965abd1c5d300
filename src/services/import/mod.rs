//! CSV import of the organisation (`org import`) and of staff (`staff import`): idempotent
//! upserts keyed by external ids, in one transaction. A bad row aborts the whole import and the
//! error names every refused row (the line in the file; the header is row 1) and the column:
//! the problem's detail is the first, its `errors` member lists them all. Rows are checked on
//! their own first; references into the database (parents, org units, approvers) are checked
//! once every row is right on its own.
//!
//! The file is the truth for the records it names: their fields are set to what the file says
//! (an empty cell clears an optional field). Records the file does not name are left alone.
//!
//! [`preview`] runs the very same import in a transaction that is rolled back, and tells row by
//! row what it would change ([`FileChanges`]); [`import_file`] applies it inside the caller's
//! transaction.

mod changes;
mod org_units;
pub mod pending;
mod staff;

use serde::Serialize;

use crate::db::{write_transaction, DbConnection};
use crate::error::{Error, Result};
use crate::services::staff_extras::AddressSource;

pub use changes::{refusals, FieldChange, FileChanges, Refusal, RowChange, RowCounts, RowKind};
pub use org_units::import_org_units;
pub use staff::import_staff;

/// Called with (done, total) as rows are processed.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Counts {
    pub(crate) fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgImportSummary {
    pub rows: u64,
    pub org_units: Counts,
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffImportSummary {
    pub rows: u64,
    pub persons: Counts,
    pub employments: Counts,
    pub substitutes: Counts,
    pub personal_approvers: Counts,
    pub home_addresses: Counts,
    pub vehicles: Counts,
}

pub const ORG_COLUMNS: &[(&str, bool)] = &[
    ("external_id", true),
    ("name", true),
    ("parent_external_id", false),
    ("four_km_rule_allowed", false),
    ("distance_to_border_m", false),
    ("address_registry_id", false),
    ("address_label", false),
    ("address_latitude", false),
    ("address_longitude", false),
];

pub const STAFF_COLUMNS: &[(&str, bool)] = &[
    ("external_id", true),
    ("name", true),
    ("username", false),
    ("cpr", false),
    ("employment_number", true),
    ("org_unit_external_id", true),
    ("position", true),
    ("start_date", true),
    ("end_date", false),
    ("cost_centre", false),
    ("is_leader", false),
    ("approver_external_id", false),
    ("approver_from", false),
    ("approver_to", false),
    ("substitute_for_org_unit", false),
    ("substitute_from", false),
    ("substitute_to", false),
    ("substitute_takes_over", false),
    ("email", false),
    ("home_address", false),
    ("home_address_from", false),
    ("licence_plates", false),
];

/// The two kinds of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    OrgUnits,
    Staff,
}

impl FileKind {
    pub const ALL: [FileKind; 2] = [FileKind::OrgUnits, FileKind::Staff];

    /// The name in URLs and the API's paths (`/api/v1/import/{slug}`).
    pub fn slug(self) -> &'static str {
        match self {
            FileKind::OrgUnits => "org-units",
            FileKind::Staff => "staff",
        }
    }

    pub fn from_slug(slug: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.slug() == slug)
    }
}

/// The summary of either import.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Summary {
    OrgUnits(OrgImportSummary),
    Staff(StaffImportSummary),
}

/// What importing a file did (or, from [`preview`], would do).
#[derive(Debug, Clone)]
pub struct FileImport {
    pub summary: Summary,
    pub changes: FileChanges,
}

/// Imports a file of `kind` inside the caller's write transaction (so the caller can do more
/// in the same one). On error the caller must roll back.
pub fn import_file(
    conn: &mut DbConnection,
    kind: FileKind,
    data: &[u8],
    addresses: AddressSource,
    progress: Progress<'_>,
) -> Result<FileImport> {
    let mut changes = FileChanges::default();
    let summary = match kind {
        FileKind::OrgUnits => {
            let lines = org_units::parse(data)?;
            Summary::OrgUnits(org_units::apply(conn, &lines, progress, &mut changes)?)
        }
        FileKind::Staff => {
            let lines = staff::parse(conn, data, addresses)?;
            Summary::Staff(staff::apply(conn, &lines, progress, &mut changes)?)
        }
    };
    Ok(FileImport { summary, changes })
}

/// What importing the file would change: the import itself, run in a transaction that is
/// rolled back. Nothing is stored.
pub fn preview(
    conn: &mut DbConnection,
    kind: FileKind,
    data: &[u8],
    addresses: AddressSource,
) -> Result<FileImport> {
    enum Undo {
        Previewed(Box<FileImport>),
        Failed(Error),
    }
    impl From<diesel::result::Error> for Undo {
        fn from(e: diesel::result::Error) -> Self {
            Undo::Failed(e.into())
        }
    }
    let outcome = write_transaction(
        conn,
        |conn| -> std::result::Result<std::convert::Infallible, Undo> {
            match import_file(conn, kind, data, addresses, &mut |_, _| {}) {
                Ok(done) => Err(Undo::Previewed(Box::new(done))),
                Err(e) => Err(Undo::Failed(e)),
            }
        },
    );
    match outcome {
        Ok(never) => match never {},
        Err(Undo::Previewed(done)) => Ok(*done),
        Err(Undo::Failed(e)) => Err(e),
    }
}
