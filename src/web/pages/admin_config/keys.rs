//! "Lønsystemnøgler": the payroll connector's API keys (`korsel payroll-key …` in the CLI):
//! create (the key is shown on the answer to the form and never again), list, revoke.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::notice;
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::payroll::{self, ApiKey};
use crate::web::error::{status_of, WebError};
use crate::web::session::{AdminForm, Administrator, Signed};
use crate::web::texts::payroll::{PayrollTexts, PT};
use crate::web::{format, ok, render, see_other, Framed, Layout, NoticeQuery};

pub struct KeyRow {
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
    pub state: &'static str,
}

impl KeyRow {
    fn of(k: &ApiKey) -> KeyRow {
        KeyRow {
            name: k.name.clone(),
            created: format::date_time(k.created_at),
            last_used: k
                .last_used_at
                .map_or_else(|| PT.never.to_string(), format::date_time),
            revoked: k.revoked_at.is_some(),
            state: if k.revoked_at.is_some() {
                PT.key_revoked
            } else {
                PT.key_active
            },
        }
    }
}

#[derive(Template)]
#[template(path = "admin_config/keys.html")]
struct KeysPage {
    layout: Layout,
    pt: &'static PayrollTexts,
    keys: Vec<KeyRow>,
    /// The key just created: shown this once.
    created: Option<String>,
    error: bool,
    name: String,
}

impl Framed for KeysPage {
    fn layout(&mut self) -> &mut Layout {
        &mut self.layout
    }
}

async fn page(
    state: &AppState,
    signed: &Signed,
    created: Option<String>,
    error: bool,
    name: String,
) -> Result<KeysPage, WebError> {
    let keys = state.db.run(payroll::list_api_keys).await?;
    Ok(KeysPage {
        layout: Layout::signed(signed, PT.keys_title, "keys"),
        pt: &PT,
        keys: keys.iter().map(KeyRow::of).collect(),
        created,
        error,
        name,
    })
}

pub async fn list(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    query.ok(
        page(&state, &signed, None, false, String::new()).await?,
        notice,
    )
}

/// Creates a key and answers with the page that shows it (no redirect: the key must not sit in
/// a URL or be shown twice).
pub async fn create(
    state: web::Data<AppState>,
    AdminForm { signed, form, .. }: AdminForm,
) -> Result<HttpResponse, WebError> {
    let name = form.get("navn").unwrap_or("").to_string();
    let wanted = name.clone();
    let created = state
        .db
        .run(move |c| payroll::create_api_key(c, &wanted))
        .await;
    match created {
        Ok((_, secret)) => ok(&page(&state, &signed, Some(secret), false, String::new()).await?),
        Err(Error::Problem(p))
            if matches!(p.kind, ProblemKind::Validation | ProblemKind::Conflict) =>
        {
            let page = page(&state, &signed, None, true, name).await?;
            render(status_of(p.kind), &page)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    state: web::Data<AppState>,
    AdminForm { form, .. }: AdminForm,
) -> Result<HttpResponse, WebError> {
    let name = form.get("navn").unwrap_or("").to_string();
    state
        .db
        .run(move |c| payroll::revoke_api_key(c, &name))
        .await?;
    Ok(see_other("/admin/noegler?besked=tilbagekaldt"))
}
