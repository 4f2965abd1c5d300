//! "Administration" (issue 15): the administrators' pages, all under `/admin`. Every handler
//! takes `Administrator` (404 for anyone else) and calls the services the API calls.

mod addresses;
mod imports;
mod organisation;
mod person;
mod upload;
mod users;

use actix_web::web;

use crate::web::page_and_form;
use crate::web::texts::admin::ADMIN;

/// The administration page routes, all under `/admin`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    page_and_form(cfg, "/admin/brugere", users::list, users::create);
    page_and_form(cfg, "/admin/brugere/{id}", users::show, users::act);
    cfg.route("/admin/organisation", web::get().to(organisation::tree))
        .route("/admin/personer/{id}", web::get().to(person::show))
        .route("/admin/indlaesning", web::get().to(imports::page))
        .route(
            "/admin/indlaesning/adresser",
            web::post().to(addresses::upload),
        )
        .route(
            "/admin/indlaesning/adresser/{id}",
            web::get().to(addresses::status),
        )
        .route(
            "/admin/indlaesning/adresser/{id}/status",
            web::get().to(addresses::fragment),
        );
    page_and_form(
        cfg,
        "/admin/indlaesning/forhaandsvisning/{id}",
        imports::preview,
        imports::decide,
    );
    cfg.route("/admin/indlaesning/{kind}", web::post().to(imports::upload));
}

/// The administration pages' notices after a redirect (`?besked=…`): only these fixed texts.
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "annulleret" => ADMIN.import_cancelled,
        "roller" => ADMIN.roles_saved,
        "person" => ADMIN.person_linked,
        "deaktiveret" => ADMIN.deactivated_saved,
        "genaktiveret" => ADMIN.reactivated_saved,
        _ => return None,
    })
}
