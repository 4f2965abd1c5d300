//! The page an account linked to no person gets where a person's own page would be (a new
//! report, the year's summary): the page's heading and why there is nothing, instead of a 404
//! behind a menu link. An administrator's first account is such an account.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::web::error::WebError;
use crate::web::session::Signed;
use crate::web::texts::{Texts, DA};
use crate::web::{render, Layout};

#[derive(Template)]
#[template(path = "no_person.html")]
struct NoPersonPage<'a> {
    layout: Layout,
    t: &'static Texts,
    heading: &'a str,
}

/// The page under `heading` (the menu entry `current`) that says the account has no person.
pub fn page(
    signed: &Signed,
    heading: &str,
    current: &'static str,
) -> Result<HttpResponse, WebError> {
    let page = NoPersonPage {
        layout: Layout::signed(signed, heading, current),
        t: &DA,
        heading,
    };
    render(StatusCode::OK, &page)
}
