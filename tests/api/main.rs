//! One integration binary (zero2prod, crates.io): the real app, real database, real sockets.

mod addresses;
mod auth;
mod end_to_end;
mod errors;
mod health;
mod helpers;
mod import;
mod openapi;
mod org;
mod payroll;
mod report_fixtures;
mod reports;
mod staff_columns;
mod tf_codes;
mod trips;
mod users;
mod web;
