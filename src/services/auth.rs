//! Login, refresh-token rotation with reuse detection, logout, and login throttling.

use std::net::IpAddr;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use serde::Serialize;

use crate::config::{PasswordLogin, ThrottleSettings};
use crate::db::{self, login_failures, refresh_tokens, users, write_transaction, DbConnection};
use crate::domain::throttle;
use crate::domain::users::{normalize_username, validate_username, Roles};
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::services::oidc::audit;
use crate::services::passwords;
use crate::services::tokens::{self, TokenKeys};

#[derive(Debug, Clone, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Failed logins per username and per client IP, counted in the database so that every
/// instance on it sees the same counts: five failures spread over three instances lock the
/// username on all of them.
#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    settings: ThrottleSettings,
}

const BY_USERNAME: &str = "username";
const BY_IP: &str = "ip";

impl LoginThrottle {
    pub fn new(settings: ThrottleSettings) -> Self {
        LoginThrottle { settings }
    }

    fn window(&self) -> ChronoDuration {
        ChronoDuration::from_std(self.settings.window).unwrap_or(ChronoDuration::MAX)
    }

    /// 429 with `Retry-After` when either the username or the IP is over its limit.
    pub fn check(&self, conn: &mut DbConnection, username: &str, ip: Option<IpAddr>) -> Result<()> {
        let now = db::utc_now();
        let since = now - self.window();
        let username = username_subject(username);
        let blocked = |conn: &mut DbConnection, scope, subject: &str, limit| -> Result<_> {
            let newest = login_failures::newest_since(conn, scope, subject, since, limit)?;
            Ok(throttle::blocked_for(&newest, limit, self.window(), now))
        };
        let by_name = blocked(conn, BY_USERNAME, &username, self.settings.per_username)?;
        let by_ip = match ip {
            Some(ip) => blocked(conn, BY_IP, &ip.to_string(), self.settings.per_ip)?,
            None => None,
        };
        match by_name.into_iter().chain(by_ip).max() {
            None => Ok(()),
            Some(wait) => {
                let mut problem = Problem::new(
                    ProblemKind::TooManyRequests,
                    "too many failed login attempts; wait before trying again",
                );
                problem.retry_after = Some(u64::try_from(wait.num_seconds()).unwrap_or(0).max(1));
                Err(problem.into())
            }
        }
    }

    /// Counts a failure against the username and the IP, and forgets failures older than the
    /// window (of every subject, so that a flood of names cannot grow the table without bound).
    pub fn record_failure(
        &self,
        conn: &mut DbConnection,
        username: &str,
        ip: Option<IpAddr>,
    ) -> Result<()> {
        let now = db::utc_now();
        write_transaction(conn, |conn| {
            login_failures::delete_before(conn, now - self.window())?;
            login_failures::insert(conn, BY_USERNAME, &username_subject(username), now)?;
            if let Some(ip) = ip {
                login_failures::insert(conn, BY_IP, &ip.to_string(), now)?;
            }
            Ok(())
        })
    }

    pub fn record_success(&self, conn: &mut DbConnection, username: &str) -> Result<()> {
        login_failures::delete_subject(conn, BY_USERNAME, &username_subject(username))?;
        Ok(())
    }

    /// [`login`] behind the throttle: refused while throttled; the outcome is counted.
    pub fn login(
        &self,
        conn: &mut DbConnection,
        attempt: LoginAttempt<'_>,
        keys: &TokenKeys,
        refresh_ttl: Duration,
    ) -> Result<TokenPair> {
        self.guard(conn, attempt.username, attempt.ip, |conn| {
            login(
                conn,
                keys,
                refresh_ttl,
                attempt.policy,
                attempt.username,
                attempt.password,
            )
        })
    }

    /// Runs a sign-in (API or browser) behind the throttle: refused (429) while the name or the
    /// IP is throttled; wrong credentials count against both, a success clears the name's
    /// failures, other errors count nothing.
    pub fn guard<T, E: SignInError>(
        &self,
        conn: &mut DbConnection,
        username: &str,
        ip: Option<IpAddr>,
        sign_in: impl FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.check(conn, username, ip)?;
        let outcome = sign_in(conn);
        match &outcome {
            Ok(_) => self.record_success(conn, username)?,
            Err(e) if e.is_wrong_credentials() => self.record_failure(conn, username, ip)?,
            Err(_) => {}
        }
        outcome
    }
}

/// The error of a sign-in the throttle guards: the API's problems, or the phone apps' answers.
pub trait SignInError: From<Error> {
    /// A wrong username or password: counted against the name and the IP.
    fn is_wrong_credentials(&self) -> bool;
}

impl SignInError for Error {
    fn is_wrong_credentials(&self) -> bool {
        self.kind() == ProblemKind::InvalidCredentials
    }
}

/// The throttle's key for a username: a hash of its normalised form, so that any string a
/// client sends (a NUL byte, a megabyte) is a short, storable key, and the table holds no
/// usernames in clear.
fn username_subject(username: &str) -> String {
    tokens::sha256_hex(normalize_username(username).as_bytes())
}

/// Who is trying to log in, from where.
pub struct LoginAttempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub ip: Option<IpAddr>,
    /// `KORSEL_PASSWORD_LOGIN`.
    pub policy: PasswordLogin,
}

fn invalid_token() -> Error {
    Error::problem(
        ProblemKind::InvalidToken,
        "the refresh token is invalid, expired or revoked",
    )
}

pub fn login(
    conn: &mut DbConnection,
    keys: &TokenKeys,
    refresh_ttl: Duration,
    policy: PasswordLogin,
    username: &str,
    password: &str,
) -> Result<TokenPair> {
    let row = verify_credentials(conn, policy, username, password)?;
    let roles = row.roles.clone();
    let family = uuid::Uuid::new_v4().to_string();
    write_transaction(conn, |conn| {
        issue_pair(conn, keys, refresh_ttl, &row, &roles, &family)
    })
}

/// The account with this username and password, or `invalid-credentials` (the same answer for
/// an unknown name, after the same amount of hashing work). Shared by the API and browser
/// sign-in.
///
/// With `KORSEL_PASSWORD_LOGIN=admins`, right credentials of an account without the admin role
/// are refused (403, with an audit event): that account signs in with single sign-on.
pub fn verify_credentials(
    conn: &mut DbConnection,
    policy: PasswordLogin,
    username: &str,
    password: &str,
) -> Result<users::UserRow> {
    // A name that could never have been created is not looked up: it could only fail, and some
    // bytes (NUL) are not even valid in a PostgreSQL query.
    let username = normalize_username(username);
    let row = match validate_username(&username) {
        Ok(()) => users::find_by_username(conn, &username)?,
        Err(_) => None,
    };
    let hash = row
        .as_ref()
        .map_or(passwords::dummy_hash(), |r| r.password_hash.as_str());
    let verified = passwords::verify(password, hash);
    // A deactivated account gets the answer of a wrong password: nothing tells it apart.
    let row = row
        .filter(|r| verified && r.deactivated_at.is_none())
        .ok_or_else(|| {
            Error::problem(
                ProblemKind::InvalidCredentials,
                "the username or password is wrong",
            )
        })?;
    if !password_allowed(conn, policy, &row, "password sign-in")? {
        return Err(password_login_refused());
    }
    Ok(row)
}

/// Whether `policy` lets `user` (whose password is right) sign in with it; a refusal is
/// recorded as an audit event. `channel` names the sign-in (web and API, phone app).
pub fn password_allowed(
    conn: &mut DbConnection,
    policy: PasswordLogin,
    user: &users::UserRow,
    channel: &str,
) -> Result<bool> {
    if policy.allows(&user.roles) {
        return Ok(true);
    }
    let detail = format!("{channel} is only for administrators (KORSEL_PASSWORD_LOGIN=admins)");
    audit::record(conn, audit::PASSWORD_REFUSED, Some(&user.username), &detail)?;
    Ok(false)
}

/// The answer to a password sign-in that `KORSEL_PASSWORD_LOGIN=admins` refuses.
fn password_login_refused() -> Error {
    Error::problem(
        ProblemKind::Forbidden,
        "password sign-in is only for administrators here: sign in with your organisation's \
         account (single sign-on)",
    )
}

fn issue_pair(
    conn: &mut DbConnection,
    keys: &TokenKeys,
    refresh_ttl: Duration,
    user: &users::UserRow,
    roles: &Roles,
    family_id: &str,
) -> Result<TokenPair> {
    let user_id = user.id;
    let refresh_token = tokens::new_opaque_token();
    let now = db::utc_now();
    let ttl = ChronoDuration::from_std(refresh_ttl).map_err(anyhow::Error::new)?;
    refresh_tokens::insert(
        conn,
        &refresh_tokens::NewRefreshToken {
            user_id,
            family_id,
            token_hash: &tokens::hash_opaque_token(&refresh_token),
            created_at: now,
            expires_at: now + ttl,
        },
    )?;
    Ok(TokenPair {
        access_token: keys.issue(user_id, roles, user.must_change_password)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: keys.access_ttl().as_secs(),
    })
}

enum Rotation {
    Rotated(TokenPair),
    Rejected,
    ReuseDetected,
}

/// Exchanges a refresh token for a new pair. The old token stops working. Presenting a token
/// that was already rotated means it was copied: the whole family (session) is revoked.
pub fn refresh(
    conn: &mut DbConnection,
    keys: &TokenKeys,
    refresh_ttl: Duration,
    token: &str,
) -> Result<TokenPair> {
    let hash = tokens::hash_opaque_token(token);
    let outcome = write_transaction(conn, |conn| -> Result<Rotation> {
        let Some(row) = refresh_tokens::find_by_hash(conn, &hash)? else {
            return Ok(Rotation::Rejected);
        };
        let now = db::utc_now();
        if row.revoked_at.is_some() {
            return Ok(Rotation::Rejected);
        }
        if row.used_at.is_some() || !refresh_tokens::claim(conn, row.id, now)? {
            refresh_tokens::revoke_family(conn, &row.family_id, now)?;
            return Ok(Rotation::ReuseDetected);
        }
        if row.expires_at <= now {
            return Ok(Rotation::Rejected);
        }
        let Some(user) = users::find(conn, row.user_id)?.filter(|u| u.deactivated_at.is_none())
        else {
            return Ok(Rotation::Rejected);
        };
        let roles = user.roles.clone();
        issue_pair(conn, keys, refresh_ttl, &user, &roles, &row.family_id).map(Rotation::Rotated)
    })?;
    match outcome {
        Rotation::Rotated(pair) => Ok(pair),
        Rotation::Rejected => Err(invalid_token()),
        Rotation::ReuseDetected => {
            tracing::warn!("refresh token reuse detected; the session was revoked");
            Err(invalid_token())
        }
    }
}

/// Ends the session the refresh token belongs to. Unknown tokens are ignored, so logout is
/// idempotent and reveals nothing.
pub fn logout(conn: &mut DbConnection, token: &str) -> Result<()> {
    let hash = tokens::hash_opaque_token(token);
    write_transaction(conn, |conn| {
        if let Some(row) = refresh_tokens::find_by_hash(conn, &hash)? {
            refresh_tokens::revoke_family(conn, &row.family_id, db::utc_now())?;
        }
        Ok(())
    })
}
