//! The whole product in one story, through the API only: a phone uploads a trip, the employee
//! reports it, her manager approves it, payroll exports it exactly once, and a cancelled batch
//! gives the report back to the next one.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::assert_problem;
use crate::report_fixtures::{read_report, world, world_with, PW};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// "12345" øre → "123,45": the CSV's Danish decimal comma.
fn kr(ore: i64) -> String {
    format!("{},{:02}", ore / 100, ore % 100)
}

#[tokio::test]
async fn trip_to_report_to_approval_to_payroll_exactly_once() {
    let w = world().await;
    w.app.create_user("paula", PW, &["payroll"]).await;
    let paula = w.app.tokens("paula", PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    w.set_tf_codes("car_high", "2026-03-02", "1111", None).await;
    // 07:30 Danish time on 2 March 2026: 20 minutes due north from home at 14 m/s.
    let trip = w.upload_trip(&w.nina, "2026-03-02T06:30:00Z", 1_200).await;
    assert_eq!(trip["start"]["at_home"], true);
    let report = w
        .create(
            &w.nina,
            json!({"employment_id": w.emp_nina, "rate_kind": "car_high",
                   "purpose": "Hjemmebesøg", "distance_mode": "gps", "trip_id": trip["id"]}),
        )
        .await;
    assert_eq!(report["drive_date"], "2026-03-02");
    assert_eq!(report["route_distance_m"], trip["distance_m"]);
    let report = w.submit(&w.nina, &report).await;
    assert_eq!(report["status"], "pending");

    // Nina cannot approve her own report; Lea leads her unit and can.
    let res = w
        .app
        .post(
            &format!("/api/v1/reports/{}/approve", id(&report)),
            Some(&w.nina),
            &json!({"version": report["version"]}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let report = w.approve(&w.lea, &report).await;
    assert_eq!(report["status"], "approved");
    let amount = report["amount_ore"].as_i64().unwrap();
    assert!(amount > 0);

    // Payroll exports it; a second export finds nothing left.
    let batch_body = json!({"up_to": "2026-03-31", "format": "csv"});
    let res = w
        .app
        .post("/api/v1/payroll/batches", Some(&paula), &batch_body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let batch: Value = res.json().await.unwrap();
    assert_eq!(batch["report_count"], 1);
    let res = w
        .app
        .post("/api/v1/payroll/batches", Some(&paula), &batch_body)
        .await;
    let empty: Value = res.json().await.unwrap();
    assert_eq!(empty["report_count"], 0);

    let file_path = format!("/api/v1/payroll/batches/{}/file", id(&batch));
    let download = || async {
        let res = w.app.get(&file_path, Some(&paula)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.bytes().await.unwrap()
    };
    let csv = download().await;
    let text = String::from_utf8(csv.to_vec()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(&format!(";{};", id(&report))))
        .unwrap_or_else(|| panic!("no line for the report in\n{text}"));
    assert!(line.starts_with("4000;nina Hansen;"), "{line}");
    assert!(line.contains(";2026-03-02;"), "{line}");
    assert!(line.contains(&format!(";{};", kr(amount))), "{line}");
    assert_eq!(download().await, csv, "the same bytes every time");

    // Exported is final for everyone but payroll.
    let exported = w.get(&w.nina, id(&report)).await;
    assert_eq!(exported["status"], "exported");
    let res = w
        .send(
            Method::POST,
            &format!("/api/v1/reports/{}/admin-reject", id(&report)),
            &w.admin,
            None,
            Some(&json!({"version": exported["version"], "comment": "too late"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // A cancelled batch gives the report back, and the next batch takes it once more.
    let res = w
        .app
        .post(
            &format!("/api/v1/payroll/batches/{}/cancel", id(&batch)),
            Some(&paula),
            &json!({"reason": "wrong period"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(w.get(&w.nina, id(&report)).await["status"], "approved");
    let res = w
        .app
        .post("/api/v1/payroll/batches", Some(&paula), &batch_body)
        .await;
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["report_count"], 1);

    let res = w
        .app
        .get(
            &format!("/api/v1/reports/{}/history", id(&report)),
            Some(&w.nina),
        )
        .await;
    let history: Vec<Value> = res.json().await.unwrap();
    let trail: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        trail,
        [
            "create",
            "submit",
            "approve",
            "export",
            "cancel_export",
            "export"
        ]
    );
}

#[tokio::test]
async fn an_approver_books_a_report_to_another_account_and_ind01_carries_it() {
    let w = world_with(true, |s| s.payroll.municipality_number = Some(751)).await;
    // IND01 needs the CPR ...
    w.set_cpr("nina", "010190-1234").await;
    // ... and the municipality's real TF codes instead of the seeded placeholders.
    w.set_tf_codes("car_high", "2026-03-10", "1111", None).await;
    let body = read_report(w.emp_nina, "2026-03-10", "car_high", 12_340);
    let report = w.create_submitted(&w.nina, body).await;
    let path = format!("/api/v1/reports/{}/approve", id(&report));
    for bad in ["12ab567890", "123456789", "12345678901"] {
        let res = w
            .app
            .post(
                &path,
                Some(&w.lea),
                &json!({"version": report["version"], "account": bad}),
            )
            .await;
        let problem = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(problem["field"], "account", "{bad}");
    }
    let res = w
        .app
        .post(
            &format!("/api/v1/reports/{}/reject", id(&report)),
            Some(&w.lea),
            &json!({"version": report["version"], "comment": "no", "account": "1234567890"}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let approved = w
        .act(
            &w.lea,
            &report,
            "approve",
            json!({"version": report["version"], "account": "1234567890"}),
        )
        .await;
    assert_eq!(approved["account"], "1234567890");
    let res = w
        .app
        .get(
            &format!("/api/v1/reports/{}/history", id(&report)),
            Some(&w.nina),
        )
        .await;
    let history: Vec<Value> = res.json().await.unwrap();
    assert_eq!(
        history.last().unwrap()["changes"]["account"],
        json!({"from": null, "to": "1234567890"})
    );

    w.app.create_user("paula", PW, &["payroll"]).await;
    let paula = w.app.tokens("paula", PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = w
        .app
        .post(
            "/api/v1/payroll/batches",
            Some(&paula),
            &json!({"up_to": "2026-03-31", "format": "kmd-ind01"}),
        )
        .await;
    let status = res.status();
    let batch: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let res = w
        .app
        .get(
            &format!("/api/v1/payroll/batches/{}/file", id(&batch)),
            Some(&paula),
        )
        .await;
    let file = res.text().await.unwrap();
    let line = file.lines().last().unwrap();
    assert_eq!(line.len(), 55, "{file}");
    assert!(line.starts_with("DA60751"), "{line}");
    // Columns 37–49: the account, right-aligned in 13; 12.34 km in columns 26–31.
    assert_eq!(&line[36..49], "   1234567890", "{line}");
    assert_eq!(&line[23..29], "001234", "{line}");
}
