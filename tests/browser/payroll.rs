//! Issue 15's payroll scenario: the placeholder banner refuses a batch until an administrator
//! sets the TF codes on "Takster" (and adds next year's rate); then payroll makes a CSV batch
//! through the preview, downloads the API's bytes, cancels it (the reports return to
//! approved) and re-exports them as KMD OPUS IND01; once payroll has acknowledged it, one
//! report goes back to its approver. Every page is checked with axe-core.

use fantoccini::Locator;

use crate::browser::{run, Browser};
use crate::helpers::ADMIN_PASSWORD;
use crate::scenarios::set_value;
use crate::world::{pending_report, world, PASSWORD};

/// The bytes of a download link, fetched with the browser's session cookie.
async fn download(b: &Browser, href: &str) -> Vec<u8> {
    let session = b.client.get_named_cookie("korsel_session").await.unwrap();
    let res = reqwest::Client::new()
        .get(format!("{}{href}", b.base))
        .header("cookie", format!("korsel_session={}", session.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{href}");
    res.bytes().await.unwrap().to_vec()
}

/// The batch's file as the API gives it.
async fn api_file(base: &str, token: &str, batch: &str) -> Vec<u8> {
    let res = reqwest::Client::new()
        .get(format!("{base}/api/v1/payroll/batches/{batch}/file"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

/// Payroll's acknowledgement of a batch, as the connector sends it.
async fn acknowledge(base: &str, token: &str, batch: &str) {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/payroll/acknowledge"))
        .bearer_auth(token)
        .json(&serde_json::json!({"batch_ids": [batch.parse::<i64>().unwrap()]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Fills the preview form, checks the preview and makes the batch; returns its id.
async fn export(b: &Browser, format: &str, page_name: &str) -> String {
    b.goto("/loen").await;
    b.follow("a[href='/loen/ny']").await;
    set_value(b, "#til", "2026-11-30").await;
    b.click(&format!("#format-{format}")).await;
    b.follow("#preview").await;
    assert_eq!(b.text("#preview-reports").await, "2");
    assert_eq!(b.text("#preview-km").await, "32,00 km");
    b.check_page(page_name).await;
    b.follow("#create").await;
    let path = b.path().await;
    assert!(
        path.ends_with("?besked=dannet"),
        "{path}: {}",
        b.body().await
    );
    assert_eq!(b.text("#batch-reports").await, "2");
    assert_eq!(b.text("#batch-km").await, "32,00 km");
    path.trim_start_matches("/loen/koersler/")
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

/// The page's download equals the API's file, on every download.
async fn same_bytes_as_the_api(b: &Browser, admin: &str, batch: &str) -> Vec<u8> {
    let href = b
        .find("#download")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(href, format!("/loen/koersler/{batch}/fil"));
    let first = download(b, &href).await;
    assert!(!first.is_empty());
    assert_eq!(first, api_file(&b.base, admin, batch).await, "page = API");
    assert_eq!(first, download(b, &href).await, "a re-download is the same");
    first
}

#[tokio::test]
async fn payroll_exports_through_the_preview_cancels_and_re_exports_after_tf_codes_are_set() {
    let w = world(|s| s.payroll.municipality_number = Some(751)).await;
    // IND01 carries each person's CPR number.
    w.set_cpr("nina", "0101901234").await;
    w.set_cpr("otto", "0202801234").await;
    for (token, employment, km, approver) in [
        (&w.nina, w.emp_nina, 12, &w.lea),
        (&w.otto, w.emp_otto, 20, &w.olga),
    ] {
        let report = pending_report(&w, token, employment, "2026-11-03", km).await;
        w.approve(approver, &report).await;
    }
    // Still waiting: nils' report, which his personal approver petra approves.
    pending_report(&w, &w.nils, w.emp_nils, "2026-10-28", 5).await;
    w.app.create_user("paula", PASSWORD, &["payroll"]).await;
    let admin: String = w.admin.clone();
    let base = w.app.address.clone();
    run("payroll export", &base, move |b| async move {
        b.sign_in("paula", PASSWORD).await;
        b.goto("/loen").await;
        let banner = b.text("#tf-banner").await;
        assert!(banner.contains("Bed en administrator"), "{banner}");
        b.check_page("loen-koersler-tom").await;
        // The placeholder codes refuse the batch, and say so.
        b.follow("a[href='/loen/ny']").await;
        set_value(&b, "#til", "2026-11-30").await;
        b.follow("#preview").await;
        b.follow("#create").await;
        let refused = b.text("#batch-error").await;
        assert!(refused.contains("midlertidig lønart"), "{refused}");
        b.check_page("loen-ny-afvist").await;

        b.goto("/loen/afventer").await;
        assert_eq!(b.text("#waiting-total").await, "1");
        assert_eq!(
            b.texts("#per-unit tbody tr").await,
            ["Sundhedspleje 1 28. okt. 2026"]
        );
        let approvers = b.texts("#per-approver tbody th").await;
        assert_eq!(approvers, ["petra Hansen"]);
        b.check_page("loen-afventer").await;
        b.sign_out().await;

        // The administrator sets 2026's TF codes, and adds next year's low rate.
        b.sign_in("admin", ADMIN_PASSWORD).await;
        b.goto("/loen").await;
        b.follow("#tf-banner a[href='/admin/takster']").await;
        let inputs = b
            .client
            .find_all(Locator::Css("#aar-2026 input[name^='tf-']"))
            .await
            .unwrap();
        assert_eq!(inputs.len(), 4, "four rate kinds in 2026");
        for (n, input) in inputs.iter().enumerate() {
            input.clear().await.unwrap();
            input.send_keys(&format!("011{n}")).await.unwrap();
        }
        b.follow("#save-2026").await;
        assert_eq!(b.text(".alert-success").await, "Lønarterne er gemt.");
        assert!(!b.exists("#tf-banner").await, "the banner is gone");
        b.click("#kind option[value=car_low]").await;
        b.fill("#sats", "3,90").await;
        b.fill("#tf", "0120").await;
        b.follow("#add-rate").await;
        assert_eq!(b.text(".alert-success").await, "Taksten er tilføjet.");
        let year_2027 = b.text("#aar-2027").await;
        assert!(year_2027.contains("3,90 kr."), "{year_2027}");
        b.check_page("admin-takster").await;
        b.goto("/admin/noegler").await;
        b.fill("#navn", "opus").await;
        b.follow("#create-key").await;
        b.find("#new-key").await;
        b.check_page("admin-noegler").await;
        b.goto("/admin/indstillinger").await;
        assert!(b.body().await.contains(env!("CARGO_PKG_VERSION")));
        b.check_page("admin-indstillinger").await;
        b.sign_out().await;

        b.sign_in("paula", PASSWORD).await;
        b.goto("/loen").await;
        assert!(!b.exists("#tf-banner").await);
        let csv_batch = export(&b, "csv", "loen-ny-forhaandsvisning").await;
        b.check_page("loen-koersel").await;
        let csv = same_bytes_as_the_api(&b, &admin, &csv_batch).await;
        assert!(
            String::from_utf8_lossy(&csv).contains("0110"),
            "the set code"
        );

        // Cancel: the confirmation says what returns; a reason is required.
        b.follow("#cancel").await;
        let returns = b.text("#cancel-returns").await;
        assert!(
            returns.starts_with("2 indberetninger bliver godkendte igen"),
            "{returns}"
        );
        b.check_page("loen-annuller").await;
        b.follow("#confirm-cancel").await;
        b.find("#begrundelse-error").await;
        b.fill("#begrundelse", "Forkert dato").await;
        b.follow("#confirm-cancel").await;
        assert_eq!(b.text("#batch-state").await, "Annulleret");
        assert!(
            !b.exists("#cancel").await,
            "a cancelled batch cannot be cancelled"
        );

        let ind01_batch = export(&b, "kmd-ind01", "loen-ny-ind01").await;
        let ind01 = same_bytes_as_the_api(&b, &admin, &ind01_batch).await;
        assert_ne!(ind01, csv);

        // Once payroll has acknowledged the batch, a report it could not pay goes back to the
        // approver with a reason; the file stays as it was.
        acknowledge(&b.base, &admin, &ind01_batch).await;
        b.goto(&format!("/loen/koersler/{ind01_batch}")).await;
        b.follow("a[href*='/send-tilbage']").await;
        b.check_page("loen-send-tilbage").await;
        b.follow("#confirm-send-back").await;
        b.find("#begrundelse-error").await;
        b.fill("#begrundelse", "Ansættelsen er spærret i lønsystemet")
            .await;
        b.follow("#confirm-send-back").await;
        assert!(b.body().await.contains("sendt tilbage til godkenderen"));
        assert_eq!(b.texts("tbody .status-rejected").await, ["Sendt tilbage"]);
        b.check_page("loen-koersel-sendt-tilbage").await;
        assert_eq!(api_file(&b.base, &admin, &ind01_batch).await, ind01);
        b.goto("/loen").await;
        let states: Vec<String> = b.texts("#batches tbody td:nth-child(7)").await;
        assert_eq!(states, ["Kvitteret", "Annulleret"], "newest first");
        b.check_page("loen-koersler").await;
    })
    .await;
}
