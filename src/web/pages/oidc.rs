//! `/auth/oidc/login` and `/auth/oidc/callback`: single sign-on (issue 18). The flow and every
//! check are in `services::oidc`; here the browser is redirected and the refusal page shown.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::Error;
use crate::http::AppState;
use crate::services::oidc::{self, Callback, Refusal};
use crate::web::error::{page, WebError};
use crate::web::pages::login::safe_next;
use crate::web::see_other;
use crate::web::session::session_cookie;
use crate::web::texts::oidc as texts;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn provider(state: &AppState) -> Result<&oidc::Provider, WebError> {
    state
        .oidc
        .as_deref()
        .ok_or_else(|| Error::not_found("page").into())
}

/// To the provider's sign-in, with a new state, nonce and PKCE challenge.
pub async fn login(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    let provider = provider(&state)?;
    let next = safe_next(query.next.as_deref());
    match oidc::begin(&state.db, provider, &next).await {
        Ok(url) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()),
        Err(Error::Internal(cause)) => {
            tracing::error!(error = format!("{cause:#}"), "single sign-on cannot start");
            let unavailable = Refusal::Unavailable(oidc::Unavailable(cause.to_string()));
            Ok(refused(&unavailable))
        }
        Err(e) => Err(e.into()),
    }
}

/// Back from the provider: a session and on to the page asked for, or a clear refusal.
pub async fn callback(
    state: web::Data<AppState>,
    query: web::Query<Callback>,
) -> Result<HttpResponse, WebError> {
    let provider = provider(&state)?;
    let idle = state.settings.web.session_idle;
    match oidc::finish(&state.db, provider, idle, query.into_inner()).await? {
        Ok(signed_in) => {
            let mut response = see_other(&signed_in.next);
            let secure = state.settings.web.secure_cookies();
            response.add_cookie(&session_cookie(&signed_in.session.token, secure))?;
            Ok(response)
        }
        Err(refusal) => Ok(refused(&refusal)),
    }
}

fn refused(refusal: &Refusal) -> HttpResponse {
    let status = match refusal {
        Refusal::Unlinked(_) | Refusal::Deactivated(_) => StatusCode::FORBIDDEN,
        Refusal::Unavailable(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    };
    let (heading, message) = texts::refusal(refusal);
    page(status, heading, message)
}
