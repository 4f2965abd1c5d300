//! "Indlæsning": upload an org-units or staff CSV, see what importing it would change (the
//! import itself, rolled back), then apply it in one transaction or cancel. The uploaded file
//! waits in the database (`services::import::pending`), so any instance can show and apply it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::db;
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::addresses::runs;
use crate::services::import::{
    self, pending, FileChanges, FileImport, FileKind, Refusal, RowCounts, RowKind,
};
use crate::services::staff_extras::AddressSource;
use crate::web::error::WebError;
use crate::web::format;
use crate::web::session::{AdminForm, Administrator};
use crate::web::texts::admin::{self as texts, AdminTexts, ADMIN};
use crate::web::{ok, render, see_other, Layout, NoticeQuery};

use super::notice;
use super::upload::{self, UploadQuery};
use crate::http::extract::read_chunks;

/// Largest org-units or staff file (50,000 staff rows are about 10 MB).
pub const MAX_CSV_BYTES: usize = 64 * 1024 * 1024;

/// Rows listed of the changed or refused ones (all are counted).
pub const MAX_LISTED: usize = 1000;

/// The kinds by the names in the page URLs.
fn kind_of(name: &str) -> Option<FileKind> {
    match name {
        "organisation" => Some(FileKind::OrgUnits),
        "medarbejdere" => Some(FileKind::Staff),
        _ => None,
    }
}

fn url_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::OrgUnits => "organisation",
        FileKind::Staff => "medarbejdere",
    }
}

pub struct UploadForm {
    pub id: &'static str,
    pub action: String,
    pub heading: &'static str,
    pub hint: &'static str,
}

pub struct RunRow {
    pub href: String,
    pub file_name: String,
    pub started: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "admin_imports.html")]
struct ImportsPage {
    layout: Layout,
    a: &'static AdminTexts,
    forms: Vec<UploadForm>,
    runs: Vec<RunRow>,
}

pub async fn page(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let recent = state.db.run(|c| runs::recent(c, 5)).await?;
    ok(&ImportsPage {
        layout: Layout::signed(&signed, ADMIN.imports_title, "imports")
            .with_notice(query.notice(notice)),
        a: &ADMIN,
        forms: FileKind::ALL
            .into_iter()
            .map(|kind| UploadForm {
                id: url_name(kind),
                action: format!("/admin/indlaesning/{}", url_name(kind)),
                heading: texts::file_kind(kind),
                hint: texts::file_kind_hint(kind),
            })
            .collect(),
        runs: recent
            .iter()
            .map(|r| RunRow {
                href: format!("/admin/indlaesning/adresser/{}", r.id),
                file_name: r.file_name.clone(),
                started: format::date_time(r.created_at.and_utc()),
                state: texts::run_state(r.state),
            })
            .collect(),
    })
}

/// The upload of an org-units or staff file (the script's body or a form post): kept for its
/// preview, which is where the uploader goes next.
pub async fn upload(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    req: HttpRequest,
    kind: web::Path<String>,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, WebError> {
    let kind = kind_of(&kind).ok_or_else(|| {
        WebError::Service(Error::problem(ProblemKind::NotFound, "no such import"))
    })?;
    let upload = upload::receive(&req, &signed, query.into_inner(), body).await?;
    let data = Vec::from(read_chunks(upload.file, MAX_CSV_BYTES).await?);
    let user_id = signed.user.user_id;
    let name = upload.query.file_name();
    let id = state
        .db
        .run(move |c| pending::store(c, user_id, kind, &name, data, db::utc_now()))
        .await?;
    Ok(upload
        .reply
        .next(&format!("/admin/indlaesning/forhaandsvisning/{id}")))
}

pub struct ChangeRow {
    pub line: u64,
    pub key: String,
    pub name: String,
    pub kind: &'static str,
    pub fields: Vec<String>,
}

pub struct RefusalRow {
    pub line: String,
    pub column: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin_preview.html")]
struct PreviewPage {
    layout: Layout,
    a: &'static AdminTexts,
    heading: String,
    kind: &'static str,
    file_name: String,
    expires: String,
    action: String,
    /// After applying: the import is done and this says what it did.
    applied: bool,
    counts: Option<RowCounts>,
    changes: Vec<ChangeRow>,
    refusals: Vec<RefusalRow>,
    /// "Showing the first 1000 of N" when not every row is listed.
    more: Option<String>,
}

fn change_rows(changes: &FileChanges) -> Vec<ChangeRow> {
    changes
        .rows
        .iter()
        .take(MAX_LISTED)
        .map(|r| ChangeRow {
            line: r.line,
            key: r.key.clone(),
            name: r.name.clone(),
            kind: match r.kind {
                RowKind::Ended => ADMIN.row_ended,
                _ => ADMIN.row_changed,
            },
            fields: r
                .fields
                .iter()
                .map(|f| texts::field_change(f.column, &f.before, &f.after))
                .collect(),
        })
        .collect()
}

fn refusal_rows(refusals: Vec<Refusal>) -> Vec<RefusalRow> {
    refusals
        .into_iter()
        .take(MAX_LISTED)
        .map(|r| RefusalRow {
            line: r.row.map(|n| n.to_string()).unwrap_or_default(),
            column: r.column.unwrap_or_default(),
            detail: crate::web::texts::import::refusal(&r.detail),
        })
        .collect()
}

fn preview_page(
    signed: &crate::web::session::Signed,
    pending: &pending::Pending,
    outcome: Result<FileImport, Error>,
    applied: bool,
) -> Result<PreviewPage, WebError> {
    let (counts, changes, refusals, total) = match outcome {
        Ok(done) => {
            let total = done.changes.rows.len();
            let rows = change_rows(&done.changes);
            (Some(done.changes.counts), rows, Vec::new(), total)
        }
        Err(e) => {
            let refused = import::refusals(&e);
            if refused.is_empty() {
                return Err(e.into());
            }
            let total = refused.len();
            (None, Vec::new(), refusal_rows(refused), total)
        }
    };
    let more = (total > MAX_LISTED).then(|| texts::listed_of(MAX_LISTED, total));
    let heading = if applied {
        ADMIN.applied_title
    } else {
        ADMIN.preview_title
    };
    Ok(PreviewPage {
        layout: Layout::signed(signed, heading, "imports"),
        a: &ADMIN,
        heading: heading.to_string(),
        kind: texts::file_kind(pending.kind),
        file_name: pending.file_name.clone(),
        expires: format::date_time(pending.expires_at.and_utc()),
        action: format!("/admin/indlaesning/forhaandsvisning/{}", pending.id),
        applied,
        counts,
        changes,
        refusals,
        more,
    })
}

#[derive(Template)]
#[template(path = "admin_message.html")]
struct MessagePage {
    layout: Layout,
    heading: &'static str,
    message: &'static str,
    link: &'static str,
    link_text: &'static str,
}

/// The page for a preview that is unknown, expired, already used or someone else's.
fn gone(signed: &crate::web::session::Signed) -> Result<HttpResponse, WebError> {
    render(
        StatusCode::NOT_FOUND,
        &MessagePage {
            layout: Layout::signed(signed, ADMIN.preview_gone_title, "imports"),
            heading: ADMIN.preview_gone_title,
            message: ADMIN.preview_gone,
            link: "/admin/indlaesning",
            link_text: ADMIN.back_to_imports,
        },
    )
}

fn is_gone(e: &Error) -> bool {
    matches!(e, Error::Problem(p) if p.kind == ProblemKind::NotFound)
}

pub async fn preview(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let user_id = signed.user.user_id;
    let addresses = AddressSource::Loaded(state.addresses.index());
    let shown = state
        .db
        .run(move |c| pending::show(c, &id, user_id, addresses, db::utc_now()))
        .await;
    match shown {
        Ok((pending, outcome)) => ok(&preview_page(&signed, &pending, outcome, false)?),
        Err(e) if is_gone(&e) => gone(&signed),
        Err(e) => Err(e.into()),
    }
}

/// "Indlæs" (`handling=anvend`) or "Annullér" (`handling=annuller`) of a preview.
pub async fn decide(
    state: web::Data<AppState>,
    AdminForm { signed, form, .. }: AdminForm,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let user_id = signed.user.user_id;
    if form.get("handling") == Some("annuller") {
        let cancelled = state
            .db
            .run(move |c| pending::cancel(c, &id, user_id))
            .await;
        return match cancelled {
            Ok(()) => Ok(see_other("/admin/indlaesning?besked=annulleret")),
            Err(e) if is_gone(&e) => gone(&signed),
            Err(e) => Err(e.into()),
        };
    }
    let addresses = AddressSource::Loaded(state.addresses.index());
    let apply_id = id.clone();
    let applied = state
        .db
        .run(move |c| pending::apply(c, &apply_id, user_id, addresses, db::utc_now()))
        .await;
    match applied {
        Ok((pending, done)) => ok(&preview_page(&signed, &pending, Ok(done), true)?),
        Err(e) if is_gone(&e) => gone(&signed),
        Err(e) => {
            // A refused file applies nothing: show why, with the file still waiting.
            let pending = state
                .db
                .run(move |c| pending::find(c, &id, user_id, db::utc_now()))
                .await?;
            let page = preview_page(&signed, &pending, Err(e), false)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
