//! The command line's flags, subcommands and the settings each one reads.

use super::*;

#[derive(Debug, Parser)]
#[command(
    name = "korsel",
    version,
    about = "Mileage reporting for Danish municipalities",
    long_about = "korsel turns phone GPS logs and typed trips into approved, payroll-ready \
                  mileage reports.\n\nSettings come from flags or KORSEL_* environment variables; \
                  the defaults run on an embedded SQLite file (./korsel.db)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings every subcommand reads.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database: sqlite://FILE (relative), sqlite:///ABS/PATH or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "KORSEL_DATABASE_URL",
        default_value = "sqlite://korsel.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: DatabaseUrl,

    /// Log output: pretty for people, json for log collectors. RUST_LOG sets the level.
    #[arg(
        long,
        env = "KORSEL_LOG_FORMAT",
        value_enum,
        default_value = "pretty",
        global = true
    )]
    pub log_format: LogFormat,
}

/// Settings of the HTTP server (`korsel serve`).
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address and port the HTTP server listens on.
    #[arg(long, env = "KORSEL_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Key for signing access tokens (at least 32 characters). Unset: one is generated on first
    /// start and kept in the database, so restarts keep sessions.
    #[arg(long, env = "KORSEL_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Password for the `admin` account created on first start. Unset: a one-time password is
    /// generated and printed in the log.
    #[arg(long, env = "KORSEL_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,

    /// Reverse geocoding answers 404 when the nearest address is farther than this (metres).
    #[arg(long, env = "KORSEL_ADDRESS_REVERSE_RADIUS_M", default_value_t = 500.0)]
    pub address_reverse_radius_m: f64,

    /// Optional DAWA-compatible upstream for autocomplete, reverse and lookup (e.g.
    /// https://api.dataforsyningen.dk). Failures fall back to the local index.
    #[arg(long, env = "KORSEL_ADDRESS_UPSTREAM_URL")]
    pub address_upstream_url: Option<String>,

    /// Self-hosted OSRM server for report routes (e.g. http://osrm:5000). Unset: the
    /// "calculated" distance mode is unavailable.
    #[arg(long, env = "KORSEL_ROUTER_URL")]
    pub router_url: Option<String>,

    /// OSRM server with the bicycle network, for bicycle rate types (default: the router URL).
    #[arg(long, env = "KORSEL_BICYCLE_ROUTER_URL")]
    pub bicycle_router_url: Option<String>,

    /// Pay a report starting at home the shorter of the routes from home and from work
    /// (Norddjurs' method) instead of deducting the home-work distance.
    #[arg(long, env = "KORSEL_NORDDJURS_METHOD")]
    pub norddjurs_method: bool,

    /// The most one drive report may pay, in kroner: a report above it is refused with a
    /// message naming this setting.
    #[arg(long, env = "KORSEL_REPORT_MAX_AMOUNT_KR", default_value_t = 25_000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub report_max_amount_kr: u32,

    /// A GPS trip starts or ends at home (or work) when its first or last cleaned fix is within
    /// this many metres of the address valid on the trip's date.
    #[arg(long, env = "KORSEL_TRIP_HOME_RADIUS_M", default_value_t = 100.0)]
    pub trip_home_radius_m: f64,

    /// A request's head (request line and headers) must arrive within this many seconds.
    #[arg(long, env = "KORSEL_HTTP_REQUEST_HEAD_TIMEOUT_S", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub http_request_head_timeout_s: u64,

    /// A request body may start slowly for this many seconds…
    #[arg(long, env = "KORSEL_HTTP_BODY_GRACE_S", default_value_t = 10)]
    pub http_body_grace_s: u64,

    /// …and must then keep up this many bytes per second on average (0: no minimum).
    #[arg(long, env = "KORSEL_HTTP_BODY_MIN_BYTES_PER_S", default_value_t = 1024)]
    pub http_body_min_bytes_per_s: u64,

    /// An idle keep-alive connection is closed after this many seconds (0: no keep-alive).
    #[arg(long, env = "KORSEL_HTTP_KEEP_ALIVE_S", default_value_t = 5)]
    pub http_keep_alive_s: u64,

    /// Open connections one client address may hold; more are answered 429 at once (0: no
    /// cap; behind a reverse proxy, cap at the proxy).
    #[arg(
        long,
        env = "KORSEL_HTTP_MAX_CONNECTIONS_PER_IP",
        default_value_t = 128
    )]
    pub http_max_connections_per_ip: u32,

    /// Reverse proxies (addresses or networks, comma-separated, e.g. 10.0.0.0/8) whose
    /// X-Forwarded-For header names the client, for the per-IP login throttle. Unset: the TCP
    /// peer is the client.
    #[arg(long, env = "KORSEL_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<NetworkList>,

    #[command(flatten)]
    pub payroll: PayrollArgs,

    #[command(flatten)]
    pub app_api: AppApiArgs,

    #[command(flatten)]
    pub web: WebArgs,

    #[command(flatten)]
    pub operations: OperationsArgs,

    #[command(flatten)]
    pub oidc: super::oidc_args::OidcArgs,
}

/// Settings of payroll files (`korsel serve`, `korsel payroll export`).
#[derive(Debug, Args)]
pub struct PayrollArgs {
    /// KMD OPUS IND01 payroll files: the municipality number (0–9999). Unset: IND01 export is
    /// refused.
    #[arg(long, env = "KORSEL_PAYROLL_MUNICIPALITY_NUMBER",
          value_parser = clap::value_parser!(u16).range(0..=9999))]
    pub payroll_municipality_number: Option<u16>,

    /// IND01: the employment type (Ansættelsesform), one digit.
    #[arg(long, env = "KORSEL_PAYROLL_EMPLOYMENT_TYPE", default_value_t = 0,
          value_parser = clap::value_parser!(u8).range(0..=9))]
    pub payroll_employment_type: u8,

    /// IND01: the extra number (ekstra ciffer), one digit.
    #[arg(long, env = "KORSEL_PAYROLL_EXTRA_NUMBER", default_value_t = 0,
          value_parser = clap::value_parser!(u8).range(0..=9))]
    pub payroll_extra_number: u8,

    /// IND01: a first line for every file (e.g. "0751 Kørsel"). Unset: no header line.
    #[arg(long, env = "KORSEL_PAYROLL_IND01_HEADER")]
    pub payroll_ind01_header: Option<String>,

    /// CSV payroll files: add the CPR column (off unless set).
    #[arg(long, env = "KORSEL_PAYROLL_CSV_INCLUDE_CPR")]
    pub payroll_csv_include_cpr: bool,

    /// A payroll batch fetched by a connector and not acknowledged within this many minutes is
    /// logged as an error.
    #[arg(long, env = "KORSEL_PAYROLL_ACK_TIMEOUT_MINUTES", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub payroll_ack_timeout_minutes: u64,
}

/// Settings of the browser pages (`korsel serve`).
#[derive(Debug, Args)]
pub struct WebArgs {
    /// Where users reach the service, e.g. https://korsel.kommune.dk. An https URL makes the
    /// browser session cookie Secure.
    #[arg(long, env = "KORSEL_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// A browser session ends after this many minutes without activity.
    #[arg(long, env = "KORSEL_SESSION_IDLE_MINUTES", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub session_idle_minutes: u64,

    /// Map background tiles, e.g. https://tiles.kommune.dk/{z}/{x}/{y}.png. Unset: maps are
    /// drawn without background and no location is sent anywhere.
    #[arg(long, env = "KORSEL_MAP_TILE_URL")]
    pub map_tile_url: Option<String>,
}

/// Settings of the OS2indberetning phone apps' API (`korsel serve`, `korsel app provider-entry`).
#[derive(Debug, Args)]
pub struct AppApiArgs {
    /// The OS2indberetning phone apps' API (/api/auth, /api/userinfo, /api/report): on or off.
    /// Off, those routes answer 404.
    #[arg(long, env = "KORSEL_APP_API", value_enum, default_value = "off")]
    pub app_api: Switch,

    /// A phone app's login (GuId) stops working this many days after it was issued. Unset:
    /// never, as the apps expect.
    #[arg(long, env = "KORSEL_APP_TOKEN_MAX_AGE_DAYS",
          value_parser = clap::value_parser!(u64).range(1..=36_500))]
    pub app_token_max_age_days: Option<u64>,

    /// The provider entry for the apps' provider list: the name they show.
    #[arg(long, env = "KORSEL_APP_PROVIDER_NAME", default_value = "korsel")]
    pub app_provider_name: String,

    /// korsel's public base URL as the phones reach it (e.g. https://korsel.example.dk); the
    /// provider entry's APIUrl is this plus /api/.
    #[arg(long, env = "KORSEL_APP_PUBLIC_URL")]
    pub app_public_url: Option<String>,

    /// The provider entry: URL of the logo (coat of arms) the apps show.
    #[arg(long, env = "KORSEL_APP_LOGO_URL")]
    pub app_logo_url: Option<String>,

    /// The provider entry's colours (#RRGGBB).
    #[arg(long, env = "KORSEL_APP_TEXT_COLOR", default_value = "#FFFFFF")]
    pub app_text_color: String,
    #[arg(long, env = "KORSEL_APP_PRIMARY_COLOR", default_value = "#1F4E79")]
    pub app_primary_color: String,
    #[arg(long, env = "KORSEL_APP_SECONDARY_COLOR", default_value = "#6583D3")]
    pub app_secondary_color: String,
}

/// A setting that is on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app and the HTTP API (migrates the database first).
    Serve(Box<ServerArgs>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// The address registry.
    #[command(subcommand)]
    Addresses(AddressCommand),
    /// Inspect GPS tracks (for support staff and the accuracy benchmark).
    #[command(subcommand)]
    Track(TrackCommand),
    /// The organisation: org units.
    #[command(subcommand)]
    Org(ImportCommand),
    /// Staff: persons, employments, leaders, substitutes, personal approvers, e-mail, home
    /// addresses (washed against the address registry: import it first) and licence plates.
    #[command(subcommand)]
    Staff(ImportCommand),
    /// Payroll export: batches and the keys of payroll connectors.
    #[command(subcommand)]
    Payroll(PayrollCommand),
    /// The OS2indberetning phone apps.
    #[command(subcommand)]
    App(AppCommand),
    /// The scheduled jobs (outbox sender, digest, overdue payroll check, retention): schedule,
    /// next run, last result.
    Jobs {
        #[command(flatten)]
        settings: Box<OperationsArgs>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Print the JSON object a municipality adds to the apps' provider list (appinfo.json):
    /// name, APIUrl, logo and colours from the KORSEL_APP_* settings.
    ProviderEntry {
        #[command(flatten)]
        settings: AppApiArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum PayrollCommand {
    /// Make a batch of every approved report driven on or before --up-to and write its file
    /// (the same as POST /api/v1/payroll/batches, then downloading the file).
    Export {
        /// The last drive date to include (YYYY-MM-DD).
        #[arg(long)]
        up_to: NaiveDate,
        /// csv or kmd-ind01.
        #[arg(long)]
        format: PayrollFormat,
        /// Where to write the file.
        #[arg(long)]
        out: PathBuf,
        /// CSV: one row per employment × TF code × month.
        #[arg(long)]
        grouped: bool,
        /// CSV: excel (BOM, formula guard) or machine (plain UTF-8).
        #[arg(long, default_value = "excel")]
        style: CsvStyle,
        #[command(flatten)]
        settings: PayrollArgs,
    },
    /// List the batches, newest first.
    Batches {
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = MAX_PER_PAGE)]
        per_page: u32,
    },
    /// Keys of on-premise payroll connectors (they work for the pull API only).
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it (once: only its hash is stored).
    Create { name: String },
    /// Revoke a key at once.
    Revoke { name: String },
    /// List the keys (never the keys themselves).
    List,
}

#[derive(Debug, Subcommand)]
pub enum AddressCommand {
    /// Import a DAWA CSV/JSON/NDJSON export or a DAR NDJSON file, plain or gzip-compressed
    /// (idempotent upsert by id). All or nothing: a broken or invalid row refuses the file.
    Import {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "auto")]
        format: ImportFormat,
        /// Mark active addresses that the file lacks inactive (for full exports).
        #[arg(long)]
        deactivate_missing: bool,
        /// With --deactivate-missing: refuse when more than this share of the active
        /// addresses would be deactivated, in per cent.
        #[arg(long, default_value_t = 5.0)]
        max_deactivation_percent: f64,
        /// With --deactivate-missing: deactivate however many the file lacks.
        #[arg(long)]
        allow_mass_deactivation: bool,
        /// Skip rows with invalid values (listed in the summary) instead of refusing the file.
        /// Not with --deactivate-missing.
        #[arg(long, conflicts_with = "deactivate_missing")]
        skip_invalid: bool,
        /// Do everything and print the counts, but store nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrackCommand {
    /// Print the driven distance of a track and its quality indicators as one JSON object.
    /// FILE is the upload JSON (only `points` is read) or GPX 1.1.
    Distance {
        file: PathBuf,
        /// Also print the cleaned track.
        #[arg(long)]
        with_track: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a CSV file (see the README for the columns): an idempotent upsert by external ids
    /// in one transaction; a bad row aborts the whole import.
    Import { file: std::path::PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Without --password-stdin a random password is generated and printed.
    Add {
        username: String,
        /// A role to grant (repeatable): employee, approver, payroll, admin.
        #[arg(long = "role", default_value = "employee")]
        roles: Vec<Role>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List {
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = MAX_PER_PAGE)]
        per_page: u32,
    },
    /// Set a user's password (ends their sessions). Without --password-stdin one is generated.
    SetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

impl GlobalArgs {
    pub fn settings(&self) -> Settings {
        Settings::with_database(self.database_url.clone())
    }
}

impl ServerArgs {
    pub(super) fn apply(&self, settings: &mut Settings) {
        settings.bind = self.bind;
        // An empty variable (as compose files pass for "unset") means unset.
        let non_empty = |s: &Option<Secret>| s.clone().filter(|s| !s.expose().is_empty());
        settings.jwt_secret = non_empty(&self.jwt_secret);
        settings.admin_password = non_empty(&self.admin_password);
        settings.addresses.reverse_radius_m = self.address_reverse_radius_m;
        settings.trips.home_radius_m = self.trip_home_radius_m;
        settings.addresses.upstream_url = non_blank(&self.address_upstream_url);
        settings.reports.router_url = non_blank(&self.router_url);
        settings.reports.bicycle_router_url = non_blank(&self.bicycle_router_url);
        settings.reports.norddjurs_method = self.norddjurs_method;
        settings.reports.max_amount_ore = i64::from(self.report_max_amount_kr) * 100;
        settings.http = HttpSettings {
            request_head_timeout: Duration::from_secs(self.http_request_head_timeout_s),
            body_grace: Duration::from_secs(self.http_body_grace_s),
            body_min_bytes_per_second: self.http_body_min_bytes_per_s,
            keep_alive: Duration::from_secs(self.http_keep_alive_s),
            max_connections_per_ip: self.http_max_connections_per_ip,
        };
        settings.trusted_proxies = self.trusted_proxies.clone().unwrap_or_default().0;
        self.payroll.apply(settings);
        self.app_api.apply(settings);
        self.web.apply(settings);
        self.operations.apply(settings);
        self.oidc.apply(settings);
    }
}

/// An empty variable (as compose files pass for "unset") means unset.
fn non_blank(value: &Option<String>) -> Option<String> {
    value.clone().filter(|s| !s.trim().is_empty())
}

impl PayrollArgs {
    pub(super) fn apply(&self, settings: &mut Settings) {
        settings.payroll = PayrollSettings {
            municipality_number: self.payroll_municipality_number,
            employment_type: self.payroll_employment_type,
            extra_number: self.payroll_extra_number,
            ind01_header: non_blank(&self.payroll_ind01_header),
            csv_include_cpr: self.payroll_csv_include_cpr,
            ack_timeout: Duration::from_secs(self.payroll_ack_timeout_minutes * 60),
        };
    }
}

impl WebArgs {
    fn apply(&self, settings: &mut Settings) {
        settings.web = WebSettings {
            public_url: non_blank(&self.public_url),
            session_idle: Duration::from_secs(self.session_idle_minutes * 60),
            map_tile_url: non_blank(&self.map_tile_url),
        };
    }
}

impl AppApiArgs {
    pub(super) fn apply(&self, settings: &mut Settings) {
        settings.app_api = AppApiSettings {
            enabled: self.app_api == Switch::On,
            token_max_age: self
                .app_token_max_age_days
                .map(|days| Duration::from_secs(days * 24 * 3600)),
            provider: ProviderEntry {
                name: self.app_provider_name.clone(),
                public_url: non_blank(&self.app_public_url),
                logo_url: non_blank(&self.app_logo_url),
                text_color: self.app_text_color.clone(),
                primary_color: self.app_primary_color.clone(),
                secondary_color: self.app_secondary_color.clone(),
            },
        };
    }
}
