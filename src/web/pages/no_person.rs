//! The page an account linked to no person gets where a person's own page would be (a new
//! report, the year's summary): the page's heading and why there is nothing, instead of a 404
//! behind a menu link. An administrator's first account is such an account.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::http::AppState;
use crate::services::org;
use crate::web::error::WebError;
use crate::web::session::Signed;
use crate::web::texts::{Texts, DA};
use crate::web::{render, Layout};

#[derive(Template)]
#[template(path = "no_person.html")]
struct NoPersonPage {
    layout: Layout,
    t: &'static Texts,
    heading: &'static str,
}

/// `Some(page)` when the signed-in account is linked to no person: the page to show instead.
pub async fn instead_of(
    state: &web::Data<AppState>,
    signed: &Signed,
    heading: &'static str,
    current: &'static str,
) -> Result<Option<HttpResponse>, WebError> {
    let user_id = signed.user.user_id;
    let linked = state
        .db
        .run(move |c| Ok(org::person_of_user_id(c, user_id)?.is_some()))
        .await?;
    if linked {
        return Ok(None);
    }
    let page = NoPersonPage {
        layout: Layout::signed(signed, heading, current),
        t: &DA,
        heading,
    };
    render(StatusCode::OK, &page).map(Some)
}
