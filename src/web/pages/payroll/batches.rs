//! "Lønkørsler": the batches (newest first), one batch with its reports, and its file, which
//! is `GET /api/v1/payroll/batches/{id}/file`'s download byte for byte.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{batch_path, notice, placeholder_banner, send_back_path};
use crate::domain::ids::BatchId;
use crate::domain::page::Page;
use crate::http::handlers::payroll::{file_response, FileQuery};
use crate::http::AppState;
use crate::services::payroll::{self, Batch, BatchReport, BatchStatus};
use crate::web::error::WebError;
use crate::web::pages::{page_request, Pager};
use crate::web::session::PayrollStaff;
use crate::web::texts::payroll::{self as texts, PayrollTexts, PT};
use crate::web::texts::{Texts, DA};
use crate::web::{format, ok, Layout, NoticeQuery};

/// A batch as the pages show it.
pub struct BatchView {
    pub id: BatchId,
    pub heading: String,
    pub href: String,
    pub file_href: String,
    pub cancel_href: String,
    pub up_to: String,
    pub format: &'static str,
    pub reports: i64,
    pub km: String,
    pub amount: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub created_by: String,
    pub created_at: String,
    pub fetched_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
    /// Neither cancelled nor acknowledged: it can still be cancelled.
    pub open: bool,
}

impl BatchView {
    pub fn of(b: &Batch) -> BatchView {
        let when = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(format::date_time);
        let href = batch_path(b.id);
        BatchView {
            id: b.id,
            heading: texts::batch_heading(b.id),
            file_href: format!("{href}/fil"),
            cancel_href: format!("{href}/annuller"),
            href,
            up_to: format::date(b.up_to),
            format: texts::format_name(b.format),
            reports: b.report_count,
            km: format::km(b.total_distance_m),
            amount: format::kroner(b.total_amount_ore),
            state: texts::batch_state(b),
            state_class: match b.status {
                BatchStatus::Cancelled => "status status-rejected",
                BatchStatus::Acknowledged => "status status-exported",
                BatchStatus::Open if b.first_fetched_at.is_some() => "status status-approved",
                BatchStatus::Open => "status status-pending",
            },
            created_by: b.created_by.clone(),
            created_at: format::date_time(b.created_at),
            fetched_at: when(b.first_fetched_at),
            acknowledged_at: when(b.acknowledged_at),
            cancelled_at: when(b.cancelled_at),
            cancel_reason: b.cancel_reason.clone(),
            open: b.status == BatchStatus::Open,
        }
    }
}

/// `?side=N` of a list.
#[derive(Deserialize)]
pub struct ListParams {
    side: Option<u32>,
}

#[derive(Template)]
#[template(path = "payroll/batches.html")]
struct BatchesPage {
    layout: Layout,
    t: &'static Texts,
    pt: &'static PayrollTexts,
    banner: bool,
    rows: Vec<BatchView>,
    pager: Pager,
}

pub async fn list(
    state: web::Data<AppState>,
    PayrollStaff(signed): PayrollStaff,
    params: web::Query<ListParams>,
    notices: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let page = page_request(params.side);
    let (batches, banner) = state
        .db
        .run(move |c| Ok((payroll::list_batches(c, page)?, placeholder_banner(c)?)))
        .await?;
    ok(&BatchesPage {
        layout: Layout::signed(&signed, PT.batches_title, "batches")
            .with_notice(notices.notice(notice)),
        t: &DA,
        pt: &PT,
        banner,
        pager: Pager::of(&batches, "/loen", ""),
        rows: batches.items.iter().map(BatchView::of).collect(),
    })
}

pub struct ReportLine {
    pub href: String,
    pub employment: String,
    pub person: String,
    pub date: String,
    pub purpose: String,
    pub km: String,
    pub amount: String,
    /// Payroll sent the report back to its approver.
    pub returned: bool,
    /// The page that sends it back, while that is possible (an acknowledged batch).
    pub send_back_href: Option<String>,
}

impl ReportLine {
    fn of(batch: &Batch, r: &BatchReport) -> ReportLine {
        let can_send_back = batch.status == BatchStatus::Acknowledged && !r.returned;
        ReportLine {
            href: format!("/indberetninger/{}", r.report_id),
            employment: r.employment_number.clone(),
            person: r.person_name.clone(),
            date: format::date(r.drive_date),
            purpose: r.purpose.clone(),
            km: format::km(r.distance_m),
            amount: format::kroner(r.amount_ore),
            returned: r.returned,
            send_back_href: can_send_back.then(|| send_back_path(batch.id, r.report_id)),
        }
    }
}

#[derive(Template)]
#[template(path = "payroll/batch.html")]
struct BatchPage {
    layout: Layout,
    t: &'static Texts,
    pt: &'static PayrollTexts,
    banner: bool,
    b: BatchView,
    reports: Vec<ReportLine>,
    pager: Pager,
}

pub async fn show(
    state: web::Data<AppState>,
    PayrollStaff(signed): PayrollStaff,
    id: web::Path<BatchId>,
    params: web::Query<ListParams>,
    notices: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let (id, page) = (id.into_inner(), page_request(params.side));
    let (detail, banner) = state
        .db
        .run(move |c| Ok((payroll::batch_detail(c, id, page)?, placeholder_banner(c)?)))
        .await?;
    let b = BatchView::of(&detail.batch);
    let reports: &Page<BatchReport> = &detail.reports;
    ok(&BatchPage {
        layout: Layout::signed(&signed, &b.heading, "batches").with_notice(notices.notice(notice)),
        t: &DA,
        pt: &PT,
        banner,
        pager: Pager::of(reports, &b.href, ""),
        reports: reports
            .items
            .iter()
            .map(|r| ReportLine::of(&detail.batch, r))
            .collect(),
        b,
    })
}

/// The batch's file: the API's response, so the bytes, name and type are the same.
pub async fn file(
    state: web::Data<AppState>,
    _: PayrollStaff,
    id: web::Path<BatchId>,
) -> Result<HttpResponse, WebError> {
    Ok(file_response(&state, id.into_inner(), FileQuery::default()).await?)
}
