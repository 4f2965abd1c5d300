//! The payroll connector's pull API: fetching with its key until it acknowledges exactly once,
//! overdue acknowledgements logged loudly, who may do what, and bad parameters.

use super::*;
use crate::helpers::captured_log;

async fn create_key(app: &TestApp, name: &str) -> String {
    service::create_api_key(&mut app.db.connect(), name)
        .unwrap()
        .1
}

async fn with_key(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<&Value>,
) -> Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("X-Api-Key", key);
    if let Some(body) = body {
        req = req.json(body);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_connector_pulls_until_it_acknowledges_exactly_once() {
    let app = spawn().await;
    seed_golden(&mut app.db.connect());
    let payroll = token(&app, "paula", &["payroll"]).await;
    let key = create_key(&app, "opus-agent").await;
    assert!(key.starts_with("korsel_pk_"));

    let empty = json_of(
        with_key(&app, Method::GET, "/api/v1/payroll/pending", &key, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(empty, json!({"batches": []}));

    let first = create_batch(&app, &payroll, "2026-01-31", "kmd-ind01").await["id"]
        .as_i64()
        .unwrap();
    let second = create_batch(&app, &payroll, "2026-02-28", "csv").await["id"]
        .as_i64()
        .unwrap();
    let pulled = json_of(
        with_key(&app, Method::GET, "/api/v1/payroll/pending", &key, None).await,
        StatusCode::OK,
    )
    .await;
    let batches = pulled["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0]["id"], first, "oldest first");
    assert_eq!(
        batches[0]["ind01"],
        json!({"municipality_number": 123, "employment_type": 9, "extra_number": 5})
    );
    assert_eq!(batches[1]["ind01"], Value::Null);
    assert!(batches[0]["first_fetched_at"].is_string());
    let lines = batches[0]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 5, "4 reports, one of them split");
    assert_eq!(
        lines[3],
        json!({"report_id": 1, "employment_number": "1", "person_name": "Test", "cpr": "8512481230",
               "tf_code": "6666", "drive_date": "2020-01-27", "distance_m": 123_500,
               "ore_per_km": 394, "amount_ore": 48_659, "purpose": "Reference", "account": null})
    );
    assert_eq!(
        batches[1]["lines"][0]["cpr"],
        Value::Null,
        "no CPR kept for a CSV batch"
    );

    // Until acknowledged, a batch comes back on every pull (its id is the idempotency key).
    let again = json_of(
        app.get("/api/v1/payroll/pending?limit=1", Some(&payroll))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["batches"][0]["id"], first);
    assert_eq!(again["batches"].as_array().unwrap().len(), 1);

    let ack = |ids: Value| {
        let key = key.clone();
        let app = &app;
        async move {
            with_key(
                app,
                Method::POST,
                "/api/v1/payroll/acknowledge",
                &key,
                Some(&json!({"batch_ids": ids})),
            )
            .await
        }
    };
    let res = ack(json!([first, 4242])).await;
    assert_problem(res, 404, "not-found").await;
    let out = json_of(ack(json!([first])).await, StatusCode::OK).await;
    assert_eq!(
        out,
        json!({"acknowledged": [first], "already_acknowledged": []})
    );
    let out = json_of(ack(json!([first, second])).await, StatusCode::OK).await;
    assert_eq!(
        out,
        json!({"acknowledged": [second], "already_acknowledged": [first]})
    );
    let after = json_of(
        with_key(&app, Method::GET, "/api/v1/payroll/pending", &key, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after, json!({"batches": []}));

    let batch = json_of(
        app.get(&format!("/api/v1/payroll/batches/{first}"), Some(&payroll))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(batch["status"], "acknowledged");
    assert_eq!(batch["acknowledged_by"], "connector opus-agent");
    let res = app
        .post(
            &format!("/api/v1/payroll/batches/{first}/cancel"),
            Some(&payroll),
            &json!({"reason": "late"}),
        )
        .await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert!(problem["detail"].as_str().unwrap().contains("acknowledged"));

    // A cancelled batch cannot be acknowledged: its reports went back to approval.
    let third = create_batch(&app, &payroll, "2026-12-31", "csv").await["id"]
        .as_i64()
        .unwrap();
    let res = app
        .post(
            &format!("/api/v1/payroll/batches/{third}/cancel"),
            Some(&payroll),
            &json!({"reason": "oops"}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let res = ack(json!([third])).await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert!(problem["detail"].as_str().unwrap().contains("cancelled"));
    let res = ack(json!([])).await;
    assert_problem(res, 422, "validation-failed").await;
}

#[tokio::test]
async fn batches_fetched_and_not_acknowledged_in_time_are_logged_loudly() {
    let app = spawn().await;
    seed_golden(&mut app.db.connect());
    let payroll = token(&app, "paula", &["payroll"]).await;
    let key = create_key(&app, "opus-agent").await;
    let fetched = create_batch(&app, &payroll, "2026-01-31", "csv").await["id"]
        .as_i64()
        .unwrap();
    let res = with_key(&app, Method::GET, "/api/v1/payroll/pending", &key, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Made after the pull: never fetched, so never overdue.
    create_batch(&app, &payroll, "2026-02-28", "csv").await;

    let timeout = Duration::from_secs(30 * 60);
    let mut conn = app.db.connect();
    let now = korsel::db::utc_now();
    let (count, log) =
        captured_log(|| service::log_overdue_acknowledgements(&mut conn, now, timeout));
    assert_eq!((count.unwrap(), log.as_str()), (0, ""), "within the time");

    let later = now + chrono::Duration::minutes(31);
    let (count, log) =
        captured_log(|| service::log_overdue_acknowledgements(&mut conn, later, timeout));
    assert_eq!(count.unwrap(), 1);
    assert!(log.contains("ERROR"), "{log}");
    assert!(
        log.contains(&format!("payroll batch {fetched} was fetched by the payroll connector and not acknowledged within 30 minutes")),
        "{log}"
    );
    let overdue = service::overdue_acknowledgements(&mut conn, later, timeout).unwrap();
    assert_eq!(
        overdue.iter().map(|b| b.id.0).collect::<Vec<_>>(),
        vec![fetched]
    );

    let res = with_key(
        &app,
        Method::POST,
        "/api/v1/payroll/acknowledge",
        &key,
        Some(&json!({"batch_ids": [fetched]})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (count, _) =
        captured_log(|| service::log_overdue_acknowledgements(&mut conn, later, timeout));
    assert_eq!(count.unwrap(), 0, "acknowledged");
}

#[tokio::test]
async fn only_payroll_and_admin_export_and_the_connector_key_only_pulls() {
    let app = spawn().await;
    seed_golden(&mut app.db.connect());
    let admin = app.admin_token().await;
    let payroll = token(&app, "paula", &["payroll"]).await;
    let employee = token(&app, "emil", &["employee"]).await;
    let approver = token(&app, "anna", &["employee", "approver"]).await;
    let key = create_key(&app, "opus-agent").await;
    let batch = create_batch(&app, &admin, "2026-01-31", "csv").await["id"]
        .as_i64()
        .unwrap();
    let create = json!({"up_to": "2026-02-28", "format": "csv"});
    let cancel = json!({"reason": "x"});
    let ack = json!({"batch_ids": [batch]});
    let batch_routes: Vec<(Method, String, Option<&Value>)> = vec![
        (Method::GET, "/api/v1/payroll/batches".into(), None),
        (
            Method::POST,
            "/api/v1/payroll/batches".into(),
            Some(&create),
        ),
        (
            Method::GET,
            format!("/api/v1/payroll/batches/{batch}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/payroll/batches/{batch}/file"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/payroll/batches/{batch}/cancel"),
            Some(&cancel),
        ),
    ];
    let pull_routes: Vec<(Method, String, Option<&Value>)> = vec![
        (Method::GET, "/api/v1/payroll/pending".into(), None),
        (
            Method::POST,
            "/api/v1/payroll/acknowledge".into(),
            Some(&ack),
        ),
    ];
    for (method, path, body) in batch_routes.iter().chain(&pull_routes) {
        for token in [&employee, &approver] {
            let res = app.request(method.clone(), path, Some(token), *body).await;
            assert_problem(res, 403, "forbidden").await;
        }
        let res = app.request(method.clone(), path, None, *body).await;
        assert_problem(res, 401, "unauthenticated").await;
        let res = with_key(&app, method.clone(), path, "korsel_pk_not-a-key", *body).await;
        let status = res.status().as_u16();
        assert_eq!(status, 401, "{method} {path} with a bad key");
    }
    // The connector key opens the pull API and nothing else.
    for (method, path, body) in &batch_routes {
        let res = with_key(&app, method.clone(), path, &key, *body).await;
        assert_problem(res, 401, "unauthenticated").await;
    }
    let res = with_key(&app, Method::GET, "/api/v1/payroll/pending", &key, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Payroll and admin may do everything, the pull API included.
    for token in [&payroll, &admin] {
        let res = app.get("/api/v1/payroll/batches", Some(token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.get("/api/v1/payroll/pending", Some(token)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = app
        .post("/api/v1/payroll/acknowledge", Some(&payroll), &ack)
        .await;
    assert_eq!(
        json_of(res, StatusCode::OK).await["acknowledged"],
        json!([batch])
    );

    // A revoked key stops working at once.
    service::revoke_api_key(&mut app.db.connect(), "opus-agent").unwrap();
    let res = with_key(&app, Method::GET, "/api/v1/payroll/pending", &key, None).await;
    assert_problem(res, 401, "invalid-token").await;
}

#[tokio::test]
async fn bad_file_and_pull_parameters_are_422() {
    let app = spawn().await;
    seed_golden(&mut app.db.connect());
    let payroll = token(&app, "paula", &["payroll"]).await;
    let ind01 = create_batch(&app, &payroll, "2026-01-31", "kmd-ind01").await["id"]
        .as_i64()
        .unwrap();
    for query in ["?grouped=true", "?grouped=false", "?style=machine"] {
        let res = app
            .get(
                &format!("/api/v1/payroll/batches/{ind01}/file{query}"),
                Some(&payroll),
            )
            .await;
        assert_problem(res, 422, "validation-failed").await;
    }
    for query in ["?limit=0", "?limit=101"] {
        let res = app
            .get(&format!("/api/v1/payroll/pending{query}"), Some(&payroll))
            .await;
        assert_problem(res, 422, "validation-failed").await;
    }
    let res = app
        .get("/api/v1/payroll/batches/77/file", Some(&payroll))
        .await;
    assert_problem(res, 404, "not-found").await;
}
