//! The HTTP edge of errors: every non-2xx response is RFC 9457 `application/problem+json`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::error::{Error, Problem, ProblemKind};
use crate::http::body_rate::is_too_slow;
use crate::http::middleware::current_request_id;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Marks an error answer written in another protocol's shape on purpose (the phone apps'
/// `{"ErrorMessage", "ErrorCode"}`), which the problem+json guarantee leaves as it is.
pub struct KeepBody;

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.kind().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Error::Problem(problem) => problem_response(problem),
            Error::Internal(cause) => {
                // The whole cause chain goes to the log; the client learns only the request id.
                tracing::error!(error = format!("{cause:#}"), "internal error");
                problem_response(&Problem::new(
                    ProblemKind::Internal,
                    "an unexpected error occurred; quote the request_id when reporting it",
                ))
            }
        }
    }
}

pub fn problem_body(problem: &Problem) -> Value {
    let mut body = json!({
        "type": problem.kind.type_uri(),
        "title": problem.kind.title(),
        "status": problem.kind.status(),
        "detail": problem.detail,
        "request_id": current_request_id(),
    });
    if let Value::Object(map) = &mut body {
        for (key, value) in &problem.extensions {
            map.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    body
}

pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status =
        StatusCode::from_u16(problem.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if let Some(seconds) = problem.retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    if problem.kind.status() == 401 {
        response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    response.body(problem_body(problem).to_string())
}

/// Body-parsing failures from actix's JSON extractor.
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let problem = match &err {
        E::ContentType => Problem::new(
            ProblemKind::UnsupportedMediaType,
            "expected Content-Type: application/json",
        ),
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => Problem::new(
            ProblemKind::PayloadTooLarge,
            format!("the body is larger than the limit of {limit} bytes"),
        ),
        E::Payload(e) if is_too_slow(e) => Problem::new(ProblemKind::RequestTimeout, e.to_string()),
        E::Deserialize(e) if e.is_data() => Problem::new(
            ProblemKind::Validation,
            format!("invalid request body: {e}"),
        ),
        E::Deserialize(e) => {
            Problem::new(ProblemKind::MalformedJson, format!("malformed JSON: {e}"))
        }
        other => Problem::new(
            ProblemKind::BadRequest,
            format!("cannot read the body: {other}"),
        ),
    };
    Error::Problem(problem).into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    Error::problem(
        ProblemKind::BadRequest,
        format!("invalid query string: {err}"),
    )
    .into()
}

/// A path segment that does not parse (e.g. `/users/abc`) names no resource.
pub fn path_error(
    err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    Error::problem(ProblemKind::NotFound, format!("no such resource: {err}")).into()
}
