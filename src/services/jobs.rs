//! Scheduled jobs in the server process (issue 16): the outbox sender, the approvers' morning
//! digest, the overdue payroll batch check and retention.
//!
//! Every instance runs the same loop; a job's row in `scheduled_jobs` decides who runs it. An
//! instance takes the job's lease for its due slot with one conditional UPDATE (the slot has
//! come, no live lease), runs it, and moves the slot on; the others find the row leased or the
//! slot moved and do nothing. So each slot runs once on both backends however many instances
//! there are. Killing an instance mid-run is safe: its lease runs out (`KORSEL_JOBS_LEASE_S`)
//! and the job is taken again; every job is idempotent (the digest once per person and day, the
//! overdue notice once per batch, the sender by its own per-notice claims).

use std::sync::Arc;

use chrono::{NaiveDateTime, TimeZone, Utc};
use serde::Serialize;

use crate::config::{Schedule, Settings};
use crate::db::jobs as repo;
use crate::db::{self, Database};
use crate::error::{Error, Result};
use crate::services::{notices, payroll, retention};

/// The jobs, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Outbox,
    Digest,
    PayrollOverdue,
    Retention,
}

impl Job {
    pub const ALL: [Job; 4] = [
        Job::Outbox,
        Job::Digest,
        Job::PayrollOverdue,
        Job::Retention,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::Outbox => "mail-outbox",
            Job::Digest => "approver-digest",
            Job::PayrollOverdue => "payroll-overdue",
            Job::Retention => "retention",
        }
    }

    pub fn schedule(self, settings: &Settings) -> Schedule {
        let jobs = &settings.jobs;
        match self {
            Job::Outbox => jobs.outbox,
            Job::Digest => jobs.digest,
            Job::PayrollOverdue => jobs.payroll_overdue,
            Job::Retention => jobs.retention,
        }
    }
}

fn describe(schedule: Schedule) -> String {
    match schedule {
        Schedule::Every(d) => format!("every {} s", d.as_secs_f64()),
        Schedule::DailyAt(t) => format!("daily at {} Europe/Copenhagen", t.format("%H:%M")),
    }
}

/// The slot after `due` for a run that ends at `now`: the next interval from `due` (or from
/// `now`, when the instances were away longer than one interval: no catching up), or the next
/// local time of day after `now`.
pub fn next_slot(schedule: Schedule, due: NaiveDateTime, now: NaiveDateTime) -> NaiveDateTime {
    match schedule {
        Schedule::Every(every) => {
            let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
            let next = due + every;
            if next > now {
                next
            } else {
                now + every
            }
        }
        Schedule::DailyAt(time) => {
            let zone = chrono_tz::Europe::Copenhagen;
            let local_now = Utc.from_utc_datetime(&now).with_timezone(&zone);
            let mut date = local_now.date_naive();
            loop {
                // A time that does not exist that day (summer time) takes the earliest valid.
                if let Some(at) = zone.from_local_datetime(&date.and_time(time)).earliest() {
                    let at = at.naive_utc();
                    if at > now {
                        return at;
                    }
                }
                date = date.succ_opt().unwrap_or(date);
            }
        }
    }
}

/// The first slot of a job never run: an interval job runs at once, a daily one at its time.
fn first_slot(schedule: Schedule, now: NaiveDateTime) -> NaiveDateTime {
    match schedule {
        Schedule::Every(_) => now,
        Schedule::DailyAt(_) => next_slot(schedule, now, now),
    }
}

/// The runner of one instance.
#[derive(Clone)]
pub struct Runner {
    db: Database,
    settings: Arc<Settings>,
    mailer: Arc<notices::Mailer>,
    instance: String,
}

impl Runner {
    pub fn new(db: Database, settings: Settings) -> anyhow::Result<Runner> {
        let mailer = notices::Mailer::new(&settings.mail, settings.web.public_url.clone())?;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "korsel".into());
        Ok(Runner {
            db,
            settings: Arc::new(settings),
            mailer: Arc::new(mailer),
            instance: format!("{host}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        })
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Looks for due jobs every `KORSEL_JOBS_TICK_S`, for as long as the server runs.
    pub async fn run_forever(self) {
        tracing::info!(instance = %self.instance, "scheduled jobs: runner started");
        let mut ticks = tokio::time::interval(self.settings.jobs.tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            for job in Job::ALL {
                if let Err(e) = self.run_if_due(job).await {
                    tracing::error!(job = job.name(), error = %e, "scheduled job: cannot run");
                }
            }
        }
    }

    /// Runs `job` when its slot has come and this instance gets the lease; `true` when it ran.
    pub async fn run_if_due(&self, job: Job) -> Result<bool> {
        let schedule = job.schedule(&self.settings);
        let owner = self.instance.clone();
        let lease = chrono::Duration::from_std(self.settings.jobs.lease)
            .map_err(|e| Error::Internal(e.into()))?;
        let taken = self
            .db
            .run(move |c| {
                let now = db::utc_now();
                repo::ensure(c, job.name(), first_slot(schedule, now))?;
                let Some(row) = repo::find(c, job.name())? else {
                    return Ok(None);
                };
                if row.next_due_at > now || row.lease_until.is_some_and(|u| u >= now) {
                    return Ok(None);
                }
                if !repo::take_lease(c, job.name(), row.next_due_at, &owner, now, now + lease)? {
                    return Ok(None);
                }
                let run = repo::insert_run(c, job.name(), &owner, row.next_due_at, now)?;
                Ok(Some((row.next_due_at, run)))
            })
            .await?;
        let Some((due, run)) = taken else {
            return Ok(false);
        };
        let started = std::time::Instant::now();
        let outcome = self.execute(job).await;
        let (result, detail) = match &outcome {
            Ok(detail) => ("ok", detail.clone()),
            Err(e) => ("failed", e.to_string()),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match result {
            "ok" => {
                tracing::info!(job = job.name(), instance = %self.instance, elapsed_ms, "{detail}")
            }
            _ => {
                tracing::error!(job = job.name(), instance = %self.instance, elapsed_ms, error = %detail, "scheduled job failed")
            }
        }
        let owner = self.instance.clone();
        let detail_for_db = detail.clone();
        self.db
            .run(move |c| {
                let now = db::utc_now();
                let next = next_slot(schedule, due, now);
                if !repo::finish(c, job.name(), &owner, next, now, result, &detail_for_db)? {
                    tracing::warn!(
                        job = job.name(),
                        "the job's lease ran out before it finished; another instance may have run it"
                    );
                }
                repo::finish_run(c, run, now, result, &detail_for_db)?;
                Ok(())
            })
            .await?;
        Ok(true)
    }

    /// Does the job's work; returns what it did, for the log and the job list.
    async fn execute(&self, job: Job) -> Result<String> {
        let settings = self.settings.clone();
        match job {
            Job::Outbox => {
                let summary = notices::send_due(&self.db, &self.mailer, 500).await?;
                Ok(format!("e-mail outbox: {summary}"))
            }
            Job::Digest => {
                let written = self
                    .db
                    .run(|c| {
                        db::write_transaction(c, |c| {
                            notices::morning_digest(c, crate::services::org::today(), db::utc_now())
                        })
                    })
                    .await?;
                Ok(format!("approver digest: {written} notices written"))
            }
            Job::PayrollOverdue => {
                let timeout = settings.payroll.ack_timeout;
                let written = self
                    .db
                    .run(move |c| {
                        let now = db::utc_now();
                        payroll::log_overdue_acknowledgements(c, now, timeout)?;
                        let overdue = payroll::overdue_acknowledgements(c, now, timeout)?;
                        db::write_transaction(c, |c| {
                            notices::payroll_overdue(c, &overdue, timeout, now)
                        })
                        .map(|written| (overdue.len(), written))
                    })
                    .await?;
                Ok(format!(
                    "payroll acknowledgements: {} batches overdue, {} notices written",
                    written.0, written.1
                ))
            }
            Job::Retention => {
                let retention = settings.retention;
                let done = self
                    .db
                    .run(move |c| retention::apply(c, &retention, db::utc_now()))
                    .await?;
                Ok(format!("retention: {done}"))
            }
        }
    }
}

/// A job as listed by `korsel jobs` and `GET /api/v1/admin/jobs`.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub name: String,
    pub schedule: String,
    pub next_due_at: Option<chrono::DateTime<Utc>>,
    /// The instance running it now (a live lease).
    pub running_on: Option<String>,
    pub last_started_at: Option<chrono::DateTime<Utc>>,
    pub last_finished_at: Option<chrono::DateTime<Utc>>,
    /// `ok` or `failed`; `null`: never ran.
    pub last_result: Option<String>,
    pub last_detail: Option<String>,
    pub runs: i64,
}

/// Every job with its schedule and last run (a job never run yet is listed too).
pub fn list(conn: &mut db::DbConnection, settings: &Settings) -> Result<Vec<JobStatus>> {
    let now = db::utc_now();
    let utc = |t: NaiveDateTime| Utc.from_utc_datetime(&t);
    let rows = repo::all(conn)?;
    Ok(Job::ALL
        .iter()
        .map(|job| {
            let row = rows.iter().find(|r| r.name == job.name());
            JobStatus {
                name: job.name().to_string(),
                schedule: describe(job.schedule(settings)),
                next_due_at: row.map(|r| utc(r.next_due_at)),
                running_on: row
                    .filter(|r| r.lease_until.is_some_and(|u| u >= now))
                    .and_then(|r| r.lease_owner.clone()),
                last_started_at: row.and_then(|r| r.last_started_at).map(utc),
                last_finished_at: row.and_then(|r| r.last_finished_at).map(utc),
                last_result: row.and_then(|r| r.last_result.clone()),
                last_detail: row.and_then(|r| r.last_detail.clone()),
                runs: row.map_or(0, |r| r.runs),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};
    use std::time::Duration;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn interval_slots_follow_the_previous_slot_without_catching_up() {
        let every = Schedule::Every(Duration::from_secs(60));
        assert_eq!(
            next_slot(every, at("2026-12-02 10:00:00"), at("2026-12-02 10:00:05")),
            at("2026-12-02 10:01:00")
        );
        // away for an hour: the next slot is one interval from now, not 60 slots to catch up
        assert_eq!(
            next_slot(every, at("2026-12-02 10:00:00"), at("2026-12-02 11:00:30")),
            at("2026-12-02 11:01:30")
        );
    }

    #[test]
    fn daily_slots_are_local_time_in_copenhagen() {
        let six = Schedule::DailyAt(NaiveTime::from_hms_opt(6, 0, 0).unwrap());
        // winter: 06:00 CET is 05:00 UTC
        assert_eq!(
            next_slot(six, at("2026-12-02 05:00:00"), at("2026-12-02 05:00:10")),
            at("2026-12-03 05:00:00")
        );
        assert_eq!(
            next_slot(six, at("2026-12-02 04:00:00"), at("2026-12-02 04:30:00")),
            at("2026-12-02 05:00:00")
        );
        // summer: 06:00 CEST is 04:00 UTC
        assert_eq!(
            next_slot(six, at("2026-06-01 04:00:00"), at("2026-06-01 04:00:01")),
            at("2026-06-02 04:00:00")
        );
        let _ = NaiveDate::from_ymd_opt(2026, 1, 1);
    }
}
