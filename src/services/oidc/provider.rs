//! The OpenID Connect provider as korsel sees it: its discovery document, its signing keys
//! (JWKS, re-read when a token names a key not seen before, so a key rotation needs no
//! restart), the token endpoint, and the verification of its JWTs.
//!
//! Built on `jsonwebtoken` and `reqwest`, which korsel has already, rather than the
//! `openidconnect` crate: that one brings a second HTTP stack and much compile time for the few
//! requests made here. Only RS256 and ES256 signatures are accepted; `alg: none`, HS256 (which
//! would let anybody who knows the client secret mint tokens) and the rest are refused.

use std::sync::Arc;
use std::time::Instant;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::config::OidcSettings;

/// Accepted clock difference between korsel and the provider.
const LEEWAY_SECONDS: u64 = 60;

/// The part of `/.well-known/openid-configuration` korsel uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Why a token from the provider was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenProblem {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is signed with {0}, which is not accepted (RS256, ES256)")]
    Algorithm(String),
    #[error("the token names a signing key the provider does not publish")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token's issuer is not the configured provider")]
    Issuer,
    #[error("the token is not meant for korsel (aud)")]
    Audience,
    #[error("the token has expired")]
    Expired,
    #[error("the token was refused: {0}")]
    Other(String),
}

/// The provider cannot be reached or answers nonsense: korsel's problem, not the user's.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the identity provider cannot be used: {0}")]
pub struct Unavailable(pub String);

/// What the token endpoint answered for a code.
#[derive(Debug, Clone)]
pub enum Exchange {
    IdToken(String),
    /// The endpoint refused the code (`invalid_grant` …), or sent no ID token.
    Refused(String),
}

struct KeyCache {
    keys: Vec<Jwk>,
    fetched: Option<Instant>,
}

/// One per instance: the discovery document and keys are cached in memory.
pub struct Provider {
    settings: OidcSettings,
    redirect_uri: String,
    post_logout_uri: String,
    http: reqwest::Client,
    discovery: Mutex<Option<Arc<Discovery>>>,
    keys: Mutex<KeyCache>,
}

impl Provider {
    pub fn new(settings: OidcSettings, public_url: &str) -> anyhow::Result<Provider> {
        let base = public_url.trim_end_matches('/');
        let http = reqwest::Client::builder()
            .timeout(settings.http_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("korsel/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Provider {
            redirect_uri: format!("{base}/auth/oidc/callback"),
            post_logout_uri: format!("{base}/log-ind?besked=logget-ud"),
            settings,
            http,
            discovery: Mutex::new(None),
            keys: Mutex::new(KeyCache {
                keys: Vec::new(),
                fetched: None,
            }),
        })
    }

    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// `https://host` of the issuer: where sign-out may send the browser (CSP `form-action`).
    pub fn issuer_origin(&self) -> Option<String> {
        let url = Url::parse(&self.settings.issuer).ok()?;
        Some(url.origin().ascii_serialization())
    }

    async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, Unavailable> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| Unavailable(format!("GET {url}: {e}")))?;
        if !response.status().is_success() {
            return Err(Unavailable(format!("GET {url}: {}", response.status())));
        }
        response
            .json()
            .await
            .map_err(|e| Unavailable(format!("GET {url}: {e}")))
    }

    /// The discovery document, read once per instance.
    pub async fn discovery(&self) -> Result<Arc<Discovery>, Unavailable> {
        let mut cached = self.discovery.lock().await;
        if let Some(d) = cached.as_ref() {
            return Ok(d.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.settings.issuer);
        let document: Discovery = self.get_json(&url).await?;
        if document.issuer.trim_end_matches('/') != self.settings.issuer {
            return Err(Unavailable(format!(
                "the discovery document names the issuer {}, not KORSEL_OIDC_ISSUER {}",
                document.issuer, self.settings.issuer
            )));
        }
        let document = Arc::new(document);
        *cached = Some(document.clone());
        Ok(document)
    }

    /// Where to send the browser to sign in.
    pub async fn authorize_url(
        &self,
        state: &str,
        nonce: &str,
        code_challenge: &str,
    ) -> Result<String, Unavailable> {
        let discovery = self.discovery().await?;
        let mut url = Url::parse(&discovery.authorization_endpoint)
            .map_err(|e| Unavailable(format!("authorization_endpoint: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &self.settings.scopes)
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Where to send the browser after signing out of korsel, when the provider has single
    /// sign-out.
    pub async fn end_session_url(&self, id_token_hint: &str) -> Option<String> {
        let discovery = self.discovery().await.ok()?;
        let mut url = Url::parse(discovery.end_session_endpoint.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token_hint)
            .append_pair("post_logout_redirect_uri", &self.post_logout_uri)
            .append_pair("client_id", &self.settings.client_id);
        Some(url.into())
    }

    /// Exchanges an authorization code (with its PKCE verifier) for the ID token.
    pub async fn exchange(&self, code: &str, verifier: &str) -> Result<Exchange, Unavailable> {
        let discovery = self.discovery().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", verifier),
            ("client_id", &self.settings.client_id),
        ];
        let basic_only = discovery
            .token_endpoint_auth_methods_supported
            .as_ref()
            .is_some_and(|m| {
                m.iter().any(|m| m == "client_secret_basic")
                    && !m.iter().any(|m| m == "client_secret_post")
            });
        let mut request = self.http.post(&discovery.token_endpoint);
        match &self.settings.client_secret {
            Some(secret) if basic_only => {
                request = request.basic_auth(&self.settings.client_id, Some(secret.expose()));
            }
            Some(secret) => form.push(("client_secret", secret.expose())),
            None => {}
        }
        let response = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&form))
            .send()
            .await
            .map_err(|e| Unavailable(format!("token endpoint: {e}")))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| Unavailable(format!("token endpoint ({status}): {e}")))?;
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
        if !status.is_success() {
            let error = text("error").unwrap_or_else(|| status.to_string());
            return Ok(Exchange::Refused(error));
        }
        Ok(match text("id_token") {
            Some(token) => Exchange::IdToken(token),
            None => Exchange::Refused("no id_token in the token response".into()),
        })
    }

    /// Verifies a JWT of the provider meant for `audience`: signature with a published key,
    /// algorithm, issuer, audience and expiry. Returns its claims.
    pub async fn verify(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<Result<Map<String, Value>, TokenProblem>, Unavailable> {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Ok(Err(TokenProblem::Malformed));
        };
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Ok(Err(TokenProblem::Algorithm(format!("{:?}", header.alg))));
        }
        let Some(key) = self.key(header.kid.as_deref(), header.alg).await? else {
            return Ok(Err(TokenProblem::UnknownKey));
        };
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.settings.issuer, &format!("{}/", self.settings.issuer)]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        Ok(
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
                .map(|data| data.claims)
                .map_err(|e| match e.kind() {
                    ErrorKind::InvalidSignature => TokenProblem::Signature,
                    ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => {
                        TokenProblem::Expired
                    }
                    ErrorKind::InvalidAudience => TokenProblem::Audience,
                    ErrorKind::InvalidIssuer => TokenProblem::Issuer,
                    ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) => {
                        TokenProblem::Malformed
                    }
                    other => TokenProblem::Other(format!("{other:?}")),
                }),
        )
    }

    /// The published key for `kid` (or the only one, for a token without `kid`). An unknown key
    /// re-reads the JWKS, at most once per `jwks_refetch_interval`.
    async fn key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Option<DecodingKey>, Unavailable> {
        let mut cache = self.keys.lock().await;
        if let Some(key) = pick(&cache.keys, kid, alg) {
            return Ok(Some(key));
        }
        let due = cache
            .fetched
            .is_none_or(|at| at.elapsed() >= self.settings.jwks_refetch_interval);
        if !due {
            return Ok(None);
        }
        let discovery = self.discovery().await?;
        let set: JwkSet = self.get_json(&discovery.jwks_uri).await?;
        cache.keys = set.keys;
        cache.fetched = Some(Instant::now());
        tracing::info!(
            keys = cache.keys.len(),
            "read the identity provider's signing keys"
        );
        Ok(pick(&cache.keys, kid, alg))
    }
}

/// The key a token with `kid` and `alg` is checked with: a signing key of the algorithm's
/// family (never a symmetric one).
fn pick(keys: &[Jwk], kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
    let fits = |k: &&Jwk| {
        let family = matches!(
            (&k.algorithm, alg),
            (AlgorithmParameters::RSA(_), Algorithm::RS256)
                | (AlgorithmParameters::EllipticCurve(_), Algorithm::ES256)
        );
        let signing =
            !matches!(k.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature);
        family && signing
    };
    let mut candidates = keys.iter().filter(fits);
    let key = match kid {
        Some(kid) => candidates.find(|k| k.common.key_id.as_deref() == Some(kid)),
        None => {
            let first = candidates.next();
            first.filter(|_| candidates.next().is_none())
        }
    }?;
    DecodingKey::from_jwk(key).ok()
}

/// `application/x-www-form-urlencoded` of the pairs.
fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut url = Url::parse("http://form.invalid/").expect("a constant URL parses");
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_string()
}
