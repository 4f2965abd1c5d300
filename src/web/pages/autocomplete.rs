//! Address suggestions for the report form (htmx): the local registry's autocomplete, the
//! index `GET /api/v1/addresses/autocomplete` reads.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::http::AppState;
use crate::web::error::WebError;
use crate::web::ok;
use crate::web::session::Signed;
use crate::web::texts::{Texts, DA};

/// Suggestions shown at once.
const LIMIT: usize = 8;
/// Longer input is not an address; nothing is looked up.
const MAX_TEXT: usize = 200;

pub struct SuggestionView {
    pub id: String,
    pub text: String,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Template)]
#[template(path = "suggestions.html")]
struct Suggestions {
    t: &'static Texts,
    items: Vec<SuggestionView>,
    searched: bool,
}

#[derive(Deserialize)]
pub struct SuggestParams {
    /// The address field's name on the form.
    stop_label: Option<String>,
}

pub async fn suggestions(
    state: web::Data<AppState>,
    _signed: Signed,
    params: web::Query<SuggestParams>,
) -> Result<HttpResponse, WebError> {
    let q = params.into_inner().stop_label.unwrap_or_default();
    let q = q.trim();
    let searched = !q.is_empty() && q.chars().count() <= MAX_TEXT;
    let items = if searched {
        state
            .addresses
            .index()
            .autocomplete(q, LIMIT)
            .into_iter()
            .filter(|s| s.lat.is_finite() && s.lon.is_finite())
            .map(|s| SuggestionView {
                id: s.id.to_string(),
                text: s.text,
                lat: s.lat,
                lon: s.lon,
            })
            .collect()
    } else {
        Vec::new()
    };
    ok(&Suggestions {
        t: &DA,
        items,
        searched,
    })
}
