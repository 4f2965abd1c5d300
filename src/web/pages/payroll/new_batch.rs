//! "Ny lønkørsel": a date and a format, then a preview of what the batch would take (count,
//! km, amount), then the batch (`POST /api/v1/payroll/batches`'s service). The preview is a
//! plain GET form, so it works without JavaScript.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{batch_path, placeholder_banner};
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::payroll::PayrollFormat;
use crate::services::payroll::{self, Actor, BatchPreview, CreateBatch};
use crate::web::error::{status_of, WebError};
use crate::web::pages::Choice;
use crate::web::session::{PayrollForm, PayrollStaff, Signed};
use crate::web::texts::payroll::{self as texts, PayrollTexts, PT};
use crate::web::{format, render, see_other, Layout};

pub struct PreviewView {
    pub reports: i64,
    pub km: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "payroll/new_batch.html")]
struct NewBatchPage {
    layout: Layout,
    pt: &'static PayrollTexts,
    banner: bool,
    up_to: String,
    formats: Vec<Choice>,
    /// The chosen format's value, for the confirming form.
    format: String,
    preview: Option<PreviewView>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Params {
    til: Option<String>,
    format: Option<String>,
}

const FORMATS: [PayrollFormat; 2] = [PayrollFormat::Csv, PayrollFormat::KmdInd01];

fn format_of(value: Option<&str>) -> PayrollFormat {
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or(PayrollFormat::Csv)
}

fn date_of(value: Option<&str>) -> Option<NaiveDate> {
    value.and_then(|v| v.trim().parse().ok())
}

/// The form, with the preview and the confirming button when a date was given.
async fn page(
    state: &AppState,
    signed: &Signed,
    params: &Params,
    error: Option<String>,
) -> Result<NewBatchPage, WebError> {
    let up_to = date_of(params.til.as_deref());
    let format = format_of(params.format.as_deref());
    let (preview, banner) = state
        .db
        .run(move |c| {
            let preview = up_to.map(|d| payroll::preview_batch(c, d)).transpose()?;
            Ok((preview, placeholder_banner(c)?))
        })
        .await?;
    let given = params.til.as_deref().is_some_and(|t| !t.trim().is_empty());
    let error = error.or_else(|| (given && up_to.is_none()).then(|| PT.up_to_missing.to_string()));
    Ok(NewBatchPage {
        layout: Layout::signed(signed, PT.new_title, "batches"),
        pt: &PT,
        banner,
        up_to: up_to.map(|d| d.to_string()).unwrap_or_default(),
        formats: FORMATS
            .iter()
            .map(|&f| Choice::new(f.as_str(), texts::format_name(f), f == format))
            .collect(),
        format: format.as_str().to_string(),
        preview: preview.map(|p: BatchPreview| PreviewView {
            reports: p.report_count,
            km: format::km(p.total_distance_m),
            amount: format::kroner(p.total_amount_ore),
        }),
        error,
    })
}

pub async fn form(
    state: web::Data<AppState>,
    PayrollStaff(signed): PayrollStaff,
    params: web::Query<Params>,
) -> Result<HttpResponse, WebError> {
    let page = page(&state, &signed, &params, None).await?;
    render(StatusCode::OK, &page)
}

/// Makes the batch; a refusal (a placeholder TF code, IND01 not configured, a concurrent
/// batch) shows the form again with the reason.
pub async fn create(
    state: web::Data<AppState>,
    PayrollForm { signed, form, .. }: PayrollForm,
) -> Result<HttpResponse, WebError> {
    let params = Params {
        til: form.text("til"),
        format: form.text("format"),
    };
    let Some(up_to) = date_of(params.til.as_deref()) else {
        let page = page(&state, &signed, &params, Some(PT.up_to_missing.into())).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let input = CreateBatch {
        up_to,
        format: format_of(params.format.as_deref()),
    };
    let actor = Actor::User(signed.user.user_id);
    let settings = state.settings.payroll.clone();
    let created = state
        .db
        .run(move |c| payroll::create_batch(c, &input, actor, &settings, false))
        .await;
    match created {
        Ok(batch) => Ok(see_other(&format!(
            "{}?besked=dannet",
            batch_path(batch.id)
        ))),
        Err(Error::Problem(problem)) if problem.kind != ProblemKind::Internal => {
            let field = problem.extensions.get("field").and_then(|f| f.as_str());
            let reason = texts::create_refusal(problem.kind, field);
            let message = format!("{} {reason}", PT.create_refused);
            let page = page(&state, &signed, &params, Some(message)).await?;
            render(status_of(problem.kind), &page)
        }
        Err(e) => Err(e.into()),
    }
}
