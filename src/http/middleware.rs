//! Request context: a request id on every request (honouring `X-Request-Id`), one tracing span
//! per request, and the guarantee that every error response is problem+json.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::Payload;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

use crate::error::{Problem, ProblemKind};
use crate::http::body_rate::MinRatePayload;
use crate::http::error::{problem_response, KeepBody, PROBLEM_JSON};
use crate::http::AppState;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled on this task, for error bodies.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// An incoming id is honoured when it is short and printable, so it cannot forge log lines.
fn incoming_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| value.to_string())
}

/// Builds the per-request span; runs before the request-context middleware. The span carries
/// only the request id, so that every event inside a request names it; what the request was
/// and how it ended is the one compact line [`request_context`] writes.
pub struct KorselRootSpan;

impl RootSpanBuilder for KorselRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = incoming_request_id(request).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        request.extensions_mut().insert(RequestId(id.clone()));
        tracing::info_span!("req", id = %id)
    }

    fn on_request_end<B: MessageBody>(
        _span: Span,
        _outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
    }
}

pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let started = Instant::now();
    if let Some(state) = req.app_data::<web::Data<AppState>>() {
        let http = state.settings.http;
        if http.body_min_bytes_per_second > 0 {
            let body = MinRatePayload::new(
                req.take_payload(),
                http.body_grace,
                http.body_min_bytes_per_second,
            );
            req.set_payload(Payload::Stream {
                payload: Box::pin(body),
            });
        }
    }
    let method = req.method().clone();
    let route = req.match_pattern();
    // Handler and extractor errors arrive here as responses already; an `Err` can only come
    // from a middleware below, and is passed on for actix to render.
    let mut response = REQUEST_ID
        .scope(request_id.clone(), async move {
            next.call(req)
                .await
                .map(|response| ensure_problem_json(response.map_into_boxed_body()))
        })
        .await?;

    // One line per request, about 130 bytes in the default format: the route pattern, not
    // the path (ids in paths stay out of the log), and the time in milliseconds.
    let status = response.status().as_u16();
    let ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    let route = route.as_deref().unwrap_or("<unmatched>");
    if status >= 500 {
        tracing::error!(%method, route, status, ms, "request failed");
    } else {
        tracing::info!(%method, route, status, ms);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

/// Errors raised below our handlers (a 405 from the router, say) come with an empty or plain
/// body; give them the same problem shape as ours.
fn ensure_problem_json(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    let kept = response.response().extensions().contains::<KeepBody>();
    // The browser pages answer errors with Danish HTML pages of their own.
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if status.as_u16() < 400 || is_problem || kept || is_page {
        return response;
    }
    let kind = ProblemKind::for_status(status.as_u16());
    let detail = match kind {
        ProblemKind::MethodNotAllowed => "this route does not accept that method".to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let (request, _) = response.into_parts();
    let mut replacement = problem_response(&Problem::new(kind, detail));
    // Keep the status actix chose, even where our generic kind maps differently.
    *replacement.status_mut() = status;
    ServiceResponse::new(request, replacement)
}
