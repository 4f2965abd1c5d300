//! The audit trail: one event per change, with the fields that changed.

use chrono::NaiveDateTime;
use serde_json::{json, Map, Value};

use crate::db::reports::{self as repo, ReportRow};
use crate::db::DbConnection;
use crate::domain::ids::UserId;
use crate::error::Result;

/// The audited fields of a report, by name.
fn audit_fields(row: &ReportRow) -> Map<String, Value> {
    let route: Value = serde_json::from_str(&row.route).unwrap_or(Value::Null);
    let fields = json!({
        "employment_id": row.employment_id,
        "rate_type_id": row.rate_type_id,
        "vehicle_id": row.vehicle_id,
        "trip_id": row.trip_id,
        "drive_date": row.drive_date,
        "purpose": row.purpose,
        "remark": row.remark,
        "distance_mode": row.distance_mode,
        "round_trip": row.is_round_trip,
        "route": route,
        "typed_distance_m": row.typed_distance_m,
        "starts_at_home": row.starts_at_home,
        "ends_at_home": row.ends_at_home,
        "four_km_rule": row.four_km_rule,
        "route_distance_m": row.route_distance_m,
        "home_work_deduction_m": row.home_work_deduction_m,
        "four_km_deduction_m": row.four_km_deduction_m,
        "reimbursable_m": row.reimbursable_m,
        "amount_ore": row.amount_ore,
        "status": row.status,
        "rejection_comment": row.rejection_comment,
        "account": row.account,
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `{"field": {"from": …, "to": …}}` for every field that differs; `None` when nothing does.
fn diff(before: Option<&ReportRow>, after: &ReportRow) -> Option<String> {
    let old = before.map(audit_fields).unwrap_or_default();
    let new = audit_fields(after);
    let mut changes = Map::new();
    for (field, to) in new {
        let from = old.get(&field).cloned().unwrap_or(Value::Null);
        if from != to {
            changes.insert(field, json!({"from": from, "to": to}));
        }
    }
    (!changes.is_empty()).then(|| Value::Object(changes).to_string())
}

/// One audit event for `after` (already written), with the fields changed since `before`.
pub(super) fn record(
    conn: &mut DbConnection,
    actor: Option<UserId>,
    action: &str,
    before: Option<&ReportRow>,
    after: &ReportRow,
    comment: Option<&str>,
    now: NaiveDateTime,
) -> Result<()> {
    repo::insert_event(
        conn,
        &repo::NewEvent {
            report_id: after.id,
            actor_user_id: actor,
            at: now,
            action,
            from_status: before.map(|b| b.status),
            to_status: after.status,
            version: after.version,
            changes: diff(before, after),
            comment,
        },
    )?;
    Ok(())
}
