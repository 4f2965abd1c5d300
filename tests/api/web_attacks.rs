//! The web app from outside, as an attacker tries it: every page route for every role, ids that
//! are not the caller's (or not ids at all), forms without (or with another session's) CSRF
//! token, unreadable and absurd form values, odd query strings and off-site return paths.
//! Whatever is tried: a Danish page with a 3xx/4xx status, never a 500, never a stored absurd
//! amount, never somebody else's data. Absurd values in forms and in the JSON API, and acting
//! on what is not one's own, are in `values`.

mod values;

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::helpers::{spawn_app_with, TestApp, ADMIN_PASSWORD};
use crate::report_fixtures::{read_report, world, PW};
use crate::web_payroll::app_with_a_batch_and_staff;
use crate::web_session::{client, cookie, csrf, field, form, get_page, post_form, session};

/// A POST with a raw (already encoded) body.
pub(super) async fn post_raw(app: &TestApp, path: &str, session: &str, body: Vec<u8>) -> Response {
    client()
        .post(app.url(path))
        .header(COOKIE, session)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Asserts an error answer is a Danish HTML page with `status` (not the API's JSON).
pub(super) async fn assert_danish_page(res: Response, status: StatusCode, what: &str) -> String {
    assert_eq!(res.status(), status, "{what}");
    let kind = res.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
    assert!(kind.starts_with("text/html"), "{what}: {kind}");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"da\">"), "{what}: {html}");
    html
}

const GET_PAGES: [&str; 17] = [
    "/",
    "/indberetninger/ny",
    "/indberetninger/1",
    "/indberetninger/1/ret",
    "/mit-aar",
    "/ture",
    "/ture/1",
    "/beskeder",
    "/adgangskode",
    "/godkendelse",
    "/adresser/forslag?q=vej",
    "/loen",
    "/loen/ny",
    "/loen/afventer",
    "/loen/koersler/1",
    "/loen/koersler/1/annuller",
    "/admin/takster",
];
const POST_PAGES: [&str; 14] = [
    "/log-ud",
    "/adgangskode",
    "/beskeder",
    "/indberetninger/ny",
    "/indberetninger/1",
    "/indberetninger/1/ret",
    "/godkendelse",
    "/loen/ny",
    "/loen/koersler/1/annuller",
    "/admin/takster/loenarter",
    "/admin/takster/ny",
    "/admin/noegler",
    "/admin/noegler/tilbagekald",
    "/log-ind",
];
/// Pages only payroll staff and administrators may open.
const STAFF_PAGES: [&str; 5] = [
    "/loen",
    "/loen/ny",
    "/loen/afventer",
    "/loen/koersler/1",
    "/loen/koersler/1/annuller",
];

#[tokio::test]
async fn every_role_on_every_route_gets_sign_in_404_or_the_page_never_a_500() {
    let app = app_with_a_batch_and_staff().await;

    // Anonymous: every page sends to sign-in with the way back; htmx is told the same.
    for path in GET_PAGES
        .iter()
        .chain(["/admin/noegler", "/loen/koersler/1/fil"].iter())
    {
        let res = get_page(&app, path, "").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        let to = res.headers()[LOCATION].to_str().unwrap();
        assert!(to.starts_with("/log-ind?next=%2F"), "{path}: {to}");
        let htmx = client()
            .get(app.url(path))
            .header("hx-request", "true")
            .send()
            .await
            .unwrap();
        assert!(
            htmx.headers()["hx-redirect"]
                .to_str()
                .unwrap()
                .starts_with("/log-ind?next="),
            "{path}"
        );
    }
    for path in POST_PAGES.iter().filter(|p| **p != "/log-ind") {
        let res = post_form(&app, path, "", &[("csrf", "x")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST {path}");
    }

    let sessions = [
        ("emma", session(&app, "emma", PW).await),
        ("anders", session(&app, "anders", PW).await),
        ("paula", session(&app, "paula", PW).await),
        ("admin", session(&app, "admin", ADMIN_PASSWORD).await),
    ];
    for (who, session) in &sessions {
        let token = csrf(&app, session).await;
        for path in GET_PAGES {
            let status = get_page(&app, path, session).await.status();
            assert!(
                status.is_success() || status.is_redirection() || status.is_client_error(),
                "{who} GET {path}: {status}"
            );
            let staff = matches!(*who, "paula" | "admin");
            if STAFF_PAGES.contains(&path) {
                let expected = if staff {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                };
                assert_eq!(status, expected, "{who} GET {path}");
            }
        }
        // With the CSRF token but no fields: a refusal of some kind, never a 500.
        for path in POST_PAGES
            .iter()
            .filter(|p| !["/log-ud", "/log-ind"].contains(p))
        {
            let status = post_form(&app, path, session, &[("csrf", &token)])
                .await
                .status();
            assert!(
                status.is_success() || status.is_redirection() || status.is_client_error(),
                "{who} POST {path}: {status}"
            );
        }
    }
    // An employee is not an approver: the approval queue does not exist for them.
    let emma = &sessions[0].1;
    assert_danish_page(
        get_page(&app, "/godkendelse", emma).await,
        StatusCode::NOT_FOUND,
        "employee on /godkendelse",
    )
    .await;
    // A GET-only page answers a POST with the Danish 404 page, not a 500 or a JSON body.
    let res = client()
        .post(app.url("/mit-aar"))
        .header(COOKIE, emma)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_danish_page(res, StatusCode::NOT_FOUND, "POST /mit-aar").await;
}

#[tokio::test]
async fn other_peoples_missing_and_malformed_ids_are_danish_404_pages() {
    let w = world().await;
    let app = &w.app;
    let report = w
        .create(
            &w.nina,
            read_report(w.emp_nina, "2026-11-02", "car_high", 12_000),
        )
        .await;
    let report = report["id"].as_i64().unwrap().to_string();
    let trip = w.upload_trip(&w.nina, "2026-11-02T08:00:00Z", 120).await["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let nina = session(app, "nina", PW).await;
    let otto = session(app, "otto", PW).await;
    let olga = session(app, "olga", PW).await;
    let admin = session(app, "admin", ADMIN_PASSWORD).await;
    let own = get_page(app, &format!("/indberetninger/{report}"), &nina).await;
    assert_eq!(own.status(), StatusCode::OK, "nina sees her own report");

    // otto (a colleague elsewhere) and olga (an approver, but not nina's) see nothing.
    for who in [&otto, &olga] {
        for path in [
            format!("/indberetninger/{report}"),
            format!("/indberetninger/{report}/ret"),
            format!("/ture/{trip}"),
        ] {
            let html = assert_danish_page(
                get_page(app, &path, who).await,
                StatusCode::NOT_FOUND,
                &path,
            )
            .await;
            assert!(!html.contains("Hjemmebesøg"), "{path}: {html}");
        }
        let token = csrf(app, who).await;
        for (path, action) in [
            (format!("/indberetninger/{report}"), "slet"),
            (format!("/indberetninger/{report}"), "godkend"),
            (format!("/indberetninger/{report}/ret"), "gem"),
        ] {
            let res = post_form(
                app,
                &path,
                who,
                &[
                    ("csrf", &token),
                    ("handling", action),
                    ("knap", action),
                    ("version", "1"),
                ],
            )
            .await;
            assert_danish_page(res, StatusCode::NOT_FOUND, &path).await;
        }
    }
    let still = w.get(&w.nina, report.parse().unwrap()).await;
    assert_eq!(still["status"], "draft", "nothing happened to it");

    // Ids that name nothing, or are no ids at all.
    for id in [
        "0",
        "-1",
        "999999",
        "99999999999999999999",
        "abc",
        "1.5",
        "%00",
    ] {
        for (path, who) in [
            (format!("/indberetninger/{id}"), &nina),
            (format!("/indberetninger/{id}/ret"), &nina),
            (format!("/ture/{id}"), &nina),
            (format!("/loen/koersler/{id}"), &admin),
            (format!("/loen/koersler/{id}/fil"), &admin),
            (format!("/loen/koersler/{id}/annuller"), &admin),
        ] {
            let html = assert_danish_page(
                get_page(app, &path, who).await,
                StatusCode::NOT_FOUND,
                &path,
            )
            .await;
            assert!(html.contains("Siden findes ikke"), "{path}: {html}");
        }
        let token = csrf(app, &nina).await;
        let path = format!("/indberetninger/{id}");
        let res = post_form(app, &path, &nina, &[("csrf", &token), ("handling", "slet")]).await;
        assert_danish_page(res, StatusCode::NOT_FOUND, &format!("POST {path}")).await;
    }
}

#[tokio::test]
async fn forms_without_the_sessions_own_token_or_with_unreadable_bodies_are_refused() {
    let app = spawn_app_with(|_| {}).await;
    app.create_user("emma", PW, &["employee"]).await;
    let admin = session(&app, "admin", ADMIN_PASSWORD).await;
    let emma = session(&app, "emma", PW).await;
    let emmas_token = csrf(&app, &emma).await;
    let token = csrf(&app, &admin).await;
    for path in POST_PAGES.iter().filter(|p| **p != "/log-ind") {
        let fields = [("navn", "lon"), ("kind", "car_low"), ("til", "2026-11-30")];
        let missing = post_form(&app, path, &admin, &fields).await;
        assert_danish_page(missing, StatusCode::FORBIDDEN, path).await;
        let mut foreign = fields.to_vec();
        foreign.push(("csrf", &emmas_token));
        let foreign = post_form(&app, path, &admin, &foreign).await;
        assert_danish_page(foreign, StatusCode::FORBIDDEN, path).await;
    }
    let (_, keys) = (
        (),
        get_page(&app, "/admin/noegler", &admin)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(keys.contains("Der er ingen nøgler."), "no key was made");

    // Bodies that cannot be read as a form: a clear page saying so, not "reload the page".
    let huge = format!("csrf={token}&navn={}", "a".repeat(1 << 20));
    let res = post_raw(&app, "/admin/noegler", &admin, huge.into_bytes()).await;
    assert_danish_page(res, StatusCode::PAYLOAD_TOO_LARGE, "1 MB form").await;
    let res = post_raw(&app, "/log-ind", "", "username=admin%00&password=x".into()).await;
    assert_danish_page(res, StatusCode::BAD_REQUEST, "NUL on /log-ind").await;
    let res = post_raw(
        &app,
        "/admin/noegler",
        &admin,
        format!("csrf={token}&navn=a%07b").into(),
    )
    .await;
    assert_danish_page(res, StatusCode::BAD_REQUEST, "BEL in a name").await;
    for body in [
        format!("csrf={token}&navn=%ff%fe"),
        format!("csrf={token}&navn=%C3"),
    ] {
        let res = post_raw(&app, "/admin/noegler", &admin, body.clone().into_bytes()).await;
        assert_danish_page(res, StatusCode::BAD_REQUEST, &body).await;
    }
    let mut raw = format!("csrf={token}&navn=").into_bytes();
    raw.extend([b'a', 0xff, b'b']);
    let res = post_raw(&app, "/admin/noegler", &admin, raw).await;
    assert_danish_page(res, StatusCode::BAD_REQUEST, "a raw 0xff byte").await;
    let keys = get_page(&app, "/admin/noegler", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        keys.contains("Der er ingen nøgler."),
        "no mangled name stored"
    );
}
#[tokio::test]
async fn odd_query_strings_on_list_pages_give_the_page_or_a_danish_400() {
    let app = spawn_app_with(|_| {}).await;
    let admin = session(&app, "admin", ADMIN_PASSWORD).await;
    for list in ["/", "/ture", "/godkendelse", "/loen", "/loen/koersler/1"] {
        for side in [
            "0",
            "-1",
            "99999999999",
            "4294967295",
            "abc",
            "",
            "1&side=2",
        ] {
            let path = format!("{list}?side={side}");
            let res = get_page(&app, &path, &admin).await;
            let status = res.status();
            if status == StatusCode::NOT_FOUND && list == "/loen/koersler/1" {
                continue; // no batch yet: the page does not exist
            }
            assert!(
                status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
                "{path}: {status}"
            );
            let kind = res.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
            assert!(kind.starts_with("text/html"), "{path}: {kind}");
        }
    }
    for path in [
        "/?aar=abc&status=bogus",
        "/?aar=99999",
        "/?aar=0",
        "/mit-aar?aar=99999",
        "/mit-aar?aar=0",
        "/mit-aar?aar=abc",
        "/mit-aar?aar=-2147483649",
        "/godkendelse?fra=2026-02-30&til=99999-01-01&sortering=%27%3B--&person=%00",
        "/godkendelse?sortering=DROP%20TABLE&markeret=%ff",
        "/loen/ny?til=2026-02-30&format=exe",
        "/loen/ny?til=0000-01-01",
        "/indberetninger/ny?tur=abc",
        "/indberetninger/ny?tur=99999999999999999999",
        "/indberetninger/1?besked=%3Cscript%3E",
        "/adresser/forslag?q=%ff",
        "/adresser/forslag",
        "/beskeder?besked=x",
    ] {
        let res = get_page(&app, path, &admin).await;
        let status = res.status();
        assert!(
            status == StatusCode::OK
                || status == StatusCode::BAD_REQUEST
                || status == StatusCode::NOT_FOUND,
            "{path}: {status}"
        );
        let kind = res.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        let html = res.text().await.unwrap();
        assert!(!html.contains("<script>"), "{path}");
    }
}

#[tokio::test]
async fn the_sign_in_page_never_sends_anybody_off_site_or_breaks_its_headers() {
    let app = spawn_app_with(|_| {}).await;
    for next in [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: korsel_session=x",
        "/%2F/evil.example",
        " //evil.example",
    ] {
        let page = client()
            .get(app.url(&format!("/log-ind?{}", form(&[("next", next)]))))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{next:?}");
        let login = cookie(&page, "korsel_login").expect("login cookie");
        let html = page.text().await.unwrap();
        let shown = field(&html, "next").to_string();
        assert!(
            !shown.contains("evil") || shown.starts_with("/%2F"),
            "{next:?}: {shown}"
        );
        let res = client()
            .post(app.url("/log-ind"))
            .header(COOKIE, login.split(';').next().unwrap())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[
                ("csrf", field(&html, "csrf")),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        let to = res.headers()[LOCATION].to_str().unwrap();
        let stripped: String = to.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            stripped.starts_with('/') && !stripped.starts_with("//") && !stripped.contains('\\'),
            "{next:?} → {to:?}"
        );
        let session = cookie(&res, "korsel_session").expect("signed in");
        assert!(
            !session.starts_with("korsel_session=x;"),
            "{next:?}: {session}"
        );
    }
}

#[tokio::test]
async fn the_payroll_file_download_names_itself_safely() {
    let app = spawn_app_with(|_| {}).await;
    let admin_token = app.admin_token().await;
    for format in ["csv"] {
        let res = app
            .post(
                "/api/v1/payroll/batches",
                Some(&admin_token),
                &json!({"up_to": "2026-11-30", "format": format}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{format}");
    }
    let admin = session(&app, "admin", ADMIN_PASSWORD).await;
    for (id, kind) in [(1, "text/csv")] {
        let res = get_page(&app, &format!("/loen/koersler/{id}/fil"), &admin).await;
        assert_eq!(res.status(), StatusCode::OK);
        let content_type = res.headers()[CONTENT_TYPE].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{content_type}");
        assert!(content_type.contains("charset="), "{content_type}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        let disposition = res.headers()[CONTENT_DISPOSITION].to_str().unwrap();
        let name = disposition
            .strip_prefix("attachment; filename=\"")
            .and_then(|n| n.strip_suffix('"'))
            .unwrap_or_else(|| panic!("{disposition}"));
        assert!(
            name.starts_with("korsel-")
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{disposition}"
        );
    }
}

#[tokio::test]
async fn the_cancel_and_password_forms_refuse_empty_long_and_mismatched_fields() {
    let app = app_with_a_batch_and_staff().await;
    let paula = session(&app, "paula", PW).await;
    let token = csrf(&app, &paula).await;
    let long = "æ".repeat(2_000);
    // Cancelling the batch: a reason is required and bounded; nothing is cancelled.
    for reason in ["", "   ", long.as_str()] {
        let res = post_form(
            &app,
            "/loen/koersler/1/annuller",
            &paula,
            &[("csrf", &token), ("begrundelse", reason)],
        )
        .await;
        let what = format!("reason of {} chars", reason.chars().count());
        assert_danish_page(res, StatusCode::UNPROCESSABLE_ENTITY, &what).await;
    }
    let batch = get_page(&app, "/loen/koersler/1", &paula)
        .await
        .text()
        .await
        .unwrap();
    assert!(batch.contains("Dannet"), "not cancelled: {batch}");

    // The password form: a password of thousands of characters or one given twice differently.
    for (new, repeat) in [
        (long.as_str(), long.as_str()),
        ("et nyt langt kodeord", "et andet"),
    ] {
        let res = post_form(
            &app,
            "/adgangskode",
            &paula,
            &[
                ("csrf", &token),
                ("nuvaerende", PW),
                ("ny", new),
                ("gentag", repeat),
            ],
        )
        .await;
        let status = res.status();
        assert!(status.is_client_error(), "{} chars: {status}", new.len());
    }
    assert_eq!(
        app.login("paula", PW).await.status(),
        StatusCode::OK,
        "unchanged"
    );
}
