//! Use cases. Each takes a connection and runs in one transaction where it writes.

pub mod addresses;
pub mod auth;
pub mod import;
pub mod org;
pub mod passwords;
pub mod payroll;
pub mod reports;
pub mod tokens;
pub mod trips;
pub mod upstream;
pub mod users;
pub mod web_sessions;
