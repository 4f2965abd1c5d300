//! Re-pricing: the stored rate table and the person's ledger (`domain::allowance::ledger`).

use super::audit::record;
use super::*;
use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::org::{self as org_repo, RateTypeRow};
use crate::db::reports::{self as repo, LineRow, ReportFigures, ReportRow};
use crate::db::DbConnection;
use crate::domain::allowance::{
    price_person, AllowanceLine, FrozenReport, LedgerReport, PricedFigures, RateKind, RatePeriod,
};
use crate::domain::ids::{PersonId, RateTypeId, ReportId};
use crate::error::{Error, ProblemKind, Result};
use crate::services::org::{self};
use crate::services::tf_codes;

/// The stored rate table: the rows (for TF codes) and the domain's view of them.
pub(super) struct RateBook {
    rows: Vec<RateTypeRow>,
    periods: Vec<RatePeriod>,
}

impl RateBook {
    pub(super) fn load(conn: &mut DbConnection) -> Result<RateBook> {
        let rows = org_repo::all_rate_types(conn)?;
        let periods = rows.iter().map(org::rate_period).collect::<Result<_>>()?;
        Ok(RateBook { rows, periods })
    }

    pub(super) fn row_for(&self, kind: RateKind, date: NaiveDate) -> Option<&RateTypeRow> {
        self.rows
            .iter()
            .zip(&self.periods)
            .find(|(_, p)| p.kind == kind && p.contains(date))
            .map(|(r, _)| r)
    }

    pub(super) fn kind_of(&self, rate_type_id: RateTypeId) -> Result<RateKind> {
        self.rows
            .iter()
            .zip(&self.periods)
            .find(|(r, _)| r.id == rate_type_id)
            .map(|(_, p)| p.kind)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("rate type {rate_type_id} is missing")))
    }

    /// The stored lines of priced figures (see `services::tf_codes`).
    fn line_rows(
        &self,
        report_id: ReportId,
        date: NaiveDate,
        lines: &[AllowanceLine],
    ) -> Vec<LineRow> {
        tf_codes::line_rows(report_id, lines, |kind| self.row_for(kind, date))
    }
}

/// Re-prices every report of `person_id` with a drive date in `years` (see
/// `domain::allowance::ledger` for the policy), writing the figures and lines that changed.
/// Other reports that changed get a version bump and a system event; `acting` (the report the
/// caller is changing) is left to the caller's own event.
pub(super) fn reprice(
    conn: &mut DbConnection,
    rates: &RateBook,
    person_id: PersonId,
    years: &[i32],
    acting: ReportId,
    now: NaiveDateTime,
) -> Result<()> {
    let rows = repo::reports_of_person_in_years(conn, person_id, years)?;
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<ReportId> = rows.iter().map(|r| r.id).collect();
    let stored_lines = repo::lines_of(conn, &ids)?;
    let mut lines_by_report: HashMap<ReportId, Vec<&LineRow>> = HashMap::new();
    for line in &stored_lines {
        lines_by_report
            .entry(line.report_id)
            .or_default()
            .push(line);
    }
    let mut ledger = Vec::with_capacity(rows.len());
    for row in &rows {
        let status = row.status;
        let frozen = if status.is_frozen() {
            Some(FrozenReport {
                four_km_deduction_m: row.four_km_deduction_m,
                lines: tf_codes::priced_lines(lines_by_report.get(&row.id).map_or(&[], |v| v))?,
            })
        } else {
            None
        };
        ledger.push(LedgerReport {
            report_id: row.id,
            drive_date: row.drive_date,
            rate_kind: rates.kind_of(row.rate_type_id)?,
            distance_m: row.reimbursable_m + row.four_km_deduction_m,
            four_km_rule: row.four_km_rule,
            counted: status.is_counted(),
            frozen,
        });
    }
    let priced =
        price_person(&rates.periods, &ledger).map_err(|e| allowance_error("drive_date", e))?;
    for (row, figures) in rows.iter().zip(priced) {
        if row.status.is_frozen() {
            continue;
        }
        write_figures(
            conn,
            rates,
            row,
            &figures,
            lines_by_report.get(&row.id),
            acting,
            now,
        )?;
    }
    Ok(())
}

fn write_figures(
    conn: &mut DbConnection,
    rates: &RateBook,
    row: &ReportRow,
    figures: &PricedFigures,
    stored: Option<&Vec<&LineRow>>,
    acting: ReportId,
    now: NaiveDateTime,
) -> Result<()> {
    let new_lines = rates.line_rows(row.id, row.drive_date, &figures.lines);
    let old_lines: Vec<LineRow> = stored
        .map(|v| v.iter().map(|l| (*l).clone()).collect())
        .unwrap_or_default();
    let new_figures = ReportFigures {
        four_km_deduction_m: figures.four_km_deduction_m,
        reimbursable_m: figures.reimbursable_m,
        amount_ore: figures.amount_ore(),
    };
    let old_figures = ReportFigures {
        four_km_deduction_m: row.four_km_deduction_m,
        reimbursable_m: row.reimbursable_m,
        amount_ore: row.amount_ore,
    };
    if new_figures == old_figures && new_lines == old_lines {
        return Ok(());
    }
    if row.id != acting && !repo::bump_version(conn, row.id, row.version, now)? {
        // Report writers hold the person lock, but payroll moves approved reports to exported
        // on its own: this transaction lost that race and rolls back.
        return Err(Error::problem(
            ProblemKind::VersionConflict,
            format!(
                "report {} of the same person changed at the same time; try again",
                row.id
            ),
        ));
    }
    repo::set_figures(conn, row.id, &new_figures)?;
    repo::replace_lines(conn, row.id, &new_lines)?;
    if row.id != acting {
        let after = reload(conn, row.id)?;
        record(
            conn,
            None,
            "reprice",
            Some(row),
            &after,
            Some("re-priced after another report of the same person changed"),
            now,
        )?;
    }
    Ok(())
}
