//! "Mine indberetninger": the employee's own reports, filtered by year and status, paged.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::domain::report_state::ReportStatus;
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::{org, reports};
use crate::web::error::WebError;
use crate::web::pages::{page_request, query_value, Choice, Pager, ReportRow};
use crate::web::session::Signed;
use crate::web::texts::{self, Texts, DA};
use crate::web::{notice, ok, Layout, NoticeQuery};

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: Layout,
    t: &'static Texts,
    years: Vec<Choice>,
    statuses: Vec<Choice>,
    rows: Vec<ReportRow>,
    pager: Pager,
    no_person: bool,
}

#[derive(Deserialize)]
pub struct ListParams {
    aar: Option<String>,
    status: Option<String>,
    side: Option<u32>,
}

/// The years offered: this one and the five before it.
fn years(selected: Option<i32>) -> Vec<Choice> {
    let this = org::today().year();
    std::iter::once(Choice::new("", DA.filter_all, selected.is_none()))
        .chain(
            (this - 5..=this)
                .rev()
                .map(|y| Choice::new(y, y, selected == Some(y))),
        )
        .collect()
}

fn statuses(selected: Option<ReportStatus>) -> Vec<Choice> {
    std::iter::once(Choice::new("", DA.filter_all, selected.is_none()))
        .chain(
            ReportStatus::ALL
                .iter()
                .map(|&s| Choice::new(s.as_str(), texts::status(s), selected == Some(s))),
        )
        .collect()
}

pub async fn list(
    state: web::Data<AppState>,
    signed: Signed,
    params: web::Query<ListParams>,
    notices: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let params = params.into_inner();
    let year: Option<i32> = params
        .aar
        .as_deref()
        .and_then(|y| y.parse().ok())
        .filter(|y| (2000..=2100).contains(y));
    let status: Option<ReportStatus> = params.status.as_deref().and_then(|s| s.parse().ok());
    let query = reports::ListQuery {
        status,
        from: year.and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1)),
        to: year.and_then(|y| NaiveDate::from_ymd_opt(y, 12, 31)),
        person_id: None,
    };
    let page = page_request(params.side);
    let caller = signed.caller();
    let found = state
        .db
        .run(move |c| reports::list(c, caller, query, page))
        .await;
    let mut filters = Vec::new();
    if let Some(y) = year {
        filters.push(format!("aar={y}"));
    }
    if let Some(s) = status {
        filters.push(format!("status={}", query_value(s.as_str())));
    }
    let (found, no_person) = match found {
        Ok(found) => (found, false),
        // An account without a person in the organisation (the first admin, say) has no
        // reports: say so instead of failing.
        Err(Error::Problem(p)) if p.kind == ProblemKind::NotFound => {
            (crate::domain::page::Page::new(Vec::new(), page, 0), true)
        }
        Err(e) => return Err(e.into()),
    };
    let layout =
        Layout::signed(&signed, DA.my_reports_title, "reports").with_notice(notices.notice(notice));
    ok(&ReportsPage {
        layout,
        t: &DA,
        years: years(year),
        statuses: statuses(status),
        rows: found.items.iter().map(ReportRow::of).collect(),
        pager: Pager::of(&found, "/", &filters.join("&")),
        no_person,
    })
}
