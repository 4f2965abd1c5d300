//! Erasing a person (issue 16): everything but what the payroll ledger needs.

use diesel::prelude::*;

use super::schema::{
    app_passwords, app_tokens, app_uploads, auth_events, drive_reports, employments,
    home_work_overrides, mail_outbox, payroll_ledger, person_addresses, personal_approvers,
    persons, refresh_tokens, report_events, report_lines, substitutes, trips, users, vehicles,
};
use super::DbConnection;
use crate::domain::ids::{EmploymentId, PersonId, ReportId, UserId};

/// What [`erase_person`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    pub reports_deleted: usize,
    /// Reports in a payroll batch: kept as bare rows (date, distance, amount) for the ledger.
    pub reports_kept_for_payroll: usize,
    pub trips_deleted: usize,
    pub vehicles_deleted: usize,
    pub employments_deleted: usize,
    /// The person row itself (false: anonymised, since kept reports point at it).
    pub person_deleted: bool,
}

/// Deletes or scrubs everything about person `person_id` and their user account `user_id`.
/// Call inside a write transaction.
pub fn erase_person(
    conn: &mut DbConnection,
    person_id: PersonId,
    user_id: Option<UserId>,
) -> QueryResult<Erased> {
    let mut out = Erased::default();
    let reports: Vec<ReportId> = drive_reports::table
        .filter(drive_reports::person_id.eq(person_id))
        .select(drive_reports::id)
        .load(conn)?;
    let in_ledger: Vec<ReportId> = payroll_ledger::table
        .filter(payroll_ledger::report_id.eq_any(&reports))
        .select(payroll_ledger::report_id)
        .distinct()
        .load(conn)?;
    let gone: Vec<ReportId> = reports
        .iter()
        .copied()
        .filter(|r| !in_ledger.contains(r))
        .collect();
    diesel::delete(app_uploads::table.filter(app_uploads::report_id.eq_any(&reports)))
        .execute(conn)?;
    diesel::delete(report_events::table.filter(report_events::report_id.eq_any(&reports)))
        .execute(conn)?;
    diesel::delete(report_lines::table.filter(report_lines::report_id.eq_any(&reports)))
        .execute(conn)?;
    out.reports_deleted =
        diesel::delete(drive_reports::table.filter(drive_reports::id.eq_any(&gone)))
            .execute(conn)?;
    out.reports_kept_for_payroll =
        diesel::update(drive_reports::table.filter(drive_reports::id.eq_any(&in_ledger)))
            .set((
                drive_reports::purpose.eq("(slettet)"),
                drive_reports::remark.eq(None::<String>),
                drive_reports::route.eq("[]"),
                drive_reports::trip_id.eq(None::<i64>),
                drive_reports::vehicle_id.eq(None::<i64>),
                drive_reports::rejection_comment.eq(None::<String>),
                drive_reports::review_flags.eq(None::<String>),
                drive_reports::account.eq(None::<String>),
            ))
            .execute(conn)?;
    if let Some(user_id) = user_id {
        diesel::delete(app_uploads::table.filter(app_uploads::user_id.eq(user_id)))
            .execute(conn)?;
        out.trips_deleted =
            diesel::delete(trips::table.filter(trips::user_id.eq(user_id))).execute(conn)?;
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
            .execute(conn)?;
        diesel::delete(app_tokens::table.filter(app_tokens::user_id.eq(user_id))).execute(conn)?;
        diesel::delete(app_passwords::table.filter(app_passwords::user_id.eq(user_id)))
            .execute(conn)?;
        // The sign-in audit events name the account by username (issue 18).
        let username: Option<String> = users::table
            .find(user_id)
            .select(users::username)
            .first(conn)
            .optional()?;
        if let Some(username) = username {
            diesel::delete(auth_events::table.filter(auth_events::username.eq(username)))
                .execute(conn)?;
        }
        // Other reports and batches may name the account as their actor: keep the row, bare.
        diesel::update(users::table.find(user_id))
            .set((
                users::username.eq(format!("erased-{user_id}")),
                users::password_hash.eq("!"),
                users::roles.eq(""),
            ))
            .execute(conn)?;
    }
    out.vehicles_deleted =
        diesel::delete(vehicles::table.filter(vehicles::person_id.eq(person_id))).execute(conn)?;
    diesel::delete(person_addresses::table.filter(person_addresses::person_id.eq(person_id)))
        .execute(conn)?;
    diesel::delete(home_work_overrides::table.filter(home_work_overrides::person_id.eq(person_id)))
        .execute(conn)?;
    diesel::delete(substitutes::table.filter(substitutes::substitute_person_id.eq(person_id)))
        .execute(conn)?;
    diesel::delete(
        personal_approvers::table.filter(
            personal_approvers::person_id
                .eq(person_id)
                .or(personal_approvers::approver_person_id.eq(person_id)),
        ),
    )
    .execute(conn)?;
    diesel::delete(mail_outbox::table.filter(mail_outbox::person_id.eq(person_id)))
        .execute(conn)?;
    let kept_employments: Vec<EmploymentId> = drive_reports::table
        .filter(drive_reports::person_id.eq(person_id))
        .select(drive_reports::employment_id)
        .load(conn)?;
    out.employments_deleted = diesel::delete(
        employments::table
            .filter(employments::person_id.eq(person_id))
            .filter(diesel::dsl::not(employments::id.eq_any(&kept_employments))),
    )
    .execute(conn)?;
    if in_ledger.is_empty() {
        diesel::delete(persons::table.find(person_id)).execute(conn)?;
        out.person_deleted = true;
    } else {
        diesel::update(persons::table.find(person_id))
            .set((
                persons::external_id.eq(format!("erased-{person_id}")),
                persons::name.eq("(slettet)"),
                persons::username.eq(None::<String>),
                persons::cpr.eq(None::<String>),
                persons::email.eq(None::<String>),
                persons::distance_to_border_m.eq(None::<i64>),
                persons::mail_digest.eq(false),
            ))
            .execute(conn)?;
        diesel::update(employments::table.filter(employments::person_id.eq(person_id)))
            .set((
                employments::position.eq(""),
                employments::cost_centre.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    Ok(out)
}
