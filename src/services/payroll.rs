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
use crate::domain::org::required_text;
use crate::domain::page::{Page, PageRequest};
use crate::domain::report_state::{Action, ReportStatus};
use crate::error::{Error, ProblemKind, Result};
use crate::payroll::ind01::Ind01Config;
use crate::payroll::{
    CsvLayout, EmploymentRuns, ExportLine, FileSettings, FileWriter, PayrollError, PayrollFormat,
};
use crate::services::{tf_codes, tokens};

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
    User(i64),
    CommandLine,
}

impl Actor {
    fn user_id(self) -> Option<i64> {
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
    User(i64),
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
    pub id: i64,
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

fn find_batch(conn: &mut DbConnection, id: i64) -> Result<BatchRow> {
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
    let approved = ReportStatus::Approved.as_str();
    let exported = ReportStatus::Exported.as_str();
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
        batch_id = batch.id,
        format = %input.format,
        up_to = %input.up_to,
        reports = batch.report_count,
        "payroll batch created"
    );
    batch.try_into()
}

pub fn get_batch(conn: &mut DbConnection, id: i64) -> Result<Batch> {
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
    pub report_id: i64,
    /// The report's version when it was exported.
    pub report_version: i64,
    pub employment_number: String,
    pub person_name: String,
    pub drive_date: NaiveDate,
    pub purpose: String,
    pub distance_m: i64,
    pub amount_ore: i64,
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

pub fn batch_detail(conn: &mut DbConnection, id: i64, page: PageRequest) -> Result<BatchDetail> {
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
    let items = repo::ledger_page(conn, id, page.offset(), page.limit())?
        .into_iter()
        .map(|r| BatchReport {
            report_id: r.report_id,
            report_version: r.report_version,
            employment_number: r.employment_number,
            person_name: r.person_name,
            drive_date: r.drive_date,
            purpose: r.purpose,
            distance_m: r.distance_m,
            amount_ore: r.amount_ore,
        })
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

// ================================================================ files

/// What a download of a batch's file is called and how it is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub file_name: String,
    pub content_type: &'static str,
}

/// Checks that the batch exists and that the CSV choices (`grouped`, `style`; `None` when not
/// given) fit its format, before any byte is sent.
pub fn file_info(
    conn: &mut DbConnection,
    id: i64,
    grouped: Option<bool>,
    style_given: bool,
) -> Result<FileInfo> {
    let batch = find_batch(conn, id)?;
    Ok(match batch_format(&batch)? {
        PayrollFormat::Csv => FileInfo {
            file_name: format!(
                "korsel-payroll-{id}{}.csv",
                if grouped == Some(true) {
                    "-grouped"
                } else {
                    ""
                }
            ),
            content_type: "text/csv; charset=utf-8",
        },
        PayrollFormat::KmdInd01 => {
            if grouped.is_some() {
                return Err(Error::validation(
                    "grouped",
                    "only for csv batches (IND01 is always grouped)",
                ));
            }
            if style_given {
                return Err(Error::validation("style", "only for csv batches"));
            }
            FileInfo {
                file_name: format!("korsel-payroll-{id}-ind01.txt"),
                content_type: "text/plain; charset=utf-8",
            }
        }
    })
}

/// Writes the file of batch `id` to `out` (see the module docs); returns the number of rows
/// (CSV) or records (IND01), headers excluded. `layout` applies to CSV batches. A connection is
/// taken from the pool for each page only, so a slow reader of `out` (a slow download) holds
/// none while it waits.
pub fn write_batch_file<W: Write>(
    db: &Database,
    id: i64,
    layout: CsvLayout,
    out: W,
) -> Result<usize> {
    let batch = find_batch(&mut *db.get()?, id)?;
    let settings = batch_settings(&batch)?;
    let page = |after_seq| Ok(repo::file_lines(&mut *db.get()?, id, after_seq, FILE_PAGE)?);
    write_lines(page, &settings, layout, out)
}

fn export_line(row: FileLineRow) -> ExportLine {
    ExportLine {
        report_id: row.report_id,
        employment_number: row.employment_number,
        person_name: row.person_name,
        cpr: row.cpr,
        tf_code: row.tf_code,
        drive_date: row.drive_date,
        distance_m: row.distance_m,
        ore_per_km: row.ore_per_km,
        amount_ore: row.amount_ore,
        purpose: row.purpose,
        account: row.account,
    }
}

/// Calls `each` with a batch's lines in file order, one complete employment at a time.
/// `page(after_seq)` reads the [`FILE_PAGE`] lines after `after_seq`.
fn for_each_employment(
    mut page: impl FnMut(i64) -> Result<Vec<FileLineRow>>,
    mut each: impl FnMut(Vec<ExportLine>) -> Result<()>,
) -> Result<()> {
    let mut runs = EmploymentRuns::default();
    let mut after_seq = 0;
    loop {
        let lines = page(after_seq)?;
        let Some(last) = lines.last() else { break };
        after_seq = last.seq;
        for row in lines {
            if let Some(employment) = runs.push(export_line(row)) {
                each(employment)?;
            }
        }
    }
    let last = runs.finish();
    if !last.is_empty() {
        each(last)?;
    }
    Ok(())
}

fn write_lines<W: Write>(
    page: impl FnMut(i64) -> Result<Vec<FileLineRow>>,
    settings: &FileSettings,
    layout: CsvLayout,
    out: W,
) -> Result<usize> {
    let mut writer = FileWriter::new(out, settings, layout).map_err(file_error)?;
    for_each_employment(page, |lines| writer.write_lines(&lines).map_err(file_error))?;
    writer.finish().map_err(file_error)
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
    id: i64,
    input: &CancelBatch,
    actor: Actor,
) -> Result<Batch> {
    let reason =
        required_text(&input.reason, REASON_MAX).map_err(|e| Error::validation("reason", e))?;
    let reason = reason.as_str();
    let approved = ReportStatus::Approved.as_str();
    let exported = ReportStatus::Exported.as_str();
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
            batch_id = id,
            fetched_at = %utc(fetched),
            "payroll batch {id} was cancelled after a connector fetched it: if the connector \
             already passed it on, correct payroll by hand"
        );
    }
    tracing::info!(
        batch_id = id,
        reports = batch.report_count,
        "payroll batch cancelled"
    );
    batch.try_into()
}

// ================================================================ pull API

/// IND01 codes of a batch, for a connector that writes the file itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ind01Codes {
    pub municipality_number: u16,
    pub employment_type: u8,
    pub extra_number: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingBatch {
    #[serde(flatten)]
    pub batch: Batch,
    /// For kmd-ind01 batches.
    pub ind01: Option<Ind01Codes>,
    /// In file order. `cpr` is set when the batch's format carries it.
    pub lines: Vec<ExportLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pending {
    /// Oldest first.
    pub batches: Vec<PendingBatch>,
}

/// The live batches payroll has not acknowledged (at most `limit`, oldest first), with their
/// lines; records the fetch. Every pull also logs overdue acknowledgements.
pub fn pending(conn: &mut DbConnection, limit: u32, settings: &PayrollSettings) -> Result<Pending> {
    let rows = write_transaction(conn, |conn| {
        let rows = repo::unacknowledged_batches(conn, i64::from(limit))?;
        let ids: Vec<i64> = rows.iter().map(|b| b.id).collect();
        repo::mark_fetched(conn, &ids, db::utc_now())?;
        ids.into_iter()
            .map(|id| find_batch(conn, id))
            .collect::<Result<Vec<_>>>()
    })?;
    let mut batches = Vec::with_capacity(rows.len());
    for row in rows {
        let ind01 = match batch_settings(&row)? {
            FileSettings::KmdInd01(config) => Some(Ind01Codes {
                municipality_number: config.municipality_number,
                employment_type: config.default_codes.employment_type,
                extra_number: config.default_codes.extra_number,
            }),
            FileSettings::Csv { .. } => None,
        };
        let mut lines = Vec::with_capacity(usize::try_from(row.line_count).unwrap_or(0));
        let page = |after_seq| Ok(repo::file_lines(conn, row.id, after_seq, FILE_PAGE)?);
        for_each_employment(page, |employment| {
            lines.extend(employment);
            Ok(())
        })?;
        batches.push(PendingBatch {
            batch: row.try_into()?,
            ind01,
            lines,
        });
    }
    log_overdue_acknowledgements(conn, db::utc_now(), settings.ack_timeout)?;
    Ok(Pending { batches })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledge {
    pub batch_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledged {
    /// Acknowledged by this call.
    pub acknowledged: Vec<i64>,
    /// Acknowledged before (repeating an acknowledgement is harmless).
    pub already_acknowledged: Vec<i64>,
}

/// Marks batches processed by payroll, all or none: an unknown batch is a 404, a cancelled one
/// a 409 (its reports went back to approval; payroll must not keep them).
pub fn acknowledge(
    conn: &mut DbConnection,
    input: &Acknowledge,
    puller: &Puller,
) -> Result<Acknowledged> {
    if input.batch_ids.is_empty() || input.batch_ids.len() > MAX_ACK_BATCHES {
        return Err(Error::validation(
            "batch_ids",
            format!("name 1 to {MAX_ACK_BATCHES} batches"),
        ));
    }
    let mut ids = input.batch_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let out = write_transaction(conn, |conn| {
        let by = puller.name(conn)?;
        let now = db::utc_now();
        let mut out = Acknowledged {
            acknowledged: Vec::new(),
            already_acknowledged: Vec::new(),
        };
        for &id in &ids {
            if repo::acknowledge_batch(conn, id, now, &by)? {
                out.acknowledged.push(id);
                continue;
            }
            let batch = repo::find_batch(conn, id)?
                .ok_or_else(|| Error::not_found(&format!("payroll batch {id}")))?;
            if batch.cancelled_at.is_some() {
                return Err(Error::problem(
                    ProblemKind::Conflict,
                    format!(
                        "payroll batch {id} was cancelled: its reports must not be paid from it; \
                         nothing was acknowledged"
                    ),
                ));
            }
            out.already_acknowledged.push(id);
        }
        Ok(out)
    })?;
    if !out.acknowledged.is_empty() {
        tracing::info!(batches = ?out.acknowledged, by = ?puller, "payroll batches acknowledged");
    }
    Ok(out)
}

/// Live batches a connector fetched longer than `timeout` before `now` and has not acknowledged.
pub fn overdue_acknowledgements(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    timeout: Duration,
) -> Result<Vec<Batch>> {
    let timeout = chrono::Duration::from_std(timeout)
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("acknowledgement timeout")))?;
    repo::fetched_unacknowledged(conn, now - timeout)?
        .into_iter()
        .map(Batch::try_from)
        .collect()
}

/// Logs every overdue acknowledgement as an error (loud on purpose: until payroll acknowledges,
/// nobody knows whether the batch's reports were paid). Returns how many there were.
pub fn log_overdue_acknowledgements(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    timeout: Duration,
) -> Result<usize> {
    let overdue = overdue_acknowledgements(conn, now, timeout)?;
    for batch in &overdue {
        tracing::error!(
            batch_id = batch.id,
            reports = batch.report_count,
            fetched_at = ?batch.first_fetched_at,
            "payroll batch {} was fetched by the payroll connector and not acknowledged within {} \
             minutes: check the connector and payroll before anything is paid twice or not at all",
            batch.id,
            timeout.as_secs() / 60
        );
    }
    Ok(overdue.len())
}

// ================================================================ connector API keys

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<repo::ApiKeyRow> for ApiKey {
    fn from(r: repo::ApiKeyRow) -> Self {
        ApiKey {
            name: r.name,
            created_at: utc(r.created_at),
            last_used_at: r.last_used_at.map(utc),
            revoked_at: r.revoked_at.map(utc),
        }
    }
}

/// Creates a connector key; returns it with the secret, which is shown only now (only its
/// SHA-256 is stored).
pub fn create_api_key(conn: &mut DbConnection, name: &str) -> Result<(ApiKey, String)> {
    let name = required_text(name, KEY_NAME_MAX).map_err(|e| Error::validation("name", e))?;
    let name = name.as_str();
    let secret = format!("{API_KEY_PREFIX}{}", tokens::new_opaque_token());
    let key = write_transaction(conn, |conn| {
        let now = db::utc_now();
        repo::insert_api_key(conn, name, &tokens::hash_opaque_token(&secret), now).map_err(
            |e| {
                if is_unique_violation(&e) {
                    Error::problem(
                        ProblemKind::Conflict,
                        format!("a connector key named {name:?} already exists"),
                    )
                } else {
                    e.into()
                }
            },
        )?;
        Ok::<_, Error>(ApiKey {
            name: name.to_string(),
            created_at: utc(now),
            last_used_at: None,
            revoked_at: None,
        })
    })?;
    Ok((key, secret))
}

pub fn revoke_api_key(conn: &mut DbConnection, name: &str) -> Result<()> {
    if repo::revoke_api_key(conn, name, db::utc_now())? == 0 {
        return Err(Error::not_found(&format!("active connector key {name:?}")));
    }
    Ok(())
}

pub fn list_api_keys(conn: &mut DbConnection) -> Result<Vec<ApiKey>> {
    Ok(repo::list_api_keys(conn)?
        .into_iter()
        .map(ApiKey::from)
        .collect())
}

/// The connector a key belongs to (401 for an unknown or revoked key); records its use.
pub fn connector_for_key(conn: &mut DbConnection, key: &str) -> Result<Puller> {
    let hash = tokens::hash_opaque_token(key.trim());
    let row = repo::find_active_api_key(conn, &hash)?.ok_or_else(|| {
        Error::problem(
            ProblemKind::InvalidToken,
            "the API key is unknown or revoked",
        )
    })?;
    repo::touch_api_key(conn, row.id, db::utc_now())?;
    Ok(Puller::Connector(row.name))
}
