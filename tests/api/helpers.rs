//! `spawn_app`: the real application on port 0 against a fresh database of the backend chosen by
//! `KORSEL_TEST_BACKEND` (sqlite, the default, or postgres with `KORSEL_TEST_POSTGRES_URL`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use korsel::app::Application;
use korsel::config::{DatabaseUrl, Secret, Settings};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("KORSEL_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("KORSEL_TEST_BACKEND must be sqlite or postgres, not {other}"),
    }
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> TestDb {
        match backend() {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("korsel-test.db");
                TestDb {
                    url: DatabaseUrl::Sqlite(path),
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("KORSEL_TEST_POSTGRES_URL")
                    .expect("KORSEL_TEST_BACKEND=postgres needs KORSEL_TEST_POSTGRES_URL");
                let name = format!("korsel_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin_url).expect("connect to PostgreSQL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let (base, _) = admin_url
                    .split('?')
                    .next()
                    .and_then(|u| u.rsplit_once('/'))
                    .expect("KORSEL_TEST_POSTGRES_URL needs a database path");
                TestDb {
                    url: DatabaseUrl::Postgres(format!("{base}/{name}")),
                    _dir: None,
                    postgres: Some((admin_url, name)),
                }
            }
        }
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match &self.url {
            DatabaseUrl::Sqlite(p) => Some(p.clone()),
            DatabaseUrl::Postgres(_) => None,
        }
    }

    /// Makes the database unreachable, as an outage would.
    pub fn destroy(&self) {
        match &self.postgres {
            Some((admin_url, name)) => drop_pg(admin_url, name),
            None => std::fs::remove_file(self.sqlite_path().unwrap()).expect("remove SQLite file"),
        }
    }

    /// A direct connection, for inspecting what the service stored.
    pub fn connect(&self) -> korsel::db::PooledDb {
        korsel::db::Database::connect(&self.url)
            .unwrap()
            .get()
            .unwrap()
    }
}

fn drop_pg(admin_url: &str, name: &str) {
    if let Ok(mut conn) = PgConnection::establish(admin_url) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres {
            drop_pg(admin_url, name);
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// Shared by the instances of a multi-instance test; dropped with the last.
    pub db: Arc<TestDb>,
}

pub fn test_settings(db: &TestDb) -> Settings {
    let mut settings = Settings::with_database(db.url.clone());
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.jwt_secret = Some(Secret::new(JWT_SECRET));
    settings.admin_password = Some(Secret::new(ADMIN_PASSWORD));
    settings.workers = Some(1);
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::new();
    let mut settings = test_settings(&db);
    configure(&mut settings);
    spawn_on(db, settings).await
}

/// The app on a database whose first administrator was created without a configured password,
/// and that administrator's generated one-time password (issue 11).
pub async fn spawn_with_one_time_admin() -> (TestApp, String) {
    let db = TestDb::new();
    korsel::db::Database::connect(&db.url)
        .unwrap()
        .migrate()
        .unwrap();
    let Some(korsel::services::users::BootstrapPassword::Generated(one_time)) =
        korsel::services::users::bootstrap_admin(&mut db.connect(), None).unwrap()
    else {
        panic!("no password configured: one is generated");
    };
    let mut settings = test_settings(&db);
    settings.admin_password = None;
    (spawn_on(db, settings).await, one_time)
}

pub async fn spawn_on(db: TestDb, settings: Settings) -> TestApp {
    spawn_instance(Arc::new(db), settings).await
}

/// One more instance of the application on a database other instances may use too.
pub async fn spawn_instance(db: Arc<TestDb>, settings: Settings) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        korsel::telemetry::init(korsel::config::LogFormat::Pretty);
    }
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        db,
    }
}

/// `count` instances on one fresh database, all started at the same moment.
pub async fn spawn_instances(count: usize, configure: impl Fn(&mut Settings)) -> Vec<TestApp> {
    let db = Arc::new(TestDb::new());
    let mut settings = test_settings(&db);
    configure(&mut settings);
    let starting: Vec<_> = (0..count)
        .map(|_| tokio::spawn(spawn_instance(db.clone(), settings.clone())))
        .collect();
    let mut instances = Vec::with_capacity(count);
    for instance in starting {
        instances.push(instance.await.expect("instance start-up panicked"));
    }
    instances
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// Logs in and returns the token pair, asserting success.
    pub async fn tokens(&self, username: &str, password: &str) -> Value {
        let res = self.login(username, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {username}");
        res.json().await.unwrap()
    }

    pub async fn admin_token(&self) -> String {
        self.tokens("admin", ADMIN_PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Creates a user through the admin API; returns its id.
    pub async fn create_user(&self, username: &str, password: &str, roles: &[&str]) -> i64 {
        let admin = self.admin_token().await;
        let res = self
            .post(
                "/api/v1/users",
                Some(&admin),
                &json!({"username": username, "password": password, "roles": roles}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }
}

/// Asserts an RFC 9457 body with the given status and `type` slug, and returns it.
pub async fn assert_problem(res: Response, status: u16, slug: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert_eq!(content_type, "application/problem+json");
    let header_id = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_string())
        .expect("x-request-id header");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["type"], format!("urn:korsel:problem:{slug}"), "{body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(body["request_id"], header_id);
    body
}

/// Log output kept in memory, for tests that read what was logged.
#[derive(Clone, Default)]
pub struct LogSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogSink {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Captures what is logged while `work` runs (on this thread).
pub fn captured_log<T>(work: impl FnOnce() -> T) -> (T, String) {
    let sink = LogSink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, work);
    (out, sink.text())
}
