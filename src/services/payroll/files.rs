//! Payroll files: written from a batch's snapshot alone, with the format settings frozen in the
//! batch, so every download gives the same bytes (see the module above).

use super::*;
use crate::domain::ids::BatchId;

/// What a download of a batch's file is called and how it is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub file_name: String,
    pub content_type: &'static str,
}

/// Checks that the batch exists and that the CSV choices (`grouped`, `style`; `None` when not
/// given) fit its format, before any byte is sent.
pub fn file_info(
    conn: &mut DbConnection,
    id: BatchId,
    grouped: Option<bool>,
    style_given: bool,
) -> Result<FileInfo> {
    let batch = find_batch(conn, id)?;
    Ok(match batch_format(&batch)? {
        PayrollFormat::Csv => FileInfo {
            file_name: format!(
                "korsel-payroll-{id}{}.csv",
                if grouped == Some(true) {
                    "-grouped"
                } else {
                    ""
                }
            ),
            content_type: "text/csv; charset=utf-8",
        },
        PayrollFormat::KmdInd01 => {
            if grouped.is_some() {
                return Err(Error::validation(
                    "grouped",
                    "only for csv batches (IND01 is always grouped)",
                ));
            }
            if style_given {
                return Err(Error::validation("style", "only for csv batches"));
            }
            FileInfo {
                file_name: format!("korsel-payroll-{id}-ind01.txt"),
                content_type: "text/plain; charset=utf-8",
            }
        }
    })
}

/// Writes the file of batch `id` to `out` (see the module docs); returns the number of rows
/// (CSV) or records (IND01), headers excluded. `layout` applies to CSV batches. A connection is
/// taken from the pool for each page only, so a slow reader of `out` (a slow download) holds
/// none while it waits.
pub fn write_batch_file<W: Write>(
    db: &Database,
    id: BatchId,
    layout: CsvLayout,
    out: W,
) -> Result<usize> {
    let batch = find_batch(&mut *db.get()?, id)?;
    let settings = batch_settings(&batch)?;
    let page = |after_seq| Ok(repo::file_lines(&mut *db.get()?, id, after_seq, FILE_PAGE)?);
    write_lines(page, &settings, layout, out)
}

fn export_line(row: FileLineRow) -> ExportLine {
    ExportLine {
        report_id: row.report_id,
        employment_number: row.employment_number,
        person_name: row.person_name,
        cpr: row.cpr,
        tf_code: row.tf_code,
        drive_date: row.drive_date,
        distance_m: row.distance_m,
        ore_per_km: row.ore_per_km,
        amount_ore: row.amount_ore,
        purpose: row.purpose,
        account: row.account,
    }
}

/// Calls `each` with a batch's lines in file order, one complete employment at a time.
/// `page(after_seq)` reads the [`FILE_PAGE`] lines after `after_seq`.
pub(super) fn for_each_employment(
    mut page: impl FnMut(i64) -> Result<Vec<FileLineRow>>,
    mut each: impl FnMut(Vec<ExportLine>) -> Result<()>,
) -> Result<()> {
    let mut runs = EmploymentRuns::default();
    let mut after_seq = 0;
    loop {
        let lines = page(after_seq)?;
        let Some(last) = lines.last() else { break };
        after_seq = last.seq;
        for row in lines {
            if let Some(employment) = runs.push(export_line(row)) {
                each(employment)?;
            }
        }
    }
    let last = runs.finish();
    if !last.is_empty() {
        each(last)?;
    }
    Ok(())
}

pub(super) fn write_lines<W: Write>(
    page: impl FnMut(i64) -> Result<Vec<FileLineRow>>,
    settings: &FileSettings,
    layout: CsvLayout,
    out: W,
) -> Result<usize> {
    let mut writer = FileWriter::new(out, settings, layout).map_err(file_error)?;
    for_each_employment(page, |lines| writer.write_lines(&lines).map_err(file_error))?;
    writer.finish().map_err(file_error)
}
