//! Extractors: the authenticated caller.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use crate::domain::users::Role;
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::tokens::Principal;

/// The caller, authenticated by a bearer access token. Rejects with 401 otherwise.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Principal);

impl AuthUser {
    pub fn id(&self) -> i64 {
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
}

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, Error> {
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
    state
        .keys
        .verify(token.trim())
        .map(AuthUser)
        .ok_or_else(|| {
            Error::problem(
                ProblemKind::InvalidToken,
                "the access token is invalid or expired",
            )
        })
}
