//! App passwords and GuIds: how a phone app logs in and stays logged in.
//!
//! OS2 kept `sha256(salt + password)` and a never-expiring GUID in clear. Here the app password
//! is argon2id, set by the user (proving their korsel password) or by an administrator; the
//! GuId is 128 random bits shown once and stored only as its SHA-256 hash, listed and revocable,
//! revoked when the app password changes and when the person has no current employment
//! (OS2's "inactive person"), and optionally expiring (`KORSEL_APP_TOKEN_MAX_AGE_DAYS`).

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use rand::RngCore;
use serde::Serialize;

use super::AppError;
use crate::config::PasswordLogin;
use crate::db::app_api::{self as repo, TokenRow};
use crate::db::org::{self as org_repo, EmploymentRow, PersonRow};
use crate::db::{self, users, write_transaction, DbConnection};
use crate::domain::ids::{PersonId, UserId};
use crate::domain::org::in_period;
use crate::domain::os2app::{
    coordinate_text, date_timestamp, split_name, Authorization, Employment, OrgUnit, Profile, Rate,
    UserInfo,
};
use crate::domain::page::{Page, PageRequest};
use crate::domain::users::{normalize_username, validate_password, validate_username};
use crate::error::{Error, Result};
use crate::services::auth;
use crate::services::org;
use crate::services::passwords;
use crate::services::tokens::hash_opaque_token;

/// The owner of a valid GuId.
#[derive(Debug, Clone)]
pub struct AppUser {
    pub user_id: UserId,
    pub person: PersonRow,
}

fn invalid_login() -> AppError {
    AppError::InvalidAuthorization("Invalid username or password".into())
}

fn invalid_authorization() -> AppError {
    AppError::InvalidAuthorization("Invalid authorization".into())
}

/// A GuId: 128 random bits in the GUID spelling the apps know (8-4-4-4-12 hex digits).
fn new_guid() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// More employments than one person ever has.
const MAX_EMPLOYMENTS: i64 = 1_000;

/// A person's employments valid today.
fn current_employments(conn: &mut DbConnection, person_id: PersonId) -> Result<Vec<EmploymentRow>> {
    let today = org::today();
    Ok(
        org_repo::list_employments(conn, Some(person_id), 0, MAX_EMPLOYMENTS)?
            .into_iter()
            .filter(|e| in_period(e.start_date, e.end_date, today))
            .collect(),
    )
}

/// The person of a user, when they have an employment today; otherwise the user may not use
/// the app (and their GuIds are revoked).
fn active_person(conn: &mut DbConnection, user_id: UserId) -> Result<Option<PersonRow>> {
    let Some(person) = org::person_of_user_id(conn, user_id)? else {
        return Ok(None);
    };
    let employed = !current_employments(conn, person.id)?.is_empty();
    Ok(employed.then_some(person))
}

/// `POST /api/auth`: checks the username and app password and issues a new GuId.
pub fn login(
    conn: &mut DbConnection,
    policy: PasswordLogin,
    username: &str,
    password: &str,
) -> std::result::Result<UserInfo, AppError> {
    let username = normalize_username(username);
    let user = match validate_username(&username) {
        Ok(()) => users::find_by_username(conn, &username)?,
        Err(_) => None,
    };
    let hash = match &user {
        Some(u) => repo::password_hash(conn, u.id)?,
        None => None,
    };
    // Unknown users and users without an app password take as long as a wrong password.
    let verified = passwords::verify(password, hash.as_deref().unwrap_or(passwords::dummy_hash()));
    // A deactivated account gets the answer of a wrong password.
    let active = |u: &users::UserRow| u.deactivated_at.is_none();
    let Some(user) = user.filter(|u| verified && hash.is_some() && active(u)) else {
        return Err(invalid_login());
    };
    if !auth::password_allowed(conn, policy, &user, "phone-app sign-in")? {
        return Err(AppError::InvalidAuthorization(
            "Password login is turned off: sign in with your organisation's account".into(),
        ));
    }
    let Some(person) = active_person(conn, user.id)? else {
        return Err(AppError::InvalidAuthorization(
            "No current employment is linked to this user".into(),
        ));
    };
    let guid = new_guid();
    write_transaction(conn, |c| {
        repo::insert_token(c, user.id, &hash_opaque_token(&guid), db::utc_now())
    })?;
    Ok(user_info(conn, &person, guid)?)
}

fn expired(row: &TokenRow, max_age: Option<Duration>, now: NaiveDateTime) -> bool {
    max_age
        .and_then(|age| chrono::Duration::from_std(age).ok())
        .is_some_and(|age| row.created_at + age <= now)
}

/// The owner of `guid`, if it is valid: known, not revoked, not expired, and its user has a
/// current employment (otherwise every GuId of the user is revoked).
pub fn authenticate(
    conn: &mut DbConnection,
    guid: &str,
    max_age: Option<Duration>,
) -> std::result::Result<AppUser, AppError> {
    let now = db::utc_now();
    let row = repo::find_token_by_hash(conn, &hash_opaque_token(guid))?
        .filter(|row| row.revoked_at.is_none() && !expired(row, max_age, now))
        .ok_or_else(invalid_authorization)?;
    let Some(person) = active_person(conn, row.user_id)? else {
        write_transaction(conn, |c| repo::revoke_tokens_of(c, row.user_id, now))?;
        return Err(invalid_authorization());
    };
    // One write a minute at most, however often the app calls.
    if row
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        repo::touch_token(conn, row.id, now)?;
    }
    Ok(AppUser {
        user_id: row.user_id,
        person,
    })
}

/// `POST /api/userinfo`.
pub fn userinfo(
    conn: &mut DbConnection,
    guid: &str,
    max_age: Option<Duration>,
) -> std::result::Result<UserInfo, AppError> {
    let owner = authenticate(conn, guid, max_age)?;
    Ok(user_info(conn, &owner.person, guid.to_string())?)
}

/// The `UserInfoViewModel` (§7.2): the person's employments valid today and the rate types of
/// the current year.
fn user_info(conn: &mut DbConnection, person: &PersonRow, guid: String) -> Result<UserInfo> {
    use chrono::Datelike;
    let today = org::today();
    let mut employments = Vec::new();
    for e in current_employments(conn, person.id)? {
        let unit = org_repo::find_org_unit(conn, e.org_unit_id)?;
        let unit = unit.as_ref();
        employments.push(Employment {
            id: e.id,
            employment_position: match unit {
                Some(u) => format!("{} - {}", e.position, u.name),
                None => e.position.clone(),
            },
            man_nr: e.employment_number,
            start_date_timestamp: date_timestamp(e.start_date),
            end_date_timestamp: e.end_date.map_or(0, date_timestamp),
            org_unit: OrgUnit {
                org_id: e.org_unit_id,
                four_km_rule_allowed: unit.is_some_and(|u| u.four_km_rule_allowed),
            },
        });
    }
    let home = org::addresses_on(conn, person.id, today)?
        .home
        .map(|a| (a.location.latitude, a.location.longitude));
    let year = today.year();
    let rates = org_repo::all_rate_types(conn)?
        .into_iter()
        .filter(|r| r.valid_from.year() <= year && r.valid_to.year() >= year)
        // Set by the 20,000 km rule, never chosen.
        .filter(|r| r.kind != crate::domain::allowance::RateKind::CarHighAbove20k)
        .map(|r| Rate {
            id: r.id,
            description: r.description,
            year: year.to_string(),
        })
        .collect();
    let (firstname, lastname) = split_name(&person.name);
    Ok(UserInfo {
        profile: Profile {
            id: person.id,
            firstname,
            lastname,
            // OS2 sent "0" for an address it could not place.
            home_latitude: home.map_or_else(|| "0".into(), |h| coordinate_text(h.0)),
            home_longitude: home.map_or_else(|| "0".into(), |h| coordinate_text(h.1)),
            authorization: Authorization { guid },
            employments,
        },
        rates,
    })
}

// ================================================================ korsel's own API

/// Sets a user's app password and revokes every GuId they hold.
pub fn set_app_password(conn: &mut DbConnection, user_id: UserId, password: &str) -> Result<()> {
    validate_password(password).map_err(|e| Error::validation("app_password", e))?;
    if users::find(conn, user_id)?.is_none() {
        return Err(Error::not_found("user"));
    }
    let hash = passwords::hash(password)?;
    write_transaction(conn, |c| {
        let now = db::utc_now();
        repo::set_password_hash(c, user_id, &hash, now)?;
        repo::revoke_tokens_of(c, user_id, now)?;
        Ok(())
    })
}

/// A user sets their own app password, proving they know their korsel password.
pub fn change_own_app_password(
    conn: &mut DbConnection,
    user_id: UserId,
    current_password: &str,
    app_password: &str,
) -> Result<()> {
    let user = users::find(conn, user_id)?.ok_or_else(|| Error::not_found("user"))?;
    if !passwords::verify(current_password, &user.password_hash) {
        return Err(Error::validation(
            "current_password",
            "is not your current password",
        ));
    }
    if app_password == current_password {
        return Err(Error::validation(
            "app_password",
            "must differ from your korsel password: it is typed on a phone",
        ));
    }
    set_app_password(conn, user_id, app_password)
}

/// A GuId as the owner and administrators see it (never the GuId itself).
#[derive(Debug, Clone, Serialize)]
pub struct AppToken {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it stops working (`KORSEL_APP_TOKEN_MAX_AGE_DAYS`); `null`: never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Neither revoked nor expired.
    pub active: bool,
}

fn token_view(row: TokenRow, max_age: Option<Duration>, now: NaiveDateTime) -> AppToken {
    let expires_at = max_age
        .and_then(|age| chrono::Duration::from_std(age).ok())
        .map(|age| (row.created_at + age).and_utc());
    let active = row.revoked_at.is_none() && !expired(&row, max_age, now);
    AppToken {
        id: row.id,
        created_at: row.created_at.and_utc(),
        last_used_at: row.last_used_at.map(|t| t.and_utc()),
        revoked_at: row.revoked_at.map(|t| t.and_utc()),
        expires_at,
        active,
    }
}

/// A user's GuIds, newest first.
pub fn list_tokens(
    conn: &mut DbConnection,
    user_id: UserId,
    max_age: Option<Duration>,
    page: PageRequest,
) -> Result<Page<AppToken>> {
    if users::find(conn, user_id)?.is_none() {
        return Err(Error::not_found("user"));
    }
    let now = db::utc_now();
    let total = repo::count_tokens_of(conn, user_id)?;
    let items = repo::tokens_of(conn, user_id, page.offset(), page.limit())?
        .into_iter()
        .map(|row| token_view(row, max_age, now))
        .collect();
    Ok(Page::new(items, page, total))
}

/// Revokes one of a user's GuIds (a GuId of another user is not found). Repeating it is
/// harmless.
pub fn revoke_token(
    conn: &mut DbConnection,
    user_id: UserId,
    token_id: i64,
    max_age: Option<Duration>,
) -> Result<AppToken> {
    write_transaction(conn, |c| {
        let row = repo::find_token(c, token_id)?
            .filter(|t| t.user_id == user_id)
            .ok_or_else(|| Error::not_found("app token"))?;
        let now = db::utc_now();
        repo::revoke_token(c, row.id, now)?;
        let row = repo::find_token(c, token_id)?.ok_or_else(|| Error::not_found("app token"))?;
        Ok(token_view(row, max_age, now))
    })
}
