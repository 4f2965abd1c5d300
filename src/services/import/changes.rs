//! What an import changes, row by row, and the rows it refuses.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, ProblemKind, Result};

/// What a row of the file does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// Creates the row's record (org unit; employment).
    New,
    /// Changes something the row names.
    Changed,
    /// Ends an employment (sets or moves its end date earlier).
    Ended,
    Unchanged,
}

/// One column a row changes, as text before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub column: &'static str,
    pub before: String,
    pub after: String,
}

/// The value of a field as the preview shows it.
pub(crate) fn shown<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// `column` when `before` and `after` differ.
pub(crate) fn field<T: PartialEq + ToString>(
    column: &'static str,
    before: &Option<T>,
    after: &Option<T>,
) -> Option<FieldChange> {
    (before != after).then(|| FieldChange {
        column,
        before: shown(before),
        after: shown(after),
    })
}

/// A row that changes or ends something, and what.
#[derive(Debug, Clone, Serialize)]
pub struct RowChange {
    pub line: u64,
    /// The record's key in the file (external id; employment number).
    pub key: String,
    pub name: String,
    pub kind: RowKind,
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    pub new: u64,
    pub changed: u64,
    pub ended: u64,
    pub unchanged: u64,
}

/// Every row counted; the rows that change or end something listed with what.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileChanges {
    pub counts: RowCounts,
    pub rows: Vec<RowChange>,
}

/// What one row does, built up while it is imported.
#[derive(Debug, Clone)]
pub(crate) struct LineChange {
    pub kind: RowKind,
    pub fields: Vec<FieldChange>,
}

impl LineChange {
    pub fn unchanged() -> LineChange {
        LineChange {
            kind: RowKind::Unchanged,
            fields: Vec::new(),
        }
    }

    /// Adds changed columns; an unchanged row becomes changed.
    pub fn add(&mut self, fields: impl IntoIterator<Item = FieldChange>) {
        for f in fields {
            if self.kind == RowKind::Unchanged {
                self.kind = RowKind::Changed;
            }
            self.fields.push(f);
        }
    }
}

impl FileChanges {
    pub(crate) fn record(&mut self, line: u64, key: &str, name: &str, change: LineChange) {
        let counts = &mut self.counts;
        match change.kind {
            RowKind::New => counts.new += 1,
            RowKind::Changed => counts.changed += 1,
            RowKind::Ended => counts.ended += 1,
            RowKind::Unchanged => counts.unchanged += 1,
        }
        if matches!(change.kind, RowKind::Changed | RowKind::Ended) {
            self.rows.push(RowChange {
                line,
                key: key.to_string(),
                name: name.to_string(),
                kind: change.kind,
                fields: change.fields,
            });
        }
    }
}

/// A row the import refuses: its line (the header is 1), the column and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub row: Option<u64>,
    pub column: Option<String>,
    pub detail: String,
}

fn refusal_of(problem: &Problem) -> Refusal {
    Refusal {
        row: problem.extensions.get("row").and_then(|v| v.as_u64()),
        column: problem
            .extensions
            .get("column")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        detail: problem.detail.clone(),
    }
}

/// The refused rows an import error names: every one of its `errors`, or the one problem.
/// Empty for an error that is not about the file (a database failure).
pub fn refusals(error: &Error) -> Vec<Refusal> {
    let Error::Problem(problem) = error else {
        return Vec::new();
    };
    if problem.kind != ProblemKind::Validation {
        return Vec::new();
    }
    match problem.extensions.get("errors") {
        Some(list) => serde_json::from_value(list.clone()).unwrap_or_default(),
        None => vec![refusal_of(problem)],
    }
}

/// The refused rows of one pass: each row's problem is kept and the pass goes on, so the file's
/// every bad row is named at once.
#[derive(Default)]
pub(crate) struct Refusals(Vec<Problem>);

impl Refusals {
    /// A row's refusal is kept (`None`); any other error stops the import.
    pub fn keep<T>(&mut self, result: Result<T>) -> Result<Option<T>> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(Error::Problem(p))
                if p.kind == ProblemKind::Validation && p.extensions.contains_key("row") =>
            {
                self.0.push(p);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Refuses the file when any row was refused: the first row's problem, with `errors`
    /// listing every one.
    pub fn finish(self) -> Result<()> {
        let Some(first) = self.0.first().cloned() else {
            return Ok(());
        };
        let all: Vec<Refusal> = self.0.iter().map(refusal_of).collect();
        let list = serde_json::to_value(all).map_err(anyhow::Error::from)?;
        Err(Error::Problem(first.with("errors", list)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::csv_table::csv_error;

    #[test]
    fn every_refused_row_is_named() {
        let mut refused = Refusals::default();
        assert_eq!(refused.keep(Ok(1)).unwrap(), Some(1));
        assert_eq!(
            refused
                .keep::<()>(Err(csv_error(Some(3), Some("cpr"), "bad".into())))
                .unwrap(),
            None
        );
        refused
            .keep::<()>(Err(csv_error(Some(5), None, "worse".into())))
            .unwrap();
        let error = refused.finish().unwrap_err();
        let rows = refusals(&error);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].row, rows[0].column.as_deref()),
            (Some(3), Some("cpr"))
        );
        assert_eq!(rows[1].row, Some(5));
        assert!(Refusals::default().finish().is_ok());
    }

    #[test]
    fn a_database_failure_is_not_kept() {
        let mut refused = Refusals::default();
        let failure = Error::Internal(anyhow::anyhow!("disk"));
        assert!(refused.keep::<()>(Err(failure)).is_err());
    }

    #[test]
    fn a_changed_row_is_listed_and_an_unchanged_only_counted() {
        let mut changes = FileChanges::default();
        changes.record(2, "A", "a", LineChange::unchanged());
        let mut changed = LineChange::unchanged();
        changed.add(field("name", &Some("x"), &Some("y")));
        changed.add(field("position", &Some("p"), &Some("p")));
        changes.record(3, "B", "b", changed);
        assert_eq!(changes.counts.unchanged, 1);
        assert_eq!(changes.counts.changed, 1);
        assert_eq!(changes.rows.len(), 1);
        assert_eq!(changes.rows[0].fields.len(), 1);
        assert_eq!(changes.rows[0].fields[0].before, "x");
    }
}
