//! The HTTP layer: handlers, the route table, extractors and the error mapping. No SQL here.

pub mod body_rate;
pub mod connection;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod middleware;
pub mod routes;

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Database;
use crate::routing::RouteService;
use crate::services::addresses::Registry;
use crate::services::auth::LoginThrottle;
use crate::services::oidc::Provider;
use crate::services::tokens::TokenKeys;
use crate::services::upstream::Upstream;

/// Shared by every request.
pub struct AppState {
    pub db: Database,
    pub keys: TokenKeys,
    /// The in-memory address index, swapped after every import.
    pub addresses: Arc<Registry>,
    /// Optional DAWA-compatible upstream; failures fall back to `addresses`.
    pub upstream: Option<Upstream>,
    pub throttle: LoginThrottle,
    /// The route service for report distances; `None` when no router is configured.
    pub router: Option<Arc<dyn RouteService>>,
    /// The single sign-on provider (issue 18); `None` unless `KORSEL_OIDC_ISSUER` is set.
    pub oidc: Option<Arc<Provider>>,
    pub settings: Settings,
}

/// The client's IP address for the login throttle: the TCP peer, or the address a trusted
/// reverse proxy (`KORSEL_TRUSTED_PROXIES`) names in `X-Forwarded-For`.
pub fn client_address(req: &actix_web::HttpRequest, state: &AppState) -> Option<std::net::IpAddr> {
    req.peer_addr().map(|peer| {
        let forwarded_for = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        crate::domain::throttle::client_ip(
            peer.ip(),
            forwarded_for,
            &state.settings.trusted_proxies,
        )
    })
}
