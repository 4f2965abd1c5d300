//! Reading an import CSV: a header row naming the columns (in any order, comma- or
//! semicolon-separated, an optional BOM), and rows whose cells are read by column name. Errors
//! name the row (the line in the file; the header is row 1) and the column.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::org::{optional_text, required_text};
use crate::error::{Error, Problem, ProblemKind, Result};

/// A 422 naming the row and the column, as far as they are known.
pub(crate) fn csv_error(row: Option<u64>, column: Option<&str>, detail: String) -> Error {
    Error::Problem(csv_problem(row, column, detail))
}

/// The problem of [`csv_error`], for callers that add to it.
pub(crate) fn csv_problem(row: Option<u64>, column: Option<&str>, detail: String) -> Problem {
    let mut text = String::new();
    if let Some(row) = row {
        text.push_str(&format!("row {row}"));
    }
    if let Some(column) = column {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(&format!("column {column}"));
    }
    let mut problem = Problem::new(ProblemKind::Validation, format!("{text}: {detail}"));
    if let Some(row) = row {
        problem = problem.with("row", row);
    }
    if let Some(column) = column {
        problem = problem.with("column", column).with("field", column);
    }
    problem
}

pub(crate) struct Table {
    columns: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

/// Reads a CSV with a header row, comma- or semicolon-separated (Danish spreadsheets write `;`).
pub(crate) fn read_table(data: &[u8], spec: &[(&str, bool)]) -> Result<Table> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.contains(&b';') && !first_line.contains(&b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| csv_error(Some(1), None, format!("cannot read the header: {e}")))?
        .clone();
    let mut columns = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.to_lowercase();
        if !spec.iter().any(|(name, _)| *name == h) {
            return Err(csv_error(Some(1), Some(&h), "unknown column".into()));
        }
        if columns.insert(h.clone(), i).is_some() {
            return Err(csv_error(Some(1), Some(&h), "appears twice".into()));
        }
    }
    for (name, required) in spec {
        if *required && !columns.contains_key(*name) {
            return Err(csv_error(
                Some(1),
                Some(name),
                "required column is missing".into(),
            ));
        }
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| {
            let line = e.position().map_or(line, |p| p.line());
            csv_error(Some(line), None, format!("unreadable: {e}"))
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(line, |p| p.line());
        rows.push((line, record));
    }
    Ok(Table { columns, rows })
}

pub(crate) struct Row<'a> {
    pub line: u64,
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
}

impl Row<'_> {
    pub(crate) fn err(&self, column: &str, detail: impl Into<String>) -> Error {
        csv_error(Some(self.line), Some(column), detail.into())
    }

    pub(crate) fn get(&self, column: &str) -> Option<&str> {
        self.columns
            .get(column)
            .and_then(|&i| self.record.get(i))
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn text(&self, column: &str, max: usize) -> Result<String> {
        required_text(self.get(column).unwrap_or(""), max).map_err(|e| self.err(column, e))
    }

    pub(crate) fn opt_text(&self, column: &str, max: usize) -> Result<Option<String>> {
        optional_text(self.get(column), max).map_err(|e| self.err(column, e))
    }

    pub(crate) fn date(&self, column: &str) -> Result<Option<NaiveDate>> {
        self.get(column)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| self.err(column, "must be a date YYYY-MM-DD"))
            })
            .transpose()
    }

    pub(crate) fn flag(&self, column: &str) -> Result<bool> {
        match self.get(column).map(str::to_lowercase).as_deref() {
            None | Some("false" | "0" | "no" | "nej") => Ok(false),
            Some("true" | "1" | "yes" | "ja") => Ok(true),
            Some(_) => Err(self.err(column, "must be true or false")),
        }
    }

    pub(crate) fn metres(&self, column: &str) -> Result<Option<i64>> {
        self.get(column)
            .map(|v| match v.parse::<i64>() {
                Ok(m) if (0..=1_000_000).contains(&m) => Ok(m),
                _ => Err(self.err(column, "must be whole metres between 0 and 1000000")),
            })
            .transpose()
    }
}

pub(crate) fn rows(table: &Table) -> impl Iterator<Item = Row<'_>> {
    table.rows.iter().map(|(line, record)| Row {
        line: *line,
        record,
        columns: &table.columns,
    })
}
