//! The address registry through the real app: import (endpoint and CLI service), idempotency,
//! start-up index, endpoints, authorization, and the upstream fallback (wiremock).

use std::io::Read;
use std::time::Duration;

use korsel::services::addresses::{import_file, ImportFormat, ImportOptions};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{assert_problem, spawn_app, spawn_on, test_settings, TestApp, TestDb};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/addresses");
const FANO_FIRST: &str = "0a3f508d-d915-32b8-e044-0003ba298018";

fn fano_csv() -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/dawa-fano-2015/adgangsadresser.csv")).unwrap()
}

/// The Tønder `adresser` export, decompressed to a temporary file.
fn tonder_csv() -> tempfile::NamedTempFile {
    let gz = std::fs::File::open(format!("{FIXTURES}/dawa-tonder-2015/adresser.csv.gz")).unwrap();
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut text)
        .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

/// `POST /api/v1/addresses/import{query}` with `body` as a file of type `ctype`.
pub async fn post_import(
    app: &TestApp,
    token: &str,
    query: &str,
    ctype: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/addresses/import{query}")))
        .bearer_auth(token)
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// An import that must succeed; its summary.
pub async fn import_body(
    app: &TestApp,
    token: &str,
    query: &str,
    ctype: &str,
    body: Vec<u8>,
) -> Value {
    let res = post_import(app, token, query, ctype, body).await;
    let status = res.status();
    let summary: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{summary}");
    summary
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn fano_imports_through_the_endpoint_and_reimporting_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let first = import_body(&app, &admin, "", "text/csv", fano_csv()).await;
    assert_eq!(first["rows"], 4843, "{first}");
    assert_eq!(first["created"], 4843);
    assert_eq!(first["errors"], 0);
    assert_eq!(first["index_size"], 4843);

    let again = import_body(&app, &admin, "", "text/csv; charset=utf-8", fano_csv()).await;
    assert_eq!(again["created"], 0, "{again}");
    assert_eq!(again["updated"], 0);
    assert_eq!(again["unchanged"], 4843);
    assert_eq!(again["index_size"], 4843);

    // Lookup.
    let a = get_json(&app, &admin, &format!("/api/v1/addresses/{FANO_FIRST}")).await;
    assert_eq!(a["text"], "A B C Sti 1, Nordby, 6720 Fanø");
    assert_eq!(a["kind"], "access");
    assert_eq!(a["postnr"], "6720");
    assert_eq!(a["kommunekode"], "0563");
    let (lat, lon) = (a["lat"].as_f64().unwrap(), a["lon"].as_f64().unwrap());
    assert!((lat - 55.4454).abs() < 0.001 && (lon - 8.4018).abs() < 0.001);
    for bad in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let res = app
            .get(&format!("/api/v1/addresses/{bad}"), Some(&admin))
            .await;
        assert_problem(res, 404, "not-found").await;
    }

    // Reverse: an address's own point gives itself; far away is 404 with the radius.
    let r = get_json(
        &app,
        &admin,
        &format!("/api/v1/addresses/reverse?lat={lat}&lon={lon}"),
    )
    .await;
    assert_eq!(r["address"]["id"], FANO_FIRST);
    assert!(r["distance_m"].as_f64().unwrap() < 1.0);
    let res = app
        .get("/api/v1/addresses/reverse?lat=56.0&lon=10.0", Some(&admin))
        .await;
    let problem = assert_problem(res, 404, "not-found").await;
    assert_eq!(problem["radius_m"], 500.0);
    for bad in [
        "lat=91&lon=8",
        "lat=55&lon=181",
        "lat=NaN&lon=8",
        "lat=55&lon=inf",
    ] {
        let res = app
            .get(&format!("/api/v1/addresses/reverse?{bad}"), Some(&admin))
            .await;
        assert_problem(res, 422, "validation-failed").await;
    }

    // Autocomplete: partial, ASCII-folded, misspelt; ranked; limit.
    let top = |q: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            get_json(
                app,
                &admin,
                &format!("/api/v1/addresses/autocomplete?q={}", urlencode(q)),
            )
            .await
        }
    };
    let r = top("Sønderho Str").await;
    assert!(r[0]["address"]["label"]
        .as_str()
        .unwrap()
        .starts_with("Sønderho Strandvej "));
    assert_eq!(r[0]["match"], "exact_prefix");
    assert_eq!(r.as_array().unwrap().len(), 10);
    let r = top("sonderho strandvej 1").await;
    assert!(r[0]["address"]["label"]
        .as_str()
        .unwrap()
        .starts_with("Sønderho Strandvej 1,"));
    let r = top("kaaverdalen").await;
    assert!(
        r[0]["address"]["label"]
            .as_str()
            .unwrap()
            .starts_with("Kåverdalen "),
        "{r}"
    );
    let r = top("Hovedgadn 11").await;
    assert!(
        r[0]["address"]["label"]
            .as_str()
            .unwrap()
            .starts_with("Hovedgaden 11,"),
        "{r}"
    );
    assert_eq!(r[0]["match"], "typo");
    let scores: Vec<f64> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let r = get_json(&app, &admin, "/api/v1/addresses/autocomplete?q=s&limit=100").await;
    assert_eq!(r.as_array().unwrap().len(), 100);
    for bad in ["q=s&limit=0", "q=s&limit=101", "q=%20"] {
        let res = app
            .get(
                &format!("/api/v1/addresses/autocomplete?{bad}"),
                Some(&admin),
            )
            .await;
        assert_problem(res, 422, "validation-failed").await;
    }

    // Wash.
    let w = get_json(
        &app,
        &admin,
        &format!(
            "/api/v1/addresses/wash?text={}",
            urlencode("Sonderho Strandvej 1, 6720 Fano")
        ),
    )
    .await;
    assert!(["A", "B"].contains(&w["category"].as_str().unwrap()), "{w}");
    assert!(w["address"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Sønderho Strandvej 1,"));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn only_admins_import_and_anonymous_callers_get_401() {
    let app = spawn_app().await;
    app.create_user("sundhed", "a long password", &["employee"])
        .await;
    let employee = app.tokens("sundhed", "a long password").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .client
        .post(app.url("/api/v1/addresses/import"))
        .bearer_auth(&employee)
        .header("content-type", "text/csv")
        .body(fano_csv())
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .client
        .post(app.url("/api/v1/addresses/import"))
        .header("content-type", "text/csv")
        .body("id\n")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    for path in [
        "/api/v1/addresses/autocomplete?q=s",
        "/api/v1/addresses/reverse?lat=55.4&lon=8.4",
        "/api/v1/addresses/wash?text=Hovedgaden%201",
        "/api/v1/addresses/0a3f508d-d915-32b8-e044-0003ba298018",
    ] {
        assert_problem(app.get(path, None).await, 401, "unauthenticated").await;
    }
    // Employees read (an empty registry has nothing near).
    let res = app
        .get(
            "/api/v1/addresses/reverse?lat=55.4&lon=8.4",
            Some(&employee),
        )
        .await;
    assert_problem(res, 404, "not-found").await;

    let admin = app.admin_token().await;
    let res = app
        .client
        .post(app.url("/api/v1/addresses/import"))
        .bearer_auth(&admin)
        .header("content-type", "application/xml")
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported-media-type").await;
    let res = app
        .client
        .post(app.url("/api/v1/addresses/import"))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation-failed").await;
}

#[tokio::test]
async fn a_full_import_can_deactivate_missing_addresses() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    import_body(&app, &admin, "", "text/csv", fano_csv()).await;
    let csv = String::from_utf8(fano_csv()).unwrap();
    let first_ten: String = csv.lines().take(11).map(|l| format!("{l}\n")).collect();
    let s = import_body(
        &app,
        &admin,
        "?deactivate_missing=true&allow_mass_deactivation=true",
        "text/csv",
        first_ten.into_bytes(),
    )
    .await;
    assert_eq!(s["unchanged"], 10, "{s}");
    assert_eq!(s["deactivated"], 4833);
    assert_eq!(s["index_size"], 10);
    // Importing everything again brings them back.
    let s = import_body(&app, &admin, "", "text/csv", fano_csv()).await;
    assert_eq!(s["updated"], 4833, "{s}");
    assert_eq!(s["index_size"], 4843);
}

#[tokio::test]
async fn nested_json_imports_and_matches_the_csv() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    import_body(&app, &admin, "", "text/csv", fano_csv()).await;
    let json = std::fs::read(format!(
        "{FIXTURES}/dawa-fano-2015/adgangsadresser-nested-sample.json"
    ))
    .unwrap();
    let s = import_body(&app, &admin, "", "application/json", json).await;
    assert_eq!(s["rows"], 60, "{s}");
    assert_eq!(s["errors"], 0, "{s}");
    assert_eq!(s["created"], 0, "{s}");
}

/// The CLI's service imports Tønder's `adresser` (units with floor/door) from the gzip file
/// DAWA delivers, then its decompressed CSV changes nothing; the app, started afterwards, builds its index from the database and resolves units to access addresses.
#[tokio::test]
async fn tonder_units_import_via_the_cli_service_and_resolve() {
    let db = TestDb::new();
    let file = tonder_csv();
    let (unit_id, access_id) = {
        let mut rdr = csv::Reader::from_path(file.path()).unwrap();
        let headers = rdr.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (id, aid, etage) = (col("id"), col("adgangsadresseid"), col("etage"));
        let row = rdr
            .records()
            .map(|r| r.unwrap())
            .find(|r| !r[etage].is_empty())
            .expect("a unit with a floor");
        (row[id].to_string(), row[aid].to_string())
    };
    {
        korsel::db::Database::connect(&db.url)
            .unwrap()
            .migrate()
            .unwrap();
        let mut conn = db.connect();
        // DAWA delivers the file gzip-compressed: it is read as it is.
        let gz = format!("{FIXTURES}/dawa-tonder-2015/adresser.csv.gz");
        let s = import_file(
            &mut conn,
            gz.as_ref(),
            ImportFormat::Auto,
            &ImportOptions::default(),
            |_| {},
        )
        .unwrap();
        assert_eq!(s.errors, 0, "{:?}", s.error_samples);
        assert!(s.units_created > 20_000, "{s:?}");
        assert!(s.created > 10_000, "{s:?}");
        let again = import_file(
            &mut conn,
            file.path(),
            ImportFormat::Csv,
            &ImportOptions::default(),
            |_| {},
        )
        .unwrap();
        assert_eq!(again.created + again.updated, 0, "{again:?}");
        assert_eq!(again.units_created + again.units_updated, 0, "{again:?}");
        assert_eq!(again.unchanged, s.created);
        assert_eq!(again.units_unchanged, s.units_created);
    }
    let settings = test_settings(&db);
    let app = spawn_on(db, settings).await;
    let admin = app.admin_token().await;
    let unit = get_json(&app, &admin, &format!("/api/v1/addresses/{unit_id}")).await;
    assert_eq!(unit["kind"], "unit", "{unit}");
    assert_eq!(unit["access_address_id"], access_id);
    assert!(unit["etage"].is_string());
    let access = get_json(&app, &admin, &format!("/api/v1/addresses/{access_id}")).await;
    assert_eq!(access["kind"], "access");
    assert_eq!(access["vejnavn"], unit["vejnavn"]);
    assert!(unit["text"].as_str().unwrap().starts_with(&format!(
        "{} {},",
        access["vejnavn"].as_str().unwrap(),
        access["husnr"].as_str().unwrap()
    )));
}

/// Seeds Fanø through the service, then starts the app against a mock upstream.
async fn app_with_upstream(server: &MockServer) -> TestApp {
    let db = TestDb::new();
    korsel::db::Database::connect(&db.url)
        .unwrap()
        .migrate()
        .unwrap();
    {
        let mut conn = db.connect();
        let path = format!("{FIXTURES}/dawa-fano-2015/adgangsadresser.csv");
        import_file(
            &mut conn,
            path.as_ref(),
            ImportFormat::Csv,
            &ImportOptions::default(),
            |_| {},
        )
        .unwrap();
    }
    let mut settings = test_settings(&db);
    settings.addresses.upstream_url = Some(server.uri());
    settings.addresses.upstream_timeout = Duration::from_millis(300);
    spawn_on(db, settings).await
}

fn mini() -> Value {
    // dawa.md §3.1, the `struktur=mini` adgangsadresse.
    json!({
        "betegnelse": "Hovedvejen 292, Boruphuse, 4320 Lejre",
        "id": "0a3f5081-c2b5-32b8-e044-0003ba298018",
        "href": "http://dawa/adgangsadresser/0a3f5081-c2b5-32b8-e044-0003ba298018",
        "status": 1, "darstatus": 3, "vejkode": "0298", "vejnavn": "Hovedvejen",
        "adresseringsvejnavn": "Hovedvejen", "husnr": "292", "supplerendebynavn": "Boruphuse",
        "postnr": "4320", "postnrnavn": "Lejre", "stormodtagerpostnr": null,
        "stormodtagerpostnrnavn": null, "kommunekode": "0350",
        "x": 11.92601822, "y": 55.53827297
    })
}

#[tokio::test]
async fn upstream_answers_are_parsed_from_the_real_shapes() {
    let server = MockServer::start().await;
    let mut suggestion = mini();
    suggestion.as_object_mut().unwrap().remove("betegnelse");
    Mock::given(method("GET"))
        .and(path("/adgangsadresser/autocomplete"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"tekst": "Hovedvejen 292, Boruphuse, 4320 Lejre", "adgangsadresse": suggestion}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/adgangsadresser/reverse"))
        .respond_with(ResponseTemplate::new(200).set_body_json(mini()))
        .mount(&server)
        .await;
    let nested: Value = serde_json::from_slice(
        &std::fs::read(format!(
            "{FIXTURES}/dawa-fano-2015/adgangsadresser-nested-sample.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let nested_first = nested[0].clone();
    let other_id = "11111111-2222-3333-4444-555555555555";
    let mut moved = nested_first.clone();
    moved["id"] = json!(other_id);
    Mock::given(method("GET"))
        .and(path(format!("/adgangsadresser/{other_id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(moved))
        .mount(&server)
        .await;
    let app = app_with_upstream(&server).await;
    let admin = app.admin_token().await;

    let r = get_json(
        &app,
        &admin,
        "/api/v1/addresses/autocomplete?q=hovedvejen%20292",
    )
    .await;
    assert_eq!(
        r[0]["address"]["registry_address_id"], "0a3f5081-c2b5-32b8-e044-0003ba298018",
        "{r}"
    );
    assert_eq!(
        r[0]["address"]["label"],
        "Hovedvejen 292, Boruphuse, 4320 Lejre"
    );
    assert_eq!(r[0]["match"], "upstream");
    assert_eq!(r[0]["kommunekode"], "0350");
    assert_eq!(r[0]["address"]["latitude"], 55.53827297);

    let r = get_json(
        &app,
        &admin,
        "/api/v1/addresses/reverse?lat=55.5383&lon=11.9260",
    )
    .await;
    assert_eq!(
        r["address"]["text"], "Hovedvejen 292, Boruphuse, 4320 Lejre",
        "{r}"
    );
    assert!(r["distance_m"].as_f64().unwrap() < 50.0);

    // Known locally: answered from the index; unknown locally: the nested shape upstream.
    let r = get_json(&app, &admin, &format!("/api/v1/addresses/{other_id}")).await;
    assert_eq!(r["text"], "A B C Sti 1, Nordby, 6720 Fanø", "{r}");
    assert_eq!(r["postnr"], "6720");
    assert_eq!(r["kommunekode"], "0563");
    assert_eq!(r["lon"], 8.40179905638495);
}

async fn assert_falls_back(template: ResponseTemplate) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/adgangsadresser/.*"))
        .respond_with(template)
        .mount(&server)
        .await;
    let app = app_with_upstream(&server).await;
    let admin = app.admin_token().await;
    for _ in 0..2 {
        let r = get_json(
            &app,
            &admin,
            "/api/v1/addresses/autocomplete?q=Hovedgadn%2011",
        )
        .await;
        assert!(
            r[0]["address"]["label"]
                .as_str()
                .unwrap()
                .starts_with("Hovedgaden 11,"),
            "{r}"
        );
        assert_eq!(r[0]["match"], "typo");
        let r = get_json(
            &app,
            &admin,
            "/api/v1/addresses/reverse?lat=55.4454387&lon=8.4017991",
        )
        .await;
        assert_eq!(r["address"]["id"], FANO_FIRST);
    }
    // After the first failure the upstream is left alone for a while: the second round did
    // not ask it again.
    let asked = server.received_requests().await.unwrap().len();
    assert!((1..=3).contains(&asked), "{asked} upstream requests");
}

#[tokio::test]
async fn upstream_410_gone_falls_back_to_the_local_index() {
    assert_falls_back(ResponseTemplate::new(410).set_body_json(json!({"type": "Gone"}))).await;
}

#[tokio::test]
async fn upstream_429_falls_back_to_the_local_index() {
    assert_falls_back(ResponseTemplate::new(429).set_body_json(json!({
        "type": "Afvist",
        "title": "Maximum på antal samtidige requests til DAWA overskredet"
    })))
    .await;
}

#[tokio::test]
async fn upstream_timeout_falls_back_to_the_local_index() {
    assert_falls_back(
        ResponseTemplate::new(200)
            .set_body_json(json!([]))
            .set_delay(Duration::from_secs(3)),
    )
    .await;
}
