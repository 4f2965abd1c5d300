//! `POST /api/auth` (and `/appapi/auth`): username and app password → the user info with a new
//! GuId. Failed logins count in the login throttle shared with `POST /api/v1/auth/login`.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{enabled, error_answer, read_json};
use crate::domain::os2app::parse_credentials;
use crate::error::Error;
use crate::http::{client_address, AppState};
use crate::services::app_api::{access, AppError};

pub async fn auth(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    enabled(&state)?;
    let outcome = async {
        let body = read_json(&state, payload)
            .await
            .map_err(AppError::unreadable)?;
        let credentials = parse_credentials(&body).map_err(|e| AppError::from(e).unreadable())?;
        let ip = client_address(&req, &state);
        let throttle = state.throttle;
        let policy = state.settings.password_login;
        state
            .db
            .run(move |c| {
                let username = &credentials.username;
                Ok(throttle.guard(c, username, ip, |c| {
                    access::login(c, policy, username, &credentials.password)
                }))
            })
            .await?
    }
    .await;
    Ok(match outcome {
        Ok(info) => HttpResponse::Ok().json(info),
        Err(e) => error_answer(e),
    })
}
