//! The OS2indberetning phone apps (issue 14): contract tests replaying the request bodies of
//! reference §7 as the Android and iOS apps send them, and comparing the answers field by field.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};
use crate::report_fixtures::{world_with, World, CITIZEN_A, HOME, PW};

pub(crate) const APP_PW: &str = "phone password 1";
const DRIVE_DATE: &str = "2026-11-20";

pub(crate) async fn app_world() -> World {
    world_with(true, |s| s.app_api.enabled = true).await
}

/// The app's error answer: status, `ErrorCode`, and the message.
async fn assert_app_error(res: Response, status: u16, code: i64) -> String {
    assert_eq!(res.status().as_u16(), status);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["ErrorCode"], code, "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    body["ErrorMessage"].as_str().unwrap().to_string()
}

/// Sets the user's app password (proving their korsel password) and logs the app in.
pub(crate) async fn app_login(app: &TestApp, token: &str, username: &str) -> Value {
    let res = app
        .put(
            "/api/v1/me/app-password",
            Some(token),
            &json!({"current_password": PW, "app_password": APP_PW}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post(
            "/api/auth",
            None,
            &json!({"UserName": username, "Password": APP_PW}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn guid(info: &Value) -> String {
    info["profile"]["Authorization"]["GuId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The rate type id of `kind` valid on the drive date.
async fn rate_id(w: &World, kind: &str) -> i64 {
    let res = w
        .app
        .get("/api/v1/rate-types?per_page=200", Some(&w.admin))
        .await;
    let rates: Value = res.json().await.unwrap();
    rates["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["kind"] == kind
                && r["valid_from"].as_str().unwrap() <= DRIVE_DATE
                && r["valid_to"].as_str().unwrap() >= DRIVE_DATE
        })
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// `n` coordinates from HOME due east to CITIZEN_A (about 12.45 km), the middle one a pause.
fn home_to_citizen(n: usize) -> Vec<(f64, f64, bool)> {
    (0..n)
        .map(|i| {
            let f = i as f64 / (n - 1) as f64;
            (HOME.2, HOME.3 + f * (CITIZEN_A.3 - HOME.3), i == n / 2)
        })
        .collect()
}

struct Upload<'a> {
    guid: &'a str,
    profile_id: i64,
    employment_id: i64,
    rate_id: i64,
    uuid: &'a str,
    coordinates: Vec<(f64, f64, bool)>,
    total_km: &'a str,
    starts_at_home: bool,
    ends_at_home: bool,
    remark: &'a str,
}

/// The body exactly as Android sends it (`DriveReport.java`): numbers, a Joda date-time.
fn android(u: &Upload<'_>) -> Value {
    json!({
        "Authorization": {"GuId": u.guid},
        "DriveReport": {
            "Uuid": u.uuid, "Purpose": "Møde i Ebeltoft", "EmploymentId": u.employment_id,
            "RateId": u.rate_id, "ManualEntryRemark": u.remark,
            "StartsAtHome": u.starts_at_home, "EndsAtHome": u.ends_at_home, "FourKmRule": false,
            "Date": format!("{DRIVE_DATE}T08:12:44.000+01:00"), "HomeToBorderDistance": "0.0",
            "route": {
                "TotalDistance": u.total_km,
                "GPSCoordinates": u.coordinates.iter().map(|&(lat, lon, via)|
                    json!({"Latitude": lat, "Longitude": lon, "IsViaPoint": via})).collect::<Vec<_>>()
            },
            "ProfileId": u.profile_id
        }
    })
}

/// The body as iOS sends it: coordinates as "%f" strings, a yyyy-MM-dd date; here also with
/// lower-case keys, which OS2's binder accepted.
fn ios(u: &Upload<'_>) -> Value {
    json!({
        "authorization": {"guid": u.guid},
        "drivereport": {
            "uuid": u.uuid, "purpose": "Hjemmebesøg", "employmentid": u.employment_id,
            "rateid": u.rate_id, "manualentryremark": u.remark,
            "startsathome": u.starts_at_home, "endsathome": u.ends_at_home, "fourkmrule": false,
            "date": DRIVE_DATE, "hometoborderdistance": "0.0",
            "route": {
                "totaldistance": u.total_km,
                "gpscoordinates": u.coordinates.iter().map(|&(lat, lon, via)|
                    json!({"latitude": format!("{lat:.6}"), "longitude": format!("{lon:.6}"),
                           "isviapoint": via})).collect::<Vec<_>>()
            },
            "profileid": u.profile_id
        }
    })
}

async fn my_reports(w: &World, token: &str) -> Value {
    w.app
        .get("/api/v1/reports?per_page=100", Some(token))
        .await
        .json()
        .await
        .unwrap()
}

/// A logged-in app of nina and a ready upload of hers.
struct Nina {
    w: World,
    guid: String,
    car_high: i64,
}

impl Nina {
    async fn new() -> Nina {
        Nina::with(|_| {}).await
    }

    async fn with(configure: impl FnOnce(&mut korsel::config::Settings)) -> Nina {
        let w = world_with(true, |s| {
            s.app_api.enabled = true;
            configure(s);
        })
        .await;
        let info = app_login(&w.app, &w.nina, "nina").await;
        let car_high = rate_id(&w, "car_high").await;
        Nina {
            guid: guid(&info),
            car_high,
            w,
        }
    }

    fn upload<'a>(&'a self, uuid: &'a str) -> Upload<'a> {
        Upload {
            guid: &self.guid,
            profile_id: self.w.persons["nina"],
            employment_id: self.w.emp_nina,
            rate_id: self.car_high,
            uuid,
            coordinates: home_to_citizen(30),
            total_km: "12.5",
            starts_at_home: true,
            ends_at_home: false,
            remark: "",
        }
    }

    async fn send(&self, path: &str, body: &Value) -> Response {
        self.w.app.post(path, None, body).await
    }
}

#[tokio::test]
async fn the_app_routes_answer_404_until_an_operator_turns_them_on() {
    let app = spawn_app().await;
    for path in [
        "/api/auth",
        "/api/userinfo",
        "/api/report",
        "/appapi/report",
    ] {
        let res = app.post(path, None, &json!({})).await;
        assert_problem(res, 404, "not-found").await;
    }
    assert_problem(app.get("/api/appinfo", None).await, 404, "not-found").await;
}

#[tokio::test]
async fn auth_and_userinfo_answer_the_user_info_view_model_field_by_field() {
    let w = app_world().await;
    let info = app_login(&w.app, &w.nina, "nina").await;
    let profile = &info["profile"];
    assert_eq!(
        info.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["profile", "rates"]
    );
    assert_eq!(profile["Id"], w.persons["nina"]);
    assert_eq!(profile["Firstname"], "nina");
    assert_eq!(profile["Lastname"], "Hansen");
    assert_eq!(
        profile["HomeLatitude"], "56.000000",
        "a string, as the apps expect"
    );
    assert_eq!(profile["HomeLongitude"], "10.000000");
    let guid = guid(&info);
    assert_eq!(guid.len(), 36);
    assert_eq!(guid.matches('-').count(), 4);
    let employments = profile["Employments"].as_array().unwrap();
    assert_eq!(employments.len(), 1);
    let e = &employments[0];
    assert_eq!(e["Id"], w.emp_nina);
    assert_eq!(e["EmploymentPosition"], "Medarbejder - Sundhedspleje");
    assert_eq!(e["ManNr"], "4000");
    assert_eq!(
        e["StartDateTimestamp"], 1_577_836_800,
        "2020-01-01, Unix seconds"
    );
    assert_eq!(e["EndDateTimestamp"], 0, "open-ended");
    assert_eq!(e["OrgUnit"]["OrgId"], w.sp_unit);
    assert_eq!(e["OrgUnit"]["FourKmRuleAllowed"], true);
    let rates = info["rates"].as_array().unwrap();
    assert!(!rates.is_empty());
    for rate in rates {
        assert!(rate["Id"].is_i64() && rate["Description"].is_string());
        assert_eq!(rate["Year"], "2026");
    }

    // userinfo with the GuId: the same model, under both the classic and the cloud path.
    for path in ["/api/userinfo", "/appapi/userinfo"] {
        let res = w.app.post(path, None, &json!({"GuId": guid})).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap(), info);
    }
    // Lower-case keys log in too; a wrong password or an unknown user is 401 + 610.
    let res = w
        .app
        .post(
            "/appapi/auth",
            None,
            &json!({"username": "NINA", "password": APP_PW}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    for (user, password) in [("nina", "wrong password"), ("nobody", APP_PW), ("nina", PW)] {
        let res = w
            .app
            .post(
                "/api/auth",
                None,
                &json!({"UserName": user, "Password": password}),
            )
            .await;
        assert_app_error(res, 401, 610).await;
    }
    let res = w
        .app
        .post("/api/userinfo", None, &json!({"GuId": "not-a-guid"}))
        .await;
    assert_app_error(res, 401, 610).await;
    // The provider entry, with the address the request came in on.
    let entries: Value = w.app.get("/api/appinfo", None).await.json().await.unwrap();
    assert_eq!(entries[0]["Name"], "korsel");
    assert_eq!(entries[0]["APIUrl"], format!("{}/api/", w.app.address));
    assert_eq!(entries[0]["PrimaryColor"], "#1F4E79");
    // Bodies that are not what the app sends are the app's errors, never problem+json or 500.
    for body in ["", "{", "[1]", "{\"UserName\": 5}"] {
        let res = w
            .app
            .client
            .post(w.app.url("/api/auth"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let message = assert_app_error(res, 400, 640).await;
        // A login saves no report, so its refusal does not speak of one.
        assert!(
            message.starts_with("The request cannot be read"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn android_and_ios_reports_become_a_trip_and_a_pending_report() {
    let n = Nina::new().await;
    let w = &n.w;
    let res = n.send("/api/report", &android(&n.upload("A-1"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "", "OS2 answered an empty body");
    let mut ios_upload = n.upload("b3c1e6a2-0000-4000-8000-000000000002");
    ios_upload.total_km = "12,4";
    let res = n.send("/appapi/report", &ios(&ios_upload)).await;
    assert_eq!(res.status(), StatusCode::OK);

    let reports = my_reports(w, &w.nina).await;
    assert_eq!(reports["total"], 2);
    for report in reports["items"].as_array().unwrap() {
        assert_eq!(report["status"], "pending", "the apps have no drafts");
        assert_eq!(report["distance_mode"], "gps");
        assert_eq!(report["drive_date"], DRIVE_DATE);
        assert_eq!(report["employment_id"], w.emp_nina);
        assert_eq!(report["rate_kind"], "car_high");
        assert_eq!(report["starts_at_home"], true);
        assert_eq!(report["ends_at_home"], false);
        assert_eq!(report["review_flags"], json!([]), "{report}");
        // Korsel's distance from the coordinates, not the app's 12.5 km.
        let driven = report["route_distance_m"].as_i64().unwrap();
        assert!((12_400..12_560).contains(&driven), "{driven}");
        // Starting at home deducts home-work (10 km on the test map).
        assert_eq!(report["home_work_deduction_m"], 10_000);
        // First point, the pause, last point.
        let route = report["route"].as_array().unwrap();
        assert_eq!(route.len(), 3);
        assert_eq!(route[0]["latitude"], HOME.2);
        let trip: Value = w
            .app
            .get(
                &format!("/api/v1/trips/{}", report["trip_id"]),
                Some(&w.nina),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(trip["distance_m"], driven);
        assert_eq!(trip["quality"]["mode"], "path_only");
        assert!(
            trip["quality"]["app_total_distance_m"] == 12_500
                || trip["quality"]["app_total_distance_m"] == 12_400
        );
        assert_eq!(trip["quality"]["path"]["points_in"], 30);
        let track: Value = w
            .app
            .get(
                &format!("/api/v1/trips/{}/track", report["trip_id"]),
                Some(&w.nina),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(track["features"][0]["properties"]["points"], 30);
    }
}

#[tokio::test]
async fn typed_kilometres_make_a_read_report_with_the_remark_required() {
    let n = Nina::new().await;
    let w = &n.w;
    let mut typed = n.upload("typed-1");
    typed.coordinates.clear();
    typed.total_km = "23.4";
    let msg = assert_app_error(n.send("/api/report", &android(&typed)).await, 400, 640).await;
    assert!(msg.contains("remark"), "{msg}");
    typed.remark = "Glemte at starte appen";
    let res = n.send("/api/report", &android(&typed)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let reports = my_reports(w, &w.nina).await;
    let report = &reports["items"][0];
    assert_eq!(report["distance_mode"], "read");
    assert_eq!(report["typed_distance_m"], 23_400);
    assert_eq!(report["remark"], "Glemte at starte appen");
    assert_eq!(report["trip_id"], Value::Null);
    assert_eq!(report["status"], "pending");
}

#[tokio::test]
async fn disagreements_are_flagged_for_the_approver() {
    let n = Nina::new().await;
    let w = &n.w;
    let mut upload = n.upload("flagged-1");
    upload.total_km = "30.0";
    upload.ends_at_home = true;
    assert_eq!(
        n.send("/api/report", &android(&upload)).await.status(),
        StatusCode::OK
    );
    let reports = my_reports(w, &w.nina).await;
    let flags = json!(["app_distance_differs", "ends_at_home_disagrees"]);
    assert_eq!(reports["items"][0]["review_flags"], flags);
    // Lea leads nina's unit: the flags are on the item of her approval queue.
    let queue: Value = w
        .app
        .get("/api/v1/approvals", Some(&w.lea))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue["total"], 1);
    assert_eq!(queue["items"][0]["review_flags"], flags);
}

#[tokio::test]
async fn a_repeated_uuid_is_200_with_690_also_for_50_concurrent_identical_uploads() {
    let n = Nina::new().await;
    let w = &n.w;
    let body = android(&n.upload("race-1"));
    let answers =
        futures_util::future::join_all((0..50).map(|_| n.send("/api/report", &body))).await;
    let mut stored = 0;
    for res in answers {
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.unwrap();
        if text.is_empty() {
            stored += 1;
        } else {
            let answer: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(answer["ErrorCode"], 690);
            assert_eq!(answer["ErrorMessage"], "Report rejected, duplicate found");
        }
    }
    assert_eq!(stored, 1);
    assert_eq!(my_reports(w, &w.nina).await["total"], 1);
    let trips: Value = w
        .app
        .get("/api/v1/trips", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trips["total"], 1);
    // Later, with other content under the same Uuid: still the duplicate answer, nothing new.
    let mut changed = n.upload("race-1");
    changed.total_km = "99.0";
    let res = n.send("/api/report", &ios(&changed)).await;
    assert_app_error(res, 200, 690).await;
    assert_eq!(my_reports(w, &w.nina).await["total"], 1);
}

#[tokio::test]
async fn bad_input_is_400_with_640_and_stores_nothing() {
    let n = Nina::new().await;
    let w = &n.w;
    let cases: Vec<(&str, Value)> = vec![
        ("/DriveReport/route/GPSCoordinates/0/Latitude", json!("abc")),
        ("/DriveReport/route/GPSCoordinates/0/Latitude", json!("NaN")),
        ("/DriveReport/route/GPSCoordinates/0/Latitude", json!(90.5)),
        ("/DriveReport/route/GPSCoordinates/1/Longitude", json!(-181)),
        ("/DriveReport/EmploymentId", json!(999_999)),
        ("/DriveReport/EmploymentId", json!(w.emp_nils)),
        ("/DriveReport/RateId", json!(999_999)),
        ("/DriveReport/RateId", json!("seven")),
        ("/DriveReport/Date", json!("20-11-2026")),
        ("/DriveReport/route/TotalDistance", json!("-3")),
        (
            "/DriveReport/route/GPSCoordinates",
            json!([{"Latitude": 56.0, "Longitude": 10.0}]),
        ),
        ("/DriveReport/route", json!("none")),
    ];
    for (i, (pointer, value)) in cases.into_iter().enumerate() {
        let uuid = format!("bad-{i}");
        let mut body = android(&n.upload(&uuid));
        *body.pointer_mut(pointer).unwrap() = value.clone();
        let res = n.send("/api/report", &body).await;
        assert_app_error(res, 400, 640).await;
    }
    assert_eq!(my_reports(w, &w.nina).await["total"], 0);
    let trips: Value = w
        .app
        .get("/api/v1/trips", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trips["total"], 0);
    // Another person's ProfileId: 401 + 670.
    let mut other = n.upload("other-1");
    other.profile_id = w.persons["nils"];
    assert_app_error(n.send("/api/report", &android(&other)).await, 401, 670).await;
}

#[tokio::test]
async fn a_megabyte_of_coordinates_is_accepted_and_more_than_the_limits_is_413() {
    let n = Nina::with(|s| s.trips.max_upload_bytes = 2_500_000).await;
    let w = &n.w;
    let send = |body: String| {
        w.app
            .client
            .post(w.app.url("/api/report"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let mut upload = n.upload("megabyte");
    upload.coordinates = home_to_citizen(17_000);
    let megabyte = android(&upload).to_string();
    assert!(megabyte.len() > 1_000_000, "{}", megabyte.len());
    assert_eq!(send(megabyte).await.unwrap().status(), StatusCode::OK);
    // More coordinates than a trip may have (50,000), in a body within the byte limit.
    let mut many = android(&n.upload("many"));
    *many
        .pointer_mut("/DriveReport/route/GPSCoordinates")
        .unwrap() = json!(vec![json!({"Latitude": 56, "Longitude": 10}); 50_001]);
    let many = many.to_string();
    assert!(many.len() < 2_500_000, "{}", many.len());
    let msg = assert_app_error(send(many).await.unwrap(), 413, 640).await;
    assert!(msg.contains("50000"), "{msg}");
    // A body over the byte limit.
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(2_600_000));
    assert_app_error(send(huge).await.unwrap(), 413, 640).await;
    assert_eq!(my_reports(w, &w.nina).await["total"], 1);
}

#[tokio::test]
async fn revoked_expired_and_replaced_guids_are_401_with_610_everywhere() {
    let n = Nina::new().await;
    let w = &n.w;
    let everywhere = |guid: String| {
        let n = &n;
        async move {
            let res = n.send("/api/userinfo", &json!({"GuId": guid})).await;
            assert_app_error(res, 401, 610).await;
            let mut upload = n.upload("after-revoke");
            upload.guid = &guid;
            let res = n.send("/api/report", &android(&upload)).await;
            assert_app_error(res, 401, 610).await;
            // A broken body with a bad GuId is still an authorization failure.
            let res = n
                .send("/api/report", &json!({"Authorization": {"GuId": guid}}))
                .await;
            assert_app_error(res, 401, 610).await;
        }
    };
    // The user revokes the GuId.
    let tokens: Value = w
        .app
        .get("/api/v1/me/app-tokens", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["total"], 1);
    let token = &tokens["items"][0];
    assert_eq!(token["active"], true);
    assert_eq!(token["expires_at"], Value::Null, "never, unless configured");
    assert!(!tokens.to_string().contains(&n.guid), "never shown again");
    let res = w
        .app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/app-tokens/{}", token["id"]),
            Some(&w.nina),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    everywhere(n.guid.clone()).await;

    // An administrator revokes another login of nina's.
    let second = guid(&app_login(&w.app, &w.nina, "nina").await);
    let me: Value = w
        .app
        .get("/api/v1/me", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    let listed: Value = w
        .app
        .get(
            &format!("/api/v1/users/{}/app-tokens", me["id"]),
            Some(&w.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let live = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["active"] == true)
        .unwrap()["id"]
        .clone();
    let res = w
        .app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{}/app-tokens/{live}", me["id"]),
            Some(&w.admin),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    everywhere(second).await;
    // Nils may not list or revoke nina's.
    let res = w
        .app
        .get(
            &format!("/api/v1/users/{}/app-tokens", me["id"]),
            Some(&w.nils),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;

    // A new app password revokes every GuId.
    let third = guid(&app_login(&w.app, &w.nina, "nina").await);
    let res = w
        .app
        .put(
            &format!("/api/v1/users/{}/app-password", me["id"]),
            Some(&w.admin),
            &json!({"app_password": "another phone password"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    everywhere(third).await;
    assert_eq!(my_reports(w, &w.nina).await["total"], 0);
}

#[tokio::test]
async fn guids_expire_after_the_configured_age() {
    let w = world_with(true, |s| {
        s.app_api.enabled = true;
        s.app_api.token_max_age = Some(std::time::Duration::from_secs(1));
    })
    .await;
    let info = app_login(&w.app, &w.nina, "nina").await;
    let guid = guid(&info);
    let res = w
        .app
        .post("/api/userinfo", None, &json!({"GuId": guid}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let res = w
        .app
        .post("/api/userinfo", None, &json!({"GuId": guid}))
        .await;
    assert_app_error(res, 401, 610).await;
    let tokens: Value = w
        .app
        .get("/api/v1/me/app-tokens", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["items"][0]["active"], false);
    assert!(tokens["items"][0]["expires_at"].is_string());
}

#[tokio::test]
async fn an_app_report_flows_through_approval_payroll_and_an_ind01_line() {
    let w = world_with(true, |s| {
        s.app_api.enabled = true;
        s.payroll.municipality_number = Some(751);
    })
    .await;
    let nina = w.persons["nina"];
    let res = w
        .app
        .put(
            &format!("/api/v1/persons/{nina}"),
            Some(&w.admin),
            &json!({"name": "nina Hansen", "username": "nina", "cpr": "010190-1234"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "IND01 needs the CPR");
    let car_high = rate_id(&w, "car_high").await;
    let res = w
        .app
        .get("/api/v1/rate-types?per_page=200", Some(&w.admin))
        .await;
    let rates: Value = res.json().await.unwrap();
    let rate = rates["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == car_high)
        .unwrap()
        .clone();
    let res = w
        .app
        .put(
            &format!("/api/v1/rate-types/{car_high}"),
            Some(&w.admin),
            &json!({"description": "Høj takst", "tf_code": "1111",
                    "ore_per_km": rate["ore_per_km"], "unverified": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let guid = guid(&app_login(&w.app, &w.nina, "nina").await);
    let upload = Upload {
        guid: &guid,
        profile_id: nina,
        employment_id: w.emp_nina,
        rate_id: car_high,
        uuid: "flow-1",
        coordinates: home_to_citizen(40),
        total_km: "12.5",
        starts_at_home: false,
        ends_at_home: false,
        remark: "",
    };
    let res = w.app.post("/api/report", None, &android(&upload)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let report = my_reports(&w, &w.nina).await["items"][0].clone();
    let approved = w.approve(&w.lea, &report).await;
    assert_eq!(approved["status"], "approved");
    let res = w
        .app
        .post(
            "/api/v1/payroll/batches",
            Some(&w.admin),
            &json!({"up_to": "2026-11-30", "format": "kmd-ind01"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let batch: Value = res.json().await.unwrap();
    assert_eq!(batch["report_count"], 1);
    let file = w
        .app
        .get(
            &format!("/api/v1/payroll/batches/{}/file", batch["id"]),
            Some(&w.admin),
        )
        .await
        .text()
        .await
        .unwrap();
    let line = file.lines().next().unwrap();
    // DA6, municipality 0751, employment type 0, CPR, extra number 0, TF 1111, km in 1/100.
    let hundredths = approved["lines"][0]["distance_m"].as_i64().unwrap() / 10;
    assert!(hundredths > 1_000, "{approved}");
    assert_eq!(line.len(), 55, "{line}");
    let expected = format!("DA6{:04}0{}0{}{hundredths:06}", 751, "0101901234", "1111");
    assert_eq!(&line[..29], expected);
    assert!(line.ends_with("301126"), "{line}");
}

#[tokio::test]
async fn password_login_for_admins_only_closes_the_app_login_of_everybody_else() {
    let w = app_world().await;
    app_login(&w.app, &w.nina, "nina").await;
    // Another instance on the same database, where only administrators sign in with passwords.
    let mut settings = crate::helpers::test_settings(&w.app.db);
    settings.app_api.enabled = true;
    settings.password_login = korsel::config::PasswordLogin::Admins;
    let strict = crate::helpers::spawn_instance(w.app.db.clone(), settings).await;
    let res = strict
        .post(
            "/api/auth",
            None,
            &json!({"UserName": "nina", "Password": APP_PW}),
        )
        .await;
    let message = assert_app_error(res, 401, 610).await;
    assert!(message.contains("organisation"), "{message}");
    let events = korsel::db::oidc::all_events(&mut w.app.db.connect()).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "password-login-refused");
    assert!(events[0].detail.starts_with("phone-app sign-in"));
}
