//! The HTTP layer: handlers, the route table, extractors and the error mapping. No SQL here.

pub mod error;
pub mod extract;
pub mod handlers;
pub mod middleware;
pub mod routes;

use crate::config::Settings;
use crate::db::Database;
use crate::services::auth::LoginThrottle;
use crate::services::tokens::TokenKeys;

/// Shared by every request.
pub struct AppState {
    pub db: Database,
    pub keys: TokenKeys,
    pub throttle: LoginThrottle,
    pub settings: Settings,
}
