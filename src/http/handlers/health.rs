use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::error::{Error, ProblemKind};
use crate::http::AppState;

/// Liveness: the process answers.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers.
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let db = state.db.clone();
    let outcome = tokio::task::spawn_blocking(move || db.ping(Duration::from_secs(2)))
        .await
        .map_err(anyhow::Error::new)?;
    match outcome {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": state.db.url().kind(),
        }))),
        Err(cause) => {
            tracing::warn!(error = format!("{cause:#}"), "readiness check failed");
            Err(Error::problem(
                ProblemKind::ServiceUnavailable,
                "the database does not answer",
            ))
        }
    }
}
