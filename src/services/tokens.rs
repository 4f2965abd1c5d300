//! Access tokens (JWT, HS256 pinned) and opaque refresh tokens and API keys (stored as SHA-256 hashes).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::ids::UserId;
use crate::domain::users::{Role, Roles};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub roles: Vec<Role>,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// Signed in with a one-time password: only the password change is allowed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pwc: bool,
}

/// The caller, as proven by a valid access token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub roles: Roles,
    /// The user must set a new password before anything else.
    pub must_change_password: bool,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
}

const ISSUER: &str = "korsel";

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        // Only HS256 is accepted: `alg: none` and algorithm swaps fail verification.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
        }
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    pub fn issue(
        &self,
        user_id: UserId,
        roles: &Roles,
        must_change_password: bool,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = IssuedClaims {
            claims: Claims {
                sub: user_id.to_string(),
                roles: roles.iter().collect(),
                iat: now,
                exp: now + self.access_ttl.as_secs() as i64,
                jti: uuid::Uuid::new_v4().to_string(),
                pwc: must_change_password,
            },
            iss: ISSUER,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, algorithm, issuer and expiry.
    pub fn verify(&self, token: &str) -> Option<Principal> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Some(Principal {
            user_id: data.claims.sub.parse().ok()?,
            roles: Roles::new(data.claims.roles),
            must_change_password: data.claims.pwc,
        })
    }
}

#[derive(Serialize)]
struct IssuedClaims {
    #[serde(flatten)]
    claims: Claims,
    iss: &'static str,
}

/// A new opaque token (a refresh token, a connector API key): 256 random bits, URL-safe.
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Opaque tokens are high-entropy, so a fast hash is enough to make a stolen table useless.
pub fn hash_opaque_token(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// SHA-256 as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_of(&Sha256::digest(bytes))
}

/// SHA-256 of a value's JSON encoding, as lower-case hex, streamed into the hash (no buffer).
pub fn sha256_json_hex<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    let mut hasher = Sha256::new();
    serde_json::to_writer(&mut hasher, value)?;
    Ok(hex_of(&hasher.finalize()))
}

/// Bytes as lower-case hex.
pub fn hex_of(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random secret for signing tokens, generated when none is configured.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(900),
        )
    }

    #[test]
    fn round_trip() {
        let roles = Roles::new([Role::Admin]);
        let token = keys().issue(UserId(7), &roles, false).unwrap();
        let p = keys().verify(&token).unwrap();
        assert_eq!(p.user_id, UserId(7));
        assert_eq!(p.roles, roles);
    }

    #[test]
    fn other_secret_fails() {
        let token = keys().issue(UserId(7), &Roles::default(), false).unwrap();
        let other = TokenKeys::new(
            b"another secret another secret !!",
            Duration::from_secs(900),
        );
        assert!(other.verify(&token).is_none());
    }

    #[test]
    fn refresh_token_hash_is_stable_hex() {
        let t = new_opaque_token();
        assert_eq!(hash_opaque_token(&t), hash_opaque_token(&t));
        assert_eq!(hash_opaque_token(&t).len(), 64);
        assert_ne!(new_opaque_token(), t);
    }
}
