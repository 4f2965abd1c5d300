//! Sending one report of an acknowledged batch back to its approver
//! (`POST /api/v1/payroll/batches/{id}/reports/{report_id}/return`'s service): a confirmation
//! that says what happens, and the reason payroll could not pay the report.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::batches::BatchView;
use super::{batch_path, refused_form, send_back_path};
use crate::domain::ids::{BatchId, ReportId};
use crate::http::AppState;
use crate::services::payroll::{self, BatchStatus};
use crate::services::reports::{self, ReturnReport};
use crate::web::error::WebError;
use crate::web::session::{PayrollForm, PayrollStaff, Signed};
use crate::web::texts::payroll::{PayrollTexts, PT};
use crate::web::{format, render, see_other, Layout};

#[derive(Template)]
#[template(path = "payroll/send_back.html")]
struct SendBackPage {
    layout: Layout,
    pt: &'static PayrollTexts,
    b: BatchView,
    action: String,
    report_href: String,
    person: String,
    date: String,
    purpose: String,
    amount: String,
    reason: String,
    reason_error: bool,
    refused: bool,
}

async fn page(
    state: &AppState,
    signed: &Signed,
    (id, report): (BatchId, ReportId),
    reason: String,
    reason_error: bool,
) -> Result<SendBackPage, WebError> {
    let (batch, line) = state
        .db
        .run(move |c| payroll::batch_report(c, id, report))
        .await?;
    Ok(SendBackPage {
        layout: Layout::signed(signed, PT.return_title, "batches"),
        pt: &PT,
        refused: batch.status != BatchStatus::Acknowledged || line.returned,
        b: BatchView::of(&batch),
        action: send_back_path(id, report),
        report_href: format!("/indberetninger/{report}"),
        person: line.person_name,
        date: format::date(line.drive_date),
        purpose: line.purpose,
        amount: format::kroner(line.amount_ore),
        reason,
        reason_error,
    })
}

pub async fn confirm(
    state: web::Data<AppState>,
    PayrollStaff(signed): PayrollStaff,
    path: web::Path<(BatchId, ReportId)>,
) -> Result<HttpResponse, WebError> {
    let page = page(&state, &signed, path.into_inner(), String::new(), false).await?;
    render(StatusCode::OK, &page)
}

pub async fn send_back(
    state: web::Data<AppState>,
    path: web::Path<(BatchId, ReportId)>,
    PayrollForm { signed, form, .. }: PayrollForm,
) -> Result<HttpResponse, WebError> {
    let (id, report) = path.into_inner();
    let reason = form.get("begrundelse").unwrap_or("").to_string();
    let input = ReturnReport {
        reason: reason.clone(),
    };
    let caller = signed.caller();
    let sent = state
        .db
        .run(move |c| reports::return_from_payroll(c, caller, id, report, &input))
        .await;
    match refused_form(sent)? {
        None => Ok(see_other(&format!(
            "{}?besked=sendt-tilbage",
            batch_path(id)
        ))),
        // The reason was refused, or the report can no longer be sent back: the confirmation
        // again, saying why.
        Some((status, reason_error)) => render(
            status,
            &page(&state, &signed, (id, report), reason, reason_error).await?,
        ),
    }
}
