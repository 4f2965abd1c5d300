//! `POST /api/userinfo` (and `/appapi/userinfo`): `{"GuId"}` → the same user info as the login.

use actix_web::{web, HttpResponse};

use super::{enabled, error_answer, read_json};
use crate::domain::os2app::{parse_guid, Fields};
use crate::error::Error;
use crate::http::AppState;
use crate::services::app_api::{access, AppError};

pub async fn userinfo(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    enabled(&state)?;
    let max_age = state.settings.app_api.token_max_age;
    let outcome = async {
        let body = read_json(&state, payload).await?;
        // No readable GuId is an invalid authorization, as an unknown one is.
        let guid = Fields::of(&body, "")
            .and_then(|fields| parse_guid(&fields))
            .map_err(|_| AppError::InvalidAuthorization("Invalid authorization".into()))?;
        state
            .db
            .run(move |c| Ok(access::userinfo(c, &guid, max_age)))
            .await?
    }
    .await;
    Ok(match outcome {
        Ok(info) => HttpResponse::Ok().json(info),
        Err(e) => error_answer(e),
    })
}
