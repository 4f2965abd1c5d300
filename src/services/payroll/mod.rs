//! Payroll export (issue 7): every approved report reaches payroll exactly once.
//!
//! * **Batches.** [`create_batch`] takes, in one write transaction, every approved report driven
//!   on or before a date, records it in the ledger (a partial unique index keeps a report in at
//!   most one live batch), snapshots its lines and moves it to `exported` with an audit event.
//!   On PostgreSQL the candidate reports are locked first (`FOR UPDATE`), so a concurrent batch
//!   waits and then finds nothing; the conditional move (`WHERE status = 'approved'`, rows
//!   counted) and the unique index turn any other interference into a 409 with nothing written.
//!   An empty period gives an empty batch (201), so the loser of a race gets an empty batch.
//! * **Files** are written from the snapshot alone, with the format settings frozen in the
//!   batch, so every download gives the same bytes. [`write_batch_file`] streams: it reads the
//!   lines in pages in file order and hands them to the writers one employment at a time.
//! * **Cancelling** a batch that payroll has not acknowledged releases its ledger rows and moves
//!   its reports back to `approved`, with an audit event each.
//! * **Pull API** for an on-premise connector (as OS2indberetning's cloud version had):
//!   [`pending`] returns the live, unacknowledged batches with their lines and records the
//!   fetch; [`acknowledge`] marks batches processed. A batch comes back on every pull until it is
//!   acknowledged, so its id is the connector's idempotency key. Batches fetched and not
//!   acknowledged within the configured time are logged as errors ([`log_overdue_acknowledgements`],
//!   on every pull and periodically).

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::PayrollSettings;
use crate::db::payroll::{self as repo, BatchEvent, BatchRow, FileLineRow};
use crate::db::{self, is_unique_violation, write_transaction, Database, DbConnection};
use crate::domain::ids::{BatchId, ReportId, UserId};
use crate::domain::org::required_text;
use crate::domain::page::{Page, PageRequest};
use crate::domain::report_state::{Action, ReportStatus};
use crate::error::{Error, ProblemKind, Result};
use crate::payroll::ind01::Ind01Config;
use crate::payroll::{
    CsvLayout, EmploymentRuns, ExportLine, FileSettings, FileWriter, PayrollError, PayrollFormat,
};
use crate::services::{tf_codes, tokens};

mod files;
mod pull;

pub use self::files::*;
pub use self::pull::*;

/// Lines read per query while writing a file: enough to keep the round trips few, few enough to
/// keep memory flat.
const FILE_PAGE: i64 = 2_000;
/// Most batches one pull returns.
pub const MAX_PULL_BATCHES: u32 = 100;
/// Most batch ids one acknowledgement names.
pub const MAX_ACK_BATCHES: usize = 1_000;
const REASON_MAX: usize = 1_000;
const KEY_NAME_MAX: usize = 64;
/// Connector keys start with this, so a leaked one is recognisable.
pub const API_KEY_PREFIX: &str = "korsel_pk_";

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Who makes or cancels a batch: a signed-in user, or the command line (the system).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    CommandLine,
}

impl Actor {
    fn user_id(self) -> Option<UserId> {
        match self {
            Actor::User(id) => Some(id),
            Actor::CommandLine => None,
        }
    }

    /// The name stored with the batch.
    fn name(self, conn: &mut DbConnection) -> Result<String> {
        match self {
            Actor::User(id) => Ok(db::users::find(conn, id)?
                .map(|u| u.username)
                .unwrap_or_else(|| format!("user {id}"))),
            Actor::CommandLine => Ok("command line".to_string()),
        }
    }
}

/// Who pulls or acknowledges: a connector (by its key's name) or a payroll user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Puller {
    Connector(String),
    User(UserId),
}

impl Puller {
    fn name(&self, conn: &mut DbConnection) -> Result<String> {
        match self {
            Puller::Connector(name) => Ok(format!("connector {name}")),
            Puller::User(id) => Actor::User(*id).name(conn),
        }
    }
}

// ================================================================ batches

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBatch {
    /// Every approved report driven on or before this date (local Danish date).
    pub up_to: NaiveDate,
    pub format: PayrollFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    /// Made, not acknowledged by payroll: it can still be cancelled.
    Open,
    Acknowledged,
    Cancelled,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Open => "open",
            BatchStatus::Acknowledged => "acknowledged",
            BatchStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Batch {
    pub id: BatchId,
    pub format: PayrollFormat,
    pub up_to: NaiveDate,
    pub status: BatchStatus,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub report_count: i64,
    /// Lines in the snapshot: one per report per TF code.
    pub line_count: i64,
    /// The reports' reimbursed distance.
    pub total_distance_m: i64,
    pub total_amount_ore: i64,
    pub first_fetched_at: Option<DateTime<Utc>>,
    pub last_fetched_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancelled_by: Option<String>,
    pub cancel_reason: Option<String>,
}

impl TryFrom<BatchRow> for Batch {
    type Error = Error;

    fn try_from(r: BatchRow) -> Result<Batch> {
        let status = match (r.cancelled_at, r.acknowledged_at) {
            (Some(_), _) => BatchStatus::Cancelled,
            (None, Some(_)) => BatchStatus::Acknowledged,
            (None, None) => BatchStatus::Open,
        };
        Ok(Batch {
            id: r.id,
            format: batch_format(&r)?,
            up_to: r.up_to,
            status,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            report_count: r.report_count,
            line_count: r.line_count,
            total_distance_m: r.total_distance_m,
            total_amount_ore: r.total_amount_ore,
            first_fetched_at: r.first_fetched_at.map(utc),
            last_fetched_at: r.last_fetched_at.map(utc),
            acknowledged_at: r.acknowledged_at.map(utc),
            acknowledged_by: r.acknowledged_by,
            cancelled_at: r.cancelled_at.map(utc),
            cancelled_by: r.cancelled_by,
            cancel_reason: r.cancel_reason,
        })
    }
}

/// The settings a new batch of `format` is written with.
pub fn file_settings(settings: &PayrollSettings, format: PayrollFormat) -> Result<FileSettings> {
    Ok(match format {
        PayrollFormat::Csv => FileSettings::Csv {
            include_cpr: settings.csv_include_cpr,
        },
        PayrollFormat::KmdInd01 => {
            let municipality = settings.municipality_number.ok_or_else(|| {
                Error::validation(
                    "format",
                    "kmd-ind01 is not configured on this server \
                     (KORSEL_PAYROLL_MUNICIPALITY_NUMBER is not set)",
                )
            })?;
            let mut config = Ind01Config::new(
                municipality,
                settings.employment_type,
                settings.extra_number,
            );
            config.header = settings.ind01_header.clone();
            FileSettings::KmdInd01(config)
        }
    })
}

fn file_error(e: PayrollError) -> Error {
    match e {
        PayrollError::Io(e) => {
            Error::Internal(anyhow::Error::new(e).context("writing a payroll file"))
        }
        other => Error::problem(ProblemKind::Validation, other.to_string()),
    }
}

fn batch_format(batch: &BatchRow) -> Result<PayrollFormat> {
    batch
        .format
        .parse()
        .map_err(|e: String| Error::Internal(anyhow::anyhow!("batch {}: {e}", batch.id)))
}

fn batch_settings(batch: &BatchRow) -> Result<FileSettings> {
    serde_json::from_str(&batch.settings).map_err(|e| {
        Error::Internal(anyhow::Error::new(e).context(format!("settings of batch {}", batch.id)))
    })
}

fn find_batch(conn: &mut DbConnection, id: BatchId) -> Result<BatchRow> {
    repo::find_batch(conn, id)?.ok_or_else(|| Error::not_found("payroll batch"))
}

/// Makes a batch of every approved report driven on or before `input.up_to`, in one write
/// transaction (see the module docs). `inject_failure_before_commit` exists for the
/// crash-safety test: it fails after everything is written and before the commit.
pub fn create_batch(
    conn: &mut DbConnection,
    input: &CreateBatch,
    actor: Actor,
    settings: &PayrollSettings,
    inject_failure_before_commit: bool,
) -> Result<Batch> {
    let file_settings = file_settings(settings, input.format)?;
    let settings_json = serde_json::to_string(&file_settings)
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("batch settings")))?;
    let (approved, exported) = (ReportStatus::Approved, ReportStatus::Exported);
    let batch = write_transaction(conn, |conn| {
        let now = db::utc_now();
        let created_by = actor.name(conn)?;
        repo::lock_approved_up_to(conn, approved, input.up_to)?;
        let batch_id = repo::insert_batch(
            conn,
            &repo::NewBatch {
                format: input.format.as_str(),
                up_to: input.up_to,
                settings: &settings_json,
                created_by_user_id: actor.user_id(),
                created_by: &created_by,
                created_at: now,
                report_count: 0,
                line_count: 0,
                total_distance_m: 0,
                total_amount_ore: 0,
            },
        )?;
        let reports = repo::insert_ledger(
            conn,
            batch_id,
            file_settings.needs_cpr(),
            approved,
            input.up_to,
        )
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::problem(
                    ProblemKind::Conflict,
                    "another batch took some of these reports at the same moment; \
                             nothing was exported, try again",
                )
            } else {
                e.into()
            }
        })?;
        tf_codes::apply_codes_in_force(conn, batch_id)?;
        let lines = repo::insert_lines(conn, batch_id)?;
        // A batch whose file cannot be written must not take its reports: find out now.
        if let FileSettings::KmdInd01(_) = file_settings {
            let page = |after_seq| Ok(repo::file_lines(conn, batch_id, after_seq, FILE_PAGE)?);
            write_lines(page, &file_settings, CsvLayout::default(), std::io::sink())?;
        }
        let moved = repo::move_reports(conn, batch_id, approved, exported, now)?;
        if moved != reports {
            return Err(Error::problem(
                ProblemKind::Conflict,
                "a report changed while the batch was made; nothing was exported, try again",
            ));
        }
        repo::insert_events(
            conn,
            batch_id,
            &BatchEvent {
                actor_user_id: actor.user_id(),
                at: now,
                action: Action::Export.as_str(),
                from_status: approved,
                to_status: exported,
                comment: &format!("payroll batch {batch_id}"),
            },
        )?;
        // issue 16: each employee is told which reports went to payroll.
        crate::services::notices::batch_exported(conn, batch_id, now)?;
        let totals = repo::ledger_totals(conn, batch_id)?;
        repo::set_totals(
            conn,
            batch_id,
            totals,
            i64::try_from(lines).unwrap_or(i64::MAX),
        )?;
        if inject_failure_before_commit {
            return Err(Error::Internal(anyhow::anyhow!(
                "failure injected before the commit of payroll batch {batch_id}"
            )));
        }
        find_batch(conn, batch_id)
    })?;
    tracing::info!(
        batch_id = batch.id.0,
        format = %input.format,
        up_to = %input.up_to,
        reports = batch.report_count,
        "payroll batch created"
    );
    batch.try_into()
}

/// What [`create_batch`] would take up to a date, if nothing changes meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchPreview {
    pub up_to: NaiveDate,
    pub report_count: i64,
    pub total_distance_m: i64,
    pub total_amount_ore: i64,
}

/// The preview of a batch up to `up_to`: the approved reports it would take and their totals
/// (the pages show it before the batch is made).
pub fn preview_batch(conn: &mut DbConnection, up_to: NaiveDate) -> Result<BatchPreview> {
    let totals = repo::totals_up_to(conn, ReportStatus::Approved, up_to)?;
    Ok(BatchPreview {
        up_to,
        report_count: totals.reports,
        total_distance_m: totals.distance_m,
        total_amount_ore: totals.amount_ore,
    })
}

pub fn get_batch(conn: &mut DbConnection, id: BatchId) -> Result<Batch> {
    find_batch(conn, id)?.try_into()
}

pub fn list_batches(conn: &mut DbConnection, page: PageRequest) -> Result<Page<Batch>> {
    let total = repo::count_batches(conn)?;
    let items = repo::list_batches(conn, page.offset(), page.limit())?
        .into_iter()
        .map(Batch::try_from)
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        page: page.page,
        per_page: page.per_page,
        total,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmploymentTfTotal {
    pub employment_number: String,
    pub person_name: String,
    pub tf_code: String,
    pub report_count: i64,
    pub distance_m: i64,
    pub amount_ore: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    pub report_id: ReportId,
    /// The report's version when it was exported.
    pub report_version: i64,
    pub employment_number: String,
    pub person_name: String,
    pub drive_date: NaiveDate,
    pub purpose: String,
    pub distance_m: i64,
    pub amount_ore: i64,
    /// Payroll sent the report back to its approver after acknowledging the batch: the file
    /// still holds it, payroll did not pay it, and a later batch takes it once approved again.
    pub returned: bool,
}

impl BatchReport {
    /// A ledger row as the batch shows it; a row released by cancelling the whole batch was
    /// not returned.
    fn of(r: repo::LedgerRow, batch_cancelled: bool) -> BatchReport {
        BatchReport {
            returned: r.released_at.is_some() && !batch_cancelled,
            report_id: r.report_id,
            report_version: r.report_version,
            employment_number: r.employment_number,
            person_name: r.person_name,
            drive_date: r.drive_date,
            purpose: r.purpose,
            distance_m: r.distance_m,
            amount_ore: r.amount_ore,
        }
    }
}

/// A batch and one of its reports, as the batch took it.
pub fn batch_report(
    conn: &mut DbConnection,
    id: BatchId,
    report_id: ReportId,
) -> Result<(Batch, BatchReport)> {
    let batch = find_batch(conn, id)?;
    let row = repo::ledger_row(conn, id, report_id)?
        .ok_or_else(|| Error::not_found("report in this payroll batch"))?;
    let report = BatchReport::of(row, batch.cancelled_at.is_some());
    Ok((batch.try_into()?, report))
}

#[derive(Debug, Clone, Serialize)]
pub struct BatchDetail {
    #[serde(flatten)]
    pub batch: Batch,
    /// Per employment and TF code.
    pub totals: Vec<EmploymentTfTotal>,
    /// A page of the batch's reports, by employment number, drive date and report.
    pub reports: Page<BatchReport>,
}

pub fn batch_detail(
    conn: &mut DbConnection,
    id: BatchId,
    page: PageRequest,
) -> Result<BatchDetail> {
    let row = find_batch(conn, id)?;
    let totals = repo::employment_tf_totals(conn, id)?
        .into_iter()
        .map(|t| EmploymentTfTotal {
            employment_number: t.employment_number,
            person_name: t.person_name,
            tf_code: t.tf_code,
            report_count: t.reports,
            distance_m: t.distance_m,
            amount_ore: t.amount_ore,
        })
        .collect();
    let cancelled = row.cancelled_at.is_some();
    let items = repo::ledger_page(conn, id, page.offset(), page.limit())?
        .into_iter()
        .map(|r| BatchReport::of(r, cancelled))
        .collect();
    Ok(BatchDetail {
        reports: Page {
            items,
            page: page.page,
            per_page: page.per_page,
            total: row.report_count,
        },
        batch: row.try_into()?,
        totals,
    })
}

// ================================================================ cancelling

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBatch {
    pub reason: String,
}

/// Cancels a batch payroll has not acknowledged: its reports go back to `approved`, each with
/// an audit event, and are free for a later batch.
pub fn cancel_batch(
    conn: &mut DbConnection,
    id: BatchId,
    input: &CancelBatch,
    actor: Actor,
) -> Result<Batch> {
    let reason =
        required_text(&input.reason, REASON_MAX).map_err(|e| Error::validation("reason", e))?;
    let reason = reason.as_str();
    let (approved, exported) = (ReportStatus::Approved, ReportStatus::Exported);
    let batch = write_transaction(conn, |conn| {
        let now = db::utc_now();
        let by = actor.name(conn)?;
        if !repo::cancel_batch(conn, id, now, &by, reason)? {
            let batch = find_batch(conn, id)?;
            let why = if batch.cancelled_at.is_some() {
                "the batch is already cancelled"
            } else {
                "payroll has acknowledged the batch; correct it in the payroll system instead"
            };
            return Err(Error::problem(ProblemKind::Conflict, why));
        }
        let released = repo::release_ledger(conn, id, now)?;
        let moved = repo::move_reports(conn, id, exported, approved, now)?;
        if moved != released {
            return Err(Error::problem(
                ProblemKind::Conflict,
                "a report of the batch is no longer exported; nothing was cancelled",
            ));
        }
        repo::insert_events(
            conn,
            id,
            &BatchEvent {
                actor_user_id: actor.user_id(),
                at: now,
                action: Action::CancelExport.as_str(),
                from_status: exported,
                to_status: approved,
                comment: &format!("payroll batch {id} cancelled: {reason}"),
            },
        )?;
        find_batch(conn, id)
    })?;
    if let Some(fetched) = batch.first_fetched_at {
        tracing::warn!(
            batch_id = id.0,
            fetched_at = %utc(fetched),
            "payroll batch {id} was cancelled after a connector fetched it: if the connector \
             already passed it on, correct payroll by hand"
        );
    }
    tracing::info!(
        batch_id = id.0,
        reports = batch.report_count,
        "payroll batch cancelled"
    );
    batch.try_into()
}
