//! E-mail notices (issue 16): what happened, and the Danish mail that tells the recipient, as
//! plain text and simple HTML. Pure: the outbox stores a [`Notice`] as JSON and the sender
//! renders it with the public URL in force when it is sent.
//!
//! A notice carries only what its recipient may see: the employee's own report, an approver's
//! counts (no names), payroll's batch numbers.

use std::time::Duration;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::ids::{BatchId, ReportId};
use crate::payroll::{format_metres_km, format_ore_kr};

/// One report of an [`Notice::Exported`] notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedReport {
    pub report_id: ReportId,
    pub drive_date: NaiveDate,
    pub distance_m: i64,
    pub amount_ore: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// To the employee: an approver (or an administrator) rejected their report.
    Rejected {
        report_id: ReportId,
        drive_date: NaiveDate,
        purpose: String,
        comment: String,
    },
    /// To the employee: payroll could not pay their report and sent it back to the approver.
    ReturnedByPayroll {
        report_id: ReportId,
        drive_date: NaiveDate,
        purpose: String,
        reason: String,
    },
    /// To the employee: approved reports went to payroll in batch `batch_id`.
    Exported {
        batch_id: BatchId,
        reports: Vec<ExportedReport>,
    },
    /// To an approver, in the morning: reports wait for them (also as substitute).
    Digest { waiting: i64, oldest: NaiveDate },
    /// To payroll: a connector fetched a batch and did not acknowledge it in time.
    PayrollOverdue {
        batch_id: BatchId,
        reports: i64,
        minutes: u64,
    },
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Notice {
    /// The outbox's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::Rejected { .. } => "rejected",
            Notice::ReturnedByPayroll { .. } => "returned_by_payroll",
            Notice::Exported { .. } => "exported",
            Notice::Digest { .. } => "digest",
            Notice::PayrollOverdue { .. } => "payroll_overdue",
        }
    }

    /// The mail, with links under `public_url` (none when it is unset).
    pub fn render(&self, public_url: Option<&str>) -> Mail {
        let link = |path: &str| public_url.map(|u| format!("{}{path}", u.trim_end_matches('/')));
        match self {
            Notice::Rejected {
                report_id,
                drive_date,
                purpose,
                comment,
            } => compose(
                format!("Din kørselsindberetning fra {} er afvist", date(*drive_date)),
                &[
                    format!(
                        "Din kørselsindberetning fra {} ({purpose}) er afvist.",
                        date(*drive_date)
                    ),
                    format!("Begrundelse: {comment}"),
                    "Du kan rette indberetningen og sende den igen.".into(),
                ],
                link(&format!("/indberetninger/{report_id}")),
            ),
            Notice::ReturnedByPayroll {
                report_id,
                drive_date,
                purpose,
                reason,
            } => compose(
                format!(
                    "Din kørselsindberetning fra {} er sendt tilbage af lønkontoret",
                    date(*drive_date)
                ),
                &[
                    format!(
                        "Lønkontoret kunne ikke udbetale din kørselsindberetning fra {} ({purpose}) \
                         og har sendt den tilbage til din godkender.",
                        date(*drive_date)
                    ),
                    format!("Begrundelse: {reason}"),
                    "Når den er godkendt igen, kommer den med i en senere lønkørsel.".into(),
                ],
                link(&format!("/indberetninger/{report_id}")),
            ),
            Notice::Exported { batch_id, reports } => {
                let total: i64 = reports.iter().map(|r| r.amount_ore).sum();
                let mut lines = vec![format!(
                    "{} godkendt{} kørselsindberetning{} er sendt til lønudbetaling (bundt {batch_id}):",
                    reports.len(),
                    if reports.len() == 1 { "" } else { "e" },
                    if reports.len() == 1 { "" } else { "er" },
                )];
                lines.extend(reports.iter().map(|r| {
                    format!(
                        "- {}: {} km, {} kr.",
                        date(r.drive_date),
                        format_metres_km(r.distance_m),
                        format_ore_kr(r.amount_ore)
                    )
                }));
                lines.push(format!("I alt {} kr.", format_ore_kr(total)));
                compose(
                    "Din kørsel er sendt til lønudbetaling".into(),
                    &lines,
                    link("/"),
                )
            }
            Notice::Digest { waiting, oldest } => compose(
                match waiting {
                    1 => "1 kørselsindberetning venter på din godkendelse".into(),
                    n => format!("{n} kørselsindberetninger venter på din godkendelse"),
                },
                &[
                    format!(
                        "{waiting} {} venter på din godkendelse (også dem, du godkender som stedfortræder).",
                        if *waiting == 1 { "indberetning" } else { "indberetninger" }
                    ),
                    format!("Den ældste er fra {}.", date(*oldest)),
                    "Du kan slå denne daglige besked fra under dine indstillinger.".into(),
                ],
                link("/godkendelse"),
            ),
            Notice::PayrollOverdue {
                batch_id,
                reports,
                minutes,
            } => compose(
                format!("Lønbundt {batch_id} er hentet, men ikke kvitteret"),
                &[
                    format!(
                        "Lønbundt {batch_id} ({reports} indberetninger) blev hentet af lønsystemets \
                         integration for mere end {minutes} minutter siden og er ikke kvitteret."
                    ),
                    "Kontrollér integrationen og lønsystemet, før noget udbetales to gange eller \
                     slet ikke."
                        .into(),
                ],
                link(&format!("/loen/koersler/{batch_id}")),
            ),
        }
    }
}

fn date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Text and HTML from the same paragraphs and link.
fn compose(subject: String, paragraphs: &[String], link: Option<String>) -> Mail {
    let mut text = String::from("Hej\n\n");
    let mut html = String::from("<!DOCTYPE html>\n<html lang=\"da\"><body>\n<p>Hej</p>\n");
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>\n", escape(p)));
    }
    if let Some(link) = &link {
        text.push_str(&format!("Se mere i korsel: {link}\n\n"));
        html.push_str(&format!(
            "<p><a href=\"{0}\">Se mere i korsel</a></p>\n",
            escape(link)
        ));
    }
    text.push_str("Venlig hilsen\nkorsel\n\nDenne besked er sendt automatisk; svar ikke på den.\n");
    html.push_str(
        "<p>Venlig hilsen<br>korsel</p>\n<p><small>Denne besked er sendt automatisk; svar ikke på \
         den.</small></p>\n</body></html>\n",
    );
    Mail {
        subject,
        text,
        html,
    }
}

/// HTML text escaping (the comment and purpose are typed by people).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The wait before retry number `attempts` (1, 2, …): `base`, doubled each time, at most an hour.
pub fn backoff(attempts: u32, base: Duration) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
    base.saturating_mul(factor).min(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn rejection_carries_the_comment_escaped_in_html_and_links_to_the_report() {
        let mail = Notice::Rejected {
            report_id: ReportId(7),
            drive_date: d("2026-03-10"),
            purpose: "Borgerbesøg".into(),
            comment: "Borger <B> mangler".into(),
        }
        .render(Some("https://korsel.kommune.dk/"));
        assert_eq!(
            mail.subject,
            "Din kørselsindberetning fra 10.03.2026 er afvist"
        );
        assert!(mail.text.contains("Begrundelse: Borger <B> mangler"));
        assert!(mail.html.contains("Borger &lt;B&gt; mangler"));
        assert!(mail
            .text
            .contains("https://korsel.kommune.dk/indberetninger/7"));
    }

    #[test]
    fn a_report_sent_back_by_payroll_says_why_and_what_happens_next() {
        let mail = Notice::ReturnedByPayroll {
            report_id: ReportId(7),
            drive_date: d("2026-03-10"),
            purpose: "Borgerbesøg".into(),
            reason: "Ansættelsen er spærret".into(),
        }
        .render(Some("https://korsel.kommune.dk"));
        assert_eq!(
            mail.subject,
            "Din kørselsindberetning fra 10.03.2026 er sendt tilbage af lønkontoret"
        );
        assert!(mail.text.contains("Begrundelse: Ansættelsen er spærret"));
        assert!(mail.text.contains("senere lønkørsel"));
        assert!(mail
            .text
            .contains("https://korsel.kommune.dk/indberetninger/7"));
    }

    #[test]
    fn without_a_public_url_there_is_no_link() {
        let mail = Notice::Digest {
            waiting: 1,
            oldest: d("2026-01-02"),
        }
        .render(None);
        assert_eq!(
            mail.subject,
            "1 kørselsindberetning venter på din godkendelse"
        );
        assert!(!mail.text.contains("http"));
        assert!(mail.text.contains("02.01.2026"));
    }

    #[test]
    fn exported_lists_the_reports_and_the_total() {
        let mail = Notice::Exported {
            batch_id: BatchId(3),
            reports: vec![
                ExportedReport {
                    report_id: ReportId(1),
                    drive_date: d("2026-03-01"),
                    distance_m: 12_345,
                    amount_ore: 2_815,
                },
                ExportedReport {
                    report_id: ReportId(2),
                    drive_date: d("2026-03-02"),
                    distance_m: 1_000,
                    amount_ore: 228,
                },
            ],
        }
        .render(None);
        assert!(mail.text.contains("- 01.03.2026: 12,34 km, 28,15 kr."));
        assert!(mail.text.contains("I alt 30,43 kr."));
    }

    #[test]
    fn payloads_round_trip_as_json() {
        let notice = Notice::PayrollOverdue {
            batch_id: BatchId(4),
            reports: 10,
            minutes: 30,
        };
        let json = serde_json::to_string(&notice).unwrap();
        assert!(json.contains("\"kind\":\"payroll_overdue\""));
        assert_eq!(serde_json::from_str::<Notice>(&json).unwrap(), notice);
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(1, base), Duration::from_secs(30));
        assert_eq!(backoff(2, base), Duration::from_secs(60));
        assert_eq!(backoff(4, base), Duration::from_secs(240));
        assert_eq!(backoff(50, base), Duration::from_secs(3600));
    }
}
