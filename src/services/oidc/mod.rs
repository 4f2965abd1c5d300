//! Single sign-on with OpenID Connect (issue 18): the authorization code flow with PKCE for the
//! browser, and the provider's bearer tokens on the API.
//!
//! A sign-in under way (state, nonce, PKCE verifier) is kept in the database, so any instance
//! can finish what another began; its state works once and for ten minutes. The ID token is
//! verified fully (`provider`); its username claim must name a person (as the staff import sets
//! `username`), whose account is made on the first sign-in. The account's roles are exactly
//! what `KORSEL_OIDC_ROLE_MAP` gives for the token's groups, plus employee, at every sign-in: a
//! role whose group is gone is gone, admin included. A local administrator who must keep their
//! roles uses an account whose username the provider does not send (the first admin, `admin`).
//!
//! Every refusal is one [`Refusal`] with an audit event (`auth_events`).

pub mod audit;
mod provider;

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use serde_json::{Map, Value};

pub use provider::{Discovery, Exchange, Provider, TokenProblem, Unavailable};

use crate::db::DbConnection;
use crate::db::{self, oidc as repo, org as org_repo, users, write_transaction, Database};
use crate::domain::oidc::{groups, pkce_challenge};
use crate::domain::users::Roles;
use crate::error::{Error, Result};
use crate::services::tokens::{hash_opaque_token, new_opaque_token, Principal};
use crate::services::web_sessions::{self, NewSession};

/// What a refused sign-in was; each is a clear page for the user and an audit event.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Refusal {
    /// The provider sent the browser back with `error=…` (the user cancelled, no access …).
    #[error("the identity provider answered {error}")]
    ProviderError { error: String },
    /// The callback's state is unknown, already used or expired.
    #[error("unknown, used or expired state")]
    UnknownState,
    /// The callback has no code.
    #[error("the callback has no code")]
    NoCode,
    /// The token endpoint refused the code.
    #[error("the token endpoint refused the code: {0}")]
    CodeRefused(String),
    #[error("{0}")]
    Token(TokenProblem),
    #[error("the ID token's nonce is not the one of this sign-in")]
    WrongNonce,
    #[error("the ID token has no {0} claim")]
    NoUsername(&'static str),
    /// The username names no person (no account is made).
    #[error("{0} is not linked to a person")]
    Unlinked(String),
    /// An administrator has deactivated the account.
    #[error("{0} is deactivated")]
    Deactivated(String),
    /// The provider could not be used (network, bad discovery document): not the user's fault.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl Refusal {
    /// The `auth_events.kind` of this refusal.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::ProviderError { .. } => "oidc-provider-error",
            Refusal::UnknownState => "oidc-unknown-state",
            Refusal::NoCode => "oidc-no-code",
            Refusal::CodeRefused(_) => "oidc-code-refused",
            Refusal::Token(TokenProblem::Expired) => "oidc-expired",
            Refusal::Token(TokenProblem::Audience) => "oidc-wrong-audience",
            Refusal::Token(TokenProblem::Issuer) => "oidc-wrong-issuer",
            Refusal::Token(TokenProblem::Signature) => "oidc-bad-signature",
            Refusal::Token(TokenProblem::UnknownKey) => "oidc-unknown-key",
            Refusal::Token(_) => "oidc-invalid-token",
            Refusal::WrongNonce => "oidc-wrong-nonce",
            Refusal::NoUsername(_) => "oidc-no-username",
            Refusal::Unlinked(_) => "oidc-unlinked",
            Refusal::Deactivated(_) => "oidc-deactivated",
            Refusal::Unavailable(_) => "oidc-provider-unavailable",
        }
    }
}

/// Where the browser goes to sign in at the provider; the sign-in is stored for the callback.
pub async fn begin(db: &Database, provider: &Provider, next: &str) -> Result<String> {
    let (state, nonce, verifier) = (new_opaque_token(), new_opaque_token(), new_opaque_token());
    let url = provider
        .authorize_url(&state, &nonce, &pkce_challenge(&verifier))
        .await
        .map_err(|e| Error::Internal(anyhow::Error::new(e)))?;
    let ttl = span(provider.settings().login_ttl);
    let next = next.to_string();
    db.run(move |conn| {
        let now = db::utc_now();
        write_transaction(conn, |conn| {
            repo::delete_expired_logins(conn, now)?;
            repo::insert_login(
                conn,
                &repo::NewOidcLogin {
                    state_hash: &hash_opaque_token(&state),
                    nonce: &nonce,
                    pkce_verifier: &verifier,
                    next_path: &next,
                    created_at: now,
                    expires_at: now + ttl,
                },
            )
        })?;
        Ok(())
    })
    .await?;
    Ok(url)
}

fn span(d: Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::MAX)
}

/// The query of `/auth/oidc/callback`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
}

/// A finished single sign-on: the new browser session and where to go.
#[derive(Debug)]
pub struct SignedIn {
    pub session: NewSession,
    pub next: String,
}

/// Finishes a sign-in: the state (single use), the code exchange, the ID token, the person, the
/// account and its roles (a deactivated account is refused), the session. A refusal is recorded as an audit event.
pub async fn finish(
    db: &Database,
    provider: &Provider,
    idle: Duration,
    callback: Callback,
) -> Result<std::result::Result<SignedIn, Refusal>> {
    let mut username = None;
    let outcome = attempt(db, provider, idle, callback, &mut username).await?;
    let (kind, detail) = match &outcome {
        Ok(_) => (
            audit::SIGNED_IN,
            "signed in with single sign-on".to_string(),
        ),
        Err(refusal) => (refusal.kind(), refusal.to_string()),
    };
    if let Err(refusal) = &outcome {
        tracing::warn!(kind, %refusal, "single sign-on refused");
    }
    db.run(move |conn| audit::record(conn, kind, username.as_deref(), &detail))
        .await?;
    Ok(outcome)
}

async fn attempt(
    db: &Database,
    provider: &Provider,
    idle: Duration,
    callback: Callback,
    username: &mut Option<String>,
) -> Result<std::result::Result<SignedIn, Refusal>> {
    let login = match callback.state {
        Some(state) => db.run(move |conn| take_login(conn, &state)).await?,
        None => None,
    };
    if let Some(error) = callback.error {
        return Ok(Err(Refusal::ProviderError { error }));
    }
    let Some(login) = login else {
        return Ok(Err(Refusal::UnknownState));
    };
    let Some(code) = callback.code else {
        return Ok(Err(Refusal::NoCode));
    };
    let id_token = match provider.exchange(&code, &login.pkce_verifier).await {
        Ok(Exchange::IdToken(token)) => token,
        Ok(Exchange::Refused(why)) => return Ok(Err(Refusal::CodeRefused(why))),
        Err(e) => return Ok(Err(e.into())),
    };
    let settings = provider.settings();
    let claims = match provider.verify(&id_token, &settings.client_id).await {
        Ok(Ok(claims)) => claims,
        Ok(Err(problem)) => return Ok(Err(Refusal::Token(problem))),
        Err(e) => return Ok(Err(e.into())),
    };
    *username = settings.username_claim.username(&claims);
    if claims.get("nonce").and_then(Value::as_str) != Some(login.nonce.as_str()) {
        return Ok(Err(Refusal::WrongNonce));
    }
    let Some(name) = username.clone() else {
        return Ok(Err(Refusal::NoUsername(settings.username_claim.name())));
    };
    let roles = settings
        .role_map
        .roles_for(&groups(&claims, &settings.groups_claim));
    let next = login.next_path;
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let user = match provision(conn, &name, &roles)? {
                Ok(user) => user,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let session = web_sessions::open(conn, idle, user.id, Some(&id_token))?;
            Ok(Ok(SignedIn { session, next }))
        })
    })
    .await
}

/// The sign-in of `state`, removed as it is read so it works once; `None` when unknown, used
/// or expired.
fn take_login(conn: &mut DbConnection, state: &str) -> Result<Option<repo::OidcLoginRow>> {
    let hash = hash_opaque_token(state);
    write_transaction(conn, |conn| {
        let Some(row) = repo::find_login(conn, &hash)? else {
            return Ok(None);
        };
        let won = repo::delete_login(conn, row.id)? == 1;
        Ok((won && row.expires_at > db::utc_now()).then_some(row))
    })
}

/// The account of the person `username` names, made on first sign-in, with `roles`. Refused
/// (and nothing written) when no person has the username. The caller holds the transaction.
fn provision(
    conn: &mut DbConnection,
    username: &str,
    roles: &Roles,
) -> Result<std::result::Result<users::UserRow, Refusal>> {
    if org_repo::find_person_by_username(conn, username)?.is_none() {
        return Ok(Err(Refusal::Unlinked(username.to_string())));
    }
    let now = db::utc_now();
    let id = match users::find_by_username(conn, username)? {
        Some(user) if user.deactivated_at.is_some() => {
            return Ok(Err(Refusal::Deactivated(username.to_string())));
        }
        Some(user) => {
            if user.roles != *roles {
                users::set_roles(conn, user.id, roles, now)?;
            }
            user.id
        }
        None => users::insert(
            conn,
            &users::NewUser {
                username,
                password_hash: NO_PASSWORD,
                roles: roles.clone(),
                created_at: now,
                updated_at: now,
            },
        )?,
    };
    Ok(Ok(
        users::find(conn, id)?.ok_or_else(|| Error::not_found("user"))?
    ))
}

/// The password hash of an account made by single sign-on: no password verifies against it.
const NO_PASSWORD: &str = "!single-sign-on";

/// The caller of an API request with a bearer token from the provider
/// (`KORSEL_OIDC_API_AUDIENCE`): verified as an ID token is, but for that audience, and mapped
/// to the korsel account the same way (made on first use, roles from the groups). `None` when
/// the token is not a valid one of the provider's, or names no person.
pub async fn api_principal(
    db: &Database,
    provider: &Provider,
    token: &str,
) -> Result<Option<Principal>> {
    let settings = provider.settings();
    let Some(audience) = settings.api_audience.as_deref() else {
        return Ok(None);
    };
    let claims: Map<String, Value> = match provider.verify(token, audience).await {
        Ok(Ok(claims)) => claims,
        Ok(Err(problem)) => {
            tracing::info!(%problem, "a provider bearer token was refused");
            return Ok(None);
        }
        Err(e) => return Err(Error::Internal(anyhow::Error::new(e))),
    };
    let Some(username) = settings.username_claim.username(&claims) else {
        return Ok(None);
    };
    let roles = settings
        .role_map
        .roles_for(&groups(&claims, &settings.groups_claim));
    db.run(move |conn| {
        // Most requests change nothing: read first, write (in a transaction) only when needed.
        let user = match unchanged(conn, &username, &roles)? {
            Some(user) => Ok(user),
            None => write_transaction(conn, |conn| provision(conn, &username, &roles))?,
        };
        Ok(user.ok().map(|user| Principal {
            user_id: user.id,
            roles: user.roles,
            must_change_password: false,
        }))
    })
    .await
}

/// The account of `username` when it is linked to a person and already has `roles`.
fn unchanged(
    conn: &mut DbConnection,
    username: &str,
    roles: &Roles,
) -> Result<Option<users::UserRow>> {
    let Some(user) = users::find_by_username(conn, username)?.filter(|u| u.roles == *roles) else {
        return Ok(None);
    };
    let linked = org_repo::find_person_by_username(conn, username)?.is_some();
    Ok(linked.then_some(user))
}
