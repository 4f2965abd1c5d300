//! Creating and editing reports, status changes (one or a bulk approval) and deleting drafts.

use super::audit::record;
use super::plan::{planned, trip_taken};
use super::pricing::{reprice, RateBook};
use super::queries::{responsible_approvers, view};
use super::*;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db::reports::{self as repo, ReportFigures, ReportRow, StatusChange};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::report_state::{self as state, Action, ReportStatus};
use crate::error::{Error, ProblemKind, Result};
use crate::services::org::{self};

/// A new report of the caller, as a draft.
pub async fn create(ctx: &Context, caller: Caller, input: ReportInput) -> Result<Report> {
    if input.version.is_some() {
        return Err(Error::validation("version", "a new report has no version"));
    }
    let user_id = caller.user_id;
    let (plan, distance_m) = planned(ctx, user_id, input).await?;
    ctx.db
        .run(move |c| {
            write_transaction(c, |c| {
                let now = db::utc_now();
                repo::lock_person(c, plan.person_id)?;
                let id = repo::insert_report(
                    c,
                    plan.person_id,
                    &plan.content,
                    ReportStatus::Draft.as_str(),
                    user_id,
                    now,
                )
                .map_err(trip_taken)?;
                repo::set_figures(
                    c,
                    id,
                    &ReportFigures {
                        four_km_deduction_m: 0,
                        reimbursable_m: distance_m,
                        amount_ore: 0,
                    },
                )?;
                let rates = RateBook::load(c)?;
                reprice(
                    c,
                    &rates,
                    plan.person_id,
                    &years_of([plan.content.drive_date]),
                    id,
                    now,
                )?;
                let after = reload(c, id)?;
                record(c, Some(user_id), "create", None, &after, None, now)?;
                view(c, after)
            })
        })
        .await
}

/// The owner replaces the content of a draft, pending or rejected report (a rejected one is
/// resubmitted as pending). In place: the id, the history and the lines' report stay.
pub async fn update(
    ctx: &Context,
    caller: Caller,
    id: i64,
    header: Option<Expected>,
    input: ReportInput,
) -> Result<Report> {
    let expected = header
        .or(input.version.map(Expected::Body))
        .ok_or_else(precondition_required)?;
    let user_id = caller.user_id;
    // Refuse early (before asking the router) what the transaction would refuse anyway.
    ctx.db
        .run(move |c| {
            let row = reload(c, id)?;
            let me = org::my_person(c, user_id)?;
            if row.person_id != me.id {
                return Err(Error::forbidden("only the report's owner may edit it"));
            }
            expected.check(row.version)?;
            state::edit(status_of(&row)?, me.id as u64, row.person_id as u64)
                .map_err(transition_error)?;
            Ok(())
        })
        .await?;
    let (plan, distance_m) = planned(ctx, user_id, input).await?;
    ctx.db
        .run(move |c| {
            write_transaction(c, |c| {
                let now = db::utc_now();
                repo::lock_person(c, plan.person_id)?;
                let before = reload(c, id)?;
                if before.person_id != plan.person_id {
                    return Err(Error::forbidden("only the report's owner may edit it"));
                }
                expected.check(before.version)?;
                let from = status_of(&before)?;
                let to = state::edit(from, plan.person_id as u64, before.person_id as u64)
                    .map_err(transition_error)?;
                if !repo::bump_version(c, id, before.version, now)? {
                    return Err(expected.stale(before.version + 1));
                }
                repo::set_content(c, id, &plan.content).map_err(trip_taken)?;
                repo::set_figures(
                    c,
                    id,
                    &ReportFigures {
                        four_km_deduction_m: 0,
                        reimbursable_m: distance_m,
                        amount_ore: before.amount_ore,
                    },
                )?;
                if to != from {
                    repo::set_status(
                        c,
                        id,
                        &StatusChange {
                            status: to.as_str().to_string(),
                            rejection_comment: None,
                            submitted_at: Some(now),
                            decided_at: None,
                            decided_by_user_id: None,
                            // The next approval books it anew.
                            account: None,
                        },
                    )?;
                }
                let rates = RateBook::load(c)?;
                reprice(
                    c,
                    &rates,
                    plan.person_id,
                    &years_of([before.drive_date, plan.content.drive_date]),
                    id,
                    now,
                )?;
                let after = reload(c, id)?;
                record(c, Some(user_id), "edit", Some(&before), &after, None, now)?;
                view(c, after)
            })
        })
        .await
}

/// A change of status, by the owner, an approver or an administrator.
#[derive(Debug, Clone)]
pub enum Decision {
    Submit,
    Withdraw,
    /// `account`: 10 digits, when the approver books the report to another account.
    Approve {
        comment: Option<String>,
        account: Option<String>,
    },
    Reject {
        comment: String,
    },
    AdminReject {
        comment: String,
    },
}

impl Decision {
    fn action(&self) -> Action {
        match self {
            Decision::Submit => Action::Submit,
            Decision::Withdraw => Action::Withdraw,
            Decision::Approve { .. } => Action::Approve,
            Decision::Reject { .. } => Action::Reject,
            Decision::AdminReject { .. } => Action::AdminRejectApproved,
        }
    }

    fn comment(&self) -> Option<&str> {
        match self {
            Decision::Submit | Decision::Withdraw => None,
            Decision::Approve { comment, .. } => comment.as_deref(),
            Decision::Reject { comment } | Decision::AdminReject { comment } => Some(comment),
        }
    }
}

/// Checks the caller's right to take `decision` on `row` and gives the new status.
fn authorise(
    conn: &mut DbConnection,
    caller: Caller,
    row: &ReportRow,
    decision: &Decision,
) -> Result<ReportStatus> {
    let from = status_of(row)?;
    let owner = row.person_id as u64;
    let me = org::person_of_user_id(conn, caller.user_id)?;
    let me_id = me.as_ref().map(|p| p.id as u64);
    let outcome = match decision {
        Decision::Submit | Decision::Withdraw => {
            let Some(me_id) = me_id else {
                return Err(Error::forbidden("only the report's owner may do this"));
            };
            if matches!(decision, Decision::Submit) {
                state::submit(from, me_id, owner)
            } else {
                state::withdraw(from, me_id, owner)
            }
        }
        Decision::Approve { .. } | Decision::Reject { .. } => {
            if !caller.approver {
                return Err(Error::forbidden("this requires the approver role"));
            }
            let Some(me_id) = me_id else {
                return Err(Error::forbidden(
                    "no person is linked to your user account, so you approve nobody",
                ));
            };
            let org_snapshot = org::snapshot(conn)?;
            let approvers = responsible_approvers(&org_snapshot, row, org::today());
            match decision {
                Decision::Reject { comment } => {
                    state::reject(from, me_id, owner, &approvers, comment)
                }
                _ => state::approve(from, me_id, owner, &approvers),
            }
        }
        Decision::AdminReject { comment } => {
            state::admin_reject_approved(from, caller.admin, comment)
        }
    };
    outcome.map_err(transition_error)
}

fn status_change(
    row: &ReportRow,
    to: ReportStatus,
    decision: &Decision,
    caller: Caller,
    now: NaiveDateTime,
) -> StatusChange {
    match decision {
        Decision::Submit => StatusChange {
            status: to.as_str().to_string(),
            rejection_comment: None,
            submitted_at: Some(now),
            decided_at: None,
            decided_by_user_id: None,
            account: row.account.clone(),
        },
        Decision::Withdraw => StatusChange {
            status: to.as_str().to_string(),
            rejection_comment: None,
            submitted_at: row.submitted_at,
            decided_at: None,
            decided_by_user_id: None,
            account: row.account.clone(),
        },
        Decision::Approve { account, .. } => StatusChange {
            status: to.as_str().to_string(),
            rejection_comment: None,
            submitted_at: row.submitted_at,
            decided_at: Some(now),
            decided_by_user_id: Some(caller.user_id),
            account: account.clone(),
        },
        Decision::Reject { comment } | Decision::AdminReject { comment } => StatusChange {
            status: to.as_str().to_string(),
            rejection_comment: Some(comment.clone()),
            submitted_at: row.submitted_at,
            decided_at: Some(now),
            decided_by_user_id: Some(caller.user_id),
            account: row.account.clone(),
        },
    }
}

/// Takes `decision` on report `id` in one transaction: authorisation, version, status,
/// re-pricing of the person's year, audit event.
pub fn decide(
    conn: &mut DbConnection,
    caller: Caller,
    id: i64,
    expected: Option<Expected>,
    decision: Decision,
) -> Result<Report> {
    let expected = expected.ok_or_else(precondition_required)?;
    if let Decision::Approve {
        account: Some(account),
        ..
    } = &decision
    {
        if !(account.len() == 10 && account.bytes().all(|b| b.is_ascii_digit())) {
            return Err(Error::validation("account", "must be 10 digits"));
        }
    }
    if let Some(comment) = decision.comment() {
        if comment.chars().count() > COMMENT_MAX {
            return Err(Error::validation(
                "comment",
                format!("at most {COMMENT_MAX} characters"),
            ));
        }
    }
    write_transaction(conn, |c| {
        let now = db::utc_now();
        let person_id = reload(c, id)?.person_id;
        repo::lock_person(c, person_id)?;
        let before = reload(c, id)?;
        // A stale caller is told so, rather than that the status moved on (a racing approver
        // gets 409 version-conflict, not "cannot approve an approved report").
        let to = match authorise(c, caller, &before, &decision) {
            Err(e) if e.kind() == ProblemKind::Conflict => {
                expected.check(before.version)?;
                return Err(e);
            }
            other => other?,
        };
        expected.check(before.version)?;
        if !repo::bump_version(c, id, before.version, now)? {
            return Err(expected.stale(before.version + 1));
        }
        repo::set_status(c, id, &status_change(&before, to, &decision, caller, now))?;
        let rates = RateBook::load(c)?;
        reprice(
            c,
            &rates,
            before.person_id,
            &years_of([before.drive_date]),
            id,
            now,
        )?;
        let after = reload(c, id)?;
        record(
            c,
            Some(caller.user_id),
            decision.action().as_str(),
            Some(&before),
            &after,
            decision.comment(),
            now,
        )?;
        view(c, after)
    })
}

/// The owner deletes a draft that was never submitted (a report that was ever submitted keeps
/// its audit trail; withdraw it instead).
pub fn delete(
    conn: &mut DbConnection,
    caller: Caller,
    id: i64,
    expected: Option<Expected>,
) -> Result<()> {
    let expected = expected.ok_or_else(precondition_required)?;
    write_transaction(conn, |c| {
        let row = reload(c, id)?;
        let me = org::person_of_user_id(c, caller.user_id)?;
        if me.map(|p| p.id) != Some(row.person_id) {
            return Err(Error::forbidden("only the report's owner may delete it"));
        }
        expected.check(row.version)?;
        if status_of(&row)? != ReportStatus::Draft || row.submitted_at.is_some() {
            return Err(Error::problem(
                ProblemKind::Conflict,
                "only a draft that was never submitted can be deleted; withdraw a pending report",
            ));
        }
        // The version gate also here, so that an edit racing the delete is not lost silently.
        if !repo::bump_version(c, id, row.version, db::utc_now())? {
            return Err(expected.stale(row.version + 1));
        }
        // A draft counts for nothing, so no other report changes.
        repo::delete_report(c, id)?;
        Ok(())
    })
}

/// One report of a bulk approval.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkItem {
    pub id: i64,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    Approved,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkResult {
    pub id: i64,
    pub outcome: BulkOutcome,
    /// The new version (approved).
    pub version: Option<i64>,
    /// Why it failed: the problem the single approval would have answered.
    pub problem: Option<Value>,
}

/// Approves each item on its own (per-item results, not all-or-nothing): a stale or foreign
/// report fails alone, with the problem a single approval would give, and the others go
/// through. Items are taken in the order given, each in its own transaction.
pub async fn bulk_approve(
    ctx: &Context,
    caller: Caller,
    items: Vec<BulkItem>,
    comment: Option<String>,
) -> Result<Vec<BulkResult>> {
    if !caller.approver {
        return Err(Error::forbidden("this requires the approver role"));
    }
    if items.is_empty() || items.len() > MAX_BULK {
        return Err(Error::validation(
            "items",
            format!("between 1 and {MAX_BULK} reports"),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let comment = comment.clone();
        let outcome = ctx
            .db
            .run(move |c| {
                decide(
                    c,
                    caller,
                    item.id,
                    Some(Expected::Body(item.version)),
                    Decision::Approve {
                        comment,
                        account: None,
                    },
                )
            })
            .await;
        out.push(match outcome {
            Ok(report) => BulkResult {
                id: item.id,
                outcome: BulkOutcome::Approved,
                version: Some(report.version),
                problem: None,
            },
            Err(Error::Problem(p)) => BulkResult {
                id: item.id,
                outcome: BulkOutcome::Failed,
                version: None,
                problem: Some(json!({
                    "type": p.kind.type_uri(),
                    "status": p.kind.status(),
                    "detail": p.detail,
                })),
            },
            Err(internal) => return Err(internal),
        });
    }
    Ok(out)
}
