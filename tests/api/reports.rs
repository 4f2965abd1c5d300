//! Drive reports through the API: the full flows, re-pricing (4-km day, 20,000 km), versions,
//! withdrawal, distance modes and the audit trail. Deciding them: `report_decisions.rs`.

use diesel::prelude::*;
use korsel::db::schema::drive_reports;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::assert_problem;
use crate::report_fixtures::{
    calculated_report, post_created, read_report, world, world_with, CITIZEN_A, CITIZEN_B, HOME,
};

pub(crate) fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

pub(crate) async fn history(
    w: &crate::report_fixtures::World,
    token: &str,
    report: i64,
) -> Vec<Value> {
    let res = w
        .app
        .get(&format!("/api/v1/reports/{report}/history"), Some(token))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Vec<Value>>().await.unwrap()
}

fn actions(events: &[Value]) -> Vec<(String, Option<String>, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["from_status"].as_str().map(str::to_string),
                e["to_status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn manual_report_reject_edit_resubmit_approve_with_full_audit_trail() {
    let w = world().await;
    // home -> A -> home: 28 km routed, minus home-work 10 km per home leg = 8 km at 2.28
    let created = w
        .create(
            &w.nina,
            calculated_report(
                w.emp_nina,
                "2026-03-10",
                "car_low",
                &[HOME, CITIZEN_A, HOME],
            ),
        )
        .await;
    assert_eq!(created["status"], "draft");
    assert_eq!(created["version"], 1);
    assert_eq!(created["starts_at_home"], true);
    assert_eq!(created["ends_at_home"], true);
    assert_eq!(created["route_distance_m"], 28_000);
    assert_eq!(created["home_work_deduction_m"], 20_000);
    assert_eq!(created["reimbursable_m"], 8_000);
    assert_eq!(created["amount_ore"], 1_824);
    assert_eq!(created["lines"][0]["distance_m"], 8_000);
    assert_eq!(created["lines"][0]["ore_per_km"], 228);
    assert!(created["vehicle_id"].is_i64(), "the primary car is taken");

    let pending = w.submit(&w.nina, &created).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["version"], 2);

    // reject needs a comment
    let res = w
        .app
        .post(
            &format!("/api/v1/reports/{}/reject", id(&pending)),
            Some(&w.lea),
            &json!({"version": 2}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let rejected = w
        .act(
            &w.lea,
            &pending,
            "reject",
            json!({"version": 2, "comment": "Borger B mangler"}),
        )
        .await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["rejection_comment"], "Borger B mangler");

    // the employee sees the status and the comment
    let seen = w.get(&w.nina, id(&created)).await;
    assert_eq!(seen["status"], "rejected");
    assert_eq!(seen["rejection_comment"], "Borger B mangler");

    // edit: home -> A -> B -> home = 40 km - 20 = 20 km; the edit resubmits it
    let mut body = calculated_report(
        w.emp_nina,
        "2026-03-10",
        "car_low",
        &[HOME, CITIZEN_A, CITIZEN_B, HOME],
    );
    body["version"] = json!(3);
    let res = w
        .send(
            Method::PUT,
            &format!("/api/v1/reports/{}", id(&created)),
            &w.nina,
            None,
            Some(&body),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"4\"");
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["id"], created["id"]);
    assert_eq!(edited["status"], "pending");
    assert_eq!(edited["rejection_comment"], Value::Null);
    assert_eq!(edited["route_distance_m"], 40_000);
    assert_eq!(edited["amount_ore"], 4_560);

    let approved = w.approve(&w.lea, &edited).await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["version"], 5);
    assert!(approved["decided_at"].is_string());

    let events = history(&w, &w.nina, id(&created)).await;
    assert_eq!(
        actions(&events),
        vec![
            ("create".into(), None, "draft".into()),
            ("submit".into(), Some("draft".into()), "pending".into()),
            ("reject".into(), Some("pending".into()), "rejected".into()),
            ("edit".into(), Some("rejected".into()), "pending".into()),
            ("approve".into(), Some("pending".into()), "approved".into()),
        ]
    );
    let versions: Vec<i64> = events
        .iter()
        .map(|e| e["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5]);
    let who: Vec<&str> = events
        .iter()
        .map(|e| e["actor_username"].as_str().unwrap())
        .collect();
    assert_eq!(who, vec!["nina", "nina", "lea", "nina", "lea"]);
    assert_eq!(events[2]["comment"], "Borger B mangler");
    let edit = &events[3]["changes"];
    assert_eq!(
        edit["route_distance_m"],
        json!({"from": 28_000, "to": 40_000})
    );
    assert_eq!(edit["amount_ore"], json!({"from": 1_824, "to": 4_560}));
    assert_eq!(edit["status"], json!({"from": "rejected", "to": "pending"}));
    assert!(
        edit.get("purpose").is_none(),
        "unchanged fields are not listed"
    );
    assert_eq!(events[0]["changes"]["purpose"]["to"], "Hjemmebesøg");
    // the approver reads the same history
    assert_eq!(history(&w, &w.lea, id(&created)).await.len(), 5);
}

#[tokio::test]
async fn gps_trip_report_with_the_four_km_rule_submit_approve_and_rebalance() {
    let w = world().await;
    // OS2's vectors: about 42 km from home, 2 km to the border, 4-km rule
    let trip1 = w.upload_trip(&w.nina, "2026-03-02T06:30:00Z", 3_000).await;
    let trip2 = w.upload_trip(&w.nina, "2026-03-02T12:00:00Z", 3_000).await;
    assert_eq!(trip1["start"]["at_home"], true);
    let driven = trip1["distance_m"].as_i64().unwrap();
    assert!((driven - 42_000).abs() < 500, "driven {driven}");
    assert_eq!(
        trip2["distance_m"], driven,
        "the same drive, the same distance"
    );
    // km to 2 decimals (half-up), then x 3.94 rounded half-up to whole øre
    let ore = |metres: i64| ((metres + 5) / 10 * 394 + 50) / 100;
    let (trip1, trip2) = (id(&trip1), id(&trip2));
    let gps = |trip: i64| {
        json!({"employment_id": w.emp_nina, "rate_kind": "car_high", "purpose": "Sundhedspleje",
               "distance_mode": "gps", "trip_id": trip, "four_km_rule": true})
    };
    // the trip decides the distance and the date; a client may not send them
    for (field, value) in [
        ("typed_distance_m", json!(1_000)),
        ("drive_date", json!("2026-03-03")),
        ("starts_at_home", json!(false)),
    ] {
        let mut body = gps(trip1);
        body[field] = value;
        let res = w.app.post("/api/v1/reports", Some(&w.nina), &body).await;
        let problem = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(problem["field"], field);
    }
    let first = w.create(&w.nina, gps(trip1)).await;
    assert_eq!(first["drive_date"], "2026-03-02");
    assert_eq!(first["trip_id"], trip1);
    assert_eq!(first["starts_at_home"], true);
    assert_eq!(first["route_distance_m"], driven);
    assert_eq!(first["home_work_deduction_m"], 2_000);
    // 42 - (2 + 4) = 36 km
    assert_eq!(first["four_km_deduction_m"], 4_000);
    assert_eq!(first["reimbursable_m"], driven - 6_000);
    assert_eq!(first["amount_ore"], ore(driven - 6_000));
    // a trip becomes at most one report; another user's trip is not yours
    let res = w
        .app
        .post("/api/v1/reports", Some(&w.nina), &gps(trip1))
        .await;
    assert_problem(res, 409, "conflict").await;
    let res = w
        .app
        .post("/api/v1/reports", Some(&w.nils), &gps(trip2))
        .await;
    assert_problem(res, 422, "validation-failed").await;

    let first = w.submit(&w.nina, &first).await;
    let second = w.create(&w.nina, gps(trip2)).await;
    // second report of the day: 42 - 2 = 40 km
    assert_eq!(second["four_km_deduction_m"], 0);
    assert_eq!(second["amount_ore"], ore(driven - 2_000));
    let second = w.submit(&w.nina, &second).await;
    let first = w.approve(&w.lea, &first).await;
    assert_eq!(first["status"], "approved");
    assert_eq!(first["amount_ore"], ore(driven - 6_000));

    // the admin rejects the approved first report: the day is rebalanced onto the second
    let res = w
        .app
        .post(
            &format!("/api/v1/reports/{}/admin-reject", id(&first)),
            Some(&w.admin),
            &json!({"version": first["version"]}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let rejected = w
        .act(
            &w.admin,
            &first,
            "admin-reject",
            json!({"version": first["version"], "comment": "Kørt i tjenestebil"}),
        )
        .await;
    assert_eq!(rejected["status"], "rejected");
    let second_now = w.get(&w.nina, id(&second)).await;
    assert_eq!(second_now["four_km_deduction_m"], 4_000);
    assert_eq!(second_now["amount_ore"], ore(driven - 6_000));
    assert_eq!(
        second_now["version"],
        second["version"].as_i64().unwrap() + 1,
        "a re-priced report gets a new version"
    );
    let events = history(&w, &w.nina, id(&second)).await;
    let last = events.last().unwrap();
    assert_eq!(last["action"], "reprice");
    assert_eq!(last["actor_user_id"], Value::Null);
    assert_eq!(
        last["changes"]["amount_ore"],
        json!({"from": ore(driven - 2_000), "to": ore(driven - 6_000)})
    );
    // the approver approves the re-priced amount
    let second_now = w.approve(&w.sara, &second_now).await;
    assert_eq!(second_now["status"], "approved");
}

#[tokio::test]
async fn twenty_thousand_km_split_late_earlier_trip_reprices_and_exported_stays() {
    let w = world().await;
    let mut big = Vec::new();
    // 4 x 4,995 km = 19,980 km at the high rate in January
    for day in 10..14 {
        let r = w
            .create(
                &w.nina,
                read_report(w.emp_nina, &format!("2026-01-{day}"), "car_high", 4_995_000),
            )
            .await;
        big.push(w.submit(&w.nina, &r).await);
    }
    assert_eq!(big[3]["amount_ore"], 1_968_030); // 4,995 x 3.94 kr
    let late = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-03-01", "car_high", 50_000),
        )
        .await;
    let late = w.submit(&w.nina, &late).await;
    // 20 km x 3.94 + 30 km x 2.28 = 147.20 kr, in two lines
    assert_eq!(late["amount_ore"], 14_720);
    let lines: Vec<(String, i64, i64)> = late["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["rate_kind"].as_str().unwrap().to_string(),
                l["distance_m"].as_i64().unwrap(),
                l["amount_ore"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("car_high".to_string(), 20_000, 7_880),
            ("car_high_above_20k".to_string(), 30_000, 6_840)
        ]
    );
    let summary: Value = w
        .app
        .get("/api/v1/me/summary?year=2026", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["high_rate_used_m"], 20_000_000);
    assert_eq!(summary["high_rate_remaining_m"], 0);
    assert_eq!(summary["counted_amount_ore"], 4 * 1_968_030 + 14_720);
    let pending = summary["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "pending")
        .unwrap();
    assert_eq!(pending["reports"], 5);

    // an earlier trip submitted late takes the remaining high-rate km first
    let february = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-02-01", "car_high", 10_000),
        )
        .await;
    assert_eq!(
        february["amount_ore"], 3_940,
        "a draft previews 10 km x 3.94"
    );
    let late_before = w.get(&w.nina, id(&late)).await;
    assert_eq!(late_before["amount_ore"], 14_720, "a draft takes nothing");
    let february = w.submit(&w.nina, &february).await;
    assert_eq!(february["amount_ore"], 3_940);
    // March: 10 km x 3.94 + 40 km x 2.28 = 130.60 kr
    let late_now = w.get(&w.nina, id(&late)).await;
    assert_eq!(late_now["amount_ore"], 13_060);
    assert_eq!(
        history(&w, &w.nina, id(&late)).await.last().unwrap()["action"],
        "reprice"
    );

    // payroll exports March (done by the payroll module: status + version, here directly)
    let late_now = w.approve(&w.lea, &late_now).await;
    {
        let mut conn = w.app.db.connect();
        diesel::update(drive_reports::table.find(id(&late_now)))
            .set((
                drive_reports::status.eq("exported"),
                drive_reports::version.eq(late_now["version"].as_i64().unwrap() + 1),
            ))
            .execute(&mut *conn)
            .unwrap();
    }
    // rejecting February would give March its 10 km back, but March is exported: frozen
    w.act(
        &w.lea,
        &february,
        "reject",
        json!({"version": february["version"], "comment": "Dobbelt indberettet"}),
    )
    .await;
    let exported = w.get(&w.nina, id(&late)).await;
    assert_eq!(exported["status"], "exported");
    assert_eq!(exported["amount_ore"], 13_060);
    assert_eq!(
        exported["version"],
        late_now["version"].as_i64().unwrap() + 1
    );
    // an exported report is not the owner's to edit
    let mut body = read_report(w.emp_nina, "2026-03-01", "car_high", 1_000);
    body["version"] = exported["version"].clone();
    let res = w
        .send(
            Method::PUT,
            &format!("/api/v1/reports/{}", id(&late)),
            &w.nina,
            None,
            Some(&body),
        )
        .await;
    assert_problem(res, 409, "conflict").await;
}

#[tokio::test]
async fn stale_versions_get_412_or_409_and_a_missing_one_428() {
    let w = world().await;
    let report = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-04-01", "car_low", 12_345),
        )
        .await;
    // 12,345 m -> 12.35 km x 2.28 = 28.158 kr -> 28.16 kr
    assert_eq!(report["amount_ore"], 2_816);
    let path = format!("/api/v1/reports/{}/submit", id(&report));
    let res = w
        .send(Method::POST, &path, &w.nina, Some("\"7\""), None)
        .await;
    let problem = assert_problem(res, 412, "precondition-failed").await;
    assert_eq!(problem["current_version"], 1);
    let res = w
        .send(
            Method::POST,
            &path,
            &w.nina,
            None,
            Some(&json!({"version": 7})),
        )
        .await;
    assert_problem(res, 409, "version-conflict").await;
    let res = w.send(Method::POST, &path, &w.nina, None, None).await;
    assert_problem(res, 428, "precondition-required").await;
    let res = w
        .send(Method::POST, &path, &w.nina, Some("garbage"), None)
        .await;
    assert_problem(res, 412, "precondition-failed").await;
    // If-Match wins over the body
    let res = w
        .send(
            Method::POST,
            &path,
            &w.nina,
            Some("\"1\""),
            Some(&json!({"version": 7})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");

    // an edit with the old version
    let put = format!("/api/v1/reports/{}", id(&report));
    let body = read_report(w.emp_nina, "2026-04-01", "car_low", 20_000);
    let res = w
        .send(Method::PUT, &put, &w.nina, Some("\"1\""), Some(&body))
        .await;
    assert_problem(res, 412, "precondition-failed").await;
    let res = w.send(Method::PUT, &put, &w.nina, None, Some(&body)).await;
    assert_problem(res, 428, "precondition-required").await;
    let res = w
        .send(Method::PUT, &put, &w.nina, Some("\"2\""), Some(&body))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["typed_distance_m"], 20_000);
    assert_eq!(edited["version"], 3);
}

#[tokio::test]
async fn withdraw_and_delete() {
    let w = world().await;
    let draft = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-09-01", "car_low", 5_000),
        )
        .await;
    let path = format!("/api/v1/reports/{}", id(&draft));
    let res = w
        .send(Method::DELETE, &path, &w.nina, Some("\"9\""), None)
        .await;
    assert_problem(res, 412, "precondition-failed").await;
    let res = w
        .send(Method::DELETE, &path, &w.nils, Some("\"1\""), None)
        .await;
    assert_problem(res, 404, "not-found").await;
    let res = w
        .send(
            Method::DELETE,
            &format!("{path}?version=1"),
            &w.nina,
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = w.app.get(&path, Some(&w.nina)).await;
    assert_problem(res, 404, "not-found").await;

    let report = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-09-02", "car_low", 5_000),
        )
        .await;
    let report = w.submit(&w.nina, &report).await;
    let back = w
        .act(
            &w.nina,
            &report,
            "withdraw",
            json!({"version": report["version"]}),
        )
        .await;
    assert_eq!(back["status"], "draft");
    // once submitted, a report keeps its trail: no delete
    let res = w
        .send(
            Method::DELETE,
            &format!("/api/v1/reports/{}", id(&back)),
            &w.nina,
            Some(&format!("\"{}\"", back["version"])),
            None,
        )
        .await;
    assert_problem(res, 409, "conflict").await;
    assert_eq!(
        actions(&history(&w, &w.nina, id(&back)).await)
            .into_iter()
            .map(|a| a.0)
            .collect::<Vec<_>>(),
        vec!["create", "submit", "withdraw"]
    );
}

#[tokio::test]
async fn without_a_router_calculated_is_unavailable_but_read_works() {
    let w = world_with(false, |_| {}).await;
    let res = w
        .app
        .post(
            "/api/v1/reports",
            Some(&w.nina),
            &calculated_report(w.emp_nina, "2026-03-10", "car_low", &[HOME, CITIZEN_A]),
        )
        .await;
    assert_problem(res, 503, "router-unavailable").await;
    // A read report from home needs the home-work distance: no guess, and a refusal that says
    // what to set rather than to use the mode the request already uses (issue 11 item 12).
    let mut body = read_report(w.emp_nina, "2026-03-10", "car_low", 30_000);
    body["starts_at_home"] = json!(true);
    let res = w.app.post("/api/v1/reports", Some(&w.nina), &body).await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["field"], "starts_at_home");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("home-work distance override") && detail.contains("route service"),
        "{detail}"
    );
    assert!(!detail.contains("distance mode"), "{detail}");
    // With the person's override for the employment, the deduction uses it.
    post_created(
        &w.app,
        &w.admin,
        &format!("/api/v1/persons/{}/home-work-overrides", w.persons["nina"]),
        json!({"employment_id": w.emp_nina, "distance_m": 8_000, "valid_from": "2026-01-01"}),
    )
    .await;
    let from_home = w.create(&w.nina, body).await;
    assert_eq!(from_home["home_work_deduction_m"], 8_000);
    assert_eq!(from_home["reimbursable_m"], 22_000);
    let r = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-03-10", "car_low", 30_000),
        )
        .await;
    assert_eq!(r["amount_ore"], 6_840);
    // the car of a report stays on record
    let res = w
        .send(
            Method::DELETE,
            &format!("/api/v1/me/vehicles/{}", r["vehicle_id"]),
            &w.nina,
            None,
            None,
        )
        .await;
    assert_problem(res, 409, "conflict").await;
}

#[tokio::test]
async fn norddjurs_method_pays_the_shorter_route() {
    let w = world_with(true, |s| s.reports.norddjurs_method = true).await;
    // home -> A is 14 km, work -> A is 9 km: 9 km x 2.28 = 20.52 kr
    let r = w
        .create(
            &w.nina,
            calculated_report(w.emp_nina, "2026-03-10", "car_low", &[HOME, CITIZEN_A]),
        )
        .await;
    assert_eq!(r["route_distance_m"], 14_000);
    assert_eq!(r["reimbursable_m"], 9_000);
    assert_eq!(r["amount_ore"], 2_052);
    // ending at home only: no deduction (as OS2)
    let r = w
        .create(
            &w.nina,
            calculated_report(w.emp_nina, "2026-03-11", "car_low", &[CITIZEN_B, HOME]),
        )
        .await;
    assert_eq!(r["reimbursable_m"], 20_000);
    let requests = w.osrm.as_ref().unwrap().received_requests().await.unwrap();
    assert!(requests
        .iter()
        .any(|r| r.url.path() == "/route/v1/driving/10.000000,56.100000;10.200000,56.000000"));
}

async fn put_json(
    w: &crate::report_fixtures::World,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    w.send(Method::PUT, path, token, None, Some(&body)).await
}

#[tokio::test]
async fn the_four_km_rule_deducts_the_persons_own_border_distance() {
    let w = world().await;
    let mine = "/api/v1/me/distance-to-border";
    let nina = &format!("/api/v1/persons/{}/distance-to-border", w.persons["nina"]);
    let res = put_json(&w, mine, &w.nina, json!({"distance_to_border_m": 5_000})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let person: Value = res.json().await.unwrap();
    assert_eq!(person["distance_to_border_m"], 5_000);
    let res = put_json(&w, nina, &w.nils, json!({"distance_to_border_m": 0})).await;
    assert_problem(res, 403, "forbidden").await;
    let res = put_json(&w, nina, &w.admin, json!({"distance_to_border_m": -1})).await;
    assert_problem(res, 422, "validation-failed").await;
    let body = json!({"distance_to_border_m": 5_000, "amount_ore": 1});
    let res = put_json(&w, mine, &w.nina, body).await;
    assert_problem(res, 422, "validation-failed").await;

    let gps = |trip: &Value| {
        json!({"employment_id": w.emp_nina, "rate_kind": "car_high", "purpose": "Sundhedspleje",
               "distance_mode": "gps", "trip_id": trip["id"], "four_km_rule": true})
    };
    let trip = w.upload_trip(&w.nina, "2026-03-02T06:30:00Z", 3_000).await;
    let report = w.create(&w.nina, gps(&trip)).await;
    assert_eq!(
        report["home_work_deduction_m"], 5_000,
        "her own border distance"
    );
    assert_eq!(report["four_km_deduction_m"], 4_000);

    // Cleared by an admin: the unit's 2 km applies again.
    let res = put_json(&w, nina, &w.admin, json!({"distance_to_border_m": null})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let trip = w.upload_trip(&w.nina, "2026-03-03T06:30:00Z", 3_000).await;
    let report = w.create(&w.nina, gps(&trip)).await;
    assert_eq!(report["home_work_deduction_m"], 2_000);
}
