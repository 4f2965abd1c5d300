//! Browser sessions: sign-in with the API's accounts, a server-side session in the database (so
//! several instances share it) with an idle timeout, and a CSRF token per session.

use std::time::Duration;

use chrono::{Duration as ChronoDuration, NaiveDateTime};

use crate::config::PasswordLogin;
use crate::db::{self, users, web_sessions, write_transaction, DbConnection};
use crate::domain::ids::UserId;
use crate::domain::users::Roles;
use crate::error::Result;
use crate::services::auth;
use crate::services::tokens::{hash_opaque_token, new_opaque_token};

/// A session is written back ("touched") at most this often, so that browsing is not one
/// database write per page.
const TOUCH_EVERY: ChronoDuration = ChronoDuration::seconds(30);

/// A new browser session: the cookie value (shown once, stored only as a hash).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
}

/// The signed-in user behind a session cookie. Roles are read from the account on every
/// request, so a role change applies at once.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: UserId,
    pub username: String,
    pub roles: Roles,
    pub csrf_token: String,
    /// Signed in with a one-time password: the password must be changed before anything else.
    pub must_change_password: bool,
}

/// What a session cookie turned out to be.
#[derive(Debug, Clone)]
pub enum Lookup {
    Active(SessionUser),
    /// It existed and was idle too long; it is now removed.
    Expired,
    Unknown,
}

/// Checks the credentials (the caller throttles; `policy` may keep the password for
/// administrators) and opens a session.
pub fn sign_in(
    conn: &mut DbConnection,
    idle: Duration,
    policy: PasswordLogin,
    username: &str,
    password: &str,
) -> Result<NewSession> {
    let user = auth::verify_credentials(conn, policy, username, password)?;
    write_transaction(conn, |conn| open(conn, idle, user.id, None))
}

/// Opens a session for `user_id` (signed in by password or single sign-on, whose ID token is
/// kept for the provider's sign-out). Idle sessions of anybody are removed on the way, which
/// keeps the table small without a background job. The caller holds the transaction.
pub fn open(
    conn: &mut DbConnection,
    idle: Duration,
    user_id: UserId,
    id_token_hint: Option<&str>,
) -> Result<NewSession> {
    let token = new_opaque_token();
    let now = db::utc_now();
    web_sessions::delete_idle(conn, now - idle_span(idle))?;
    web_sessions::insert(
        conn,
        &web_sessions::NewWebSession {
            user_id,
            token_hash: &hash_opaque_token(&token),
            csrf_token: &new_opaque_token(),
            created_at: now,
            last_seen_at: now,
            id_token_hint,
        },
    )?;
    Ok(NewSession { token })
}

fn idle_span(idle: Duration) -> ChronoDuration {
    ChronoDuration::from_std(idle).unwrap_or(ChronoDuration::MAX)
}

/// Resolves a cookie value at `now`: an active session is touched (see `TOUCH_EVERY`), an idle
/// one removed.
pub fn lookup(
    conn: &mut DbConnection,
    idle: Duration,
    token: &str,
    now: NaiveDateTime,
) -> Result<Lookup> {
    let hash = hash_opaque_token(token);
    let Some(session) = web_sessions::find_by_hash(conn, &hash)? else {
        return Ok(Lookup::Unknown);
    };
    if now - session.last_seen_at > idle_span(idle) {
        web_sessions::delete_by_hash(conn, &hash)?;
        return Ok(Lookup::Expired);
    }
    let Some(user) = users::find(conn, session.user_id)?.filter(|u| u.deactivated_at.is_none())
    else {
        return Ok(Lookup::Unknown);
    };
    if now - session.last_seen_at > TOUCH_EVERY {
        web_sessions::touch(conn, session.id, now)?;
    }
    Ok(Lookup::Active(SessionUser {
        user_id: user.id,
        username: user.username,
        roles: user.roles,
        csrf_token: session.csrf_token,
        must_change_password: user.must_change_password,
    }))
}

/// Ends the session; an unknown cookie is ignored, so signing out twice is harmless. Returns
/// the provider's ID token when the session was a single sign-on, for the provider's sign-out.
pub fn sign_out(conn: &mut DbConnection, token: &str) -> Result<Option<String>> {
    let hash = hash_opaque_token(token);
    let hint = web_sessions::find_by_hash(conn, &hash)?.and_then(|s| s.id_token_hint);
    web_sessions::delete_by_hash(conn, &hash)?;
    Ok(hint)
}
