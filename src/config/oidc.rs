//! Single sign-on settings (issue 18): the OpenID Connect provider, the role map, and whether
//! password sign-in stays open to everybody.

use std::time::Duration;

use super::Secret;
use crate::domain::oidc::{RoleMap, UsernameClaim};
use crate::domain::users::{Role, Roles};

/// `KORSEL_OIDC_*`. Present only when `KORSEL_OIDC_ISSUER` is set.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The issuer URL exactly as the provider writes it in `iss`
    /// (`https://login.microsoftonline.com/{tenant}/v2.0`, `https://adfs.kommune.dk/adfs`).
    pub issuer: String,
    pub client_id: String,
    /// Unset: a public client (PKCE only).
    pub client_secret: Option<Secret>,
    /// `KORSEL_OIDC_SCOPES`, space-separated; always includes `openid`.
    pub scopes: String,
    pub username_claim: UsernameClaim,
    /// `KORSEL_OIDC_GROUPS_CLAIM`: the claim holding the user's groups (ids or names).
    pub groups_claim: String,
    pub role_map: RoleMap,
    /// `KORSEL_OIDC_API_AUDIENCE`: bearer tokens of the provider with this `aud` are accepted on
    /// `/api/v1`. Unset: only korsel's own tokens are.
    pub api_audience: Option<String>,
    /// A sign-in at the provider must come back within this.
    pub login_ttl: Duration,
    /// A token naming an unknown key re-reads the provider's keys at most this often.
    pub jwks_refetch_interval: Duration,
    /// Timeout of each request to the provider.
    pub http_timeout: Duration,
}

impl OidcSettings {
    /// Settings for `issuer` and `client_id` with the documented defaults.
    pub fn new(issuer: &str, client_id: &str) -> OidcSettings {
        OidcSettings {
            issuer: issuer.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            client_secret: None,
            scopes: "openid profile email".into(),
            username_claim: UsernameClaim::PreferredUsername,
            groups_claim: "groups".into(),
            role_map: RoleMap::default(),
            api_audience: None,
            login_ttl: Duration::from_secs(10 * 60),
            jwks_refetch_interval: Duration::from_secs(30),
            http_timeout: Duration::from_secs(10),
        }
    }

    pub(super) fn validate(&self, public_url: Option<&str>) -> Result<(), String> {
        if !(self.issuer.starts_with("https://") || self.issuer.starts_with("http://")) {
            return Err("KORSEL_OIDC_ISSUER must be an https:// URL".into());
        }
        if self.client_id.trim().is_empty() {
            return Err("KORSEL_OIDC_CLIENT_ID must be set when KORSEL_OIDC_ISSUER is".into());
        }
        if public_url.is_none() {
            return Err(
                "KORSEL_PUBLIC_URL must be set with KORSEL_OIDC_ISSUER: the redirect URI is \
                 KORSEL_PUBLIC_URL/auth/oidc/callback"
                    .into(),
            );
        }
        if !self.scopes.split_whitespace().any(|s| s == "openid") {
            return Err("KORSEL_OIDC_SCOPES must include openid".into());
        }
        if self.groups_claim.trim().is_empty() {
            return Err("KORSEL_OIDC_GROUPS_CLAIM must not be empty".into());
        }
        if self
            .api_audience
            .as_ref()
            .is_some_and(|a| a.trim().is_empty())
        {
            return Err("KORSEL_OIDC_API_AUDIENCE must not be blank".into());
        }
        Ok(())
    }
}

/// `KORSEL_PASSWORD_LOGIN`: who may sign in with a korsel password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PasswordLogin {
    /// Everybody with a password (the default).
    #[default]
    All,
    /// Only accounts with the admin role; everybody else signs in with single sign-on.
    Admins,
}

impl PasswordLogin {
    /// May an account with these roles sign in with its password?
    pub fn allows(self, roles: &Roles) -> bool {
        match self {
            PasswordLogin::All => true,
            PasswordLogin::Admins => roles.contains(Role::Admin),
        }
    }
}
