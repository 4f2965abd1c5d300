//! TF codes reach payroll as they are when the batch is made (issue 11, item 6): a placeholder
//! is refused for every format, naming the rate type; a code set after approval is the one
//! exported; and start-up warns while rate types in use still have placeholders.

use korsel::services::tf_codes::{rate_types_with_placeholders_in_use, warn_about_placeholders};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::assert_problem;
use crate::helpers::captured_log;
use crate::report_fixtures::{read_report, world_with, World};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn batch(w: &World, format: &str) -> reqwest::Response {
    w.app
        .post(
            "/api/v1/payroll/batches",
            Some(&w.admin),
            &json!({"up_to": "2026-03-31", "format": format}),
        )
        .await
}

async fn file(w: &World, batch: &Value, query: &str) -> String {
    let res = w
        .app
        .get(
            &format!("/api/v1/payroll/batches/{}/file{query}", id(batch)),
            Some(&w.admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

fn tf_codes(report: &Value) -> Vec<String> {
    report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["tf_code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn placeholders_are_refused_for_every_format_and_the_code_in_force_is_exported() {
    let w = world_with(true, |s| s.payroll.municipality_number = Some(563)).await;
    w.set_cpr("nina", "8512481230").await;
    let body = read_report(w.emp_nina, "2026-03-10", "car_high", 12_340);
    let report = w.create_submitted(&w.nina, body).await;
    let report = w.approve(&w.lea, &report).await;
    assert_eq!(tf_codes(&report), ["PLACEHOLDER-TF-CAR-HIGH"]);

    for format in ["csv", "kmd-ind01"] {
        let problem = assert_problem(batch(&w, format).await, 422, "validation-failed").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("car_high 2026-01-01 to 2026-12-31")
                && detail.contains(&format!(
                    "PUT /api/v1/rate-types/{}",
                    problem["rate_type_id"]
                )),
            "{format}: {problem}"
        );
        assert_eq!(problem["rate_kind"], "car_high");
    }
    assert_eq!(w.get(&w.nina, id(&report)).await["status"], "approved");
    let batches = w
        .app
        .get("/api/v1/payroll/batches", Some(&w.admin))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(batches["total"], 0, "nothing was exported");

    // The administrator sets the real codes after the approval: the export takes them.
    w.set_tf_codes("car_high", "2026-03-10", "0611", Some("0612"))
        .await;
    let res = batch(&w, "csv").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["line_count"], 2);
    let csv = file(&w, &first, "?style=machine").await;
    assert!(csv.contains(";0611;") && csv.contains(";0612;"), "{csv}");
    assert_eq!(
        tf_codes(&w.get(&w.nina, id(&report)).await),
        ["0611", "0612"]
    );

    // Cancelled, the codes change again (no second code any more): the next batch follows.
    let res = w
        .app
        .post(
            &format!("/api/v1/payroll/batches/{}/cancel", id(&first)),
            Some(&w.admin),
            &json!({"reason": "wrong codes"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    w.set_tf_codes("car_high", "2026-03-10", "0700", None).await;
    let res = batch(&w, "kmd-ind01").await;
    let second: Value = res.json().await.unwrap();
    assert_eq!(second["line_count"], 1, "{second}");
    let ind01 = file(&w, &second, "").await;
    // Columns 20-23 of the IND01 line: the TF code.
    assert_eq!(&ind01.lines().last().unwrap()[19..23], "0700", "{ind01}");
    assert_eq!(tf_codes(&w.get(&w.nina, id(&report)).await), ["0700"]);
}

#[tokio::test]
async fn rate_types_in_use_with_placeholders_are_known_until_they_are_set() {
    let w = world_with(false, |_| {}).await;
    // A draft of March 2026 keeps the 2026 rate types in use, whatever today is.
    w.create(
        &w.nina,
        read_report(w.emp_nina, "2026-03-10", "car_high", 5_000),
    )
    .await;
    let mut conn = w.app.db.connect();
    let (warned, log) = captured_log(|| warn_about_placeholders(&mut conn));
    warned.unwrap();
    assert!(
        log.contains("WARN") && log.contains("car_high 2026-01-01 to 2026-12-31"),
        "{log}"
    );
    let in_use = rate_types_with_placeholders_in_use(&mut conn).unwrap();
    assert!(
        in_use
            .iter()
            .any(|r| r.kind.as_str() == "car_high" && r.valid_from.to_string() == "2026-01-01"),
        "{:?}",
        in_use.iter().map(|r| &r.kind).collect::<Vec<_>>()
    );
    for rate in &in_use {
        let date = rate.valid_from.to_string();
        w.set_tf_codes(rate.kind.as_str(), &date, "0611", None)
            .await;
    }
    assert!(rate_types_with_placeholders_in_use(&mut conn)
        .unwrap()
        .is_empty());
    let (warned, log) = captured_log(|| warn_about_placeholders(&mut conn));
    warned.unwrap();
    assert_eq!(log, "", "no warning once the codes are set");
}
