//! Extractors: the authenticated caller.

use futures_util::future::LocalBoxFuture;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use crate::db::users;
use crate::domain::ids::UserId;
use crate::domain::users::Role;
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::oidc;
use crate::services::tokens::Principal;

/// The caller, authenticated by a bearer access token. Rejects with 401 otherwise.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Principal);

impl AuthUser {
    pub fn id(&self) -> UserId {
        self.0.user_id
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.roles.contains(role)
    }

    /// 403 unless the caller holds `role`.
    pub fn require(&self, role: Role) -> Result<(), Error> {
        if self.has(role) {
            Ok(())
        } else {
            Err(Error::forbidden(format!("this requires the {role} role")))
        }
    }

    /// 403 unless the caller holds the payroll or the admin role.
    pub fn require_payroll_or_admin(&self) -> Result<(), Error> {
        if self.has(Role::Payroll) || self.has(Role::Admin) {
            Ok(())
        } else {
            Err(Error::forbidden("this requires the payroll or admin role"))
        }
    }
}

/// Role extractors: an authenticated caller who also holds the role(s) the name says. A caller
/// without a token gets the same 401 as [`AuthUser`]; one without the role gets 403. They deref to
/// the [`AuthUser`], so a handler reads `user.id()` as before.
macro_rules! role_extractor {
    ($($(#[$doc:meta])* $name:ident => $check:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub AuthUser);

        impl std::ops::Deref for $name {
            type Target = AuthUser;
            fn deref(&self) -> &AuthUser {
                &self.0
            }
        }

        impl FromRequest for $name {
            type Error = Error;
            type Future = LocalBoxFuture<'static, Result<Self, Error>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let check: fn(&AuthUser) -> Result<(), Error> = $check;
                let req = req.clone();
                Box::pin(async move {
                    let user = authenticate(&req).await?;
                    check(&user)?;
                    ensure_active(&req, &user).await?;
                    Ok($name(user))
                })
            }
        }
    )*};
}

role_extractor! {
    /// The caller holds the admin role.
    Admin => |user| user.require(Role::Admin);
    /// The caller holds the payroll or the admin role.
    PayrollOrAdmin => AuthUser::require_payroll_or_admin;
}

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req).await?;
            ensure_active(&req, &user).await?;
            Ok(user)
        })
    }
}

/// korsel's own access token, or (with `KORSEL_OIDC_API_AUDIENCE`) a bearer token of the
/// single sign-on provider.
async fn authenticate(req: &HttpRequest) -> Result<AuthUser, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| anyhow::anyhow!("application state missing"))?;
    let header = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        Error::problem(
            ProblemKind::Unauthenticated,
            "send an access token: Authorization: Bearer <token>",
        )
    })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            Error::problem(
                ProblemKind::Unauthenticated,
                "the Authorization header must be 'Bearer <token>'",
            )
        })?;
    let token = token.trim();
    let principal = match (state.keys.verify(token), &state.oidc) {
        (Some(principal), _) => Some(principal),
        (None, Some(provider)) => oidc::api_principal(&state.db, provider, token).await?,
        (None, None) => None,
    };
    let principal = principal.ok_or_else(|| {
        Error::problem(
            ProblemKind::InvalidToken,
            "the access token is invalid or expired",
        )
    })?;
    if principal.must_change_password && !is_password_change(req) {
        return Err(Error::problem(
            ProblemKind::PasswordChangeRequired,
            "you signed in with a one-time password: set your own with \
             PUT /api/v1/me/password, then sign in again",
        ));
    }
    Ok(AuthUser(principal))
}

/// 401 when the caller's account is deactivated (or gone). korsel's access tokens are verified
/// without the database; this one read makes an administrator's deactivation end them at once
/// rather than when they expire. It runs after the role check, which needs no database, so a
/// caller without the role is refused (403) before any other extractor (a JSON body) answers.
async fn ensure_active(req: &HttpRequest, user: &AuthUser) -> Result<(), Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| anyhow::anyhow!("application state missing"))?;
    let user_id = user.id();
    if state
        .db
        .run(move |conn| Ok(users::is_active(conn, user_id)?))
        .await?
    {
        Ok(())
    } else {
        Err(Error::problem(
            ProblemKind::InvalidToken,
            "the access token is invalid or expired",
        ))
    }
}

/// The one route a user with a one-time password may call.
fn is_password_change(req: &HttpRequest) -> bool {
    req.method() == actix_web::http::Method::PUT && req.path() == "/api/v1/me/password"
}

/// The request's media type without parameters, lower-cased (`application/json`).
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Reads a whole body into memory, answering 413 as soon as it grows past `limit` bytes.
pub async fn read_body(body: web::Payload, limit: usize) -> Result<web::BytesMut, Error> {
    read_chunks(crate::http::body_rate::body_chunks(body), limit).await
}

/// [`read_body`] for any stream of chunks (a part of a form post, say).
pub async fn read_chunks(
    mut chunks: impl futures_util::Stream<Item = Result<web::Bytes, Error>> + Unpin,
    limit: usize,
) -> Result<web::BytesMut, Error> {
    use futures_util::StreamExt;
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > limit {
            return Err(Error::problem(
                ProblemKind::PayloadTooLarge,
                format!("the body is larger than the limit of {limit} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
