//! The administration uploads, which arrive two ways: `static/korsel.js` sends the file as the
//! raw request body with the CSRF token in a header and `?fil=…&format=…` in the query (answered
//! 201 with the page to go to), and a browser without JavaScript posts the form as
//! `multipart/form-data` (answered 303 to that page). Either way the file is read as a stream.

use std::cell::Cell;
use std::rc::Rc;

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::stream::LocalBoxStream;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;

use crate::error::{Error, ProblemKind};
use crate::http::body_rate::{body_chunks, unreadable_body};
use crate::http::extract::read_chunks;
use crate::web::error::WebError;
use crate::web::see_other;
use crate::web::session::{same_secret, Signed, CSRF_FIELD, CSRF_HEADER};

/// `?fil=…` (and for addresses `&format=…`) of the script's upload; of a form post, the file
/// part's file name and the `format` field.
#[derive(Deserialize)]
pub struct UploadQuery {
    fil: Option<String>,
    format: Option<String>,
}

impl UploadQuery {
    pub fn file_name(&self) -> String {
        self.fil
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .unwrap_or("fil")
            .to_string()
    }

    pub fn format(&self) -> Option<&str> {
        self.format.as_deref()
    }
}

/// The form's file input, whose part must come after the `csrf` (and `format`) fields.
const FILE_FIELD: &str = "fil";

/// The form's address format select.
const FORMAT_FIELD: &str = "format";

/// Largest `csrf` or `format` field of a form post.
const MAX_FIELD_BYTES: usize = 1024;

/// The most a form post may send before its file part begins (the token, the format and the
/// parts' headers). actix-multipart holds a part's headers in memory until they end, so without
/// this a header that never ends would be buffered up to the upload limit.
const MAX_FORM_PREAMBLE_BYTES: usize = 64 * 1024;

/// An upload, its CSRF token checked: the file's chunks, its name and format.
pub struct Upload {
    pub query: UploadQuery,
    pub file: LocalBoxStream<'static, Result<Bytes, Error>>,
    pub reply: Reply,
}

/// How an upload is answered.
#[derive(Clone, Copy)]
pub struct Reply {
    form: bool,
}

impl Reply {
    /// The answer that sends the uploader to `location`: 303 for a form post, 201 for the
    /// script (which follows the `Location` itself).
    pub fn next(self, location: &str) -> HttpResponse {
        if self.form {
            see_other(location)
        } else {
            HttpResponse::Created()
                .insert_header((header::LOCATION, location.to_string()))
                .finish()
        }
    }
}

/// The upload of a request: a form post when its type is `multipart/form-data`, else the
/// script's raw body.
pub async fn receive(
    req: &HttpRequest,
    signed: &Signed,
    query: UploadQuery,
    body: web::Payload,
) -> Result<Upload, WebError> {
    if !is_form_post(req) {
        check_header_csrf(req, signed)?;
        return Ok(Upload {
            query,
            file: body_chunks(body).boxed_local(),
            reply: Reply { form: false },
        });
    }
    let file_begun = Rc::new(Cell::new(false));
    let mut parts = Multipart::new(req.headers(), preamble_capped(body, Rc::clone(&file_begun)));
    let mut csrf_checked = false;
    let mut format = None;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(unreadable_form)?;
        let name = part.name().unwrap_or_default().to_string();
        match name.as_str() {
            CSRF_FIELD => {
                let presented = read_text(&mut part).await?;
                if !same_secret(&presented, &signed.user.csrf_token) {
                    return Err(WebError::CsrfRefused);
                }
                csrf_checked = true;
            }
            FORMAT_FIELD => format = Some(read_text(&mut part).await?),
            FILE_FIELD if csrf_checked => {
                file_begun.set(true);
                let fil = part
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(str::to_string);
                return Ok(Upload {
                    query: UploadQuery { fil, format },
                    file: file_part(parts, part).boxed_local(),
                    reply: Reply { form: true },
                });
            }
            // The file before a valid token (or none): nothing of it is read.
            FILE_FIELD => return Err(WebError::CsrfRefused),
            _ => return Err(bad_form(format!("unknown form field {name:?}"))),
        }
    }
    Err(bad_form("the form has no file part".to_string()))
}

/// Whether a request's body is `multipart/form-data` (a form post without JavaScript).
fn is_form_post(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The script's CSRF token, in the header (the body is the file).
fn check_header_csrf(req: &HttpRequest, signed: &Signed) -> Result<(), WebError> {
    let presented = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if same_secret(presented, &signed.user.csrf_token) {
        Ok(())
    } else {
        Err(WebError::CsrfRefused)
    }
}

fn bad_form(detail: String) -> WebError {
    WebError::Service(Error::problem(ProblemKind::BadRequest, detail))
}

/// The form's body, refused once more than [`MAX_FORM_PREAMBLE_BYTES`] have been read without
/// the file part having begun (a chunk is counted when the next one is asked for, so the chunk
/// that holds the file part's start always gets through).
fn preamble_capped(
    body: web::Payload,
    file_begun: Rc<Cell<bool>>,
) -> impl Stream<Item = Result<Bytes, PayloadError>> {
    let mut read_before_file = 0usize;
    body.map(move |chunk| {
        if !file_begun.get() && read_before_file > MAX_FORM_PREAMBLE_BYTES {
            return Err(PayloadError::Overflow);
        }
        let chunk = chunk?;
        if !file_begun.get() {
            read_before_file = read_before_file.saturating_add(chunk.len());
        }
        Ok(chunk)
    })
}

/// A form body that cannot be read: too slow (408) or a body that fails (400) as any body,
/// else not well-formed `multipart/form-data` (400).
fn unreadable_form(e: MultipartError) -> Error {
    match e {
        MultipartError::Payload(PayloadError::Overflow) => Error::problem(
            ProblemKind::PayloadTooLarge,
            format!(
                "the form sends more than {} KiB before its file part; send the token, the \
                 format and then the file",
                MAX_FORM_PREAMBLE_BYTES / 1024
            ),
        ),
        MultipartError::Payload(e) => unreadable_body(e),
        e => Error::problem(ProblemKind::BadRequest, format!("unreadable form: {e}")),
    }
}

/// The chunks of the file part; the parts reader stays with it while it is read.
fn file_part(parts: Multipart, part: Field) -> impl Stream<Item = Result<Bytes, Error>> {
    futures_util::stream::unfold((parts, part), |(parts, mut part)| async move {
        let chunk = part.next().await?;
        Some((chunk.map_err(unreadable_form), (parts, part)))
    })
}

/// A small text field of a form post.
async fn read_text(part: &mut Field) -> Result<String, WebError> {
    let chunks = part.map(|chunk| chunk.map_err(unreadable_form));
    let data = read_chunks(chunks, MAX_FIELD_BYTES).await?;
    String::from_utf8(Vec::from(data))
        .map_err(|_| bad_form("a form field is not UTF-8".to_string()))
}
