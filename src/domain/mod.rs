//! Pure rules: no actix, no diesel, no I/O.

pub mod page;
pub mod throttle;
pub mod users;
