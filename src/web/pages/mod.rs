//! One module per page (or group of a page's actions). Each handler reads its input, calls the
//! services the API calls, and renders.

pub mod admin;
pub mod admin_config;
pub mod approvals;
pub mod autocomplete;
pub mod flags;
pub mod login;
pub mod no_person;
pub mod notifications;
pub mod oidc;
pub mod password;
pub mod payroll;
pub mod report;
pub mod report_form;
pub mod reports;
pub mod trips;
pub mod year;

use crate::domain::ids::ReportId;
use crate::domain::page::{Page, PageRequest};
use crate::domain::report_state::ReportStatus;
use crate::services::reports::Report;
use crate::web::{format, texts};

/// Rows per page of the page lists.
pub const PER_PAGE: u32 = 25;

/// `?side=N` as a page request (0 or missing is page 1; a side that is no number never gets
/// here: it is the Danish 400 page of `web::error::query_error`).
pub fn page_request(side: Option<u32>) -> PageRequest {
    PageRequest {
        page: side.filter(|&p| p >= 1).unwrap_or(1),
        per_page: PER_PAGE,
    }
}

/// Previous/next links of a list, keeping its filters (`query`, already encoded).
pub struct Pager {
    pub label: String,
    pub showing: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn of<T>(page: &Page<T>, path: &str, query: &str) -> Pager {
        let pages = ((page.total + i64::from(page.per_page) - 1) / i64::from(page.per_page)).max(1);
        let current = i64::from(page.page);
        let link = |n: i64| {
            let sep = if query.is_empty() { "" } else { "&" };
            format!("{path}?{query}{sep}side={n}")
        };
        let first = (current - 1) * i64::from(page.per_page) + 1;
        let last = first + page.items.len() as i64 - 1;
        Pager {
            label: texts::page_of(current, pages),
            showing: if page.items.is_empty() {
                String::new()
            } else {
                texts::showing(first, last, page.total)
            },
            previous: (current > 1).then(|| link(current - 1)),
            next: (current < pages).then(|| link(current + 1)),
        }
    }
}

/// A report as a row of a table.
pub struct ReportRow {
    pub id: ReportId,
    pub href: String,
    pub date: String,
    pub purpose: String,
    pub person: String,
    pub km: String,
    pub amount: String,
    pub mode: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub version: i64,
}

impl ReportRow {
    pub fn of(r: &Report) -> ReportRow {
        ReportRow {
            id: r.id,
            href: format!("/indberetninger/{}", r.id),
            date: format::date(r.drive_date),
            purpose: r.purpose.clone(),
            person: r.person_name.clone(),
            km: format::km(r.reimbursable_m),
            amount: format::kroner(r.amount_ore),
            mode: texts::distance_mode(r.distance_mode),
            status: texts::status(r.status),
            status_class: status_class(r.status),
            version: r.version,
        }
    }
}

pub fn status_class(s: ReportStatus) -> &'static str {
    match s {
        ReportStatus::Draft => "status status-draft",
        ReportStatus::Pending => "status status-pending",
        ReportStatus::Approved => "status status-approved",
        ReportStatus::Rejected => "status status-rejected",
        ReportStatus::Exported => "status status-exported",
    }
}

/// One `<option>` of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl ToString, label: impl ToString, selected: bool) -> Choice {
        Choice {
            value: value.to_string(),
            label: label.to_string(),
            selected,
        }
    }
}

/// A query value for a link (`&`, `=`, spaces and the like escaped).
pub fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_links_keep_filters() {
        let page = Page::new(
            vec![1; 25],
            PageRequest {
                page: 2,
                per_page: 25,
            },
            60,
        );
        let pager = Pager::of(&page, "/", "aar=2026");
        assert_eq!(pager.previous.as_deref(), Some("/?aar=2026&side=1"));
        assert_eq!(pager.next.as_deref(), Some("/?aar=2026&side=3"));
        assert_eq!(pager.label, "Side 2 af 3");
        assert_eq!(pager.showing, "Viser 26-50 af 60");
        let last = Page::new(
            vec![1; 10],
            PageRequest {
                page: 3,
                per_page: 25,
            },
            60,
        );
        assert_eq!(Pager::of(&last, "/", "").next, None);
    }
}
