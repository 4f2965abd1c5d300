//! The sign-in audit trail (`auth_events`): single sign-ons, refused ones, and password
//! sign-ins refused by `KORSEL_PASSWORD_LOGIN=admins`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{self, oidc as repo, DbConnection};
use crate::error::Result;

/// A single sign-on that opened a session.
pub const SIGNED_IN: &str = "oidc-signed-in";
/// A password sign-in refused because the account is not an administrator's.
pub const PASSWORD_REFUSED: &str = "password-login-refused";

/// Writes one event now. `username` is the one the provider or the form named, when known.
pub fn record(
    conn: &mut DbConnection,
    kind: &str,
    username: Option<&str>,
    detail: &str,
) -> Result<()> {
    repo::insert_event(conn, db::utc_now(), kind, username, detail)?;
    Ok(())
}

/// One sign-in event, as the person's data export shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AuthEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub detail: String,
}

/// The events that name `username`, oldest first.
pub fn of_user(conn: &mut DbConnection, username: &str) -> Result<Vec<AuthEvent>> {
    Ok(repo::events_of(conn, username)?
        .into_iter()
        .map(|e| AuthEvent {
            at: e.at.and_utc(),
            kind: e.kind,
            detail: e.detail,
        })
        .collect())
}
