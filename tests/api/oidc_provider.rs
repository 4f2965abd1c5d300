//! A small OpenID Connect provider served by the test itself (wiremock on 127.0.0.1, port 0):
//! discovery, JWKS, an authorize endpoint that signs the configured user in at once and sends
//! the browser back with a code, a token endpoint that checks the code, the PKCE verifier and
//! the client secret and answers with an RS256 (or ES256) ID token, and an end-session endpoint.
//!
//! Two fixed RSA keys (`tests/fixtures/oidc/key{1,2}.pem`) let a test rotate the signing key;
//! switches make the next ID token tampered, for another audience, expired or with another
//! nonce, or make the authorize endpoint answer with an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use korsel::config::{OidcSettings, Secret, Settings};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const CLIENT_ID: &str = "korsel-test";
pub const CLIENT_SECRET: &str = "client-secret-for-tests";
pub const ROLE_MAP: &str = "approver=grp-ledere,payroll=grp-loen,admin=grp-it";

/// The provider's signing keys: two RSA keys (a rotation switches from the first to the second)
/// and an EC P-256 key, as providers that sign with ES256 use.
const KEYS: [SigningKey; 3] = [
    SigningKey {
        kid: "key-1",
        alg: Algorithm::RS256,
        pem: include_str!("../fixtures/oidc/key1.pem"),
    },
    SigningKey {
        kid: "key-2",
        alg: Algorithm::RS256,
        pem: include_str!("../fixtures/oidc/key2.pem"),
    },
    SigningKey {
        kid: "key-ec",
        alg: Algorithm::ES256,
        pem: include_str!("../fixtures/oidc/key3-ec.pem"),
    },
];
/// Index of the ES256 key in [`KEYS`].
pub const EC_KEY: usize = 2;

struct SigningKey {
    kid: &'static str,
    alg: Algorithm,
    pem: &'static str,
}

impl SigningKey {
    fn encoding_key(&self) -> EncodingKey {
        match self.alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(self.pem.as_bytes()).unwrap(),
            _ => EncodingKey::from_rsa_pem(self.pem.as_bytes()).unwrap(),
        }
    }
}

/// What the provider does with the next sign-in; tests change it between sign-ins.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// The `preferred_username` of whoever signs in.
    pub username: String,
    pub groups: Vec<String>,
    /// The key (an index into `KEYS`) ID tokens are signed with…
    pub signing_key: usize,
    /// …and the keys the JWKS publishes.
    pub published: Vec<usize>,
    /// Change the payload after signing.
    pub tamper: bool,
    /// Sign with HS256 and the client secret (`Some("HS256")`) or not at all (`Some("none")`)
    /// instead of the RSA key.
    pub weak_alg: Option<&'static str>,
    pub audience: Option<String>,
    pub expired: bool,
    pub wrong_nonce: bool,
    /// Send the browser back with `error=…` instead of a code.
    pub error: Option<String>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            username: "hanne".into(),
            groups: Vec::new(),
            signing_key: 0,
            published: vec![0],
            tamper: false,
            weak_alg: None,
            audience: None,
            expired: false,
            wrong_nonce: false,
            error: None,
        }
    }
}

/// A code the authorize endpoint handed out.
struct Grant {
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

#[derive(Default)]
struct Shared {
    behaviour: Behaviour,
    grants: HashMap<String, Grant>,
    /// JWKS downloads so far.
    jwks_reads: usize,
}

#[derive(Clone)]
pub struct TestProvider {
    pub server: Arc<MockServer>,
    shared: Arc<Mutex<Shared>>,
}

fn query(request: &Request) -> HashMap<String, String> {
    request.url.query_pairs().into_owned().collect()
}

impl TestProvider {
    pub async fn start() -> TestProvider {
        let server = MockServer::start().await;
        let provider = TestProvider {
            server: Arc::new(server),
            shared: Arc::default(),
        };
        let issuer = provider.issuer();
        let discovery = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "end_session_endpoint": format!("{issuer}/logout"),
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        });
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(discovery))
            .mount(&provider.server)
            .await;
        let routes = [
            ("GET", "/jwks"),
            ("GET", "/authorize"),
            ("POST", "/token"),
            ("GET", "/logout"),
        ];
        for (verb, route) in routes {
            Mock::given(method(verb))
                .and(path(route))
                .respond_with(Endpoint {
                    route,
                    provider: provider.clone(),
                })
                .mount(&provider.server)
                .await;
        }
        provider
    }

    pub fn issuer(&self) -> String {
        self.server.uri()
    }

    /// Changes what the next sign-in does.
    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.shared.lock().unwrap().behaviour);
    }

    pub fn jwks_reads(&self) -> usize {
        self.shared.lock().unwrap().jwks_reads
    }

    /// korsel's settings for this provider, with the role map of the tests.
    pub fn configure(&self, settings: &mut Settings) {
        let mut oidc = OidcSettings::new(&self.issuer(), CLIENT_ID);
        oidc.client_secret = Some(Secret::new(CLIENT_SECRET));
        oidc.role_map = ROLE_MAP.parse().unwrap();
        oidc.jwks_refetch_interval = Duration::ZERO;
        settings.oidc = Some(oidc);
    }

    /// A JWT as the provider would sign it, with the current behaviour, for `audience`.
    pub fn token(&self, audience: &str, nonce: Option<&str>) -> String {
        let b = self.shared.lock().unwrap().behaviour.clone();
        let now = chrono::Utc::now().timestamp();
        let exp = if b.expired { now - 600 } else { now + 300 };
        let mut claims = json!({
            "iss": self.issuer(),
            "sub": format!("sub-{}", b.username),
            "aud": b.audience.clone().unwrap_or_else(|| audience.to_string()),
            "iat": now - 5,
            "exp": exp,
            "preferred_username": b.username,
            "groups": b.groups,
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(if b.wrong_nonce {
                "another-nonce"
            } else {
                nonce
            });
        }
        match b.weak_alg {
            Some("HS256") => {
                let key = EncodingKey::from_secret(CLIENT_SECRET.as_bytes());
                return jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
                    .unwrap();
            }
            Some(_) => {
                let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
                return format!("{}.{}.", part(&json!({"alg": "none"})), part(&claims));
            }
            None => {}
        }
        let signer = &KEYS[b.signing_key];
        let mut header = Header::new(signer.alg);
        header.kid = Some(signer.kid.to_string());
        let token = jsonwebtoken::encode(&header, &claims, &signer.encoding_key()).unwrap();
        if !b.tamper {
            return token;
        }
        // The same signature over a payload that gives the user the admin group.
        let parts: Vec<&str> = token.split('.').collect();
        claims["groups"] = json!(["grp-it"]);
        let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        format!("{}.{forged}.{}", parts[0], parts[2])
    }

    fn jwks(&self) -> Value {
        let mut shared = self.shared.lock().unwrap();
        shared.jwks_reads += 1;
        let keys = shared
            .behaviour
            .published
            .iter()
            .map(|&i| {
                let signer = &KEYS[i];
                let mut jwk = Jwk::from_encoding_key(&signer.encoding_key(), signer.alg).unwrap();
                jwk.common.key_id = Some(signer.kid.to_string());
                jwk.common.public_key_use = Some(PublicKeyUse::Signature);
                jwk
            })
            .collect();
        serde_json::to_value(JwkSet { keys }).unwrap()
    }

    fn authorize(&self, request: &Request) -> ResponseTemplate {
        let q = query(request);
        let (Some(redirect_uri), Some(state)) = (q.get("redirect_uri"), q.get("state")) else {
            return ResponseTemplate::new(400);
        };
        assert_eq!(q.get("client_id").map(String::as_str), Some(CLIENT_ID));
        assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
        assert_eq!(
            q.get("code_challenge_method").map(String::as_str),
            Some("S256")
        );
        let mut shared = self.shared.lock().unwrap();
        let back = match &shared.behaviour.error {
            Some(error) => format!("{redirect_uri}?error={error}&state={state}"),
            None => {
                let code = uuid::Uuid::new_v4().simple().to_string();
                shared.grants.insert(
                    code.clone(),
                    Grant {
                        nonce: q["nonce"].clone(),
                        challenge: q["code_challenge"].clone(),
                        redirect_uri: redirect_uri.clone(),
                    },
                );
                format!("{redirect_uri}?code={code}&state={state}")
            }
        };
        ResponseTemplate::new(302).insert_header("location", back.as_str())
    }

    fn exchange(&self, request: &Request) -> ResponseTemplate {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let refuse =
            |error: &str| ResponseTemplate::new(400).set_body_json(json!({"error": error}));
        if form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
            return refuse("invalid_client");
        }
        let grant = form
            .get("code")
            .and_then(|code| self.shared.lock().unwrap().grants.remove(code));
        let Some(grant) = grant else {
            return refuse("invalid_grant");
        };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if challenge != grant.challenge || form.get("redirect_uri") != Some(&grant.redirect_uri) {
            return refuse("invalid_grant");
        }
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "opaque-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.token(CLIENT_ID, Some(&grant.nonce)),
        }))
    }
}

struct Endpoint {
    route: &'static str,
    provider: TestProvider,
}

impl Respond for Endpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match self.route {
            "/jwks" => ResponseTemplate::new(200).set_body_json(self.provider.jwks()),
            "/authorize" => self.provider.authorize(request),
            "/logout" => {
                // Signed out here too; back to where korsel asked.
                let q = query(request);
                match q.get("post_logout_redirect_uri") {
                    Some(back) => {
                        ResponseTemplate::new(302).insert_header("location", back.as_str())
                    }
                    None => ResponseTemplate::new(400),
                }
            }
            _ => self.provider.exchange(request),
        }
    }
}

/// The app with single sign-on at `provider`, on a port chosen first so that its public URL
/// (and so its redirect URI) is known.
pub async fn spawn_with_provider(
    provider: &TestProvider,
    configure: impl FnOnce(&mut Settings),
) -> crate::helpers::TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    crate::helpers::spawn_app_with(|s| {
        s.bind = format!("127.0.0.1:{port}").parse().unwrap();
        s.web.public_url = Some(format!("http://127.0.0.1:{port}"));
        provider.configure(s);
        configure(s);
    })
    .await
}

/// Adds a person with `username` (as the staff import would), through the admin API.
pub async fn add_person(app: &crate::helpers::TestApp, username: &str) {
    let admin = app.admin_token().await;
    let res = app
        .post(
            "/api/v1/persons",
            Some(&admin),
            &json!({"external_id": format!("ext-{username}"), "name": format!("Person {username}"),
                    "username": username}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
}
