//! The administration upload forms without JavaScript: the browser posts `multipart/form-data`
//! (the `csrf` field, for addresses `format`, then the file) and lands with 303 on the same
//! preview or run page as the script; a missing or late token is 403, a malformed body 400, a
//! file over the limit 413 and a trickled body 408, each a Danish page.

use std::time::Duration;

use reqwest::header::{COOKIE, LOCATION};
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use crate::import::{import_example, ADDRESSES, ORG};
use crate::web_admin::{changed_staff, count, finished_run, stored, table_rows};
use crate::web_session::{admin_browser, client, page_text};

/// Posts an upload form as a browser without JavaScript does: `multipart/form-data`, the parts
/// in the form's order (`csrf`, for addresses `format`, then the file `fil`).
async fn post_form_upload(app: &TestApp, session: &str, path: &str, form: Form) -> Response {
    client()
        .post(app.url(path))
        .header(COOKIE, session)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn file(name: &str, content: &str) -> Part {
    Part::text(content.to_string()).file_name(name.to_string())
}

#[tokio::test]
async fn without_javascript_a_staff_file_is_a_form_post_that_lands_on_its_preview() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    import_example(&app, &token).await;
    let admin = admin_browser(&app).await;

    // The page's form as it stands: the token field before the file input.
    let (_, page) = page_text(&app, "/admin/indlaesning", &admin.0).await;
    let form = page
        .split("action=\"/admin/indlaesning/medarbejdere\"")
        .nth(1)
        .unwrap()
        .split("</form>")
        .next()
        .unwrap();
    let (csrf_at, file_at) = (
        form.find("name=\"csrf\"").unwrap(),
        form.find("name=\"fil\"").unwrap(),
    );
    assert!(csrf_at < file_at, "{form}");

    let form = Form::new()
        .text("csrf", admin.1.clone())
        .part("fil", file(" medarbejdere.csv ", &changed_staff()));
    let res = post_form_upload(&app, &admin.0, "/admin/indlaesning/medarbejdere", form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let preview = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(
        preview.starts_with("/admin/indlaesning/forhaandsvisning/"),
        "{preview}"
    );
    let (status, html) = page_text(&app, &preview, &admin.0).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(">medarbejdere.csv<"),
        "the trimmed file name: {html}"
    );
    assert_eq!(count(&html, "Ændrede"), 1);
    assert_eq!(count(&html, "Afsluttede"), 1);
    let rows = table_rows(&html, "aendringer");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].contains("Kommunaldirektør og stadsdirektør"),
        "{}",
        rows[0]
    );
}

#[tokio::test]
async fn without_javascript_an_address_file_is_a_form_post_that_starts_a_run() {
    let app = spawn_app().await;
    let admin = admin_browser(&app).await;
    let form = Form::new()
        .text("csrf", admin.1.clone())
        .text("format", "csv")
        .part("fil", file("fanoe.csv", ADDRESSES));
    let res = post_form_upload(&app, &admin.0, "/admin/indlaesning/adresser", form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let run = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(run.starts_with("/admin/indlaesning/adresser/"), "{run}");
    let (status, html) = page_text(&app, &run, &admin.0).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("fanoe.csv"), "{html}");
    // While it runs the page links to itself ("Opdater status"), for a browser without htmx.
    if html.contains("hx-trigger") {
        assert!(
            html.contains(&format!("<a href=\"{run}\">Opdater status</a>")),
            "{html}"
        );
    }
    let html = finished_run(&app, &admin.0, &run).await;
    assert!(html.contains("Færdig"), "{html}");
    let (_, html) = page_text(&app, &run, &admin.0).await;
    assert!(
        !html.contains("Opdater status"),
        "nothing to update once done: {html}"
    );

    // A format the form does not offer is refused before anything is read.
    let form = Form::new()
        .text("csrf", admin.1.clone())
        .text("format", "xml")
        .part("fil", file("fanoe.csv", ADDRESSES));
    let res = post_form_upload(&app, &admin.0, "/admin/indlaesning/adresser", form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_form_upload_needs_its_token_before_the_file_and_a_well_formed_body() {
    let app = spawn_app_with(|s| s.addresses.max_import_bytes = 100).await;
    let admin = admin_browser(&app).await;
    let refused = [
        ("no token", Form::new().part("fil", file("x.csv", ORG))),
        (
            "a wrong token",
            Form::new()
                .text("csrf", "wrong")
                .part("fil", file("x.csv", ORG)),
        ),
        (
            "the token after the file",
            Form::new()
                .part("fil", file("x.csv", ORG))
                .text("csrf", admin.1.clone()),
        ),
    ];
    for (what, form) in refused {
        let res = post_form_upload(&app, &admin.0, "/admin/indlaesning/organisation", form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{what}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Formularen kunne ikke godkendes"),
            "{what}"
        );
    }
    assert_eq!(stored(&app)[0], 0);

    // Larger than the address file limit: the Danish 413 page, and no run.
    let form = Form::new()
        .text("csrf", admin.1.clone())
        .text("format", "csv")
        .part("fil", file("stor.csv", &"x".repeat(2000)));
    let res = post_form_upload(&app, &admin.0, "/admin/indlaesning/adresser", form).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = res.text().await.unwrap();
    assert!(html.contains("Formularen eller filen er større"), "{html}");
    let (_, page) = page_text(&app, "/admin/indlaesning", &admin.0).await;
    assert!(!page.contains("stor.csv"), "no run of a refused file");

    // Not multipart at all despite its type, no boundary, an unknown field: the Danish 400 page.
    let bodies = [
        ("multipart/form-data; boundary=graense", "noget helt andet"),
        ("multipart/form-data", "--x\r\n\r\n"),
        (
            "multipart/form-data; boundary=x",
            "--x\r\ncontent-disposition: form-data; name=\"andet\"\r\n\r\n1\r\n--x--\r\n",
        ),
    ];
    for (content_type, body) in bodies {
        let res = client()
            .post(app.url("/admin/indlaesning/organisation"))
            .header(COOKIE, &admin.0)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::BAD_REQUEST,
            "{content_type}: {body}"
        );
        let html = res.text().await.unwrap();
        assert!(html.contains("Oplysningerne kan ikke bruges"), "{html}");
    }
}

#[tokio::test]
async fn a_form_whose_part_headers_never_end_is_refused_before_it_fills_memory() {
    let app = spawn_app().await;
    let admin = admin_browser(&app).await;
    // A valid token, then a part whose header runs on for 2 MiB without ending.
    let body = format!(
        "--x\r\ncontent-disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--x\r\n\
         content-disposition: form-data; name=\"fil\"; filename=\"{}",
        admin.1,
        "a".repeat(2 << 20)
    );
    let res = client()
        .post(app.url("/admin/indlaesning/organisation"))
        .header(COOKIE, &admin.0)
        .header("content-type", "multipart/form-data; boundary=x")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = res.text().await.unwrap();
    assert!(html.contains("Formularen eller filen er større"), "{html}");
    assert_eq!(stored(&app)[0], 0);
}

#[tokio::test]
async fn a_trickled_form_upload_is_cut_off_with_408_as_any_slow_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(|s| {
        s.http.body_grace = Duration::from_secs(1);
        s.http.body_min_bytes_per_second = 100;
    })
    .await;
    let admin = admin_browser(&app).await;
    let start = format!(
        "--x\r\ncontent-disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--x\r\n\
         content-disposition: form-data; name=\"fil\"; filename=\"x.csv\"\r\n\r\n",
        admin.1
    );
    let head = format!(
        "POST /admin/indlaesning/organisation HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n{start}",
        admin.0
    );
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // One byte every 250 ms of the file is far below 100 bytes/s: cut at about 1 s.
    let trickle = async {
        for _ in 0..40 {
            if stream.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    drop(tokio::time::timeout(Duration::from_secs(3), trickle).await);
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(stored(&app)[0], 0);
}
