//! "Skift adgangskode": a user changes their own password, as `PUT /api/v1/me/password` does
//! (the same service, so the same rules). A user signed in with a one-time password is sent
//! here before any other page (`session::resolve`), as the API answers every other request of
//! such a user with `password-change-required`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::domain::users::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::{users, web_sessions};
use crate::web::error::WebError;
use crate::web::session::{session_cookie, Signed, SignedForm};
use crate::web::texts::{self, Texts, DA};
use crate::web::{render, see_other, Layout};

/// The page's path; the one page a user who must change their password may open.
pub const PATH: &str = "/adgangskode";

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    t: &'static Texts,
    forced: bool,
    hint: String,
    error: Option<String>,
}

fn page(
    signed: &Signed,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let forced = signed.user.must_change_password;
    let mut layout = Layout::signed(signed, DA.password_title, "password");
    if forced {
        // Nothing else opens until the password is changed: no menus to other pages.
        layout.nav = layout.nav.map(|nav| nav.without_menus());
    }
    render(
        status,
        &PasswordPage {
            layout,
            t: &DA,
            forced,
            hint: password_rule(),
            error,
        },
    )
}

fn password_rule() -> String {
    texts::password_rule(MIN_PASSWORD_LEN, MAX_PASSWORD_LEN)
}

pub async fn form(signed: Signed) -> Result<HttpResponse, WebError> {
    page(&signed, StatusCode::OK, None)
}

/// Changes the password (which ends every session of the user, this one too), then opens a
/// new session with the new password, so the user stays signed in.
pub async fn submit(
    state: web::Data<AppState>,
    form: SignedForm,
) -> Result<HttpResponse, WebError> {
    let SignedForm { signed, form } = form;
    let current = form.get("nuvaerende").unwrap_or_default().to_string();
    let new = form.get("ny").unwrap_or_default().to_string();
    if new != form.get("gentag").unwrap_or_default() {
        return page(
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(DA.password_mismatch.to_string()),
        );
    }
    let (id, username) = (signed.user.user_id, signed.user.username.clone());
    let idle = state.settings.web.session_idle;
    let policy = state.settings.password_login;
    let outcome = state
        .db
        .run(move |c| {
            users::change_own_password(c, id, &current, &new)?;
            web_sessions::sign_in(c, idle, policy, &username, &new)
        })
        .await;
    match outcome {
        Ok(session) => {
            let mut response = see_other("/?besked=adgangskode-skiftet");
            let secure = state.settings.web.secure_cookies();
            response.add_cookie(&session_cookie(&session.token, secure))?;
            Ok(response)
        }
        Err(Error::Problem(p)) if p.kind == ProblemKind::Validation => {
            let field = p.extensions.get("field").and_then(|f| f.as_str());
            let message = match field {
                Some("current_password") => DA.password_wrong_current.to_string(),
                _ => password_rule(),
            };
            page(&signed, StatusCode::UNPROCESSABLE_ENTITY, Some(message))
        }
        Err(e) => Err(e.into()),
    }
}
