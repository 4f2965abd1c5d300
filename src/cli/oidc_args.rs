//! `korsel serve` settings for single sign-on with OpenID Connect (issue 18).

use clap::Args;

use crate::config::{OidcSettings, PasswordLogin, Secret, Settings};
use crate::domain::oidc::{RoleMap, UsernameClaim};

#[derive(Debug, Args)]
pub struct OidcArgs {
    /// Single sign-on: the OpenID Connect provider's issuer URL, exactly as in its tokens' iss
    /// (e.g. https://login.microsoftonline.com/TENANT/v2.0). Unset: no single sign-on.
    #[arg(long, env = "KORSEL_OIDC_ISSUER", requires = "oidc_client_id")]
    pub oidc_issuer: Option<String>,

    /// Single sign-on: korsel's client id at the provider.
    #[arg(long, env = "KORSEL_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,

    /// Single sign-on: korsel's client secret at the provider. Unset: a public client.
    #[arg(long, env = "KORSEL_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<Secret>,

    /// Single sign-on: the scopes asked for, space-separated.
    #[arg(
        long,
        env = "KORSEL_OIDC_SCOPES",
        default_value = "openid profile email"
    )]
    pub oidc_scopes: String,

    /// Single sign-on: the claim that holds the korsel username: preferred_username, upn or
    /// email.
    #[arg(
        long,
        env = "KORSEL_OIDC_USERNAME_CLAIM",
        default_value = "preferred_username"
    )]
    pub oidc_username_claim: UsernameClaim,

    /// Single sign-on: roles from the provider's groups, e.g. approver=grp-ledere,payroll=grp-loen
    /// (roles: approver, payroll, admin; every linked person is an employee).
    #[arg(long, env = "KORSEL_OIDC_ROLE_MAP", default_value = "")]
    pub oidc_role_map: RoleMap,

    /// Single sign-on: the claim that lists the user's groups.
    #[arg(long, env = "KORSEL_OIDC_GROUPS_CLAIM", default_value = "groups")]
    pub oidc_groups_claim: String,

    /// Single sign-on: accept the provider's bearer tokens with this audience on /api/v1.
    /// Unset: only korsel's own tokens.
    #[arg(long, env = "KORSEL_OIDC_API_AUDIENCE")]
    pub oidc_api_audience: Option<String>,

    /// Who may sign in with a korsel password: all, or admins (everybody else uses single
    /// sign-on).
    #[arg(long, env = "KORSEL_PASSWORD_LOGIN", value_enum, default_value = "all")]
    pub password_login: PasswordLogin,
}

impl OidcArgs {
    pub(super) fn apply(&self, settings: &mut Settings) {
        settings.password_login = self.password_login;
        let blank = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        let (Some(issuer), Some(client_id)) =
            (blank(&self.oidc_issuer), blank(&self.oidc_client_id))
        else {
            settings.oidc = None;
            return;
        };
        let mut oidc = OidcSettings::new(&issuer, &client_id);
        oidc.client_secret = self
            .oidc_client_secret
            .clone()
            .filter(|s| !s.expose().is_empty());
        oidc.scopes = self.oidc_scopes.clone();
        oidc.username_claim = self.oidc_username_claim;
        oidc.role_map = self.oidc_role_map.clone();
        oidc.groups_claim = self.oidc_groups_claim.clone();
        oidc.api_audience = blank(&self.oidc_api_audience);
        settings.oidc = Some(oidc);
    }
}
