//! Route lengths between addresses, from a route service.
//!
//! [`RouteService`] is the seam: [`osrm::OsrmRouter`] asks a self-hosted OSRM over HTTP
//! (`KORSEL_ROUTER_URL`). Without a configured router nothing guesses a distance: the report
//! service answers `urn:korsel:problem:router-unavailable` for anything that needs a route.

pub mod osrm;

use std::future::Future;
use std::pin::Pin;

use thiserror::Error;

/// Which network to route on. Bicycle rate types route on the bicycle network
/// (OS2indberetning did the same, also for the Norddjurs work route).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    Driving,
    Bicycle,
}

/// A WGS84 point on the route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waypoint {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RouteError {
    /// The router answered, but there is no route through these points.
    #[error("no route through these points: {0}")]
    NoRoute(String),
    /// The router did not answer usefully (timeout, connection, 5xx, unreadable body).
    #[error("the route service is unavailable: {0}")]
    Unavailable(String),
}

/// The length of a route in whole metres.
pub type RouteFuture<'a> = Pin<Box<dyn Future<Output = Result<i64, RouteError>> + Send + 'a>>;

pub trait RouteService: Send + Sync {
    /// The length in metres of the route through `waypoints` in order (at least two).
    fn route<'a>(&'a self, profile: Profile, waypoints: &'a [Waypoint]) -> RouteFuture<'a>;
}
