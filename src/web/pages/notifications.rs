//! "Beskeder": a person turns the approvers' morning digest on or off and sees where notices
//! go, as `GET`/`PUT /api/v1/me/notifications` do (the same service). An account linked to no
//! person (an administrator's or payroll's own) gets notices from nobody: the page says so.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::notices::{self, Preferences};
use crate::web::error::WebError;
use crate::web::session::{Signed, SignedForm};
use crate::web::texts::{Texts, DA};
use crate::web::{notice, render, see_other, Framed, Layout, NoticeQuery};

pub const PATH: &str = "/beskeder";

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    t: &'static Texts,
    /// `None`: the account is linked to no person (a pure administrator or payroll account),
    /// and notices go to persons; the page says so instead of offering the settings.
    preferences: Option<Preferences>,
}

/// The preferences of the user's person; `None` when the user has none.
fn of_person(found: Result<Preferences, Error>) -> Result<Option<Preferences>, WebError> {
    match found {
        Ok(preferences) => Ok(Some(preferences)),
        Err(Error::Problem(p)) if p.kind == ProblemKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn page(signed: &Signed, preferences: Option<Preferences>) -> NotificationsPage {
    NotificationsPage {
        layout: Layout::signed(signed, DA.notifications_title, "notifications"),
        t: &DA,
        preferences,
    }
}

pub async fn form(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let id = signed.user.user_id;
    let preferences = of_person(state.db.run(move |c| notices::preferences(c, id)).await)?;
    query.ok(page(&signed, preferences), notice)
}

/// Saves the digest setting; an account without a person gets the page that says why there
/// is nothing to set (409).
pub async fn submit(
    state: web::Data<AppState>,
    SignedForm { signed, form }: SignedForm,
) -> Result<HttpResponse, WebError> {
    let id = signed.user.user_id;
    let digest = form.checked("morgenoversigt");
    let saved = state
        .db
        .run(move |c| notices::set_digest(c, id, digest))
        .await;
    match of_person(saved)? {
        Some(_) => Ok(see_other(&format!("{PATH}?besked=beskeder-gemt"))),
        None => render(StatusCode::CONFLICT, &page(&signed, None)),
    }
}

impl Framed for NotificationsPage {
    fn layout(&mut self) -> &mut Layout {
        &mut self.layout
    }
}
