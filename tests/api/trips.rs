//! GPS trips through the real app: upload (JSON and GPX), idempotency under retries and races,
//! validation and limits, the summary (addresses, home/work on the trip's date, local date), and
//! who may read a trip and its track.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};
use crate::org::{get_ok, post_ok};

const PW: &str = "a long password";
const FANO_CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/addresses/dawa-fano-2015/adgangsadresser.csv"
);
/// "A B C Sti 1, Fanø" and its position in the DAWA export.
const FANO_FIRST: &str = "0a3f508d-d915-32b8-e044-0003ba298018";
const HOME: (f64, f64) = (55.445_438_7, 8.401_799_1);
/// About 1.7 km north of HOME.
const ELSEWHERE: (f64, f64) = (55.461, 8.402);

/// A drive due north from `from` at 14 m/s, one fix a second, with accuracy and speed.
pub(crate) fn drive_north(from: (f64, f64), start: &str, seconds: usize) -> Vec<Value> {
    let t0: DateTime<Utc> = start.parse().unwrap();
    // One degree of latitude is 111,320 m here to within 0.2 %.
    let step = 14.0 / 111_320.0;
    (0..=seconds)
        .map(|i| {
            json!({
                "lat": from.0 + step * i as f64,
                "lon": from.1,
                "timestamp": (t0 + Duration::seconds(i as i64)).to_rfc3339(),
                "accuracy": 5.0,
                "speed": 14.0,
            })
        })
        .collect()
}

pub(crate) fn upload_body(client_trip_id: Uuid, points: Vec<Value>) -> Value {
    json!({"client_trip_id": client_trip_id, "points": points})
}

async fn upload(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post("/api/v1/trips", Some(token), body).await
}

async fn upload_created(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = upload(app, token, body).await;
    let status = res.status();
    let trip: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{trip}");
    trip
}

async fn trip_count(app: &TestApp, token: &str) -> i64 {
    get_ok(app, token, "/api/v1/trips").await["total"]
        .as_i64()
        .unwrap()
}

/// Users with persons: `nina` (employee) and `lea` (leads nina's unit, which sits at ELSEWHERE),
/// and `nils` (employee of another unit, without an address).
struct People {
    admin: String,
    nina: String,
    lea: String,
    nils: String,
    nina_person: i64,
    nina_employment: i64,
    nils_employment: i64,
}

async fn people(app: &TestApp) -> People {
    let admin = app.admin_token().await;
    let unit = |ext: &'static str, location: Value| {
        let admin = admin.clone();
        async move {
            let mut body = json!({"external_id": ext, "name": ext});
            if let Value::Object(extra) = location {
                body.as_object_mut().unwrap().extend(extra);
            }
            post_ok(app, &admin, "/api/v1/org-units", body).await["id"]
                .as_i64()
                .unwrap()
        }
    };
    let care = unit(
        "CARE",
        json!({"address": {"registry_address_id": "work-1", "label": "Sundhedshuset",
                           "latitude": ELSEWHERE.0, "longitude": ELSEWHERE.1}}),
    )
    .await;
    let roads = unit("ROADS", Value::Null).await;
    let mut employment = None;
    let mut nils_employment = None;
    let mut nina_person = None;
    for (name, roles, unit, leader) in [
        ("nina", vec!["employee"], care, false),
        ("lea", vec!["employee", "approver"], care, true),
        ("nils", vec!["employee"], roads, false),
    ] {
        app.create_user(name, PW, &roles).await;
        let person = post_ok(
            app,
            &admin,
            "/api/v1/persons",
            json!({"external_id": name, "name": name, "username": name}),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        let emp = post_ok(
            app,
            &admin,
            "/api/v1/employments",
            json!({"person_id": person, "org_unit_id": unit, "employment_number": name,
                   "position": "x", "start_date": "2020-01-01", "is_leader": leader}),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        match name {
            "nina" => (nina_person, employment) = (Some(person), Some(emp)),
            "nils" => nils_employment = Some(emp),
            _ => {}
        }
    }
    let token = |name: &'static str| async move {
        app.tokens(name, PW).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    People {
        nina: token("nina").await,
        lea: token("lea").await,
        nils: token("nils").await,
        admin,
        nina_person: nina_person.unwrap(),
        nina_employment: employment.unwrap(),
        nils_employment: nils_employment.unwrap(),
    }
}

async fn add_home(app: &TestApp, p: &People, at: (f64, f64), from: &str) {
    post_ok(
        app,
        &p.admin,
        &format!("/api/v1/persons/{}/addresses", p.nina_person),
        json!({"kind": "home", "registry_address_id": format!("home-{from}"),
               "label": format!("Home from {from}"), "latitude": at.0, "longitude": at.1,
               "valid_from": from}),
    )
    .await;
}

async fn import_fano(app: &TestApp, admin: &str) {
    let res = app
        .client
        .post(app.url("/api/v1/addresses/import"))
        .bearer_auth(admin)
        .header("content-type", "text/csv")
        .body(std::fs::read(FANO_CSV).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_upload_is_summarised_and_a_retry_returns_the_same_trip() {
    let app = spawn_app().await;
    let p = people(&app).await;
    import_fano(&app, &p.admin).await;
    add_home(&app, &p, HOME, "2020-01-01").await;
    let id = Uuid::new_v4();
    let mut body = upload_body(id, drive_north(HOME, "2026-03-02T07:12:03Z", 300));
    body["employment_id"] = json!(p.nina_employment);
    body["purpose"] = json!("Hjemmebesøg");
    let trip = upload_created(&app, &p.nina, &body).await;

    // 300 s at 14 m/s.
    let distance = trip["distance_m"].as_i64().unwrap();
    assert!((distance - 4_200).abs() <= 42, "distance {distance}");
    assert_eq!(
        trip["distance_km"].as_f64().unwrap(),
        (distance as f64 / 10.0).round() / 100.0
    );
    assert_eq!(trip["local_date"], "2026-03-02");
    assert_eq!(trip["started_at"], "2026-03-02T07:12:03Z");
    assert_eq!(trip["ended_at"], "2026-03-02T07:17:03Z");
    assert_eq!(trip["employment_id"], p.nina_employment);
    assert_eq!(trip["purpose"], "Hjemmebesøg");
    assert_eq!(trip["quality"]["points_in"], 301);
    assert_eq!(trip["start"]["address"]["id"], FANO_FIRST);
    assert!(trip["start"]["address"]["distance_m"].as_i64().unwrap() <= 10);
    assert_eq!(trip["start"]["at_home"], true);
    assert_eq!(trip["end"]["at_home"], false);
    // The drive ends about 500 m short of the unit's address.
    assert_eq!(trip["end"]["at_work"], false);

    // The phone retries with the same content, spelled differently: same trip, 200.
    let mut respelled = body.clone();
    respelled["points"][0]["accuracy"] = json!(5);
    let res = upload(&app, &p.nina, &respelled).await;
    assert_eq!(res.status(), StatusCode::OK);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["id"], trip["id"]);
    assert_eq!(again["distance_m"], trip["distance_m"]);

    // The same id with other content is a conflict, and stores nothing.
    let mut other = body.clone();
    other["purpose"] = json!("Something else");
    assert_problem(upload(&app, &p.nina, &other).await, 409, "conflict").await;
    assert_eq!(trip_count(&app, &p.nina).await, 1);

    // The same client id from another user is another trip.
    let mut nils_body = body.clone();
    nils_body["employment_id"] = json!(p.nils_employment);
    upload_created(&app, &p.nils, &nils_body).await;
    assert_eq!(trip_count(&app, &p.nina).await, 1);

    let shown = get_ok(&app, &p.nina, &format!("/api/v1/trips/{}", trip["id"])).await;
    assert_eq!(shown, trip);
}

#[tokio::test]
async fn concurrent_identical_uploads_create_exactly_one_trip() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let body = upload_body(
        Uuid::new_v4(),
        drive_north(HOME, "2026-05-04T08:00:00Z", 120),
    );
    let results = futures_util::future::join_all((0..8).map(|_| async {
        let res = upload(&app, &p.nina, &body).await;
        let status = res.status();
        (status, res.json::<Value>().await.unwrap())
    }))
    .await;
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{results:?}");
    assert!(results
        .iter()
        .all(|(s, t)| (*s == StatusCode::CREATED || *s == StatusCode::OK)
            && t["id"] == results[0].1["id"]));
    assert_eq!(trip_count(&app, &p.nina).await, 1);
}

#[tokio::test]
async fn invalid_uploads_name_the_first_offending_point_and_store_nothing() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let good = || {
        upload_body(
            Uuid::new_v4(),
            drive_north(HOME, "2026-03-02T07:00:00Z", 10),
        )
    };
    type Spoil = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Spoil, &str)> = vec![
        (
            Box::new(|b| b["points"][2]["lat"] = json!(95.0)),
            "points[2].lat",
        ),
        (
            Box::new(|b| b["points"][3]["lon"] = json!(-180.5)),
            "points[3].lon",
        ),
        (
            Box::new(|b| b["points"][1]["timestamp"] = json!("yesterday")),
            "points[1].timestamp",
        ),
        (
            Box::new(|b| b["points"][4]["timestamp"] = json!("2099-01-01T00:00:00Z")),
            "points[4].timestamp",
        ),
        (
            Box::new(|b| b["points"][5]["lat"] = json!("55.1")),
            "points[5].lat",
        ),
        (
            Box::new(|b| {
                b["points"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("lon")
                    .map(drop)
                    .unwrap()
            }),
            "points[0].lon",
        ),
        (
            Box::new(|b| b["points"].as_array_mut().unwrap().truncate(1)),
            "points",
        ),
        (Box::new(|b| b["points"] = json!([])), "points"),
        (
            Box::new(|b| b["client_trip_id"] = json!("not-a-uuid")),
            "client_trip_id",
        ),
        (
            Box::new(|b| {
                b.as_object_mut()
                    .unwrap()
                    .remove("client_trip_id")
                    .map(drop)
                    .unwrap()
            }),
            "client_trip_id",
        ),
        // A client never sets the distance.
        (Box::new(|b| b["distance_m"] = json!(99_000)), "distance_m"),
        (
            Box::new(|b| b["purpose"] = json!("x".repeat(501))),
            "purpose",
        ),
    ];
    for (spoil, field) in cases {
        let mut body = good();
        spoil(&mut body);
        let problem =
            assert_problem(upload(&app, &p.nina, &body).await, 422, "validation-failed").await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    // Another person's employment is not mine to use.
    let mut body = good();
    body["employment_id"] = json!(p.nils_employment);
    let problem =
        assert_problem(upload(&app, &p.nina, &body).await, 422, "validation-failed").await;
    assert_eq!(problem["field"], "employment_id");

    let raw = |text: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/trips"))
            .bearer_auth(&p.nina)
            .header("content-type", content_type)
            .body(text)
            .send()
    };
    assert_problem(
        raw("{\"points\": [", "application/json").await.unwrap(),
        400,
        "malformed-json",
    )
    .await;
    assert_problem(
        raw("lat,lon", "text/csv").await.unwrap(),
        415,
        "unsupported-media-type",
    )
    .await;
    let anonymous = app.post("/api/v1/trips", None, &good()).await;
    assert_problem(anonymous, 401, "unauthenticated").await;
    assert_eq!(trip_count(&app, &p.nina).await, 0);
}

#[tokio::test]
async fn too_many_points_or_too_many_bytes_get_413_and_store_nothing() {
    let app = spawn_app_with(|s| s.trips.max_upload_bytes = 256 * 1024).await;
    let p = people(&app).await;
    // 2,000 fixes of JSON are about 230 KB: under the limit.
    let fits = upload_body(
        Uuid::new_v4(),
        drive_north(HOME, "2026-03-02T07:00:00Z", 1_999),
    );
    upload_created(&app, &p.nina, &fits).await;
    let too_big = upload_body(
        Uuid::new_v4(),
        drive_north(HOME, "2026-03-02T09:00:00Z", 3_000),
    );
    assert_problem(
        upload(&app, &p.nina, &too_big).await,
        413,
        "payload-too-large",
    )
    .await;
    assert_eq!(trip_count(&app, &p.nina).await, 1);

    // 50,001 fixes fit the default byte limit but not the point limit.
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let t0: DateTime<Utc> = "2026-03-02T00:00:00Z".parse().unwrap();
    let points: Vec<Value> = (0..50_001)
        .map(|i| {
            json!({"lat": 55.0 + i as f64 * 1e-5, "lon": 8.4,
                   "timestamp": (t0 + Duration::seconds(i)).to_rfc3339()})
        })
        .collect();
    let res = upload(&app, &admin, &upload_body(Uuid::new_v4(), points)).await;
    let problem = assert_problem(res, 413, "payload-too-large").await;
    assert!(problem["detail"].as_str().unwrap().contains("50000"));
    assert_eq!(trip_count(&app, &admin).await, 0);
}

fn gpx(points: &[Value]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\"?>\n<gpx version=\"1.1\" creator=\"OsmAnd\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>\n",
    );
    for p in points {
        out.push_str(&format!(
            "<trkpt lat=\"{}\" lon=\"{}\"><time>{}</time><hdop>{}</hdop></trkpt>\n",
            p["lat"],
            p["lon"],
            p["timestamp"].as_str().unwrap(),
            p["accuracy"]
        ));
    }
    out.push_str("</trkseg></trk></gpx>\n");
    out
}

#[tokio::test]
async fn gpx_uploads_take_their_fields_from_the_query() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let points = drive_north(HOME, "2026-03-02T07:12:03Z", 200);
    let id = Uuid::new_v4();
    let send = |query: String| {
        app.client
            .post(app.url(&format!("/api/v1/trips{query}")))
            .bearer_auth(&p.nina)
            .header("content-type", "application/gpx+xml")
            .body(gpx(&points))
            .send()
    };
    let res = send(String::new()).await.unwrap();
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["field"], "client_trip_id");

    let query = format!(
        "?client_trip_id={id}&employment_id={}&purpose=Besøg",
        p.nina_employment
    );
    let res = send(query.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let trip: Value = res.json().await.unwrap();
    assert!(
        (trip["distance_m"].as_i64().unwrap() - 2_800).abs() <= 28,
        "{trip}"
    );
    assert_eq!(trip["client_trip_id"], id.to_string());
    assert_eq!(trip["employment_id"], p.nina_employment);
    assert_eq!(trip["purpose"], "Besøg");
    assert_eq!(trip["quality"]["points_in"], 201);
    let res = send(query).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "a GPX retry is a replay too");

    let broken = app
        .client
        .post(app.url(&format!("/api/v1/trips?client_trip_id={}", Uuid::new_v4())))
        .bearer_auth(&p.nina)
        .header("content-type", "application/gpx+xml")
        .body("<gpx><trk><trkseg><trkpt lat=\"55.1\"><time>2026-03-02T07:00:00Z</time></trkpt>")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(broken, 422, "validation-failed").await;
    assert_eq!(problem["field"], "points[0].lon");
    assert_eq!(trip_count(&app, &p.nina).await, 1);
}

#[tokio::test]
async fn home_and_work_are_the_addresses_valid_on_the_trips_local_date() {
    let app = spawn_app().await;
    let p = people(&app).await;
    add_home(&app, &p, HOME, "2020-01-01").await;
    add_home(&app, &p, ELSEWHERE, "2026-03-01").await;
    // Toward ELSEWHERE: 1,725 m north of HOME, reached after about 123 s.
    let trip_on = |start: &'static str| {
        let body = upload_body(Uuid::new_v4(), drive_north(HOME, start, 123));
        let token = p.nina.clone();
        let app = &app;
        async move { upload_created(app, &token, &body).await }
    };
    // 2026-02-28 23:30 local time (UTC+1): the old home is valid.
    let before = trip_on("2026-02-28T22:30:00Z").await;
    assert_eq!(before["local_date"], "2026-02-28");
    assert_eq!(before["start"]["at_home"], true);
    assert_eq!(before["end"]["at_home"], false);
    assert_eq!(before["end"]["at_work"], true);
    // 00:30 local on 2026-03-01 is still 2026-02-28 in UTC: the new home is valid.
    let after = trip_on("2026-02-28T23:30:00Z").await;
    assert_eq!(after["local_date"], "2026-03-01");
    assert_eq!(after["start"]["at_home"], false);
    assert_eq!(after["end"]["at_home"], true);
    assert_eq!(after["start"]["at_work"], false);

    // With an employment named, only that employment's workplace counts.
    let mut body = upload_body(
        Uuid::new_v4(),
        drive_north(HOME, "2026-04-01T06:00:00Z", 123),
    );
    body["employment_id"] = json!(p.nina_employment);
    let trip = upload_created(&app, &p.nina, &body).await;
    assert_eq!(trip["end"]["at_work"], true);
}

#[tokio::test]
async fn local_dates_follow_copenhagen_around_midnight_and_dst() {
    let app = spawn_app().await;
    let p = people(&app).await;
    for (start, date) in [
        ("2026-01-14T23:30:00Z", "2026-01-15"),
        ("2026-01-14T22:59:59Z", "2026-01-14"),
        ("2026-07-14T22:30:00Z", "2026-07-15"),
        ("2026-07-14T21:30:00Z", "2026-07-14"),
        // The night summer time ends (2026-10-25 01:00 UTC).
        ("2026-10-24T22:30:00Z", "2026-10-25"),
        ("2026-10-25T22:30:00Z", "2026-10-25"),
        ("2026-10-25T23:30:00Z", "2026-10-26"),
        // The night summer time starts (2026-03-29 01:00 UTC).
        ("2026-03-28T22:30:00Z", "2026-03-28"),
        ("2026-03-29T22:30:00Z", "2026-03-30"),
    ] {
        let body = upload_body(Uuid::new_v4(), drive_north(HOME, start, 30));
        let trip = upload_created(&app, &p.nina, &body).await;
        assert_eq!(trip["local_date"], date, "{start}");
        assert_eq!(trip["started_at"], start.replace(".000", ""));
    }
}

#[tokio::test]
async fn only_the_owner_the_owners_approvers_and_admins_read_a_trip() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let trip = upload_created(
        &app,
        &p.nina,
        &upload_body(
            Uuid::new_v4(),
            drive_north(HOME, "2026-03-02T07:00:00Z", 60),
        ),
    )
    .await;
    let summary = format!("/api/v1/trips/{}", trip["id"]);
    let track = format!("{summary}/track");
    for (who, token) in [
        ("owner", &p.nina),
        ("approver", &p.lea),
        ("admin", &p.admin),
    ] {
        let res = app.get(&summary, Some(token)).await;
        assert_eq!(res.status(), StatusCode::OK, "{who}");
        let res = app.get(&track, Some(token)).await;
        assert_eq!(res.status(), StatusCode::OK, "{who}");
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "application/geo+json"
        );
        let geojson: Value = res.json().await.unwrap();
        assert_eq!(geojson["type"], "FeatureCollection");
        let raw = &geojson["features"][0];
        assert_eq!(raw["properties"]["kind"], "raw");
        assert_eq!(raw["geometry"]["coordinates"].as_array().unwrap().len(), 61);
        let first = &raw["geometry"]["coordinates"][0];
        assert!(
            (first[0].as_f64().unwrap() - HOME.1).abs() < 1e-6,
            "[lon, lat] order"
        );
        assert!((first[1].as_f64().unwrap() - HOME.0).abs() < 1e-6);
        assert_eq!(raw["properties"]["coordTimes"][0], "2026-03-02T07:00:00Z");
        assert_eq!(geojson["features"][1]["properties"]["kind"], "cleaned");
        assert!(
            geojson["features"][1]["properties"]["points"]
                .as_i64()
                .unwrap()
                >= 2
        );
    }
    // Someone else's employee, even an approver of another unit, learns nothing.
    for path in [&summary, &track] {
        assert_problem(app.get(path, Some(&p.nils)).await, 404, "not-found").await;
        assert_problem(app.get(path, None).await, 401, "unauthenticated").await;
    }
    assert_problem(
        app.get("/api/v1/trips/999999", Some(&p.admin)).await,
        404,
        "not-found",
    )
    .await;
    // Lists hold only the caller's own trips.
    assert_eq!(trip_count(&app, &p.nina).await, 1);
    assert_eq!(trip_count(&app, &p.lea).await, 0);
    assert_eq!(trip_count(&app, &p.admin).await, 0);
    let page = get_ok(&app, &p.nina, "/api/v1/trips?per_page=1&page=2").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    assert_eq!(page["total"], 1);
}
