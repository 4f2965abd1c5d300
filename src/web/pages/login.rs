//! Sign-in and sign-out. The same accounts and the same login throttle as `POST
//! /api/v1/auth/login`; the form is protected against login CSRF by a cookie it must match.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::config::PasswordLogin;
use crate::error::{Error, ProblemKind};
use crate::http::{client_address, AppState};
use crate::services::tokens::new_opaque_token;
use crate::services::web_sessions;
use crate::web::error::WebError;
use crate::web::pages::query_value;
use crate::web::session::{
    expired_session_cookie, same_secret, session_cookie, FormData, SignedForm, CSRF_FIELD,
    SESSION_COOKIE,
};
use crate::web::texts::{self, oidc as oidc_texts, Texts, DA};
use crate::web::{notice, render, see_other, Layout};

/// The sign-in form's own CSRF cookie (there is no session yet to hold a token).
const LOGIN_COOKIE: &str = "korsel_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    t: &'static Texts,
    csrf: String,
    next: String,
    username: String,
    info: Option<&'static str>,
    error: Option<String>,
    /// Single sign-on is configured: its button comes first.
    sso: Option<SsoButton>,
}

/// The single sign-on button of the sign-in page.
struct SsoButton {
    href: String,
    button: &'static str,
    intro: &'static str,
    password_heading: &'static str,
    /// `KORSEL_PASSWORD_LOGIN=admins`: the password form is for administrators only.
    admins_only: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    udloebet: Option<String>,
    besked: Option<String>,
}

/// Only a path on this site is a place to return to (never `//host` or a full URL). Browsers
/// drop tabs and line breaks from a URL and read `\\` as `/`, so `/\t/host` is `//host`: a
/// path with whitespace, control characters or backslashes is no place to return to.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n
                    .chars()
                    .any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn login_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(LOGIN_COOKIE, value.to_string())
        .path("/log-ind")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

fn page(
    state: &AppState,
    status: StatusCode,
    next: String,
    username: String,
    info: Option<&'static str>,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let csrf = new_opaque_token();
    let admins_only = state.settings.password_login == PasswordLogin::Admins;
    let sso = state.oidc.as_ref().map(|_| SsoButton {
        href: format!("/auth/oidc/login?next={}", query_value(&next)),
        button: oidc_texts::BUTTON,
        intro: oidc_texts::SSO_INTRO,
        password_heading: oidc_texts::PASSWORD_HEADING,
        admins_only: admins_only.then_some(oidc_texts::ADMINS_ONLY),
    });
    let page = LoginPage {
        layout: Layout::anonymous(DA.login_title),
        t: &DA,
        csrf: csrf.clone(),
        next,
        username,
        info,
        error,
        sso,
    };
    let mut response = render(status, &page)?;
    response.add_cookie(&login_cookie(&csrf, state.settings.web.secure_cookies()))?;
    Ok(response)
}

pub async fn form(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    let query = query.into_inner();
    let info = if query.udloebet.is_some() {
        Some(DA.session_expired)
    } else {
        notice(query.besked.as_deref()).or(query
            .next
            .as_ref()
            .filter(|n| *n != "/")
            .map(|_| DA.login_required))
    };
    page(
        &state,
        StatusCode::OK,
        safe_next(query.next.as_deref()),
        String::new(),
        info,
        None,
    )
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, WebError> {
    let next = safe_next(form.get("next"));
    let username = form.text("username").unwrap_or_default();
    let password = form.get("password").unwrap_or_default().to_string();
    let cookie = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_string());
    if !cookie.is_some_and(|c| same_secret(&c, form.get(CSRF_FIELD).unwrap_or(""))) {
        let message = DA.login_form_expired.to_string();
        return page(
            &state,
            StatusCode::FORBIDDEN,
            next,
            username,
            None,
            Some(message),
        );
    }
    if username.is_empty() || password.is_empty() {
        let message = DA.login_missing.to_string();
        return page(&state, StatusCode::OK, next, username, None, Some(message));
    }
    let ip = client_address(&req, &state);
    let idle = state.settings.web.session_idle;
    let throttle = state.throttle;
    let policy = state.settings.password_login;
    let (name, secret) = (username.clone(), password);
    let outcome = state
        .db
        .run(move |c| {
            throttle.guard(c, &name, ip, |c| {
                web_sessions::sign_in(c, idle, policy, &name, &secret)
            })
        })
        .await;
    match outcome {
        Ok(session) => {
            let secure = state.settings.web.secure_cookies();
            let mut response = see_other(&next);
            response.add_cookie(&session_cookie(&session.token, secure))?;
            let mut gone = login_cookie("", secure);
            gone.make_removal();
            response.add_cookie(&gone)?;
            Ok(response)
        }
        Err(e) => {
            let (status, message) = match &e {
                Error::Problem(p) if p.kind == ProblemKind::TooManyRequests => (
                    StatusCode::TOO_MANY_REQUESTS,
                    texts::login_throttled(p.retry_after.unwrap_or(60)),
                ),
                e if e.kind() == ProblemKind::InvalidCredentials => {
                    (StatusCode::OK, DA.login_failed.to_string())
                }
                // KORSEL_PASSWORD_LOGIN=admins and not an administrator.
                e if e.kind() == ProblemKind::Forbidden => (
                    StatusCode::FORBIDDEN,
                    oidc_texts::PASSWORD_REFUSED.to_string(),
                ),
                _ => return Err(e.into()),
            };
            page(&state, status, next, username, None, Some(message))
        }
    }
}

pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: SignedForm,
) -> Result<HttpResponse, WebError> {
    let mut id_token_hint = None;
    if let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) {
        id_token_hint = state
            .db
            .run(move |c| web_sessions::sign_out(c, &token))
            .await?;
    }
    // A single sign-on session also ends at the provider, when it has single sign-out.
    let provider_sign_out = match (&state.oidc, id_token_hint) {
        (Some(provider), Some(hint)) => provider.end_session_url(&hint).await,
        _ => None,
    };
    let mut response = see_other(
        provider_sign_out
            .as_deref()
            .unwrap_or("/log-ind?besked=logget-ud"),
    );
    response.add_cookie(&expired_session_cookie(state.settings.web.secure_cookies()))?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            safe_next(Some("/godkendelse?side=2")),
            "/godkendelse?side=2"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            " //evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
