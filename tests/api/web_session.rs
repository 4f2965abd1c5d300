//! A browser's session over plain HTTP, for the page tests: signing in through the form, the
//! session cookie and CSRF token, opening pages and posting forms (redirects not followed).

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{redirect, Client, Response, StatusCode};

use crate::helpers::{TestApp, ADMIN_PASSWORD};

pub(crate) fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) fn cookie(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The value of a page's (hidden) form field `name`.
pub(crate) fn field<'a>(html: &'a str, name: &str) -> &'a str {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no field {name}"))
}

pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A page as the browser with this session cookie asks for it.
pub(crate) async fn get_page(app: &TestApp, path: &str, session: &str) -> Response {
    client()
        .get(app.url(path))
        .header(COOKIE, session)
        .send()
        .await
        .unwrap()
}

/// A page's status and text.
pub(crate) async fn page_text(app: &TestApp, path: &str, session: &str) -> (StatusCode, String) {
    let res = get_page(app, path, session).await;
    (res.status(), res.text().await.unwrap())
}

/// Posts a form as it stands (its CSRF token, if any, among `pairs`).
pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    session: &str,
    pairs: &[(&str, &str)],
) -> Response {
    client()
        .post(app.url(path))
        .header(COOKIE, session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .unwrap()
}

/// Posts a form of a [`browser`] session, its CSRF token first.
pub(crate) async fn submit_form(
    app: &TestApp,
    (session, csrf): &(String, String),
    path: &str,
    pairs: &[(&str, &str)],
) -> Response {
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(pairs);
    post_form(app, path, session, &all).await
}

/// Signs in through the form; returns the answer (303 with the session cookie on success).
pub(crate) async fn sign_in(app: &TestApp, username: &str, password: &str) -> Response {
    let c = client();
    let page = c.get(app.url("/log-ind")).send().await.unwrap();
    let login = cookie(&page, "korsel_login").expect("login cookie");
    let html = page.text().await.unwrap();
    c.post(app.url("/log-ind"))
        .header(COOKIE, login.split(';').next().unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", field(&html, "csrf")),
            ("username", username),
            ("password", password),
            ("next", "/mit-aar"),
        ]))
        .send()
        .await
        .unwrap()
}

/// A browser session of `username` (signed in through the form): its cookie.
pub(crate) async fn session(app: &TestApp, username: &str, password: &str) -> String {
    let res = sign_in(app, username, password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{username} signs in");
    cookie(&res, "korsel_session")
        .expect("session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// A session's CSRF token, from a page every signed-in user may open.
pub(crate) async fn csrf(app: &TestApp, session: &str) -> String {
    let (_, html) = page_text(app, "/adgangskode", session).await;
    field(&html, "csrf").to_string()
}

/// A browser session of `username`: (cookie, CSRF token).
pub(crate) async fn browser(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let session = session(app, username, password).await;
    let csrf = csrf(app, &session).await;
    (session, csrf)
}

pub(crate) async fn admin_browser(app: &TestApp) -> (String, String) {
    browser(app, "admin", ADMIN_PASSWORD).await
}
