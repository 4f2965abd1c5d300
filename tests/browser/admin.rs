//! Issue 15's administration pages in the browser: an administrator loads the address registry
//! (upload with progress, the run in the background, autocomplete afterwards), then the example
//! organisation and staff through their previews, a changed file whose preview shows exactly
//! the changed rows, and a file with bad rows that applies nothing; and the users,
//! organisation and person pages.

use std::path::PathBuf;

use crate::browser::{run, Browser};
use crate::helpers::{spawn_app, ADMIN_PASSWORD};

fn repo_file(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .canonicalize()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A file of the test's own, written under the target directory.
fn scratch_file(name: &str, text: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-uploads");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Picks `file` in the upload form for `kind` and sends it; waits for the next page.
async fn upload(b: &Browser, kind: &str, file: &str) {
    b.goto("/admin/indlaesning").await;
    upload_picked(b, kind, file).await;
}

/// Picks `file` in the open page's upload form for `kind` and sends it.
async fn upload_picked(b: &Browser, kind: &str, file: &str) {
    b.find(&format!("#fil-{kind}"))
        .await
        .send_keys(file)
        .await
        .unwrap();
    b.follow(&format!(
        "form[action='/admin/indlaesning/{kind}'] button[type=submit]"
    ))
    .await;
}

async fn rows(b: &Browser, table: &str) -> Vec<String> {
    b.texts(&format!("#{table} tbody tr")).await
}

async fn count(b: &Browser, label: &str) -> String {
    b.texts("#optaelling tbody tr")
        .await
        .into_iter()
        .find(|r| r.starts_with(label))
        .unwrap_or_else(|| panic!("no count {label}"))
}

#[tokio::test]
async fn an_administrator_loads_a_municipality_through_the_previews() {
    let app = spawn_app().await;
    let base = app.address.clone();
    run("admin imports", &base, move |b| async move {
        b.sign_in("admin", ADMIN_PASSWORD).await;
        b.goto("/admin/indlaesning").await;
        b.check_page("admin-indlaesning").await;

        // The address registry: sent with a progress bar, imported in the background.
        upload(
            &b,
            "adresser",
            &repo_file("../shared/fixtures/addresses/dawa-fano-2015/adgangsadresser.csv"),
        )
        .await;
        assert!(b.path().await.starts_with("/admin/indlaesning/adresser/"));
        b.check_page("admin-adresser-status").await;
        b.wait_for_text(
            "#adresse-status [data-state]",
            "Færdig",
            std::time::Duration::from_secs(60),
        )
        .await;
        assert!(b.exists("#adresse-resultat").await);
        b.check_page("admin-adresser-faerdig").await;
        b.goto("/adresser/forslag?stop_label=Strandvejen%2042")
            .await;
        assert!(b.body().await.contains("6720 Fanø"), "{}", b.body().await);

        // The organisation, then the staff: a preview, then applied.
        upload(&b, "organisation", &repo_file("examples/org_units.csv")).await;
        assert!(b
            .path()
            .await
            .starts_with("/admin/indlaesning/forhaandsvisning/"));
        assert_eq!(count(&b, "Nye").await, "Nye 6");
        b.check_page("admin-forhaandsvisning").await;
        b.follow("button[value=anvend]").await;
        assert!(b.body().await.contains("Indlæsning gennemført"));
        b.check_page("admin-indlaest").await;
        upload(&b, "medarbejdere", &repo_file("examples/staff.csv")).await;
        assert_eq!(count(&b, "Nye").await, "Nye 31");
        b.follow("button[value=anvend]").await;
        assert!(b.body().await.contains("Indlæsning gennemført"));

        // A changed file: its preview shows exactly the two changed rows.
        let staff = std::fs::read_to_string(repo_file("examples/staff.csv")).unwrap();
        let changed = staff
            .replace(
                ",Kommunaldirektør,2015-08-01,,",
                ",Kommunaldirektør og stadsdirektør,2015-08-01,,",
            )
            .replace(
                ",Leder af Hjemmeplejen Nord,2020-09-01,,",
                ",Leder af Hjemmeplejen Nord,2020-09-01,2026-06-30,",
            );
        upload(&b, "medarbejdere", &scratch_file("changed.csv", &changed)).await;
        assert_eq!(count(&b, "Ændrede").await, "Ændrede 1");
        assert_eq!(count(&b, "Afsluttede").await, "Afsluttede 1");
        assert_eq!(count(&b, "Uændrede").await, "Uændrede 29");
        let changes = rows(&b, "aendringer").await;
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(
            changes[0].starts_with("2 10000 Mette Kjær Andersen Ændret"),
            "{}",
            changes[0]
        );
        assert!(
            changes[1].starts_with("5 10021 Jesper Bøgh Afsluttet"),
            "{}",
            changes[1]
        );
        b.check_page("admin-forhaandsvisning-aendringer").await;
        b.follow("button[value=anvend]").await;
        assert!(b.body().await.contains("Indlæsning gennemført"));

        // A file with a bad row: the row and why, no way to apply, and cancelling keeps nothing.
        let bad = staff.replace("770790-9012", "770790-901");
        upload(&b, "medarbejdere", &scratch_file("bad.csv", &bad)).await;
        let refused = rows(&b, "afviste").await;
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].starts_with("4 cpr Skal være 10 cifre"),
            "{}",
            refused[0]
        );
        assert!(!b.exists("button[value=anvend]").await);
        b.check_page("admin-afvist").await;
        b.follow("button[value=annuller]").await;
        assert_eq!(b.path().await, "/admin/indlaesning?besked=annulleret");

        b.goto("/admin/indlaesning/forhaandsvisning/ukendt").await;
        assert!(b.body().await.contains("Forhåndsvisningen findes ikke"));
        b.check_page("admin-forhaandsvisning-ukendt").await;
    })
    .await;
}

#[tokio::test]
async fn an_administrator_manages_users_and_reads_the_organisation() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    for (what, csv) in [
        (
            "addresses/import",
            include_str!("../../examples/fano-adgangsadresser.csv"),
        ),
        (
            "import/org-units",
            include_str!("../../examples/org_units.csv"),
        ),
        ("import/staff", include_str!("../../examples/staff.csv")),
    ] {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/{what}")))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK);
    }
    let base = app.address.clone();
    run("admin users", &base, move |b| async move {
        b.sign_in("admin", ADMIN_PASSWORD).await;
        // The first admin is linked to no person: the employee's menu leads to a page that
        // says so.
        b.follow("nav a[href='/indberetninger/ny']").await;
        assert!(b.text("#no-person").await.contains("ikke knyttet"));
        b.check_page("ny-indberetning-uden-person").await;
        b.goto("/admin/brugere").await;
        b.check_page("admin-brugere").await;
        b.fill("#brugernavn", "mette.andersen").await;
        b.follow("form[method=post][action='/admin/brugere'] button[type=submit]")
            .await;
        assert!(!b.text("#engangskode").await.is_empty());
        b.check_page("admin-bruger-oprettet").await;
        b.fill("#person", "P001").await;
        b.follow("button[value=person]").await;
        assert!(b
            .body()
            .await
            .contains("Tilknytningen til personen er gemt."));
        b.check_page("admin-bruger").await;
        b.follow("button[value=deaktiver]").await;
        assert!(b.body().await.contains("Genaktivér bruger"));
        b.check_page("admin-bruger-deaktiveret").await;

        b.follow("a[href^='/admin/personer/']").await;
        assert_eq!(b.text("h1").await, "Mette Kjær Andersen");
        assert_eq!(rows(&b, "ansaettelser").await.len(), 1);
        assert!(b.body().await.contains("Strandvejen 42M"));
        b.check_page("admin-person").await;

        b.goto("/admin/organisation").await;
        let units = rows(&b, "enheder").await;
        assert_eq!(units.len(), 6);
        assert!(
            units[0].starts_with("Fanø Kommune KOM Mette Kjær Andersen"),
            "{}",
            units[0]
        );
        b.check_page("admin-organisation").await;

        // The administrator is linked to no person: "Beskeder" says why there is nothing to set.
        b.follow("a[href='/beskeder']").await;
        assert!(b.body().await.contains("ikke knyttet til en person"));
        assert!(!b.exists("#morgenoversigt").await);
        b.check_page("beskeder-uden-person").await;
    })
    .await;
}

/// Picks `file` in the upload form for `kind` as a browser without scripts sends it: the form's
/// `data-upload` taken off, so `korsel.js` leaves it alone and the browser posts the form
/// (`multipart/form-data`) itself and follows the 303.
async fn upload_as_a_form(b: &Browser, kind: &str, file: &str) {
    b.goto("/admin/indlaesning").await;
    b.client
        .execute(
            "document.querySelectorAll('form[data-upload]')\
             .forEach(function (f) { f.removeAttribute('data-upload'); });",
            vec![],
        )
        .await
        .unwrap();
    upload_picked(b, kind, file).await;
}

#[tokio::test]
async fn without_scripts_the_upload_forms_land_on_the_same_pages() {
    let app = spawn_app().await;
    let base = app.address.clone();
    run("admin imports as forms", &base, move |b| async move {
        b.sign_in("admin", ADMIN_PASSWORD).await;
        upload_as_a_form(
            &b,
            "adresser",
            &repo_file("../shared/fixtures/addresses/dawa-fano-2015/adgangsadresser.csv"),
        )
        .await;
        let run_page = b.path().await;
        assert!(
            run_page.starts_with("/admin/indlaesning/adresser/"),
            "{run_page}"
        );
        // The page links to itself while the run goes on ("Opdater status").
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while b.exists(&format!("main a[href='{run_page}']")).await {
            assert!(std::time::Instant::now() < deadline, "{}", b.body().await);
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            b.follow(&format!("main a[href='{run_page}']")).await;
        }
        assert!(b
            .text("#adresse-status [data-state]")
            .await
            .contains("Færdig"));

        upload_as_a_form(&b, "organisation", &repo_file("examples/org_units.csv")).await;
        assert!(b
            .path()
            .await
            .starts_with("/admin/indlaesning/forhaandsvisning/"));
        assert_eq!(count(&b, "Nye").await, "Nye 6");
    })
    .await;
}
