//! CSV imports through the API: create, re-import unchanged, update, a bad row rolling back
//! everything, and approver resolution on the imported example municipality.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::spawn_app;
use crate::helpers::{assert_problem, TestApp};
use crate::org::get_ok;

pub const ORG: &str = include_str!("../../examples/org_units.csv");
pub const STAFF: &str = include_str!("../../examples/staff.csv");
/// The address registry of Fanø, where the example municipality lives: the staff file's home
/// addresses are washed against it.
pub const ADDRESSES: &str = include_str!("../../examples/fano-adgangsadresser.csv");

pub async fn import(app: &TestApp, token: &str, what: &str, csv: &str) -> Response {
    app.client
        .post(app.url(&format!("/api/v1/import/{what}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap()
}

pub async fn import_ok(app: &TestApp, token: &str, what: &str, csv: &str) -> Value {
    let res = import(app, token, what, csv).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Imports the Fanø address registry through the API, so the server's index has it.
pub async fn import_addresses(app: &TestApp, token: &str) {
    let res = app
        .client
        .post(app.url("/api/v1/addresses/import"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(ADDRESSES)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// The example municipality: addresses, org units and staff.
/// An app with Fanø's address registry and the example organisation (no staff yet), and the
/// administrator's token.
pub async fn app_with_the_organisation() -> (TestApp, String) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    import_addresses(&app, &admin).await;
    import_ok(&app, &admin, "org-units", ORG).await;
    (app, admin)
}

pub async fn import_example(app: &TestApp, token: &str) -> Value {
    import_addresses(app, token).await;
    import_ok(app, token, "org-units", ORG).await;
    import_ok(app, token, "staff", STAFF).await
}

pub fn counts(created: u64, updated: u64, unchanged: u64) -> Value {
    json!({"created": created, "updated": updated, "unchanged": unchanged})
}

pub async fn person_id(app: &TestApp, admin: &str, external_id: &str) -> i64 {
    let page = get_ok(app, admin, "/api/v1/persons?per_page=200").await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["external_id"] == external_id)
        .unwrap_or_else(|| panic!("{external_id} imported"))["id"]
        .as_i64()
        .unwrap()
}

async fn employment_of(app: &TestApp, admin: &str, person: i64) -> i64 {
    let page = get_ok(
        app,
        admin,
        &format!("/api/v1/employments?person_id={person}"),
    )
    .await;
    page["items"][0]["id"].as_i64().unwrap()
}

#[tokio::test]
async fn imports_create_then_leave_unchanged_then_update() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    import_addresses(&app, &admin).await;
    let org = import_ok(&app, &admin, "org-units", ORG).await;
    assert_eq!(org, json!({"rows": 6, "org_units": counts(6, 0, 0)}));
    let staff = import_ok(&app, &admin, "staff", STAFF).await;
    assert_eq!(staff["rows"], 31);
    assert_eq!(staff["persons"], counts(30, 0, 0));
    assert_eq!(staff["employments"], counts(31, 0, 0));
    assert_eq!(staff["substitutes"], counts(1, 0, 0));
    assert_eq!(staff["personal_approvers"], counts(1, 0, 0));

    // Re-importing the same files changes nothing.
    let org = import_ok(&app, &admin, "org-units", ORG).await;
    assert_eq!(org["org_units"], counts(0, 0, 6));
    let staff = import_ok(&app, &admin, "staff", STAFF).await;
    assert_eq!(staff["persons"], counts(0, 0, 30));
    assert_eq!(staff["employments"], counts(0, 0, 31));
    assert_eq!(staff["substitutes"], counts(0, 0, 1));
    assert_eq!(staff["personal_approvers"], counts(0, 0, 1));

    // A renamed unit (semicolon-separated, as Danish spreadsheets write) and a moved employee.
    let org = import_ok(
        &app,
        &admin,
        "org-units",
        "external_id;name;parent_external_id\nVEJ;Vej, Park og Natur;TEK\nNY;Ny enhed;KOM\n",
    )
    .await;
    assert_eq!(org["org_units"], counts(1, 1, 0));
    let moved = STAFF.replace(
        "P028,Michael Dahl,michael.dahl,811192-5580,10189,VEJ,",
        "P028,Michael Dahl,michael.dahl,811192-5580,10189,NY,",
    );
    assert_ne!(moved, STAFF);
    let staff = import_ok(&app, &admin, "staff", &moved).await;
    assert_eq!(staff["persons"], counts(0, 0, 30));
    assert_eq!(staff["employments"], counts(0, 1, 30));
    let units = get_ok(&app, &admin, "/api/v1/org-units?per_page=200").await;
    let vej = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["external_id"] == "VEJ")
        .unwrap()
        .clone();
    assert_eq!(vej["name"], "Vej, Park og Natur");
    // Columns the file leaves out are cleared: VEJ no longer has a border distance.
    assert_eq!(vej["distance_to_border_m"], Value::Null);
}

#[tokio::test]
async fn a_bad_row_rolls_back_the_whole_import_and_is_named() {
    let (app, admin) = app_with_the_organisation().await;

    // Row 3 names an unknown parent: nothing of the file is stored, not even row 2.
    let res = import(
        &app,
        &admin,
        "org-units",
        "external_id,name,parent_external_id\nA1,Fine,KOM\nA2,Broken,NOPE\n",
    )
    .await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["row"], 3);
    assert_eq!(body["column"], "parent_external_id");
    let units = get_ok(&app, &admin, "/api/v1/org-units").await;
    assert_eq!(units["total"], 6);

    // A bad date deep in the staff file: no person is created.
    let broken = STAFF.replacen("2023-06-01", "2023-13-01", 1);
    let line = STAFF
        .lines()
        .position(|l| l.contains("2023-06-01"))
        .unwrap()
        + 1;
    let res = import(&app, &admin, "staff", &broken).await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["row"], line as u64);
    assert_eq!(body["column"], "start_date");
    let persons = get_ok(&app, &admin, "/api/v1/persons").await;
    assert_eq!(persons["total"], 0);

    // A failure only the database can see (the last row's employment number belongs to
    // someone else) also rolls back everything before it.
    let clash =
        format!("{STAFF}P099,Sidste Række,,,10000,KOM,Jurist,2024-01-01,,,false,,,,,,,,,,\n");
    let res = import(&app, &admin, "staff", &clash).await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["row"], 33);
    assert_eq!(body["column"], "employment_number");
    assert_eq!(get_ok(&app, &admin, "/api/v1/persons").await["total"], 0);

    let res = import(&app, &admin, "staff", "external_id,name,colour\n").await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["row"], 1);
    assert_eq!(body["column"], "colour");
    let res = app
        .client
        .post(app.url("/api/v1/import/staff"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported-media-type").await;
}

#[tokio::test]
async fn only_an_admin_imports() {
    let app = spawn_app().await;
    for roles in [&["employee"][..], &["approver"], &["payroll"]] {
        let name = format!("u{}", roles[0]);
        app.create_user(&name, "a long password", roles).await;
        let token = app.tokens(&name, "a long password").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        for what in ["org-units", "staff"] {
            let res = import(&app, &token, what, ORG).await;
            assert_problem(res, 403, "forbidden").await;
        }
    }
    let admin = app.admin_token().await;
    assert_eq!(get_ok(&app, &admin, "/api/v1/org-units").await["total"], 0);
}

#[tokio::test]
async fn approvers_of_the_example_municipality() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    import_example(&app, &admin).await;
    let ask = |person: i64, emp: i64, date: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let out = get_ok(
                app,
                admin,
                &format!("/api/v1/persons/{person}/approvers?employment_id={emp}&date={date}"),
            )
            .await;
            out["approvers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["name"].as_str().unwrap().to_string(),
                        a["role"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let pair = |n: &str, r: &str| (n.to_string(), r.to_string());

    // A nurse: her unit's leader; in July 2026 Helle Dam takes over.
    let camilla = person_id(&app, &admin, "P006").await;
    let emp = employment_of(&app, &admin, camilla).await;
    assert_eq!(
        ask(camilla, emp, "2026-06-15").await,
        vec![pair("Anne-Marie Lund", "leader")]
    );
    assert_eq!(
        ask(camilla, emp, "2026-07-15").await,
        vec![pair("Helle Dam", "substitute")]
    );
    // The substitute's own reports are not hers to approve: they stay with the leader.
    let helle = person_id(&app, &admin, "P007").await;
    let emp = employment_of(&app, &admin, helle).await;
    assert_eq!(
        ask(helle, emp, "2026-07-15").await,
        vec![pair("Anne-Marie Lund", "leader")]
    );
    // The unit leader goes to the next leader up.
    let lund = person_id(&app, &admin, "P003").await;
    let emp = employment_of(&app, &admin, lund).await;
    assert_eq!(
        ask(lund, emp, "2026-07-15").await,
        vec![pair("Søren Holm", "leader")]
    );
    // Vej og Park has no leader: the walk goes up to Teknik og Miljø.
    let ole = person_id(&app, &admin, "P025").await;
    let emp = employment_of(&app, &admin, ole).await;
    assert_eq!(
        ask(ole, emp, "2026-03-01").await,
        vec![pair("Lars Østergaard", "leader")]
    );
    // Kasper has a personal approver during 2026 only.
    let kasper = person_id(&app, &admin, "P015").await;
    let emp = employment_of(&app, &admin, kasper).await;
    assert_eq!(
        ask(kasper, emp, "2026-03-01").await,
        vec![pair("Søren Holm", "personal_approver")]
    );
    assert_eq!(
        ask(kasper, emp, "2025-12-31").await,
        vec![pair("Jesper Bøgh", "leader")]
    );
}

#[tokio::test]
async fn addresses_valid_on_a_date_default_work_to_the_org_unit() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    import_example(&app, &admin).await;
    let camilla = person_id(&app, &admin, "P006").await;
    let emp = employment_of(&app, &admin, camilla).await;
    let path = |date: &str| format!("/api/v1/persons/{camilla}/effective-addresses?date={date}");

    // Her home is the staff file's; no work address of her own: work is Sundhedsplejen's.
    let on = get_ok(&app, &admin, &path("2026-01-15")).await;
    assert_eq!(on["home"]["label"], "Vestervejen 15, Nordby, 6720 Fanø");
    assert_eq!(on["employments"][0]["employment_id"], emp);
    assert_eq!(on["employments"][0]["work"]["source"], "org_unit");
    assert_eq!(
        on["employments"][0]["work"]["label"],
        "Hovedgaden 27, Nordby, 6720 Fanø"
    );

    for (kind, label, from) in [
        ("home", "Gammel vej 1", "2024-01-01"),
        ("home", "Ny vej 2", "2026-03-01"),
        ("work", "Skolevej 3", "2026-02-01"),
    ] {
        let mut body = json!({"kind": kind, "registry_address_id": format!("dar-{label}"),
                              "label": label, "latitude": 56.45, "longitude": 10.05,
                              "valid_from": from});
        if kind == "work" {
            body["employment_id"] = json!(emp);
        }
        let res = app
            .post(
                &format!("/api/v1/persons/{camilla}/addresses"),
                Some(&admin),
                &body,
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let res = app
        .post(
            &format!("/api/v1/persons/{camilla}/home-work-overrides"),
            Some(&admin),
            &json!({"employment_id": emp, "distance_m": 7300, "valid_from": "2026-02-15"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let on = get_ok(&app, &admin, &path("2026-01-15")).await;
    assert_eq!(on["home"]["label"], "Gammel vej 1");
    assert_eq!(on["employments"][0]["work"]["source"], "org_unit");
    assert_eq!(
        on["employments"][0]["home_work_distance_override_m"],
        Value::Null
    );
    let on = get_ok(&app, &admin, &path("2026-02-20")).await;
    assert_eq!(on["home"]["label"], "Gammel vej 1");
    assert_eq!(on["employments"][0]["work"]["label"], "Skolevej 3");
    assert_eq!(on["employments"][0]["work"]["source"], "personal");
    assert_eq!(on["employments"][0]["home_work_distance_override_m"], 7300);
    let on = get_ok(&app, &admin, &path("2026-03-01")).await;
    assert_eq!(on["home"]["label"], "Ny vej 2");
    assert_eq!(on["home"]["valid_from"], "2026-03-01");

    // She sees the same through /me; to another employee she does not exist.
    app.create_user("camilla.noergaard", "a long password", &["employee"])
        .await;
    app.create_user("helle.dam", "a long password", &["employee"])
        .await;
    let token = |name: &'static str| {
        let app = &app;
        async move {
            app.tokens(name, "a long password").await["access_token"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let camilla_token = token("camilla.noergaard").await;
    let mine = get_ok(
        &app,
        &camilla_token,
        "/api/v1/me/effective-addresses?date=2026-03-01",
    )
    .await;
    assert_eq!(mine["home"]["label"], "Ny vej 2");
    let helle_token = token("helle.dam").await;
    let res = app.get(&path("2026-03-01"), Some(&helle_token)).await;
    assert_problem(res, 404, "not-found").await;

    // The org unit API shows and updates the unit address.
    let units = get_ok(&app, &admin, "/api/v1/org-units?per_page=200").await;
    let tek = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["external_id"] == "TEK")
        .unwrap()
        .clone();
    assert_eq!(tek["address"], Value::Null);
    let res = app
        .put(
            &format!("/api/v1/org-units/{}", tek["id"]),
            Some(&admin),
            &json!({"name": "Teknik og Miljø", "parent_id": tek["parent_id"],
                    "four_km_rule_allowed": false, "distance_to_border_m": 12000,
                    "address": {"registry_address_id": "dar-tek", "label": "Teknikhuset",
                                "latitude": 56.46, "longitude": 191.0}}),
        )
        .await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["field"], "address/longitude");
}

/// Issue 11 item 9: one rule for names. A name with TAB and CR between and around its words (as
/// pasted from a spreadsheet) is stored the same, as single spaces, through `PUT /persons/{id}`
/// and through the staff import.
#[tokio::test]
async fn names_follow_one_rule_through_the_api_and_the_staff_import() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    import_ok(&app, &admin, "org-units", ORG).await;
    let header = STAFF.lines().next().unwrap();
    // The columns after `is_leader` (approvers, substitutes, contact and home) stay empty.
    let empty_after_leader = ",".repeat(header.split(',').count() - 11);
    let staff = format!(
        "{header}\nP900,\"\tAnna\tMaria\r Hansen\r\",,,90000,KOM,Konsulent,2020-01-01,,,false{empty_after_leader}\n"
    );
    import_ok(&app, &admin, "staff", &staff).await;
    let anna = person_id(&app, &admin, "P900").await;
    let imported = get_ok(&app, &admin, &format!("/api/v1/persons/{anna}")).await;
    assert_eq!(imported["name"], "Anna Maria Hansen");

    let res = app
        .put(
            &format!("/api/v1/persons/{anna}"),
            Some(&admin),
            &json!({"name": "\tAnna\tMaria\r Holm\r"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["name"], "Anna Maria Holm");

    // A control character that is not whitespace is refused on both ways in.
    let res = app
        .put(
            &format!("/api/v1/persons/{anna}"),
            Some(&admin),
            &json!({"name": "Anna\u{7}Holm"}),
        )
        .await;
    assert_eq!(
        assert_problem(res, 422, "validation-failed").await["field"],
        "name"
    );
    let staff =
        format!("{header}\nP901,\"Bo\u{7}Berg\",,,90001,KOM,Konsulent,2020-01-01,,,false{empty_after_leader}\n");
    let res = import(&app, &admin, "staff", &staff).await;
    let problem = assert_problem(res, 422, "validation-failed").await;
    assert!(problem.to_string().contains("name"), "{problem}");
}

#[tokio::test]
async fn a_username_another_person_has_refuses_its_row() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    import_ok(
        &app,
        &admin,
        "org-units",
        "external_id,name\nKOM,Kommunen\n",
    )
    .await;
    let header =
        "external_id,name,username,employment_number,org_unit_external_id,position,start_date\n";
    // Two new persons of one file with one username: the second row is refused.
    let twice =
        format!("{header}A,Anna,anna,1,KOM,Jurist,2024-01-01\nB,Bo,anna,2,KOM,Jurist,2024-01-01\n");
    username_refused(&app, &admin, &twice, 3).await;
    assert_eq!(get_ok(&app, &admin, "/api/v1/persons").await["total"], 0);
    // A stored person's username: refused; once that person gives it up earlier in the file,
    // taking it is fine.
    import_ok(
        &app,
        &admin,
        "staff",
        &format!("{header}A,Anna,anna,1,KOM,Jurist,2024-01-01\n"),
    )
    .await;
    let taken = format!("{header}B,Bo,anna,2,KOM,Jurist,2024-01-01\n");
    username_refused(&app, &admin, &taken, 2).await;
    let moved = format!(
        "{header}A,Anna,anna2,1,KOM,Jurist,2024-01-01\nB,Bo,anna,2,KOM,Jurist,2024-01-01\n"
    );
    import_ok(&app, &admin, "staff", &moved).await;
    assert_eq!(get_ok(&app, &admin, "/api/v1/persons").await["total"], 2);
}

/// The staff file is refused at `row`'s username.
async fn username_refused(app: &TestApp, admin: &str, csv: &str, row: u64) {
    let res = import(app, admin, "staff", csv).await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(
        (body["row"].as_u64(), body["column"].as_str()),
        (Some(row), Some("username"))
    );
}
