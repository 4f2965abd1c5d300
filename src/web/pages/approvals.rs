//! "Til godkendelse": the pending reports the signed-in person approves (as leader, substitute
//! or personal approver, as `GET /api/v1/approvals` resolves it), with the flags an approver
//! looks for, filters, order and pages; and bulk approval with each report's outcome.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::ids::{OrgUnitId, PersonId};
use crate::domain::page::Page;
use crate::error::{Error, ProblemKind};
use crate::http::handlers::reports::context;
use crate::http::AppState;
use crate::services::org;
use crate::services::reports::{self, BulkItem, BulkOutcome, QueueQuery, QueueSort, Report};
use crate::web::error::WebError;
use crate::web::pages::{flags, page_request, query_value, Choice, Pager, ReportRow};
use crate::web::session::{Signed, SignedForm};
use crate::web::texts::{self, Texts, DA};
use crate::web::{notice, ok, Framed, Layout, NoticeQuery};

pub struct QueueRow {
    pub row: ReportRow,
    pub unit: String,
    pub flags: Vec<String>,
}

pub struct BulkLine {
    pub text: String,
    pub href: String,
    pub approved: bool,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    layout: Layout,
    t: &'static Texts,
    rows: Vec<QueueRow>,
    pager: Pager,
    persons: Vec<Choice>,
    sorts: Vec<Choice>,
    from: String,
    to: String,
    only_flagged: bool,
    bulk: Vec<BulkLine>,
    bulk_error: Option<&'static str>,
}

impl Framed for QueuePage {
    fn layout(&mut self) -> &mut Layout {
        &mut self.layout
    }
}

#[derive(Deserialize, Default)]
pub struct QueueParams {
    person: Option<String>,
    fra: Option<String>,
    til: Option<String>,
    sortering: Option<String>,
    /// "Kun dem med bemærkninger": only reports with a flag.
    markeret: Option<String>,
    side: Option<u32>,
}

impl QueueParams {
    fn only_flagged(&self) -> bool {
        self.markeret.as_deref().is_some_and(|v| !v.is_empty())
    }
}

fn sort_of(s: Option<&str>) -> QueueSort {
    match s {
        Some("nyeste") => QueueSort::NewestFirst,
        Some("beloeb") => QueueSort::LargestAmountFirst,
        Some("person") => QueueSort::Person,
        _ => QueueSort::OldestFirst,
    }
}

fn sorts(selected: QueueSort) -> Vec<Choice> {
    [
        ("aeldste", QueueSort::OldestFirst, DA.sort_date_asc),
        ("nyeste", QueueSort::NewestFirst, DA.sort_date_desc),
        ("beloeb", QueueSort::LargestAmountFirst, DA.sort_amount_desc),
        ("person", QueueSort::Person, DA.sort_person),
    ]
    .into_iter()
    .map(|(value, sort, label)| Choice::new(value, label, sort == selected))
    .collect()
}

fn date(s: Option<&str>) -> Option<NaiveDate> {
    s.and_then(|d| d.parse().ok())
}

struct Loaded {
    page: Page<Report>,
    flags: Vec<Vec<String>>,
    units: Vec<String>,
    approvees: Vec<org::PersonSummary>,
}

async fn load(state: &AppState, signed: &Signed, params: &QueueParams) -> Result<Loaded, Error> {
    let caller = signed.caller();
    let query = QueueQuery {
        person_id: params.person.as_deref().and_then(|p| p.parse().ok()),
        employment_id: None,
        from: date(params.fra.as_deref()),
        to: date(params.til.as_deref()),
        sort: sort_of(params.sortering.as_deref()),
        flagged: params.only_flagged(),
    };
    let page = page_request(params.side);
    state
        .db
        .run(move |c| {
            let page = reports::queue(c, caller, query, page)?;
            let flags = flags::of_reports(c, &page.items)?;
            let mut unit_names: HashMap<OrgUnitId, String> = HashMap::new();
            let mut units = Vec::with_capacity(page.items.len());
            for r in &page.items {
                let unit = org::get_employment(c, r.employment_id)?.org_unit_id;
                let name = match unit_names.entry(unit) {
                    Entry::Occupied(known) => known.get().clone(),
                    Entry::Vacant(new) => new.insert(org::get_org_unit(c, unit)?.name).clone(),
                };
                units.push(name);
            }
            let approvees = match org::person_of_user_id(c, caller.user_id)? {
                Some(me) => org::approvees(c, me.id, org::today())?,
                None => Vec::new(),
            };
            Ok(Loaded {
                page,
                flags,
                units,
                approvees,
            })
        })
        .await
}

fn page(
    signed: &Signed,
    params: &QueueParams,
    loaded: Loaded,
    bulk: Vec<BulkLine>,
    bulk_error: Option<&'static str>,
) -> QueuePage {
    let person: Option<PersonId> = params.person.as_deref().and_then(|p| p.parse().ok());
    let mut filters = Vec::new();
    for (name, value) in [
        ("person", &params.person),
        ("fra", &params.fra),
        ("til", &params.til),
        ("sortering", &params.sortering),
        ("markeret", &params.markeret),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            filters.push(format!("{name}={}", query_value(v)));
        }
    }
    let Loaded {
        page,
        flags,
        units,
        approvees,
    } = loaded;
    QueuePage {
        layout: Layout::signed(signed, DA.queue_title, "queue"),
        t: &DA,
        pager: Pager::of(&page, "/godkendelse", &filters.join("&")),
        rows: page
            .items
            .iter()
            .zip(flags)
            .zip(units)
            .map(|((r, flags), unit)| QueueRow {
                row: ReportRow::of(r),
                unit,
                flags,
            })
            .collect(),
        persons: std::iter::once(Choice::new("", DA.filter_all, person.is_none()))
            .chain(
                approvees
                    .iter()
                    .map(|p| Choice::new(p.id, &p.name, person == Some(p.id))),
            )
            .collect(),
        sorts: sorts(sort_of(params.sortering.as_deref())),
        from: params.fra.clone().unwrap_or_default(),
        to: params.til.clone().unwrap_or_default(),
        only_flagged: params.only_flagged(),
        bulk,
        bulk_error,
    }
}

pub async fn queue(
    state: web::Data<AppState>,
    signed: Signed,
    params: web::Query<QueueParams>,
    notices: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let params = params.into_inner();
    let loaded = load(&state, &signed, &params).await?;
    notices.ok(page(&signed, &params, loaded, Vec::new(), None), notice)
}

/// `valgt=<id>:<version>`, as the queue's checkboxes send them.
fn selected(values: Vec<&str>) -> Vec<BulkItem> {
    values
        .into_iter()
        .filter_map(|v| {
            let (id, version) = v.split_once(':')?;
            Some(BulkItem {
                id: id.parse().ok()?,
                version: version.parse().ok()?,
            })
        })
        .collect()
}

/// A failed item's reason, in Danish, from the problem the single approval would give.
fn reason(problem: Option<&serde_json::Value>) -> &'static str {
    let kind = problem
        .and_then(|p| p.get("type"))
        .and_then(|t| t.as_str())
        .and_then(|t| ProblemKind::ALL.into_iter().find(|k| k.type_uri() == t))
        .unwrap_or(ProblemKind::Conflict);
    texts::problem(kind).0
}

pub async fn bulk_approve(
    state: web::Data<AppState>,
    form: SignedForm,
) -> Result<HttpResponse, WebError> {
    let SignedForm { signed, form } = form;
    let items = selected(form.all("valgt"));
    let (bulk, bulk_error) = if items.is_empty() {
        (Vec::new(), Some(DA.bulk_none_selected))
    } else {
        let results = reports::bulk_approve(&context(&state), signed.caller(), items, None).await?;
        let lines = results
            .iter()
            .map(|r| {
                let approved = matches!(r.outcome, BulkOutcome::Approved);
                let outcome = if approved {
                    DA.outcome_approved.to_string()
                } else {
                    format!("{} ({})", DA.outcome_failed, reason(r.problem.as_ref()))
                };
                BulkLine {
                    text: texts::bulk_line(r.id, &outcome),
                    href: format!("/indberetninger/{}", r.id),
                    approved,
                }
            })
            .collect();
        (lines, None)
    };
    let params = QueueParams::default();
    let loaded = load(&state, &signed, &params).await?;
    ok(&page(&signed, &params, loaded, bulk, bulk_error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ReportId;

    #[test]
    fn selections_are_id_and_version() {
        let items = selected(vec!["4:2", "x:1", "5", "7:3"]);
        assert_eq!(
            items.iter().map(|i| (i.id, i.version)).collect::<Vec<_>>(),
            [(ReportId(4), 2), (ReportId(7), 3)]
        );
    }
}
