//! Drive reports: the owner's CRUD and lifecycle, an approver's decisions, the audit trail and
//! the yearly summary. The rules are in `services::reports`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;

pub use super::shape::checked;
use super::shape::ok_json;
use crate::domain::ids::ReportId;
use crate::domain::page::PageRequest;
use crate::domain::report::{Account, Comment, TextError};
use crate::domain::users::Role;
use crate::error::{Error, ProblemKind};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::services::org;
use crate::services::reports::{self, Caller, Context, Decision, Expected, Report, ReportInput};

pub fn caller(user: &AuthUser) -> Caller {
    Caller {
        user_id: user.id(),
        admin: user.has(Role::Admin),
        approver: user.has(Role::Approver),
        payroll: user.has(Role::Payroll),
    }
}

pub fn context(state: &AppState) -> Context {
    Context {
        db: state.db.clone(),
        router: state.router.clone(),
        norddjurs_method: state.settings.reports.norddjurs_method,
        home_tolerance_m: state.settings.trips.home_radius_m,
        max_amount_ore: state.settings.reports.max_amount_ore,
    }
}

/// `If-Match: "<version>"` (a weak `W/"<version>"` too). Anything else can match no ETag of
/// ours: 412.
fn if_match(req: &HttpRequest) -> Result<Option<Expected>, Error> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/"))
        .and_then(|v| v.strip_prefix('"')?.strip_suffix('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .map(|v| Some(Expected::IfMatch(v)))
        .ok_or_else(|| {
            Error::problem(
                ProblemKind::PreconditionFailed,
                "If-Match must be the report's ETag, e.g. \"3\"",
            )
        })
}

/// The report, with its version as the ETag.
fn with_etag(status: actix_web::http::StatusCode, report: &Report) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"{}\"", report.version)))
        .json(report)
}

/// An optional JSON body: empty means the defaults (the version may come from If-Match).
fn optional_body<T: DeserializeOwned + Default>(body: &web::Bytes) -> Result<T, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            Error::problem(
                ProblemKind::Validation,
                format!("invalid request body: {e}"),
            )
        } else {
            Error::problem(ProblemKind::MalformedJson, format!("malformed JSON: {e}"))
        }
    })
}

pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<reports::ListQuery>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let (caller, query, page) = (caller(&user), query.into_inner(), checked(page)?);
    ok_json(&state, move |c| reports::list(c, caller, query, page)).await
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<ReportInput>,
) -> Result<HttpResponse, Error> {
    let report = reports::create(&context(&state), caller(&user), body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/reports/{}", report.id)))
        .insert_header((header::ETAG, format!("\"{}\"", report.version)))
        .json(report))
}

pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ReportId>,
) -> Result<HttpResponse, Error> {
    let (caller, id) = (caller(&user), id.into_inner());
    let report = state.db.run(move |c| reports::get(c, caller, id)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &report))
}

pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<ReportId>,
    body: web::Json<ReportInput>,
) -> Result<HttpResponse, Error> {
    let expected = if_match(&req)?;
    let report = reports::update(
        &context(&state),
        caller(&user),
        id.into_inner(),
        expected,
        body.into_inner(),
    )
    .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &report))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    #[serde(default)]
    version: Option<i64>,
}

pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<ReportId>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, Error> {
    let expected = if_match(&req)?.or(query.into_inner().version.map(Expected::Body));
    let (caller, id) = (caller(&user), id.into_inner());
    state
        .db
        .run(move |c| reports::delete(c, caller, id, expected))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ReportId>,
) -> Result<HttpResponse, Error> {
    let (caller, id) = (caller(&user), id.into_inner());
    ok_json(&state, move |c| reports::history(c, caller, id)).await
}

/// The body of a status change: the version (unless If-Match is sent) and a comment.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    comment: Option<String>,
    /// Approval only: book the report to another 10-digit account.
    #[serde(default)]
    account: Option<String>,
}

/// Which decision an endpoint takes, given the comment and account of the body.
type MakeDecision = fn(Option<String>, Option<String>) -> Result<Decision, Error>;

async fn decide(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<ReportId>,
    body: web::Bytes,
    make: MakeDecision,
) -> Result<HttpResponse, Error> {
    let DecisionBody {
        version,
        comment,
        account,
    } = optional_body(&body)?;
    let expected = if_match(&req)?.or(version.map(Expected::Body));
    let decision = make(comment, account)?;
    let (caller, id) = (caller(&user), id.into_inner());
    let report = state
        .db
        .run(move |c| reports::decide(c, caller, id, expected, decision))
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &report))
}

/// A body field the action does not take is refused, not ignored.
fn unused(field: &str, value: Option<String>) -> Result<(), Error> {
    match value {
        Some(_) => Err(Error::validation(field, "not used by this action")),
        None => Ok(()),
    }
}

/// A field of the decision body, parsed by the report's own rule for it.
fn field<T>(name: &str, parsed: Result<T, TextError>) -> Result<T, Error> {
    parsed.map_err(|e| Error::validation(name, e))
}

/// A status-change endpoint: `POST /api/v1/reports/{id}/<action>`.
macro_rules! decision_endpoint {
    ($(#[$doc:meta])* $name:ident => $make:expr) => {
        $(#[$doc])*
        pub async fn $name(
            state: web::Data<AppState>,
            user: AuthUser,
            req: HttpRequest,
            id: web::Path<ReportId>,
            body: web::Bytes,
        ) -> Result<HttpResponse, Error> {
            decide(state, user, req, id, body, $make).await
        }
    };
}

decision_endpoint!(
    /// Draft → pending, by the owner.
    submit => |c, a| unused("comment", c).and(unused("account", a)).map(|()| Decision::Submit)
);
decision_endpoint!(
    /// Pending → draft, by the owner.
    withdraw => |c, a| unused("comment", c).and(unused("account", a)).map(|()| Decision::Withdraw)
);
decision_endpoint!(
    /// Pending → approved, by a responsible approver; the comment is optional.
    approve => |comment, account| Ok(Decision::Approve {
        comment: field("comment", Comment::optional(comment.as_deref()))?,
        account: account.map(|a| field("account", Account::parse(&a))).transpose()?,
    })
);
decision_endpoint!(
    /// Pending → rejected, by a responsible approver, with a comment.
    reject => |c, a| {
        unused("account", a)?;
        let comment = field("comment", Comment::required(c.as_deref()))?;
        Ok(Decision::Reject { comment })
    }
);
decision_endpoint!(
    /// Approved → rejected, by an administrator, with a comment.
    admin_reject => |c, a| {
        unused("account", a)?;
        let comment = field("comment", Comment::required(c.as_deref()))?;
        Ok(Decision::AdminReject { comment })
    }
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    #[serde(default)]
    year: Option<i32>,
}

pub async fn summary(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<SummaryQuery>,
) -> Result<HttpResponse, Error> {
    use chrono::Datelike;
    let caller = caller(&user);
    let year = query
        .into_inner()
        .year
        .unwrap_or_else(|| org::today().year());
    ok_json(&state, move |c| reports::summary(c, caller, year)).await
}
