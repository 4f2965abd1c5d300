//! "Løn" (issue 15): the payroll pages, for payroll staff and administrators. Each calls the
//! services `/api/v1/payroll/…` calls; every page shows a banner while a rate type in use has a
//! placeholder TF code (the batch would be refused), linking to the page that fixes it.

pub mod batches;
pub mod cancel;
pub mod new_batch;
pub mod waiting;

use actix_web::web;

use crate::db::DbConnection;
use crate::domain::ids::BatchId;
use crate::error::Result;
use crate::services::tf_codes;
use crate::web::page_and_form;
use crate::web::texts::payroll::PT;

/// The payroll page routes, all under `/loen`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/loen", web::get().to(batches::list));
    page_and_form(cfg, "/loen/ny", new_batch::form, new_batch::create);
    cfg.route("/loen/afventer", web::get().to(waiting::show))
        .route("/loen/koersler/{id}", web::get().to(batches::show))
        .route("/loen/koersler/{id}/fil", web::get().to(batches::file));
    page_and_form(
        cfg,
        "/loen/koersler/{id}/annuller",
        cancel::confirm,
        cancel::cancel,
    );
}

/// Whether the placeholder banner shows: a rate type reports may still be paid by has a
/// placeholder TF code (what `services::tf_codes` warns about at start-up).
pub fn placeholder_banner(conn: &mut DbConnection) -> Result<bool> {
    Ok(!tf_codes::rate_types_with_placeholders_in_use(conn)?.is_empty())
}

/// The payroll pages' notices after a redirect (`?besked=…`): only these fixed texts.
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "dannet" => PT.batch_created,
        "annulleret" => PT.batch_cancelled,
        _ => return None,
    })
}

pub fn batch_path(id: BatchId) -> String {
    format!("/loen/koersler/{id}")
}
