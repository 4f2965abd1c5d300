//! "Indstillinger": the settings in force, read-only, and the version. Never a secret.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::http::AppState;
use crate::web::error::WebError;
use crate::web::session::Administrator;
use crate::web::texts::payroll::{PayrollTexts, PT};
use crate::web::texts::settings::{sections, SettingsSection};
use crate::web::{ok, Layout};

#[derive(Template)]
#[template(path = "admin_config/settings.html")]
struct SettingsPage {
    layout: Layout,
    pt: &'static PayrollTexts,
    sections: Vec<SettingsSection>,
}

pub async fn show(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
) -> Result<HttpResponse, WebError> {
    ok(&SettingsPage {
        layout: Layout::signed(&signed, PT.settings_title, "settings"),
        pt: &PT,
        sections: sections(&state.settings, env!("CARGO_PKG_VERSION")),
    })
}
