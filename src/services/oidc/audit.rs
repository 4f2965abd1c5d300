//! The sign-in audit trail (`auth_events`): single sign-ons, refused ones, and password
//! sign-ins refused by `KORSEL_PASSWORD_LOGIN=admins`.

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
