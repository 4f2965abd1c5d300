//! `GET /api/appinfo`: the provider list with this installation's entry, as OS2's DMZ served it.

use actix_web::{web, HttpRequest, HttpResponse};

use super::enabled;
use crate::error::Error;
use crate::http::AppState;
use crate::services::app_api::provider_entry;

pub async fn appinfo(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, Error> {
    enabled(&state)?;
    let info = req.connection_info();
    let request_base = format!("{}://{}", info.scheme(), info.host());
    let entry = provider_entry(&state.settings.app_api.provider, Some(&request_base))?;
    Ok(HttpResponse::Ok().json([entry]))
}
