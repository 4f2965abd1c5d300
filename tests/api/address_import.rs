//! Address imports are all or nothing (issue 11 item 2): a broken file stores nothing and names
//! its first bad row, invalid rows are skipped only on request, deactivating what a file lacks
//! refuses a mass deactivation unless allowed, a dry run stores nothing, and gzip files are
//! read as DAWA and Datafordeleren deliver them.

use std::io::Write;

use diesel::prelude::*;
use korsel::db::schema::access_addresses;
use serde_json::Value;

use crate::addresses::{import_body as imported, post_import};
use crate::helpers::{assert_problem, spawn_app, TestApp};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/addresses");
const FANO_ROWS: i64 = 4843;

fn fano_csv() -> String {
    std::fs::read_to_string(format!("{FIXTURES}/dawa-fano-2015/adgangsadresser.csv")).unwrap()
}

/// The header and the first `n` data rows of the Fanø export.
fn fano_head(n: usize) -> String {
    fano_csv()
        .lines()
        .take(n + 1)
        .map(|l| format!("{l}\n"))
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// (stored, active) access addresses, straight from the database.
fn counts(app: &TestApp) -> (i64, i64) {
    let mut conn = app.db.connect();
    let all = access_addresses::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    let active = access_addresses::table
        .filter(access_addresses::active.eq(true))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    (all, active)
}

/// The first 30 Fanø addresses as a DAWA JSON array (flat structure), as text.
fn thirty_as_json() -> String {
    let csv = fano_head(30);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let rows: Vec<Value> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            let object: serde_json::Map<String, Value> = headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), Value::String(v.to_string())))
                .collect();
            Value::Object(object)
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap()
}

#[tokio::test]
async fn a_truncated_json_array_stores_nothing_and_names_the_row() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let json = thirty_as_json();
    // Sanity: the whole array imports all 30.
    let whole = imported(
        &app,
        &admin,
        "?dry_run=true",
        "application/json",
        json.clone().into(),
    )
    .await;
    assert_eq!(whole["created"], 30, "{whole}");
    assert_eq!(counts(&app).0, 0, "a dry run stores nothing");

    let cut = json.as_bytes()[..json.len() - 40].to_vec();
    let res = post_import(&app, &admin, "", "application/json", cut).await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["row"], 30, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("row 30"),
        "{problem}"
    );
    assert_eq!(counts(&app).0, 0);
}

#[tokio::test]
async fn a_broken_csv_with_deactivate_missing_deactivates_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    imported(&app, &admin, "", "text/csv", fano_csv().into()).await;
    let before = counts(&app);
    assert_eq!(before.0, FANO_ROWS);

    // One good row and 1,500 of garbage.
    let mut garbage = fano_head(1);
    for i in 0..1500 {
        garbage.push_str(&format!("garbage {i},x\n"));
    }
    // The CSV cut in the middle of a line.
    let csv = fano_csv();
    let cut = csv[..csv.len() / 2].to_string();
    for (body, row) in [(garbage, 2), (cut.clone(), cut.lines().count() as i64 - 1)] {
        let res = post_import(
            &app,
            &admin,
            "?deactivate_missing=true",
            "text/csv",
            body.into(),
        )
        .await;
        let problem = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(problem["row"], row, "{problem}");
        assert_eq!(counts(&app), before, "{problem}");
    }
}

#[tokio::test]
async fn invalid_rows_refuse_the_file_unless_skipped_and_never_skipped_while_deactivating() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // Row 3 parses as CSV, but its id is no UUID.
    let mut lines: Vec<String> = fano_head(5).lines().map(str::to_string).collect();
    lines[3] = lines[3].replacen("0a3f", "zz3f", 1);
    let body = lines.join("\n") + "\n";

    let res = post_import(&app, &admin, "", "text/csv", body.clone().into()).await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["row"], 3, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("skip_invalid"),
        "{problem}"
    );
    assert_eq!(counts(&app).0, 0);

    let res = post_import(
        &app,
        &admin,
        "?skip_invalid=true&deactivate_missing=true",
        "text/csv",
        body.clone().into(),
    )
    .await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["field"], "skip_invalid");
    assert_eq!(counts(&app).0, 0);

    let s = imported(&app, &admin, "?skip_invalid=true", "text/csv", body.into()).await;
    assert_eq!(
        (s["created"].as_i64(), s["errors"].as_i64()),
        (Some(4), Some(1)),
        "{s}"
    );
    assert!(
        s["error_samples"][0].as_str().unwrap().contains("row 3"),
        "{s}"
    );
    assert_eq!(counts(&app).0, 4);
}

#[tokio::test]
async fn deactivating_more_than_the_allowed_share_is_refused_and_a_dry_run_counts_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    imported(&app, &admin, "", "text/csv", fano_csv().into()).await;
    // Half of the file, cut at a line boundary: a well-formed but incomplete export. (A few
    // addresses are inactive in the file itself.)
    let (stored, active) = counts(&app);
    let half = fano_head(FANO_ROWS as usize / 2);

    let res = post_import(
        &app,
        &admin,
        "?deactivate_missing=true",
        "text/csv",
        half.clone().into(),
    )
    .await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["field"], "deactivate_missing");
    let detail = problem["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains(&format!("of {active} active addresses")),
        "{detail}"
    );
    assert!(detail.contains("allow_mass_deactivation"), "{detail}");
    assert_eq!(counts(&app), (stored, active));

    let query = "?deactivate_missing=true&allow_mass_deactivation=true";
    let dry = imported(
        &app,
        &admin,
        &format!("{query}&dry_run=true"),
        "text/csv",
        half.clone().into(),
    )
    .await;
    assert_eq!(dry["dry_run"], true);
    let would = dry["deactivated"].as_i64().unwrap();
    assert!(would > active / 3, "{dry}");
    assert!(
        detail.contains(&format!("deactivate {would} of")),
        "{detail}"
    );
    assert_eq!(dry["active_before"], active, "{dry}");
    assert_eq!(counts(&app), (stored, active), "the dry run stored nothing");

    let done = imported(&app, &admin, query, "text/csv", half.into()).await;
    assert_eq!(done["deactivated"], would, "{done}");
    assert_eq!(counts(&app), (stored, active - would));

    // A small share (everything reactivated, then the last 10 rows missing) passes the
    // default 5 %.
    imported(&app, &admin, "", "text/csv", fano_csv().into()).await;
    let most = fano_head(FANO_ROWS as usize - 10);
    let s = imported(
        &app,
        &admin,
        "?deactivate_missing=true",
        "text/csv",
        most.into(),
    )
    .await;
    assert!(s["deactivated"].as_i64().unwrap() <= 10, "{s}");
}

#[tokio::test]
async fn gzip_files_import_through_the_endpoint() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let gz = gzip(fano_csv().as_bytes());
    let s = imported(&app, &admin, "", "application/gzip", gz.clone()).await;
    assert_eq!(s["created"], FANO_ROWS, "{s}");
    assert_eq!(s["format"], "csv");
    // A gzip body sent as the type of what it holds is read the same way.
    let again = imported(&app, &admin, "", "text/csv", gz).await;
    assert_eq!(again["unchanged"], FANO_ROWS, "{again}");
    let ndjson: String = serde_json::from_str::<Vec<Value>>(&thirty_as_json())
        .unwrap()
        .iter()
        .map(|v| format!("{v}\n"))
        .collect();
    let s = imported(
        &app,
        &admin,
        "",
        "application/x-ndjson",
        gzip(ndjson.as_bytes()),
    )
    .await;
    assert_eq!(s["unchanged"], 30, "{s}");
}
