//! Payroll export: batches on both backends (exactly once, also under concurrency and injected
//! failure), files byte for byte against golden files, cancelling, and the IND01 settings. The
//! pull API with its connector key: `payroll/connector.rs`.

mod connector;
mod fixture;

use std::time::Duration;

use diesel::prelude::*;
use korsel::config::Settings;
use korsel::db::schema::{payroll_batches, payroll_ledger, payroll_lines, persons, report_events};
use korsel::db::DbConnection;
use korsel::services::payroll::{self as service, Actor, CreateBatch};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app_with, TestApp};
use fixture::{date, state_of, Seeder, APPROVED_VERSION};

const PW: &str = "a long password";

/// An audit event: action, from status, to status, version, comment.
type Event = (String, Option<String>, String, i64, Option<String>);

/// The OS2 reference test's IND01 settings (`FileRecordTest.cs`): municipality 123, employment
/// type 9, extra number 5.
fn reference_settings(settings: &mut Settings) {
    settings.payroll.municipality_number = Some(123);
    settings.payroll.employment_type = 9;
    settings.payroll.extra_number = 5;
}

async fn spawn() -> TestApp {
    spawn_app_with(reference_settings).await
}

async fn token(app: &TestApp, name: &str, roles: &[&str]) -> String {
    app.create_user(name, PW, roles).await;
    app.tokens(name, PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn json_of(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

async fn create_batch(app: &TestApp, token: &str, up_to: &str, format: &str) -> Value {
    let res = app
        .post(
            "/api/v1/payroll/batches",
            Some(token),
            &json!({"up_to": up_to, "format": format}),
        )
        .await;
    json_of(res, StatusCode::CREATED).await
}

async fn file(app: &TestApp, token: &str, batch: i64, query: &str) -> (String, Vec<u8>) {
    let res = app
        .get(
            &format!("/api/v1/payroll/batches/{batch}/file{query}"),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    (content_type, res.bytes().await.unwrap().to_vec())
}

fn golden(name: &str, actual: &[u8]) {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        String::from_utf8_lossy(actual),
        String::from_utf8_lossy(&expected),
        "{path} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)"
    );
}

/// The fixed data set of the golden files, in the spirit of `src/payroll/golden_tests.rs`:
/// 1. the OS2 reference line's data (IND01 must give it byte for byte);
/// 2. æøå in the name, `;` and quotes in the purpose;
/// 3. a report split at the 20,000 km threshold (1111 high, 2222 low);
/// 4. a bicycle report in the next month;
/// 5. a rate type with a second TF code (3333, km only), a newline in the purpose;
/// 6. a purpose Excel would read as a formula, another employment;
///
/// then what a batch up to 2026-02-28 must leave alone: an approved report after that date and
/// a pending report.
fn seed_golden(conn: &mut DbConnection) -> Vec<i64> {
    let mut s = Seeder::new(conn);
    // Not a valid birth date (day 85): the reference test's CPR, inserted as it is.
    let test = s.employee("Test", Some("8512481230"), "1");
    let soren = s.employee("Søren Ærø Ålund", Some("0101901111"), "000123");
    let bjorn = s.employee("Bjørn Kærgård", Some("0202902222"), "4567");
    vec![
        s.approved(
            test,
            "2020-01-27",
            "Reference",
            123_500,
            &[("6666", 123_500, 394, 48_659)],
        ),
        s.approved(
            soren,
            "2026-01-05",
            "Møde på rådhuset; budget \"2026\"",
            23_450,
            &[("1111", 23_450, 394, 9_239)],
        ),
        s.approved(
            soren,
            "2026-01-20",
            "Hjemmebesøg, Åbyhøj",
            50_000,
            &[("1111", 20_000, 394, 7_880), ("2222", 30_000, 228, 6_840)],
        ),
        s.approved(
            soren,
            "2026-02-10",
            "Cykel til Ørnereden",
            6_200,
            &[("4444", 6_200, 64, 397)],
        ),
        s.approved(
            bjorn,
            "2026-02-03",
            "Tilsyn\nDag 2",
            8_000,
            &[("1111", 8_000, 394, 3_152), ("3333", 8_000, 0, 0)],
        ),
        s.approved(
            bjorn,
            "2026-01-12",
            "=1+1 kursus i Ærøskøbing",
            12_345,
            &[("1111", 12_345, 394, 4_864)],
        ),
        s.approved(
            bjorn,
            "2026-03-01",
            "After the period",
            1_000,
            &[("1111", 1_000, 394, 394)],
        ),
        s.report(
            bjorn,
            "pending",
            "2026-01-02",
            "Not approved",
            1_000,
            &[("1111", 1_000, 394, 394)],
        ),
    ]
}

#[tokio::test]
async fn batch_files_match_the_golden_files_and_download_identically() {
    let app = spawn().await;
    let reports = seed_golden(&mut app.db.connect());
    let payroll = token(&app, "paula", &["payroll"]).await;

    let batch = create_batch(&app, &payroll, "2026-02-28", "kmd-ind01").await;
    assert_eq!(batch["format"], "kmd-ind01");
    assert_eq!(batch["status"], "open");
    assert_eq!(batch["created_by"], "paula");
    assert_eq!(batch["report_count"], 6);
    assert_eq!(batch["line_count"], 8);
    // 123.5 + 23.45 + 50 + 6.2 + 8 + 12.345 km; the second TF code adds no km.
    assert_eq!(batch["total_distance_m"], 223_495);
    assert_eq!(
        batch["total_amount_ore"],
        48_659 + 9_239 + 14_720 + 397 + 3_152 + 4_864
    );
    let id = batch["id"].as_i64().unwrap();

    let (content_type, ind01) = file(&app, &payroll, id, "").await;
    assert_eq!(content_type, "text/plain; charset=utf-8");
    golden("api_batch_ind01.txt", &ind01);
    let text = String::from_utf8(ind01.clone()).unwrap();
    // OS2 FileRecordTest.cs, first reference line, through the whole pipeline.
    assert!(
        text.contains("\r\nDA6012398512481230566660123500000000             310120\r\n"),
        "{text}"
    );
    assert!(text.split_terminator("\r\n").all(|l| l.len() == 55));
    assert_eq!(text.split_terminator("\r\n").count(), 7);

    // The file is the batch's snapshot: a renamed person and changed settings change nothing.
    diesel::update(persons::table)
        .set(persons::name.eq("Renamed"))
        .execute(&mut *app.db.connect())
        .unwrap();
    assert_eq!(file(&app, &payroll, id, "").await.1, ind01);

    // The same reports again, as CSV: cancel, then batch anew.
    let res = app
        .post(
            &format!("/api/v1/payroll/batches/{id}/cancel"),
            Some(&payroll),
            &json!({"reason": "wrong format"}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let mut conn = app.db.connect();
    for (ext, name) in [
        ("P-1", "Test"),
        ("P-000123", "Søren Ærø Ålund"),
        ("P-4567", "Bjørn Kærgård"),
    ] {
        diesel::update(persons::table.filter(persons::external_id.eq(ext)))
            .set(persons::name.eq(name))
            .execute(&mut *conn)
            .unwrap();
    }
    let csv = create_batch(&app, &payroll, "2026-02-28", "csv").await;
    assert_eq!(csv["report_count"], 6);
    let csv_id = csv["id"].as_i64().unwrap();
    let (content_type, detail) = file(&app, &payroll, csv_id, "").await;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    golden("api_batch.csv", &detail);
    golden(
        "api_batch_grouped.csv",
        &file(&app, &payroll, csv_id, "?grouped=true").await.1,
    );
    let machine = file(&app, &payroll, csv_id, "?style=machine").await.1;
    golden("api_batch_machine.csv", &machine);
    for bytes in [&detail, &machine] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("8512481230") && !text.contains("CPR"),
            "no CPR: {text}"
        );
    }
    assert_eq!(
        file(&app, &payroll, csv_id, "").await.1,
        detail,
        "re-download"
    );
    // Outside the period or not approved: untouched.
    for report in &reports[6..] {
        assert_eq!(state_of(&mut conn, *report).1, APPROVED_VERSION);
    }
    assert_eq!(state_of(&mut conn, reports[7]).0, "pending");
}

#[tokio::test]
async fn csv_carries_the_cpr_only_when_the_setting_asks() {
    let app = spawn_app_with(|s| s.payroll.csv_include_cpr = true).await;
    seed_golden(&mut app.db.connect());
    let payroll = token(&app, "paula", &["payroll"]).await;
    let id = create_batch(&app, &payroll, "2026-02-28", "csv").await["id"]
        .as_i64()
        .unwrap();
    let text = String::from_utf8(file(&app, &payroll, id, "?style=machine").await.1).unwrap();
    assert!(
        text.starts_with("Medarbejdernummer;Navn;CPR;TF-kode;"),
        "{text}"
    );
    assert!(text.contains(";Test;8512481230;6666;"), "{text}");
}

async fn batches_of(conn: &mut DbConnection) -> Vec<(i64, i64)> {
    payroll_ledger::table
        .filter(payroll_ledger::released_at.is_null())
        .select((payroll_ledger::report_id, payroll_ledger::batch_id))
        .order(payroll_ledger::report_id)
        .load(conn)
        .unwrap()
}

#[tokio::test]
async fn eight_parallel_batches_put_every_report_in_exactly_one() {
    let app = spawn().await;
    let reports: Vec<i64> = {
        let mut conn = app.db.connect();
        let mut s = Seeder::new(&mut conn);
        let people: Vec<_> = (0..5)
            .map(|i| s.employee(&format!("P{i}"), Some("0101901234"), &format!("E{i}")))
            .collect();
        (0..60)
            .map(|i| {
                let day = format!("2026-01-{:02}", i % 28 + 1);
                s.approved(
                    people[i % 5],
                    &day,
                    "x",
                    1_000,
                    &[("1111", 1_000, 394, 394)],
                )
            })
            .collect()
    };
    let payroll = token(&app, "paula", &["payroll"]).await;
    let mut calls = Vec::new();
    for i in 0..8 {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/payroll/batches"),
            payroll.clone(),
        );
        let format = if i % 2 == 0 { "csv" } else { "kmd-ind01" };
        calls.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"up_to": "2026-01-31", "format": format}))
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }));
    }
    let mut counts = Vec::new();
    for call in calls {
        let (status, body) = call.await.unwrap();
        match status {
            StatusCode::CREATED => counts.push(body["report_count"].as_i64().unwrap()),
            StatusCode::CONFLICT => assert_eq!(body["type"], "urn:korsel:problem:conflict"),
            other => panic!("{other}: {body}"),
        }
    }
    counts.sort_unstable();
    assert_eq!(counts.iter().sum::<i64>(), 60, "{counts:?}");
    assert_eq!(
        counts.last(),
        Some(&60),
        "one batch takes them all: {counts:?}"
    );

    let mut conn = app.db.connect();
    let live = batches_of(&mut conn).await;
    assert_eq!(live.iter().map(|(r, _)| *r).collect::<Vec<_>>(), reports);
    let all_rows: i64 = payroll_ledger::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(all_rows, 60, "no report in a second batch, live or not");
    for report in &reports {
        assert_eq!(
            state_of(&mut conn, *report),
            ("exported".to_string(), APPROVED_VERSION + 1)
        );
    }
    let events: i64 = report_events::table
        .filter(report_events::action.eq("export"))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(events, 60);
}

#[tokio::test]
async fn a_failure_before_the_commit_leaves_no_batch_and_moves_no_report() {
    let app = spawn().await;
    let mut conn = app.db.connect();
    let reports: Vec<i64> = {
        let mut s = Seeder::new(&mut conn);
        let who = s.employee("Anne", Some("0101901234"), "7");
        (1..=3)
            .map(|d| {
                s.approved(
                    who,
                    &format!("2026-05-0{d}"),
                    "x",
                    5_000,
                    &[("1111", 5_000, 394, 1_970)],
                )
            })
            .collect()
    };
    let input = CreateBatch {
        up_to: date("2026-05-31"),
        format: korsel::payroll::PayrollFormat::KmdInd01,
    };
    let settings = {
        let mut s = Settings::with_database(app.db.url.clone());
        reference_settings(&mut s);
        s.payroll
    };
    let err = service::create_batch(&mut conn, &input, Actor::CommandLine, &settings, true)
        .expect_err("the injected failure");
    assert!(err.to_string().contains("injected"), "{err}");

    let batches: i64 = payroll_batches::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    let ledger: i64 = payroll_ledger::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    let lines: i64 = payroll_lines::table.count().get_result(&mut *conn).unwrap();
    let events: i64 = report_events::table.count().get_result(&mut *conn).unwrap();
    assert_eq!((batches, ledger, lines, events), (0, 0, 0, 0));
    for report in &reports {
        assert_eq!(
            state_of(&mut conn, *report),
            ("approved".to_string(), APPROVED_VERSION)
        );
    }

    // Nothing is left locked or half-done: the same batch goes through afterwards.
    let batch =
        service::create_batch(&mut conn, &input, Actor::CommandLine, &settings, false).unwrap();
    assert_eq!(batch.report_count, 3);
    assert_eq!(batch.created_by, "command line");
    assert_eq!(state_of(&mut conn, reports[0]).0, "exported");
}

#[tokio::test]
async fn an_empty_period_gives_an_empty_batch() {
    let app = spawn().await;
    seed_golden(&mut app.db.connect());
    let payroll = token(&app, "paula", &["payroll"]).await;
    let batch = create_batch(&app, &payroll, "2019-12-31", "csv").await;
    assert_eq!(
        (
            batch["report_count"].as_i64(),
            batch["total_amount_ore"].as_i64()
        ),
        (Some(0), Some(0))
    );
    let (_, bytes) = file(&app, &payroll, batch["id"].as_i64().unwrap(), "").await;
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(
        text.split_terminator("\r\n").count(),
        1,
        "header only: {text}"
    );
    assert!(text.contains("Medarbejdernummer;Navn;TF-kode"));
}

#[tokio::test]
async fn cancelling_returns_the_reports_and_is_audited() {
    let app = spawn().await;
    let reports = seed_golden(&mut app.db.connect());
    let admin = app.admin_token().await;
    let payroll = token(&app, "paula", &["payroll"]).await;
    let id = create_batch(&app, &payroll, "2026-02-28", "csv").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/payroll/batches/{id}/cancel");

    let res = app
        .post(&path, Some(&admin), &json!({"reason": "  "}))
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let res = app
        .post(&path, Some(&admin), &json!({"reason": "Forkert periode"}))
        .await;
    let batch = json_of(res, StatusCode::OK).await;
    assert_eq!(batch["status"], "cancelled");
    assert_eq!(batch["cancelled_by"], "admin");
    assert_eq!(batch["cancel_reason"], "Forkert periode");
    let res = app
        .post(&path, Some(&admin), &json!({"reason": "again"}))
        .await;
    assert_problem(res, 409, "conflict").await;

    let mut conn = app.db.connect();
    for report in &reports[..6] {
        assert_eq!(
            state_of(&mut conn, *report),
            ("approved".to_string(), APPROVED_VERSION + 2),
            "exported, then back"
        );
        let events: Vec<Event> = report_events::table
            .filter(report_events::report_id.eq(report))
            .order(report_events::id)
            .select((
                report_events::action,
                report_events::from_status,
                report_events::to_status,
                report_events::version,
                report_events::comment,
            ))
            .load(&mut *conn)
            .unwrap();
        assert_eq!(
            events,
            vec![
                (
                    "export".into(),
                    Some("approved".into()),
                    "exported".into(),
                    APPROVED_VERSION + 1,
                    Some(format!("payroll batch {id}"))
                ),
                (
                    "cancel_export".into(),
                    Some("exported".into()),
                    "approved".into(),
                    APPROVED_VERSION + 2,
                    Some(format!("payroll batch {id} cancelled: Forkert periode"))
                ),
            ]
        );
    }
    // The released reports go into the next batch; the cancelled batch keeps its history.
    let next = create_batch(&app, &payroll, "2026-02-28", "csv").await;
    assert_eq!(next["report_count"], 6);
    let history: i64 = payroll_ledger::table
        .filter(payroll_ledger::batch_id.eq(id))
        .filter(payroll_ledger::released_at.is_not_null())
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(history, 6);
    let res = app
        .get(
            &format!("/api/v1/payroll/batches/{id}/file"),
            Some(&payroll),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a cancelled batch's file stays readable"
    );
}

#[tokio::test]
async fn list_and_detail_show_who_when_and_the_totals() {
    let app = spawn().await;
    seed_golden(&mut app.db.connect());
    let payroll = token(&app, "paula", &["payroll"]).await;
    let first = create_batch(&app, &payroll, "2026-01-31", "kmd-ind01").await;
    let second = create_batch(&app, &payroll, "2026-02-28", "csv").await;
    assert_eq!(first["report_count"], 4);
    assert_eq!(second["report_count"], 2);

    let list = json_of(
        app.get("/api/v1/payroll/batches?per_page=1", Some(&payroll))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], second["id"], "newest first");
    assert_eq!(list["items"][0]["created_by"], "paula");
    assert!(list["items"][0]["created_at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    let id = first["id"].as_i64().unwrap();
    let detail = json_of(
        app.get(
            &format!("/api/v1/payroll/batches/{id}?per_page=3"),
            Some(&payroll),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail["id"], id);
    assert_eq!(
        detail["totals"],
        json!([
            {"employment_number": "000123", "person_name": "Søren Ærø Ålund", "tf_code": "1111",
             "report_count": 2, "distance_m": 43_450, "amount_ore": 17_119},
            {"employment_number": "000123", "person_name": "Søren Ærø Ålund", "tf_code": "2222",
             "report_count": 1, "distance_m": 30_000, "amount_ore": 6_840},
            {"employment_number": "1", "person_name": "Test", "tf_code": "6666",
             "report_count": 1, "distance_m": 123_500, "amount_ore": 48_659},
            {"employment_number": "4567", "person_name": "Bjørn Kærgård", "tf_code": "1111",
             "report_count": 1, "distance_m": 12_345, "amount_ore": 4_864},
        ])
    );
    assert_eq!(detail["reports"]["total"], 4);
    let dates: Vec<&str> = detail["reports"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["drive_date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-01-05", "2026-01-20", "2020-01-27"]);
    let res = app.get("/api/v1/payroll/batches/999", Some(&payroll)).await;
    assert_problem(res, 404, "not-found").await;
}

#[tokio::test]
async fn ind01_needs_its_settings_and_a_cpr_for_everybody() {
    let app = spawn_app_with(|_| {}).await;
    let report = {
        let mut conn = app.db.connect();
        let mut s = Seeder::new(&mut conn);
        let who = s.employee("Uden CPR", None, "9");
        s.approved(who, "2026-01-05", "x", 1_000, &[("1111", 1_000, 394, 394)])
    };
    let payroll = token(&app, "paula", &["payroll"]).await;
    let body = json!({"up_to": "2026-01-31", "format": "kmd-ind01"});
    let res = app
        .post("/api/v1/payroll/batches", Some(&payroll), &body)
        .await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("KORSEL_PAYROLL_MUNICIPALITY_NUMBER"));
    let res = app
        .post(
            "/api/v1/payroll/batches",
            Some(&payroll),
            &json!({"up_to": "2026-01-31", "format": "sd"}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;

    let app = spawn().await;
    let report_2 = {
        let mut conn = app.db.connect();
        let mut s = Seeder::new(&mut conn);
        let who = s.employee("Uden CPR", None, "9");
        s.approved(who, "2026-01-05", "x", 1_000, &[("1111", 1_000, 394, 394)])
    };
    assert_eq!(report, report_2);
    let payroll = token(&app, "paula", &["payroll"]).await;
    let res = app
        .post("/api/v1/payroll/batches", Some(&payroll), &body)
        .await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("no CPR"),
        "{problem}"
    );
    let mut conn = app.db.connect();
    let batches: i64 = payroll_batches::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(batches, 0);
    assert_eq!(state_of(&mut conn, report).0, "approved");
    // CSV needs no CPR.
    assert_eq!(
        create_batch(&app, &payroll, "2026-01-31", "csv").await["report_count"],
        1
    );
}
