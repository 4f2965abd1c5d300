//! Payroll sends an exported report back to its approver: after acknowledging a batch, payroll
//! could not pay one of its reports (a locked employment, a cost centre it refuses). The batch's
//! file stays as it was; the report is pending again, and once approved again a later batch takes
//! it (its row in this batch is released, so the report is in at most one live batch). The
//! employee gets an e-mail notice; the approver finds the report in the queue and the digest.

use serde::Deserialize;

use super::lifecycle::{reprice_and_record, store};
use super::queries::view;
use super::*;

use crate::db::payroll as ledger;
use crate::db::{self, write_transaction};
use crate::domain::ids::BatchId;
use crate::domain::report::{Action, Comment};

/// Why payroll sends the report back (shown to the approver in the report's history).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnReport {
    pub reason: String,
}

/// Payroll or an administrator sends report `id` of acknowledged batch `batch_id` back to its
/// approver, in one transaction: the report becomes pending (undecided, next version), its row
/// in the batch is released, the person's reports of that year are re-priced (the report is no
/// longer frozen), and the history records the batch and the reason.
pub fn return_from_payroll(
    conn: &mut DbConnection,
    caller: Caller,
    batch_id: BatchId,
    id: ReportId,
    input: &ReturnReport,
) -> Result<Report> {
    if !caller.sees_all() {
        return Err(Error::not_found("report"));
    }
    let reason =
        Comment::required(Some(&input.reason)).map_err(|e| Error::validation("reason", e))?;
    write_transaction(conn, |c| {
        let now = db::utc_now();
        let batch =
            ledger::find_batch(c, batch_id)?.ok_or_else(|| Error::not_found("payroll batch"))?;
        // The person's reports are priced together: their writers take turns.
        let person_id = reload(c, id)?.person_id;
        repo::lock_person(c, person_id)?;
        let row = ledger::ledger_row(c, batch_id, id)?
            .ok_or_else(|| Error::not_found("report in this payroll batch"))?;
        let conflict = |why: &str| Error::problem(ProblemKind::Conflict, why.to_string());
        if batch.cancelled_at.is_some() {
            return Err(conflict(
                "the batch is cancelled: its reports are approved again, not with payroll",
            ));
        }
        if batch.acknowledged_at.is_none() {
            return Err(conflict(
                "payroll has not acknowledged the batch: cancel the batch instead and make a new \
                 one once the report is put right",
            ));
        }
        if row.released_at.is_some() {
            return Err(conflict("payroll has already sent this report back"));
        }
        let before = reload(c, id)?;
        if before.version != row.report_version {
            return Err(conflict("the report has changed since the batch took it"));
        }
        let change = aggregate(&before)?
            .return_from_payroll(&reason)
            .map_err(refusal)?;
        store(c, &before, &change, Expected::Body(before.version), now)?;
        if !ledger::release_report(c, batch_id, id, now)? {
            return Err(conflict("payroll has already sent this report back"));
        }
        let after = reprice_and_record(
            c,
            &before,
            caller.user_id,
            Action::PayrollReturn.as_str(),
            Some(&format!("payroll batch {batch_id}: {}", reason.as_str())),
            now,
        )?;
        // The employee is told, in this same transaction, as of a rejection.
        crate::services::notices::report_returned_by_payroll(c, &after, reason.as_str(), now)?;
        view(c, after)
    })
}
