//! The browser app (issue 13): server-rendered Danish pages at `/`, beside the JSON API under
//! `/api/v1`. Pages call the same services as the API with the same caller, so authorization,
//! versions and the audit trail are the API's; no business rule lives here.
//!
//! Templates are compiled (askama, `templates/`); static files are embedded (`assets`); every
//! text is in `texts`. Sessions are server-side (`services::web_sessions`); every form and
//! htmx request carries the session's CSRF token (`session::SignedForm`).

pub mod assets;
pub mod error;
pub mod format;
pub mod map;
pub mod pages;
pub mod session;
pub mod texts;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, Handler, HttpResponse, Responder};
use askama::Template;
use serde::Deserialize;

use crate::domain::users::Role;
use crate::http::AppState;
use crate::web::error::{html, WebError};
use crate::web::session::Signed;
use crate::web::texts::{Texts, DA};

/// The page routes. Not part of `openapi.yaml` (that is the JSON API's contract).
pub fn configure(cfg: &mut web::ServiceConfig) {
    use pages::{
        approvals, autocomplete, login, notifications, password, report, report_form, reports,
        trips, year,
    };
    cfg.route("/", web::get().to(reports::list));
    page_and_form(cfg, "/log-ind", login::form, login::submit);
    cfg.route("/log-ud", web::post().to(login::sign_out));
    page_and_form(cfg, password::PATH, password::form, password::submit);
    page_and_form(
        cfg,
        notifications::PATH,
        notifications::form,
        notifications::submit,
    );
    page_and_form(
        cfg,
        "/indberetninger/ny",
        report_form::new,
        report_form::create,
    );
    page_and_form(cfg, "/indberetninger/{id}", report::show, report::act);
    page_and_form(
        cfg,
        "/indberetninger/{id}/ret",
        report_form::edit,
        report_form::save,
    );
    page_and_form(
        cfg,
        "/godkendelse",
        approvals::queue,
        approvals::bulk_approve,
    );
    cfg.route("/mit-aar", web::get().to(year::show))
        .route("/ture", web::get().to(trips::list))
        .route("/ture/{id}", web::get().to(trips::show))
        .route(
            "/adresser/forslag",
            web::get().to(autocomplete::suggestions),
        )
        .route("/static/{hash}/{name}", web::get().to(assets::serve))
        .configure(pages::payroll::configure)
        .configure(pages::admin::configure)
        .configure(pages::admin_config::configure);
}

/// A page and its form on one path: GET shows the page, POST submits the form.
pub fn page_and_form<G, GetArgs, P, PostArgs>(
    cfg: &mut web::ServiceConfig,
    path: &str,
    get: G,
    post: P,
) where
    G: Handler<GetArgs>,
    GetArgs: FromRequest + 'static,
    G::Output: Responder + 'static,
    P: Handler<PostArgs>,
    PostArgs: FromRequest + 'static,
    P::Output: Responder + 'static,
{
    cfg.route(path, web::get().to(get))
        .route(path, web::post().to(post));
}

/// What every page's frame shows: title, the menus of each role the user holds, the CSRF
/// token for forms and htmx, the asset URLs, and a one-line notice after an action.
pub struct Layout {
    pub t: &'static Texts,
    pub title: String,
    pub nav: Option<Nav>,
    pub csrf: String,
    /// Which menu entry is the current page (`aria-current`).
    pub current: &'static str,
    pub notice: Option<&'static str>,
    pub css: String,
    pub htmx: String,
    pub js: String,
}

pub struct Nav {
    pub username: String,
    pub employee: bool,
    pub approver: bool,
    /// Payroll staff and administrators see the payroll menu.
    pub payroll: bool,
    pub admin: bool,
}

impl Nav {
    /// Only the user and sign-out: for a page that must be done before any other.
    pub fn without_menus(self) -> Nav {
        Nav {
            employee: false,
            approver: false,
            payroll: false,
            admin: false,
            ..self
        }
    }
}

impl Layout {
    fn new(title: &str, nav: Option<Nav>, csrf: String, current: &'static str) -> Layout {
        Layout {
            t: &DA,
            title: title.to_string(),
            nav,
            csrf,
            current,
            notice: None,
            css: assets::url("korsel.css"),
            htmx: assets::url("htmx.min.js"),
            js: assets::url("korsel.js"),
        }
    }

    pub fn anonymous(title: &str) -> Layout {
        Layout::new(title, None, String::new(), "")
    }

    pub fn signed(signed: &Signed, title: &str, current: &'static str) -> Layout {
        let nav = Nav {
            username: signed.user.username.clone(),
            employee: signed.has(Role::Employee),
            approver: signed.has(Role::Approver),
            payroll: signed.has(Role::Payroll) || signed.has(Role::Admin),
            admin: signed.has(Role::Admin),
        };
        Layout::new(title, Some(nav), signed.user.csrf_token.clone(), current)
    }

    pub fn with_notice(mut self, notice: Option<&'static str>) -> Layout {
        self.notice = notice;
        self
    }
}

/// Renders a page as `text/html` with the given status.
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, WebError> {
    Ok(html(status, page.render()?))
}

pub fn ok(page: &impl Template) -> Result<HttpResponse, WebError> {
    render(StatusCode::OK, page)
}

/// 303 to `location` (after a successful form: post/redirect/get).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// `?besked=…`: the notice a page shows after a form redirected to it.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    besked: Option<String>,
}

/// A group of pages' notices: `?besked=`'s code to one of their fixed texts, so a link cannot
/// put words on a page (`notice`, `pages::payroll::notice`, …).
pub type Notices = fn(Option<&str>) -> Option<&'static str>;

/// A page in the common frame, built before its notice is known.
pub trait Framed: Template {
    fn layout(&mut self) -> &mut Layout;
}

impl NoticeQuery {
    /// The notice `?besked=` names among `notices`.
    pub fn notice(&self, notices: Notices) -> Option<&'static str> {
        notices(self.besked.as_deref())
    }

    /// 200 with `page`, its frame showing the notice `?besked=` names among `notices`.
    pub fn ok(&self, mut page: impl Framed, notices: Notices) -> Result<HttpResponse, WebError> {
        page.layout().notice = self.notice(notices);
        ok(&page)
    }
}

/// The notices a page shows after a redirect (`?besked=…`); only these fixed texts, so a link
/// cannot put words on the page.
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "gemt" => DA.done_saved,
        "indsendt" => DA.done_submitted,
        "trukket-tilbage" => DA.done_withdrawn,
        "slettet" => DA.done_deleted,
        "godkendt" => DA.done_approved,
        "afvist" => DA.done_rejected,
        "logget-ud" => DA.signed_out,
        "adgangskode-skiftet" => DA.password_changed,
        "beskeder-gemt" => DA.notifications_saved,
        _ => return None,
    })
}

/// The Content-Security-Policy: nothing inline, nothing from elsewhere, except map tiles from
/// the configured tile server, and the sign-out form's redirect to the single sign-on
/// provider (`sign_out_origin`, whose single sign-out the browser then visits).
pub fn content_security_policy(tile_url: Option<&str>, sign_out_origin: Option<&str>) -> String {
    let tiles = tile_url
        .and_then(origin)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let forms = sign_out_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; \
         connect-src 'self'; font-src 'self'; form-action 'self'{forms}; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'"
    )
}

/// `https://tiles.example.dk` of `https://tiles.example.dk/{z}/{x}/{y}.png`.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// Security headers on every response (pages and API alike): CSP, no framing, no sniffing.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let csp = req
        .app_data::<web::Data<AppState>>()
        .map(|s| {
            let provider = s.oidc.as_ref().and_then(|p| p.issuer_origin());
            content_security_policy(s.settings.web.map_tile_url.as_deref(), provider.as_deref())
        })
        .unwrap_or_else(|| content_security_policy(None, None));
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_allows_no_inline_code_and_only_the_tile_origin() {
        let plain = content_security_policy(None, None);
        assert!(plain.contains("script-src 'self';") && plain.contains("style-src 'self';"));
        assert!(!plain.contains("unsafe-inline"));
        let tiles = content_security_policy(
            Some("https://tiles.kommune.dk/{z}/{x}/{y}.png"),
            Some("https://login.microsoftonline.com"),
        );
        assert!(
            tiles.contains("img-src 'self' data: https://tiles.kommune.dk;"),
            "{tiles}"
        );
        assert!(tiles.contains("form-action 'self' https://login.microsoftonline.com;"));
    }

    #[test]
    fn notices_are_fixed_texts() {
        assert_eq!(notice(Some("indsendt")), Some(DA.done_submitted));
        assert_eq!(notice(Some("<script>")), None);
        assert_eq!(notice(None), None);
    }
}
