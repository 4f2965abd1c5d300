//! Errors of page requests: clear Danish pages (never JSON), a redirect to sign-in when the
//! session is missing or idle, and 403 for a form without its CSRF token.

use actix_web::error::{PathError, QueryPayloadError, UrlencodedError};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::error::{Error, ProblemKind};
use crate::http::middleware::current_request_id;
use crate::web::pages::query_value;
use crate::web::texts::{self, Texts, DA};
use crate::web::Layout;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Not signed in: to the sign-in page, then back to `next`.
    #[error("sign-in required")]
    SignIn {
        next: String,
        expired: bool,
        htmx: bool,
    },
    /// Signed in with a one-time password: to the change-password page first.
    #[error("password change required")]
    PasswordChange { htmx: bool },
    #[error("missing or wrong CSRF token")]
    CsrfRefused,
    #[error(transparent)]
    Service(#[from] Error),
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        WebError::Service(Error::Internal(e))
    }
}

impl From<actix_web::error::HttpError> for WebError {
    fn from(e: actix_web::error::HttpError) -> Self {
        WebError::Service(Error::Internal(anyhow::anyhow!(
            "cannot build the response: {e}"
        )))
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Service(Error::Internal(anyhow::Error::new(e).context("template")))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub t: &'static Texts,
    pub heading: &'static str,
    pub message: &'static str,
    pub request_id: Option<String>,
}

/// `/log-ind?next=…` (and `&udloebet=1` after an idle timeout).
pub fn sign_in_url(next: &str, expired: bool) -> String {
    let mut url = format!("/log-ind?next={}", query_value(next));
    if expired {
        url.push_str("&udloebet=1");
    }
    url
}

pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The error page for a problem kind (the user's menus are not shown: the page may be the
/// answer to a failed sign-in check).
pub fn error_page(kind: ProblemKind) -> HttpResponse {
    let (heading, message) = texts::problem(kind);
    page(status_of(kind), heading, message)
}

/// The HTTP status of a problem kind (a refused form answers with it).
pub fn status_of(kind: ProblemKind) -> StatusCode {
    StatusCode::from_u16(kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A page the caller's roles do not reach is not told to exist: the services' "forbidden"
/// (e.g. the approval queue for a user who approves nobody) is the 404 page, as a record the
/// caller may not see is. (A refused CSRF token is [`WebError::CsrfRefused`], still 403.)
fn shown_kind(kind: ProblemKind) -> ProblemKind {
    match kind {
        ProblemKind::Forbidden => ProblemKind::NotFound,
        other => other,
    }
}

/// A page with a heading and one message (errors, refused sign-ins).
pub fn page(status: StatusCode, heading: &'static str, message: &'static str) -> HttpResponse {
    let page = ErrorPage {
        layout: Layout::anonymous(heading),
        t: &DA,
        heading,
        message,
        request_id: current_request_id(),
    };
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the error page");
            HttpResponse::build(status).finish()
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn { .. } | WebError::PasswordChange { .. } => StatusCode::SEE_OTHER,
            WebError::CsrfRefused => StatusCode::FORBIDDEN,
            WebError::Service(Error::Problem(p)) => status_of(shown_kind(p.kind)),
            WebError::Service(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            WebError::SignIn {
                next,
                expired,
                htmx,
            } => redirect(&sign_in_url(next, *expired), *htmx),
            WebError::PasswordChange { htmx } => redirect(crate::web::pages::password::PATH, *htmx),
            WebError::CsrfRefused => page(
                StatusCode::FORBIDDEN,
                texts::problem(ProblemKind::Forbidden).0,
                DA.csrf_refused,
            ),
            WebError::Service(Error::Internal(cause)) => {
                tracing::error!(error = format!("{cause:#}"), "internal error on a page");
                error_page(ProblemKind::Internal)
            }
            WebError::Service(Error::Problem(problem)) => error_page(shown_kind(problem.kind)),
        }
    }
}

/// 303 to `url`; for an htmx request, the header htmx follows with a full page load.
fn redirect(url: &str, htmx: bool) -> HttpResponse {
    if htmx {
        HttpResponse::Ok()
            .insert_header(("HX-Redirect", url.to_string()))
            .finish()
    } else {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url.to_string()))
            .finish()
    }
}

/// Whether a path is the JSON API's (including the phone app's compatibility API), whose
/// errors are problem+json; every other path is a page.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/appapi/")
}

/// A path segment that does not parse (`/indberetninger/abc`): on a page the Danish 404 page,
/// on the API its problem+json.
pub fn path_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    if is_api(req.path()) {
        return crate::http::error::path_error(err, req);
    }
    WebError::Service(Error::problem(ProblemKind::NotFound, err.to_string())).into()
}

/// A query string that does not parse (`?side=-1`): on a page the Danish 400 page, on the API
/// its problem+json.
pub fn query_error(err: QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    if is_api(req.path()) {
        return crate::http::error::query_error(err, req);
    }
    WebError::Service(Error::problem(ProblemKind::BadRequest, err.to_string())).into()
}

/// A form body that cannot be read: too large (413), not a form (415), or not decodable (400).
pub fn form_error(err: &actix_web::Error) -> WebError {
    let kind = match err.as_error::<UrlencodedError>() {
        Some(UrlencodedError::Overflow { .. } | UrlencodedError::UnknownLength) => {
            ProblemKind::PayloadTooLarge
        }
        Some(UrlencodedError::ContentType) => ProblemKind::UnsupportedMediaType,
        _ => ProblemKind::BadRequest,
    };
    WebError::Service(Error::problem(kind, format!("unreadable form: {err}")))
}

/// The app's fallback for unknown paths: a Danish page for browsers (they ask for HTML),
/// the API's problem+json for everybody else.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !is_api(req.path()) {
        return error_page(ProblemKind::NotFound);
    }
    Error::problem(ProblemKind::NotFound, "no route matches this path").error_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_url_keeps_the_return_path() {
        assert_eq!(sign_in_url("/", false), "/log-ind?next=%2F");
        assert_eq!(
            sign_in_url("/?aar=2026&status=pending", true),
            "/log-ind?next=%2F%3Faar%3D2026%26status%3Dpending&udloebet=1"
        );
    }
}
