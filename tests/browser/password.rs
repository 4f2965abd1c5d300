//! Issue 11's one-time password in the browser: the first administrator signs in with the
//! generated password and is sent to "Skift adgangskode" before any other page.

use crate::browser::run;
use crate::helpers::spawn_with_one_time_admin;

#[tokio::test]
async fn a_one_time_password_must_be_changed_before_anything_else() {
    let (app, one_time) = spawn_with_one_time_admin().await;
    let base = app.address.clone();
    run("one-time password", &base, move |b| async move {
        b.sign_in("admin", &one_time).await;
        assert_eq!(b.path().await, "/adgangskode");
        assert!(b.body().await.contains("engangsadgangskode"));
        assert!(!b.exists("nav.nav a").await, "no menus to other pages");
        b.check_page("skift-adgangskode").await;
        b.goto("/godkendelse").await;
        assert_eq!(b.path().await, "/adgangskode", "every page leads here");

        b.fill("#nuvaerende", &one_time).await;
        b.fill("#ny", "mit eget lange kodeord").await;
        b.fill("#gentag", "mit eget lange kodeord").await;
        b.follow("form[action='/adgangskode'] button[type=submit]")
            .await;
        assert_eq!(b.path().await, "/?besked=adgangskode-skiftet");
        assert!(b.body().await.contains("Din adgangskode er skiftet."));
        b.goto("/godkendelse").await;
        assert_eq!(b.path().await, "/godkendelse");
    })
    .await;
    assert_eq!(
        app.login("admin", "mit eget lange kodeord").await.status(),
        reqwest::StatusCode::OK
    );
}
