//! Browser tests (issue 13): the real app on port 0 with a real database (either backend, as
//! the API tests), driven by Debian's headless Chromium through chromedriver, with axe-core
//! (WCAG 2.1 A and AA) run on every page and screenshots at 1280 and 390 px wide written to
//! `target/screenshots/`.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` (or `KORSEL_CHROMIUM` /
//! `KORSEL_CHROMEDRIVER`) each test prints `browser: NOT RUN` and returns; `scripts/test` says
//! so in its summary, and `.ci/run` installs both so CI always runs them.

// Shared with the API tests; this binary uses only part of them.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/oidc_provider.rs"]
mod oidc_provider;
#[allow(dead_code)]
#[path = "../api/report_fixtures.rs"]
mod report_fixtures;

mod admin;
mod browser;
mod oidc;
mod password;
mod payroll;
mod queue;
mod scenarios;
mod world;
