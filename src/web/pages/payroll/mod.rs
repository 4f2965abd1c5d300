//! "Løn" (issue 15): the payroll pages, for payroll staff and administrators.

use actix_web::web;

/// The payroll page routes, all under `/loen`.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
