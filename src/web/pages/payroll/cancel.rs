//! Cancelling a batch payroll has not acknowledged (`POST /api/v1/payroll/batches/{id}/cancel`'s
//! service): a confirmation that says how many reports return to approved, and a reason.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::batches::BatchView;
use super::{batch_path, placeholder_banner, refused_form};
use crate::domain::ids::BatchId;
use crate::http::AppState;
use crate::services::payroll::{self, Actor, CancelBatch};
use crate::web::error::WebError;
use crate::web::session::{PayrollForm, PayrollStaff, Signed};
use crate::web::texts::payroll::{self as texts, PayrollTexts, PT};
use crate::web::{render, see_other, Layout};

#[derive(Template)]
#[template(path = "payroll/cancel.html")]
struct CancelPage {
    layout: Layout,
    pt: &'static PayrollTexts,
    banner: bool,
    b: BatchView,
    returns: String,
    reason: String,
    reason_error: bool,
    refused: bool,
}

async fn page(
    state: &AppState,
    signed: &Signed,
    id: BatchId,
    reason: String,
    reason_error: bool,
) -> Result<CancelPage, WebError> {
    let (batch, banner) = state
        .db
        .run(move |c| Ok((payroll::get_batch(c, id)?, placeholder_banner(c)?)))
        .await?;
    let b = BatchView::of(&batch);
    Ok(CancelPage {
        layout: Layout::signed(signed, PT.cancel_title, "batches"),
        pt: &PT,
        banner,
        returns: texts::cancel_returns(batch.report_count),
        refused: !b.open,
        b,
        reason,
        reason_error,
    })
}

pub async fn confirm(
    state: web::Data<AppState>,
    PayrollStaff(signed): PayrollStaff,
    id: web::Path<BatchId>,
) -> Result<HttpResponse, WebError> {
    let page = page(&state, &signed, id.into_inner(), String::new(), false).await?;
    render(StatusCode::OK, &page)
}

pub async fn cancel(
    state: web::Data<AppState>,
    id: web::Path<BatchId>,
    PayrollForm { signed, form, .. }: PayrollForm,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let reason = form.get("begrundelse").unwrap_or("").to_string();
    let input = CancelBatch {
        reason: reason.clone(),
    };
    let actor = Actor::User(signed.user.user_id);
    let cancelled = state
        .db
        .run(move |c| payroll::cancel_batch(c, id, &input, actor))
        .await;
    match refused_form(cancelled)? {
        None => Ok(see_other(&format!("{}?besked=annulleret", batch_path(id)))),
        // The reason was refused, or the batch is no longer open: the confirmation again,
        // saying why.
        Some((status, reason_error)) => render(
            status,
            &page(&state, &signed, id, reason, reason_error).await?,
        ),
    }
}
