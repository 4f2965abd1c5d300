//! Retention (issue 16; GDPR art. 5(1)(e)): a trip's raw GPS points are deleted
//! `KORSEL_RETENTION_GPS_DAYS` after it ended, keeping its summary (distance, uncertainty,
//! addresses, date) and the report made from it; sign-in records go
//! `KORSEL_RETENTION_AUTH_EVENTS_DAYS` after they expired. Report events stay as long as their
//! report. Run daily by the `retention` job.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::config::RetentionSettings;
use crate::db::retention as repo;
use crate::db::{write_transaction, DbConnection};
use crate::domain::gps::encode_track;
use crate::domain::ids::PersonId;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RetentionSummary {
    /// Trips whose raw points were deleted now.
    pub tracks_cleared: usize,
    /// Sign-in records deleted now.
    pub sign_ins_deleted: usize,
}

impl std::fmt::Display for RetentionSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} trips lost their GPS points, {} sign-in records deleted",
            self.tracks_cleared, self.sign_ins_deleted
        )
    }
}

fn days(n: u32) -> chrono::Duration {
    chrono::Duration::days(i64::from(n))
}

/// Applies the retention periods as of `now`, in one transaction.
pub fn apply(
    conn: &mut DbConnection,
    settings: &RetentionSettings,
    now: NaiveDateTime,
) -> Result<RetentionSummary> {
    let empty = encode_track(&[]).map_err(|e| Error::Internal(e.into()))?;
    write_transaction(conn, |c| {
        Ok(RetentionSummary {
            tracks_cleared: repo::clear_old_tracks(c, now - days(settings.gps_days), &empty)?,
            sign_ins_deleted: repo::delete_old_sign_ins(c, now - days(settings.auth_events_days))?,
        })
    })
}

// ================================================================ erasing a person

/// An administrator erases person `person_id` (GDPR art. 17) once every employment of theirs
/// ended more than `KORSEL_RETENTION_GPS_DAYS` ago and no report of theirs waits for approval
/// or payroll. Everything about them goes except what the payroll ledger needs (bookkeeping law:
/// 5 years): the ledger lines themselves (name, CPR, employment number, amounts as exported)
/// and, for those, bare report rows (date, distance, amount) and employment rows.
pub fn erase_person(
    conn: &mut DbConnection,
    person_id: PersonId,
    settings: &RetentionSettings,
    today: chrono::NaiveDate,
) -> Result<crate::db::erase::Erased> {
    use crate::db::{org as org_repo, reports as report_repo, users as user_repo};
    use crate::domain::report_state::ReportStatus;
    use crate::error::ProblemKind;
    write_transaction(conn, |c| {
        let person =
            org_repo::find_person(c, person_id)?.ok_or_else(|| Error::not_found("person"))?;
        let cutoff = today - days(settings.gps_days);
        for employment in org_repo::all_employments(c)?
            .into_iter()
            .filter(|e| e.person_id == person_id)
        {
            if employment.end_date.is_none_or(|end| end >= cutoff) {
                return Err(Error::problem(
                    ProblemKind::Conflict,
                    format!(
                        "employment {} has not ended more than {} days ago \
                         (KORSEL_RETENTION_GPS_DAYS); the person cannot be erased yet",
                        employment.employment_number, settings.gps_days
                    ),
                ));
            }
        }
        let open = report_repo::all_reports(
            c,
            &report_repo::ReportFilter {
                person_ids: Some(vec![person_id]),
                status: None,
                from: None,
                to: None,
            },
        )?
        .into_iter()
        .filter(|r| r.status == ReportStatus::Pending || r.status == ReportStatus::Approved)
        .count();
        if open > 0 {
            return Err(Error::problem(
                ProblemKind::Conflict,
                format!("{open} reports of the person wait for approval or payroll"),
            ));
        }
        let user_id = match &person.username {
            Some(name) => user_repo::find_by_username(c, name)?.map(|u| u.id),
            None => None,
        };
        let erased = crate::db::erase::erase_person(c, person_id, user_id)?;
        tracing::warn!(person = %person_id, ?erased, "person erased");
        Ok(erased)
    })
}
