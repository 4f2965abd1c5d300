//! The rules of single sign-on (issue 18) that need no network: which roles a provider's groups
//! give, which claim names the user, and the PKCE challenge.

use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::domain::users::{normalize_username, Role, Roles};

/// `KORSEL_OIDC_ROLE_MAP`: `approver=grp-ledere,payroll=grp-loen` — a role, `=`, and the group
/// (id or name, as the provider puts it in the groups claim) that gives it. A role may be
/// listed more than once to accept several groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMap(Vec<(Role, String)>);

impl FromStr for RoleMap {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut pairs = Vec::new();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((role, group)) = entry.split_once('=') else {
                return Err(format!(
                    "KORSEL_OIDC_ROLE_MAP: '{entry}' is not role=group (e.g. approver=grp-ledere)"
                ));
            };
            let role =
                Role::from_str(role.trim()).map_err(|e| format!("KORSEL_OIDC_ROLE_MAP: {e}"))?;
            if role == Role::Employee {
                return Err(
                    "KORSEL_OIDC_ROLE_MAP: employee needs no group (every linked person has it)"
                        .into(),
                );
            }
            let group = group.trim();
            if group.is_empty() {
                return Err(format!("KORSEL_OIDC_ROLE_MAP: '{entry}' names no group"));
            }
            pairs.push((role, group.to_string()));
        }
        Ok(RoleMap(pairs))
    }
}

impl RoleMap {
    /// The roles a signed-in person holds: employee (every linked person) and each role one of
    /// their groups gives. Nothing else — a role whose group is gone is gone.
    pub fn roles_for(&self, groups: &[String]) -> Roles {
        let mapped = self
            .0
            .iter()
            .filter(|(_, group)| groups.iter().any(|g| g == group))
            .map(|(role, _)| *role);
        Roles::new(std::iter::once(Role::Employee).chain(mapped))
    }
}

/// `KORSEL_OIDC_USERNAME_CLAIM`: the claim whose value is the korsel username.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameClaim {
    /// Keycloak, Entra ID (v2 tokens).
    PreferredUsername,
    /// AD FS, Entra ID (v1 tokens).
    Upn,
    Email,
}

impl UsernameClaim {
    pub fn name(self) -> &'static str {
        match self {
            UsernameClaim::PreferredUsername => "preferred_username",
            UsernameClaim::Upn => "upn",
            UsernameClaim::Email => "email",
        }
    }

    const ALL: [UsernameClaim; 3] = [
        UsernameClaim::PreferredUsername,
        UsernameClaim::Upn,
        UsernameClaim::Email,
    ];

    /// The normalised username in `claims`, if the claim is there and is a string.
    pub fn username(self, claims: &Map<String, Value>) -> Option<String> {
        claims
            .get(self.name())
            .and_then(Value::as_str)
            .map(normalize_username)
            .filter(|u| !u.is_empty())
    }
}

impl FromStr for UsernameClaim {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UsernameClaim::ALL
            .into_iter()
            .find(|c| c.name() == s.trim())
            .ok_or_else(|| {
                format!("KORSEL_OIDC_USERNAME_CLAIM: '{s}' is not preferred_username, upn or email")
            })
    }
}

/// The groups in `claims[name]`: an array of strings, or one string (AD FS sends a single
/// group as a plain string).
pub fn groups(claims: &Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// The PKCE `code_challenge` of a verifier (method S256, RFC 7636).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn role_map_parses_and_maps_groups() {
        let map: RoleMap = "approver=grp-ledere, payroll=grp-loen,admin=grp-it"
            .parse()
            .unwrap();
        let roles = map.roles_for(&["grp-loen".into(), "other".into()]);
        assert_eq!(roles, Roles::new([Role::Employee, Role::Payroll]));
        assert_eq!(map.roles_for(&[]), Roles::new([Role::Employee]));
        assert_eq!("".parse::<RoleMap>().unwrap(), RoleMap::default());
    }

    #[test]
    fn malformed_role_maps_name_the_setting() {
        for bad in ["approver", "boss=grp", "payroll=", "employee=grp-alle"] {
            let e = bad.parse::<RoleMap>().unwrap_err();
            assert!(e.starts_with("KORSEL_OIDC_ROLE_MAP"), "{bad}: {e}");
        }
    }

    #[test]
    fn username_and_groups_claims() {
        let claims = json!({"upn": " Hanne@Kommune.dk ", "groups": "grp-a"});
        let claims = claims.as_object().unwrap();
        assert_eq!(
            UsernameClaim::Upn.username(claims).as_deref(),
            Some("hanne@kommune.dk")
        );
        assert_eq!(UsernameClaim::Email.username(claims), None);
        assert_eq!(groups(claims, "groups"), vec!["grp-a".to_string()]);
        assert!(groups(claims, "roles").is_empty());
    }

    #[test]
    fn pkce_challenge_is_unpadded_base64url_of_sha256() {
        // `printf %s VERIFIER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d =`
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVp-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "-3bBjDoFtJUZKA8iU5EPA9PHv-dmKC-wS4ywhzM0lzM"
        );
    }
}
