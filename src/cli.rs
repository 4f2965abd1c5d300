//! The command line: `korsel serve`, `korsel migrate`, `korsel user ...`, `korsel org import`,
//! `korsel staff import`, `korsel payroll ...`. Settings come from flags or `KORSEL_*`
//! environment variables; each subcommand takes (and its `--help` shows) only the ones it uses,
//! plus the database and the log format, which every subcommand reads.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::{open_database, Application};
use std::time::Duration;

use crate::config::{
    AppApiSettings, DatabaseUrl, HttpSettings, LogFormat, PayrollSettings, ProviderEntry, Secret,
    Settings,
};
use crate::domain::gps::{compute_distance, parse_gpx, PipelineParams, TrackPoint};
use crate::domain::page::{PageRequest, MAX_PER_PAGE};
use crate::domain::users::{Role, Roles};
use crate::payroll::{format_metres_km, format_ore_kr, CsvLayout, CsvStyle, PayrollFormat};
use crate::services::addresses::{self as address_service, ImportFormat};
use crate::services::staff_extras::AddressSource;
use crate::services::{import, passwords, payroll, users};
use crate::telemetry;

mod operations;
use operations::OperationsArgs;

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

    #[command(flatten)]
    pub payroll: PayrollArgs,

    #[command(flatten)]
    pub app_api: AppApiArgs,

    #[command(flatten)]
    pub operations: OperationsArgs,
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
    /// Run the HTTP API (migrates the database first).
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
    fn apply(&self, settings: &mut Settings) {
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
        self.payroll.apply(settings);
        self.app_api.apply(settings);
        self.operations.apply(settings);
    }
}

/// An empty variable (as compose files pass for "unset") means unset.
fn non_blank(value: &Option<String>) -> Option<String> {
    value.clone().filter(|s| !s.trim().is_empty())
}

impl PayrollArgs {
    fn apply(&self, settings: &mut Settings) {
        settings.payroll = PayrollSettings {
            municipality_number: self.payroll_municipality_number,
            employment_type: self.payroll_employment_type,
            extra_number: self.payroll_extra_number,
            ind01_header: self
                .payroll_ind01_header
                .clone()
                .filter(|s| !s.trim().is_empty()),
            csv_include_cpr: self.payroll_csv_include_cpr,
            ack_timeout: Duration::from_secs(self.payroll_ack_timeout_minutes * 60),
        };
    }
}

impl AppApiArgs {
    fn apply(&self, settings: &mut Settings) {
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

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if !e.use_stderr()
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            e.exit()
        }
        Err(e) => {
            eprintln!("{}", one_line_error(&e));
            return ExitCode::from(2);
        }
    };
    telemetry::init(cli.global.log_format);
    let mut settings = cli.global.settings();
    match &cli.command {
        Command::Serve(server) => server.apply(&mut settings),
        Command::Payroll(PayrollCommand::Export {
            settings: payroll, ..
        }) => payroll.apply(&mut settings),
        Command::App(AppCommand::ProviderEntry { settings: app_api }) => {
            app_api.apply(&mut settings)
        }
        Command::Jobs {
            settings: operations,
        } => operations.apply(&mut settings),
        _ => {}
    }
    if let Err(message) = settings.validate() {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    match run(cli.command, settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Settings that may come from the environment, by flag.
const ENV_SETTINGS: [&str; 41] = [
    "database-url",
    "bind",
    "log-format",
    "jwt-secret",
    "admin-password",
    "address-reverse-radius-m",
    "address-upstream-url",
    "router-url",
    "bicycle-router-url",
    "norddjurs-method",
    "report-max-amount-kr",
    "http-request-head-timeout-s",
    "http-body-grace-s",
    "http-body-min-bytes-per-s",
    "http-keep-alive-s",
    "http-max-connections-per-ip",
    "payroll-municipality-number",
    "payroll-employment-type",
    "payroll-extra-number",
    "payroll-ind01-header",
    "payroll-csv-include-cpr",
    "payroll-ack-timeout-minutes",
    "trip-home-radius-m",
    "app-api",
    "app-token-max-age-days",
    "app-provider-name",
    "app-public-url",
    "app-logo-url",
    "app-text-color",
    "app-primary-color",
    "app-secondary-color",
    "smtp-url",
    "mail-from",
    "public-url",
    "jobs",
    "digest-at",
    "mail-send-every-s",
    "retention-gps-days",
    "retention-auth-events-days",
    "mail-send-timeout-s",
    "jobs-lease-s",
];

/// Bad configuration as one line that names the setting both ways, e.g.
/// `error: invalid value 'x' for '--bind <BIND>': invalid socket address syntax (KORSEL_BIND)`.
fn one_line_error(e: &clap::Error) -> String {
    let message = e.to_string();
    let first = message.lines().next().unwrap_or("error: invalid arguments");
    let flag = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => {
            arg.trim_start_matches('-').split(' ').next().unwrap_or("")
        }
        _ => "",
    };
    if ENV_SETTINGS.contains(&flag) {
        format!("{first} (KORSEL_{})", flag.to_uppercase().replace('-', "_"))
    } else {
        first.to_string()
    }
}

fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve(_) => serve(settings),
        Command::Migrate => open_database(&settings.database_url).map(drop),
        Command::User(cmd) => user(cmd, &settings),
        Command::Addresses(cmd) => addresses(cmd, &settings),
        Command::Track(TrackCommand::Distance { file, with_track }) => {
            track_distance(&file, with_track)
        }
        Command::Org(ImportCommand::Import { file }) => import_file(&file, &settings, true),
        Command::Staff(ImportCommand::Import { file }) => import_file(&file, &settings, false),
        Command::Payroll(cmd) => payroll_command(cmd, &settings),
        Command::Jobs { .. } => operations::list_jobs(&settings),
        Command::App(AppCommand::ProviderEntry { .. }) => {
            let entry = crate::services::app_api::provider_entry(&settings.app_api.provider, None)?;
            println!("{}", serde_json::to_string_pretty(&entry)?);
            Ok(())
        }
    }
}

fn payroll_command(cmd: PayrollCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = open_database(&settings.database_url)?;
    let mut conn = db.get()?;
    match cmd {
        PayrollCommand::Export {
            up_to,
            format,
            out,
            grouped,
            style,
            settings: _,
        } => {
            // Write next to the target and rename at the end, so a failed export leaves no file.
            let dir = match out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let file = tempfile::NamedTempFile::new_in(&dir)
                .with_context(|| format!("cannot write to {}", dir.display()))?;
            let input = payroll::CreateBatch { up_to, format };
            let batch = payroll::create_batch(
                &mut conn,
                &input,
                payroll::Actor::CommandLine,
                &settings.payroll,
                false,
            )?;
            let layout = CsvLayout { grouped, style };
            let mut writer = std::io::BufWriter::new(file);
            let rows = payroll::write_batch_file(&db, batch.id, layout, &mut writer)
                .map_err(anyhow::Error::from)
                .and_then(|rows| {
                    let file = writer.into_inner().map_err(|e| e.into_error())?;
                    file.persist(&out)?;
                    Ok(rows)
                })
                .with_context(|| {
                    format!(
                        "batch {} was made, but {} was not written; download it with \
                         GET /api/v1/payroll/batches/{}/file",
                        batch.id,
                        out.display(),
                        batch.id
                    )
                })?;
            println!(
                "batch {} ({}, up to {}): {} reports, {} km, {} kr; {} {} written to {}",
                batch.id,
                batch.format,
                batch.up_to,
                batch.report_count,
                format_metres_km(batch.total_distance_m),
                format_ore_kr(batch.total_amount_ore),
                rows,
                match (format, rows) {
                    (PayrollFormat::Csv, 1) => "CSV row",
                    (PayrollFormat::Csv, _) => "CSV rows",
                    (PayrollFormat::KmdInd01, 1) => "IND01 record",
                    (PayrollFormat::KmdInd01, _) => "IND01 records",
                },
                out.display()
            );
        }
        PayrollCommand::Batches { page, per_page } => {
            let request = PageRequest { page, per_page };
            request
                .validate()
                .map_err(|(field, e)| anyhow::anyhow!("--{field} {e}"))?;
            let listing = payroll::list_batches(&mut conn, request)?;
            println!(
                "{:>6}  {:<16}  {:<20}  {:<9}  {:<10}  {:>8}  {:>12}  {:>14}  status",
                "id", "created (UTC)", "by", "format", "up to", "reports", "km", "kr"
            );
            for b in &listing.items {
                println!(
                    "{:>6}  {:<16}  {:<20}  {:<9}  {:<10}  {:>8}  {:>12}  {:>14}  {}",
                    b.id,
                    b.created_at.format("%Y-%m-%d %H:%M"),
                    b.created_by,
                    b.format,
                    b.up_to,
                    b.report_count,
                    format_metres_km(b.total_distance_m),
                    format_ore_kr(b.total_amount_ore),
                    b.status.as_str()
                );
            }
            println!(
                "{} of {} batches (page {})",
                listing.items.len(),
                listing.total,
                listing.page
            );
        }
        PayrollCommand::ApiKey(ApiKeyCommand::Create { name }) => {
            let (key, secret) = payroll::create_api_key(&mut conn, &name)?;
            println!(
                "created connector key {:?}; send it as X-Api-Key (shown only now):",
                key.name
            );
            println!("{secret}");
        }
        PayrollCommand::ApiKey(ApiKeyCommand::Revoke { name }) => {
            payroll::revoke_api_key(&mut conn, &name)?;
            println!("revoked connector key {name:?}");
        }
        PayrollCommand::ApiKey(ApiKeyCommand::List) => {
            println!(
                "{:<32}  {:<16}  {:<16}  revoked (UTC)",
                "name", "created (UTC)", "last used (UTC)"
            );
            let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "-".into())
            };
            for k in payroll::list_api_keys(&mut conn)? {
                println!(
                    "{:<32}  {:<16}  {:<16}  {}",
                    k.name,
                    k.created_at.format("%Y-%m-%d %H:%M"),
                    when(k.last_used_at),
                    when(k.revoked_at)
                );
            }
        }
    }
    Ok(())
}

fn track_distance(file: &std::path::Path, with_track: bool) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct Upload {
        points: Vec<TrackPoint>,
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let points = if text.trim_start().starts_with('<') {
        parse_gpx(&text).with_context(|| format!("{} is not valid GPX", file.display()))?
    } else {
        serde_json::from_str::<Upload>(&text)
            .with_context(|| {
                format!(
                    "{} is not a track upload ({{\"points\": [...]}})",
                    file.display()
                )
            })?
            .points
    };
    let report = compute_distance(&points, &PipelineParams::default());
    let mut json = serde_json::to_value(&report)?;
    if !with_track {
        if let Some(map) = json.as_object_mut() {
            map.remove("track");
        }
    }
    println!("{json}");
    Ok(())
}

fn addresses(cmd: AddressCommand, settings: &Settings) -> anyhow::Result<()> {
    let AddressCommand::Import {
        file,
        format,
        deactivate_missing,
        max_deactivation_percent,
        allow_mass_deactivation,
        skip_invalid,
        dry_run,
    } = cmd;
    let options = address_service::ImportOptions {
        deactivate_missing,
        max_deactivation_percent,
        allow_mass_deactivation,
        skip_invalid,
        dry_run,
    };
    let db = open_database(&settings.database_url)?;
    let mut conn = db.get()?;
    let size = std::fs::metadata(&file)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?
        .len();
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let summary =
        address_service::import_file(&mut conn, &file, format, &options, |n| bar.set_position(n));
    bar.finish_and_clear();
    let summary = summary?;
    if summary.dry_run {
        println!("dry run: nothing was stored; the import would do this:");
    }
    println!(
        "{} rows in {:.1} s ({} rows/s): {} created, {} updated, {} unchanged, {} deactivated",
        summary.rows,
        summary.seconds,
        summary.rows_per_second,
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.deactivated
    );
    if summary.units_created + summary.units_updated + summary.units_unchanged > 0 {
        println!(
            "units: {} created, {} updated, {} unchanged",
            summary.units_created, summary.units_updated, summary.units_unchanged
        );
    }
    if summary.skipped > 0 {
        println!("{} points for unknown addresses skipped", summary.skipped);
    }
    if summary.errors > 0 {
        println!("{} invalid rows skipped, e.g.:", summary.errors);
        for e in &summary.error_samples {
            println!("  {e}");
        }
    }
    if !summary.dry_run {
        println!("a running server picks the new addresses up at its next start or import");
    }
    Ok(())
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
            Ok(())
        })
}

/// Runs one import with a progress bar, then prints the created / updated / unchanged summary.
fn import_file(file: &std::path::Path, settings: &Settings, org: bool) -> anyhow::Result<()> {
    let data = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let db = open_database(&settings.database_url)?;
    let mut conn = db.get()?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{bar:40}] {pos}/{len} {msg}")
            .expect("valid progress template")
            .progress_chars("=> "),
    );
    bar.set_message(if org { "org units" } else { "staff" });
    let mut progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let line = |what: &str, c: &import::Counts| {
        format!(
            "{what:<20} created {:>5}   updated {:>5}   unchanged {:>5}",
            c.created, c.updated, c.unchanged
        )
    };
    let lines = if org {
        let summary = import::import_org_units(&mut conn, &data, &mut progress);
        bar.finish_and_clear();
        let summary = summary.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        vec![
            format!("{}: {} rows", file.display(), summary.rows),
            line("org units", &summary.org_units),
        ]
    } else {
        let summary =
            import::import_staff(&mut conn, &data, AddressSource::Database, &mut progress);
        bar.finish_and_clear();
        let summary = summary.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        vec![
            format!("{}: {} rows", file.display(), summary.rows),
            line("persons", &summary.persons),
            line("employments", &summary.employments),
            line("substitutes", &summary.substitutes),
            line("personal approvers", &summary.personal_approvers),
            line("home addresses", &summary.home_addresses),
            line("licence plates", &summary.vehicles),
        ]
    };
    for l in lines {
        println!("{l}");
    }
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((passwords::generate(), true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok((line.trim_end_matches(['\r', '\n']).to_string(), false))
}

fn user(cmd: UserCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = open_database(&settings.database_url)?;
    let mut conn = db.get()?;
    match cmd {
        UserCommand::Add {
            username,
            roles,
            password_stdin,
        } => {
            let (password, generated) = read_password(password_stdin)?;
            let user = users::create(&mut conn, &username, &password, &Roles::new(roles))?;
            println!(
                "created user {} (id {}) with roles {}",
                user.username,
                user.id,
                user.roles.to_csv()
            );
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List { page, per_page } => {
            let request = PageRequest { page, per_page };
            request
                .validate()
                .map_err(|(field, e)| anyhow::anyhow!("--{field} {e}"))?;
            let listing = users::list(&mut conn, request)?;
            println!(
                "{:>6}  {:<32}  {:<32}  created (UTC)",
                "id", "username", "roles"
            );
            for u in &listing.items {
                println!(
                    "{:>6}  {:<32}  {:<32}  {}",
                    u.id,
                    u.username,
                    u.roles.to_csv(),
                    u.created_at.format("%Y-%m-%d %H:%M")
                );
            }
            println!(
                "{} of {} users (page {})",
                listing.items.len(),
                listing.total,
                listing.page
            );
        }
        UserCommand::SetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = read_password(password_stdin)?;
            let user = users::find_by_username(&mut conn, &username)?;
            users::set_password(&mut conn, user.id, &password)?;
            println!(
                "password of {} changed; their sessions were ended",
                user.username
            );
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}
