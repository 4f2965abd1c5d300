//! Absurd values: rates of 1e308 kr/km, km of 9999999999, dates that do not exist, NUL bytes,
//! duplicated fields, and acting on reports and trips that are not one's own, on the pages and
//! on the JSON API. Each is refused (a Danish page or problem+json), and nothing is stored.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use super::assert_danish_page;
use crate::helpers::{spawn_app_with, ADMIN_PASSWORD};
use crate::report_fixtures::{read_report, world, World, PW};
use crate::web_payroll::rate_types;
use crate::web_session::{csrf, get_page, post_form, session};

/// How many reports `token`'s user has, as the API counts them.
async fn report_count(w: &World, token: &str) -> Value {
    let mine: Value = w
        .app
        .get("/api/v1/reports", Some(token))
        .await
        .json()
        .await
        .unwrap();
    mine["total"].clone()
}

#[tokio::test]
async fn absurd_rates_dates_and_fields_on_the_admin_and_payroll_forms_are_refused() {
    let app = spawn_app_with(|_| {}).await;
    let admin_token = app.admin_token().await;
    let admin = session(&app, "admin", ADMIN_PASSWORD).await;
    let token = csrf(&app, &admin).await;
    let before = rate_types(&app, &admin_token).await;
    let nul = "3,81\0";
    let long = "x".repeat(3_000);
    for (sats, fra, til, kind) in [
        ("1e308", "2030-01-01", "2030-12-31", "car_low"),
        ("-1", "2030-01-01", "2030-12-31", "car_low"),
        ("99999999999", "2030-01-01", "2030-12-31", "car_low"),
        ("1000,01", "2030-01-01", "2030-12-31", "car_low"),
        ("NaN", "2030-01-01", "2030-12-31", "car_low"),
        (nul, "2030-01-01", "2030-12-31", "car_low"),
        ("3,81", "2030-02-30", "2030-12-31", "car_low"),
        ("3,81", "0000-01-01", "0000-12-31", "car_low"),
        ("3,81", "99999-01-01", "99999-12-31", "car_low"),
        ("3,81", "2030-12-31", "2030-01-01", "car_low"),
        ("3,81", "2030-01-01", "2030-12-31", "rocket"),
        ("3,81", "", "", ""),
        (long.as_str(), long.as_str(), long.as_str(), long.as_str()),
    ] {
        let res = post_form(
            &app,
            "/admin/takster/ny",
            &admin,
            &[
                ("csrf", &token),
                ("kind", kind),
                ("fra", fra),
                ("til", til),
                ("sats", sats),
                ("tf", "1234"),
                ("beskrivelse", "angreb"),
            ],
        )
        .await;
        let what = format!("sats {sats:.20} {fra:.20}..{til:.20} {kind:.20}");
        let expected = if sats == nul {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_danish_page(res, expected, &what).await;
    }
    // A duplicated field counts once (the first), not as a sum or a concatenation.
    let res = post_form(
        &app,
        "/admin/takster/ny",
        &admin,
        &[
            ("csrf", &token),
            ("kind", "car_low"),
            ("fra", "2030-01-01"),
            ("til", "2030-12-31"),
            ("sats", "-1"),
            ("sats", "3,81"),
            ("tf", "1234"),
        ],
    )
    .await;
    assert_danish_page(res, StatusCode::UNPROCESSABLE_ENTITY, "duplicated sats").await;
    assert_eq!(
        rate_types(&app, &admin_token).await,
        before,
        "no rate type was stored"
    );

    // The TF-code form on the same page: ids and years that are nothing.
    for (id, year) in [
        ("abc", "2026"),
        ("-1", "0"),
        ("99999999999999999999", "99999"),
    ] {
        let tf = format!("tf-{id}");
        let res = post_form(
            &app,
            "/admin/takster/loenarter",
            &admin,
            &[("csrf", &token), ("id", id), (&tf, "9999"), ("aar", year)],
        )
        .await;
        let status = res.status();
        assert!(
            status.is_client_error() || status.is_redirection(),
            "{id}/{year}: {status}"
        );
    }
    assert_eq!(
        rate_types(&app, &admin_token).await,
        before,
        "no TF code changed"
    );

    // A payroll batch up to a date that does not exist, or in a made-up format.
    for (til, format) in [
        ("2026-02-30", "csv"),
        ("99999-01-01", "csv"),
        ("", ""),
        ("2026-11-30\0", "csv"),
    ] {
        let res = post_form(
            &app,
            "/loen/ny",
            &admin,
            &[("csrf", &token), ("til", til), ("format", format)],
        )
        .await;
        let status = res.status();
        assert!(status.is_client_error(), "{til:?} {format}: {status}");
    }
    let batches = get_page(&app, "/loen", &admin).await.text().await.unwrap();
    assert!(
        !batches.contains("/loen/koersler/1\""),
        "no batch was made: {batches}"
    );
}

#[tokio::test]
async fn absurd_report_forms_store_nothing_and_never_fail_with_a_500() {
    let w = world().await;
    let app = &w.app;
    let nina = session(app, "nina", PW).await;
    let token = csrf(app, &nina).await;
    let employment = w.emp_nina.to_string();
    let megabyte_less = "å".repeat(7_000);
    let base = |km: &'static str, date: &'static str| {
        vec![
            ("ansaettelse", employment.clone()),
            ("dato", date.to_string()),
            ("formaal", "Hjemmebesøg".to_string()),
            ("takst", "car_high".to_string()),
            ("afstand", "aflaest".to_string()),
            ("km", km.to_string()),
            ("bemaerkning", "aflæst".to_string()),
            ("knap", "gem".to_string()),
        ]
    };
    let mut cases: Vec<(String, Vec<(&str, String)>)> = Vec::new();
    for km in [
        "9999999999",
        "-5",
        "1e308",
        "NaN",
        "inf",
        "abc",
        "0",
        "",
        "12\0",
    ] {
        cases.push((format!("km {km:?}"), base(km, "2026-11-02")));
    }
    for date in [
        "2026-02-30",
        "0000-01-01",
        "99999-01-01",
        "02-11-2026",
        "i går",
        "",
    ] {
        cases.push((format!("dato {date:?}"), base("12", date)));
    }
    let mut huge = base("12", "2026-11-02");
    huge.push(("formaal", megabyte_less.clone()));
    huge.retain(|(k, v)| *k != "formaal" || v.len() > 100);
    cases.push(("a long purpose".into(), huge));
    let mut nul = base("12", "2026-11-02");
    nul.retain(|(k, _)| *k != "formaal");
    nul.push(("formaal", "Hjemme\0besøg".into()));
    cases.push(("NUL in the purpose".into(), nul));
    let mut foreign = base("12", "2026-11-02");
    foreign.retain(|(k, _)| *k != "ansaettelse");
    foreign.push(("ansaettelse", w.emp_otto.to_string()));
    cases.push(("otto's employment".into(), foreign));
    let mut stops = base("", "2026-11-02");
    stops.retain(|(k, _)| *k != "afstand");
    for (label, lat, lon) in [("Et sted", "NaN", "inf"), ("Et andet", "1e308", "-1e308")] {
        stops.push(("stop_label", label.into()));
        stops.push(("stop_id", "x".into()));
        stops.push(("stop_lat", lat.into()));
        stops.push(("stop_lon", lon.into()));
    }
    cases.push(("stops off the earth".into(), stops));
    cases.push(("nothing at all".into(), vec![]));

    for (what, fields) in cases {
        for path in ["/indberetninger/ny"] {
            let mut pairs: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            pairs.push(("csrf", &token));
            let res = post_form(app, path, &nina, &pairs).await;
            let status = res.status();
            assert!(status.is_client_error(), "{what}: {status}");
            let kind = res.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
            assert!(kind.starts_with("text/html"), "{what}: {kind}");
        }
    }
    assert_eq!(report_count(&w, &w.nina).await, 0, "nothing was stored");
}

#[tokio::test]
async fn approvers_act_only_on_what_they_approve_and_forged_selections_do_nothing() {
    let w = world().await;
    let app = &w.app;
    let report = w
        .create_submitted(
            &w.nina,
            read_report(w.emp_nina, "2026-11-02", "car_high", 12_000),
        )
        .await;
    let id = report["id"].as_i64().unwrap();
    let version = report["version"].as_i64().unwrap();
    let otto_trip = w.upload_trip(&w.otto, "2026-11-02T08:00:00Z", 120).await["id"]
        .as_i64()
        .unwrap();
    let olga = session(app, "olga", PW).await;
    let nina = session(app, "nina", PW).await;

    // olga approves Teknik, not nina: a forged bulk selection approves nothing.
    let token = csrf(app, &olga).await;
    let forged = format!("{id}:{version}");
    for valgt in [
        forged.as_str(),
        "abc:1",
        "-1:-1",
        "99999999999999999999:1",
        "1:",
        ":",
        "",
    ] {
        let res = post_form(
            app,
            "/godkendelse",
            &olga,
            &[("csrf", &token), ("valgt", valgt)],
        )
        .await;
        let status = res.status();
        assert!(
            status.is_success() || status.is_client_error(),
            "{valgt}: {status}"
        );
    }
    // ... and the single approval of it is a 404.
    let res = post_form(
        app,
        &format!("/indberetninger/{id}"),
        &olga,
        &[
            ("csrf", &token),
            ("handling", "godkend"),
            ("version", &version.to_string()),
        ],
    )
    .await;
    assert_danish_page(res, StatusCode::NOT_FOUND, "olga approves nina's").await;
    // lea approves nina: she sees the report, but editing it is nina's alone.
    let lea = session(app, "lea", PW).await;
    let shown = get_page(app, &format!("/indberetninger/{id}"), &lea).await;
    assert_eq!(shown.status(), StatusCode::OK, "lea sees what she approves");
    let edit = format!("/indberetninger/{id}/ret");
    assert_danish_page(
        get_page(app, &edit, &lea).await,
        StatusCode::NOT_FOUND,
        &edit,
    )
    .await;
    let token = csrf(app, &lea).await;
    let res = post_form(
        app,
        &edit,
        &lea,
        &[
            ("csrf", &token),
            ("knap", "gem"),
            ("formaal", "ændret af lederen"),
        ],
    )
    .await;
    assert_danish_page(res, StatusCode::NOT_FOUND, "lea edits nina's").await;
    assert_eq!(
        w.get(&w.nina, id).await["status"],
        "pending",
        "still waiting"
    );

    // nina cannot approve her own report, and odd actions and versions change nothing.
    let token = csrf(app, &nina).await;
    for (handling, version) in [
        ("godkend", "1"),
        ("bogus", "1"),
        ("traek-tilbage", "abc"),
        ("traek-tilbage", "99999999999999999999"),
        ("traek-tilbage", "-1"),
    ] {
        let res = post_form(
            app,
            &format!("/indberetninger/{id}"),
            &nina,
            &[
                ("csrf", &token),
                ("handling", handling),
                ("version", version),
            ],
        )
        .await;
        let status = res.status();
        assert!(
            status.is_client_error() || status == StatusCode::OK,
            "{handling} {version}: {status}"
        );
    }
    assert_eq!(
        w.get(&w.nina, id).await["status"],
        "pending",
        "still waiting"
    );

    // A report cannot be made from otto's trip.
    let res = get_page(app, &format!("/indberetninger/ny?tur={otto_trip}"), &nina).await;
    assert_danish_page(res, StatusCode::NOT_FOUND, "otto's trip in nina's form").await;
    let res = post_form(
        app,
        "/indberetninger/ny",
        &nina,
        &[
            ("csrf", &token),
            ("tur", &otto_trip.to_string()),
            ("knap", "gem"),
        ],
    )
    .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(report_count(&w, &w.nina).await, 1, "only the one report");
}

#[tokio::test]
async fn the_json_api_answers_absurd_input_with_problem_json_and_stores_nothing() {
    let w = world().await;
    let app = &w.app;
    let problem = |res: Response, status: u16, what: String| async move {
        assert_eq!(res.status().as_u16(), status, "{what}");
        assert_eq!(
            res.headers()[CONTENT_TYPE],
            "application/problem+json",
            "{what}"
        );
    };
    for id in ["abc", "-1", "99999999999999999999", "0"] {
        for path in [
            "/api/v1/reports",
            "/api/v1/trips",
            "/api/v1/payroll/batches",
        ] {
            let res = app.get(&format!("{path}/{id}"), Some(&w.admin)).await;
            problem(res, 404, format!("{path}/{id}")).await;
        }
    }
    for query in [
        "page=-1",
        "page=abc",
        "per_page=99999999999",
        "from=2026-02-30",
    ] {
        let res = app
            .get(&format!("/api/v1/reports?{query}"), Some(&w.admin))
            .await;
        assert!(res.status().is_client_error(), "{query}: {}", res.status());
        assert_eq!(
            res.headers()[CONTENT_TYPE],
            "application/problem+json",
            "{query}"
        );
    }
    for metres in [
        json!(9_999_999_999_i64),
        json!(-5),
        json!(1e308),
        json!("12"),
    ] {
        let mut body = read_report(w.emp_nina, "2026-11-02", "car_high", 0);
        body["typed_distance_m"] = metres.clone();
        let res = app.post("/api/v1/reports", Some(&w.nina), &body).await;
        problem(res, 422, format!("typed_distance_m {metres}")).await;
    }
    for date in ["2026-02-30", "0000-01-01", "+99999-01-01"] {
        let body = read_report(w.emp_nina, date, "car_high", 12_000);
        let res = app.post("/api/v1/reports", Some(&w.nina), &body).await;
        assert!(res.status().is_client_error(), "{date}: {}", res.status());
    }
    let mut nul = read_report(w.emp_nina, "2026-11-02", "car_high", 12_000);
    nul["purpose"] = json!("Hjemme\u{0}besøg");
    let res = app.post("/api/v1/reports", Some(&w.nina), &nul).await;
    problem(res, 422, "NUL in the purpose".into()).await;
    for ore in [
        json!(1e308),
        json!(-1),
        json!(100_001),
        json!(9_223_372_036_854_775_807_i64),
    ] {
        let body = json!({"kind": "car_low", "valid_from": "2031-01-01", "valid_to": "2031-12-31",
                          "description": "angreb", "tf_code": "1234", "ore_per_km": ore});
        let res = app.post("/api/v1/rate-types", Some(&w.admin), &body).await;
        problem(res, 422, format!("ore_per_km {ore}")).await;
    }
    for (from, to) in [("0000-01-01", "0000-12-31"), ("9999-01-01", "9999-12-31")] {
        let body = json!({"kind": "car_low", "valid_from": from, "valid_to": to,
                          "description": "angreb", "tf_code": "1234", "ore_per_km": 381});
        let res = app.post("/api/v1/rate-types", Some(&w.admin), &body).await;
        problem(res, 422, format!("rate period {from}..{to}")).await;
    }
    assert_eq!(report_count(&w, &w.nina).await, 0, "nothing was stored");
}
