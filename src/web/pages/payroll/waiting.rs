//! "Afventer godkendelse": the pending reports by org unit and by responsible approver, with
//! the oldest drive date, so payroll can chase late approvers before a deadline.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::placeholder_banner;
use crate::http::AppState;
use crate::services::reports::{self, Waiting, WaitingGroup};
use crate::web::error::WebError;
use crate::web::session::PayrollStaff;
use crate::web::texts::payroll::{PayrollTexts, PT};
use crate::web::{format, ok, Layout};

pub struct WaitingRow {
    pub name: String,
    pub reports: i64,
    pub oldest: String,
}

impl WaitingRow {
    fn of(name: &str, w: &Waiting) -> WaitingRow {
        WaitingRow {
            name: name.to_string(),
            reports: w.reports,
            oldest: format::date(w.oldest_drive_date),
        }
    }

    fn rows<Id>(groups: &[WaitingGroup<Id>]) -> Vec<WaitingRow> {
        groups
            .iter()
            .map(|g| WaitingRow::of(&g.name, &g.waiting))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "payroll/waiting.html")]
struct WaitingPage {
    layout: Layout,
    pt: &'static PayrollTexts,
    banner: bool,
    total: Option<WaitingRow>,
    units: Vec<WaitingRow>,
    approvers: Vec<WaitingRow>,
    without_approver: Option<WaitingRow>,
}

pub async fn show(
    state: web::Data<AppState>,
    PayrollStaff(signed): PayrollStaff,
) -> Result<HttpResponse, WebError> {
    let (overview, banner) = state
        .db
        .run(|c| Ok((reports::waiting_overview(c)?, placeholder_banner(c)?)))
        .await?;
    ok(&WaitingPage {
        layout: Layout::signed(&signed, PT.waiting_title, "waiting"),
        pt: &PT,
        banner,
        total: overview.total.as_ref().map(|w| WaitingRow::of("", w)),
        units: WaitingRow::rows(&overview.per_org_unit),
        approvers: WaitingRow::rows(&overview.per_approver),
        without_approver: overview
            .without_approver
            .as_ref()
            .map(|w| WaitingRow::of(PT.without_approver, w)),
    })
}
