//! Finding addresses the way people type them (issue 11 item 13): towns, islands and postcodes,
//! a house number whose only addresses carry a letter, a wash that keeps to the named place, and
//! an autocomplete answer posted as it is.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::addresses::import_body;
use crate::helpers::TestApp;
use crate::report_fixtures::{post_created, world_with};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/addresses");

async fn get(app: &TestApp, token: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path} {query:?}");
    res.json().await.unwrap()
}

fn labels(found: &Value) -> Vec<String> {
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["address"]["label"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn towns_islands_postcodes_and_lettered_numbers_are_found() {
    let w = world_with(false, |_| {}).await;
    let (app, admin) = (&w.app, &w.admin);
    import_body(
        app,
        admin,
        "",
        "text/csv",
        std::fs::read(format!("{FIXTURES}/dawa-fano-2015/adgangsadresser.csv")).unwrap(),
    )
    .await;
    // Tønder's addresses too: Strandvej 1 is in Bredebro.
    let gz = std::fs::read(format!("{FIXTURES}/dawa-tonder-2015/adresser.csv.gz")).unwrap();
    import_body(app, admin, "", "text/csv", gz).await;
    let complete = |q: &'static str| async move {
        get(app, admin, "/api/v1/addresses/autocomplete", &[("q", q)]).await
    };

    for (q, place) in [
        ("Nordby", "Nordby"),
        ("Fanø", "Fanø"),
        ("6720 Fanø", "6720 Fanø"),
    ] {
        let found = labels(&complete(q).await);
        assert!(!found.is_empty(), "{q}: nothing");
        assert!(found.iter().all(|l| l.contains(place)), "{q}: {found:?}");
    }
    let found = labels(&complete("Hovedgaden 1 6720").await);
    assert!(
        found
            .first()
            .is_some_and(|l| l.starts_with("Hovedgaden 1A,")),
        "{found:?}"
    );

    let washed = get(
        app,
        admin,
        "/api/v1/addresses/wash",
        &[("text", "Strandvej 1 Nordby 6720")],
    )
    .await;
    let label = washed["address"]["text"].as_str().unwrap();
    assert!(label.contains("6720"), "{washed}");
    assert!(!washed.to_string().contains("Bredebro"), "{washed}");

    // An answer's address is what a report stop takes, as it is.
    let first = complete("Hovedgaden 1 6720").await[0]["address"].clone();
    let second = complete("Sønderho Strandvej 1").await[0]["address"].clone();
    let report = post_created(
        app,
        &w.nina,
        "/api/v1/reports",
        json!({"employment_id": w.emp_nina, "rate_kind": "car_high", "drive_date": "2026-03-02",
               "purpose": "Hjemmebesøg", "distance_mode": "read", "typed_distance_m": 12_000,
               "remark": "aflæst", "route": [first, second]}),
    )
    .await;
    assert_eq!(report["route"][0], first, "{report}");
}
