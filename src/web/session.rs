//! The signed-in browser: the session cookie, the CSRF check of every state-changing request,
//! and the same `Caller` the API's handlers build, so pages and API share one authorization.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use crate::domain::users::Role;
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::reports::Caller;
use crate::services::web_sessions::{self, Lookup, SessionUser};
use crate::web::error::{form_error, WebError};

pub const SESSION_COOKIE: &str = "korsel_session";
/// The header htmx requests carry the CSRF token in (set by `static/korsel.js`).
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field ordinary forms carry it in.
pub const CSRF_FIELD: &str = "csrf";

/// The signed-in user of a page request. Not signed in (or idle too long): the page answers
/// with a redirect to the sign-in page, which then comes back here.
#[derive(Debug, Clone)]
pub struct Signed {
    pub user: SessionUser,
}

/// Who may open the payroll pages ("Løn").
pub const PAYROLL_PAGES: &[Role] = &[Role::Payroll, Role::Admin];
/// Who may open the administration pages.
pub const ADMIN_PAGES: &[Role] = &[Role::Admin];

impl Signed {
    pub fn has(&self, role: Role) -> bool {
        self.user.roles.contains(role)
    }

    /// A page for roles the user does not hold answers 404, as a record the caller may not see
    /// does, so the pages' existence is not told.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), WebError> {
        if roles.iter().any(|&role| self.has(role)) {
            Ok(())
        } else {
            Err(WebError::Service(Error::problem(
                ProblemKind::NotFound,
                "no route matches this path",
            )))
        }
    }

    /// The report services' view of the caller: what `http::handlers::reports::caller` builds
    /// from an access token.
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.user.user_id,
            admin: self.has(Role::Admin),
            approver: self.has(Role::Approver),
            payroll: self.has(Role::Payroll),
        }
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| WebError::from(anyhow::anyhow!("application state missing")))
}

/// Where to come back to after signing in: this page (GET) or the page a form was on.
fn return_path(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        return req
            .uri()
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
    }
    "/".to_string()
}

async fn resolve(req: HttpRequest) -> Result<Signed, WebError> {
    let state = state(&req)?;
    let htmx = req.headers().contains_key("hx-request");
    let sign_in = |expired| WebError::SignIn {
        next: return_path(&req),
        expired,
        htmx,
    };
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Err(sign_in(false));
    };
    let idle = state.settings.web.session_idle;
    let lookup = state
        .db
        .run(move |c| web_sessions::lookup(c, idle, &token, crate::db::utc_now()))
        .await?;
    match lookup {
        Lookup::Active(user) if user.must_change_password && !password_change_allowed(&req) => {
            Err(WebError::PasswordChange { htmx })
        }
        Lookup::Active(user) => Ok(Signed { user }),
        Lookup::Expired => Err(sign_in(true)),
        Lookup::Unknown => Err(sign_in(false)),
    }
}

/// The pages a user who must change their password may use: the change itself and sign-out.
fn password_change_allowed(req: &HttpRequest) -> bool {
    matches!(req.path(), crate::web::pages::password::PATH | "/log-ud")
}

impl FromRequest for Signed {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(resolve(req.clone()))
    }
}

/// The signed-in user of a page in `roles`; anyone else gets 404 (`Signed::require_any`).
macro_rules! role_gated {
    ($(#[$doc:meta])* $name:ident, $roles:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Signed);

        impl FromRequest for $name {
            type Error = WebError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let signed = resolve(req).await?;
                    signed.require_any($roles)?;
                    Ok($name(signed))
                })
            }
        }
    };
}

role_gated!(
    /// Payroll staff or an administrator, on a payroll page.
    PayrollStaff,
    PAYROLL_PAGES
);
role_gated!(
    /// An administrator, on an administration page.
    Administrator,
    ADMIN_PAGES
);

/// A submitted form of a signed-in user, its CSRF token checked (field `csrf` or the
/// `X-CSRF-Token` header). Without a valid token the request is refused with 403 before any
/// handler runs.
#[derive(Debug)]
pub struct SignedForm {
    pub signed: Signed,
    pub form: FormData,
}

impl FromRequest for SignedForm {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = FormData::from_request(&req, payload);
        Box::pin(async move {
            let signed = resolve(req.clone()).await?;
            let form = body.await?;
            let header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            let presented = form.get(CSRF_FIELD).or(header).unwrap_or("");
            if !same_secret(presented, &signed.user.csrf_token) {
                return Err(WebError::CsrfRefused);
            }
            Ok(SignedForm { signed, form })
        })
    }
}

/// The roles that open a group of pages: what a [`GatedForm`] admits.
pub trait PageRoles {
    const ROLES: &'static [Role];
}

/// The administration pages ([`ADMIN_PAGES`]).
#[derive(Debug)]
pub struct AdminPages;

impl PageRoles for AdminPages {
    const ROLES: &'static [Role] = ADMIN_PAGES;
}

/// The payroll pages ([`PAYROLL_PAGES`]).
#[derive(Debug)]
pub struct PayrollPages;

impl PageRoles for PayrollPages {
    const ROLES: &'static [Role] = PAYROLL_PAGES;
}

/// A submitted form of a page only `R`'s roles open: [`SignedForm`]'s checks first (sign-in,
/// then 403 without a valid CSRF token), then 404 for a user without those roles, as
/// [`Signed::require_any`] answers.
#[derive(Debug)]
pub struct GatedForm<R> {
    pub signed: Signed,
    pub form: FormData,
    roles: PhantomData<R>,
}

/// A form of an administration page.
pub type AdminForm = GatedForm<AdminPages>;
/// A form of a payroll page.
pub type PayrollForm = GatedForm<PayrollPages>;

impl<R: PageRoles + 'static> FromRequest for GatedForm<R> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let submitted = SignedForm::from_request(req, payload);
        Box::pin(async move {
            let SignedForm { signed, form } = submitted.await?;
            signed.require_any(R::ROLES)?;
            Ok(GatedForm {
                signed,
                form,
                roles: PhantomData,
            })
        })
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The fields of a urlencoded form, in order (repeated names stay repeated).
#[derive(Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

/// The body of a page's form. A body that is no readable form is a Danish 400 (413 when too
/// large); so is one with control characters no browser sends (NUL and the like; tab and line
/// breaks are text) or with bytes that are not UTF-8 (`%ff`, decoded as U+FFFD).
impl FromRequest for FormData {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        Box::pin(async move {
            let fields = body.await.map_err(|e| form_error(&e))?.into_inner();
            let typed = |c: char| {
                (!c.is_control() || matches!(c, '\t' | '\n' | '\r'))
                    && c != char::REPLACEMENT_CHARACTER
            };
            if !fields
                .iter()
                .all(|(k, v)| k.chars().chain(v.chars()).all(typed))
            {
                return Err(WebError::Service(Error::problem(
                    ProblemKind::BadRequest,
                    "the form holds control characters or bytes that are not UTF-8",
                )));
            }
            Ok(FormData(fields))
        })
    }
}

impl FormData {
    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value, trimmed; `None` when missing or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A checkbox: present means ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.get(name)?.trim().parse().ok()
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure when the public URL is https. It lives
/// as long as the browser (the server ends idle sessions).
pub fn session_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// A cookie that removes the session cookie.
pub fn expired_session_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie("", secure);
    cookie.set_max_age(time::Duration::ZERO);
    cookie.set_expires(time::OffsetDateTime::UNIX_EPOCH);
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", ""));
    }

    #[test]
    fn cookie_flags() {
        let plain = session_cookie("v", false).to_string();
        assert!(
            plain.contains("HttpOnly") && plain.contains("SameSite=Lax"),
            "{plain}"
        );
        assert!(!plain.contains("Secure"));
        assert!(session_cookie("v", true).to_string().contains("Secure"));
    }

    #[test]
    fn forms_keep_repeated_fields() {
        let form = FormData(vec![
            ("a".into(), " x ".into()),
            ("a".into(), "y".into()),
            ("b".into(), " ".into()),
        ]);
        assert_eq!(form.all("a"), vec![" x ", "y"]);
        assert_eq!(form.text("a").as_deref(), Some("x"));
        assert_eq!(form.text("b"), None);
        assert!(form.checked("b") && !form.checked("c"));
    }
}
