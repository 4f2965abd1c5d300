//! Fixtures for the report tests: a fake OSRM (wiremock, OSRM's documented answer shape) over a
//! small map with known leg lengths, and an organisation with leaders, a substitute, a personal
//! approver and employees with home and work addresses.

use std::time::Duration;

use korsel::config::Settings;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::{spawn_app_with, TestApp};

pub const PW: &str = "a long password";

/// A named place of the test map: (registry id, label, latitude, longitude).
pub type Place = (&'static str, &'static str, f64, f64);

pub const HOME: Place = ("home-1", "Hjemvej 1, 8000 Aarhus C", 56.0, 10.0);
pub const WORK: Place = ("work-1", "Rådhuspladsen 2, 8000 Aarhus C", 56.1, 10.0);
pub const CITIZEN_A: Place = ("cit-a", "Borgervej 3, 8200 Aarhus N", 56.0, 10.2);
pub const CITIZEN_B: Place = ("cit-b", "Borgervej 9, 8210 Aarhus V", 56.05, 10.3);

/// Route lengths (metres) between places, both ways.
const LEGS: [(Place, Place, f64); 6] = [
    (HOME, WORK, 10_000.0),
    (HOME, CITIZEN_A, 14_000.0),
    (WORK, CITIZEN_A, 9_000.0),
    (CITIZEN_A, CITIZEN_B, 6_000.0),
    (HOME, CITIZEN_B, 20_000.0),
    (WORK, CITIZEN_B, 15_000.0),
];

fn place_at(lon: f64, lat: f64) -> Option<Place> {
    [HOME, WORK, CITIZEN_A, CITIZEN_B]
        .into_iter()
        .find(|p| (p.2 - lat).abs() < 1e-6 && (p.3 - lon).abs() < 1e-6)
}

fn leg(a: Place, b: Place) -> Option<f64> {
    LEGS.iter()
        .find(|(x, y, _)| (x.0 == a.0 && y.0 == b.0) || (x.0 == b.0 && y.0 == a.0))
        .map(|l| l.2)
}

/// OSRM's answer for the coordinates in the request path, or its NoRoute error.
fn osrm_answer(request: &Request) -> ResponseTemplate {
    let no_route = || {
        ResponseTemplate::new(400)
            .set_body_json(json!({"code": "NoRoute", "message": "Impossible route between points"}))
    };
    let Some(coordinates) = request.url.path().rsplit('/').next() else {
        return no_route();
    };
    let places: Option<Vec<Place>> = coordinates
        .split(';')
        .map(|pair| {
            let (lon, lat) = pair.split_once(',')?;
            place_at(lon.parse().ok()?, lat.parse().ok()?)
        })
        .collect();
    let Some(places) = places else {
        return no_route();
    };
    let legs: Option<Vec<f64>> = places.windows(2).map(|w| leg(w[0], w[1])).collect();
    let Some(legs) = legs else {
        return no_route();
    };
    let total: f64 = legs.iter().sum();
    ResponseTemplate::new(200).set_body_json(json!({
        "code": "Ok",
        "routes": [{
            "distance": total,
            "duration": total / 12.0,
            "weight": total / 12.0,
            "weight_name": "routability",
            "legs": legs.iter().map(|d| json!({
                "distance": d, "duration": d / 12.0, "weight": d / 12.0, "summary": "",
                "steps": [{"mode": "driving", "distance": d, "duration": d / 12.0}]
            })).collect::<Vec<_>>()
        }],
        "waypoints": places.iter().map(|p| json!({"name": p.1, "location": [p.3, p.2], "distance": 0.0, "hint": ""})).collect::<Vec<_>>()
    }))
}

pub async fn fake_osrm() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(osrm_answer)
        .mount(&server)
        .await;
    server
}

pub fn stop(p: Place) -> Value {
    json!({"registry_address_id": p.0, "label": p.1, "latitude": p.2, "longitude": p.3})
}

/// The organisation of the report tests.
///
/// Kommune (boss leads) > Sundhedspleje (lea leads; 4-km rule with 2 km to the border; address
/// WORK) and Kommune > Teknik (olga leads). nina and nils work in Sundhedspleje, otto in Teknik.
/// sara substitutes for Sundhedspleje's leader; petra is nils' personal approver. Every
/// employee has a home at HOME and a primary car.
pub struct World {
    pub app: TestApp,
    pub osrm: Option<MockServer>,
    pub admin: String,
    pub nina: String,
    pub nils: String,
    pub otto: String,
    pub lea: String,
    pub olga: String,
    pub sara: String,
    pub petra: String,
    pub boss: String,
    pub emp_nina: i64,
    pub emp_nils: i64,
    pub emp_otto: i64,
    pub emp_lea: i64,
    pub sp_unit: i64,
    pub persons: std::collections::HashMap<&'static str, i64>,
}

pub async fn post_created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let res = app.post(path, Some(token), &body).await;
    let status = res.status();
    let out: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "POST {path}: {out}");
    out
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

pub async fn world() -> World {
    world_with(true, |_| {}).await
}

/// `with_router`: a fake OSRM behind `KORSEL_ROUTER_URL`; `configure` adjusts the settings.
pub async fn world_with(with_router: bool, configure: impl FnOnce(&mut Settings)) -> World {
    let osrm = if with_router {
        Some(fake_osrm().await)
    } else {
        None
    };
    let uri = osrm.as_ref().map(|s| s.uri());
    let app = spawn_app_with(move |s| {
        s.reports.router_url = uri;
        s.reports.router_timeout = Duration::from_secs(5);
        configure(s);
    })
    .await;
    let admin = app.admin_token().await;
    let unit = |body: Value| {
        let (app, admin) = (&app, &admin);
        async move { id(&post_created(app, admin, "/api/v1/org-units", body).await) }
    };
    let k = unit(json!({"external_id": "K", "name": "Kommune"})).await;
    let sp = unit(
        json!({"external_id": "SP", "name": "Sundhedspleje", "parent_id": k,
        "four_km_rule_allowed": true, "distance_to_border_m": 2000, "address": stop(WORK)}),
    )
    .await;
    let ot =
        unit(json!({"external_id": "OT", "name": "Teknik", "parent_id": k, "address": stop(WORK)}))
            .await;

    let mut persons = std::collections::HashMap::new();
    let mut tokens = std::collections::HashMap::new();
    for (name, roles) in [
        ("boss", vec!["employee", "approver"]),
        ("lea", vec!["employee", "approver"]),
        ("olga", vec!["employee", "approver"]),
        ("sara", vec!["employee", "approver"]),
        ("petra", vec!["employee", "approver"]),
        ("nina", vec!["employee"]),
        ("nils", vec!["employee"]),
        ("otto", vec!["employee"]),
    ] {
        app.create_user(name, PW, &roles).await;
        let person = id(&post_created(
            &app,
            &admin,
            "/api/v1/persons",
            json!({"external_id": format!("P-{name}"), "name": format!("{name} Hansen"), "username": name}),
        )
        .await);
        persons.insert(name, person);
        post_created(
            &app,
            &admin,
            &format!("/api/v1/persons/{person}/addresses"),
            json!({"kind": "home", "registry_address_id": HOME.0, "label": HOME.1,
                   "latitude": HOME.2, "longitude": HOME.3, "valid_from": "2020-01-01"}),
        )
        .await;
        let token = app.tokens(name, PW).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        post_created(
            &app,
            &token,
            "/api/v1/me/vehicles",
            json!({"plate": format!("AB{}", 10000 + person), "is_primary": true}),
        )
        .await;
        tokens.insert(name, token);
    }
    let employment = |person: &str, unit: i64, number: &str, leader: bool| {
        let (app, admin, person) = (&app, &admin, persons[person]);
        let number = number.to_string();
        async move {
            id(&post_created(
                app,
                admin,
                "/api/v1/employments",
                json!({"person_id": person, "org_unit_id": unit, "employment_number": number,
                       "position": if leader { "Leder" } else { "Medarbejder" },
                       "start_date": "2020-01-01", "is_leader": leader}),
            )
            .await)
        }
    };
    employment("boss", k, "1000", true).await;
    let emp_lea = employment("lea", sp, "2000", true).await;
    employment("olga", ot, "3000", true).await;
    employment("sara", k, "3500", false).await;
    employment("petra", k, "3600", false).await;
    let emp_nina = employment("nina", sp, "4000", false).await;
    let emp_nils = employment("nils", sp, "5000", false).await;
    let emp_otto = employment("otto", ot, "6000", false).await;
    post_created(
        &app,
        &admin,
        "/api/v1/substitutes",
        json!({"org_unit_id": sp, "substitute_person_id": persons["sara"], "start_date": "2020-01-01"}),
    )
    .await;
    post_created(
        &app,
        &admin,
        "/api/v1/personal-approvers",
        json!({"person_id": persons["nils"], "approver_person_id": persons["petra"], "start_date": "2020-01-01"}),
    )
    .await;
    World {
        osrm,
        admin,
        nina: tokens["nina"].clone(),
        nils: tokens["nils"].clone(),
        otto: tokens["otto"].clone(),
        lea: tokens["lea"].clone(),
        olga: tokens["olga"].clone(),
        sara: tokens["sara"].clone(),
        petra: tokens["petra"].clone(),
        boss: tokens["boss"].clone(),
        emp_nina,
        emp_nils,
        emp_otto,
        emp_lea,
        sp_unit: sp,
        persons,
        app,
    }
}

impl World {
    /// A request with an optional `If-Match` header.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(token);
        if let Some(tag) = if_match {
            req = req.header("If-Match", tag);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.expect("request sent")
    }

    /// Creates a report and asserts 201.
    pub async fn create(&self, token: &str, body: Value) -> Value {
        post_created(&self.app, token, "/api/v1/reports", body).await
    }

    /// A status change with the version in the body; asserts `status`.
    pub async fn act(&self, token: &str, report: &Value, action: &str, body: Value) -> Value {
        let res = self
            .app
            .post(
                &format!("/api/v1/reports/{}/{action}", id(report)),
                Some(token),
                &body,
            )
            .await;
        let status = res.status();
        let out: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{action}: {out}");
        out
    }

    pub async fn submit(&self, token: &str, report: &Value) -> Value {
        self.act(
            token,
            report,
            "submit",
            json!({"version": report["version"]}),
        )
        .await
    }

    /// Creates a report and submits it.
    pub async fn create_submitted(&self, token: &str, body: Value) -> Value {
        let report = self.create(token, body).await;
        self.submit(token, &report).await
    }

    pub async fn approve(&self, token: &str, report: &Value) -> Value {
        self.act(
            token,
            report,
            "approve",
            json!({"version": report["version"]}),
        )
        .await
    }

    pub async fn get(&self, token: &str, report_id: i64) -> Value {
        let res = self
            .app
            .get(&format!("/api/v1/reports/{report_id}"), Some(token))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Gives `name` a CPR number (an IND01 file needs one).
    pub async fn set_cpr(&self, name: &str, cpr: &str) {
        let res = self
            .app
            .put(
                &format!("/api/v1/persons/{}", self.persons[name]),
                Some(&self.admin),
                &json!({"name": format!("{name} Hansen"), "username": name, "cpr": cpr}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    /// Sets the TF codes of the rate type of `kind` in force on `date` (the admin's `PUT`);
    /// returns the rate type.
    pub async fn set_tf_codes(
        &self,
        kind: &str,
        date: &str,
        tf_code: &str,
        tf_code_2: Option<&str>,
    ) -> Value {
        let rates = self
            .app
            .get("/api/v1/rate-types?per_page=100", Some(&self.admin))
            .await;
        let rates: Value = rates.json().await.unwrap();
        let rate = rates["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                let (from, to) = (r["valid_from"].as_str(), r["valid_to"].as_str());
                r["kind"] == kind && from <= Some(date) && Some(date) <= to
            })
            .unwrap_or_else(|| panic!("a {kind} rate on {date}"))
            .clone();
        let res = self
            .app
            .put(
                &format!("/api/v1/rate-types/{}", id(&rate)),
                Some(&self.admin),
                &json!({"description": rate["description"], "tf_code": tf_code,
                        "tf_code_2": tf_code_2, "ore_per_km": rate["ore_per_km"],
                        "unverified": rate["unverified"]}),
            )
            .await;
        let status = res.status();
        let out: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{out}");
        out
    }

    /// Uploads a GPS trip of `token`'s user: due north from HOME at 14 m/s, one fix a second,
    /// starting at `start` (UTC), through `POST /api/v1/trips`.
    pub async fn upload_trip(&self, token: &str, start: &str, seconds: usize) -> Value {
        let t0: chrono::DateTime<chrono::Utc> = start.parse().unwrap();
        let step = 14.0 / 111_320.0;
        let points: Vec<Value> = (0..=seconds)
            .map(|i| {
                json!({"lat": HOME.2 + step * i as f64, "lon": HOME.3,
                       "timestamp": (t0 + chrono::Duration::seconds(i as i64)).to_rfc3339(),
                       "accuracy": 5.0, "speed": 14.0})
            })
            .collect();
        post_created(
            &self.app,
            token,
            "/api/v1/trips",
            json!({"client_trip_id": uuid::Uuid::new_v4(), "points": points}),
        )
        .await
    }
}

/// A "read" report body: typed metres, no home legs, a remark.
pub fn read_report(employment: i64, date: &str, kind: &str, metres: i64) -> Value {
    json!({"employment_id": employment, "rate_kind": kind, "drive_date": date,
           "purpose": "Hjemmebesøg", "distance_mode": "read", "typed_distance_m": metres,
           "remark": "aflæst på kilometertælleren"})
}

/// A "calculated" report body through `stops`.
pub fn calculated_report(employment: i64, date: &str, kind: &str, stops: &[Place]) -> Value {
    json!({"employment_id": employment, "rate_kind": kind, "drive_date": date,
           "purpose": "Hjemmebesøg", "distance_mode": "calculated",
           "route": stops.iter().map(|p| stop(*p)).collect::<Vec<_>>()})
}

/// boss's approval queue for the queue's order and filter (issue 13): three pending reports of
/// the three people boss approves, in drive-date order sara, olga, lea (name order lea, olga,
/// sara). lea's is routed and carries no flag; sara's has typed km; olga's is routed and carries
/// a phone app's review flag (`app_distance_differs`, as issue 14's uploads store it).
/// Returns them as `[lea, olga, sara]`.
pub async fn boss_queue(w: &World) -> [Value; 3] {
    let employment = |token: &str| {
        let token = token.to_string();
        async move {
            let list: Value = w
                .app
                .get("/api/v1/me/employments", Some(&token))
                .await
                .json()
                .await
                .unwrap();
            id(&list.as_array().unwrap()[0])
        }
    };
    let lea = w
        .create_submitted(
            &w.lea,
            calculated_report(
                w.emp_lea,
                "2026-11-04",
                "car_high",
                &[WORK, CITIZEN_A, WORK],
            ),
        )
        .await;
    let olga_employment = employment(&w.olga).await;
    let olga = w
        .create_submitted(
            &w.olga,
            calculated_report(
                olga_employment,
                "2026-11-03",
                "car_high",
                &[WORK, CITIZEN_B, WORK],
            ),
        )
        .await;
    korsel::db::reports::set_review_flags(
        &mut w.app.db.connect(),
        korsel::domain::ids::ReportId(id(&olga)),
        Some(r#"["app_distance_differs"]"#),
    )
    .unwrap();
    let sara_employment = employment(&w.sara).await;
    let sara = w
        .create_submitted(
            &w.sara,
            read_report(sara_employment, "2026-11-02", "car_high", 8_000),
        )
        .await;
    [lea, olga, sara]
}
