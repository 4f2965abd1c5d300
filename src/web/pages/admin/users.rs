//! "Brugere": list and search user accounts, create one (with a one-time password shown once),
//! set roles, reset the password (a new one-time password, shown once; every session of the
//! user ends), and link the user to a person of the organisation.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::ids::UserId;
use crate::domain::users::{Role, Roles};
use crate::error::Error;
use crate::http::AppState;
use crate::services::{org, users};
use crate::web::error::WebError;
use crate::web::format;
use crate::web::pages::{page_request, query_value, Pager};
use crate::web::session::{AdminForm, Administrator, Signed};
use crate::web::texts::admin::{self as texts, AdminTexts, ADMIN};
use crate::web::texts::{Texts, DA};
use crate::web::{ok, render, see_other, Layout, NoticeQuery};

use super::notice;

pub struct UserRow {
    pub href: String,
    pub username: String,
    pub roles: String,
    pub created: String,
    pub active: bool,
}

pub struct RoleBox {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

fn role_boxes(roles: &Roles) -> Vec<RoleBox> {
    Role::ALL
        .into_iter()
        .map(|r| RoleBox {
            value: r.as_str(),
            label: texts::role(r),
            checked: roles.contains(r),
        })
        .collect()
}

fn role_names(roles: &Roles) -> String {
    roles.iter().map(texts::role).collect::<Vec<_>>().join(", ")
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    t: &'static Texts,
    a: &'static AdminTexts,
    q: String,
    rows: Vec<UserRow>,
    pager: Pager,
    roles: Vec<RoleBox>,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    side: Option<u32>,
}

async fn users_page(
    state: &AppState,
    signed: &Signed,
    q: String,
    side: Option<u32>,
    username: String,
    error: Option<String>,
) -> Result<UsersPage, WebError> {
    let page = page_request(side);
    let text = q.clone();
    let found = state.db.run(move |c| users::search(c, &text, page)).await?;
    let filter = if q.is_empty() {
        String::new()
    } else {
        format!("q={}", query_value(&q))
    };
    Ok(UsersPage {
        layout: Layout::signed(signed, ADMIN.users_title, "users"),
        t: &DA,
        a: &ADMIN,
        pager: Pager::of(&found, "/admin/brugere", &filter),
        rows: found
            .items
            .iter()
            .map(|u| UserRow {
                href: format!("/admin/brugere/{}", u.id),
                username: u.username.clone(),
                roles: role_names(&u.roles),
                created: format::date_time(u.created_at),
                active: u.active,
            })
            .collect(),
        q,
        roles: role_boxes(&Roles::new([Role::Employee])),
        username,
        error,
    })
}

pub async fn list(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let q = query.q.clone().unwrap_or_default().trim().to_string();
    ok(&users_page(&state, &signed, q, query.side, String::new(), None).await?)
}

fn checked_roles(form: &crate::web::session::FormData) -> Roles {
    Roles::new(
        Role::ALL
            .into_iter()
            .filter(|r| form.all("rolle").contains(&r.as_str())),
    )
}

/// A refusal the form can show (a bad username, a taken one, no such person), in the
/// service's words; anything else is an error page.
fn form_error(e: Error) -> Result<String, WebError> {
    match e {
        Error::Problem(p) if p.kind.status() < 500 && p.kind.status() != 404 => Ok(p.detail),
        other => Err(other.into()),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    AdminForm { signed, form, .. }: AdminForm,
) -> Result<HttpResponse, WebError> {
    let username = form.text("brugernavn").unwrap_or_default();
    let roles = checked_roles(&form);
    let name = username.clone();
    let created = state
        .db
        .run(move |c| users::create_with_one_time_password(c, &name, &roles))
        .await;
    match created {
        Ok((user, password)) => {
            let page = user_page(&state, &signed, user.id, Some(password), None).await?;
            render(StatusCode::CREATED, &page)
        }
        Err(e) => {
            let error = form_error(e)?;
            let page = users_page(&state, &signed, String::new(), None, username, Some(error));
            render(StatusCode::UNPROCESSABLE_ENTITY, &page.await?)
        }
    }
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    layout: Layout,
    a: &'static AdminTexts,
    id: UserId,
    username: String,
    created: String,
    active: bool,
    roles: Vec<RoleBox>,
    one_time_password: Option<String>,
    person: Option<org::PersonSummary>,
    error: Option<String>,
    notice: Option<&'static str>,
}

async fn user_page(
    state: &AppState,
    signed: &Signed,
    id: UserId,
    one_time_password: Option<String>,
    error: Option<String>,
) -> Result<UserPage, WebError> {
    let (user, person) = state
        .db
        .run(move |c| {
            let user = users::get(c, id)?;
            let person = org::person_of_user_id(c, id)?.map(|p| org::PersonSummary::from(&p));
            Ok((user, person))
        })
        .await?;
    Ok(UserPage {
        layout: Layout::signed(signed, &user.username, "users"),
        a: &ADMIN,
        id: user.id,
        created: format::date_time(user.created_at),
        active: user.active,
        roles: role_boxes(&user.roles),
        username: user.username,
        one_time_password,
        person,
        error,
        notice: None,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    id: web::Path<UserId>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let mut page = user_page(&state, &signed, id.into_inner(), None, None).await?;
    page.notice = query.notice(notice);
    ok(&page)
}

/// The user page's forms: `handling=roller`, `adgangskode`, `person`, `deaktiver` or
/// `genaktiver`.
pub async fn act(
    state: web::Data<AppState>,
    AdminForm { signed, form, .. }: AdminForm,
    id: web::Path<UserId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let back = |notice: &str| see_other(&format!("/admin/brugere/{id}?besked={notice}"));
    match form.get("handling") {
        Some("roller") => {
            let roles = checked_roles(&form);
            state
                .db
                .run(move |c| users::set_roles(c, id, &roles))
                .await?;
            Ok(back("roller"))
        }
        Some(action @ ("deaktiver" | "genaktiver")) => {
            let active = action == "genaktiver";
            let admin_id = signed.user.user_id;
            let changed = state
                .db
                .run(move |c| users::set_active(c, admin_id, id, active))
                .await;
            match changed {
                Ok(_) => Ok(back(if active {
                    "genaktiveret"
                } else {
                    "deaktiveret"
                })),
                Err(e) => {
                    let page = user_page(&state, &signed, id, None, Some(form_error(e)?));
                    render(StatusCode::CONFLICT, &page.await?)
                }
            }
        }
        Some("adgangskode") => {
            let password = state.db.run(move |c| users::reset_password(c, id)).await?;
            ok(&user_page(&state, &signed, id, Some(password), None).await?)
        }
        Some("person") => {
            let external_id = form.text("person");
            let linked = state
                .db
                .run(move |c| {
                    let user = users::get(c, id)?;
                    org::link_user(c, &user.username, external_id.as_deref())
                })
                .await;
            match linked {
                Ok(_) => Ok(back("person")),
                Err(e) => {
                    let page = user_page(&state, &signed, id, None, Some(form_error(e)?));
                    render(StatusCode::UNPROCESSABLE_ENTITY, &page.await?)
                }
            }
        }
        _ => Err(WebError::Service(Error::validation(
            "handling",
            "is not an action of this page",
        ))),
    }
}
