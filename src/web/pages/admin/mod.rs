//! "Administration" (issue 15): the administrators' pages, all under `/admin`. Every handler
//! takes `Administrator` (404 for anyone else) and calls the services the API calls.

mod addresses;
mod imports;
mod organisation;
mod person;
mod users;

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;

use crate::error::{Error, ProblemKind};
use crate::http::body_rate::unreadable_body;
use crate::web::error::WebError;
use crate::web::page_and_form;
use crate::web::session::{same_secret, Signed, CSRF_HEADER};
use crate::web::texts::admin::ADMIN;

/// The administration page routes, all under `/admin`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    page_and_form(cfg, "/admin/brugere", users::list, users::create);
    page_and_form(cfg, "/admin/brugere/{id}", users::show, users::act);
    cfg.route("/admin/organisation", web::get().to(organisation::tree))
        .route("/admin/personer/{id}", web::get().to(person::show))
        .route("/admin/indlaesning", web::get().to(imports::page))
        .route(
            "/admin/indlaesning/adresser",
            web::post().to(addresses::upload),
        )
        .route(
            "/admin/indlaesning/adresser/{id}",
            web::get().to(addresses::status),
        )
        .route(
            "/admin/indlaesning/adresser/{id}/status",
            web::get().to(addresses::fragment),
        );
    page_and_form(
        cfg,
        "/admin/indlaesning/forhaandsvisning/{id}",
        imports::preview,
        imports::decide,
    );
    cfg.route("/admin/indlaesning/{kind}", web::post().to(imports::upload));
}

/// The administration pages' notices after a redirect (`?besked=…`): only these fixed texts.
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "annulleret" => ADMIN.import_cancelled,
        "roller" => ADMIN.roles_saved,
        "person" => ADMIN.person_linked,
        "deaktiveret" => ADMIN.deactivated_saved,
        "genaktiveret" => ADMIN.reactivated_saved,
        _ => return None,
    })
}

/// `?fil=…` (and for addresses `&format=…`) of an upload.
#[derive(Deserialize)]
pub struct UploadQuery {
    fil: Option<String>,
    format: Option<String>,
}

impl UploadQuery {
    fn file_name(&self) -> String {
        self.fil
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .unwrap_or("fil")
            .to_string()
    }
}

/// An upload's CSRF token, which `static/korsel.js` sends in the header (the body is the file).
fn check_upload_csrf(req: &HttpRequest, signed: &Signed) -> Result<(), WebError> {
    let presented = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if same_secret(presented, &signed.user.csrf_token) {
        Ok(())
    } else {
        Err(WebError::CsrfRefused)
    }
}

fn too_large(limit: u64) -> WebError {
    WebError::Service(Error::problem(
        ProblemKind::PayloadTooLarge,
        format!("the file is larger than {limit} bytes"),
    ))
}

/// Reads an upload's body into memory, refusing more than `limit` bytes.
async fn read_body(mut body: web::Payload, limit: u64) -> Result<Vec<u8>, WebError> {
    let mut data = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(unreadable_body)?;
        if (data.len() + chunk.len()) as u64 > limit {
            return Err(too_large(limit));
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// 201 with the page the upload script goes to next.
fn created(location: &str) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location.to_string()))
        .finish()
}
