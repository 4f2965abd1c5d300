//! The browser harness: one chromedriver and one headless Chromium per test (tests take turns,
//! so a small machine is not flooded), axe-core on every page, screenshots.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// axe-core 4.14.1 (npm `axe-core`, MPL-2.0; `axe-LICENSE.txt` beside it).
const AXE: &str = include_str!("axe.min.js");
/// The rule sets every page must pass with zero violations.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

pub const DESKTOP_WIDTH: u32 = 1280;
pub const PHONE_WIDTH: u32 = 390;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn executable(variable: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    path.is_file().then_some(path)
}

/// Chromium and chromedriver, when installed.
pub fn installed() -> Option<(PathBuf, PathBuf)> {
    Some((
        executable("KORSEL_CHROMIUM", "/usr/bin/chromium")?,
        executable("KORSEL_CHROMEDRIVER", "/usr/bin/chromedriver")?,
    ))
}

/// Where screenshots go: `target/screenshots/` (named in the README).
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// A running chromedriver; killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_driver(chromedriver: &PathBuf) -> Driver {
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        // Danish number and date formats in the browser's own widgets.
        .env("LANGUAGE", "da")
        .env("LANG", "da_DK.UTF-8")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    Driver { child, port }
}

/// One browser session; `run` closes it (and chromedriver) whatever the scenario did.
pub struct Browser {
    pub client: Client,
    pub base: String,
    /// Pages already checked with axe at both widths, by name.
    checked: std::sync::Arc<Mutex<Vec<String>>>,
}

impl Clone for Browser {
    fn clone(&self) -> Self {
        Browser {
            client: self.client.clone(),
            base: self.base.clone(),
            checked: self.checked.clone(),
        }
    }
}

/// Runs `scenario` in a fresh browser against the app at `base`; prints `browser: NOT RUN`
/// and returns when Chromium is not installed.
// The turn is a std lock held across awaits on purpose: each test has its own runtime on its
// own thread, and the lock only makes the tests' browsers take turns.
#[allow(clippy::await_holding_lock)]
pub async fn run<F, Fut>(name: &str, base: &str, scenario: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some((chromium, chromedriver)) = installed() else {
        // CI installs both (`.ci/run`) and sets this, so a missing browser fails there.
        assert!(
            std::env::var_os("KORSEL_REQUIRE_BROWSER").is_none(),
            "KORSEL_REQUIRE_BROWSER is set and chromium/chromedriver are not installed"
        );
        eprintln!("browser: NOT RUN ({name}: chromium/chromedriver not installed)");
        return;
    };
    let _turn: MutexGuard<'_, ()> = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let driver = start_driver(&chromedriver);
    let client = connect(&chromium, driver.port).await;
    let browser = Browser {
        client: client.clone(),
        base: base.to_string(),
        checked: Default::default(),
    };
    // The scenario runs as its own task so that a failed assertion still closes the browser.
    let outcome = tokio::spawn(scenario(browser)).await;
    let _ = client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn connect(chromium: &PathBuf, port: u16) -> Client {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            // The background-networking flags keep Chromium from calling out of this closed
            // network (updates, sync, safe browsing): the tests only talk to 127.0.0.1.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--lang=da-DK", "--window-size=1280,900", "--hide-scrollbars",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-quic"]
        }
    });
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut last = None;
    // chromedriver takes a moment to listen.
    for _ in 0..50 {
        let mut builder = ClientBuilder::new(connector.clone());
        builder.capabilities(capabilities.as_object().unwrap().clone());
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(client) => return client,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("cannot start a Chromium session: {last:?}");
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => panic!("no element {css} on {}: {e}", self.path().await),
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Clicks something that loads a new page (a link, a form's button) and waits until the
    /// new page has replaced this one, so that what is read next is not the old page.
    pub async fn follow(&self, css: &str) {
        let old = self.find("html").await;
        self.click(css).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while old.tag_name().await.is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "clicking {css} loaded no new page"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.find("body").await;
    }

    /// The visible text of the first element matching `css`. An element that htmx swaps out
    /// between finding and reading it (a polled status) is found again.
    pub async fn text(&self, css: &str) -> String {
        for _ in 0..40 {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) if e.is_stale_element_reference() => {
                    tokio::time::sleep(Duration::from_millis(25)).await
                }
                Err(e) => panic!("read {css} on {}: {e}", self.path().await),
            }
        }
        panic!("{css} was replaced 40 times in a row while being read");
    }

    /// Waits until the text of `css` contains `wanted`, for a page that updates itself.
    pub async fn wait_for_text(&self, css: &str, wanted: &str, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        while !self.text(css).await.contains(wanted) {
            assert!(
                std::time::Instant::now() < deadline,
                "{css} never said {wanted:?}: {}",
                self.body().await
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The visible text of every element matching `css`, in page order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(element.text().await.unwrap());
        }
        out
    }

    /// The whole page's visible text.
    pub async fn body(&self) -> String {
        self.text("body").await
    }

    pub async fn sign_in(&self, username: &str, password: &str) {
        self.goto("/log-ind").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.follow("form[action='/log-ind'] button[type=submit]")
            .await;
    }

    pub async fn sign_out(&self) {
        self.follow("form[action='/log-ud'] button").await;
        self.find("#username").await;
    }

    /// Runs axe-core on the page (WCAG 2.1 A and AA) at desktop and phone width and fails on
    /// any violation; saves a full-page screenshot at each width as `<name>-1280.png` and
    /// `<name>-390.png`. Each named page is checked once per test.
    pub async fn check_page(&self, name: &str) {
        {
            let mut checked = self.checked.lock().unwrap();
            if checked.iter().any(|n| n == name) {
                return;
            }
            checked.push(name.to_string());
        }
        for width in [DESKTOP_WIDTH, PHONE_WIDTH] {
            self.emulate_width(width).await;
            // A page that updates itself (htmx polling) can swap a node out under a running
            // axe; that is an axe error, not a finding, so axe runs again on the new page.
            let mut violations = self.axe().await;
            for _ in 0..3 {
                if !is_axe_error(&violations) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                violations = self.axe().await;
            }
            assert!(
                violations.as_array().is_some_and(|v| v.is_empty()),
                "axe found WCAG 2.1 A/AA violations on {name} at {width} px:\n{}",
                summarize(&violations)
            );
            self.screenshot(&format!("{name}-{width}"), width).await;
        }
        self.emulate_width(DESKTOP_WIDTH).await;
    }

    /// Lays the page out at `width` CSS pixels (a window cannot be narrower than 500 px, so
    /// the phone width is Chrome's device emulation).
    async fn emulate_width(&self, width: u32) {
        self.client
            .issue_cmd(Cdp::viewport(width, 900))
            .await
            .expect("set the viewport");
    }

    async fn axe(&self) -> Value {
        let loaded = self
            .client
            .execute("return typeof window.axe !== 'undefined';", vec![])
            .await
            .unwrap();
        if loaded != json!(true) {
            self.client
                .execute(AXE, vec![])
                .await
                .expect("inject axe-core");
        }
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
               .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary)}))))
               .catch(e => done([{id: "axe-error", help: String(e), nodes: []}]));
        "#;
        self.client
            .execute_async(script, vec![json!(AXE_TAGS)])
            .await
            .expect("run axe-core")
    }

    /// A screenshot of the whole page at `width` (the viewport grown to the page's height).
    pub async fn screenshot(&self, file: &str, width: u32) {
        let height = self
            .client
            .execute(
                "window.scrollTo(0, 0); return Math.ceil(document.documentElement.scrollHeight);",
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(900)
            .clamp(400, 8000) as u32;
        self.client
            .issue_cmd(Cdp::viewport(width, height))
            .await
            .expect("grow the viewport");
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(screenshot_dir().join(format!("{file}.png")), png).unwrap();
        self.emulate_width(width).await;
    }

    /// Sends a form POST from the page with the given fields, as a forged request would (no
    /// CSRF token unless given); returns the HTTP status.
    pub async fn post_status(&self, path: &str, fields: Value) -> u16 {
        let script = r#"
            const done = arguments[arguments.length - 1];
            fetch(arguments[0], {method: "POST", credentials: "same-origin",
                  headers: {"Content-Type": "application/x-www-form-urlencoded"},
                  body: new URLSearchParams(arguments[1]).toString(), redirect: "manual"})
              .then(r => done(r.status)).catch(e => done(-1));
        "#;
        self.client
            .execute_async(script, vec![json!(path), fields])
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(0) as u16
    }

    /// The HTTP status of a GET of `path` in this browser session.
    pub async fn get_status(&self, path: &str) -> u16 {
        let script = r#"
            const done = arguments[arguments.length - 1];
            fetch(arguments[0], {credentials: "same-origin", headers: {"Accept": "text/html"}})
              .then(r => done(r.status)).catch(e => done(-1));
        "#;
        self.client
            .execute_async(script, vec![json!(path)])
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(0) as u16
    }
}

fn summarize(violations: &Value) -> String {
    violations
        .as_array()
        .map(|vs| {
            vs.iter()
                .map(|v| {
                    format!(
                        "- {} ({}): {}\n    {}",
                        v["id"],
                        v["impact"],
                        v["help"],
                        v["nodes"]
                            .as_array()
                            .map(|n| n
                                .iter()
                                .map(|x| x.as_str().unwrap_or("").to_string())
                                .collect::<Vec<_>>()
                                .join("\n    "))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_else(|| violations.to_string())
}

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl Cdp {
    fn viewport(width: u32, height: u32) -> Cdp {
        Cdp {
            cmd: "Emulation.setDeviceMetricsOverride",
            params: json!({"width": width, "height": height, "deviceScaleFactor": 1,
                           "mobile": width < DESKTOP_WIDTH}),
        }
    }
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Whether axe itself failed (its run threw), as the axe script reports it.
fn is_axe_error(violations: &Value) -> bool {
    violations
        .as_array()
        .is_some_and(|v| v.iter().any(|v| v["id"] == "axe-error"))
}
