//! Payroll sends a report of an acknowledged batch back to its approver: the report is pending
//! again, the batch's file keeps its bytes, and once approved again a later batch takes it, once.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::assert_problem;
use crate::report_fixtures::{read_report, world, World, PW};
use crate::web_session::{csrf, page_text, post_form, session};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn ok(res: reqwest::Response, status: StatusCode) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

async fn payroll_user(w: &World) -> String {
    w.app.create_user("paula", PW, &["payroll"]).await;
    w.app.tokens("paula", PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// How many notices of `kind` the outbox holds.
fn notices_of(w: &World, of_kind: &str) -> usize {
    use diesel::prelude::*;
    use korsel::db::schema::mail_outbox::dsl::*;
    mail_outbox
        .filter(kind.eq(of_kind))
        .count()
        .get_result::<i64>(&mut w.app.db.connect())
        .unwrap() as usize
}

async fn new_batch(w: &World, token: &str) -> Value {
    let body = json!({"up_to": "2026-03-31", "format": "csv"});
    let res = w
        .app
        .post("/api/v1/payroll/batches", Some(token), &body)
        .await;
    ok(res, StatusCode::CREATED).await
}

async fn file_of(w: &World, token: &str, batch: i64) -> String {
    let path = format!("/api/v1/payroll/batches/{batch}/file");
    w.app.get(&path, Some(token)).await.text().await.unwrap()
}

/// One approved report of nina's in a batch that payroll (paula) has acknowledged: (the report,
/// the batch, paula's token).
async fn acknowledged_batch_with_a_report(w: &World) -> (Value, Value, String) {
    w.set_tf_codes("car_high", "2026-03-10", "1111", None).await;
    let report = w
        .create_submitted(
            &w.nina,
            read_report(w.emp_nina, "2026-03-10", "car_high", 12_340),
        )
        .await;
    let report = w.approve(&w.lea, &report).await;
    let paula = payroll_user(w).await;
    let batch = new_batch(w, &paula).await;
    let ack = json!({"batch_ids": [id(&batch)]});
    let res = w
        .app
        .post("/api/v1/payroll/acknowledge", Some(&paula), &ack)
        .await;
    ok(res, StatusCode::OK).await;
    (report, batch, paula)
}

#[tokio::test]
async fn the_batch_page_sends_a_report_back_with_a_reason() {
    let w = world().await;
    let (report, batch, _) = acknowledged_batch_with_a_report(&w).await;
    let batch_page = format!("/loen/koersler/{}", id(&batch));
    let page = format!(
        "/loen/koersler/{}/indberetninger/{}/send-tilbage",
        id(&batch),
        id(&report)
    );
    let paula = session(&w.app, "paula", PW).await;
    let (status, html) = page_text(&w.app, &batch_page, &paula).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"{page}\"")), "{html}");

    // Only payroll and administrators; a report of another batch does not exist here.
    let nina = session(&w.app, "nina", PW).await;
    assert_eq!(
        page_text(&w.app, &page, &nina).await.0,
        StatusCode::NOT_FOUND
    );
    let other = format!(
        "/loen/koersler/{}/indberetninger/999999/send-tilbage",
        id(&batch)
    );
    assert_eq!(
        page_text(&w.app, &other, &paula).await.0,
        StatusCode::NOT_FOUND
    );

    let (status, html) = page_text(&w.app, &page, &paula).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Lønfilen ændres ikke") && html.contains("confirm-send-back"));
    let token = csrf(&w.app, &paula).await;
    let res = post_form(
        &w.app,
        &page,
        &paula,
        &[("csrf", &token), ("begrundelse", " ")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Skriv en begrundelse"));
    assert_eq!(w.get(&w.nina, id(&report)).await["status"], "exported");

    let fields = [
        ("csrf", token.as_str()),
        ("begrundelse", "Spærret ansættelse"),
    ];
    let res = post_form(&w.app, &page, &paula, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("{batch_page}?besked=sendt-tilbage"));
    let (_, html) = page_text(&w.app, &to, &paula).await;
    assert!(
        html.contains("Indberetningen er sendt tilbage til godkenderen."),
        "{html}"
    );
    assert!(
        html.contains("Sendt tilbage") && !html.contains(&page),
        "{html}"
    );
    assert_eq!(w.get(&w.nina, id(&report)).await["status"], "pending");

    // Once back, the page says it cannot be sent again, and a second post changes nothing.
    let (_, html) = page_text(&w.app, &page, &paula).await;
    assert!(html.contains("send-back-refused") && !html.contains("confirm-send-back"));
    let res = post_form(&w.app, &page, &paula, &fields).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn payroll_sends_a_report_back_and_a_later_batch_takes_it_once() {
    let w = world().await;
    w.set_tf_codes("car_high", "2026-03-10", "1111", None).await;
    let mut approved = Vec::new();
    for date in ["2026-03-10", "2026-03-11"] {
        let report = w
            .create_submitted(&w.nina, read_report(w.emp_nina, date, "car_high", 12_340))
            .await;
        approved.push(w.approve(&w.lea, &report).await);
    }
    let paula = payroll_user(&w).await;
    let batch = new_batch(&w, &paula).await;
    assert_eq!(batch["report_count"], 2);
    let returned = &approved[0];
    let path = |report: i64| {
        format!(
            "/api/v1/payroll/batches/{}/reports/{report}/return",
            id(&batch)
        )
    };
    let reason = json!({"reason": "Ansættelsen er spærret i lønsystemet"});

    // Before payroll has acknowledged the batch, the batch is cancelled instead.
    let res = w.app.post(&path(id(returned)), Some(&paula), &reason).await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("cancel the batch"));
    ok(
        w.app
            .post(
                "/api/v1/payroll/acknowledge",
                Some(&paula),
                &json!({"batch_ids": [id(&batch)]}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    let file_before = file_of(&w, &paula, id(&batch)).await;

    // Only payroll and administrators; a reason; a report of the batch.
    for token in [&w.nina, &w.lea] {
        let res = w.app.post(&path(id(returned)), Some(token), &reason).await;
        assert_problem(res, 403, "forbidden").await;
    }
    let res = w
        .app
        .post(&path(id(returned)), Some(&paula), &json!({"reason": "  "}))
        .await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["field"], "reason");
    let too_long = json!({"reason": "x".repeat(1_001)});
    let res = w
        .app
        .post(&path(id(returned)), Some(&paula), &too_long)
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let res = w.app.post(&path(999_999), Some(&paula), &reason).await;
    assert_problem(res, 404, "not-found").await;

    let back = ok(
        w.app.post(&path(id(returned)), Some(&paula), &reason).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(back["status"], "pending");
    assert_eq!(back["decided_at"], Value::Null);
    assert_eq!(back["amount_ore"], returned["amount_ore"]);
    let res = w.app.post(&path(id(returned)), Some(&paula), &reason).await;
    assert_problem(res, 409, "conflict").await;
    // nina is told (one notice, written with the return).
    assert_eq!(notices_of(&w, "returned_by_payroll"), 1);

    // The approver sees why, in the history; the batch still holds its file as sent.
    let history: Vec<Value> = w
        .app
        .get(
            &format!("/api/v1/reports/{}/history", id(returned)),
            Some(&w.lea),
        )
        .await
        .json()
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["action"], "payroll_return");
    assert_eq!(last["to_status"], "pending");
    assert!(last["comment"]
        .as_str()
        .unwrap()
        .contains("Ansættelsen er spærret"));
    assert_eq!(file_of(&w, &paula, id(&batch)).await, file_before);
    let detail = ok(
        w.app
            .get(
                &format!("/api/v1/payroll/batches/{}", id(&batch)),
                Some(&paula),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    let flags: Vec<(i64, bool)> = detail["reports"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["report_id"].as_i64().unwrap(), r["returned"] == true))
        .collect();
    assert_eq!(
        flags,
        vec![(id(&approved[0]), true), (id(&approved[1]), false)]
    );

    // Approved again (to another account), the next batch takes it and nothing else.
    let again = w
        .act(
            &w.lea,
            &back,
            "approve",
            json!({"version": back["version"], "account": "1234567890"}),
        )
        .await;
    assert_eq!(again["status"], "approved");
    let next = new_batch(&w, &paula).await;
    assert_eq!(next["report_count"], 1);
    assert_eq!(next["total_amount_ore"], returned["amount_ore"]);
    let empty = new_batch(&w, &paula).await;
    assert_eq!(empty["report_count"], 0);
}
