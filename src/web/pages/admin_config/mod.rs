//! The administration's configuration pages (issue 15): rates and TF codes, the payroll
//! connector keys, and the settings in force. Administrators only; the same services as
//! `/api/v1/rate-types` and the CLI's connector-key commands.

pub mod keys;
pub mod rates;
pub mod settings;

use actix_web::web;

use crate::web::page_and_form;
use crate::web::texts::payroll::PT;

/// The routes of these pages, under `/admin`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/takster", web::get().to(rates::show))
        .route(
            "/admin/takster/loenarter",
            web::post().to(rates::set_tf_codes),
        )
        .route("/admin/takster/ny", web::post().to(rates::add));
    page_and_form(cfg, "/admin/noegler", keys::list, keys::create);
    cfg.route("/admin/noegler/tilbagekald", web::post().to(keys::revoke))
        .route("/admin/indstillinger", web::get().to(settings::show));
}

/// These pages' notices after a redirect (`?besked=…`): only these fixed texts.
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "loenarter-gemt" => PT.tf_codes_saved,
        "takst-tilfoejet" => PT.rate_added,
        "tilbagekaldt" => PT.key_revoked_done,
        _ => return None,
    })
}
