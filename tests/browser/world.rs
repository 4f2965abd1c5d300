//! The organisation of the report tests (`report_fixtures::world`), with its map's four
//! places in the address registry, so that the report form's autocomplete finds them.

use korsel::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::report_fixtures::{world_with, Place, World, CITIZEN_A, CITIZEN_B, HOME, PW, WORK};

pub use crate::report_fixtures::read_report;

/// Street, house number, postcode and town of each place (its label is built from them).
const PLACES: [(Place, &str, &str, &str, &str, &str); 4] = [
    (
        HOME,
        "5a1b2c3d-0000-4000-8000-000000000001",
        "Hjemvej",
        "1",
        "8000",
        "Aarhus C",
    ),
    (
        WORK,
        "5a1b2c3d-0000-4000-8000-000000000002",
        "Rådhuspladsen",
        "2",
        "8000",
        "Aarhus C",
    ),
    (
        CITIZEN_A,
        "5a1b2c3d-0000-4000-8000-000000000003",
        "Borgervej",
        "3",
        "8200",
        "Aarhus N",
    ),
    (
        CITIZEN_B,
        "5a1b2c3d-0000-4000-8000-000000000004",
        "Borgervej",
        "9",
        "8210",
        "Aarhus V",
    ),
];

pub async fn world(configure: impl FnOnce(&mut Settings)) -> World {
    let w = world_with(true, configure).await;
    let mut csv = String::from(
        "id,status,vejnavn,husnr,postnr,postnrnavn,kommunekode,wgs84koordinat_bredde,wgs84koordinat_længde\n",
    );
    for (place, id, street, number, postcode, town) in PLACES {
        csv.push_str(&format!(
            "{id},1,{street},{number},{postcode},{town},0751,{},{}\n",
            place.2, place.3
        ));
    }
    let res = w
        .app
        .client
        .post(w.app.url("/api/v1/addresses/import"))
        .bearer_auth(&w.admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    w
}

/// Creates and submits a typed-km report for `token`'s employment; returns the pending report.
pub async fn pending_report(w: &World, token: &str, employment: i64, date: &str, km: i64) -> Value {
    let draft = w
        .create(token, read_report(employment, date, "car_high", km * 1000))
        .await;
    w.submit(token, &draft).await
}

pub const PASSWORD: &str = PW;

pub fn id(report: &Value) -> i64 {
    report["id"].as_i64().unwrap()
}

pub fn body(fields: &[(&str, &str)]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect(),
    )
}
