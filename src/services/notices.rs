//! E-mail notices (issue 16). Writing: each notice goes into the outbox on the connection (and
//! so in the transaction) of the change that causes it. Sending: [`send_due`] claims due notices
//! one by one with a lease and delivers them over SMTP, with retries and backoff.
//!
//! Exactly once: a notice is claimed by one conditional UPDATE, so of several instances one
//! sends it; it is marked sent right after the SMTP server accepted it. Only a sender that dies
//! between the server's acceptance and that mark (a window of one round trip) leaves a notice
//! that is sent again once its lease runs out.

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use crate::config::MailSettings;
use crate::db::outbox::{self as repo, NewMail, FAILED, PENDING, SENT, UNDELIVERABLE};
use crate::db::reports::ReportRow;
use crate::db::{self, Database, DbConnection};
use crate::domain::ids::{BatchId, PersonId, UserId};
use crate::domain::notices::{backoff, ExportedReport, Notice};
use crate::domain::users::Role;
use crate::error::{Error, Result};
use crate::services::org;
use crate::services::payroll::Batch;
use crate::services::reports::waiting_per_approver;

const NO_ADDRESS: &str = "the person has no e-mail address";
const NO_SMTP: &str = "KORSEL_SMTP_URL is not set";

/// An unexpected failure (a 500, its cause kept for the log).
pub(crate) fn internal(e: impl Into<anyhow::Error>) -> Error {
    Error::Internal(e.into())
}

/// Puts `notice` for `person_id` into the outbox: pending, or undeliverable when the person has
/// no address. `dedupe_key`: at most one notice per key (`false` when it exists).
pub fn to_person(
    conn: &mut DbConnection,
    person_id: PersonId,
    notice: &Notice,
    dedupe_key: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool> {
    let email = repo::person_contact(conn, person_id)?.and_then(|(email, _)| email);
    let email = email.filter(|e| !e.trim().is_empty());
    let payload = serde_json::to_string(notice).map_err(internal)?;
    Ok(repo::insert(
        conn,
        &NewMail {
            kind: notice.kind(),
            person_id: Some(person_id),
            recipient: email.as_deref(),
            payload: &payload,
            dedupe_key,
            status: if email.is_some() {
                PENDING
            } else {
                UNDELIVERABLE
            },
            last_error: email.is_none().then_some(NO_ADDRESS),
            next_attempt_at: now,
            created_at: now,
        },
    )?)
}

/// The employee is told that report `row` (just rejected) was rejected, with the comment.
pub fn report_rejected(conn: &mut DbConnection, row: &ReportRow, now: NaiveDateTime) -> Result<()> {
    let notice = Notice::Rejected {
        report_id: row.id,
        drive_date: row.drive_date,
        purpose: row.purpose.clone(),
        comment: row.rejection_comment.clone().unwrap_or_default(),
    };
    to_person(conn, row.person_id, &notice, None, now)?;
    Ok(())
}

/// The employee is told that payroll sent report `row` back to the approver, with the reason.
pub fn report_returned_by_payroll(
    conn: &mut DbConnection,
    row: &ReportRow,
    reason: &str,
    now: NaiveDateTime,
) -> Result<()> {
    let notice = Notice::ReturnedByPayroll {
        report_id: row.id,
        drive_date: row.drive_date,
        purpose: row.purpose.clone(),
        reason: reason.to_string(),
    };
    to_person(conn, row.person_id, &notice, None, now)?;
    Ok(())
}

/// Each employee with reports in batch `batch_id` (just made) is told which went to payroll.
pub fn batch_exported(
    conn: &mut DbConnection,
    batch_id: BatchId,
    now: NaiveDateTime,
) -> Result<()> {
    let rows = repo::batch_reports(conn, batch_id)?;
    for mine in rows.chunk_by(|a, b| a.person_id == b.person_id) {
        let person_id = mine[0].person_id;
        let reports = mine
            .iter()
            .map(|r| ExportedReport {
                report_id: r.report_id,
                drive_date: r.drive_date,
                distance_m: r.distance_m,
                amount_ore: r.amount_ore,
            })
            .collect();
        let notice = Notice::Exported { batch_id, reports };
        to_person(conn, person_id, &notice, None, now)?;
    }
    Ok(())
}

/// Payroll (every user with the payroll role) is told of each overdue batch, once per batch.
/// Returns how many notices were written.
pub fn payroll_overdue(
    conn: &mut DbConnection,
    overdue: &[Batch],
    timeout: Duration,
    now: NaiveDateTime,
) -> Result<usize> {
    let mut written = 0;
    let recipients = repo::persons_with_role(conn, Role::Payroll.as_str())?;
    for batch in overdue {
        for (person_id, _) in &recipients {
            let key = format!("payroll_overdue:{}:{person_id}", batch.id);
            if repo::has_key(conn, &key)? {
                continue;
            }
            let notice = Notice::PayrollOverdue {
                batch_id: batch.id,
                reports: batch.report_count,
                minutes: timeout.as_secs() / 60,
            };
            written += usize::from(to_person(conn, *person_id, &notice, Some(&key), now)?);
        }
    }
    Ok(written)
}

/// The morning digest: each approver with reports waiting (also as substitute) who has not
/// turned it off gets one notice per day. Returns how many were written.
pub fn morning_digest(
    conn: &mut DbConnection,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<usize> {
    let mut written = 0;
    for (person_id, (waiting, oldest)) in waiting_per_approver(conn)? {
        if !repo::person_contact(conn, person_id)?.is_some_and(|(_, digest)| digest) {
            continue;
        }
        let key = format!("digest:{today}:{person_id}");
        if repo::has_key(conn, &key)? {
            continue;
        }
        let notice = Notice::Digest { waiting, oldest };
        written += usize::from(to_person(conn, person_id, &notice, Some(&key), now)?);
    }
    Ok(written)
}

// ================================================================ the person's choice

#[derive(Debug, Clone, Serialize)]
pub struct Preferences {
    /// The approvers' morning digest.
    pub digest: bool,
    /// The address notices go to (`null`: none, so notices are kept undelivered).
    pub email: Option<String>,
}

fn my_person(conn: &mut DbConnection, user_id: UserId) -> Result<PersonId> {
    org::person_of_user_id(conn, user_id)?
        .map(|p| p.id)
        .ok_or_else(|| Error::not_found("person of this user"))
}

pub fn preferences(conn: &mut DbConnection, user_id: UserId) -> Result<Preferences> {
    let person_id = my_person(conn, user_id)?;
    let (email, digest) =
        repo::person_contact(conn, person_id)?.ok_or_else(|| Error::not_found("person"))?;
    Ok(Preferences { digest, email })
}

pub fn set_digest(conn: &mut DbConnection, user_id: UserId, digest: bool) -> Result<Preferences> {
    let person_id = my_person(conn, user_id)?;
    repo::set_digest(conn, person_id, digest)?;
    preferences(conn, user_id)
}

// ================================================================ sending

/// The SMTP side: a transport when `KORSEL_SMTP_URL` is set.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    settings: MailSettings,
    /// Links in mails start here (`KORSEL_PUBLIC_URL`); none when unset.
    public_url: Option<String>,
}

impl Mailer {
    pub fn new(settings: &MailSettings, public_url: Option<String>) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("KORSEL_MAIL_FROM is not a mail address: {e}"))?;
        let transport = match &settings.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| anyhow::anyhow!("KORSEL_SMTP_URL: {e}"))?
                    .timeout(Some(settings.send_timeout))
                    .build(),
            ),
            None => None,
        };
        Ok(Mailer {
            transport,
            from,
            settings: settings.clone(),
            public_url,
        })
    }

    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Builds the message of `row` (its notice rendered now).
    fn message(&self, row: &repo::OutboxRow) -> std::result::Result<Message, String> {
        let notice: Notice =
            serde_json::from_str(&row.payload).map_err(|e| format!("unreadable notice: {e}"))?;
        let mail = notice.render(self.public_url.as_deref());
        let to: Mailbox = row
            .recipient
            .as_deref()
            .ok_or(NO_ADDRESS)?
            .parse()
            .map_err(|e| format!("not a mail address: {e}"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
            .map_err(|e| format!("cannot build the mail: {e}"))
    }
}

/// What one pass of the sender did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendSummary {
    pub sent: usize,
    pub retry_later: usize,
    pub failed: usize,
    pub undeliverable: usize,
}

impl std::fmt::Display for SendSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sent {}, to retry {}, failed {}, undeliverable {}",
            self.sent, self.retry_later, self.failed, self.undeliverable
        )
    }
}

/// Sends every due notice once (at most `limit` in this pass).
pub async fn send_due(db: &Database, mailer: &Mailer, limit: i64) -> Result<SendSummary> {
    let mut summary = SendSummary::default();
    let Some(transport) = &mailer.transport else {
        summary.undeliverable = db
            .run(|c| Ok(repo::mark_all_undeliverable(c, NO_SMTP)?))
            .await?;
        if summary.undeliverable > 0 {
            tracing::warn!(
                notices = summary.undeliverable,
                "e-mail notices kept undelivered: KORSEL_SMTP_URL is not set"
            );
        }
        return Ok(summary);
    };
    let due = db
        .run(move |c| Ok(repo::due(c, db::utc_now(), limit)?))
        .await?;
    // The claim outlives a send that times out, so no second sender takes a notice in flight.
    let lease = chrono::Duration::from_std(mailer.settings.send_timeout * 3).map_err(internal)?;
    for id in due {
        let token = uuid::Uuid::new_v4().to_string();
        let claim_token = token.clone();
        let claimed = db
            .run(move |c| {
                let now = db::utc_now();
                Ok(repo::claim(c, id, &claim_token, now, now + lease)?)
            })
            .await?;
        let Some(row) = claimed else {
            continue; // another sender has it
        };
        let attempts = row.attempts + 1;
        let outcome = match mailer.message(&row) {
            Ok(message) => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|e| (e.is_permanent(), e.to_string())),
            Err(e) => Err((true, e)),
        };
        let retry_base = mailer.settings.retry_base;
        let max_attempts = i64::from(mailer.settings.max_attempts);
        let (status, error) = match &outcome {
            Ok(()) => (SENT, None),
            Err((permanent, e)) if *permanent || attempts >= max_attempts => {
                (FAILED, Some(e.clone()))
            }
            Err((_, e)) => (PENDING, Some(e.clone())),
        };
        match status {
            SENT => summary.sent += 1,
            FAILED => {
                summary.failed += 1;
                tracing::error!(notice = id, attempts, error = ?error, "e-mail notice given up");
            }
            _ => {
                summary.retry_later += 1;
                tracing::warn!(notice = id, attempts, error = ?error, "e-mail notice not sent; will retry");
            }
        }
        let wait =
            chrono::Duration::from_std(backoff(attempts as u32, retry_base)).map_err(internal)?;
        db.run(move |c| {
            let now = db::utc_now();
            let sent_at = (status == SENT).then_some(now);
            if !repo::finish(
                c,
                id,
                &token,
                status,
                attempts,
                now + wait,
                error.as_deref(),
                sent_at,
            )? {
                tracing::warn!(
                    notice = id,
                    "the claim on an e-mail notice ran out while sending"
                );
            }
            Ok(())
        })
        .await?;
    }
    Ok(summary)
}
