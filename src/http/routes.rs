//! THE route table. Every route is listed once here; `ROUTES` lets a test hold it against
//! `openapi.yaml`.

use actix_web::web;

use crate::http::handlers::{addresses, auth, health, me, meta, users};

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
    "/api/v1/me" => { get: me::show },
    "/api/v1/me/password" => { put: me::change_password },
    "/api/v1/users" => { get: users::list, post: users::create },
    "/api/v1/users/{id}" => { get: users::show },
    "/api/v1/users/{id}/roles" => { put: users::set_roles },
    "/api/v1/users/{id}/password" => { put: users::set_password },
    // Fixed paths before "/api/v1/addresses/{id}", which would otherwise take them.
    "/api/v1/addresses/autocomplete" => { get: addresses::autocomplete },
    "/api/v1/addresses/reverse" => { get: addresses::reverse },
    "/api/v1/addresses/wash" => { get: addresses::wash },
    "/api/v1/addresses/import" => { post: addresses::import },
    "/api/v1/addresses/{id}" => { get: addresses::show },
}
