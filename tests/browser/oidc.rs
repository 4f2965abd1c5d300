//! Issue 18's single sign-on in the browser, against the test's own OpenID Connect provider:
//! the button on the sign-in page, the round trip to the provider and back, single sign-out,
//! and the pages of a refused sign-in.

use crate::browser::run;
use crate::oidc_provider::{add_person, spawn_with_provider, TestProvider};

#[tokio::test]
async fn single_sign_on_signs_in_signs_out_and_explains_refusals() {
    let provider = TestProvider::start().await;
    let app = spawn_with_provider(&provider, |_| {}).await;
    add_person(&app, "hanne").await;
    provider.set(|b| b.groups = vec!["grp-ledere".into()]);
    let base = app.address.clone();
    let p = provider.clone();
    run("single sign-on", &base, move |b| async move {
        b.goto("/log-ind").await;
        b.check_page("log-ind-sso").await;
        b.follow("#sso-login").await;
        assert_eq!(b.path().await, "/");
        let body = b.body().await;
        assert!(body.contains("hanne"), "{body}");
        assert!(b.exists("a[href='/godkendelse']").await, "approver menu");

        // Out of korsel and the provider, back on the sign-in page.
        b.sign_out().await;
        assert_eq!(b.path().await, "/log-ind?besked=logget-ud");

        p.set(|b| b.username = "ukendt".into());
        b.follow("#sso-login").await;
        assert!(b.body().await.contains("ikke knyttet til en medarbejder"));
        b.check_page("sso-ikke-knyttet").await;

        b.goto("/log-ind").await;
        p.set(|b| {
            b.username = "hanne".into();
            b.expired = true;
        });
        b.follow("#sso-login").await;
        assert!(b.body().await.contains("Du blev ikke logget ind"));
        b.check_page("sso-afvist").await;
    })
    .await;
}
