//! Single sign-on (issue 18) against the test's own OpenID Connect provider: the browser's
//! redirects followed by hand (no redirects in the client), cookies read from the answers.

use std::time::Duration;

use korsel::config::PasswordLogin;
use korsel::domain::users::{Role, Roles};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, ADMIN_PASSWORD};
use crate::oidc_provider::{
    add_person, spawn_with_provider, Behaviour, TestProvider, CLIENT_ID, EC_KEY,
};

/// A change to the provider's behaviour.
type Change = fn(&mut Behaviour);

fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn location(res: &Response) -> String {
    res.headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location in a {} answer", res.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// `/auth/oidc/login` → the provider's authorize endpoint → the callback URL it sends the
/// browser back to (not yet visited).
async fn callback_url(app: &TestApp) -> String {
    callback_url_at(app, &app.address).await
}

/// As [`callback_url`], for an app whose public URL is `public`.
async fn callback_url_at(app: &TestApp, public: &str) -> String {
    let c = client();
    let res = c
        .get(app.url("/auth/oidc/login?next=/mit-aar"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let authorize = location(&res);
    assert!(authorize.contains("code_challenge="), "{authorize}");
    let res = c.get(&authorize).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = location(&res);
    let expected = format!("{public}/auth/oidc/callback?");
    assert!(back.starts_with(&expected), "{back}");
    back
}

async fn visit(url: &str) -> Response {
    client().get(url).send().await.unwrap()
}

/// A whole sign-in; the callback's answer.
async fn sign_in(app: &TestApp) -> Response {
    visit(&callback_url(app).await).await
}

/// Asserts a signed-in answer: to the page asked for, with a session cookie; returns it.
fn session_of(res: &Response) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res), "/mit-aar");
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("korsel_session="))
        .expect("session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn events(app: &TestApp) -> Vec<(String, Option<String>)> {
    korsel::db::oidc::all_events(&mut app.db.connect())
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.username))
        .collect()
}

fn roles_of(app: &TestApp, username: &str) -> Option<Roles> {
    korsel::db::users::find_by_username(&mut app.db.connect(), username)
        .unwrap()
        .map(|u| u.roles)
}

/// Asserts a refusal page (Danish, the status) and that the last audit event is `kind`.
async fn assert_refused(app: &TestApp, res: Response, status: u16, kind: &str) -> String {
    assert_eq!(res.status().as_u16(), status);
    assert!(res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .all(|v| !v.to_str().unwrap().starts_with("korsel_session=")));
    let html = res.text().await.unwrap();
    assert!(html.contains("lang=\"da\""), "{html}");
    let last = events(app).pop().expect("an audit event");
    assert_eq!(last.0, kind, "{:?}", events(app));
    html
}

async fn setup() -> (TestProvider, TestApp) {
    let provider = TestProvider::start().await;
    let app = spawn_with_provider(&provider, |_| {}).await;
    add_person(&app, "hanne").await;
    (provider, app)
}

#[tokio::test]
async fn sign_in_makes_the_account_with_roles_from_groups_and_a_lost_group_loses_the_role() {
    let (provider, app) = setup().await;
    provider.set(|b| b.groups = vec!["grp-ledere".into(), "grp-andet".into()]);
    let session = session_of(&sign_in(&app).await);
    assert_eq!(
        roles_of(&app, "hanne"),
        Some(Roles::new([Role::Employee, Role::Approver]))
    );
    let page = client()
        .get(app.url("/mit-aar"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("hanne"));

    provider.set(|b| b.groups = vec!["grp-loen".into()]);
    session_of(&sign_in(&app).await);
    assert_eq!(
        roles_of(&app, "hanne"),
        Some(Roles::new([Role::Employee, Role::Payroll]))
    );
    provider.set(|b| b.groups.clear());
    session_of(&sign_in(&app).await);
    assert_eq!(roles_of(&app, "hanne"), Some(Roles::new([Role::Employee])));
    let kinds: Vec<_> = events(&app).into_iter().map(|e| e.0).collect();
    assert_eq!(kinds, vec!["oidc-signed-in"; 3]);
    // The account has no password: the password sign-in cannot be used for it.
    let res = app.login("hanne", "!single-sign-on").await;
    crate::helpers::assert_problem(res, 401, "invalid-credentials").await;
}

#[tokio::test]
async fn bad_id_tokens_are_refused_with_a_page_and_an_audit_event() {
    let (provider, app) = setup().await;
    let cases: [(Change, &str); 6] = [
        (|b| b.weak_alg = Some("HS256"), "oidc-invalid-token"),
        (|b| b.weak_alg = Some("none"), "oidc-invalid-token"),
        (|b| b.tamper = true, "oidc-bad-signature"),
        (
            |b| b.audience = Some("someone-else".into()),
            "oidc-wrong-audience",
        ),
        (|b| b.expired = true, "oidc-expired"),
        (|b| b.wrong_nonce = true, "oidc-wrong-nonce"),
    ];
    for (change, kind) in cases {
        provider.set(|b| *b = Default::default());
        provider.set(change);
        let html = assert_refused(&app, sign_in(&app).await, 400, kind).await;
        assert!(html.contains("Du blev ikke logget ind"), "{kind}: {html}");
    }
    provider.set(|b| *b = Default::default());
    provider.set(|b| b.error = Some("access_denied".into()));
    assert_refused(&app, sign_in(&app).await, 400, "oidc-provider-error").await;
    // None of them made an account; a good token still works.
    assert_eq!(roles_of(&app, "hanne"), None);
    provider.set(|b| *b = Default::default());
    session_of(&sign_in(&app).await);
}

#[tokio::test]
async fn a_state_works_once() {
    let (_provider, app) = setup().await;
    let back = callback_url(&app).await;
    session_of(&visit(&back).await);
    let html = assert_refused(&app, visit(&back).await, 400, "oidc-unknown-state").await;
    assert!(html.contains("allerede brugt"), "{html}");
    let forged = app.url("/auth/oidc/callback?code=x&state=made-up");
    assert_refused(&app, visit(&forged).await, 400, "oidc-unknown-state").await;
    assert_refused(
        &app,
        visit(&app.url("/auth/oidc/callback")).await,
        400,
        "oidc-unknown-state",
    )
    .await;
    // A query that does not parse at all is the same Danish page, not problem+json.
    for query in ["state=a&state=b", "code=%FF%FE", "state[]=x"] {
        let res = visit(&app.url(&format!("/auth/oidc/callback?{query}"))).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        let html = res.text().await.unwrap();
        assert!(html.contains("lang=\"da\""), "{query}: {html}");
    }
}

#[tokio::test]
async fn an_unlinked_username_is_refused_and_gets_no_account() {
    let (provider, app) = setup().await;
    provider.set(|b| {
        b.username = "ukendt@kommune.dk".into();
        b.groups = vec!["grp-it".into()];
    });
    let html = assert_refused(&app, sign_in(&app).await, 403, "oidc-unlinked").await;
    assert!(html.contains("ikke knyttet til en medarbejder"), "{html}");
    assert_eq!(
        events(&app).pop().unwrap().1.as_deref(),
        Some("ukendt@kommune.dk")
    );
    assert_eq!(roles_of(&app, "ukendt@kommune.dk"), None);
}

#[tokio::test]
async fn a_new_signing_key_is_read_without_a_restart_but_not_more_than_the_interval_allows() {
    let provider = TestProvider::start().await;
    let app = spawn_with_provider(&provider, |s| {
        s.oidc.as_mut().unwrap().jwks_refetch_interval = Duration::from_millis(700);
    })
    .await;
    add_person(&app, "hanne").await;
    session_of(&sign_in(&app).await);
    assert_eq!(provider.jwks_reads(), 1);
    // The provider rotates: new key, old one withdrawn.
    provider.set(|b| {
        b.signing_key = 1;
        b.published = vec![1];
    });
    // Within the interval the keys are not read again: the unknown key is refused.
    assert_refused(&app, sign_in(&app).await, 400, "oidc-unknown-key").await;
    assert_eq!(provider.jwks_reads(), 1);
    tokio::time::sleep(Duration::from_millis(800)).await;
    session_of(&sign_in(&app).await);
    assert_eq!(provider.jwks_reads(), 2);
    // The new key is cached now.
    session_of(&sign_in(&app).await);
    assert_eq!(provider.jwks_reads(), 2);
}

#[tokio::test]
async fn an_es256_id_token_signs_in_and_a_forged_one_is_refused() {
    let (provider, app) = setup().await;
    provider.set(|b| {
        b.signing_key = EC_KEY;
        b.published = vec![0, EC_KEY];
    });
    session_of(&sign_in(&app).await);
    // The same EC signature over a payload that asks for the admin group.
    provider.set(|b| b.tamper = true);
    assert_refused(&app, sign_in(&app).await, 400, "oidc-bad-signature").await;
}

#[tokio::test]
async fn sign_out_ends_the_session_at_the_provider_too() {
    let (provider, app) = setup().await;
    let session = session_of(&sign_in(&app).await);
    let c = client();
    let mine = || c.get(app.url("/mit-aar")).header(COOKIE, &session).send();
    let html = mine().await.unwrap().text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field");
    let res = c
        .post(app.url("/log-ud"))
        .header(COOKIE, &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    assert!(
        to.starts_with(&format!("{}/logout?id_token_hint=", provider.issuer())),
        "{to}"
    );
    assert!(to.contains("post_logout_redirect_uri="), "{to}");
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("form-action 'self' {};", provider.issuer())),
        "{csp}"
    );
    let after = mine().await.unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session is gone");
}

#[tokio::test]
async fn the_sign_in_page_offers_single_sign_on_first() {
    let (_provider, app) = setup().await;
    let html = visit(&app.url("/log-ind?next=/mit-aar"))
        .await
        .text()
        .await
        .unwrap();
    let button = html
        .find("Log ind med din organisations konto")
        .expect("button");
    assert!(button < html.find("id=\"password\"").unwrap());
    assert!(
        html.contains("href=\"/auth/oidc/login?next=%2Fmit-aar\""),
        "{html}"
    );
}

#[tokio::test]
async fn without_single_sign_on_its_routes_are_404() {
    let app = crate::helpers::spawn_app().await;
    let res = visit(&app.url("/auth/oidc/login")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = visit(&app.url("/log-ind")).await.text().await.unwrap();
    assert!(!html.contains("organisations konto"));
}

async fn me(app: &TestApp, token: &str) -> Response {
    app.get("/api/v1/me", Some(token)).await
}

#[tokio::test]
async fn provider_bearer_tokens_work_on_the_api_when_the_audience_is_set() {
    let provider = TestProvider::start().await;
    let app = spawn_with_provider(&provider, |s| {
        s.oidc.as_mut().unwrap().api_audience = Some("api://korsel".into());
    })
    .await;
    add_person(&app, "hanne").await;
    provider.set(|b| b.groups = vec!["grp-loen".into()]);
    let res = me(&app, &provider.token("api://korsel", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["username"], "hanne");
    assert_eq!(body["roles"], json!(["employee", "payroll"]));
    // Her data export lists her sign-ins.
    session_of(&sign_in(&app).await);
    let token = provider.token("api://korsel", None);
    let res = app.get("/api/v1/me/export", Some(&token)).await;
    let export: Value = res.json().await.unwrap();
    assert_eq!(export["sign_in_events"][0]["kind"], "oidc-signed-in");
    // Another audience (the web client's ID token), an expired or tampered token: 401.
    for change in [
        (|b: &mut Behaviour| b.audience = Some(CLIENT_ID.into())) as Change,
        |b| b.expired = true,
        |b| b.tamper = true,
        |b| b.weak_alg = Some("HS256"),
    ] {
        provider.set(|b| *b = Default::default());
        provider.set(change);
        let res = me(&app, &provider.token("api://korsel", None)).await;
        crate::helpers::assert_problem(res, 401, "invalid-token").await;
    }
    // korsel's own tokens keep working.
    let admin = app.admin_token().await;
    assert_eq!(me(&app, &admin).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn provider_bearer_tokens_are_refused_without_an_api_audience() {
    let (provider, app) = setup().await;
    let res = me(&app, &provider.token("api://korsel", None)).await;
    crate::helpers::assert_problem(res, 401, "invalid-token").await;
    let res = me(&app, &provider.token(CLIENT_ID, None)).await;
    crate::helpers::assert_problem(res, 401, "invalid-token").await;
}

#[tokio::test]
async fn password_login_for_admins_only_refuses_everybody_else() {
    let provider = TestProvider::start().await;
    let app = spawn_with_provider(&provider, |s| {
        s.password_login = PasswordLogin::Admins;
    })
    .await;
    app.create_user("bente", "bentes password", &["employee"])
        .await;
    let res = app.login("bente", "bentes password").await;
    let problem = crate::helpers::assert_problem(res, 403, "forbidden").await;
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("single sign-on"));
    // A wrong password is still just wrong (nothing said about the account).
    let res = app.login("bente", "not her password").await;
    crate::helpers::assert_problem(res, 401, "invalid-credentials").await;
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status(), 200);
    assert_eq!(
        events(&app),
        vec![("password-login-refused".to_string(), Some("bente".into()))]
    );
    let html = visit(&app.url("/log-ind")).await.text().await.unwrap();
    assert!(html.contains("Kun administratorer logger ind med adgangskode"));
    // The sign-in form refuses her the same way, in Danish.
    let res = crate::web_session::sign_in(&app, "bente", "bentes password").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(html.contains("kun for administratorer"), "{html}");
    assert_eq!(events(&app).len(), 2);
}

#[tokio::test]
async fn a_sign_in_begun_on_one_instance_finishes_on_another_once() {
    const PUBLIC: &str = "http://korsel.test";
    let provider = TestProvider::start().await;
    let instances = crate::helpers::spawn_instances(2, |s| {
        s.web.public_url = Some(PUBLIC.into());
        provider.configure(s);
    })
    .await;
    let (a, b) = (&instances[0], &instances[1]);
    add_person(a, "hanne").await;
    // The provider sends the browser to the public URL; the load balancer picks b.
    let back = callback_url_at(a, PUBLIC).await;
    let on_b = back.replacen(PUBLIC, &b.address, 1);
    session_of(&visit(&on_b).await);
    let on_a = back.replacen(PUBLIC, &a.address, 1);
    assert_refused(a, visit(&on_a).await, 400, "oidc-unknown-state").await;
}

#[tokio::test]
async fn a_deactivated_account_is_refused_single_sign_on() {
    let (_provider, app) = setup().await;
    session_of(&sign_in(&app).await);
    let conn = &mut app.db.connect();
    let hanne = korsel::db::users::find_by_username(conn, "hanne")
        .unwrap()
        .unwrap();
    let admin = korsel::db::users::find_by_username(conn, "admin")
        .unwrap()
        .unwrap();
    korsel::services::users::set_active(conn, admin.id, hanne.id, false).unwrap();
    let html = assert_refused(&app, sign_in(&app).await, 403, "oidc-deactivated").await;
    assert!(html.contains("deaktiveret"), "{html}");
}
