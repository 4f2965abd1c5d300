//! OSRM's HTTP route service (`GET /route/v1/{profile}/{lon},{lat};{lon},{lat}`), as documented
//! by the OSRM project: a JSON body with `code` ("Ok", or an error code such as "NoRoute") and
//! `routes[]`, each with `distance` in metres and `legs[].steps[]` (with `steps=true`), each step
//! with its `mode` and `distance`.
//!
//! The length of a route is the first (OSRM's best) route's distance **minus the steps driven by
//! ferry** (`mode: "ferry"`): a ferry crossing is not driving, as OS2indberetning also excluded
//! ferries. Every request has a timeout; a timeout, a connection error, a 5xx or an unreadable
//! body is `RouteError::Unavailable`, an OSRM error code is `RouteError::NoRoute`.

use std::time::Duration;

use serde::Deserialize;

use super::{Profile, RouteError, RouteFuture, RouteService, Waypoint};

/// One OSRM server per network. OSRM serves the profile its data was prepared with, whatever
/// the profile segment of the URL says, so a bicycle network is usually a second server.
#[derive(Debug, Clone)]
pub struct OsrmRouter {
    client: reqwest::Client,
    driving_base: String,
    bicycle_base: String,
}

#[derive(Deserialize)]
struct OsrmResponse {
    code: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    routes: Vec<OsrmRoute>,
}

#[derive(Deserialize)]
struct OsrmRoute {
    distance: f64,
    #[serde(default)]
    legs: Vec<OsrmLeg>,
}

#[derive(Deserialize)]
struct OsrmLeg {
    #[serde(default)]
    steps: Vec<OsrmStep>,
}

#[derive(Deserialize)]
struct OsrmStep {
    distance: f64,
    #[serde(default)]
    mode: String,
}

impl OsrmRouter {
    /// `driving_base` and `bicycle_base` are server URLs such as `http://osrm:5000`.
    pub fn new(
        driving_base: &str,
        bicycle_base: &str,
        timeout: Duration,
    ) -> anyhow::Result<OsrmRouter> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            .user_agent(concat!("korsel/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(OsrmRouter {
            client,
            driving_base: driving_base.trim_end_matches('/').to_string(),
            bicycle_base: bicycle_base.trim_end_matches('/').to_string(),
        })
    }

    fn url(&self, profile: Profile, waypoints: &[Waypoint]) -> String {
        let (base, segment) = match profile {
            Profile::Driving => (&self.driving_base, "driving"),
            Profile::Bicycle => (&self.bicycle_base, "cycling"),
        };
        let coordinates: Vec<String> = waypoints
            .iter()
            .map(|w| format!("{:.6},{:.6}", w.longitude, w.latitude))
            .collect();
        format!(
            "{base}/route/v1/{segment}/{}?overview=false&steps=true&alternatives=false",
            coordinates.join(";")
        )
    }

    async fn fetch(&self, profile: Profile, waypoints: &[Waypoint]) -> Result<i64, RouteError> {
        if waypoints.len() < 2 {
            return Err(RouteError::NoRoute(
                "a route needs at least two points".into(),
            ));
        }
        let url = self.url(profile, waypoints);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| RouteError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(RouteError::Unavailable(format!("router answered {status}")));
        }
        let body: OsrmResponse = response
            .json()
            .await
            .map_err(|e| RouteError::Unavailable(format!("unreadable router answer: {e}")))?;
        if body.code != "Ok" {
            let message = body.message.unwrap_or_default();
            return Err(RouteError::NoRoute(format!("{} {message}", body.code)));
        }
        let route = body
            .routes
            .first()
            .ok_or_else(|| RouteError::NoRoute("the router found no route".into()))?;
        let ferry: f64 = route
            .legs
            .iter()
            .flat_map(|l| &l.steps)
            .filter(|s| s.mode == "ferry")
            .map(|s| s.distance)
            .sum();
        let metres = (route.distance - ferry).max(0.0);
        if !metres.is_finite() {
            return Err(RouteError::Unavailable(
                "the router sent no distance".into(),
            ));
        }
        Ok(metres.round() as i64)
    }
}

impl RouteService for OsrmRouter {
    fn route<'a>(&'a self, profile: Profile, waypoints: &'a [Waypoint]) -> RouteFuture<'a> {
        Box::pin(self.fetch(profile, waypoints))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const HOME: Waypoint = Waypoint {
        latitude: 56.162939,
        longitude: 10.203921,
    };
    const CITIZEN: Waypoint = Waypoint {
        latitude: 56.150000,
        longitude: 10.180000,
    };

    /// OSRM's documented answer shape (trimmed to what matters and a few extra fields).
    fn osrm_ok(distance: f64, steps: serde_json::Value) -> serde_json::Value {
        json!({
            "code": "Ok",
            "routes": [{
                "geometry": "mfp_I__vpAqJ`@wUrCa\\dCgGig@{DwW",
                "legs": [{"steps": steps, "summary": "", "weight": 420.1,
                          "duration": 400.2, "distance": distance}],
                "weight_name": "routability",
                "weight": 420.1,
                "duration": 400.2,
                "distance": distance
            }],
            "waypoints": [
                {"hint": "x", "distance": 4.2, "name": "Vestergade", "location": [10.203921, 56.162939]},
                {"hint": "y", "distance": 1.1, "name": "Søndergade", "location": [10.18, 56.15]}
            ]
        })
    }

    fn router(server: &MockServer, timeout_ms: u64) -> OsrmRouter {
        OsrmRouter::new(
            &server.uri(),
            &format!("{}/bike/", server.uri()),
            Duration::from_millis(timeout_ms),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn driving_route_length_rounded_to_metres() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(
                "/route/v1/driving/10.203921,56.162939;10.180000,56.150000",
            ))
            .and(query_param("steps", "true"))
            .and(query_param("overview", "false"))
            .respond_with(ResponseTemplate::new(200).set_body_json(osrm_ok(
                12_345.6,
                json!([{"mode": "driving", "distance": 12_345.6}]),
            )))
            .expect(1)
            .mount(&server)
            .await;
        let got = router(&server, 1_000)
            .route(Profile::Driving, &[HOME, CITIZEN])
            .await;
        assert_eq!(got, Ok(12_346));
    }

    #[tokio::test]
    async fn bicycle_uses_the_bicycle_server_and_ferries_are_not_paid() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(
                "/bike/route/v1/cycling/10.203921,56.162939;10.180000,56.150000",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(osrm_ok(
                10_000.0,
                json!([{"mode": "cycling", "distance": 6_000.0},
                       {"mode": "ferry", "distance": 3_500.0},
                       {"mode": "cycling", "distance": 500.0}]),
            )))
            .expect(1)
            .mount(&server)
            .await;
        let got = router(&server, 1_000)
            .route(Profile::Bicycle, &[HOME, CITIZEN])
            .await;
        assert_eq!(got, Ok(6_500));
    }

    #[tokio::test]
    async fn osrm_error_codes_timeouts_and_5xx() {
        let server = MockServer::start().await;
        Mock::given(path(
            "/route/v1/driving/10.203921,56.162939;10.180000,56.150000",
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"code": "NoRoute", "message": "Impossible route between points"}),
        ))
        .mount(&server)
        .await;
        let got = router(&server, 1_000)
            .route(Profile::Driving, &[HOME, CITIZEN])
            .await;
        assert!(matches!(got, Err(RouteError::NoRoute(m)) if m.contains("NoRoute")));

        let slow = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(osrm_ok(1.0, json!([])))
                    .set_delay(Duration::from_millis(800)),
            )
            .mount(&slow)
            .await;
        let got = router(&slow, 100)
            .route(Profile::Driving, &[HOME, CITIZEN])
            .await;
        assert!(matches!(got, Err(RouteError::Unavailable(_))), "{got:?}");

        let broken = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&broken)
            .await;
        let got = router(&broken, 1_000)
            .route(Profile::Driving, &[HOME, CITIZEN])
            .await;
        assert!(matches!(got, Err(RouteError::Unavailable(_))), "{got:?}");

        let got = router(&broken, 1_000)
            .route(Profile::Driving, &[HOME])
            .await;
        assert!(matches!(got, Err(RouteError::NoRoute(_))));
    }
}
