//! Settings for running korsel day to day (issue 16): e-mail notices, scheduled jobs, retention.

use std::time::Duration;

use chrono::NaiveTime;

use super::Secret;

/// E-mail notices (`KORSEL_SMTP_URL`, `KORSEL_MAIL_FROM`, `KORSEL_PUBLIC_URL`).
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:25` (plain), `smtp://…?tls=required` (STARTTLS) or
    /// `smtps://…:465` (TLS). Unset: notices are kept in the outbox and marked undeliverable.
    pub smtp_url: Option<Secret>,
    /// The sender, e.g. `korsel <korsel@kommune.dk>`.
    pub from: String,
    /// First retry after this; each further retry waits twice as long (at most an hour).
    pub retry_base: Duration,
    /// A notice that failed this many times is given up (status `failed`).
    pub max_attempts: u32,
    /// One SMTP delivery may take this long.
    pub send_timeout: Duration,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: "korsel <korsel@localhost>".into(),
            retry_base: Duration::from_secs(30),
            max_attempts: 10,
            send_timeout: Duration::from_secs(30),
        }
    }
}

/// When a job is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every so often, counted from the previous slot.
    Every(Duration),
    /// Once a day at this local (Europe/Copenhagen) time.
    DailyAt(NaiveTime),
}

/// The scheduled jobs of the server process (`KORSEL_JOBS`, `KORSEL_DIGEST_AT`, …).
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// `KORSEL_JOBS=off` runs no jobs in this instance (the others still do).
    pub enabled: bool,
    /// How often the runner looks for due jobs.
    pub tick: Duration,
    /// A run that holds its lease longer is taken to have died; another instance may run it.
    pub lease: Duration,
    pub outbox: Schedule,
    pub digest: Schedule,
    pub payroll_overdue: Schedule,
    pub retention: Schedule,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            enabled: true,
            tick: Duration::from_secs(10),
            lease: Duration::from_secs(10 * 60),
            outbox: Schedule::Every(Duration::from_secs(30)),
            digest: Schedule::DailyAt(NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default()),
            payroll_overdue: Schedule::Every(Duration::from_secs(5 * 60)),
            retention: Schedule::DailyAt(NaiveTime::from_hms_opt(2, 30, 0).unwrap_or_default()),
        }
    }
}

/// How long personal data is kept (GDPR art. 5(1)(e)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// `KORSEL_RETENTION_GPS_DAYS`: a trip's raw points are deleted after this many days; its
    /// summary stays. 400 days covers the tax authority's check of this and last year.
    pub gps_days: u32,
    /// `KORSEL_RETENTION_AUTH_EVENTS_DAYS`: authentication records are deleted after this.
    pub auth_events_days: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            gps_days: 400,
            auth_events_days: 180,
        }
    }
}

impl MailSettings {
    pub(super) fn validate(&self) -> Result<(), String> {
        if let Some(url) = &self.smtp_url {
            let url = url.expose();
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err("KORSEL_SMTP_URL must be an smtp:// or smtps:// URL".into());
            }
        }
        if self.from.trim().is_empty() {
            return Err("KORSEL_MAIL_FROM must not be empty".into());
        }
        if self.max_attempts == 0 {
            return Err("mail: max_attempts must be at least 1".into());
        }
        Ok(())
    }
}

impl RetentionSettings {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.gps_days == 0 {
            return Err("KORSEL_RETENTION_GPS_DAYS must be at least 1".into());
        }
        if self.auth_events_days == 0 {
            return Err("KORSEL_RETENTION_AUTH_EVENTS_DAYS must be at least 1".into());
        }
        Ok(())
    }
}
