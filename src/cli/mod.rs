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
    Settings, WebSettings,
};
use crate::domain::gps::{compute_distance, parse_gpx, PipelineParams, TrackPoint};
use crate::domain::page::{PageRequest, MAX_PER_PAGE};
use crate::domain::throttle::NetworkList;
use crate::domain::users::{Role, Roles};
use crate::payroll::{format_metres_km, format_ore_kr, CsvLayout, CsvStyle, PayrollFormat};
use crate::services::addresses::{self as address_service, ImportFormat};
use crate::services::staff_extras::AddressSource;
use crate::services::{import, passwords, payroll, users};
use crate::telemetry;

mod args;
mod commands;
mod oidc_args;
mod operations;

pub use self::args::*;
use self::commands::{addresses, import_file, payroll_command, track_distance, user};
use self::operations::OperationsArgs;

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
const ENV_SETTINGS: [&str; 53] = [
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
    "trusted-proxies",
    "public-url",
    "session-idle-minutes",
    "map-tile-url",
    "smtp-url",
    "mail-from",
    "jobs",
    "digest-at",
    "mail-send-every-s",
    "retention-gps-days",
    "retention-auth-events-days",
    "mail-send-timeout-s",
    "jobs-lease-s",
    "oidc-issuer",
    "oidc-client-id",
    "oidc-client-secret",
    "oidc-scopes",
    "oidc-username-claim",
    "oidc-role-map",
    "oidc-groups-claim",
    "oidc-api-audience",
    "password-login",
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
