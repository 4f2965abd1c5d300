//! Organisation and people: admin CRUD with field whitelists, approver resolution through the
//! API on dated cases, and the authorization matrix. Rate types: `org/rate_types.rs`; employees'
//! self-service: `org/self_service.rs`.

mod rate_types;
mod self_service;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

const PW: &str = "a long password";

pub async fn post_ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let res = app.post(path, Some(token), &body).await;
    let status = res.status();
    let out: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "POST {path}: {out}");
    out
}

pub async fn get_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get(path, Some(token)).await;
    let status = res.status();
    let out: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET {path}: {out}");
    out
}

async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.request(Method::DELETE, path, Some(token), None).await
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// Kommune > Sundhed > Sundhedspleje.
/// - `boss` leads Kommune; `lea` leads Sundhed (open-ended);
/// - `old` led Sundhedspleje until 2023-12-31;
/// - `nina` and `nils` work in Sundhedspleje; `sara` is a person without employment (substitute).
struct Org {
    admin: String,
    units: [i64; 3],
    boss: i64,
    lea: i64,
    old: i64,
    nina: i64,
    nils: i64,
    sara: i64,
    emp_lea: i64,
    emp_nina: i64,
    emp_nils: i64,
}

async fn person(app: &TestApp, admin: &str, ext: &str, name: &str, username: Option<&str>) -> i64 {
    id(&post_ok(
        app,
        admin,
        "/api/v1/persons",
        json!({"external_id": ext, "name": name, "username": username, "cpr": "010190-1234"}),
    )
    .await)
}

async fn employment(
    app: &TestApp,
    admin: &str,
    person: i64,
    unit: i64,
    number: &str,
    leader: bool,
    (start, end): (&str, Option<&str>),
) -> i64 {
    id(&post_ok(
        app,
        admin,
        "/api/v1/employments",
        json!({"person_id": person, "org_unit_id": unit, "employment_number": number,
               "position": if leader { "Leder" } else { "Sundhedsplejerske" },
               "start_date": start, "end_date": end, "is_leader": leader}),
    )
    .await)
}

async fn build_org(app: &TestApp) -> Org {
    let admin = app.admin_token().await;
    let k = id(&post_ok(
        app,
        &admin,
        "/api/v1/org-units",
        json!({"external_id": "K", "name": "Kommune"}),
    )
    .await);
    let s = id(&post_ok(
        app,
        &admin,
        "/api/v1/org-units",
        json!({"external_id": "S", "name": "Sundhed", "parent_id": k}),
    )
    .await);
    let sp = id(&post_ok(
        app,
        &admin,
        "/api/v1/org-units",
        json!({"external_id": "SP", "name": "Sundhedspleje", "parent_id": s,
               "four_km_rule_allowed": true, "distance_to_border_m": 4200}),
    )
    .await);
    for (name, roles) in [
        ("boss", vec!["employee", "approver"]),
        ("lea", vec!["employee", "approver"]),
        ("nina", vec!["employee"]),
        ("nils", vec!["employee"]),
    ] {
        app.create_user(name, PW, &roles).await;
    }
    let boss = person(app, &admin, "P-BOSS", "Bo Boss", Some("boss")).await;
    let lea = person(app, &admin, "P-LEA", "Lea Leder", Some("lea")).await;
    let old = person(app, &admin, "P-OLD", "Ole Old", None).await;
    let nina = person(app, &admin, "P-NINA", "Nina Nurse", Some("nina")).await;
    let nils = person(app, &admin, "P-NILS", "Nils Nurse", Some("nils")).await;
    let sara = person(app, &admin, "P-SARA", "Sara Stedfortræder", None).await;
    employment(app, &admin, boss, k, "1000", true, ("2020-01-01", None)).await;
    let emp_lea = employment(app, &admin, lea, s, "2000", true, ("2020-01-01", None)).await;
    employment(
        app,
        &admin,
        old,
        sp,
        "3000",
        true,
        ("2020-01-01", Some("2023-12-31")),
    )
    .await;
    let emp_nina = employment(app, &admin, nina, sp, "4000", false, ("2020-01-01", None)).await;
    let emp_nils = employment(app, &admin, nils, sp, "5000", false, ("2020-01-01", None)).await;
    Org {
        admin,
        units: [k, s, sp],
        boss,
        lea,
        old,
        nina,
        nils,
        sara,
        emp_lea,
        emp_nina,
        emp_nils,
    }
}

async fn approver_ids(
    app: &TestApp,
    org: &Org,
    person: i64,
    emp: i64,
    date: &str,
) -> Vec<(i64, String)> {
    let out = get_ok(
        app,
        &org.admin,
        &format!("/api/v1/persons/{person}/approvers?employment_id={emp}&date={date}"),
    )
    .await;
    assert_eq!(out["date"], date);
    out["approvers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["person_id"].as_i64().unwrap(),
                a["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn leader(id: i64) -> (i64, String) {
    (id, "leader".into())
}

#[tokio::test]
async fn approvers_are_resolved_by_date_through_the_api() {
    let app = spawn_app().await;
    let org = build_org(&app).await;

    // The unit's own leader while they were employed; then the walk goes up to Sundhed.
    assert_eq!(
        approver_ids(&app, &org, org.nina, org.emp_nina, "2023-06-01").await,
        vec![leader(org.old)]
    );
    assert_eq!(
        approver_ids(&app, &org, org.nina, org.emp_nina, "2024-06-01").await,
        vec![leader(org.lea)]
    );
    // A leader's own reports go to the next leader up.
    assert_eq!(
        approver_ids(&app, &org, org.lea, org.emp_lea, "2024-06-01").await,
        vec![leader(org.boss)]
    );

    // A substitute for Sundhed's leader in July 2024 stands beside her...
    let sub = post_ok(
        &app,
        &org.admin,
        "/api/v1/substitutes",
        json!({"org_unit_id": org.units[1], "substitute_person_id": org.sara,
               "start_date": "2024-07-01", "end_date": "2024-07-31"}),
    )
    .await;
    let one = format!("/api/v1/substitutes/{}", id(&sub));
    assert_eq!(get_ok(&app, &org.admin, &one).await, sub);
    assert_eq!(
        approver_ids(&app, &org, org.nina, org.emp_nina, "2024-07-10").await,
        vec![leader(org.lea), (org.sara, "substitute".into())]
    );
    assert_eq!(
        approver_ids(&app, &org, org.nina, org.emp_nina, "2024-08-01").await,
        vec![leader(org.lea)]
    );
    // ... and one who takes over in August replaces her.
    post_ok(
        &app,
        &org.admin,
        "/api/v1/substitutes",
        json!({"org_unit_id": org.units[1], "substitute_person_id": org.sara,
               "start_date": "2024-08-01", "end_date": "2024-08-31", "takes_over": true}),
    )
    .await;
    assert_eq!(
        approver_ids(&app, &org, org.nina, org.emp_nina, "2024-08-15").await,
        vec![(org.sara, "substitute".into())]
    );
    let res = delete(
        &app,
        &org.admin,
        &format!("/api/v1/substitutes/{}", id(&sub)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        approver_ids(&app, &org, org.nina, org.emp_nina, "2024-07-10").await,
        vec![leader(org.lea)]
    );

    // A personal approver valid on the date wins.
    let personal = post_ok(
        &app,
        &org.admin,
        "/api/v1/personal-approvers",
        json!({"person_id": org.nils, "approver_person_id": org.boss,
               "start_date": "2024-01-01", "end_date": "2024-12-31"}),
    )
    .await;
    let one = format!("/api/v1/personal-approvers/{}", id(&personal));
    assert_eq!(get_ok(&app, &org.admin, &one).await, personal);
    assert_eq!(
        approver_ids(&app, &org, org.nils, org.emp_nils, "2024-06-01").await,
        vec![(org.boss, "personal_approver".into())]
    );
    assert_eq!(
        approver_ids(&app, &org, org.nils, org.emp_nils, "2025-01-01").await,
        vec![leader(org.lea)]
    );
    let page = get_ok(&app, &org.admin, "/api/v1/personal-approvers").await;
    assert_eq!(page["total"], 1);

    // Dates outside the employment, or another person's employment, are refused.
    let res = app
        .get(
            &format!(
                "/api/v1/persons/{}/approvers?employment_id={}&date=2019-01-01",
                org.nina, org.emp_nina
            ),
            Some(&org.admin),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let res = app
        .get(
            &format!(
                "/api/v1/persons/{}/approvers?employment_id={}&date=2024-01-01",
                org.nina, org.emp_nils
            ),
            Some(&org.admin),
        )
        .await;
    assert_problem(res, 404, "not-found").await;

    // Me: who approves my reports (today, or on a date).
    let nina = app.tokens("nina", PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mine = get_ok(&app, &nina, "/api/v1/me/approvers").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["employment_id"], org.emp_nina);
    assert_eq!(mine[0]["approvers"][0]["person_id"], org.lea);
    assert_eq!(mine[0]["approvers"][0]["name"], "Lea Leder");
    let then = get_ok(&app, &nina, "/api/v1/me/approvers?date=2023-03-01").await;
    assert_eq!(then[0]["approvers"][0]["person_id"], org.old);
}

#[tokio::test]
async fn crud_updates_touch_only_the_fields_their_endpoint_names() {
    let app = spawn_app().await;
    let org = build_org(&app).await;
    let admin = &org.admin;
    let [k, s, sp] = org.units;

    let unit = get_ok(&app, admin, &format!("/api/v1/org-units/{sp}")).await;
    assert_eq!(unit["four_km_rule_allowed"], true);
    assert_eq!(unit["distance_to_border_m"], 4200);
    // The external id is not in the update whitelist.
    let res = app
        .put(
            &format!("/api/v1/org-units/{sp}"),
            Some(admin),
            &json!({"name": "X", "four_km_rule_allowed": false, "external_id": "NEW"}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let res = app
        .put(
            &format!("/api/v1/org-units/{sp}"),
            Some(admin),
            &json!({"name": "Sundhedsplejen", "parent_id": k, "four_km_rule_allowed": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let unit: Value = res.json().await.unwrap();
    assert_eq!(unit["external_id"], "SP");
    assert_eq!(unit["name"], "Sundhedsplejen");
    assert_eq!(unit["parent_id"], k);
    assert_eq!(unit["distance_to_border_m"], Value::Null);
    // The tree stays a tree.
    let res = app
        .put(
            &format!("/api/v1/org-units/{k}"),
            Some(admin),
            &json!({"name": "Kommune", "parent_id": s, "four_km_rule_allowed": false}),
        )
        .await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["field"], "parent_id");
    // External ids are unique.
    let res = app
        .post(
            "/api/v1/org-units",
            Some(admin),
            &json!({"external_id": "K", "name": "Dup"}),
        )
        .await;
    assert_problem(res, 409, "conflict").await;

    // Persons: lists never carry the CPR; the record does.
    let page = get_ok(&app, admin, "/api/v1/persons?per_page=2&page=2").await;
    assert_eq!(page["total"], 6);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(page["items"][0].get("cpr").is_none());
    let nina = get_ok(&app, admin, &format!("/api/v1/persons/{}", org.nina)).await;
    assert_eq!(nina["cpr"], "0101901234");
    let res = app
        .put(
            &format!("/api/v1/persons/{}", org.nina),
            Some(admin),
            &json!({"name": "Nina N.", "username": "nina", "external_id": "X"}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let res = app
        .put(
            &format!("/api/v1/persons/{}", org.nina),
            Some(admin),
            &json!({"name": "Nina N.", "username": "nina", "cpr": "1234"}),
        )
        .await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["field"], "cpr");
    assert!(!body["detail"].as_str().unwrap().contains("1234"));
    let res = app
        .put(
            &format!("/api/v1/persons/{}", org.nina),
            Some(admin),
            &json!({"name": "Nina N.", "username": "nina"}),
        )
        .await;
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["name"], "Nina N.");
    assert_eq!(updated["external_id"], "P-NINA");
    assert_eq!(
        updated["cpr"], "0101901234",
        "a field the update leaves out keeps its value"
    );
    let res = app
        .put(
            &format!("/api/v1/persons/{}", org.nina),
            Some(admin),
            &json!({"cpr": null}),
        )
        .await;
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["cpr"], Value::Null, "null clears it");
    assert_eq!(updated["name"], "Nina N.");

    // Employments: person and employment number are fixed.
    for field in [
        json!({"person_id": org.boss}),
        json!({"employment_number": "9"}),
    ] {
        let mut body = json!({"org_unit_id": s, "position": "Leder", "start_date": "2020-01-01",
                              "is_leader": true});
        body.as_object_mut()
            .unwrap()
            .extend(field.as_object().unwrap().clone());
        let res = app
            .put(
                &format!("/api/v1/employments/{}", org.emp_lea),
                Some(admin),
                &body,
            )
            .await;
        assert_problem(res, 422, "validation-failed").await;
    }
    let res = app
        .put(
            &format!("/api/v1/employments/{}", org.emp_lea),
            Some(admin),
            &json!({"org_unit_id": s, "position": "Chef", "start_date": "2020-01-01",
                    "end_date": "2019-01-01", "is_leader": true}),
        )
        .await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["field"], "end_date");
    let res = app
        .put(
            &format!("/api/v1/employments/{}", org.emp_lea),
            Some(admin),
            &json!({"org_unit_id": s, "position": "Chef", "start_date": "2020-01-01",
                    "end_date": "2025-12-31", "cost_centre": "CC-42", "is_leader": true}),
        )
        .await;
    let emp: Value = res.json().await.unwrap();
    assert_eq!(emp["employment_number"], "2000");
    assert_eq!(emp["person_id"], org.lea);
    assert_eq!(emp["position"], "Chef");
    assert_eq!(emp["cost_centre"], "CC-42");
    let mine = get_ok(
        &app,
        admin,
        &format!("/api/v1/employments?person_id={}", org.lea),
    )
    .await;
    assert_eq!(mine["total"], 1);
    let res = app
        .post(
            "/api/v1/employments",
            Some(admin),
            &json!({"person_id": org.nina, "org_unit_id": sp, "employment_number": "2000",
                    "position": "X", "start_date": "2020-01-01"}),
        )
        .await;
    assert_problem(res, 409, "conflict").await;

    // Addresses with history; a work address names an employment of the person.
    let res = app
        .post(
            &format!("/api/v1/persons/{}/addresses", org.nina),
            Some(admin),
            &json!({"kind": "work", "registry_address_id": "dar-1", "label": "Rådhuset",
                    "latitude": 56.15, "longitude": 10.2, "valid_from": "2020-01-01"}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let res = app
        .post(
            &format!("/api/v1/persons/{}/addresses", org.nina),
            Some(admin),
            &json!({"kind": "work", "employment_id": org.emp_lea, "registry_address_id": "dar-1",
                    "label": "Rådhuset", "latitude": 56.15, "longitude": 10.2,
                    "valid_from": "2020-01-01"}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    for (from, label) in [("2020-01-01", "Gammel vej 1"), ("2024-05-01", "Ny vej 2")] {
        post_ok(
            &app,
            admin,
            &format!("/api/v1/persons/{}/addresses", org.nina),
            json!({"kind": "home", "registry_address_id": format!("dar-{label}"), "label": label,
                   "latitude": 56.1, "longitude": 10.1, "valid_from": from}),
        )
        .await;
    }
    post_ok(
        &app,
        admin,
        &format!("/api/v1/persons/{}/home-work-overrides", org.nina),
        json!({"employment_id": org.emp_nina, "distance_m": 12500, "valid_from": "2024-01-01"}),
    )
    .await;
    let addresses = get_ok(
        &app,
        admin,
        &format!("/api/v1/persons/{}/addresses", org.nina),
    )
    .await;
    assert_eq!(addresses["addresses"][0]["label"], "Ny vej 2");
    assert_eq!(addresses["addresses"][1]["label"], "Gammel vej 1");
    assert_eq!(addresses["home_work_overrides"][0]["distance_m"], 12500);

    // Rate types are seeded: 2022-2026 with two periods in 2022.
    let rates = get_ok(&app, admin, "/api/v1/rate-types?per_page=200").await;
    assert_eq!(rates["total"], 24);
    let car_high_2022: Vec<i64> = rates["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["kind"] == "car_high" && r["valid_from"].as_str().unwrap().starts_with("2022")
        })
        .map(|r| r["ore_per_km"].as_i64().unwrap())
        .collect();
    assert_eq!(car_high_2022, vec![351, 370]);
    let _ = org.old;
}

#[tokio::test]
async fn authorization_matrix() {
    let app = spawn_app().await;
    let org = build_org(&app).await;
    let token = |name: &'static str| {
        let app = &app;
        async move {
            app.tokens(name, PW).await["access_token"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (nina, nils, lea) = (token("nina").await, token("nils").await, token("lea").await);
    let nils_car = post_ok(
        &app,
        &nils,
        "/api/v1/me/vehicles",
        json!({"plate": "XY11111"}),
    )
    .await;

    // An employee reads themselves, never another person: to them the others do not exist (404,
    // so ids cannot be probed); the administration's lists and records need the admin role.
    get_ok(&app, &nina, &format!("/api/v1/persons/{}", org.nina)).await;
    for path in [
        format!("/api/v1/persons/{}", org.nils),
        format!("/api/v1/persons/{}/addresses", org.nils),
        format!("/api/v1/persons/{}/vehicles", org.nils),
    ] {
        let res = app.get(&path, Some(&nina)).await;
        assert_problem(res, 404, "not-found").await;
    }
    for path in [
        format!(
            "/api/v1/persons/{}/approvers?employment_id={}&date=2024-01-01",
            org.nils, org.emp_nils
        ),
        format!("/api/v1/employments/{}", org.emp_nils),
        "/api/v1/persons".to_string(),
        "/api/v1/employments".to_string(),
        "/api/v1/org-units".to_string(),
        "/api/v1/substitutes".to_string(),
        "/api/v1/personal-approvers".to_string(),
    ] {
        let res = app.get(&path, Some(&nina)).await;
        assert_problem(res, 403, "forbidden").await;
    }
    // ... nor changes them.
    let res = app
        .put(
            &format!("/api/v1/persons/{}", org.nils),
            Some(&nina),
            &json!({"name": "Hacked"}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .post(
            &format!("/api/v1/persons/{}/vehicles", org.nils),
            Some(&nina),
            &json!({"plate": "ZZ99999"}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = delete(
        &app,
        &nina,
        &format!("/api/v1/me/vehicles/{}", id(&nils_car)),
    )
    .await;
    assert_problem(res, 404, "not-found").await;
    let res = app
        .put(
            &format!("/api/v1/me/vehicles/{}/primary", id(&nils_car)),
            Some(&nina),
            &json!({}),
        )
        .await;
    assert_problem(res, 404, "not-found").await;
    let cars = get_ok(&app, &nils, "/api/v1/me/vehicles").await;
    assert_eq!(cars.as_array().unwrap().len(), 1);
    let res = app
        .post(
            "/api/v1/org-units",
            Some(&nina),
            &json!({"external_id": "Z", "name": "Z"}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;

    // An approver sees the people they approve today (summary, no CPR), and no one else.
    let approvees = get_ok(&app, &lea, "/api/v1/me/approvees").await;
    let ids: Vec<i64> = approvees.as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, vec![org.nina, org.nils]);
    let seen = get_ok(&app, &lea, &format!("/api/v1/persons/{}", org.nina)).await;
    assert_eq!(seen["name"], "Nina Nurse");
    assert!(seen.get("cpr").is_none());
    let res = app
        .get(&format!("/api/v1/persons/{}", org.boss), Some(&lea))
        .await;
    assert_problem(res, 404, "not-found").await;
    let res = app
        .get(
            &format!("/api/v1/persons/{}/addresses", org.nina),
            Some(&lea),
        )
        .await;
    assert_problem(res, 404, "not-found").await;
    // The boss approves Lea, not the nurses (Lea stands between).
    let boss = token("boss").await;
    let ids: Vec<i64> = get_ok(&app, &boss, "/api/v1/me/approvees")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(ids, vec![org.lea]);
    let _ = org.sara;
}

/// Issue 11 item 3: an update that leaves `username` out keeps the login linked; only an
/// explicit `null` unlinks it.
#[tokio::test]
async fn updating_a_person_without_username_keeps_their_login_linked() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_user("ida", PW, &["employee"]).await;
    let ida = person(&app, &admin, "P-IDA", "Ida", Some("ida")).await;
    let token = app.tokens("ida", PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/persons/{ida}");

    let res = app
        .put(&path, Some(&admin), &json!({"name": "Ida Holm"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["name"], "Ida Holm");
    assert_eq!(updated["username"], "ida", "the login stays linked");
    let me = app.get("/api/v1/me/employments", Some(&token)).await;
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "the employee still has a person"
    );

    let res = app
        .put(&path, Some(&admin), &json!({"username": null}))
        .await;
    let updated: Value = res.json().await.unwrap();
    assert_eq!(
        updated["username"],
        Value::Null,
        "an explicit null unlinks it"
    );
    assert_eq!(updated["name"], "Ida Holm");
    let me = app.get("/api/v1/me/employments", Some(&token)).await;
    assert_problem(me, 404, "not-found").await;
}
