//! The OS2indberetning phone apps' routes (`/api/…` as the classic server, `/appapi/…` as the
//! cloud edition), one handler per file. They speak the apps' protocol, not korsel's: bodies
//! read case-insensitively, errors as `{"ErrorMessage", "ErrorCode"}` (written only here, by
//! [`error_answer`]), also for a body that is too large or not JSON. Without
//! `KORSEL_APP_API=on` every one of them answers 404 as an unknown path does.

pub mod appinfo;
pub mod auth;
pub mod report;
pub mod userinfo;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::domain::os2app::ErrorCode;
use crate::error::{Error, ProblemKind};
use crate::http::error::KeepBody;
use crate::http::extract::read_body;
use crate::http::AppState;
use crate::services::app_api::AppError;

/// 404 unless an operator turned the app API on.
fn enabled(state: &AppState) -> Result<(), Error> {
    if state.settings.app_api.enabled {
        Ok(())
    } else {
        Err(Error::problem(
            ProblemKind::NotFound,
            "no route matches this path",
        ))
    }
}

/// The whole body as JSON, within the trip upload limit.
async fn read_json(state: &AppState, payload: web::Payload) -> Result<Value, AppError> {
    let bytes = read_body(payload, state.settings.trips.max_upload_bytes).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| AppError::SaveError(format!("the body is not valid JSON: {e}")))
}

/// An answer in the apps' error shape.
fn answer(status: StatusCode, code: ErrorCode, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    ));
    let mut response =
        response.body(json!({"ErrorMessage": message, "ErrorCode": code as u16}).to_string());
    response.extensions_mut().insert(KeepBody);
    response
}

/// The one place an [`AppError`] becomes an HTTP answer.
pub fn error_answer(e: AppError) -> HttpResponse {
    match e {
        AppError::InvalidAuthorization(message) => answer(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidAuthorization,
            &message,
        ),
        AppError::ReportAndUserDoNotMatch => answer(
            StatusCode::UNAUTHORIZED,
            ErrorCode::ReportAndUserDoNotMatch,
            "User and drive report user do not match",
        ),
        AppError::SaveError(message) => answer(
            StatusCode::BAD_REQUEST,
            ErrorCode::SaveError,
            &format!("Could not save drivereport: {message}"),
        ),
        AppError::Unreadable(message) => answer(
            StatusCode::BAD_REQUEST,
            ErrorCode::SaveError,
            &format!("The request cannot be read: {message}"),
        ),
        AppError::TooLarge(message) => answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::SaveError,
            &message,
        ),
        AppError::Other(Error::Problem(problem)) => {
            let status = StatusCode::from_u16(problem.kind.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = answer(status, ErrorCode::UnknownError, &problem.detail);
            if let Some(seconds) = problem.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            }
            response
        }
        AppError::Other(Error::Internal(cause)) => {
            // The cause chain goes to the log (it never holds a GuId: only its hash is queried).
            tracing::error!(error = format!("{cause:#}"), "internal error");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::UnknownError,
                "An unexpected error occurred; quote the X-Request-Id when reporting it",
            )
        }
    }
}

/// A repeated upload: 200, as OS2 answered, so the app treats it as delivered.
fn duplicate_answer() -> HttpResponse {
    answer(
        StatusCode::OK,
        ErrorCode::DuplicateReportFound,
        "Report rejected, duplicate found",
    )
}
