//! "Organisation": the org tree with each unit's leaders and substitutes, the personal
//! approvers, and the persons (paginated), each linking to the person's page. Read-only: the
//! organisation is changed by importing (`/admin/indlaesning`) or through the API.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::http::AppState;
use crate::services::org::{self, Delegate, PersonSummary};
use crate::web::error::WebError;
use crate::web::format;
use crate::web::pages::{page_request, Pager};
use crate::web::session::Administrator;
use crate::web::texts::admin::{self as texts, AdminTexts, ADMIN};
use crate::web::texts::{Texts, DA};
use crate::web::{ok, Layout};

pub struct PersonLink {
    pub href: String,
    pub name: String,
}

impl PersonLink {
    pub fn of(p: &PersonSummary) -> PersonLink {
        PersonLink {
            href: format!("/admin/personer/{}", p.id),
            name: p.name.clone(),
        }
    }
}

pub struct DelegateRow {
    pub person: PersonLink,
    pub period: String,
}

fn delegate(d: &Delegate) -> DelegateRow {
    let mut period = texts::period(&format::date(d.from), d.to.map(format::date).as_deref());
    if d.takes_over {
        period = format!("{period}, {}", ADMIN.takes_over);
    }
    DelegateRow {
        person: PersonLink::of(&d.person),
        period,
    }
}

pub struct UnitRow {
    pub name: String,
    pub external_id: String,
    pub indent: String,
    pub leaders: Vec<PersonLink>,
    pub substitutes: Vec<DelegateRow>,
}

pub struct ApproverRow {
    pub person: PersonLink,
    pub approver: DelegateRow,
}

pub struct PersonRow {
    pub link: PersonLink,
    pub external_id: String,
    pub username: String,
}

#[derive(Template)]
#[template(path = "admin_organisation.html")]
struct OrganisationPage {
    layout: Layout,
    t: &'static Texts,
    a: &'static AdminTexts,
    today: String,
    units: Vec<UnitRow>,
    approvers: Vec<ApproverRow>,
    persons: Vec<PersonRow>,
    pager: Pager,
}

#[derive(Deserialize)]
pub struct TreeQuery {
    side: Option<u32>,
}

pub async fn tree(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    query: web::Query<TreeQuery>,
) -> Result<HttpResponse, WebError> {
    let today = org::today();
    let page = page_request(query.side);
    let (overview, persons) = state
        .db
        .run(move |c| Ok((org::overview(c, today)?, org::list_persons(c, page)?)))
        .await?;
    ok(&OrganisationPage {
        layout: Layout::signed(&signed, ADMIN.organisation_title, "organisation"),
        t: &DA,
        a: &ADMIN,
        today: format::date(today),
        units: overview
            .units
            .iter()
            .map(|u| UnitRow {
                name: u.name.clone(),
                external_id: u.external_id.clone(),
                indent: format!("indent-{}", u.depth.min(6)),
                leaders: u.leaders.iter().map(PersonLink::of).collect(),
                substitutes: u.substitutes.iter().map(delegate).collect(),
            })
            .collect(),
        approvers: overview
            .personal_approvers
            .iter()
            .map(|a| ApproverRow {
                person: PersonLink::of(&a.person),
                approver: delegate(&a.approver),
            })
            .collect(),
        pager: Pager::of(&persons, "/admin/organisation", ""),
        persons: persons
            .items
            .iter()
            .map(|p| PersonRow {
                link: PersonLink::of(p),
                external_id: p.external_id.clone(),
                username: p.username.clone().unwrap_or_default(),
            })
            .collect(),
    })
}
