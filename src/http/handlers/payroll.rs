//! Payroll export: batches and their files (roles `payroll` and `admin`), and the pull API for
//! an on-premise payroll connector, which takes either a connector key (`X-Api-Key`) or a
//! payroll user's bearer token. A connector key works for the pull API only.

use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::shape::ok_json;
use crate::domain::ids::{BatchId, ReportId};
use crate::domain::page::PageRequest;
use crate::error::{Error, ProblemKind};
use crate::http::extract::PayrollOrAdmin;
use crate::http::AppState;
use crate::payroll::{CsvLayout, CsvStyle};
use crate::services::payroll::{self, Actor, Puller, MAX_PULL_BATCHES};
use crate::services::reports;

/// The header a connector sends its key in.
pub const API_KEY_HEADER: &str = "x-api-key";

fn checked(page: PageRequest) -> Result<PageRequest, Error> {
    page.validate()
        .map_err(|(field, e)| Error::validation(field, e))?;
    Ok(page)
}

pub async fn create_batch(
    state: web::Data<AppState>,
    user: PayrollOrAdmin,
    body: web::Json<payroll::CreateBatch>,
) -> Result<HttpResponse, Error> {
    let (input, actor) = (body.into_inner(), Actor::User(user.id()));
    let settings = state.settings.payroll.clone();
    let batch = state
        .db
        .run(move |c| payroll::create_batch(c, &input, actor, &settings, false))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/payroll/batches/{}", batch.id),
        ))
        .json(batch))
}

pub async fn list_batches(
    state: web::Data<AppState>,
    _: PayrollOrAdmin,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = checked(page.into_inner())?;
    ok_json(&state, move |c| payroll::list_batches(c, page)).await
}

pub async fn show_batch(
    state: web::Data<AppState>,
    _: PayrollOrAdmin,
    id: web::Path<BatchId>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let (id, page) = (id.into_inner(), checked(page.into_inner())?);
    ok_json(&state, move |c| payroll::batch_detail(c, id, page)).await
}

pub async fn cancel_batch(
    state: web::Data<AppState>,
    user: PayrollOrAdmin,
    id: web::Path<BatchId>,
    body: web::Json<payroll::CancelBatch>,
) -> Result<HttpResponse, Error> {
    let (id, input, actor) = (id.into_inner(), body.into_inner(), Actor::User(user.id()));
    ok_json(&state, move |c| payroll::cancel_batch(c, id, &input, actor)).await
}

/// Payroll sends one report of an acknowledged batch back to its approver.
pub async fn return_report(
    state: web::Data<AppState>,
    user: PayrollOrAdmin,
    path: web::Path<(BatchId, ReportId)>,
    body: web::Json<reports::ReturnReport>,
) -> Result<HttpResponse, Error> {
    let ((batch, report), input) = (path.into_inner(), body.into_inner());
    let caller = super::reports::caller(&user);
    ok_json(&state, move |c| {
        reports::return_from_payroll(c, caller, batch, report, &input)
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// CSV: one row per employment × TF code × month.
    grouped: Option<bool>,
    /// CSV: `excel` (default) or `machine`.
    style: Option<CsvStyle>,
}

/// Bytes collected from the file writer and handed to the response in chunks of this size.
const CHUNK: usize = 64 * 1024;
/// Chunks that may wait for a slow client before the writer waits too.
const CHUNKS_IN_FLIGHT: usize = 4;

/// An `io::Write` that sends its bytes to the HTTP response in chunks. When the client goes
/// away, writes fail and the file writer stops.
struct ChunkSender {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Result<Bytes, Error>>,
}

impl ChunkSender {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkSender {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The batch's file, streamed: generated page by page from the batch's snapshot, so memory
/// stays flat however large the batch, and the bytes are the same on every download.
pub async fn batch_file(
    state: web::Data<AppState>,
    _: PayrollOrAdmin,
    id: web::Path<BatchId>,
    query: web::Query<FileQuery>,
) -> Result<HttpResponse, Error> {
    file_response(&state, id.into_inner(), query.into_inner()).await
}

/// The streamed file of batch `id` as a download (the API's and the payroll page's, so both
/// give the same bytes).
pub async fn file_response(
    state: &AppState,
    id: BatchId,
    FileQuery { grouped, style }: FileQuery,
) -> Result<HttpResponse, Error> {
    let info = state
        .db
        .run(move |c| payroll::file_info(c, id, grouped, style.is_some()))
        .await?;
    let layout = CsvLayout {
        grouped: grouped.unwrap_or(false),
        style: style.unwrap_or_default(),
    };
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let db = state.db.clone();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut out = ChunkSender {
            buffer: Vec::with_capacity(CHUNK),
            sender: sender.clone(),
        };
        let written = payroll::write_batch_file(&db, id, layout, &mut out).and_then(|rows| {
            out.flush()
                .map(|()| rows)
                .map_err(|e| Error::Internal(e.into()))
        });
        match written {
            Ok(rows) => tracing::info!(batch_id = id.0, rows, "payroll file sent"),
            Err(e) => {
                // The status line is gone already: end the body with an error, so the client
                // sees a broken download instead of a short file.
                tracing::error!(batch_id = id.0, error = %e, "payroll file not completed");
                let _ = sender.blocking_send(Err(e));
            }
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type(info.content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", info.file_name),
        ))
        .streaming(body))
}

// ---------------------------------------------------------------- pull API

/// The caller of the pull API: a connector by its key, or a payroll/admin user.
pub struct PullCaller(Puller);

impl FromRequest for PullCaller {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some(key) = req.headers().get(API_KEY_HEADER) else {
                let user = PayrollOrAdmin::extract(&req).await?;
                return Ok(PullCaller(Puller::User(user.id())));
            };
            let key = key
                .to_str()
                .map_err(|_| {
                    Error::problem(ProblemKind::InvalidToken, "the API key is not valid text")
                })?
                .to_string();
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| anyhow::anyhow!("application state missing"))?
                .clone();
            let puller = state
                .db
                .run(move |c| payroll::connector_for_key(c, &key))
                .await?;
            Ok(PullCaller(puller))
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingQuery {
    limit: Option<u32>,
}

pub async fn pending(
    state: web::Data<AppState>,
    PullCaller(puller): PullCaller,
    query: web::Query<PendingQuery>,
) -> Result<HttpResponse, Error> {
    let limit = query.into_inner().limit.unwrap_or(10);
    if !(1..=MAX_PULL_BATCHES).contains(&limit) {
        return Err(Error::validation(
            "limit",
            format!("must be between 1 and {MAX_PULL_BATCHES}"),
        ));
    }
    let settings = state.settings.payroll.clone();
    let out = state
        .db
        .run(move |c| payroll::pending(c, limit, &settings))
        .await?;
    tracing::info!(caller = ?puller, batches = out.batches.len(), "payroll batches pulled");
    Ok(HttpResponse::Ok().json(out))
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    PullCaller(puller): PullCaller,
    body: web::Json<payroll::Acknowledge>,
) -> Result<HttpResponse, Error> {
    let input = body.into_inner();
    ok_json(&state, move |c| payroll::acknowledge(c, &input, &puller)).await
}
