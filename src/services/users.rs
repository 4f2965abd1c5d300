//! User accounts: creation, roles, passwords, and the first administrator.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::app_api;
use crate::db::{
    self, is_unique_violation, refresh_tokens, users, web_sessions, write_transaction, DbConnection,
};
use crate::domain::ids::UserId;
use crate::domain::page::{Page, PageRequest};
use crate::domain::users::{normalize_username, validate_password, validate_username, Role, Roles};
use crate::error::{Error, ProblemKind, Result};
use crate::services::oidc::audit;
use crate::services::passwords;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub roles: Roles,
    pub created_at: DateTime<Utc>,
    /// `false` while an administrator has deactivated the account.
    pub active: bool,
}

impl TryFrom<users::UserRow> for User {
    type Error = Error;
    fn try_from(row: users::UserRow) -> Result<Self> {
        Ok(User {
            id: row.id,
            username: row.username,
            roles: row.roles,
            created_at: row.created_at.and_utc(),
            active: row.deactivated_at.is_none(),
        })
    }
}

pub fn create(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
    roles: &Roles,
) -> Result<User> {
    let username = normalize_username(username);
    validate_username(&username).map_err(|e| Error::validation("username", e))?;
    validate_password(password).map_err(|e| Error::validation("password", e))?;
    let hash = passwords::hash(password)?;
    let now = db::utc_now();
    let id = users::insert(
        conn,
        &users::NewUser {
            username: &username,
            password_hash: &hash,
            roles: roles.clone(),
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::problem(
                ProblemKind::UsernameTaken,
                format!("username '{username}' is taken"),
            )
        } else {
            e.into()
        }
    })?;
    get(conn, id)
}

pub fn get(conn: &mut DbConnection, id: UserId) -> Result<User> {
    users::find(conn, id)?
        .ok_or_else(|| Error::not_found("user"))?
        .try_into()
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> Result<User> {
    users::find_by_username(conn, &normalize_username(username))?
        .ok_or_else(|| Error::not_found("user"))?
        .try_into()
}

pub fn list(conn: &mut DbConnection, page: PageRequest) -> Result<Page<User>> {
    let total = users::count(conn)?;
    let items = users::list(conn, page.offset(), page.limit())?
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::new(items, page, total))
}

pub fn set_roles(conn: &mut DbConnection, id: UserId, roles: &Roles) -> Result<User> {
    write_transaction(conn, |conn| {
        if users::set_roles(conn, id, roles, db::utc_now())? == 0 {
            return Err(Error::not_found("user"));
        }
        get(conn, id)
    })
}

/// Sets a new password and ends every session of the user (API tokens and browser sign-ins).
pub fn set_password(conn: &mut DbConnection, id: UserId, password: &str) -> Result<()> {
    validate_password(password).map_err(|e| Error::validation("password", e))?;
    let hash = passwords::hash(password)?;
    write_transaction(conn, |conn| store_password(conn, id, &hash))
}

/// Inside a transaction: the new hash, and every session of the user ended.
fn store_password(conn: &mut DbConnection, id: UserId, hash: &str) -> Result<()> {
    let now = db::utc_now();
    if users::set_password_hash(conn, id, hash, now)? == 0 {
        return Err(Error::not_found("user"));
    }
    refresh_tokens::revoke_all_for_user(conn, id, now)?;
    web_sessions::delete_all_for_user(conn, id)?;
    Ok(())
}

/// Replaces the password by a generated one-time password, which the user must change at the
/// first sign-in; every session of the user ends. The password is returned to be shown once
/// and is stored only hashed.
pub fn reset_password(conn: &mut DbConnection, id: UserId) -> Result<String> {
    let password = passwords::generate();
    let hash = passwords::hash(&password)?;
    write_transaction(conn, |conn| {
        store_password(conn, id, &hash)?;
        users::require_password_change(conn, id)?;
        Ok::<_, Error>(())
    })?;
    Ok(password)
}

/// A new user with a generated one-time password (returned to be shown once).
pub fn create_with_one_time_password(
    conn: &mut DbConnection,
    username: &str,
    roles: &Roles,
) -> Result<(User, String)> {
    let password = passwords::generate();
    let user = write_transaction(conn, |conn| {
        let user = create(conn, username, &password, roles)?;
        users::require_password_change(conn, user.id)?;
        Ok::<_, Error>(user)
    })?;
    Ok((user, password))
}

/// Users whose username contains `text` (every user when it is blank), by username.
pub fn search(conn: &mut DbConnection, text: &str, page: PageRequest) -> Result<Page<User>> {
    let part = normalize_username(text);
    let total = users::count_matching(conn, &part)?;
    let items = users::search(conn, &part, page.offset(), page.limit())?
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::new(items, page, total))
}

/// An administrator deactivates (`active: false`) or reactivates a user, in one transaction.
/// Deactivating ends every session of the user: browser sign-ins, refresh tokens and phone-app
/// GuIds; their access tokens stop working at the next request (`AuthUser` reads the column).
/// An administrator cannot deactivate themselves. Both are recorded in `auth_events`.
pub fn set_active(
    conn: &mut DbConnection,
    admin_id: UserId,
    user_id: UserId,
    active: bool,
) -> Result<User> {
    if !active && admin_id == user_id {
        return Err(Error::problem(
            ProblemKind::Conflict,
            "you cannot deactivate your own account",
        ));
    }
    write_transaction(conn, |conn| {
        let user = users::find(conn, user_id)?.ok_or_else(|| Error::not_found("user"))?;
        let admin =
            users::find(conn, admin_id)?.map_or_else(|| admin_id.to_string(), |a| a.username);
        let now = db::utc_now();
        if active == user.deactivated_at.is_none() {
            return user.try_into();
        }
        let (at, kind, verb) = if active {
            (None, REACTIVATED, "reactivated")
        } else {
            (Some(now), DEACTIVATED, "deactivated")
        };
        users::set_deactivated_at(conn, user_id, at, now)?;
        if !active {
            refresh_tokens::revoke_all_for_user(conn, user_id, now)?;
            web_sessions::delete_all_for_user(conn, user_id)?;
            app_api::revoke_tokens_of(conn, user_id, now)?;
        }
        audit::record(
            conn,
            kind,
            Some(&user.username),
            &format!("{verb} by {admin}"),
        )?;
        get(conn, user_id)
    })
}

/// `auth_events.kind` of an administrator deactivating an account.
pub const DEACTIVATED: &str = "user-deactivated";
/// `auth_events.kind` of an administrator reactivating an account.
pub const REACTIVATED: &str = "user-reactivated";

/// A user changing their own password must prove they know the current one.
pub fn change_own_password(
    conn: &mut DbConnection,
    id: UserId,
    current: &str,
    new: &str,
) -> Result<()> {
    let row = users::find(conn, id)?.ok_or_else(|| Error::not_found("user"))?;
    if !passwords::verify(current, &row.password_hash) {
        return Err(Error::validation(
            "current_password",
            "is not your current password",
        ));
    }
    set_password(conn, id, new)
}

pub const BOOTSTRAP_ADMIN: &str = "admin";

pub enum BootstrapPassword {
    Configured,
    Generated(String),
}

/// On a database with no users, creates `admin` with every role. Returns how the password was
/// chosen, or `None` when users already exist.
pub fn bootstrap_admin(
    conn: &mut DbConnection,
    configured_password: Option<&str>,
) -> Result<Option<BootstrapPassword>> {
    write_transaction(conn, |conn| {
        if users::count(conn)? > 0 {
            return Ok(None);
        }
        let (password, outcome) = match configured_password {
            Some(p) => (p.to_string(), BootstrapPassword::Configured),
            None => {
                let p = passwords::generate();
                (p.clone(), BootstrapPassword::Generated(p))
            }
        };
        let admin = create(conn, BOOTSTRAP_ADMIN, &password, &Roles::new(Role::ALL))?;
        if matches!(outcome, BootstrapPassword::Generated(_)) {
            users::require_password_change(conn, admin.id)?;
        }
        Ok(Some(outcome))
    })
}
