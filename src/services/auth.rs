//! Login, refresh-token rotation with reuse detection, logout, and login throttling.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use serde::Serialize;

use crate::config::ThrottleSettings;
use crate::db::{self, refresh_tokens, users, write_transaction, DbConnection};
use crate::domain::throttle::FailureWindow;
use crate::domain::users::{normalize_username, validate_username, Roles};
use crate::error::{Error, Problem, ProblemKind, Result};
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

/// Failed logins per username and per client IP, in memory. Per process: behind several
/// instances each counts its own, which still bounds guessing per instance.
pub struct LoginThrottle {
    by_username: Mutex<FailureWindow>,
    by_ip: Mutex<FailureWindow>,
}

impl LoginThrottle {
    pub fn new(settings: ThrottleSettings) -> Self {
        LoginThrottle {
            by_username: Mutex::new(FailureWindow::new(settings.per_username, settings.window)),
            by_ip: Mutex::new(FailureWindow::new(settings.per_ip, settings.window)),
        }
    }

    /// 429 with `Retry-After` when either the username or the IP is over its limit.
    pub fn check(&self, username: &str, ip: Option<IpAddr>) -> Result<()> {
        let now = Instant::now();
        let username = normalize_username(username);
        let by_name = lock(&self.by_username).blocked_for(&username, now);
        let by_ip = ip.and_then(|ip| lock(&self.by_ip).blocked_for(&ip.to_string(), now));
        match by_name.into_iter().chain(by_ip).max() {
            None => Ok(()),
            Some(wait) => {
                let mut problem = Problem::new(
                    ProblemKind::TooManyRequests,
                    "too many failed login attempts; wait before trying again",
                );
                problem.retry_after = Some(wait.as_secs().max(1));
                Err(problem.into())
            }
        }
    }

    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        lock(&self.by_username).record_failure(&normalize_username(username), now);
        if let Some(ip) = ip {
            lock(&self.by_ip).record_failure(&ip.to_string(), now);
        }
    }

    pub fn record_success(&self, username: &str) {
        lock(&self.by_username).clear(&normalize_username(username));
    }
}

fn lock(m: &Mutex<FailureWindow>) -> std::sync::MutexGuard<'_, FailureWindow> {
    // A panic while holding the lock leaves counters that are still valid; keep using them.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
    username: &str,
    password: &str,
) -> Result<TokenPair> {
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
    let Some(row) = row.filter(|_| verified) else {
        return Err(Error::problem(
            ProblemKind::InvalidCredentials,
            "the username or password is wrong",
        ));
    };
    let roles = row.roles.clone();
    let family = uuid::Uuid::new_v4().to_string();
    write_transaction(conn, |conn| {
        issue_pair(conn, keys, refresh_ttl, &row, &roles, &family)
    })
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
        let Some(user) = users::find(conn, row.user_id)? else {
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
