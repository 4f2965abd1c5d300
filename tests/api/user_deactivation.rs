//! An administrator deactivates a user (issue 15): every way in closes at once (password
//! sign-in with the answer of a wrong password, refresh, existing access tokens, the browser
//! session, the phone app), and reactivating opens the sign-ins again.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp, ADMIN_PASSWORD};
use crate::phone_app::{app_login, app_world, APP_PW};
use crate::report_fixtures::PW;
use crate::web_session::{admin_browser, get_page, page_text, sign_in, submit_form};

fn user_id(app: &TestApp, username: &str) -> i64 {
    korsel::db::users::find_by_username(&mut app.db.connect(), username)
        .unwrap()
        .unwrap()
        .id
        .0
}

async fn set_active(app: &TestApp, token: &str, id: i64, active: bool) -> reqwest::Response {
    app.put(
        &format!("/api/v1/users/{id}/active"),
        Some(token),
        &json!({ "active": active }),
    )
    .await
}

async fn app_sign_in(app: &TestApp, username: &str) -> reqwest::Response {
    app.post(
        "/api/auth",
        None,
        &json!({"UserName": username, "Password": APP_PW}),
    )
    .await
}

async fn refresh_refused(app: &TestApp, tokens: &Value) {
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    assert_problem(res, 401, "invalid-token").await;
}

#[tokio::test]
async fn deactivating_closes_every_way_in_and_reactivating_opens_the_sign_ins() {
    let w = app_world().await;
    let app = &w.app;
    let nina = user_id(app, "nina");
    let tokens = app.tokens("nina", PW).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    app_login(app, &w.nina, "nina").await;
    let session = sign_in(app, "nina", PW).await;
    assert_eq!(session.status(), StatusCode::SEE_OTHER);
    let session = crate::web_session::cookie(&session, "korsel_session").unwrap();
    let session = session.split(';').next().unwrap().to_string();
    assert_eq!(get_page(app, "/", &session).await.status(), StatusCode::OK);

    let res = set_active(app, &w.admin, nina, false).await;
    assert_eq!(res.status(), StatusCode::OK);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["active"], false);
    let shown: Value = app
        .get(&format!("/api/v1/users/{nina}"), Some(&w.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["active"], false);

    // Password sign-in: exactly the answer of a wrong password.
    let refused = assert_problem(app.login("nina", PW).await, 401, "invalid-credentials").await;
    let wrong = assert_problem(
        app.login("nils", "wrong password").await,
        401,
        "invalid-credentials",
    );
    assert_eq!(refused["detail"], wrong.await["detail"]);
    let web = sign_in(app, "nina", PW).await;
    assert_eq!(web.status(), StatusCode::OK);
    assert!(web
        .text()
        .await
        .unwrap()
        .contains("Brugernavnet eller adgangskoden er forkert."));
    // The refresh token, the access token, the browser session and the phone app are done.
    refresh_refused(app, &tokens).await;
    let res = app.get("/api/v1/me", Some(&access)).await;
    assert_problem(res, 401, "invalid-token").await;
    assert_eq!(
        get_page(app, "/", &session).await.status(),
        StatusCode::SEE_OTHER,
        "the browser session ended"
    );
    let res = app_sign_in(app, "nina").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["ErrorMessage"], "Invalid username or password");
    let events = korsel::db::oidc::all_events(&mut app.db.connect()).unwrap();
    assert!(events.iter().any(|e| e.kind == "user-deactivated"
        && e.username.as_deref() == Some("nina")
        && e.detail == "deactivated by admin"));

    // Reactivated: every sign-in works again (the old refresh token stays revoked).
    let res = set_active(app, &w.admin, nina, true).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["active"], true);
    let fresh = app.tokens("nina", PW).await;
    let res = app
        .get("/api/v1/me", Some(fresh["access_token"].as_str().unwrap()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        sign_in(app, "nina", PW).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app_sign_in(app, "nina").await.status(), StatusCode::OK);
    refresh_refused(app, &tokens).await;
}

#[tokio::test]
async fn only_administrators_deactivate_and_never_themselves() {
    let w = app_world().await;
    let app = &w.app;
    let (nina, admin) = (user_id(app, "nina"), user_id(app, "admin"));
    let res = set_active(app, &w.nils, nina, false).await;
    assert_problem(res, 403, "forbidden").await;
    let res = set_active(app, &w.admin, admin, false).await;
    let body = assert_problem(res, 409, "conflict").await;
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("your own account"));
    assert_eq!(
        app.login("admin", ADMIN_PASSWORD).await.status(),
        StatusCode::OK
    );
    let res = set_active(app, &w.admin, 999_999, false).await;
    assert_problem(res, 404, "not-found").await;
    let res = app
        .put(
            &format!("/api/v1/users/{nina}/active"),
            Some(&w.admin),
            &json!({"active": "no"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    // Nothing changed: nina still signs in.
    app.tokens("nina", PW).await;
}

#[tokio::test]
async fn the_user_page_deactivates_and_reactivates_and_the_list_says_so() {
    let w = app_world().await;
    let app = &w.app;
    let (nina, admin) = (user_id(app, "nina"), user_id(app, "admin"));
    let who = admin_browser(app).await;
    let page = format!("/admin/brugere/{nina}");
    let res = submit_form(app, &who, &page, &[("handling", "deaktiver")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, html) = page_text(app, &format!("{page}?besked=deaktiveret"), &who.0).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Genaktivér bruger") && !html.contains("Deaktivér bruger"));
    assert!(html.contains("Brugeren er deaktiveret og logget ud alle steder."));
    let (_, list) = page_text(app, "/admin/brugere?q=nina", &who.0).await;
    assert!(list.contains("(Deaktiveret)"), "{list}");
    assert_problem(app.login("nina", PW).await, 401, "invalid-credentials").await;

    let res = submit_form(app, &who, &page, &[("handling", "genaktiver")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = page_text(app, "/admin/brugere?q=nina", &who.0).await;
    assert!(!list.contains("(Deaktiveret)"));
    app.tokens("nina", PW).await;

    // Their own page refuses, and says why.
    let own = format!("/admin/brugere/{admin}");
    let res = submit_form(app, &who, &own, &[("handling", "deaktiver")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("your own account"));
    // Without the CSRF token nothing happens.
    let res = crate::web_session::client()
        .post(app.url(&page))
        .header(reqwest::header::COOKIE, &who.0)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("handling=deaktiver")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.tokens("nina", PW).await;
}
