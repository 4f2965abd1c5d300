//! Creating and editing reports, status changes (one or a bulk approval) and deleting drafts.

use super::audit::record;
use super::plan::{planned, trip_taken};
use super::pricing::{reprice, RateBook};
use super::queries::{approvers_today, view, visible};
use super::*;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db::reports::{self as repo, ReportFigures, ReportRow, StatusChange};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::report::{Change, Comment, Decision, Refusal};
use crate::error::{Error, ProblemKind, Result};

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
            let row = visible(c, caller, id)?;
            expected.check(row.version)?;
            let actor = actor(c, caller)?;
            aggregate(&row)?
                .edit(&actor, db::utc_now())
                .map_err(refusal)?;
            Ok(())
        })
        .await?;
    let (plan, distance_m) = planned(ctx, user_id, input).await?;
    ctx.db
        .run(move |c| {
            write_transaction(c, |c| {
                let now = db::utc_now();
                repo::lock_person(c, plan.person_id)?;
                let before = visible(c, caller, id)?;
                expected.check(before.version)?;
                let change = aggregate(&before)?
                    .edit(&actor(c, caller)?, now)
                    .map_err(refusal)?;
                store(c, &before, &change, expected, now)?;
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

/// Takes `decision` on report `id` in one transaction: the aggregate's rules, version, status,
/// re-pricing of the person's year, audit event.
pub fn decide(
    conn: &mut DbConnection,
    caller: Caller,
    id: i64,
    expected: Option<Expected>,
    decision: Decision,
) -> Result<Report> {
    let expected = expected.ok_or_else(precondition_required)?;
    write_transaction(conn, |c| {
        let now = db::utc_now();
        let person_id = reload(c, id)?.person_id;
        repo::lock_person(c, person_id)?;
        let before = reload(c, id)?;
        let actor = actor(c, caller)?;
        let owner = actor.person_id == Some(before.person_id);
        // The approvers are resolved only where they matter: to approve or reject, or to know
        // whether someone who is not the owner may see the report at all.
        let approvers = if decision.needs_approvers() || !(owner || caller.sees_all()) {
            approvers_today(c, &before)?
        } else {
            Vec::new()
        };
        if !(owner || caller.sees_all() || actor.person_id.is_some_and(|p| approvers.contains(&p)))
        {
            return Err(Error::not_found("report"));
        }
        // A stale caller is told so, rather than that the status moved on (a racing approver
        // gets 409 version-conflict, not "cannot approve an approved report").
        let change = match aggregate(&before)?.decide(&actor, &decision, &approvers, now) {
            Ok(change) => change,
            Err(e) => {
                let e = refusal(e);
                if e.kind() == ProblemKind::Conflict {
                    expected.check(before.version)?;
                }
                return Err(e);
            }
        };
        expected.check(before.version)?;
        store(c, &before, &change, expected, now)?;
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
            decision.comment().map(Comment::as_str),
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
        let row = visible(c, caller, id)?;
        let report = aggregate(&row)?;
        let actor = actor(c, caller)?;
        if actor.person_id != Some(row.person_id) {
            return Err(refusal(Refusal::NotOwnerDelete));
        }
        expected.check(row.version)?;
        report.delete(&actor).map_err(refusal)?;
        // The version gate also here, so that an edit racing the delete is not lost silently.
        if !repo::bump_version(c, id, row.version, db::utc_now())? {
            return Err(expected.stale(row.version + 1));
        }
        // A draft counts for nothing, so no other report changes.
        repo::delete_report(c, id)?;
        Ok(())
    })
}

/// Stores the aggregate's change under the version `before` was read at.
fn store(
    conn: &mut DbConnection,
    before: &ReportRow,
    change: &Change,
    expected: Expected,
    now: NaiveDateTime,
) -> Result<()> {
    if !repo::bump_version(conn, before.id, before.version, now)? {
        return Err(expected.stale(before.version + 1));
    }
    repo::set_status(
        conn,
        before.id,
        &StatusChange {
            status: change.status.as_str().to_string(),
            rejection_comment: change.rejection_comment.clone(),
            submitted_at: change.submitted_at,
            decided_at: change.decided_at,
            decided_by_user_id: change.decided_by_user_id,
            account: change.account.clone(),
        },
    )?;
    Ok(())
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
    let comment =
        Comment::optional(comment.as_deref()).map_err(|e| Error::validation("comment", e))?;
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
