//! The browser scenarios. Every page a scenario reaches is checked with axe-core and
//! photographed (`Browser::check_page`).

use std::time::Duration;

use serde_json::json;

use crate::browser::{run, Browser};
use crate::world::{body, id, pending_report, world, PASSWORD};

/// Sets a field's value as a user's date picker would (typing into a date input depends on
/// the browser's locale).
pub async fn set_value(b: &Browser, css: &str, value: &str) {
    b.find(css).await;
    b.client
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
}

/// Types into an address field and picks the suggestion with this label.
async fn choose_address(b: &Browser, stop: usize, typed: &str, label: &str) {
    b.fill(&format!("#stop-{stop}-label"), typed).await;
    b.click(&format!(
        "#stop-{stop}-suggestions button[data-label='{label}']"
    ))
    .await;
    let chosen = b.text(&format!("#stop-{stop}-chosen")).await;
    assert!(chosen.contains(label), "{chosen}");
}

fn report_id_of(path: &str) -> i64 {
    path.trim_start_matches("/indberetninger/")
        .split(['?', '/'])
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a report page: {path}"))
}

#[tokio::test]
async fn manual_report_with_autocomplete_is_submitted_and_the_leader_approves_it() {
    let w = world(|_| {}).await;
    let base = w.app.address.clone();
    run("manual report", &base, |b| async move {
        b.goto("/").await;
        assert!(
            b.path().await.starts_with("/log-ind"),
            "not signed in: to the sign-in page"
        );
        b.check_page("log-ind").await;
        b.sign_in("nina", PASSWORD).await;
        b.check_page("mine-indberetninger-tom").await;

        b.goto("/indberetninger/ny").await;
        b.check_page("ny-indberetning").await;
        set_value(&b, "#dato", "2026-11-20").await;
        b.fill("#formaal", "Hjemmebesøg hos borger").await;
        choose_address(&b, 0, "Hjemvej", "Hjemvej 1, 8000 Aarhus C").await;
        // One via point, then the destination.
        b.follow("button[value=tilfoej-via]").await;
        choose_address(&b, 1, "Borgervej 3", "Borgervej 3, 8200 Aarhus N").await;
        choose_address(&b, 2, "Rådhus", "Rådhuspladsen 2, 8000 Aarhus C").await;
        b.check_page("ny-indberetning-udfyldt").await;
        b.follow("button[value=indsend]").await;
        b.find(".alert-success").await;
        let page = b.body().await;
        assert!(
            page.contains("Indberetningen er sendt til godkendelse."),
            "{page}"
        );
        assert!(page.contains("Afventer godkendelse"), "{page}");
        // Home → citizen A → work: 14 + 9 km routed.
        assert!(page.contains("23,00 km"), "{page}");
        b.check_page("indberetning-afventer").await;
        let report = report_id_of(&b.path().await);

        b.goto("/").await;
        assert!(b.body().await.contains("Hjemmebesøg hos borger"));
        b.check_page("mine-indberetninger").await;
        b.goto("/mit-aar").await;
        b.check_page("mit-aar").await;
        b.sign_out().await;

        b.sign_in("lea", PASSWORD).await;
        b.goto("/godkendelse").await;
        b.check_page("godkendelse").await;
        b.follow(&format!("a[href='/indberetninger/{report}']"))
            .await;
        b.check_page("godkendelse-detalje").await;
        b.follow(".decision button[value=godkend]").await;
        b.find(".alert-success").await;
        assert!(b.path().await.starts_with("/godkendelse"));
        let queue = b.body().await;
        assert!(queue.contains("Indberetningen er godkendt."), "{queue}");
        assert!(
            !b.exists(&format!("a[href='/indberetninger/{report}']"))
                .await
        );
    })
    .await;
    let approved = w.get(&w.nina, report_of_nina(&w).await).await;
    assert_eq!(approved["status"], "approved");
}

/// nina's only report.
async fn report_of_nina(w: &crate::report_fixtures::World) -> i64 {
    let list: serde_json::Value = w
        .app
        .get("/api/v1/reports", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "{list}");
    list["items"][0]["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_report_is_made_from_an_uploaded_trip() {
    let w = world(|_| {}).await;
    let trip = w.upload_trip(&w.nina, "2026-11-18T08:00:00Z", 600).await;
    let trip_id = trip["id"].as_i64().unwrap();
    let base = w.app.address.clone();
    run("report from trip", &base, move |b| async move {
        b.sign_in("nina", PASSWORD).await;
        b.goto("/ture").await;
        b.check_page("mine-ture").await;
        b.follow(&format!("a[href='/ture/{trip_id}']")).await;
        b.find("figure.map svg polyline").await;
        b.check_page("tur").await;
        b.follow(&format!("a[href='/indberetninger/ny?tur={trip_id}']"))
            .await;
        b.find("figure.map svg").await;
        b.check_page("ny-indberetning-fra-tur").await;
        b.fill("#formaal", "Sundhedsplejebesøg").await;
        b.follow("button[value=kladde]").await;
        b.find(".alert-success").await;
        let draft = b.body().await;
        assert!(draft.contains("Kladde") && draft.contains("GPS"), "{draft}");
        b.check_page("indberetning-kladde").await;
        b.follow("button[value=indsend]").await;
        b.find(".alert-success").await;
        assert!(b.body().await.contains("Afventer godkendelse"));
    })
    .await;
    let report = w.get(&w.nina, report_of_nina(&w).await).await;
    assert_eq!(report["trip_id"], trip_id);
    assert_eq!(report["status"], "pending");
}

#[tokio::test]
async fn a_rejected_report_is_seen_edited_and_resubmitted() {
    let w = world(|_| {}).await;
    let report = pending_report(&w, &w.nina, w.emp_nina, "2026-11-19", 12).await;
    let rid = id(&report);
    let base = w.app.address.clone();
    run("reject and resubmit", &base, move |b| async move {
        b.sign_in("lea", PASSWORD).await;
        b.goto(&format!("/indberetninger/{rid}")).await;
        assert!(
            b.body().await.contains("Aflæste km"),
            "the typed-km flag is shown"
        );
        // Rejecting needs a comment: said next to the field.
        b.follow(".decision button[value=afvis]").await;
        let refused = b.text("#kommentar-error").await;
        assert_eq!(refused, "Du skal angive en kommentar.");
        b.check_page("afvis-uden-kommentar").await;
        b.fill("#kommentar", "Skriv hvilken borger besøget gjaldt")
            .await;
        b.follow(".decision button[value=afvis]").await;
        b.find(".alert-success").await;
        assert!(b.body().await.contains("Indberetningen er afvist."));
        b.sign_out().await;

        b.sign_in("nina", PASSWORD).await;
        b.goto("/?status=rejected").await;
        assert!(b.body().await.contains("Afvist"));
        b.follow(&format!("a[href='/indberetninger/{rid}']")).await;
        let page = b.body().await;
        assert!(
            page.contains("Skriv hvilken borger besøget gjaldt"),
            "{page}"
        );
        b.check_page("afvist").await;
        b.follow(&format!("a[href='/indberetninger/{rid}/ret']"))
            .await;
        b.check_page("ret-indberetning").await;
        b.fill("#formaal", "Hjemmebesøg hos borger, Borgervej 3")
            .await;
        b.follow("button[value=gem]").await;
        b.find(".alert-success").await;
        let resubmitted = b.body().await;
        assert!(
            resubmitted.contains("Afventer godkendelse"),
            "{resubmitted}"
        );
        b.sign_out().await;

        b.sign_in("lea", PASSWORD).await;
        b.goto("/godkendelse").await;
        let queue = b.body().await;
        assert!(queue.contains("Sendt igen efter afvisning"), "{queue}");
    })
    .await;
    let after = w.get(&w.nina, rid).await;
    assert_eq!(after["status"], "pending");
    assert_eq!(after["purpose"], "Hjemmebesøg hos borger, Borgervej 3");
}

#[tokio::test]
async fn bulk_approval_shows_each_reports_outcome() {
    let w = world(|_| {}).await;
    let mut reports = Vec::new();
    for day in ["2026-11-02", "2026-11-03", "2026-11-04"] {
        reports.push(pending_report(&w, &w.nina, w.emp_nina, day, 7).await);
    }
    let base = w.app.address.clone();
    let (nina, withdrawn) = (w.nina.clone(), reports[1].clone());
    let w = std::sync::Arc::new(w);
    let world_for_browser = w.clone();
    run("bulk approve", &base, move |b| async move {
        let w = world_for_browser;
        b.sign_in("lea", PASSWORD).await;
        b.goto("/godkendelse").await;
        b.click("#select-all").await;
        // The employee withdraws one while the approver looks at the queue.
        w.act(
            &nina,
            &withdrawn,
            "withdraw",
            json!({"version": withdrawn["version"]}),
        )
        .await;
        b.follow("form[action='/godkendelse'][method=post] button[type=submit]")
            .await;
        let result = b.text(".alert-info").await;
        let [first, second, third] = [id(&reports[0]), id(&reports[1]), id(&reports[2])];
        assert!(
            result.contains(&format!("Indberetning {first}: Godkendt")),
            "{result}"
        );
        assert!(
            result.contains(&format!("Indberetning {third}: Godkendt")),
            "{result}"
        );
        assert!(
            result.contains(&format!("Indberetning {second}: Ikke godkendt")),
            "{result}"
        );
        b.check_page("godkend-valgte").await;
    })
    .await;
    let statuses: Vec<String> = statuses_by_date(&w, &w.nina).await;
    assert_eq!(statuses, ["approved", "draft", "approved"]);
}

async fn statuses_by_date(w: &crate::report_fixtures::World, token: &str) -> Vec<String> {
    let list: serde_json::Value = w
        .app
        .get("/api/v1/reports?per_page=10", Some(token))
        .await
        .json()
        .await
        .unwrap();
    let mut items: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["drive_date"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    items.sort();
    items.into_iter().map(|(_, s)| s).collect()
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused_and_idle_sessions_expire() {
    let w = world(|s| s.web.session_idle = Duration::from_secs(2)).await;
    let base = w.app.address.clone();
    run("csrf and expiry", &base, |b| async move {
        b.sign_in("nina", PASSWORD).await;
        let forged = body(&[("formaal", "Falsk"), ("knap", "kladde")]);
        assert_eq!(b.post_status("/indberetninger/ny", forged).await, 403);
        let wrong = body(&[("formaal", "Falsk"), ("csrf", "not-the-token")]);
        assert_eq!(b.post_status("/indberetninger/ny", wrong).await, 403);
        assert_eq!(b.post_status("/log-ud", body(&[])).await, 403);
        // The refusals changed nothing: still signed in, no report made.
        b.goto("/").await;
        assert!(b.body().await.contains("Der er ingen indberetninger"));

        tokio::time::sleep(Duration::from_millis(2_500)).await;
        b.goto("/mit-aar").await;
        b.find("#username").await;
        let path = b.path().await;
        assert!(
            path.starts_with("/log-ind") && path.contains("udloebet=1"),
            "{path}"
        );
        assert!(b.body().await.contains("ikke har været aktiv"));
        b.check_page("log-ind-udloebet").await;
        // Signing in again returns to the page asked for.
        b.fill("#username", "nina").await;
        b.fill("#password", PASSWORD).await;
        b.follow("form[action='/log-ind'] button[type=submit]")
            .await;
        b.find("nav.nav").await;
        assert_eq!(b.path().await, "/mit-aar");
    })
    .await;
    let reports: serde_json::Value = w
        .app
        .get("/api/v1/reports", Some(&w.nina))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reports["total"], 0);
}

#[tokio::test]
async fn an_employee_cannot_open_another_persons_report() {
    let w = world(|_| {}).await;
    let theirs = pending_report(&w, &w.nils, w.emp_nils, "2026-11-05", 5).await;
    let rid = id(&theirs);
    let base = w.app.address.clone();
    run("foreign report", &base, move |b| async move {
        b.sign_in("nina", PASSWORD).await;
        b.goto(&format!("/indberetninger/{rid}")).await;
        assert_eq!(b.text("h1").await, "Siden findes ikke");
        assert_eq!(b.get_status(&format!("/indberetninger/{rid}")).await, 404);
        assert_eq!(b.get_status(&format!("/indberetninger/{rid}/ret")).await, 404);
        b.check_page("ikke-fundet").await;
        // Nor act on it, even with a valid token of the session.
        b.goto("/").await;
        let csrf = b
            .client
            .execute(
                "return document.querySelector('meta[name=csrf-token]').content;",
                vec![],
            )
            .await
            .unwrap();
        let withdraw = json!({"csrf": csrf, "handling": "traek-tilbage", "version": theirs["version"].to_string()});
        assert_eq!(b.post_status(&format!("/indberetninger/{rid}"), withdraw).await, 404);
    })
    .await;
    assert_eq!(w.get(&w.nils, rid).await["status"], "pending");
}

#[tokio::test]
async fn the_second_of_two_approvers_gets_the_stale_version_message() {
    let w = world(|_| {}).await;
    let report = pending_report(&w, &w.nina, w.emp_nina, "2026-11-06", 9).await;
    let rid = id(&report);
    let base = w.app.address.clone();
    let w = std::sync::Arc::new(w);
    let world_for_browser = w.clone();
    run("stale version", &base, move |b| async move {
        let w = world_for_browser;
        b.sign_in("lea", PASSWORD).await;
        b.goto(&format!("/indberetninger/{rid}")).await;
        b.find(".decision").await;
        // The substitute approves first, through the API.
        w.approve(&w.sara, &report).await;
        b.follow(".decision button[value=godkend]").await;
        let alert = b.text(".alert-warning").await;
        assert!(alert.contains("ændret af en anden"), "{alert}");
        assert!(b.body().await.contains("Godkendt"));
        assert!(!b.exists(".decision").await, "nothing left to decide");
        b.check_page("forældet-udgave").await;
    })
    .await;
    let after = w.get(&w.nina, rid).await;
    assert_eq!(after["status"], "approved");
    let sara: serde_json::Value = w
        .app
        .get("/api/v1/me", Some(&w.sara))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        after["decided_by_user_id"], sara["id"],
        "the substitute's approval stands"
    );
}
