//! Use cases. Each takes a connection and runs in one transaction where it writes.

pub mod address_watch;
pub mod addresses;
pub mod app_api;
pub mod auth;
mod export;
pub use export::export;
mod csv_table;
pub mod import;
pub mod jobs;
pub mod notices;
pub mod oidc;
pub mod org;
pub mod passwords;
pub mod payroll;
pub mod report_limits;
pub mod reports;
pub mod retention;
pub mod staff_extras;
pub mod tf_codes;
pub mod tokens;
pub mod trips;
pub mod upstream;
pub mod users;
pub mod web_sessions;
