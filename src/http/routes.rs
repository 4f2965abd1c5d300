//! THE route table. Every route is listed once here; `ROUTES` lets a test hold it against
//! `openapi.yaml`.

use actix_web::web;

use crate::http::handlers::{
    addresses, app_access, approvals, auth, health, import, me, me_org, meta, operations, org,
    os2app, payroll, reports, trips, users,
};

macro_rules! route_table {
    ($( $path:literal => { $( $method:ident : $handler:path ),+ $(,)? } ),* $(,)?) => {
        /// (method, path) of every route, as the spec writes them.
        pub const ROUTES: &[(&str, &str)] = &[ $( $( (stringify!($method), $path) ),+ ),* ];

        pub fn configure(cfg: &mut web::ServiceConfig) {
            $( cfg.service(web::resource($path) $( .route(web::$method().to($handler)) )+ ); )*
        }
    };
}

route_table! {
    "/healthz" => { get: health::live },
    "/readyz" => { get: health::ready },
    "/openapi.yaml" => { get: meta::openapi },
    "/api/v1/auth/login" => { post: auth::login },
    "/api/v1/auth/refresh" => { post: auth::refresh },
    "/api/v1/auth/logout" => { post: auth::logout },
    // Single sign-on (issue 18): browser redirects, answered with pages (`web::pages::oidc`).
    "/auth/oidc/login" => { get: crate::web::pages::oidc::login },
    "/auth/oidc/callback" => { get: crate::web::pages::oidc::callback },
    "/api/v1/me" => { get: me::show },
    "/api/v1/me/password" => { put: me::change_password },
    "/api/v1/me/person" => { get: me_org::person },
    "/api/v1/me/distance-to-border" => { put: me_org::set_distance_to_border },
    "/api/v1/me/employments" => { get: me_org::employments },
    "/api/v1/me/approvers" => { get: me_org::approvers },
    "/api/v1/me/approvees" => { get: me_org::approvees },
    "/api/v1/me/addresses" => { get: me_org::addresses, post: me_org::add_address },
    "/api/v1/me/addresses/{id}" => { delete: me_org::delete_address },
    "/api/v1/me/effective-addresses" => { get: me_org::effective_addresses },
    "/api/v1/me/vehicles" => { get: me_org::vehicles, post: me_org::add_vehicle },
    "/api/v1/me/vehicles/{id}" => { delete: me_org::delete_vehicle },
    "/api/v1/me/vehicles/{id}/primary" => { put: me_org::make_primary_vehicle },
    "/api/v1/trips" => { get: trips::list, post: trips::upload },
    "/api/v1/trips/{id}" => { get: trips::show },
    "/api/v1/trips/{id}/track" => { get: trips::track },
    "/api/v1/users" => { get: users::list, post: users::create },
    "/api/v1/users/{id}" => { get: users::show },
    "/api/v1/users/{id}/roles" => { put: users::set_roles },
    "/api/v1/users/{id}/password" => { put: users::set_password },
    "/api/v1/users/{id}/active" => { put: users::set_active },
    // Fixed paths before "/api/v1/addresses/{id}", which would otherwise take them.
    "/api/v1/addresses/autocomplete" => { get: addresses::autocomplete },
    "/api/v1/addresses/reverse" => { get: addresses::reverse },
    "/api/v1/addresses/wash" => { get: addresses::wash },
    "/api/v1/addresses/import" => { post: addresses::import },
    "/api/v1/addresses/{id}" => { get: addresses::show },
    "/api/v1/org-units" => { get: org::list_org_units, post: org::create_org_unit },
    "/api/v1/org-units/{id}" => { get: org::show_org_unit, put: org::update_org_unit },
    "/api/v1/persons" => { get: org::list_persons, post: org::create_person },
    "/api/v1/persons/{id}" => { get: org::show_person, put: org::update_person },
    "/api/v1/persons/{id}/distance-to-border" => { put: org::set_person_distance_to_border },
    "/api/v1/persons/{id}/approvers" => { get: org::person_approvers },
    "/api/v1/persons/{id}/addresses" => { get: org::person_addresses, post: org::add_person_address },
    "/api/v1/persons/{id}/addresses/{address_id}" => { delete: org::delete_person_address },
    "/api/v1/persons/{id}/home-work-overrides" => { post: org::add_home_work_override },
    "/api/v1/persons/{id}/effective-addresses" => { get: org::person_effective_addresses },
    "/api/v1/persons/{id}/vehicles" => { get: org::person_vehicles, post: org::add_person_vehicle },
    "/api/v1/employments" => { get: org::list_employments, post: org::create_employment },
    "/api/v1/employments/{id}" => { get: org::show_employment, put: org::update_employment },
    "/api/v1/substitutes" => { get: org::list_substitutes, post: org::create_substitute },
    "/api/v1/substitutes/{id}" => { get: org::show_substitute, delete: org::delete_substitute },
    "/api/v1/personal-approvers" => { get: org::list_personal_approvers, post: org::create_personal_approver },
    "/api/v1/personal-approvers/{id}" => { get: org::show_personal_approver, delete: org::delete_personal_approver },
    "/api/v1/rate-types" => { get: org::list_rate_types, post: org::create_rate_type },
    "/api/v1/rate-types/{id}" => { get: org::show_rate_type, put: org::update_rate_type },
    "/api/v1/import/org-units" => { post: import::org_units },
    "/api/v1/import/staff" => { post: import::staff },
    "/api/v1/reports" => { get: reports::list, post: reports::create },
    "/api/v1/reports/{id}" => { get: reports::show, put: reports::update, delete: reports::delete },
    "/api/v1/reports/{id}/history" => { get: reports::history },
    "/api/v1/reports/{id}/submit" => { post: reports::submit },
    "/api/v1/reports/{id}/withdraw" => { post: reports::withdraw },
    "/api/v1/reports/{id}/approve" => { post: reports::approve },
    "/api/v1/reports/{id}/reject" => { post: reports::reject },
    "/api/v1/reports/{id}/admin-reject" => { post: reports::admin_reject },
    "/api/v1/approvals" => { get: approvals::queue },
    "/api/v1/approvals/approve" => { post: approvals::bulk_approve },
    "/api/v1/me/summary" => { get: reports::summary },
    "/api/v1/payroll/batches" => { get: payroll::list_batches, post: payroll::create_batch },
    "/api/v1/payroll/batches/{id}" => { get: payroll::show_batch },
    "/api/v1/payroll/batches/{id}/file" => { get: payroll::batch_file },
    "/api/v1/payroll/batches/{id}/cancel" => { post: payroll::cancel_batch },
    "/api/v1/payroll/batches/{id}/reports/{report_id}/return" => { post: payroll::return_report },
    "/api/v1/payroll/pending" => { get: payroll::pending },
    "/api/v1/payroll/acknowledge" => { post: payroll::acknowledge },
    // The OS2indberetning phone apps (issue 14): their protocol, under the classic server's and
    // the cloud edition's paths; and app passwords and GuIds in korsel's own API.
    "/api/auth" => { post: os2app::auth::auth },
    "/api/userinfo" => { post: os2app::userinfo::userinfo },
    "/api/report" => { post: os2app::report::report },
    "/api/appinfo" => { get: os2app::appinfo::appinfo },
    "/appapi/auth" => { post: os2app::auth::auth },
    "/appapi/userinfo" => { post: os2app::userinfo::userinfo },
    "/appapi/report" => { post: os2app::report::report },
    "/api/v1/me/app-password" => { put: app_access::set_own_password },
    "/api/v1/me/app-tokens" => { get: app_access::my_tokens },
    "/api/v1/me/app-tokens/{id}" => { delete: app_access::revoke_my_token },
    "/api/v1/users/{id}/app-password" => { put: app_access::set_password },
    "/api/v1/users/{id}/app-tokens" => { get: app_access::user_tokens },
    "/api/v1/users/{id}/app-tokens/{token_id}" => { delete: app_access::revoke_user_token },
    // Running korsel (issue 16): notice settings and the scheduled jobs.
    "/api/v1/me/notifications" => { get: operations::my_notifications, put: operations::set_my_notifications },
    "/api/v1/me/export" => { get: operations::my_export },
    "/api/v1/admin/jobs" => { get: operations::list_jobs },
    "/api/v1/persons/{id}/erase" => { post: operations::erase_person },
}
