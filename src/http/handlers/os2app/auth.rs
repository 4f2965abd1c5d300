//! `POST /api/auth` (and `/appapi/auth`): username and app password → the user info with a new
//! GuId. Failed logins count in the login throttle shared with `POST /api/v1/auth/login`.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{enabled, error_answer, read_json};
use crate::domain::os2app::parse_credentials;
use crate::error::Error;
use crate::http::AppState;
use crate::services::app_api::{access, AppError};

pub async fn auth(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    enabled(&state)?;
    let outcome = async {
        let credentials = parse_credentials(&read_json(&state, payload).await?)?;
        let ip = req.peer_addr().map(|a| a.ip());
        let username = credentials.username.clone();
        state.throttle.check(&username, ip)?;
        let result = state
            .db
            .run(move |c| {
                Ok(access::login(
                    c,
                    &credentials.username,
                    &credentials.password,
                ))
            })
            .await?;
        match &result {
            Ok(_) => state.throttle.record_success(&username),
            Err(AppError::InvalidAuthorization(_)) => state.throttle.record_failure(&username, ip),
            Err(_) => {}
        }
        result
    }
    .await;
    Ok(match outcome {
        Ok(info) => HttpResponse::Ok().json(info),
        Err(e) => error_answer(e),
    })
}
