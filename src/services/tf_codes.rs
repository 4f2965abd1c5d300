//! TF codes (KMD lønarter) on a report's priced lines, and the guarantee that payroll never
//! receives a placeholder.
//!
//! A report's lines are stored as each priced domain line followed by a km-only line for its
//! rate type's second TF code, when it has one (OS2 `TFCodeOptional`: same km, no amount).
//! Re-pricing writes them with the codes in force; an approved report is not re-priced when an
//! administrator later replaces a code, so a payroll batch brings its reports' lines up to the
//! codes in force when it is made ([`apply_codes_in_force`]) and refuses any placeholder that
//! is left, whatever the format.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::db::org::{self as org_repo, RateTypeRow};
use crate::db::payroll as payroll_repo;
use crate::db::reports::{self as reports_repo, LineRow};
use crate::db::DbConnection;
use crate::domain::allowance::rates::{is_placeholder_tf_code, PLACEHOLDER_TF_PREFIX};
use crate::domain::allowance::{AllowanceLine, RateKind};
use crate::domain::ids::{BatchId, ReportId};
use crate::domain::report_state::ReportStatus;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::services::org::today;

/// Report ids per query when stale lines are rewritten: well below every backend's limit on
/// bound parameters.
const REFRESH_CHUNK: usize = 500;

/// The rate type of `kind` in force on `date`.
fn rate_type_on(rows: &[RateTypeRow], kind: RateKind, date: NaiveDate) -> Option<&RateTypeRow> {
    rows.iter()
        .find(|r| r.kind == kind && r.valid_from <= date && date <= r.valid_to)
}

/// The stored rows of priced lines: each line with the TF code of `rate_in_force` for its kind
/// (its own when there is none), followed by a km-only row for the second TF code.
pub(crate) fn line_rows<'r>(
    report_id: ReportId,
    lines: &[AllowanceLine],
    rate_in_force: impl Fn(RateKind) -> Option<&'r RateTypeRow>,
) -> Vec<LineRow> {
    let mut out = Vec::with_capacity(lines.len() * 2);
    for line in lines {
        let distance_m = line.distance_units * 10;
        let rate = rate_in_force(line.rate_kind);
        out.push(LineRow {
            report_id,
            position: out.len() as i64 + 1,
            tf_code: rate.map_or_else(|| line.tf_code.clone(), |r| r.tf_code.clone()),
            rate_kind: line.rate_kind,
            distance_m,
            ore_per_km: line.ore_per_km,
            amount_ore: line.amount_ore,
        });
        if let Some(second) = rate.and_then(|r| r.tf_code_2.clone()) {
            out.push(LineRow {
                report_id,
                position: out.len() as i64 + 1,
                tf_code: second,
                rate_kind: line.rate_kind,
                distance_m,
                ore_per_km: 0,
                amount_ore: 0,
            });
        }
    }
    out
}

/// The priced lines of stored rows, as the domain counts them: the first row of each rate kind.
pub(crate) fn priced_lines(rows: &[&LineRow]) -> Result<Vec<AllowanceLine>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for row in rows {
        let kind = row.rate_kind;
        if seen.insert(kind) {
            out.push(AllowanceLine {
                rate_kind: kind,
                tf_code: row.tf_code.clone(),
                distance_units: row.distance_m / 10,
                ore_per_km: row.ore_per_km,
                amount_ore: row.amount_ore,
                unverified_rate: false,
            });
        }
    }
    Ok(out)
}

/// Inside the batch's transaction, before its lines are copied: rewrites the lines of the
/// batch's reports whose TF codes are not those in force now, then refuses the batch (422,
/// naming the rate type) when a line still carries a placeholder code.
pub(crate) fn apply_codes_in_force(conn: &mut DbConnection, batch_id: BatchId) -> Result<()> {
    let stale = payroll_repo::reports_with_stale_tf_codes(conn, batch_id)?;
    let rates = org_repo::all_rate_types(conn)?;
    for chunk in stale.chunks(REFRESH_CHUNK) {
        let ids: Vec<ReportId> = chunk.iter().map(|(id, _)| *id).collect();
        let lines = reports_repo::lines_of(conn, &ids)?;
        for &(id, date) in chunk {
            let stored: Vec<&LineRow> = lines.iter().filter(|l| l.report_id == id).collect();
            let fresh = line_rows(id, &priced_lines(&stored)?, |kind| {
                rate_type_on(&rates, kind, date)
            });
            reports_repo::replace_lines(conn, id, &fresh)?;
        }
    }
    if !stale.is_empty() {
        tracing::info!(
            batch_id = batch_id.0,
            reports = stale.len(),
            "payroll batch: TF codes brought up to the rate types in force"
        );
    }
    let pattern = format!("{PLACEHOLDER_TF_PREFIX}%");
    match payroll_repo::batch_line_with_tf_code_like(conn, batch_id, &pattern)? {
        None => Ok(()),
        Some((kind, date, code)) => Err(placeholder_refusal(
            rate_type_on(&rates, kind, date),
            kind,
            date,
            &code,
        )),
    }
}

fn placeholder_refusal(
    rate: Option<&RateTypeRow>,
    kind: RateKind,
    date: NaiveDate,
    code: &str,
) -> Error {
    let detail = match rate {
        Some(r) => format!(
            "rate type {kind} {} to {} (id {}) still has the placeholder TF code {code:?}: \
             set the municipality's code with PUT /api/v1/rate-types/{} before exporting; \
             nothing was exported",
            r.valid_from, r.valid_to, r.id, r.id
        ),
        None => format!(
            "a report of rate type {kind} driven on {date} has the placeholder TF code \
             {code:?} and no rate type covers that date; nothing was exported"
        ),
    };
    let mut problem =
        Problem::new(ProblemKind::Validation, detail).with("rate_kind", kind.as_str());
    if let Some(r) = rate {
        problem = problem.with("rate_type_id", r.id.0);
    }
    Error::Problem(problem)
}

/// The rate types that reports may still be paid by (from the earliest drive date of a draft,
/// pending or approved report, and every period from today on) whose TF codes are placeholders.
pub fn rate_types_with_placeholders_in_use(conn: &mut DbConnection) -> Result<Vec<RateTypeRow>> {
    let open = [
        ReportStatus::Draft,
        ReportStatus::Pending,
        ReportStatus::Approved,
    ];
    let today = today();
    let from =
        payroll_repo::earliest_unexported_drive_date(conn, &open)?.map_or(today, |d| d.min(today));
    Ok(org_repo::all_rate_types(conn)?
        .into_iter()
        .filter(|r| r.valid_from <= today && r.valid_to >= from)
        .filter(|r| {
            is_placeholder_tf_code(&r.tf_code)
                || r.tf_code_2.as_deref().is_some_and(is_placeholder_tf_code)
        })
        .collect())
}

/// At start-up: a warning while rate types in use have placeholder TF codes, because payroll
/// batches are refused until they are replaced.
pub fn warn_about_placeholders(conn: &mut DbConnection) -> Result<()> {
    let rows = rate_types_with_placeholders_in_use(conn)?;
    if !rows.is_empty() {
        let names: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} to {} (id {})",
                    r.kind, r.valid_from, r.valid_to, r.id
                )
            })
            .collect();
        tracing::warn!(
            "rate types in use still have placeholder TF codes, so payroll batches are refused \
             until an administrator sets the municipality's codes on the page /admin/takster \
             (or with PUT /api/v1/rate-types/{{id}}): {}",
            names.join(", ")
        );
    }
    Ok(())
}
