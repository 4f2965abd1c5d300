//! Creating and editing reports, status changes (one or a bulk approval) and deleting drafts.

use super::audit::record;
use super::plan::{planned, trip_taken, Plan};
use super::pricing::{reprice, RateBook};
use super::queries::{approvers_today, view, visible};
use super::*;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db::reports::{
    self as repo, ReportContent, ReportFigures, ReportRow, StatusChange, TripFacts,
};
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::ids::{ReportId, TripId, UserId};
use crate::domain::report::{Comment, Decision, Refusal, ReportState};
use crate::error::{Error, ProblemKind, Result};
use crate::services::report_limits;

/// A new report of the caller, as a draft.
pub async fn create(ctx: &Context, caller: Caller, input: ReportInput) -> Result<Report> {
    let user_id = caller.user_id;
    let planned = plan_new(ctx, user_id, input, Source::default()).await?;
    ctx.db
        .run(move |c| write_transaction(c, |c| create_in(c, user_id, &planned, None, false)))
        .await
}

// ---------------------------------------------------------------- made with their source
//
// A report that is stored in one transaction with what it was made from (a phone-app upload
// and its trip): planned first (reads and routes, no transaction), then written by `create_in`
// on the caller's open transaction.

/// What a report made together with its source brings along instead of reading it.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// A GPS report's trip, stored in the same transaction (its id is given to `create_in`).
    pub trip: Option<TripFacts>,
    /// The route's stops (a GPS report from the phone app: first, paused-at and last points).
    pub stops: Vec<Location>,
    /// The home-to-border distance the phone app sent (4-km rule).
    pub border_m: Option<i64>,
    /// Codes for the approver.
    pub review_flags: Vec<String>,
}

/// A report checked and measured, ready for `create_in`.
pub struct PlannedReport {
    plan: Plan,
    distance_m: i64,
    review_flags: Vec<String>,
    /// `Context::max_amount_ore`, checked once the report is priced.
    max_amount_ore: i64,
}

/// Checks `input` and asks the route service, as `create` does, outside any transaction.
pub async fn plan_new(
    ctx: &Context,
    user_id: UserId,
    input: ReportInput,
    source: Source,
) -> Result<PlannedReport> {
    if input.version.is_some() {
        return Err(Error::validation("version", "a new report has no version"));
    }
    let review_flags = source.review_flags.clone();
    let (plan, distance_m) = planned(ctx, user_id, input, source).await?;
    Ok(PlannedReport {
        plan,
        distance_m,
        review_flags,
        max_amount_ore: ctx.max_amount_ore,
    })
}

/// Writes a planned report on `conn`, inside the caller's transaction: as a draft, or submitted
/// straight away (`submit`: the phone apps have no drafts). `trip_id`: the trip stored with it.
pub fn create_in(
    c: &mut DbConnection,
    user_id: UserId,
    planned: &PlannedReport,
    trip_id: Option<TripId>,
    submit: bool,
) -> Result<Report> {
    let plan = &planned.plan;
    let now = db::utc_now();
    repo::lock_person(c, plan.person_id)?;
    let content = ReportContent {
        trip_id: trip_id.or(plan.content.trip_id),
        ..plan.content.clone()
    };
    let id = repo::insert_report(
        c,
        plan.person_id,
        &content,
        ReportStatus::Draft,
        user_id,
        now,
    )
    .map_err(trip_taken)?;
    repo::set_figures(
        c,
        id,
        &ReportFigures {
            four_km_deduction_m: 0,
            reimbursable_m: planned.distance_m,
            amount_ore: 0,
        },
    )?;
    if !planned.review_flags.is_empty() {
        let flags =
            serde_json::to_string(&planned.review_flags).map_err(|e| Error::Internal(e.into()))?;
        repo::set_review_flags(c, id, Some(&flags))?;
    }
    let years = years_of([content.drive_date]);
    let rates = RateBook::load(c)?;
    reprice(c, &rates, plan.person_id, &years, id, now)?;
    let created = reload(c, id)?;
    report_limits::amount(created.amount_ore, planned.max_amount_ore)?;
    record(c, Some(user_id), "create", None, &created, None, now)?;
    if !submit {
        return view(c, created);
    }
    let caller = Caller {
        user_id,
        admin: false,
        approver: false,
        payroll: false,
    };
    let change = aggregate(&created)?
        .decide(&actor(c, caller)?, &Decision::Submit, &[], now)
        .map_err(refusal)?;
    store(c, &created, &change, Expected::Body(created.version), now)?;
    reprice(c, &rates, plan.person_id, &years, id, now)?;
    let submitted = reload(c, id)?;
    record(
        c,
        Some(user_id),
        Decision::Submit.action().as_str(),
        Some(&created),
        &submitted,
        None,
        now,
    )?;
    view(c, submitted)
}

/// The owner replaces the content of a draft, pending or rejected report (a rejected one is
/// resubmitted as pending). In place: the id, the history and the lines' report stay.
pub async fn update(
    ctx: &Context,
    caller: Caller,
    id: ReportId,
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
    let (plan, distance_m) = planned(ctx, user_id, input, Source::default()).await?;
    let ceiling_ore = ctx.max_amount_ore;
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
                report_limits::amount(after.amount_ore, ceiling_ore)?;
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
    id: ReportId,
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
        let after = reprice_and_record(
            c,
            &before,
            caller.user_id,
            decision.action().as_str(),
            decision.comment().map(Comment::as_str),
            now,
        )?;
        // issue 16: the employee is told of a rejection, in this same transaction.
        if after.status == ReportStatus::Rejected && before.status != after.status {
            crate::services::notices::report_rejected(c, &after, now)?;
        }
        view(c, after)
    })
}

/// The owner deletes a draft that was never submitted (a report that was ever submitted keeps
/// its audit trail; withdraw it instead).
pub fn delete(
    conn: &mut DbConnection,
    caller: Caller,
    id: ReportId,
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

/// After a status change of `before` (stored): re-prices the person's reports of its year
/// (a status decides what counts), reads the report back and records the event.
pub(super) fn reprice_and_record(
    conn: &mut DbConnection,
    before: &ReportRow,
    actor: UserId,
    action: &str,
    comment: Option<&str>,
    now: NaiveDateTime,
) -> Result<ReportRow> {
    let rates = RateBook::load(conn)?;
    reprice(
        conn,
        &rates,
        before.person_id,
        &years_of([before.drive_date]),
        before.id,
        now,
    )?;
    let after = reload(conn, before.id)?;
    record(
        conn,
        Some(actor),
        action,
        Some(before),
        &after,
        comment,
        now,
    )?;
    Ok(after)
}

/// Stores the aggregate's change under the version `before` was read at.
pub(super) fn store(
    conn: &mut DbConnection,
    before: &ReportRow,
    change: &ReportState,
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
            status: change.status,
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
    pub id: ReportId,
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
    pub id: ReportId,
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
