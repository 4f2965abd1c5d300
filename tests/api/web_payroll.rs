//! The payroll and administration configuration pages (issue 15) over plain HTTP: who may open
//! them (everybody else gets 404, never the page), the settings page without secrets, and the
//! connector keys made on the page working on the pull API until revoked.

use reqwest::header::{COOKIE, LOCATION};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app_with, TestApp, ADMIN_PASSWORD, JWT_SECRET};
use crate::web_session::{csrf, page_text, post_form, session};

const PW: &str = "a long password";

const PAYROLL_PAGES: [&str; 6] = [
    "/loen",
    "/loen/ny?til=2026-11-30&format=csv",
    "/loen/afventer",
    "/loen/koersler/1",
    "/loen/koersler/1/annuller",
    "/loen/koersler/1/fil",
];
const ADMIN_PAGES: [&str; 3] = ["/admin/takster", "/admin/noegler", "/admin/indstillinger"];

/// An app with one (empty) payroll batch, so that the batch's own pages exist, and users of
/// each role: emma (employee), anders (employee and approver), paula (payroll).
pub(crate) async fn app_with_a_batch_and_staff() -> TestApp {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.admin_token().await;
    let res = app
        .post(
            "/api/v1/payroll/batches",
            Some(&admin),
            &json!({"up_to": "2026-11-30", "format": "csv"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for (name, roles) in [
        ("emma", vec!["employee"]),
        ("anders", vec!["employee", "approver"]),
        ("paula", vec!["payroll"]),
    ] {
        app.create_user(name, PW, &roles).await;
    }
    app
}

#[tokio::test]
async fn payroll_and_admin_pages_are_404_for_everybody_else() {
    let app = app_with_a_batch_and_staff().await;
    let employee = session(&app, "emma", PW).await;
    let approver = session(&app, "anders", PW).await;
    let payroll = session(&app, "paula", PW).await;
    let admin = session(&app, "admin", ADMIN_PASSWORD).await;

    for who in [&employee, &approver] {
        for path in PAYROLL_PAGES.iter().chain(&ADMIN_PAGES) {
            let (status, html) = page_text(&app, path, who).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(html.contains("Siden findes ikke"), "{path}: {html}");
        }
    }
    for path in PAYROLL_PAGES {
        let (status, html) = page_text(&app, path, &payroll).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
    }
    for path in ADMIN_PAGES {
        let (status, _) = page_text(&app, path, &payroll).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in PAYROLL_PAGES.iter().chain(&ADMIN_PAGES) {
        let (status, html) = page_text(&app, path, &admin).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
    }
    // The seeded placeholder TF codes show the banner: payroll is told to ask an
    // administrator, who gets the link to the page that fixes it.
    let (_, html) = page_text(&app, "/loen", &payroll).await;
    assert!(html.contains("<h1>Lønkørsler</h1>"), "{html}");
    assert!(html.contains("Bed en administrator") && !html.contains("href=\"/admin/takster\">Sæt"));
    let (_, html) = page_text(&app, "/loen/afventer", &admin).await;
    assert!(
        html.contains("href=\"/admin/takster\">Sæt lønarterne"),
        "{html}"
    );

    // Forms too: an employee's valid form (own CSRF token) is answered 404 and does nothing.
    let token = csrf(&app, &employee).await;
    for (path, fields) in [
        ("/loen/ny", vec![("til", "2026-11-30"), ("format", "csv")]),
        (
            "/loen/koersler/1/annuller",
            vec![("begrundelse", "forkert")],
        ),
        ("/admin/noegler", vec![("navn", "lon")]),
        ("/admin/takster/ny", vec![("kind", "car_low")]),
    ] {
        let mut fields = fields;
        fields.push(("csrf", &token));
        let res = post_form(&app, path, &employee, &fields).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let token = csrf(&app, &payroll).await;
    let res = post_form(
        &app,
        "/admin/noegler",
        &payroll,
        &[("csrf", &token), ("navn", "lon")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, keys) = page_text(&app, "/admin/noegler", &admin).await;
    assert!(keys.contains("Der er ingen nøgler."), "no key was made");
    let (_, batch) = page_text(&app, "/loen/koersler/1", &admin).await;
    assert!(batch.contains("Dannet"), "not cancelled: {batch}");
}

#[tokio::test]
async fn the_settings_page_shows_no_secret() {
    let smtp_password = "smtp-password-value-42";
    let tile_key = "tile-api-key-value-42";
    let app = spawn_app_with(|s| {
        s.mail.smtp_url = Some(korsel::config::Secret::new(format!(
            "smtp://korsel:{smtp_password}@mail.kommune.dk:25"
        )));
        s.web.map_tile_url = Some(format!(
            "https://tiles.kommune.dk/{{z}}/{{x}}/{{y}}.png?key={tile_key}"
        ));
        s.payroll.municipality_number = Some(751);
    })
    .await;
    let admin = session(&app, "admin", ADMIN_PASSWORD).await;
    let (status, html) = page_text(&app, "/admin/indstillinger", &admin).await;
    assert_eq!(status, StatusCode::OK);
    for secret in [JWT_SECRET, ADMIN_PASSWORD, smtp_password, tile_key] {
        assert!(!html.contains(secret), "{secret} is on the page");
    }
    assert!(html.contains(env!("CARGO_PKG_VERSION")), "the version");
    assert!(
        html.contains("(KORSEL_JWT_SECRET)</th><td>sat</td>"),
        "{html}"
    );
    assert!(
        html.contains("(KORSEL_SMTP_URL)</th><td>sat</td>"),
        "{html}"
    );
    assert!(html.contains("https://tiles.kommune.dk/{z}/{x}/{y}.png"));
    assert!(html.contains("<td>751</td>"), "the municipality number");
}

#[tokio::test]
async fn a_connector_key_made_on_the_page_pulls_until_it_is_revoked() {
    let app = spawn_app_with(|_| {}).await;
    let admin = session(&app, "admin", ADMIN_PASSWORD).await;
    let token = csrf(&app, &admin).await;
    let res = post_form(
        &app,
        "/admin/noegler",
        &admin,
        &[("csrf", &token), ("navn", "opus-connector")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let key = html
        .split("id=\"new-key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the new key is shown")
        .to_string();
    assert!(key.starts_with("korsel_pk_"), "{key}");
    let pull = |key: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/v1/payroll/pending"))
                .header("x-api-key", key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(pull(key.clone()).await, StatusCode::OK);
    let (_, list) = page_text(&app, "/admin/noegler", &admin).await;
    assert!(
        list.contains("opus-connector") && !list.contains(&key),
        "shown once"
    );

    // The same name again is refused on the form, in Danish.
    let again = post_form(
        &app,
        "/admin/noegler",
        &admin,
        &[("csrf", &token), ("navn", "opus-connector")],
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("Nøglen blev ikke oprettet"));

    let revoked = post_form(
        &app,
        "/admin/noegler/tilbagekald",
        &admin,
        &[("csrf", &token), ("navn", "opus-connector")],
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        revoked.headers()[LOCATION],
        "/admin/noegler?besked=tilbagekaldt"
    );
    assert_eq!(pull(key).await, StatusCode::UNAUTHORIZED);
    let page = app
        .client
        .get(app.url("/admin/noegler?besked=tilbagekaldt"))
        .header(COOKIE, &admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Nøglen er tilbagekaldt.") && page.contains("Tilbagekaldt"));
}

pub(crate) async fn rate_types(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let list: serde_json::Value = app
        .get("/api/v1/rate-types?per_page=100", Some(token))
        .await
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn refused_rates_and_cancellations_are_danish_and_change_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let token = app.admin_token().await;
    let admin = session(&app, "admin", ADMIN_PASSWORD).await;
    let csrf = csrf(&app, &admin).await;
    let before = rate_types(&app, &token).await;
    let of_2026: Vec<String> = before
        .iter()
        .filter(|r| r["valid_from"].as_str().unwrap().starts_with("2026"))
        .map(|r| r["id"].to_string())
        .collect();
    let (a, b) = (&of_2026[0], &of_2026[1]);

    // A year's TF codes are saved all or none: one blank code refuses both.
    let (tf_a, tf_b) = (format!("tf-{a}"), format!("tf-{b}"));
    let res = post_form(
        &app,
        "/admin/takster/loenarter",
        &admin,
        &[
            ("csrf", &csrf),
            ("aar", "2026"),
            ("id", a),
            (&tf_a, "0111"),
            ("id", b),
            (&tf_b, " "),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Lønarterne blev ikke gemt"));
    assert_eq!(rate_types(&app, &token).await, before, "nothing changed");

    // An overlapping period is refused with the reason; next year's rate is added.
    let add = |fra: &'static str, til: &'static str| {
        let (app, admin, csrf) = (&app, &admin, &csrf);
        async move {
            post_form(
                app,
                "/admin/takster/ny",
                admin,
                &[
                    ("csrf", csrf),
                    ("kind", "car_low"),
                    ("fra", fra),
                    ("til", til),
                    ("sats", "3,9"),
                    ("tf", "0999"),
                    ("tf2", ""),
                    ("beskrivelse", ""),
                ],
            )
            .await
        }
    };
    let overlapping = add("2026-06-01", "2027-12-31").await;
    assert_eq!(overlapping.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(overlapping.text().await.unwrap().contains("overlapper"));
    assert_eq!(rate_types(&app, &token).await.len(), before.len());
    let added = add("2027-01-01", "2027-12-31").await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let after = rate_types(&app, &token).await;
    let new = after
        .iter()
        .find(|r| r["valid_from"] == "2027-01-01")
        .expect("the 2027 rate");
    assert_eq!(new["ore_per_km"], 390);
    assert_eq!(new["kind"], "car_low");
    assert_eq!(new["tf_code"], "0999");
    assert_eq!(new["tf_code_2"], serde_json::Value::Null);

    // A cancelled batch cannot be cancelled again: the page says so.
    let batch: serde_json::Value = app
        .post(
            "/api/v1/payroll/batches",
            Some(&token),
            &json!({"up_to": "2026-11-30", "format": "csv"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let cancel_path = format!("/loen/koersler/{}/annuller", batch["id"]);
    let missing_reason = post_form(&app, &cancel_path, &admin, &[("csrf", &csrf)]).await;
    assert_eq!(missing_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing_reason
        .text()
        .await
        .unwrap()
        .contains("Skriv en begrundelse."));
    let reason = [("csrf", csrf.as_str()), ("begrundelse", "forkert dato")];
    let done = post_form(&app, &cancel_path, &admin, &reason).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let again = post_form(&app, &cancel_path, &admin, &reason).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let html = again.text().await.unwrap();
    assert!(html.contains("kan ikke annulleres") && !html.contains("confirm-cancel"));
}
