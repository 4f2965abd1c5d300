//! Every link on every page leads somewhere: signed in as each kind of user (employee, approver,
//! payroll, administrator), a crawl from the front page follows every same-site link (`href`,
//! `hx-get`) and finds no page that is missing (404) or broken (5xx). Links to another person's
//! records would be 404s too, so this also checks that pages only link to what their reader may
//! open. Every form found posts to a route that takes it (refused for the missing CSRF token,
//! 403, not 404 or 405).

use std::collections::{BTreeSet, VecDeque};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::ADMIN_PASSWORD;
use crate::report_fixtures::{read_report, world, PW};
use crate::web_session::{get_page, session};

/// The same-site paths a page links to or loads with htmx (`href="/…"`, `hx-get="/…"`), without
/// fragments; HTML-escaped `&amp;` back to `&`.
fn links(html: &str) -> Vec<String> {
    ["href=\"", "hx-get=\""]
        .iter()
        .flat_map(|attribute| html.split(attribute).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .map(|href| href.split('#').next().unwrap_or("").replace("&amp;", "&"))
        .filter(|href| !href.is_empty())
        .collect()
}

/// The paths the page's forms post to (`<form method="post" action="/…">`).
fn form_actions(html: &str) -> Vec<String> {
    html.split("<form method=\"post\" action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|action| action.starts_with('/'))
        .map(|action| action.replace("&amp;", "&"))
        .collect()
}

/// Crawls from `/` with `cookie`; returns the pages visited, every link that failed, and the
/// paths the pages' forms post to.
async fn crawl(
    app: &crate::helpers::TestApp,
    cookie: &str,
) -> (usize, Vec<String>, BTreeSet<String>) {
    let mut seen = BTreeSet::from(["/".to_string()]);
    let mut queue = VecDeque::from(["/".to_string()]);
    let (mut visited, mut failed, mut actions) = (0, Vec::new(), BTreeSet::new());
    while let Some(path) = queue.pop_front() {
        if visited == 400 {
            break;
        }
        visited += 1;
        let res = get_page(app, &path, cookie).await;
        let status = res.status();
        if status == StatusCode::NOT_FOUND || status.is_server_error() {
            failed.push(format!("{status} {path}"));
            continue;
        }
        let is_html = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        if !status.is_success() || !is_html {
            continue;
        }
        let html = res.text().await.unwrap();
        actions.extend(form_actions(&html));
        for link in links(&html) {
            // Paging through long lists adds nothing; the first pages are enough.
            let many_pages = link.contains("side=") && !link.contains("side=2");
            if !many_pages && seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    (visited, failed, actions)
}

#[tokio::test]
async fn every_link_on_every_page_opens_for_each_kind_of_user() {
    let w = world().await;
    w.set_tf_codes("car_high", "2026-03-10", "1111", None).await;
    // Reports in every state a page lists, a batch with a report, and a trip.
    let pending = w
        .create_submitted(
            &w.nina,
            read_report(w.emp_nina, "2026-03-11", "car_high", 8_000),
        )
        .await;
    let exported = w
        .create_submitted(
            &w.nina,
            read_report(w.emp_nina, "2026-03-10", "car_high", 12_340),
        )
        .await;
    w.approve(&w.lea, &exported).await;
    let res = w
        .app
        .post(
            "/api/v1/payroll/batches",
            Some(&w.admin),
            &json!({"up_to": "2026-03-10", "format": "csv"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    w.upload_trip(&w.nina, "2026-03-12T07:00:00Z", 120).await;
    assert_eq!(pending["status"], "pending");

    w.app.create_user("paula", PW, &["payroll"]).await;
    for (who, password) in [
        ("nina", PW),
        ("lea", PW),
        ("paula", PW),
        ("admin", ADMIN_PASSWORD),
    ] {
        let cookie = session(&w.app, who, password).await;
        let (visited, failed, actions) = crawl(&w.app, &cookie).await;
        assert!(visited > 5, "{who} saw only {visited} pages");
        assert!(failed.is_empty(), "{who}: {failed:#?}");
        // Every form posts somewhere that takes it: without its CSRF token the post is refused
        // as such (403), never 404, 405 or a 5xx.
        assert!(actions.contains("/log-ud"), "{who}: {actions:?}");
        for action in actions.iter().filter(|a| *a != "/log-ind") {
            let res = crate::web_session::client()
                .post(w.app.url(action))
                .header(reqwest::header::COOKIE, &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("x=1")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}: POST {action}");
        }
    }
    // The first admin is linked to no person: the employee's own pages say so.
    let admin = session(&w.app, "admin", ADMIN_PASSWORD).await;
    for path in ["/indberetninger/ny", "/mit-aar"] {
        let (status, html) = crate::web_session::page_text(&w.app, path, &admin).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            html.contains("ikke knyttet til en medarbejder"),
            "{path}: {html}"
        );
    }
}
