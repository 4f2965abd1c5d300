//! The web app's plumbing over plain HTTP (the browser tests drive the pages themselves):
//! sign-in and its throttle, CSRF, idle expiry, security and cache headers, Danish error pages.

use std::time::Duration;

use reqwest::header::{COOKIE, LOCATION};
use reqwest::StatusCode;

use crate::helpers::{spawn_app_with, TestApp, ADMIN_PASSWORD};
use crate::web_session::{
    browser, client, cookie, field, get_page, page_text, post_form, sign_in, submit_form,
};

async fn session(app: &TestApp) -> String {
    let res = sign_in(app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/mit-aar");
    let set = cookie(&res, "korsel_session").expect("session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain http: no Secure flag");
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn sign_in_sets_a_session_that_pages_accept_and_sign_out_ends() {
    let app = spawn_app_with(|_| {}).await;
    let c = client();
    let anonymous = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()[LOCATION], "/log-ind?next=%2F");

    let session = session(&app).await;
    let page = get_page(&app, "/", &session).await;
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"da\">"));
    assert!(
        html.contains("Mine indberetninger") && html.contains("Til godkendelse"),
        "admin holds every role: both menus"
    );
    assert!(html.contains("Gå til indholdet"), "skip link");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        !html.contains("<script>") && !html.contains(" style="),
        "nothing inline"
    );

    // Without the CSRF token, a state-changing request is refused and changes nothing.
    let forged = c
        .post(app.url("/log-ud"))
        .header(COOKIE, &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await.unwrap().contains("Genindlæs siden"));
    let csrf = field(&html, "csrf").to_string();
    let out = c
        .post(app.url("/log-ud"))
        .header(COOKIE, &session)
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = get_page(&app, "/", &session).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session is gone");
}

#[tokio::test]
async fn wrong_passwords_are_refused_in_danish_and_throttled_like_the_api() {
    let app = spawn_app_with(|s| s.login_throttle.per_username = 2).await;
    for _ in 0..2 {
        let res = sign_in(&app, "admin", "wrong password").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("Brugernavnet eller adgangskoden er forkert."));
    }
    let blocked = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked
        .text()
        .await
        .unwrap()
        .contains("For mange forkerte forsøg"));
    // The API's login shares the counter.
    assert_eq!(
        app.login("admin", ADMIN_PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn an_idle_session_expires_and_the_sign_in_page_says_why() {
    let app = spawn_app_with(|s| s.web.session_idle = Duration::from_secs(1)).await;
    let session = session(&app).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let res = get_page(&app, "/mit-aar", &session).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert_eq!(to, "/log-ind?next=%2Fmit-aar&udloebet=1");
    let page = client()
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("ikke har været aktiv"));
}

#[tokio::test]
async fn https_public_url_makes_the_cookie_secure() {
    let app = spawn_app_with(|s| s.web.public_url = Some("https://korsel.kommune.dk".into())).await;
    let res = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    assert!(cookie(&res, "korsel_session").unwrap().contains("Secure"));
}

#[tokio::test]
async fn assets_are_cached_by_hash_and_unknown_pages_are_danish_for_browsers() {
    let app = spawn_app_with(|_| {}).await;
    let html = client()
        .get(app.url("/log-ind"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let css = html
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|u| u.ends_with("/korsel.css")))
        .expect("stylesheet link")
        .to_string();
    let res = client().get(app.url(&css)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let stale = client()
        .get(app.url("/static/000000000000/korsel.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);

    let page = client()
        .get(app.url("/findes-ikke"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("Siden findes ikke"));
    let api = client().get(app.url("/findes-ikke")).send().await.unwrap();
    assert_eq!(api.headers()["content-type"], "application/problem+json");
}

/// Issue 11's one-time password in the browser: after signing in with it, every page sends the
/// user to "Skift adgangskode" until a new password is set; then the user stays signed in.
#[tokio::test]
async fn a_one_time_password_sends_the_browser_to_the_password_page_first() {
    let (app, one_time) = crate::helpers::spawn_with_one_time_admin().await;

    let res = sign_in(&app, "admin", &one_time).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = cookie(&res, "korsel_session").unwrap();
    let session = session.split(';').next().unwrap().to_string();
    for path in ["/mit-aar", "/", "/godkendelse", "/indberetninger/1"] {
        let res = get_page(&app, path, &session).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()[LOCATION], "/adgangskode", "{path}");
    }
    let htmx = client()
        .get(app.url("/adresser/forslag?q=x"))
        .header(COOKIE, &session)
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(htmx.headers()["hx-redirect"], "/adgangskode");
    let page = get_page(&app, "/adgangskode", &session).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("engangsadgangskode"), "{html}");
    assert!(!html.contains("Til godkendelse"), "no menus to other pages");
    let csrf = field(&html, "csrf").to_string();

    // Refusals re-show the form with the reason.
    let new = "mit eget lange kodeord";
    let cases = [
        (one_time.as_str(), new, "et andet kodeord", "ikke ens"),
        (
            "forkert nuværende",
            new,
            new,
            "nuværende adgangskode er forkert",
        ),
        (one_time.as_str(), "kort", "kort", "Mindst 10"),
    ];
    for (current, new, repeat, says) in cases {
        let res = post_form(
            &app,
            "/adgangskode",
            &session,
            &[
                ("csrf", &csrf),
                ("nuvaerende", current),
                ("ny", new),
                ("gentag", repeat),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{says}");
        assert!(res.text().await.unwrap().contains(says), "{says}");
    }
    // Without the CSRF token nothing changes.
    let forged = post_form(
        &app,
        "/adgangskode",
        &session,
        &[("nuvaerende", &one_time), ("ny", new), ("gentag", new)],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let done = post_form(
        &app,
        "/adgangskode",
        &session,
        &[
            ("csrf", &csrf),
            ("nuvaerende", &one_time),
            ("ny", new),
            ("gentag", new),
        ],
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()[LOCATION], "/?besked=adgangskode-skiftet");
    let fresh = cookie(&done, "korsel_session").expect("a new session");
    let fresh = fresh.split(';').next().unwrap().to_string();
    let old = get_page(&app, "/", &session).await;
    assert!(
        old.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/log-ind"),
        "the one-time session ended with the change"
    );
    let home = get_page(&app, "/?besked=adgangskode-skiftet", &fresh).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home
        .text()
        .await
        .unwrap()
        .contains("Din adgangskode er skiftet."));
    assert_eq!(app.login("admin", new).await.status(), StatusCode::OK);
}

/// An account linked to no person (the first administrator, a payroll clerk) opens "Beskeder"
/// from its menu: the page explains that notices go to persons instead of a 404, and offers
/// nothing to save.
#[tokio::test]
async fn the_messages_page_explains_itself_to_an_account_without_a_person() {
    let app = spawn_app_with(|_| {}).await;
    app.create_user("paula", "a long password", &["payroll"])
        .await;
    for (who, password) in [("admin", ADMIN_PASSWORD), ("paula", "a long password")] {
        let browser = browser(&app, who, password).await;
        let (status, html) = page_text(&app, "/beskeder", &browser.0).await;
        assert_eq!(status, StatusCode::OK, "{who}: {html}");
        assert!(
            html.contains("Din brugerkonto er ikke knyttet til en person"),
            "{who}: {html}"
        );
        assert!(
            !html.contains("name=\"morgenoversigt\""),
            "{who}: no setting"
        );

        let res = submit_form(&app, &browser, "/beskeder", &[("morgenoversigt", "1")]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{who}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Din brugerkonto er ikke knyttet til en person"));
    }
}
