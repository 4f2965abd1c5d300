//! Pure rules: no actix, no diesel, no I/O.

pub mod allowance;
pub mod approvers;
pub mod gps;
pub mod ids;
pub mod notices;
pub mod oidc;
pub mod org;
pub mod os2app;
pub mod page;
pub mod report;
pub mod report_limits;
pub mod report_state;
pub mod throttle;
pub mod trip;
pub mod users;
