//! The staff import's person columns beyond name and username (issue 11, items 4 and 11): CPR
//! numbers including substitute numbers, e-mail, the home address washed against the registry
//! (A/B taken, C refused with its candidates) and licence plates, all in one transaction.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};
use crate::import::{
    app_with_the_organisation, counts, import, import_example, import_ok, person_id, ORG, STAFF,
};
use crate::org::get_ok;

/// The KMD IND01 reference line's CPR: a substitute number (day 85 = 25 + 60).
const REFERENCE_CPR: &str = "8512481230";

const HEADER: &str = "external_id,name,employment_number,org_unit_external_id,position,start_date,\
                      cpr,email,home_address,licence_plates";

async fn person(app: &TestApp, admin: &str, external_id: &str) -> Value {
    let id = person_id(app, admin, external_id).await;
    get_ok(app, admin, &format!("/api/v1/persons/{id}")).await
}

#[tokio::test]
async fn the_example_staff_file_fills_cpr_email_home_and_plates_and_reimports_unchanged() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let staff = import_example(&app, &admin).await;
    assert_eq!(staff["persons"], counts(30, 0, 0));
    assert_eq!(staff["home_addresses"], counts(30, 0, 0));
    let plates = staff["vehicles"]["created"].as_u64().unwrap();
    assert!(plates >= 25, "{staff}");

    let camilla = person(&app, &admin, "P006").await;
    assert_eq!(camilla["email"], "camilla.noergaard@fanoe.example");
    assert_eq!(camilla["cpr"].as_str().unwrap().len(), 10);
    let id = camilla["id"].as_i64().unwrap();
    let addresses = get_ok(&app, &admin, &format!("/api/v1/persons/{id}/addresses")).await;
    let home = &addresses["addresses"][0];
    assert_eq!(home["kind"], "home");
    assert_eq!(home["label"], "Vestervejen 15, Nordby, 6720 Fanø");
    assert_eq!(
        home["registry_address_id"],
        "0a3f508d-eaa4-32b8-e044-0003ba298018"
    );
    assert_eq!(home["valid_from"], "2023-06-01", "her start date");
    let vehicles = get_ok(&app, &admin, &format!("/api/v1/persons/{id}/vehicles")).await;
    assert_eq!(vehicles.as_array().unwrap().len(), 1);
    assert_eq!(vehicles[0]["is_primary"], true);

    // Two plates: the first is primary.
    let jesper = person_id(&app, &admin, "P004").await;
    let vehicles = get_ok(&app, &admin, &format!("/api/v1/persons/{jesper}/vehicles")).await;
    let flags: Vec<bool> = vehicles
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["is_primary"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [true, false]);

    // The reference CPR, a substitute number, is in the file.
    assert_eq!(person(&app, &admin, "P019").await["cpr"], REFERENCE_CPR);

    let again = import_ok(&app, &admin, "staff", STAFF).await;
    assert_eq!(again["persons"], counts(0, 0, 30));
    assert_eq!(again["home_addresses"], counts(0, 0, 30));
    assert_eq!(again["vehicles"], counts(0, 0, plates));

    // A move: another address on the same date replaces it; a new primary plate demotes the old.
    let moved = format!(
        "{HEADER}\nP006,Camilla Nørgaard,10035,SUP,Sundhedsplejerske,2023-06-01,{},\
         camilla@fanoe.example,\"Skolevej 3, Nordby, 6720 Fanø\",XY 12 345\n",
        camilla["cpr"].as_str().unwrap()
    );
    let out = import_ok(&app, &admin, "staff", &moved).await;
    assert_eq!(out["persons"], counts(0, 1, 0));
    assert_eq!(out["home_addresses"], counts(0, 1, 0));
    assert_eq!(out["vehicles"], counts(1, 0, 0));
    let addresses = get_ok(&app, &admin, &format!("/api/v1/persons/{id}/addresses")).await;
    assert_eq!(addresses["addresses"].as_array().unwrap().len(), 1);
    assert_eq!(
        addresses["addresses"][0]["label"],
        "Skolevej 3, Nordby, 6720 Fanø"
    );
    let vehicles = get_ok(&app, &admin, &format!("/api/v1/persons/{id}/vehicles")).await;
    let primary: Vec<&str> = vehicles
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["is_primary"] == true)
        .map(|v| v["plate"].as_str().unwrap())
        .collect();
    assert_eq!(primary, ["XY12345"]);
}

#[tokio::test]
async fn an_unclear_or_unknown_home_address_refuses_the_whole_file() {
    let (app, admin) = app_with_the_organisation().await;

    let good =
        "P1,Anna Berg,1,SUP,Sygeplejerske,2024-01-01,,,\"Vestervejen 15, Nordby, 6720 Fanø\",";
    // Only 30A and 30B exist: the registry offers both, and the import takes neither.
    let unclear =
        format!("{HEADER}\n{good}\nP2,Bo Dal,2,SUP,Sygeplejerske,2024-01-01,,,Vestervejen 30,\n");
    let res = import(&app, &admin, "staff", &unclear).await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["row"], 3, "{problem}");
    assert_eq!(problem["column"], "home_address");
    let candidates: Vec<&str> = problem["candidates"]
        .as_array()
        .unwrap_or_else(|| panic!("{problem}"))
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        candidates.iter().any(|c| c.starts_with("Vestervejen 30A")),
        "{problem}"
    );
    assert_eq!(get_ok(&app, &admin, "/api/v1/persons").await["total"], 0);

    let unknown = format!(
        "{HEADER}\n{good}\nP2,Bo Dal,2,SUP,Sygeplejerske,2024-01-01,,,\"Zxqwvej 999, 9999 Intetsteds\",\n"
    );
    let res = import(&app, &admin, "staff", &unknown).await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["row"], 3, "{problem}");
    assert_eq!(problem["column"], "home_address");
    assert_eq!(get_ok(&app, &admin, "/api/v1/persons").await["total"], 0);

    for (cells, column) in [
        (",,not-an-address,,", "email"),
        (",,,,AB 12 345 | AB12345", "licence_plates"),
        (",9213901234,,,", "cpr"),
    ] {
        let bad = format!("{HEADER}\n{good}\nP2,Bo Dal,2,SUP,Sygeplejerske,2024-01-01{cells}\n");
        let res = import(&app, &admin, "staff", &bad).await;
        let problem = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(problem["column"], column, "{problem}");
    }
    assert_eq!(get_ok(&app, &admin, "/api/v1/persons").await["total"], 0);
}

#[tokio::test]
async fn a_home_address_before_the_registry_is_imported_says_what_to_do() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    import_ok(&app, &admin, "org-units", ORG).await;
    let res = import(&app, &admin, "staff", STAFF).await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(problem["row"], 2);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("korsel addresses import"),
        "{problem}"
    );
}

#[tokio::test]
async fn substitute_cpr_numbers_and_email_through_the_person_api() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app
        .post(
            "/api/v1/persons",
            Some(&admin),
            &json!({"external_id": "REF", "name": "Test", "cpr": "851248-1230",
                    "email": "test@fanoe.example"}),
        )
        .await;
    let status = res.status();
    let created: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["cpr"], REFERENCE_CPR);
    assert_eq!(created["email"], "test@fanoe.example");
    let path = format!("/api/v1/persons/{}", created["id"]);

    let res = app
        .put(
            &path,
            Some(&admin),
            &json!({"name": "Test", "cpr": REFERENCE_CPR, "email": "ny@fanoe.example"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        get_ok(&app, &admin, &path).await["email"],
        "ny@fanoe.example"
    );
    for (field, value) in [
        ("email", "ny@"),
        ("cpr", "9248121230"),
        ("cpr", "6013901234"),
    ] {
        let mut body = json!({"name": "Test"});
        body[field] = json!(value);
        let res = app.put(&path, Some(&admin), &body).await;
        let problem = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(problem["field"], field, "{value}");
    }
}
