//! "Løn" (issue 15): the payroll pages, for payroll staff and administrators. Each calls the
//! services `/api/v1/payroll/…` calls; every page shows a banner while a rate type in use has a
//! placeholder TF code (the batch would be refused), linking to the page that fixes it.

pub mod batches;
pub mod cancel;
pub mod new_batch;
pub mod send_back;
pub mod waiting;

use actix_web::web;

use crate::db::DbConnection;
use crate::domain::ids::{BatchId, ReportId};
use actix_web::http::StatusCode;

use crate::error::{Error, ProblemKind, Result};
use crate::services::tf_codes;
use crate::web::error::WebError;
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
    page_and_form(
        cfg,
        "/loen/koersler/{id}/indberetninger/{report}/send-tilbage",
        send_back::confirm,
        send_back::send_back,
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
        "sendt-tilbage" => PT.report_returned,
        _ => return None,
    })
}

pub fn batch_path(id: BatchId) -> String {
    format!("/loen/koersler/{id}")
}

/// A reason form's post (cancel a batch, send a report back) that the service refused, as its
/// confirmation page shows it again: the status, and whether the reason was what was refused
/// (else the action is no longer possible). Other errors pass on.
pub fn refused_form<T>(
    outcome: Result<T>,
) -> std::result::Result<Option<(StatusCode, bool)>, WebError> {
    match outcome {
        Ok(_) => Ok(None),
        Err(Error::Problem(p)) if p.kind == ProblemKind::Validation => {
            Ok(Some((StatusCode::UNPROCESSABLE_ENTITY, true)))
        }
        Err(Error::Problem(p)) if p.kind == ProblemKind::Conflict => {
            Ok(Some((StatusCode::CONFLICT, false)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The page that sends report `report` of batch `id` back to its approver.
pub fn send_back_path(id: BatchId, report: ReportId) -> String {
    format!("/loen/koersler/{id}/indberetninger/{report}/send-tilbage")
}
