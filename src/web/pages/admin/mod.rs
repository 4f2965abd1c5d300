//! "Administration" (issue 15): the administrators' pages, all under `/admin`.

use actix_web::web;

/// The administration page routes, all under `/admin`.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
