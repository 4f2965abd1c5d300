//! The administration pages over plain HTTP: only administrators see them (404 for everyone
//! else), a preview writes nothing, applying applies exactly what the preview showed, a file with
//! bad rows applies nothing and names every row, a preview is its uploader's and used once, and
//! the user pages' one-time passwords. (The upload forms without JavaScript: `web_admin_forms`.)

use std::time::Duration;

use diesel::prelude::*;
use reqwest::header::{COOKIE, LOCATION};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};
use crate::import::{
    app_with_the_organisation, import_addresses, import_ok, person_id, ADDRESSES, ORG, STAFF,
};
use crate::org::get_ok;
use crate::web_session::{
    admin_browser, browser, client, cookie, get_page, page_text, sign_in, submit_form,
};

/// Uploads a file as `static/korsel.js` does: the body, the CSRF token in the header.
async fn upload(
    app: &TestApp,
    (session, csrf): &(String, String),
    path: &str,
    body: &str,
) -> Response {
    client()
        .post(app.url(path))
        .header(COOKIE, session)
        .header("x-csrf-token", csrf)
        .header("content-type", "application/octet-stream")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// Uploads an org-units or staff file; returns its preview's path.
async fn preview_path(app: &TestApp, who: &(String, String), kind: &str, csv: &str) -> String {
    let res = upload(
        app,
        who,
        &format!("/admin/indlaesning/{kind}?fil=x.csv"),
        csv,
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/admin/indlaesning/forhaandsvisning/"),
        "{location}"
    );
    location
}

/// Rows of the organisation and staff tables.
pub(crate) fn stored(app: &TestApp) -> [i64; 4] {
    use korsel::db::schema::{employments, org_units, personal_approvers, persons};
    let mut conn = app.db.connect();
    [
        org_units::table.count().get_result(&mut *conn).unwrap(),
        persons::table.count().get_result(&mut *conn).unwrap(),
        employments::table.count().get_result(&mut *conn).unwrap(),
        personal_approvers::table
            .count()
            .get_result(&mut *conn)
            .unwrap(),
    ]
}

/// The rows of the table with `id` in a page (the `<tr>`s of its `<tbody>`).
pub(crate) fn table_rows(html: &str, id: &str) -> Vec<String> {
    let Some(table) = html.split(&format!("<table id=\"{id}\"")).nth(1) else {
        return Vec::new();
    };
    let body = table
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tbody>")
        .next()
        .unwrap();
    body.split("<tr>").skip(1).map(str::to_string).collect()
}

/// The count in the preview's count table for a label (`Nye`, `Ændrede`, …).
pub(crate) fn count(html: &str, label: &str) -> u64 {
    table_rows(html, "optaelling")
        .iter()
        .find(|r| r.contains(&format!(">{label}<")))
        .and_then(|r| r.split("class=\"num\">").nth(1))
        .and_then(|s| s.split('<').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count {label} in {html}"))
}

/// Polls a run's status fragment until the run is no longer running; returns the fragment.
pub(crate) async fn finished_run(app: &TestApp, session: &str, run: &str) -> String {
    let mut html = String::new();
    for _ in 0..120 {
        html = page_text(app, &format!("{run}/status"), session).await.1;
        if !html.contains("hx-trigger") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    html
}

#[tokio::test]
async fn only_administrators_open_the_administration_pages() {
    let (app, token) = app_with_the_organisation().await;
    import_ok(&app, &token, "staff", STAFF).await;
    let person = person_id(&app, &token, "P001").await;
    let admin = admin_browser(&app).await;
    let preview = preview_path(&app, &admin, "organisation", ORG).await;
    let res = upload(
        &app,
        &admin,
        "/admin/indlaesning/adresser?fil=f.csv&format=csv",
        "x",
    )
    .await;
    let run = res.headers()[LOCATION].to_str().unwrap().to_string();
    let paths = [
        "/admin/brugere".to_string(),
        "/admin/brugere/1".to_string(),
        "/admin/organisation".to_string(),
        format!("/admin/personer/{person}"),
        "/admin/indlaesning".to_string(),
        preview.clone(),
        run.clone(),
    ];
    for path in &paths {
        let (status, html) = page_text(&app, path, &admin.0).await;
        assert_eq!(status, StatusCode::OK, "admin opens {path}");
        assert!(html.contains("<h1>"), "{path}");
    }
    for (name, roles) in [
        ("medarbejder", &["employee"][..]),
        ("godkender", &["employee", "approver"][..]),
        ("loen", &["payroll"][..]),
    ] {
        app.create_user(name, "a long enough password", roles).await;
        let who = browser(&app, name, "a long enough password").await;
        for path in &paths {
            let (status, html) = page_text(&app, path, &who.0).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{name} on {path}");
            assert!(!html.contains("<table"), "{name} sees nothing of {path}");
        }
        let res = upload(&app, &who, "/admin/indlaesning/organisation?fil=x.csv", ORG).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{name} uploads");
        let res = submit_form(&app, &who, &preview, &[("handling", "anvend")]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{name} applies");
    }
}

/// The example staff file with employment 10000 (row 2) given a new position and employment
/// 10021 (row 5) ended.
pub(crate) fn changed_staff() -> String {
    STAFF
        .replace(
            ",Kommunaldirektør,2015-08-01,,",
            ",Kommunaldirektør og stadsdirektør,2015-08-01,,",
        )
        .replace(
            ",Leder af Hjemmeplejen Nord,2020-09-01,,",
            ",Leder af Hjemmeplejen Nord,2020-09-01,2026-06-30,",
        )
}

#[tokio::test]
async fn a_preview_writes_nothing_and_applying_applies_exactly_the_preview() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    import_addresses(&app, &token).await;
    let admin = admin_browser(&app).await;

    let org = preview_path(&app, &admin, "organisation", ORG).await;
    let (status, html) = page_text(&app, &org, &admin.0).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(&html, "Nye"), 6);
    assert_eq!(stored(&app), [0, 0, 0, 0], "the preview stored nothing");
    let res = submit_form(&app, &admin, &org, &[("handling", "anvend")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Indlæsning gennemført"));
    assert_eq!(stored(&app)[0], 6);

    let staff = preview_path(&app, &admin, "medarbejdere", STAFF).await;
    let (_, html) = page_text(&app, &staff, &admin.0).await;
    assert_eq!(count(&html, "Nye"), 31);
    assert_eq!(stored(&app), [6, 0, 0, 0], "the preview stored nothing");
    let res = submit_form(&app, &admin, &staff, &[("handling", "anvend")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let after = stored(&app);
    assert_eq!(after[2], 31, "every employment");
    assert!(after[1] > 0 && after[3] > 0);

    // A used preview is gone: applying it twice imports nothing twice.
    let res = submit_form(&app, &admin, &staff, &[("handling", "anvend")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Forhåndsvisningen findes ikke"));

    // A changed file: the preview shows exactly the two changed rows, and applying does them.
    let changed = preview_path(&app, &admin, "medarbejdere", &changed_staff()).await;
    let (_, html) = page_text(&app, &changed, &admin.0).await;
    assert_eq!(
        [
            count(&html, "Nye"),
            count(&html, "Ændrede"),
            count(&html, "Afsluttede"),
            count(&html, "Uændrede")
        ],
        [0, 1, 1, 29]
    );
    let rows = table_rows(&html, "aendringer");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].starts_with("<td>2</td><td>10000</td>"),
        "{}",
        rows[0]
    );
    assert!(rows[0]
        .contains("Stilling (position): Kommunaldirektør → Kommunaldirektør og stadsdirektør"));
    assert!(
        rows[1].starts_with("<td>5</td><td>10021</td>"),
        "{}",
        rows[1]
    );
    assert!(
        rows[1].contains("Afsluttet") && rows[1].contains("Slutdato (end_date): – → 30. jun. 2026")
    );
    let res = submit_form(&app, &admin, &changed, &[("handling", "anvend")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let jesper = person_id(&app, &token, "P004").await;
    let employments = get_ok(
        &app,
        &token,
        &format!("/api/v1/employments?person_id={jesper}"),
    )
    .await;
    assert_eq!(employments["items"][0]["end_date"], "2026-06-30");
    // And the same file again changes nothing.
    let again = preview_path(&app, &admin, "medarbejdere", &changed_staff()).await;
    let (_, html) = page_text(&app, &again, &admin.0).await;
    assert_eq!(count(&html, "Uændrede"), 31);
    assert!(table_rows(&html, "aendringer").is_empty());
}

#[tokio::test]
async fn a_file_with_bad_rows_names_every_one_and_applies_nothing() {
    let (app, _) = app_with_the_organisation().await;
    let admin = admin_browser(&app).await;
    let bad = STAFF
        .replace("770790-9012", "770790-901")
        .replace(",2020-09-01,,2200,", ",2020-13-01,,2200,");
    let path = preview_path(&app, &admin, "medarbejdere", &bad).await;
    let (status, html) = page_text(&app, &path, &admin.0).await;
    assert_eq!(status, StatusCode::OK);
    let refused = table_rows(&html, "afviste");
    // Rows 5 and 17 both start on 2020-09-01.
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(
        refused[0].starts_with("<td>4</td><td>cpr</td>"),
        "{}",
        refused[0]
    );
    assert!(
        refused[1].starts_with("<td>5</td><td>start_date</td>"),
        "{}",
        refused[1]
    );
    assert!(refused[2].starts_with("<td>17</td><td>start_date</td>"));
    assert!(!html.contains("value=\"anvend\""), "no apply button");
    let res = submit_form(&app, &admin, &path, &[("handling", "anvend")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Afviste rækker"));
    assert_eq!(stored(&app), [6, 0, 0, 0], "nothing of the file");

    // A row only the database can refuse (an unknown org unit) is named too.
    let unknown = STAFF.replace(",10028,TEK,", ",10028,XXX,");
    let path = preview_path(&app, &admin, "medarbejdere", &unknown).await;
    let (_, html) = page_text(&app, &path, &admin.0).await;
    let refused = table_rows(&html, "afviste");
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].starts_with("<td>6</td><td>org_unit_external_id</td>"),
        "{}",
        refused[0]
    );
    assert_eq!(stored(&app), [6, 0, 0, 0]);
}

/// The preview says why in Danish; the file's own column names stay as the file has them.
#[tokio::test]
async fn a_refused_file_is_explained_in_danish() {
    let (app, _) = app_with_the_organisation().await;
    let admin = admin_browser(&app).await;
    let reason = |row: &str| {
        row.split("<td>")
            .nth(3)
            .and_then(|cell| cell.split("</td>").next())
            .unwrap_or_default()
            .to_string()
    };

    let bad = STAFF
        .replace("770790-9012", "770790-901")
        .replace(",2020-09-01,,2200,", ",2020-13-01,,2200,");
    let path = preview_path(&app, &admin, "medarbejdere", &bad).await;
    let (_, html) = page_text(&app, &path, &admin.0).await;
    let refused = table_rows(&html, "afviste");
    assert_eq!(reason(&refused[0]), "Skal være 10 cifre (DDMMÅÅ-SSSS)");
    assert_eq!(
        reason(&refused[1]),
        "Skal være en dato på formen ÅÅÅÅ-MM-DD"
    );

    let unknown = STAFF.replace(",10028,TEK,", ",10028,XXX,");
    let path = preview_path(&app, &admin, "medarbejdere", &unknown).await;
    let (_, html) = page_text(&app, &path, &admin.0).await;
    let refused = table_rows(&html, "afviste");
    assert!(
        reason(&refused[0]).starts_with("Ingen organisationsenhed har det eksterne id"),
        "{}",
        refused[0]
    );

    let danish_header = STAFF.replacen("external_id,name,", "external_id,navn,", 1);
    let path = preview_path(&app, &admin, "medarbejdere", &danish_header).await;
    let (_, html) = page_text(&app, &path, &admin.0).await;
    let refused = table_rows(&html, "afviste");
    assert!(
        refused[0].starts_with("<td>1</td><td>navn</td><td>Ukendt kolonne</td>"),
        "{}",
        refused[0]
    );
    let cells = refused.concat();
    for english in ["row ", "column ", "must ", "unknown"] {
        assert!(!cells.contains(english), "{english}: {cells}");
    }
}

#[tokio::test]
async fn a_preview_is_its_uploaders_needs_the_csrf_token_and_can_be_cancelled() {
    let app = spawn_app().await;
    let admin = admin_browser(&app).await;
    let path = preview_path(&app, &admin, "organisation", ORG).await;

    app.create_user("admin2", "a long enough password", &["admin"])
        .await;
    let other = browser(&app, "admin2", "a long enough password").await;
    for who in [&other.0, &admin.0] {
        let (status, html) =
            page_text(&app, "/admin/indlaesning/forhaandsvisning/ukendt", who).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("Forhåndsvisningen findes ikke"));
    }
    let (status, html) = page_text(&app, &path, &other.0).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another administrator's preview"
    );
    assert!(html.contains("Forhåndsvisningen findes ikke"));
    let res = submit_form(&app, &other, &path, &[("handling", "anvend")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(stored(&app)[0], 0);

    // Without the CSRF token neither an upload nor an apply goes through.
    let forged = (admin.0.clone(), "wrong".to_string());
    let res = upload(
        &app,
        &forged,
        "/admin/indlaesning/organisation?fil=x.csv",
        ORG,
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = submit_form(&app, &forged, &path, &[("handling", "anvend")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored(&app)[0], 0);

    let res = submit_form(&app, &admin, &path, &[("handling", "annuller")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = page_text(&app, &path, &admin.0).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a cancelled preview is gone");
    assert_eq!(stored(&app)[0], 0);
}

#[tokio::test]
async fn users_are_created_and_reset_with_one_time_passwords_and_linked_to_persons() {
    let (app, token) = app_with_the_organisation().await;
    import_ok(&app, &token, "staff", STAFF).await;
    let admin = admin_browser(&app).await;

    let res = submit_form(
        &app,
        &admin,
        "/admin/brugere",
        &[
            ("brugernavn", "Ny.Bruger"),
            ("rolle", "employee"),
            ("rolle", "approver"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let html = res.text().await.unwrap();
    let password = html
        .split("<code id=\"engangskode\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the one-time password is shown")
        .to_string();
    // Signing in with it leads to the password change first.
    let res = sign_in(&app, "ny.bruger", &password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = cookie(&res, "korsel_session").unwrap();
    let res = get_page(&app, "/", session.split(';').next().unwrap()).await;
    assert_eq!(res.headers()[LOCATION], "/adgangskode");

    // Listed and found by search; the same name again is refused on the form.
    let (_, html) = page_text(&app, "/admin/brugere?q=ny.b", &admin.0).await;
    let rows = table_rows(&html, "brugere");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("ny.bruger") && rows[0].contains("Medarbejder, Godkender"));
    let id: i64 = rows[0]
        .split("/admin/brugere/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    let res = submit_form(
        &app,
        &admin,
        "/admin/brugere",
        &[("brugernavn", "ny.bruger")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Roles, the link to a person, and a reset.
    let user = format!("/admin/brugere/{id}");
    let res = submit_form(
        &app,
        &admin,
        &user,
        &[("handling", "roller"), ("rolle", "payroll")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let body = get_ok(&app, &token, &format!("/api/v1/users/{id}")).await;
    assert_eq!(body["roles"], serde_json::json!(["payroll"]));
    let res = submit_form(
        &app,
        &admin,
        &user,
        &[("handling", "person"), ("person", "P030")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let p030 = person_id(&app, &token, "P030").await;
    let person: Value = get_ok(&app, &token, &format!("/api/v1/persons/{p030}")).await;
    assert_eq!(person["username"], "ny.bruger");
    let res = submit_form(
        &app,
        &admin,
        &user,
        &[("handling", "person"), ("person", "P999")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = submit_form(&app, &admin, &user, &[("handling", "adgangskode")]).await;
    let html = res.text().await.unwrap();
    let fresh = html
        .split("<code id=\"engangskode\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap();
    assert_ne!(fresh, password);
    assert_eq!(
        sign_in(&app, "ny.bruger", &password).await.status(),
        StatusCode::OK,
        "the old one fails"
    );
    assert_eq!(
        sign_in(&app, "ny.bruger", fresh).await.status(),
        StatusCode::SEE_OTHER
    );

    // The person's page shows the employment and the linked username; the tree its units.
    let (_, html) = page_text(&app, &format!("/admin/personer/{p030}"), &admin.0).await;
    assert!(html.contains("ny.bruger"));
    assert_eq!(table_rows(&html, "ansaettelser").len(), 1);
    let (_, html) = page_text(&app, "/admin/organisation", &admin.0).await;
    assert_eq!(table_rows(&html, "enheder").len(), 6);
    assert!(
        html.contains("Mette Kjær Andersen"),
        "the leader of the municipality"
    );
}

#[tokio::test]
async fn the_address_registry_imports_in_the_background_and_autocomplete_finds_it() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let admin = admin_browser(&app).await;
    let res = upload(
        &app,
        &admin,
        "/admin/indlaesning/adresser?fil=fanoe.csv&format=auto",
        ADDRESSES,
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let run = res.headers()[LOCATION].to_str().unwrap().to_string();
    let html = finished_run(&app, &admin.0, &run).await;
    assert!(html.contains("Færdig"), "{html}");
    assert!(
        table_rows(&html, "adresse-resultat")
            .iter()
            .any(|r| r.contains("4843")),
        "{html}"
    );
    let found = get_ok(
        &app,
        &token,
        "/api/v1/addresses/autocomplete?q=Strandvejen%2042",
    )
    .await;
    assert!(
        found[0]["address"]["label"]
            .as_str()
            .unwrap()
            .contains("Fanø"),
        "{found}"
    );

    // A broken file fails and says why; the registry keeps what it had.
    let res = upload(
        &app,
        &admin,
        "/admin/indlaesning/adresser?fil=bad.json&format=json",
        "[{",
    )
    .await;
    let run = res.headers()[LOCATION].to_str().unwrap().to_string();
    let html = finished_run(&app, &admin.0, &run).await;
    assert!(html.contains("Mislykkedes"), "{html}");
    let found = get_ok(
        &app,
        &token,
        "/api/v1/addresses/autocomplete?q=Strandvejen%2042",
    )
    .await;
    assert!(!found.as_array().unwrap().is_empty());
}
