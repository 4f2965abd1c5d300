//! "Beskeder": a person turns the approvers' morning digest on or off and sees where notices
//! go, as `GET`/`PUT /api/v1/me/notifications` do (the same service).

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::http::AppState;
use crate::services::notices::{self, Preferences};
use crate::web::error::WebError;
use crate::web::session::{Signed, SignedForm};
use crate::web::texts::{Texts, DA};
use crate::web::{notice, ok, see_other, Layout, NoticeQuery};

pub const PATH: &str = "/beskeder";

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    t: &'static Texts,
    preferences: Preferences,
}

pub async fn form(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let id = signed.user.user_id;
    let preferences = state.db.run(move |c| notices::preferences(c, id)).await?;
    ok(&NotificationsPage {
        layout: Layout::signed(&signed, DA.notifications_title, "notifications")
            .with_notice(query.notice(notice)),
        t: &DA,
        preferences,
    })
}

pub async fn submit(
    state: web::Data<AppState>,
    form: SignedForm,
) -> Result<HttpResponse, WebError> {
    let id = form.signed.user.user_id;
    let digest = form.form.checked("morgenoversigt");
    state
        .db
        .run(move |c| notices::set_digest(c, id, digest))
        .await?;
    Ok(see_other(&format!("{PATH}?besked=beskeder-gemt")))
}
