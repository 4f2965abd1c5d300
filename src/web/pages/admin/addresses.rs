//! The address registry import from the pages: the upload (streamed to a temporary file, never
//! held in memory) starts a background run (`services::addresses::runs`), whose status page
//! polls a fragment (htmx) until the run is done and the index swapped.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::error::Error;
use crate::http::body_rate::spool_stream_to_file;
use crate::http::AppState;
use crate::services::addresses::runs::{self, AddressRun, RunState};
use crate::services::addresses::ImportFormat;
use crate::web::error::WebError;
use crate::web::format;
use crate::web::session::Administrator;
use crate::web::texts::admin::{self as texts, AdminTexts, ADMIN};
use crate::web::{ok, Layout};

use super::upload::{self, UploadQuery};

fn format_of(name: Option<&str>) -> Result<ImportFormat, WebError> {
    Ok(match name.unwrap_or("auto") {
        "auto" => ImportFormat::Auto,
        "csv" => ImportFormat::Csv,
        "json" => ImportFormat::Json,
        "ndjson" => ImportFormat::Ndjson,
        "dar-adresse" => ImportFormat::DarAdresse,
        "dar-adressepunkt" => ImportFormat::DarAdressepunkt,
        _ => {
            return Err(WebError::Service(Error::validation(
                "format",
                "is not a known address file format",
            )))
        }
    })
}

/// The upload (the script's body or a form post): streamed to a temporary file, then imported
/// in the background.
pub async fn upload(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    req: HttpRequest,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, WebError> {
    let upload = upload::receive(&req, &signed, query.into_inner(), body).await?;
    let format = format_of(upload.query.format())?;
    let limit = state.settings.addresses.max_import_bytes;
    let (file, size) = spool_stream_to_file(upload.file, limit).await?;
    let user_id = signed.user.user_id;
    let name = upload.query.file_name();
    let id = state
        .db
        .run(move |c| runs::start(c, user_id, &name, size))
        .await?;
    let (db, registry) = (state.db.clone(), state.addresses.clone());
    actix_web::rt::spawn(runs::run(db, registry, id.clone(), file, format));
    Ok(upload
        .reply
        .next(&format!("/admin/indlaesning/adresser/{id}")))
}

/// What the status fragment shows of a run.
pub struct RunView {
    pub poll: Option<String>,
    pub state: &'static str,
    pub running: bool,
    pub file_bytes: u64,
    pub bytes_read: Option<u64>,
    pub read_text: String,
    pub failed: Option<String>,
    pub result: Vec<(&'static str, String)>,
}

fn view(run: &AddressRun) -> RunView {
    let running = run.state == RunState::Running;
    let result = match &run.summary {
        Some(s) if run.state == RunState::Done => vec![
            (ADMIN.run_rows, s.rows.to_string()),
            (ADMIN.run_created, s.created.to_string()),
            (ADMIN.run_updated, s.updated.to_string()),
            (ADMIN.run_unchanged, s.unchanged.to_string()),
            (
                ADMIN.run_units,
                (s.units_created + s.units_updated).to_string(),
            ),
            (ADMIN.run_index_size, s.index_size.to_string()),
        ],
        _ => Vec::new(),
    };
    RunView {
        poll: running.then(|| format!("/admin/indlaesning/adresser/{}/status", run.id)),
        state: texts::run_state(run.state),
        running,
        file_bytes: run.file_bytes.max(1),
        bytes_read: run.bytes_read,
        read_text: texts::bytes_read(run.bytes_read.unwrap_or(0), run.file_bytes),
        failed: (run.state == RunState::Failed).then(|| run.error.clone().unwrap_or_default()),
        result,
    }
}

#[derive(Template)]
#[template(path = "admin_address_run.html")]
struct RunPage {
    layout: Layout,
    a: &'static AdminTexts,
    file_name: String,
    started: String,
    /// While the run goes on, the page itself: a link that shows the progress without htmx.
    refresh: Option<String>,
    run: RunView,
}

#[derive(Template)]
#[template(path = "admin_address_status.html")]
struct RunFragment {
    a: &'static AdminTexts,
    run: RunView,
}

async fn load(state: &AppState, id: String) -> Result<AddressRun, WebError> {
    Ok(state.db.run(move |c| runs::get(c, &id)).await?)
}

pub async fn status(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let run = load(&state, id.into_inner()).await?;
    ok(&RunPage {
        layout: Layout::signed(&signed, ADMIN.address_run_title, "imports"),
        a: &ADMIN,
        file_name: run.file_name.clone(),
        started: format::date_time(run.created_at.and_utc()),
        refresh: (run.state == RunState::Running)
            .then(|| format!("/admin/indlaesning/adresser/{}", run.id)),
        run: view(&run),
    })
}

/// The part of the status page htmx polls while the run goes on.
pub async fn fragment(
    state: web::Data<AppState>,
    _: Administrator,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let run = load(&state, id.into_inner()).await?;
    ok(&RunFragment {
        a: &ADMIN,
        run: view(&run),
    })
}
