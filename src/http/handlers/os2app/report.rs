//! `POST /api/report` (and `/appapi/report`): a `DriveObject` → a trip and a submitted drive
//! report in one transaction. Success is 200 with an empty body, as OS2 answered; a repeated
//! `Uuid` is 200 + 690.

use actix_web::{web, HttpResponse};

use super::{duplicate_answer, enabled, error_answer, read_json};
use crate::error::Error;
use crate::http::handlers::reports::context;
use crate::http::AppState;
use crate::services::app_api::upload::{self, UploadContext, Uploaded};

pub async fn report(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    enabled(&state)?;
    let ctx = UploadContext {
        reports: context(&state),
        registry: state.addresses.clone(),
        home_radius_m: state.settings.trips.home_radius_m,
        address_radius_m: state.settings.addresses.reverse_radius_m,
        token_max_age: state.settings.app_api.token_max_age,
    };
    let outcome = match read_json(&state, payload).await {
        Ok(body) => upload::upload(&ctx, body).await,
        Err(e) => Err(e),
    };
    Ok(match outcome {
        Ok(Uploaded::Stored { .. }) => HttpResponse::Ok().finish(),
        Ok(Uploaded::Duplicate) => duplicate_answer(),
        Err(e) => error_answer(e),
    })
}
