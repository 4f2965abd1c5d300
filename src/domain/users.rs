//! Users, roles and credential rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Employee,
    Approver,
    Payroll,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Employee, Role::Approver, Role::Payroll, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Approver => "approver",
            Role::Payroll => "payroll",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role '{s}' (expected employee, approver, payroll or admin)")
            })
    }
}

/// A set of roles, kept sorted and without duplicates so that it stores and compares canonically.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut roles: Vec<Role> = roles.into_iter().collect();
        roles.sort();
        roles.dedup();
        Roles(roles)
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    /// The storage form: `admin,employee`.
    pub fn to_csv(&self) -> String {
        self.0
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn from_csv(s: &str) -> Result<Self, String> {
        s.split(',')
            .filter(|p| !p.is_empty())
            .map(Role::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map(Roles::new)
    }
}

pub const MIN_PASSWORD_LEN: usize = 10;
/// Bounded so that hashing an absurd password cannot be used to burn CPU.
pub const MAX_PASSWORD_LEN: usize = 256;

pub fn validate_password(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(format!("must be at least {MIN_PASSWORD_LEN} characters"));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(format!("must be at most {MAX_PASSWORD_LEN} characters"));
    }
    Ok(())
}

/// Usernames are case-insensitive; this is their canonical form.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Checks a normalised username: 1–64 characters of `a-z 0-9 . _ - @`.
pub fn validate_username(username: &str) -> Result<(), String> {
    if username.is_empty() || username.chars().count() > 64 {
        return Err("must be 1 to 64 characters".into());
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err("may contain only letters a-z, digits and . _ - @".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_canonical() {
        let roles = Roles::from_csv("admin,employee,admin").unwrap();
        assert_eq!(roles.to_csv(), "employee,admin");
        assert!(roles.contains(Role::Admin));
        assert!(!roles.contains(Role::Payroll));
        assert!(Roles::from_csv("boss").is_err());
        assert_eq!(Roles::from_csv("").unwrap(), Roles::default());
    }

    #[test]
    fn usernames() {
        assert_eq!(
            normalize_username("  Hanne.Hansen@Kommune.dk "),
            "hanne.hansen@kommune.dk"
        );
        assert!(validate_username("hanne.hansen@kommune.dk").is_ok());
        assert!(validate_username("").is_err());
        assert!(validate_username("han ne").is_err());
        assert!(validate_username(&"a".repeat(65)).is_err());
    }

    #[test]
    fn passwords() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough pw").is_ok());
        assert!(validate_password(&"x".repeat(257)).is_err());
    }
}
