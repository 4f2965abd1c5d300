//! Deciding drive reports through the API: racing approvers, substitutes and personal approvers
//! routing the queue, the authorization matrix of who may do what, and bulk approval.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::assert_problem;
use crate::report_fixtures::{read_report, world};
use crate::reports::{history, id};

#[tokio::test]
async fn two_approvers_racing_exactly_one_wins() {
    let w = world().await;
    for round in 0..3 {
        let r = w
            .create(
                &w.nina,
                read_report(
                    w.emp_nina,
                    &format!("2026-05-0{}", round + 1),
                    "car_low",
                    5_000,
                ),
            )
            .await;
        let r = w.submit(&w.nina, &r).await;
        let path = format!("/api/v1/reports/{}/approve", id(&r));
        let body = json!({"version": r["version"]});
        // lea leads the unit, sara substitutes for her: both may approve
        let (a, b) = tokio::join!(
            w.app.post(&path, Some(&w.lea), &body),
            w.app.post(&path, Some(&w.sara), &body)
        );
        let mut statuses = vec![a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, vec![200, 409], "round {round}");
        let loser = if a.status() == StatusCode::OK { b } else { a };
        assert_problem(loser, 409, "version-conflict").await;
        let events = history(&w, &w.nina, id(&r)).await;
        assert_eq!(
            events.iter().filter(|e| e["action"] == "approve").count(),
            1,
            "round {round}"
        );
    }
}

#[tokio::test]
async fn substitutes_and_personal_approvers_route_the_queue() {
    let w = world().await;
    let nina_report = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-06-01", "car_low", 5_000),
        )
        .await;
    let nina_report = w.submit(&w.nina, &nina_report).await;
    let nils_report = w
        .create(
            &w.nils,
            read_report(w.emp_nils, "2026-06-02", "car_low", 6_000),
        )
        .await;
    let nils_report = w.submit(&w.nils, &nils_report).await;
    let lea_report = w
        .create(
            &w.lea,
            read_report(w.emp_lea, "2026-06-03", "car_low", 7_000),
        )
        .await;
    let lea_report = w.submit(&w.lea, &lea_report).await;
    let otto_report = w
        .create(
            &w.otto,
            read_report(w.emp_otto, "2026-06-04", "car_low", 8_000),
        )
        .await;
    let otto_report = w.submit(&w.otto, &otto_report).await;

    let queue = |token: String| {
        let app = &w.app;
        async move {
            let res = app.get("/api/v1/approvals", Some(&token)).await;
            assert_eq!(res.status(), StatusCode::OK);
            let page: Value = res.json().await.unwrap();
            let ids: Vec<i64> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .collect();
            assert_eq!(page["total"], ids.len());
            ids
        }
    };
    // lea: her unit's nina (nils has a personal approver); sara substitutes for lea
    assert_eq!(queue(w.lea.clone()).await, vec![id(&nina_report)]);
    assert_eq!(queue(w.sara.clone()).await, vec![id(&nina_report)]);
    // petra is nils' personal approver: nobody else gets nils' reports
    assert_eq!(queue(w.petra.clone()).await, vec![id(&nils_report)]);
    // a leader's own report goes to the leader above
    assert_eq!(queue(w.boss.clone()).await, vec![id(&lea_report)]);
    assert_eq!(queue(w.olga.clone()).await, vec![id(&otto_report)]);
    // filters and paging
    let res = w
        .app
        .get(
            &format!("/api/v1/approvals?person_id={}", w.persons["nils"]),
            Some(&w.petra),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["total"], 1);
    let res = w
        .app
        .get("/api/v1/approvals?from=2026-07-01", Some(&w.petra))
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["total"], 0);

    let res = w
        .app
        .post(
            &format!("/api/v1/reports/{}/approve", id(&nils_report)),
            Some(&w.lea),
            &json!({"version": nils_report["version"]}),
        )
        .await;
    assert_problem(res, 404, "not-found").await;
    w.approve(&w.petra, &nils_report).await;

    // a substitute who takes over replaces the leader
    crate::report_fixtures::post_created(
        &w.app,
        &w.admin,
        "/api/v1/substitutes",
        json!({"org_unit_id": w.sp_unit, "substitute_person_id": w.persons["sara"],
               "start_date": "2020-01-01", "takes_over": true}),
    )
    .await;
    assert_eq!(queue(w.lea.clone()).await, Vec::<i64>::new());
    let res = w
        .app
        .post(
            &format!("/api/v1/reports/{}/approve", id(&nina_report)),
            Some(&w.lea),
            &json!({"version": nina_report["version"]}),
        )
        .await;
    assert_problem(res, 404, "not-found").await;
    w.approve(&w.sara, &nina_report).await;
}

#[tokio::test]
async fn authorization_matrix() {
    let w = world().await;
    let report = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-06-10", "car_low", 5_000),
        )
        .await;
    let report = w.submit(&w.nina, &report).await;
    let path = |action: &str| format!("/api/v1/reports/{}/{action}", id(&report));
    let version = json!({"version": report["version"]});

    // an employee cannot approve, not even a colleague's report
    let res = w.app.post(&path("approve"), Some(&w.nils), &version).await;
    assert_problem(res, 404, "not-found").await;
    // an approver of another unit cannot touch (nor read) this unit's reports: to them they do
    // not exist (404, so ids cannot be probed)
    let res = w.app.post(&path("approve"), Some(&w.olga), &version).await;
    assert_problem(res, 404, "not-found").await;
    let res = w
        .app
        .post(
            &path("reject"),
            Some(&w.olga),
            &json!({"version": report["version"], "comment": "nej"}),
        )
        .await;
    assert_problem(res, 404, "not-found").await;
    let res = w
        .app
        .get(&format!("/api/v1/reports/{}", id(&report)), Some(&w.olga))
        .await;
    assert_problem(res, 404, "not-found").await;
    let res = w
        .app
        .get(
            &format!("/api/v1/reports/{}/history", id(&report)),
            Some(&w.nils),
        )
        .await;
    assert_problem(res, 404, "not-found").await;
    // nobody approves their own report, not even a leader who approves others
    let own = w
        .create(
            &w.lea,
            read_report(w.emp_lea, "2026-06-11", "car_low", 5_000),
        )
        .await;
    let own = w.submit(&w.lea, &own).await;
    let res = w
        .app
        .post(
            &format!("/api/v1/reports/{}/approve", id(&own)),
            Some(&w.lea),
            &json!({"version": own["version"]}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    // only the owner edits, submits and withdraws
    let res = w.app.post(&path("withdraw"), Some(&w.lea), &version).await;
    assert_problem(res, 403, "forbidden").await;
    let mut body = read_report(w.emp_nina, "2026-06-10", "car_low", 9_000);
    body["version"] = report["version"].clone();
    let res = w
        .send(
            Method::PUT,
            &format!("/api/v1/reports/{}", id(&report)),
            &w.nils,
            None,
            Some(&body),
        )
        .await;
    assert_problem(res, 404, "not-found").await;
    // an admin-reject needs the admin role and an approved report
    let res = w
        .app
        .post(
            &path("admin-reject"),
            Some(&w.lea),
            &json!({"version": report["version"], "comment": "x"}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = w
        .app
        .post(
            &path("admin-reject"),
            Some(&w.admin),
            &json!({"version": report["version"], "comment": "x"}),
        )
        .await;
    assert_problem(res, 409, "conflict").await;
    // someone else's list needs admin or payroll
    let res = w
        .app
        .get(
            &format!("/api/v1/reports?person_id={}", w.persons["nina"]),
            Some(&w.nils),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;

    // a client-sent amount, status, rate, TF code or figure is refused, naming the field
    for (field, value) in [
        ("amount_ore", json!(1_000_000)),
        ("status", json!("approved")),
        ("ore_per_km", json!(999)),
        ("tf_code", json!("9999")),
        ("reimbursable_m", json!(99_000)),
        ("rate_type_id", json!(1)),
    ] {
        let mut body = read_report(w.emp_nina, "2026-06-12", "car_low", 5_000);
        body[field] = value;
        let res = w.app.post("/api/v1/reports", Some(&w.nina), &body).await;
        let problem = assert_problem(res, 422, "validation-failed").await;
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{field}: {problem}"
        );
    }
    let body = read_report(w.emp_nina, "2026-06-12", "car_high_above_20k", 5_000);
    let res = w.app.post("/api/v1/reports", Some(&w.nina), &body).await;
    assert_problem(res, 422, "validation-failed").await;
    // another person's employment is not yours
    let body = read_report(w.emp_nils, "2026-06-12", "car_low", 5_000);
    let res = w.app.post("/api/v1/reports", Some(&w.nina), &body).await;
    assert_problem(res, 422, "validation-failed").await;

    // the owner and the responsible approvers read it; the list shows the owner's own only
    assert_eq!(w.get(&w.lea, id(&report)).await["status"], "pending");
    let mine: Value = w
        .app
        .get("/api/v1/reports?status=pending", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["id"], report["id"]);
    let theirs: Value = w
        .app
        .get("/api/v1/reports", Some(&w.nils))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["total"], 0);
}

#[tokio::test]
async fn bulk_approve_is_per_item() {
    let w = world().await;
    let mut reports = Vec::new();
    for day in 1..4 {
        let r = w
            .create(
                &w.nina,
                read_report(w.emp_nina, &format!("2026-08-0{day}"), "car_low", 5_000),
            )
            .await;
        reports.push(w.submit(&w.nina, &r).await);
    }
    let other = w
        .create(
            &w.otto,
            read_report(w.emp_otto, "2026-08-01", "car_low", 5_000),
        )
        .await;
    let other = w.submit(&w.otto, &other).await;
    let items = json!({"items": [
        {"id": reports[0]["id"], "version": reports[0]["version"]},
        {"id": reports[1]["id"], "version": 1},
        {"id": other["id"], "version": other["version"]},
        {"id": reports[2]["id"], "version": reports[2]["version"]},
    ]});
    let res = w
        .app
        .post("/api/v1/approvals/approve", Some(&w.lea), &items)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let out: Value = res.json().await.unwrap();
    let results = out["results"].as_array().unwrap();
    let outcomes: Vec<&str> = results
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["approved", "failed", "failed", "approved"]);
    assert_eq!(results[1]["problem"]["status"], 409);
    assert_eq!(results[2]["problem"]["status"], 404);
    assert_eq!(w.get(&w.nina, id(&reports[1])).await["status"], "pending");
    assert_eq!(w.get(&w.nina, id(&reports[2])).await["status"], "approved");
    // an employee cannot bulk approve; an empty list is refused
    let res = w
        .app
        .post("/api/v1/approvals/approve", Some(&w.nils), &items)
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = w
        .app
        .post(
            "/api/v1/approvals/approve",
            Some(&w.lea),
            &json!({"items": []}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
}
