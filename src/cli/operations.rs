//! `korsel serve` settings for e-mail notices, scheduled jobs and retention, and `korsel jobs`
//! (issue 16).

use std::time::Duration;

use chrono::NaiveTime;
use clap::Args;

use super::Switch;
use crate::config::{Schedule, Secret, Settings};

#[derive(Debug, Args)]
pub struct OperationsArgs {
    /// SMTP server for e-mail notices: smtp://USER:PASS@HOST:587?tls=required (STARTTLS),
    /// smtps://USER:PASS@HOST:465 (TLS) or smtp://HOST:25 (plain). Unset: notices are kept in
    /// the outbox and marked undeliverable.
    #[arg(long, env = "KORSEL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// The sender of notices, e.g. "korsel <korsel@kommune.dk>".
    #[arg(
        long,
        env = "KORSEL_MAIL_FROM",
        default_value = "korsel <korsel@localhost>"
    )]
    pub mail_from: String,

    /// Scheduled jobs (outbox sender, digest, overdue payroll check, retention) in this
    /// instance: on or off. With several instances, each job still runs once per schedule.
    #[arg(long, env = "KORSEL_JOBS", value_enum, default_value = "on")]
    pub jobs: Switch,

    /// The approvers' morning digest, local time (Europe/Copenhagen), HH:MM.
    #[arg(long, env = "KORSEL_DIGEST_AT", default_value = "06:00", value_parser = parse_time)]
    pub digest_at: NaiveTime,

    /// The outbox sender looks for notices to send this often, in seconds.
    #[arg(long, env = "KORSEL_MAIL_SEND_EVERY_S", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub mail_send_every_s: u64,

    /// One SMTP delivery may take this many seconds; a notice stays claimed three times as long.
    #[arg(long, env = "KORSEL_MAIL_SEND_TIMEOUT_S", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub mail_send_timeout_s: u64,

    /// A job run that holds its lease this many seconds is taken to have died (a killed
    /// instance); another instance may then run the job.
    #[arg(long, env = "KORSEL_JOBS_LEASE_S", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs_lease_s: u64,

    /// Trips' raw GPS points are deleted this many days after the trip; its summary stays.
    #[arg(long, env = "KORSEL_RETENTION_GPS_DAYS", default_value_t = 400,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub retention_gps_days: u32,

    /// Sign-in records are deleted this many days after they expired.
    #[arg(long, env = "KORSEL_RETENTION_AUTH_EVENTS_DAYS", default_value_t = 180,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub retention_auth_events_days: u32,
}

fn parse_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| "expected HH:MM, e.g. 06:00".into())
}

impl OperationsArgs {
    pub fn apply(&self, settings: &mut Settings) {
        settings.mail.smtp_url = self
            .smtp_url
            .clone()
            .filter(|s| !s.expose().trim().is_empty());
        settings.mail.from = self.mail_from.clone();
        settings.mail.send_timeout = Duration::from_secs(self.mail_send_timeout_s);
        settings.jobs.enabled = self.jobs == Switch::On;
        settings.jobs.lease = Duration::from_secs(self.jobs_lease_s);
        settings.jobs.digest = Schedule::DailyAt(self.digest_at);
        settings.jobs.outbox = Schedule::Every(Duration::from_secs(self.mail_send_every_s));
        settings.retention.gps_days = self.retention_gps_days;
        settings.retention.auth_events_days = self.retention_auth_events_days;
    }
}

/// `korsel jobs`: the scheduled jobs with their last run, as a table.
pub fn list_jobs(settings: &Settings) -> anyhow::Result<()> {
    let db = crate::app::open_database(&settings.database_url)?;
    let mut conn = db.get()?;
    let jobs = crate::services::jobs::list(&mut conn, settings)?;
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".to_string(), |t| {
            t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
        })
    };
    println!(
        "{:<18} {:<34} {:<24} {:<24} {:<7} {:>5}  detail",
        "job", "schedule", "next due", "last finished", "result", "runs"
    );
    for job in jobs {
        println!(
            "{:<18} {:<34} {:<24} {:<24} {:<7} {:>5}  {}{}",
            job.name,
            job.schedule,
            time(job.next_due_at),
            time(job.last_finished_at),
            job.last_result.as_deref().unwrap_or("-"),
            job.runs,
            job.last_detail.as_deref().unwrap_or(""),
            job.running_on
                .map(|i| format!(" (running on {i})"))
                .unwrap_or_default(),
        );
    }
    Ok(())
}
