//! One report: what was driven (map, stops), every line of the amount, the audit history, and
//! the actions the viewer may take: the owner's (submit, withdraw, delete, edit) and the
//! approver's (approve, approve to another account, reject). Each action is the service call
//! the API's `POST /api/v1/reports/{id}/<action>` makes, with the version the page showed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::domain::gps::PipelineParams;
use crate::domain::ids::ReportId;
use crate::domain::report::{Account, Comment, TextError};
use crate::domain::report_state::ReportStatus;
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::org;
use crate::services::reports::{self, Decision, Expected, Report};
use crate::services::trips::{self, Reader};
use crate::web::error::WebError;
use crate::web::map::{self, Drawing, Marker, MarkerKind};
use crate::web::pages::{flags, status_class};
use crate::web::session::{Signed, SignedForm};
use crate::web::texts::{self, Texts, DA};
use crate::web::{format, notice, render, see_other, Framed, Layout, NoticeQuery};

pub struct LineView {
    pub tf_code: String,
    pub rate: String,
    pub km: String,
    pub ore_per_km: String,
    pub amount: String,
}

pub struct EventView {
    pub when: String,
    pub who: String,
    pub what: &'static str,
    pub comment: String,
}

/// A problem with the last action, shown on the page instead of an error page.
#[derive(Default)]
pub struct Trouble {
    /// Shown at the top (a stale version, say).
    pub alert: Option<&'static str>,
    /// Which decision field was refused, and why.
    pub field: Option<&'static str>,
    pub field_message: &'static str,
    /// What the approver had typed, kept.
    pub comment: String,
    pub account: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    layout: Layout,
    t: &'static Texts,
    heading: String,
    r: Report,
    date: String,
    status: &'static str,
    status_class: &'static str,
    mode: &'static str,
    rate: &'static str,
    stops: Vec<String>,
    route_km: String,
    home_work_km: String,
    four_km_km: String,
    reimbursable_km: String,
    amount: String,
    lines: Vec<LineView>,
    events: Vec<EventView>,
    map: Option<Drawing>,
    owner: bool,
    can_decide: bool,
    flags: Vec<String>,
    trouble: Trouble,
}

impl ReportPage {
    fn is(&self, status: &str) -> bool {
        self.r.status.as_str() == status
    }
}

struct Loaded {
    report: Report,
    events: Vec<reports::Event>,
    owner: bool,
    track: Vec<(f64, f64)>,
    flags: Vec<String>,
}

/// A report the caller may not read or act on is, to them, a report that does not exist (the
/// report services answer such a read with 403; a page does not confirm that it exists).
pub fn unseen(e: Error) -> Error {
    match e {
        Error::Problem(p) if p.kind == ProblemKind::Forbidden => Error::not_found("report"),
        other => other,
    }
}

async fn load(state: &AppState, signed: &Signed, id: ReportId) -> Result<Loaded, Error> {
    let caller = signed.caller();
    state
        .db
        .run(move |c| {
            let report = reports::get(c, caller, id)?;
            let events = reports::history(c, caller, id)?;
            let me = org::person_of_user_id(c, caller.user_id)?;
            let owner = me.is_some_and(|p| p.id == report.person_id);
            let reader = Reader {
                user_id: caller.user_id,
                is_admin: caller.admin,
            };
            let track = match report.trip_id {
                Some(trip) => trips::cleaned_track(c, reader, trip, &PipelineParams::default())?,
                None => Vec::new(),
            };
            let flags = if owner {
                Vec::new()
            } else {
                flags::of_reports(c, std::slice::from_ref(&report))?
                    .pop()
                    .unwrap_or_default()
            };
            Ok(Loaded {
                report,
                events,
                owner,
                track,
                flags,
            })
        })
        .await
        .map_err(unseen)
}

/// The route's markers: start, numbered stops, end.
pub fn markers(stops: &[org::Location]) -> Vec<Marker> {
    let last = stops.len().saturating_sub(1);
    stops
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (kind, label) = match i {
                0 => (MarkerKind::Start, DA.map_start.to_string()),
                i if i == last => (MarkerKind::End, DA.map_end.to_string()),
                i => (MarkerKind::Stop, i.to_string()),
            };
            Marker {
                latitude: s.latitude,
                longitude: s.longitude,
                title: format!("{label}: {}", s.label),
                label,
                kind,
            }
        })
        .collect()
}

/// A GPS track's start and end markers.
pub fn track_markers(track: &[(f64, f64)]) -> Vec<Marker> {
    let end = |(lat, lon): (f64, f64), kind, label: &str| Marker {
        latitude: lat,
        longitude: lon,
        label: label.to_string(),
        title: label.to_string(),
        kind,
    };
    match (track.first(), track.last()) {
        (Some(&a), Some(&b)) => vec![
            end(a, MarkerKind::Start, DA.map_start),
            end(b, MarkerKind::End, DA.map_end),
        ],
        _ => Vec::new(),
    }
}

fn page(state: &AppState, signed: &Signed, loaded: Loaded, trouble: Trouble) -> ReportPage {
    let Loaded {
        report: r,
        events,
        owner,
        track,
        flags,
    } = loaded;
    let tiles = state.settings.web.map_tile_url.as_deref();
    let map = if track.len() >= 2 {
        map::draw(&track, &track_markers(&track), DA.map_label, tiles)
    } else {
        // A route is drawn as straight legs between its stops (the router's line is not kept).
        let points: Vec<(f64, f64)> = r.route.iter().map(|s| (s.latitude, s.longitude)).collect();
        map::draw(&points, &markers(&r.route), DA.map_label, tiles)
    };
    let heading = texts::report_heading(r.id);
    ReportPage {
        layout: Layout::signed(signed, &heading, if owner { "reports" } else { "queue" }),
        t: &DA,
        heading,
        date: format::date(r.drive_date),
        status: texts::status(r.status),
        status_class: status_class(r.status),
        mode: texts::distance_mode(r.distance_mode),
        rate: texts::rate_kind(r.rate_kind),
        stops: r.route.iter().map(|s| s.label.clone()).collect(),
        route_km: format::km(r.route_distance_m),
        home_work_km: format::km(r.home_work_deduction_m),
        four_km_km: format::km(r.four_km_deduction_m),
        reimbursable_km: format::km(r.reimbursable_m),
        amount: format::kroner(r.amount_ore),
        lines: r
            .lines
            .iter()
            .map(|l| LineView {
                tf_code: l.tf_code.clone(),
                rate: texts::rate_kind(l.rate_kind).to_string(),
                km: format::km(l.distance_m),
                ore_per_km: format::kroner(l.ore_per_km),
                amount: format::kroner(l.amount_ore),
            })
            .collect(),
        events: events
            .iter()
            .map(|e| EventView {
                when: format::date_time(e.at),
                who: e.actor_username.clone().unwrap_or_default(),
                what: texts::event(&e.action),
                comment: e.comment.clone().unwrap_or_default(),
            })
            .collect(),
        map,
        owner,
        can_decide: !owner && signed.caller().approver && r.status == ReportStatus::Pending,
        flags,
        trouble,
        r,
    }
}

impl Framed for ReportPage {
    fn layout(&mut self) -> &mut Layout {
        &mut self.layout
    }
}

pub async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    id: web::Path<ReportId>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let loaded = load(&state, &signed, id.into_inner()).await?;
    query.ok(page(&state, &signed, loaded, Trouble::default()), notice)
}

/// What the form asked for.
enum Act {
    Delete,
    Decide(Decision, &'static str),
}

/// The form's action, with its comment and account parsed by the report's own rules (a
/// refused field is the validation problem the API would answer).
fn act_of(form: &crate::web::session::FormData) -> Option<Result<Act, Error>> {
    let comment = form.text("kommentar");
    let field = |name: &str, e: TextError| Error::validation(name, e);
    Some(match form.get("handling")? {
        "indsend" => Ok(Act::Decide(Decision::Submit, "indsendt")),
        "traek-tilbage" => Ok(Act::Decide(Decision::Withdraw, "trukket-tilbage")),
        "slet" => Ok(Act::Delete),
        "godkend" => Comment::optional(comment.as_deref())
            .map_err(|e| field("comment", e))
            .and_then(|comment| {
                let account = form.text("konto").map(|a| Account::parse(&a)).transpose();
                Ok(Decision::Approve {
                    comment,
                    account: account.map_err(|e| field("account", e))?,
                })
            })
            .map(|d| Act::Decide(d, "godkendt")),
        "afvis" => Comment::required(comment.as_deref())
            .map_err(|e| field("comment", e))
            .map(|comment| Act::Decide(Decision::Reject { comment }, "afvist")),
        _ => return None,
    })
}

/// `POST /indberetninger/{id}`: one of the report's actions, with the version the page showed.
/// A stale version or a refused field re-shows the report with the reason; nothing else is
/// special-cased.
pub async fn act(
    state: web::Data<AppState>,
    id: web::Path<ReportId>,
    form: SignedForm,
) -> Result<HttpResponse, WebError> {
    let SignedForm { signed, form } = form;
    let id = id.into_inner();
    let act =
        act_of(&form).ok_or_else(|| Error::problem(ProblemKind::BadRequest, "unknown action"))?;
    let expected = form.number("version").map(Expected::Body);
    let caller = signed.caller();
    let outcome = match act {
        Err(refused) => Err(refused),
        Ok(Act::Delete) => state
            .db
            .run(move |c| reports::delete(c, caller, id, expected))
            .await
            .map(|()| "/?besked=slettet".to_string()),
        Ok(Act::Decide(decision, done)) => {
            let approver_done =
                matches!(decision, Decision::Approve { .. } | Decision::Reject { .. });
            state
                .db
                .run(move |c| reports::decide(c, caller, id, expected, decision))
                .await
                .map(|_| {
                    if approver_done {
                        format!("/godkendelse?besked={done}")
                    } else {
                        format!("/indberetninger/{id}?besked={done}")
                    }
                })
        }
    };
    let problem = match outcome.map_err(unseen) {
        Ok(location) => return Ok(see_other(&location)),
        Err(Error::Problem(p)) => p,
        Err(e) => return Err(e.into()),
    };
    let mut trouble = Trouble {
        comment: form.text("kommentar").unwrap_or_default(),
        account: form.text("konto").unwrap_or_default(),
        ..Trouble::default()
    };
    let status = match problem.kind {
        ProblemKind::VersionConflict
        | ProblemKind::PreconditionFailed
        | ProblemKind::PreconditionRequired
        | ProblemKind::Conflict => {
            trouble.alert = Some(DA.stale_version);
            StatusCode::CONFLICT
        }
        ProblemKind::Validation => {
            let field = problem
                .extensions
                .get("field")
                .and_then(|f| f.as_str())
                .unwrap_or("");
            trouble.field = Some(if field.starts_with("account") {
                "konto"
            } else {
                "kommentar"
            });
            trouble.field_message = texts::field_error(field);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => return Err(Error::Problem(problem).into()),
    };
    let loaded = load(&state, &signed, id).await?;
    render(status, &page(&state, &signed, loaded, trouble))
}
