//! Settings shared by every subcommand, read from flags and `KORSEL_*` environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::domain::throttle::IpNet;
mod oidc;
mod operations;
pub use oidc::{OidcSettings, PasswordLogin};
pub use operations::{JobSettings, MailSettings, RetentionSettings, Schedule};

/// Where the database lives. Parsed from the URL scheme so that a wrong URL fails at start-up
/// with a message naming the setting, instead of diesel's "Invalid connection url".
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://relative.db` or `sqlite:///abs/path.db`.
    Sqlite(PathBuf),
    /// `postgres://` or `postgresql://`, passed to libpq unchanged.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn kind(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }

    /// The location without credentials, for logs.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }
}

/// A URL without its password and query (for logs and the settings page).
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<unparseable url>".into();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{user}@{host}")
        }
        None => authority.to_string(),
    };
    let path = tail.split('?').next().unwrap_or_default();
    format!("{scheme}://{host}{path}")
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.kind(), self.redacted())
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite URL has no file path (try sqlite://korsel.db)".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_string()));
        }
        Err("expected sqlite://FILE, sqlite:///ABS/PATH or postgres://USER@HOST/DB".into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A secret that never shows up in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

/// Minimum length of a configured JWT secret: HS256 wants at least 256 bits of key.
pub const MIN_JWT_SECRET_LEN: usize = 32;

/// Everything the service needs to start. The CLI builds it from flags and environment; tests
/// build it directly.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    pub jwt_secret: Option<Secret>,
    pub admin_password: Option<Secret>,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub login_throttle: ThrottleSettings,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`KORSEL_TRUSTED_PROXIES`);
    /// empty: the TCP peer is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    pub addresses: AddressSettings,
    pub reports: ReportSettings,
    pub trips: TripSettings,
    pub payroll: PayrollSettings,
    pub app_api: AppApiSettings,
    pub http: HttpSettings,
    pub web: WebSettings,
    /// E-mail notices, scheduled jobs and retention (issue 16).
    pub mail: MailSettings,
    pub jobs: JobSettings,
    pub retention: RetentionSettings,
    /// Single sign-on (issue 18); `None` unless `KORSEL_OIDC_ISSUER` is set.
    pub oidc: Option<OidcSettings>,
    /// `KORSEL_PASSWORD_LOGIN`: everybody, or only administrators.
    pub password_login: PasswordLogin,
}

/// Connection limits of the HTTP server (issue 11): what a client that connects, sends slowly
/// or holds connections open may cost before it has authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// A request's head (request line and headers) must arrive within this
    /// (`KORSEL_HTTP_REQUEST_HEAD_TIMEOUT_S`); else 408.
    pub request_head_timeout: Duration,
    /// A request body may start slowly for this long (`KORSEL_HTTP_BODY_GRACE_S`)…
    pub body_grace: Duration,
    /// …and must then keep up this average rate (`KORSEL_HTTP_BODY_MIN_BYTES_PER_S`); else
    /// 408 and the connection is closed. 0 turns the check off.
    pub body_min_bytes_per_second: u64,
    /// An idle keep-alive connection is closed after this (`KORSEL_HTTP_KEEP_ALIVE_S`; 0:
    /// no keep-alive).
    pub keep_alive: Duration,
    /// Open connections one client IP address may hold (`KORSEL_HTTP_MAX_CONNECTIONS_PER_IP`);
    /// more are answered 429 at once. 0 turns the cap off (behind a reverse proxy every
    /// connection comes from the proxy: cap there instead).
    pub max_connections_per_ip: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            request_head_timeout: Duration::from_secs(5),
            body_grace: Duration::from_secs(10),
            body_min_bytes_per_second: 1024,
            keep_alive: Duration::from_secs(5),
            max_connections_per_ip: 128,
        }
    }
}

/// The browser pages (issue 13).
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Where users reach the service (`KORSEL_PUBLIC_URL`). An `https://` URL makes the session
    /// cookie `Secure`.
    pub public_url: Option<String>,
    /// A browser session ends after this long without a request (`KORSEL_SESSION_IDLE_MINUTES`).
    pub session_idle: Duration,
    /// A tile server for map backgrounds, `{z}/{x}/{y}` in the URL (`KORSEL_MAP_TILE_URL`).
    /// Unset: maps are drawn without background, and no staff location leaves the network.
    pub map_tile_url: Option<String>,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            public_url: None,
            session_idle: Duration::from_secs(30 * 60),
            map_tile_url: None,
        }
    }
}

impl WebSettings {
    /// True when the public URL is https: cookies then carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err("KORSEL_PUBLIC_URL must be an http:// or https:// URL".into());
            }
        }
        if self.session_idle.is_zero() {
            return Err("KORSEL_SESSION_IDLE_MINUTES must be at least 1".into());
        }
        if let Some(url) = &self.map_tile_url {
            let placeholders = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
            if !url.starts_with("https://") && !url.starts_with("http://") || !placeholders {
                return Err(
                    "KORSEL_MAP_TILE_URL must be an http(s) URL with {z}, {x} and {y}".into(),
                );
            }
        }
        Ok(())
    }
}

/// Drive reports (issue 6): the route service and the municipality's home rule.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    /// A self-hosted OSRM server (`KORSEL_ROUTER_URL`). Unset: distance mode "calculated" and
    /// anything else that needs a route answers `router-unavailable`.
    pub router_url: Option<String>,
    /// OSRM server with the bicycle network (`KORSEL_BICYCLE_ROUTER_URL`); defaults to
    /// `router_url`.
    pub bicycle_router_url: Option<String>,
    /// Per-request timeout of the route service.
    pub router_timeout: Duration,
    /// Norddjurs' alternative method (`KORSEL_NORDDJURS_METHOD`): a report starting at home is
    /// paid the shorter of the route from home and the route from work through the same stops,
    /// instead of deducting the home-work distance.
    pub norddjurs_method: bool,
    /// The most one report may pay, øre (`KORSEL_REPORT_MAX_AMOUNT_KR`): a report above it is
    /// refused, whatever its distance came from.
    pub max_amount_ore: i64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            router_url: None,
            bicycle_router_url: None,
            router_timeout: Duration::from_secs(5),
            norddjurs_method: false,
            max_amount_ore: crate::domain::report_limits::DEFAULT_MAX_AMOUNT_ORE,
        }
    }
}

/// GPS trip uploads (issue 4).
#[derive(Debug, Clone)]
pub struct TripSettings {
    /// Largest accepted upload body, in bytes: 50,000 fixes of JSON with accuracy and speed
    /// take about 6 MB.
    pub max_upload_bytes: usize,
    /// A trip starts/ends at home (or work) when its first/last cleaned fix is within this
    /// distance of the address valid on the trip's date, metres.
    pub home_radius_m: f64,
}

impl Default for TripSettings {
    fn default() -> Self {
        TripSettings {
            max_upload_bytes: 16 * 1024 * 1024,
            home_radius_m: 100.0,
        }
    }
}

/// Payroll export (issue 7). A batch freezes the format settings in force when it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayrollSettings {
    /// KMD OPUS IND01: the municipality number (kommunenummer), 0–9999. Unset: IND01 batches are
    /// refused.
    pub municipality_number: Option<u16>,
    /// IND01: Ansættelsesform, one digit.
    pub employment_type: u8,
    /// IND01: ekstra ciffer, one digit.
    pub extra_number: u8,
    /// IND01: an optional first line of every file (e.g. `0751 Kørsel`).
    pub ind01_header: Option<String>,
    /// CSV: add the CPR column. Off unless asked for.
    pub csv_include_cpr: bool,
    /// A batch fetched by a connector and not acknowledged within this is logged as an error.
    pub ack_timeout: Duration,
}

impl Default for PayrollSettings {
    fn default() -> Self {
        PayrollSettings {
            municipality_number: None,
            employment_type: 0,
            extra_number: 0,
            ind01_header: None,
            csv_include_cpr: false,
            ack_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// The address registry (issue 3).
#[derive(Debug, Clone)]
pub struct AddressSettings {
    /// Reverse geocoding answers 404 when the nearest address is farther (metres).
    pub reverse_radius_m: f64,
    /// Default tolerance of `match_point` (metres).
    pub match_tolerance_m: f64,
    /// Optional DAWA-compatible upstream, e.g. `https://api.dataforsyningen.dk`.
    pub upstream_url: Option<String>,
    /// Per-request timeout for the upstream.
    pub upstream_timeout: Duration,
    /// Largest accepted import body (`POST /api/v1/addresses/import`), in bytes.
    pub max_import_bytes: u64,
}

impl Default for AddressSettings {
    fn default() -> Self {
        AddressSettings {
            reverse_radius_m: 500.0,
            match_tolerance_m: 100.0,
            upstream_url: None,
            upstream_timeout: Duration::from_secs(3),
            max_import_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottleSettings {
    /// Failed logins per username allowed within `window` before answering 429.
    pub per_username: u32,
    /// Failed logins per client IP allowed within `window`.
    pub per_ip: u32,
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            per_username: 5,
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

impl Settings {
    /// Defaults that work out of the box, for the given database.
    pub fn with_database(database_url: DatabaseUrl) -> Self {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url,
            jwt_secret: None,
            admin_password: None,
            workers: None,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            login_throttle: ThrottleSettings::default(),
            trusted_proxies: Vec::new(),
            max_body_bytes: 4 * 1024 * 1024,
            addresses: AddressSettings::default(),
            reports: ReportSettings::default(),
            trips: TripSettings::default(),
            payroll: PayrollSettings::default(),
            app_api: AppApiSettings::default(),
            http: HttpSettings::default(),
            web: WebSettings::default(),
            mail: MailSettings::default(),
            jobs: JobSettings::default(),
            retention: RetentionSettings::default(),
            oidc: None,
            password_login: PasswordLogin::default(),
        }
    }

    /// Checks that are not expressible as clap parsers. Errors name the setting.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(secret) = &self.jwt_secret {
            if secret.expose().len() < MIN_JWT_SECRET_LEN {
                return Err(format!(
                    "KORSEL_JWT_SECRET must be at least {MIN_JWT_SECRET_LEN} characters"
                ));
            }
        }
        if let Some(password) = &self.admin_password {
            crate::domain::users::validate_password(password.expose())
                .map_err(|e| format!("KORSEL_ADMIN_PASSWORD: {e}"))?;
        }
        let radius = self.addresses.reverse_radius_m;
        if !(radius.is_finite() && radius > 0.0) {
            return Err(
                "KORSEL_ADDRESS_REVERSE_RADIUS_M must be a positive number of metres".into(),
            );
        }
        if self.http.request_head_timeout.is_zero() {
            return Err("KORSEL_HTTP_REQUEST_HEAD_TIMEOUT_S must be at least 1".into());
        }
        if self.reports.max_amount_ore <= 0 {
            return Err("KORSEL_REPORT_MAX_AMOUNT_KR must be at least 1".into());
        }
        let home = self.trips.home_radius_m;
        if !(home.is_finite() && home > 0.0) {
            return Err("KORSEL_TRIP_HOME_RADIUS_M must be a positive number of metres".into());
        }
        let payroll = &self.payroll;
        if payroll.municipality_number.is_some_and(|n| n > 9999) {
            return Err("KORSEL_PAYROLL_MUNICIPALITY_NUMBER must be 0–9999".into());
        }
        if payroll.employment_type > 9 {
            return Err("KORSEL_PAYROLL_EMPLOYMENT_TYPE must be one digit".into());
        }
        if payroll.extra_number > 9 {
            return Err("KORSEL_PAYROLL_EXTRA_NUMBER must be one digit".into());
        }
        if payroll
            .ind01_header
            .as_ref()
            .is_some_and(|h| h.contains(['\r', '\n']))
        {
            return Err("KORSEL_PAYROLL_IND01_HEADER must be a single line".into());
        }
        if payroll.ack_timeout.is_zero() {
            return Err("KORSEL_PAYROLL_ACK_TIMEOUT_MINUTES must be at least 1".into());
        }
        if let Some(url) = &self.addresses.upstream_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(
                    "KORSEL_ADDRESS_UPSTREAM_URL must be an http:// or https:// URL".into(),
                );
            }
        }
        for (name, url) in [
            ("KORSEL_ROUTER_URL", &self.reports.router_url),
            (
                "KORSEL_BICYCLE_ROUTER_URL",
                &self.reports.bicycle_router_url,
            ),
        ] {
            if let Some(url) = url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!("{name} must be an http:// or https:// URL"));
                }
            }
        }
        self.app_api.validate()?;
        self.web.validate()?;
        self.mail.validate()?;
        self.retention.validate()?;
        if let Some(oidc) = &self.oidc {
            oidc.validate(self.web.public_url.as_deref())?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- the phone apps (issue 14)

/// The OS2indberetning phone apps' protocol (`/api/auth`, `/api/userinfo`, `/api/report`).
#[derive(Debug, Clone, Default)]
pub struct AppApiSettings {
    /// `KORSEL_APP_API=on`: an operator opts in; off, the app routes answer 404.
    pub enabled: bool,
    /// `KORSEL_APP_TOKEN_MAX_AGE_DAYS`: a GuId older than this stops working. `None`: never
    /// (the apps hold their GuId forever and cannot renew it without the user logging in).
    pub token_max_age: Option<Duration>,
    /// What the municipality adds to the apps' provider list.
    pub provider: ProviderEntry,
}

/// One entry of the apps' provider list (`appinfo.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEntry {
    /// The name the apps show, e.g. the municipality's.
    pub name: String,
    /// korsel's public base URL (`https://korsel.example.dk`); the apps call `{url}/api/…`.
    pub public_url: Option<String>,
    pub logo_url: Option<String>,
    /// Colours as `#RRGGBB`.
    pub text_color: String,
    pub primary_color: String,
    pub secondary_color: String,
}

impl Default for ProviderEntry {
    fn default() -> Self {
        ProviderEntry {
            name: "korsel".into(),
            public_url: None,
            logo_url: None,
            text_color: "#FFFFFF".into(),
            primary_color: "#1F4E79".into(),
            secondary_color: "#6583D3".into(),
        }
    }
}

impl AppApiSettings {
    fn validate(&self) -> Result<(), String> {
        let p = &self.provider;
        if p.name.trim().is_empty() {
            return Err("KORSEL_APP_PROVIDER_NAME must not be empty".into());
        }
        for (name, url) in [
            ("KORSEL_APP_PUBLIC_URL", &p.public_url),
            ("KORSEL_APP_LOGO_URL", &p.logo_url),
        ] {
            if url
                .as_ref()
                .is_some_and(|u| !(u.starts_with("http://") || u.starts_with("https://")))
            {
                return Err(format!("{name} must be an http:// or https:// URL"));
            }
        }
        for (name, colour) in [
            ("KORSEL_APP_TEXT_COLOR", &p.text_color),
            ("KORSEL_APP_PRIMARY_COLOR", &p.primary_color),
            ("KORSEL_APP_SECONDARY_COLOR", &p.secondary_color),
        ] {
            let hex = colour.strip_prefix('#').unwrap_or("");
            if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("{name} must be a colour like #6B2D52"));
            }
        }
        if self.token_max_age.is_some_and(|d| d.is_zero()) {
            return Err("KORSEL_APP_TOKEN_MAX_AGE_DAYS must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_urls() {
        assert_eq!(
            "sqlite://korsel.db".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Sqlite("korsel.db".into()))
        );
        assert_eq!(
            "sqlite:///var/lib/korsel.db".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Sqlite("/var/lib/korsel.db".into()))
        );
        assert!(matches!(
            "postgres://u:p@h/db".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
    }

    #[test]
    fn redacts_passwords() {
        let url: DatabaseUrl = "postgres://korsel:hunter2@db:5432/korsel?sslmode=require"
            .parse()
            .unwrap();
        assert_eq!(url.redacted(), "postgres://korsel@db:5432/korsel");
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn short_jwt_secret_is_rejected_naming_the_setting() {
        let mut settings = Settings::with_database("sqlite://x.db".parse().unwrap());
        settings.jwt_secret = Some(Secret::new("short"));
        assert!(settings
            .validate()
            .unwrap_err()
            .contains("KORSEL_JWT_SECRET"));
    }
}
