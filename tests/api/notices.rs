//! E-mail notices and scheduled jobs (issue 16), against a real SMTP server: Python's aiosmtpd
//! (`pip install aiosmtpd`, done by `.ci/run`), started by each test, storing what it receives
//! in a Maildir that the test reads back with Python's `mailbox` module.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use korsel::app::Application;
use korsel::config::{Schedule, Secret, Settings};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{test_settings, TestApp};
use crate::report_fixtures::{read_report, world_with, World};

const PUBLIC_URL: &str = "https://korsel.kommune.example";

/// An aiosmtpd process on 127.0.0.1:`port` delivering into a Maildir.
pub struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpSink {
    pub fn start(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpSink { child, dir }
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("maildir")
    }

    /// Every message received: to, subject, text and HTML parts, decoded.
    pub fn messages(&self) -> Vec<Value> {
        const READ: &str = r#"
import email.header, json, mailbox, os, sys
if not os.path.isdir(os.path.join(sys.argv[1], "new")):
    print("[]"); sys.exit(0)
out = []
for key, msg in mailbox.Maildir(sys.argv[1], create=False).items():
    parts = {}
    for part in msg.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            parts[part.get_content_type()] = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    out.append({"to": msg["To"], "from": msg["From"],
                "subject": str(email.header.make_header(email.header.decode_header(msg["Subject"]))),
                "text": parts.get("text/plain"), "html": parts.get("text/html")})
print(json.dumps(out))
"#;
        let output = Command::new("python3")
            .args(["-c", READ])
            .arg(self.maildir())
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// Waits until at least `n` messages arrived, then a little longer for any extra ones.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.messages().len() < n {
            assert!(
                Instant::now() < deadline,
                "expected {n} mails, got {:?}",
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        self.messages()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Notices sent to `port`, the jobs looking often, retries soon.
pub fn with_mail(s: &mut Settings, port: u16) {
    s.mail.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
    s.mail.from = "korsel <korsel@kommune.example>".into();
    s.web.public_url = Some(PUBLIC_URL.into());
    s.mail.retry_base = Duration::from_millis(200);
    s.mail.send_timeout = Duration::from_secs(5);
    s.jobs.tick = Duration::from_millis(100);
    s.jobs.outbox = Schedule::Every(Duration::from_millis(200));
}

/// Another instance of the application on the same database (its jobs runner included).
pub async fn second_instance(app: &TestApp, configure: impl FnOnce(&mut Settings)) {
    let mut settings = test_settings(&app.db);
    configure(&mut settings);
    let instance = Application::build(settings).await.expect("second instance");
    tokio::spawn(instance.run_until_stopped());
}

fn set_email(app: &TestApp, person: i64, email: &str) {
    diesel::sql_query(format!(
        "UPDATE persons SET email = '{email}' WHERE id = {person}"
    ))
    .execute(&mut app.db.connect())
    .unwrap();
}

fn outbox(app: &TestApp) -> Vec<(String, String, i64)> {
    use korsel::db::schema::mail_outbox::dsl::*;
    mail_outbox
        .order(id.asc())
        .select((kind, status, attempts))
        .load(&mut app.db.connect())
        .unwrap()
}

/// nina (with an e-mail address) submits a report and lea rejects it with `comment`.
async fn nina_rejected(w: &World, comment: &str) -> Value {
    set_email(&w.app, w.persons["nina"], "nina@kommune.example");
    let report = w
        .create_submitted(
            &w.nina,
            read_report(w.emp_nina, "2026-03-10", "car_low", 5_000),
        )
        .await;
    reject(w, &w.lea, &report, comment).await;
    report
}

async fn reject(w: &World, token: &str, report: &Value, comment: &str) {
    w.act(
        token,
        report,
        "reject",
        json!({"version": report["version"], "comment": comment}),
    )
    .await;
}

#[tokio::test]
async fn a_rejected_report_is_mailed_once_with_the_comment() {
    let port = free_port();
    let sink = SmtpSink::start(port);
    let w = world_with(false, |s| with_mail(s, port)).await;
    let report = nina_rejected(&w, "Borger B mangler på ruten").await;

    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail["to"], "nina@kommune.example");
    assert_eq!(mail["from"], "korsel <korsel@kommune.example>");
    assert_eq!(
        mail["subject"],
        "Din kørselsindberetning fra 10.03.2026 er afvist"
    );
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("Begrundelse: Borger B mangler på ruten"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{PUBLIC_URL}/indberetninger/{}", report["id"])),
        "{text}"
    );
    assert!(mail["html"]
        .as_str()
        .unwrap()
        .contains("Borger B mangler på ruten"));
    assert_eq!(outbox(&w.app), vec![("rejected".into(), "sent".into(), 1)]);
}

#[tokio::test]
async fn without_an_address_or_smtp_notices_are_kept_undeliverable() {
    let w = world_with(false, |s| {
        s.jobs.tick = Duration::from_millis(100);
        s.jobs.outbox = Schedule::Every(Duration::from_millis(200));
    })
    .await;
    set_email(&w.app, w.persons["nina"], "nina@kommune.example");
    for (token, emp) in [(&w.nina, w.emp_nina), (&w.otto, w.emp_otto)] {
        let report = w
            .create_submitted(token, read_report(emp, "2026-03-10", "car_low", 5_000))
            .await;
        let approver = if emp == w.emp_nina { &w.lea } else { &w.olga };
        reject(&w, approver, &report, "Mangler formål").await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = outbox(&w.app);
        if rows.iter().all(|r| r.1 == "undeliverable") {
            assert_eq!(rows.len(), 2, "kept, never lost: {rows:?}");
            break;
        }
        assert!(Instant::now() < deadline, "{rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn smtp_down_for_a_while_then_the_mail_arrives_once() {
    let port = free_port();
    let w = world_with(false, |s| with_mail(s, port)).await;
    nina_rejected(&w, "Forkert dato").await;
    // nothing listens: the sender fails and retries with backoff
    let deadline = Instant::now() + Duration::from_secs(20);
    while outbox(&w.app)[0].2 < 2 {
        assert!(Instant::now() < deadline, "{:?}", outbox(&w.app));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outbox(&w.app)[0].1, "pending");

    let sink = SmtpSink::start(port);
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "once, not once per attempt: {mails:?}");
    assert!(mails[0]["text"].as_str().unwrap().contains("Forkert dato"));
    let rows = outbox(&w.app);
    assert_eq!(rows[0].1, "sent");
    assert!(rows[0].2 >= 3, "failed attempts counted: {rows:?}");
}

#[tokio::test]
async fn a_notice_committed_before_a_crash_is_sent_after_restart_by_exactly_one_instance() {
    let port = free_port();
    let sink = SmtpSink::start(port);
    // The first instance commits the rejection and "dies" before sending: no jobs run in it,
    // and the notice carries the claim of a sender that died mid-send.
    let w = world_with(false, |s| {
        with_mail(s, port);
        s.jobs.enabled = false;
    })
    .await;
    nina_rejected(&w, "Kørt to gange").await;
    let until = korsel::db::utc_now() + chrono::Duration::seconds(1);
    {
        use korsel::db::schema::mail_outbox::dsl::*;
        diesel::update(mail_outbox)
            .set((claimed_until.eq(until), claim_token.eq("dead-instance")))
            .execute(&mut w.app.db.connect())
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sink.messages().is_empty());
    // restarted: two instances, both with the sender
    second_instance(&w.app, |s| with_mail(s, port)).await;
    second_instance(&w.app, |s| with_mail(s, port)).await;
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0]["text"].as_str().unwrap().contains("Kørt to gange"));
    assert_eq!(outbox(&w.app), vec![("rejected".into(), "sent".into(), 1)]);
}

#[tokio::test]
async fn each_approver_gets_one_digest_with_their_count_and_can_turn_it_off() {
    let port = free_port();
    let sink = SmtpSink::start(port);
    let w = world_with(false, |s| {
        with_mail(s, port);
        s.jobs.enabled = false;
    })
    .await;
    for name in ["lea", "sara", "petra", "boss", "olga"] {
        set_email(&w.app, w.persons[name], &format!("{name}@kommune.example"));
    }
    // nina: two waiting for lea (and sara, her substitute); nils: one for petra; lea: one for boss
    for date in ["2026-06-01", "2026-05-15"] {
        w.create_submitted(&w.nina, read_report(w.emp_nina, date, "car_low", 5_000))
            .await;
    }
    w.create_submitted(
        &w.nils,
        read_report(w.emp_nils, "2026-06-02", "car_low", 5_000),
    )
    .await;
    w.create_submitted(
        &w.lea,
        read_report(w.emp_lea, "2026-06-03", "car_low", 5_000),
    )
    .await;
    // boss turns the digest off
    let res = w
        .app
        .put(
            "/api/v1/me/notifications",
            Some(&w.boss),
            &json!({"digest": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let prefs: Value = res.json().await.unwrap();
    assert_eq!(
        prefs,
        json!({"digest": false, "email": "boss@kommune.example"})
    );
    let res = w.app.get("/api/v1/me/notifications", Some(&w.lea)).await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"digest": true, "email": "lea@kommune.example"})
    );

    // the digest runs often here: still one per person and day
    second_instance(&w.app, |s| {
        with_mail(s, port);
        s.jobs.digest = Schedule::Every(Duration::from_millis(300));
    })
    .await;
    let mut mails = sink.wait_for(3).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.messages().len(), 3, "one each: {:?}", sink.messages());
    mails.sort_by_key(|m| m["to"].as_str().unwrap().to_string());
    let summary: Vec<(String, String)> = mails
        .iter()
        .map(|m| {
            (
                m["to"].as_str().unwrap().to_string(),
                m["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "lea@kommune.example".into(),
                "2 kørselsindberetninger venter på din godkendelse".into()
            ),
            (
                "petra@kommune.example".into(),
                "1 kørselsindberetning venter på din godkendelse".into()
            ),
            (
                "sara@kommune.example".into(),
                "2 kørselsindberetninger venter på din godkendelse".into()
            ),
        ]
    );
    assert!(mails[0]["text"]
        .as_str()
        .unwrap()
        .contains("Den ældste er fra 15.05.2026."));
    assert!(mails[1]["text"]
        .as_str()
        .unwrap()
        .contains("Den ældste er fra 02.06.2026."));
    assert!(mails[0]["text"]
        .as_str()
        .unwrap()
        .contains(&format!("{PUBLIC_URL}/godkendelse")));
}

#[tokio::test]
async fn two_instances_run_each_job_once_per_slot_and_admins_see_the_job_list() {
    let fast = |s: &mut Settings| {
        s.jobs.tick = Duration::from_millis(50);
        s.jobs.outbox = Schedule::Every(Duration::from_millis(400));
        s.jobs.digest = Schedule::Every(Duration::from_millis(400));
        s.jobs.payroll_overdue = Schedule::Every(Duration::from_millis(400));
        s.jobs.retention = Schedule::Every(Duration::from_millis(400));
    };
    let w = world_with(false, fast).await;
    second_instance(&w.app, fast).await;
    tokio::time::sleep(Duration::from_secs(4)).await;

    let mut conn = w.app.db.connect();
    for job in korsel::services::jobs::Job::ALL {
        let runs = korsel::db::jobs::runs(&mut conn, job.name()).unwrap();
        assert!(runs.len() >= 3, "{}: {runs:?}", job.name());
        let mut slots: Vec<_> = runs.iter().map(|r| r.due_at).collect();
        slots.dedup();
        assert_eq!(slots.len(), runs.len(), "a slot ran twice: {runs:?}");
        assert!(
            runs.iter().all(|r| r.result.as_deref() != Some("failed")),
            "{runs:?}"
        );
    }

    let res = w.app.get("/api/v1/admin/jobs", Some(&w.admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = res.json().await.unwrap();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "mail-outbox",
            "approver-digest",
            "payroll-overdue",
            "retention"
        ]
    );
    for job in list["items"].as_array().unwrap() {
        assert!(job["runs"].as_i64().unwrap() >= 3, "{job}");
        assert_eq!(job["last_result"], "ok", "{job}");
    }
    let res = w.app.get("/api/v1/admin/jobs", Some(&w.nina)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn exported_reports_and_an_unacknowledged_batch_are_mailed_once() {
    let port = free_port();
    let sink = SmtpSink::start(port);
    let w = world_with(false, |s| {
        with_mail(s, port);
        s.payroll.ack_timeout = Duration::from_secs(1);
        s.jobs.payroll_overdue = Schedule::Every(Duration::from_millis(200));
    })
    .await;
    set_email(&w.app, w.persons["nina"], "nina@kommune.example");
    w.app
        .create_user("paula", crate::report_fixtures::PW, &["payroll"])
        .await;
    crate::report_fixtures::post_created(
        &w.app,
        &w.admin,
        "/api/v1/persons",
        json!({"external_id": "P-paula", "name": "Paula Løn", "username": "paula",
               "email": "paula@kommune.example"}),
    )
    .await;
    let paula = w.app.tokens("paula", crate::report_fixtures::PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    approved_report(&w, "2026-03-10", 10_000).await;
    let res = payroll_batch(&w, &paula, "2026-03-31").await;
    let status = res.status();
    let batch: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let res = w.app.get("/api/v1/payroll/pending", Some(&paula)).await;
    assert_eq!(res.status(), StatusCode::OK);

    let mut mails = sink.wait_for(2).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.messages().len(), 2, "{:?}", sink.messages());
    mails.sort_by_key(|m| m["to"].as_str().unwrap().to_string());
    assert_eq!(mails[0]["to"], "nina@kommune.example");
    assert_eq!(mails[0]["subject"], "Din kørsel er sendt til lønudbetaling");
    let text = mails[0]["text"].as_str().unwrap();
    assert!(text.contains("- 10.03.2026: 10,00 km, "), "{text}");
    assert_eq!(mails[1]["to"], "paula@kommune.example");
    assert_eq!(
        mails[1]["subject"],
        format!("Lønbundt {} er hentet, men ikke kvitteret", batch["id"])
    );
}

/// A report of nina's on `date`, submitted and approved by lea, its rate's TF code set.
pub async fn approved_report(w: &World, date: &str, metres: i64) -> Value {
    w.set_tf_codes("car_low", date, "0101", None).await;
    let report = w
        .create_submitted(&w.nina, read_report(w.emp_nina, date, "car_low", metres))
        .await;
    w.act(
        &w.lea,
        &report,
        "approve",
        json!({"version": report["version"]}),
    )
    .await
}

/// `POST /api/v1/payroll/batches` (CSV) up to `up_to`.
pub async fn payroll_batch(w: &World, token: &str, up_to: &str) -> reqwest::Response {
    w.app
        .post(
            "/api/v1/payroll/batches",
            Some(token),
            &json!({"up_to": up_to, "format": "csv"}),
        )
        .await
}

/// A child process, killed (SIGKILL) when dropped.
struct Process(Child);

impl Process {
    fn kill_9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// `korsel serve` as its own process on the test's database, sending mail to `smtp_port`.
fn korsel_process(app: &TestApp, smtp_port: u16) -> Process {
    let url = match &app.db.url {
        korsel::config::DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        korsel::config::DatabaseUrl::Postgres(url) => url.clone(),
    };
    Command::new(env!("CARGO_BIN_EXE_korsel"))
        .arg("serve")
        .env("KORSEL_DATABASE_URL", url)
        .env("KORSEL_BIND", "127.0.0.1:0")
        .env("KORSEL_JWT_SECRET", crate::helpers::JWT_SECRET)
        .env("KORSEL_ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD)
        .env("KORSEL_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .env("KORSEL_MAIL_SEND_TIMEOUT_S", "2")
        .env("KORSEL_JOBS_LEASE_S", "3")
        .env("KORSEL_MAIL_SEND_EVERY_S", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Process)
        .expect("korsel serve")
}

#[tokio::test]
async fn kill_9_of_the_sending_server_and_a_restart_deliver_the_mail_once() {
    // The rejection is committed; then a server starts sending it to an SMTP server that
    // accepts the connection and never answers, and is killed (SIGKILL) in the middle.
    let w = world_with(false, |s| s.jobs.enabled = false).await;
    nina_rejected(&w, "Forkert formål").await;
    let black_hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hole_port = black_hole.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = black_hole.accept().await {
            held.push(socket);
        }
    });
    let mut first = korsel_process(&w.app, hole_port);
    let claimed = || {
        use korsel::db::schema::mail_outbox::dsl::*;
        mail_outbox
            .select(claim_token)
            .first::<Option<String>>(&mut w.app.db.connect())
            .unwrap()
            .is_some()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !claimed() {
        assert!(
            Instant::now() < deadline,
            "the first server never claimed the notice"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill_9();
    hold.abort();
    assert_eq!(
        outbox(&w.app),
        vec![("rejected".into(), "pending".into(), 0)]
    );

    let port = free_port();
    let sink = SmtpSink::start(port);
    let _second = korsel_process(&w.app, port);
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0]["text"]
        .as_str()
        .unwrap()
        .contains("Forkert formål"));
    assert_eq!(outbox(&w.app), vec![("rejected".into(), "sent".into(), 1)]);
}

/// Every mail's "Se mere i korsel" link opens a page of the web app for its recipient (the
/// links once pointed at paths the web app does not serve).
#[tokio::test]
async fn every_mail_link_opens_a_page_for_its_recipient() {
    use korsel::domain::ids::{BatchId, ReportId};
    use korsel::domain::notices::Notice;

    use crate::web_session::{page_text, session};

    let w = world_with(false, |_| {}).await;
    let report = w
        .create_submitted(
            &w.nina,
            read_report(w.emp_nina, "2026-03-10", "car_high", 12_340),
        )
        .await;
    let batch = w
        .app
        .post(
            "/api/v1/payroll/batches",
            Some(&w.admin),
            &json!({"up_to": "2026-11-30", "format": "csv"}),
        )
        .await;
    let batch: Value = batch.json().await.unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    let nina = session(&w.app, "nina", crate::report_fixtures::PW).await;
    let lea = session(&w.app, "lea", crate::report_fixtures::PW).await;
    let admin = session(&w.app, "admin", crate::helpers::ADMIN_PASSWORD).await;
    let mails = [
        (
            Notice::Rejected {
                report_id: ReportId(report["id"].as_i64().unwrap()),
                drive_date: date,
                purpose: "x".into(),
                comment: "y".into(),
            },
            &nina,
        ),
        (
            Notice::ReturnedByPayroll {
                report_id: ReportId(report["id"].as_i64().unwrap()),
                drive_date: date,
                purpose: "x".into(),
                reason: "y".into(),
            },
            &nina,
        ),
        (
            Notice::Exported {
                batch_id: BatchId(1),
                reports: vec![],
            },
            &nina,
        ),
        (
            Notice::Digest {
                waiting: 1,
                oldest: date,
            },
            &lea,
        ),
        (
            Notice::PayrollOverdue {
                batch_id: BatchId(batch["id"].as_i64().unwrap()),
                reports: 0,
                minutes: 30,
            },
            &admin,
        ),
    ];
    for (notice, recipient) in mails {
        let mail = notice.render(Some(PUBLIC_URL));
        let link = mail
            .text
            .split_whitespace()
            .find_map(|word| word.strip_prefix(PUBLIC_URL))
            .unwrap_or_else(|| panic!("no link in {}", mail.text));
        let (status, html) = page_text(&w.app, link, recipient).await;
        assert_eq!(status, StatusCode::OK, "{}: {link}: {html}", notice.kind());
    }
}
