//! CSV imports through the API (admin only): the same use cases as `korsel org import` and
//! `korsel staff import`. The body is the CSV file itself (`Content-Type: text/csv`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::db::DbConnection;
use crate::error::{Error, ProblemKind};
use crate::http::extract::Admin;
use crate::http::AppState;
use crate::services::import;
use crate::services::staff_extras::AddressSource;

fn require_csv(req: &HttpRequest) -> Result<(), Error> {
    let is_csv = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/csv"));
    if is_csv {
        Ok(())
    } else {
        Err(Error::problem(
            ProblemKind::UnsupportedMediaType,
            "expected Content-Type: text/csv",
        ))
    }
}

/// Imports the request's CSV body in one transaction (415 unless it is `text/csv`).
async fn import_csv<T: Send + 'static>(
    state: &AppState,
    req: &HttpRequest,
    body: web::Bytes,
    import: impl FnOnce(&mut DbConnection, &[u8]) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    require_csv(req)?;
    state.db.run(move |c| import(c, &body)).await
}

pub async fn org_units(
    state: web::Data<AppState>,
    _: Admin,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let summary = import_csv(&state, &req, body, |c, csv| {
        import::import_org_units(c, csv, &mut |_, _| {})
    })
    .await?;
    tracing::info!(
        rows = summary.rows,
        created = summary.org_units.created,
        updated = summary.org_units.updated,
        unchanged = summary.org_units.unchanged,
        "org units imported"
    );
    Ok(HttpResponse::Ok().json(summary))
}

pub async fn staff(
    state: web::Data<AppState>,
    _: Admin,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let addresses = AddressSource::Loaded(state.addresses.index());
    let summary = import_csv(&state, &req, body, |c, csv| {
        import::import_staff(c, csv, addresses, &mut |_, _| {})
    })
    .await?;
    tracing::info!(
        rows = summary.rows,
        persons_created = summary.persons.created,
        persons_updated = summary.persons.updated,
        "staff imported"
    );
    Ok(HttpResponse::Ok().json(summary))
}
