//! "Mit år": km at the high rate against the 20,000 km of the year, amounts by status (the
//! API's `GET /api/v1/me/summary`), and per month.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::domain::page::{PageRequest, MAX_PER_PAGE};
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::org;
use crate::services::reports::{self, ListQuery, Report};
use crate::web::error::WebError;
use crate::web::pages::{no_person, Choice};
use crate::web::session::Signed;
use crate::web::texts::{self, Texts, DA};
use crate::web::{format, ok, Layout};

pub struct StatusLine {
    pub status: &'static str,
    pub reports: i64,
    pub km: String,
    pub amount: String,
}

pub struct MonthLine {
    pub month: &'static str,
    pub reports: i64,
    pub km: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "year.html")]
struct YearPage {
    layout: Layout,
    t: &'static Texts,
    heading: String,
    years: Vec<Choice>,
    used_text: String,
    remaining_text: String,
    used_m: i64,
    limit_m: i64,
    statuses: Vec<StatusLine>,
    months: Vec<MonthLine>,
    counted_km: String,
    counted_amount: String,
}

#[derive(Deserialize)]
pub struct YearParams {
    aar: Option<i32>,
}

/// Every report of the year that counts (submitted, approved, exported), through the same list
/// the API pages, page by page.
fn counted_reports(
    conn: &mut crate::db::DbConnection,
    caller: reports::Caller,
    year: i32,
) -> crate::error::Result<Vec<Report>> {
    let query = |page| {
        let from = NaiveDate::from_ymd_opt(year, 1, 1);
        let to = NaiveDate::from_ymd_opt(year, 12, 31);
        (
            ListQuery {
                status: None,
                from,
                to,
                person_id: None,
            },
            PageRequest {
                page,
                per_page: MAX_PER_PAGE,
            },
        )
    };
    let mut out = Vec::new();
    for page in 1.. {
        let (q, p) = query(page);
        let found = reports::list(conn, caller, q, p)?;
        let done = i64::from(page) * i64::from(MAX_PER_PAGE) >= found.total;
        out.extend(found.items.into_iter().filter(|r| r.status.is_counted()));
        if done {
            break;
        }
    }
    Ok(out)
}

pub async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    params: web::Query<YearParams>,
) -> Result<HttpResponse, WebError> {
    let this_year = org::today().year();
    let year = params
        .into_inner()
        .aar
        .filter(|y| (this_year - 5..=this_year).contains(y))
        .unwrap_or(this_year);
    let caller = signed.caller();
    let found = state
        .db
        .run(move |c| {
            Ok((
                reports::summary(c, caller, year)?,
                counted_reports(c, caller, year)?,
            ))
        })
        .await;
    let (summary, counted) = match found {
        // The one record these read that can be missing is the caller's own person.
        Err(Error::Problem(p)) if p.kind == ProblemKind::NotFound => {
            return no_person::page(&signed, DA.year_title, "year")
        }
        found => found?,
    };
    let months = (1..=12)
        .filter_map(|m| {
            let of_month: Vec<&Report> = counted
                .iter()
                .filter(|r| r.drive_date.month() == m)
                .collect();
            (!of_month.is_empty()).then(|| MonthLine {
                month: format::month_name(m),
                reports: of_month.len() as i64,
                km: format::km(of_month.iter().map(|r| r.reimbursable_m).sum()),
                amount: format::kroner(of_month.iter().map(|r| r.amount_ore).sum()),
            })
        })
        .collect();
    let heading = format!("{} {year}", DA.year_title);
    ok(&YearPage {
        layout: Layout::signed(&signed, &heading, "year"),
        t: &DA,
        heading,
        years: (this_year - 5..=this_year)
            .rev()
            .map(|y| Choice::new(y, y, y == year))
            .collect(),
        used_text: texts::threshold_used(
            &format::km(summary.high_rate_used_m),
            &format::km(summary.high_rate_limit_m),
        ),
        remaining_text: texts::threshold_remaining(&format::km(summary.high_rate_remaining_m)),
        used_m: summary.high_rate_used_m.min(summary.high_rate_limit_m),
        limit_m: summary.high_rate_limit_m,
        statuses: summary
            .by_status
            .iter()
            .map(|s| StatusLine {
                status: texts::status(s.status),
                reports: s.reports,
                km: format::km(s.reimbursable_m),
                amount: format::kroner(s.amount_ore),
            })
            .collect(),
        months,
        counted_km: format::km(summary.counted_reimbursable_m),
        counted_amount: format::kroner(summary.counted_amount_ore),
    })
}
