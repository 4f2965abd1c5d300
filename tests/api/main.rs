//! One integration binary (zero2prod, crates.io): the real app, real database, real sockets.

mod address_import;
mod address_search;
mod addresses;
mod auth;
mod end_to_end;
mod errors;
mod health;
mod helpers;
mod http_edge;
mod import;
mod notices;
mod one_time_password;
mod openapi;
mod org;
mod payroll;
mod phone_app;
mod plausibility;
mod pool;
mod report_fixtures;
mod reports;
mod retention;
mod staff_columns;
mod tf_codes;
mod trips;
mod users;
