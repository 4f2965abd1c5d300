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
