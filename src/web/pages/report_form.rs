//! New and edited reports: manual (addresses with autocomplete from the local registry, via
//! points, round trip, home, the 4-km rule, calculated or typed km) and from an uploaded GPS
//! trip. The form becomes the API's `ReportInput` and goes to `services::reports::create` /
//! `update` (then `decide(Submit)` when the user sends it at once); the services decide
//! everything, and a refused field is shown next to that field.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::allowance::distance::DistanceMode;
use crate::domain::allowance::rates::RateKind;
use crate::domain::gps::PipelineParams;
use crate::domain::ids::{EmploymentId, ReportId, TripId, VehicleId};
use crate::domain::report_state::ReportStatus;
use crate::error::{Error, ProblemKind};
use crate::http::handlers::reports::context;
use crate::http::AppState;
use crate::services::org::{self, Location};
use crate::services::reports::{self, Caller, Decision, Expected, Report, ReportInput};
use crate::services::trips::{self, Reader, Trip};
use crate::web::error::WebError;
use crate::web::map::{self, Drawing};
use crate::web::pages::report::{track_markers, unseen};
use crate::web::pages::{no_person, Choice};
use crate::web::session::{FormData, Signed, SignedForm};
use crate::web::texts::{self, Texts, DA};
use crate::web::{format, render, see_other, Layout};

/// At most this many via points on the form (the services allow more through the API).
const MAX_VIA: usize = 10;

/// One address of the route on the form.
pub struct StopView {
    pub index: usize,
    pub name: String,
    pub label: String,
    pub id: String,
    pub lat: String,
    pub lon: String,
}

impl StopView {
    fn empty(index: usize) -> StopView {
        StopView {
            index,
            name: String::new(),
            label: String::new(),
            id: String::new(),
            lat: String::new(),
            lon: String::new(),
        }
    }

    fn of(index: usize, l: &Location) -> StopView {
        StopView {
            index,
            name: String::new(),
            label: l.label.clone(),
            id: l.registry_address_id.clone(),
            lat: l.latitude.to_string(),
            lon: l.longitude.to_string(),
        }
    }

    fn location(&self) -> Option<Location> {
        Some(Location {
            registry_address_id: self.id.clone(),
            label: self.label.clone(),
            latitude: self.lat.parse().ok()?,
            longitude: self.lon.parse().ok()?,
        })
        .filter(|_| !self.id.is_empty())
    }
}

/// A refused field: the element to link to and the message.
#[derive(Debug)]
pub struct FieldError {
    pub target: &'static str,
    pub message: &'static str,
}

/// The trip a GPS report is made from.
pub struct TripView {
    pub id: TripId,
    pub date: String,
    pub km: String,
    pub uncertainty: String,
    pub start: String,
    pub end: String,
    pub map: Option<Drawing>,
}

/// Everything the form shows, whether new, re-shown with errors, or an edit.
#[derive(Default)]
pub struct Fields {
    pub employment: Option<EmploymentId>,
    pub date: String,
    pub purpose: String,
    pub rate: String,
    pub vehicle: Option<VehicleId>,
    pub stops: Vec<StopView>,
    pub round_trip: bool,
    pub starts_home: bool,
    pub ends_home: bool,
    pub four_km: bool,
    pub read: bool,
    pub km: String,
    pub remark: String,
    pub trip: Option<TripId>,
    pub version: Option<i64>,
}

#[derive(Template)]
#[template(path = "report_form.html")]
struct FormPage {
    layout: Layout,
    t: &'static Texts,
    heading: String,
    action: String,
    f: Fields,
    employments: Vec<Choice>,
    rates: Vec<Choice>,
    vehicles: Vec<Choice>,
    four_km_allowed: bool,
    router: bool,
    trip: Option<TripView>,
    errors: Vec<FieldError>,
    /// The status of the report being edited (`None` for a new one).
    editing: Option<ReportStatus>,
}

impl FormPage {
    fn error(&self, target: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|e| e.target == target)
            .map(|e| e.message)
    }

    fn editing_is(&self, status: &str) -> bool {
        self.editing.is_some_and(|s| s.as_str() == status)
    }
}

/// The choices of the signed-in person: employments (with whether their unit allows the 4-km
/// rule), vehicles, and the trip's view when there is one.
struct Options {
    employments: Vec<(org::Employment, String, bool)>,
    vehicles: Vec<org::Vehicle>,
    trip: Option<(Trip, Vec<(f64, f64)>)>,
}

/// What the form offers the caller; `None` for an account linked to no person.
async fn options(
    state: &AppState,
    caller: Caller,
    trip: Option<TripId>,
) -> Result<Option<Options>, Error> {
    state
        .db
        .run(move |c| {
            let Some(me) = org::person_of_user_id(c, caller.user_id)? else {
                return Ok(None);
            };
            let employments = org::my_employments(c, caller.user_id)?
                .into_iter()
                .map(|e| {
                    let unit = org::get_org_unit(c, e.org_unit_id)?;
                    Ok((e, unit.name, unit.four_km_rule_allowed))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let reader = Reader {
                user_id: caller.user_id,
                is_admin: false,
            };
            let trip = match trip {
                Some(id) => Some((
                    trips::get(c, reader, id)?,
                    trips::cleaned_track(c, reader, id, &PipelineParams::default())?,
                )),
                None => None,
            };
            Ok(Some(Options {
                employments,
                vehicles: org::vehicles(c, me.id)?,
                trip,
            }))
        })
        .await
}

fn trip_view(state: &AppState, trip: &Trip, track: &[(f64, f64)]) -> TripView {
    let place = |end: &trips::TripEnd| {
        end.address
            .as_ref()
            .map_or(DA.unknown_address.to_string(), |a| a.label.clone())
    };
    TripView {
        id: trip.id,
        date: format::date(trip.local_date),
        km: format::km(trip.distance_m),
        uncertainty: format!("± {}", format::km(trip.uncertainty_m)),
        start: place(&trip.start),
        end: place(&trip.end),
        map: map::draw(
            track,
            &track_markers(track),
            DA.map_label,
            state.settings.web.map_tile_url.as_deref(),
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    state: &AppState,
    signed: &Signed,
    heading: String,
    action: String,
    mut f: Fields,
    options: Options,
    errors: Vec<FieldError>,
    editing: Option<ReportStatus>,
) -> FormPage {
    let stop_count = f.stops.len().max(2);
    f.stops.resize_with(stop_count, || StopView::empty(0));
    let last = stop_count - 1;
    for (i, stop) in f.stops.iter_mut().enumerate() {
        stop.index = i;
        stop.name = match i {
            0 => DA.stop_from.to_string(),
            i if i == last => DA.stop_to.to_string(),
            i => texts::via_label(i),
        };
    }
    if f.employment.is_none() {
        f.employment = options.employments.first().map(|(e, _, _)| e.id);
    }
    if f.vehicle.is_none() && f.version.is_none() {
        f.vehicle = options.vehicles.iter().find(|v| v.is_primary).map(|v| v.id);
    }
    let rate = if f.rate.is_empty() {
        RateKind::CarHigh.as_str().to_string()
    } else {
        f.rate.clone()
    };
    FormPage {
        layout: Layout::signed(signed, &heading, "new"),
        t: &DA,
        heading,
        action,
        employments: options
            .employments
            .iter()
            .map(|(e, unit, _)| {
                let label = format!("{} – {} ({})", unit, e.position, e.employment_number);
                Choice::new(e.id, label, f.employment == Some(e.id))
            })
            .collect(),
        rates: [RateKind::CarHigh, RateKind::CarLow, RateKind::Bicycle]
            .into_iter()
            .map(|k| Choice::new(k.as_str(), texts::rate_kind(k), rate == k.as_str()))
            .collect(),
        vehicles: std::iter::once(Choice::new("", DA.vehicle_none, f.vehicle.is_none()))
            .chain(options.vehicles.iter().map(|v| {
                let label = if v.description.is_empty() {
                    v.plate.clone()
                } else {
                    format!("{} ({})", v.plate, v.description)
                };
                Choice::new(v.id, label, f.vehicle == Some(v.id))
            }))
            .collect(),
        four_km_allowed: options.employments.iter().any(|(_, _, allowed)| *allowed),
        router: state.router.is_some(),
        trip: options
            .trip
            .as_ref()
            .map(|(trip, track)| trip_view(state, trip, track)),
        errors,
        editing,
        f,
    }
}

/// The form as typed. Stops come as parallel repeated fields, in order.
fn fields_of(form: &FormData) -> Fields {
    let labels = form.all("stop_label");
    let ids = form.all("stop_id");
    let lats = form.all("stop_lat");
    let lons = form.all("stop_lon");
    let stops = labels
        .iter()
        .enumerate()
        .map(|(i, label)| StopView {
            index: i,
            name: String::new(),
            label: label.trim().to_string(),
            id: ids.get(i).copied().unwrap_or("").trim().to_string(),
            lat: lats.get(i).copied().unwrap_or("").to_string(),
            lon: lons.get(i).copied().unwrap_or("").to_string(),
        })
        .collect();
    Fields {
        employment: form.number("ansaettelse"),
        date: form.text("dato").unwrap_or_default(),
        purpose: form.get("formaal").unwrap_or("").to_string(),
        rate: form.text("takst").unwrap_or_default(),
        vehicle: form.number("koeretoej"),
        stops,
        round_trip: form.checked("tur_retur"),
        starts_home: form.checked("starter_hjemme"),
        ends_home: form.checked("slutter_hjemme"),
        four_km: form.checked("fire_km"),
        read: form.get("afstand") == Some("aflaest"),
        km: form.text("km").unwrap_or_default(),
        remark: form.get("bemaerkning").unwrap_or("").to_string(),
        trip: form.number("tur"),
        version: form.number("version"),
    }
}

/// The element of the form a service field name belongs to.
fn target_of(field: &str) -> &'static str {
    let top = field.split(['/', '[', '.']).next().unwrap_or(field);
    match top {
        "employment_id" => "ansaettelse",
        "drive_date" => "dato",
        "purpose" => "formaal",
        "rate_kind" => "takst",
        "vehicle_id" => "koeretoej",
        "route" => "stop-0-label",
        "typed_distance_m" => "km",
        "remark" => "bemaerkning",
        "four_km_rule" => "fire-km",
        "distance_mode" => "afstand-beregnet",
        _ => "formaal",
    }
}

fn refused(field: &str) -> FieldError {
    FieldError {
        target: target_of(field),
        message: texts::field_error(field),
    }
}

/// The API's input from the form; what cannot even be read (a date, a number) is refused here
/// with the same message the service would give.
fn input_of(f: &Fields) -> Result<ReportInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let employment_id = f.employment.unwrap_or_else(|| {
        errors.push(refused("employment_id"));
        EmploymentId(0)
    });
    let rate_kind: RateKind = f.rate.parse().unwrap_or_else(|_| {
        errors.push(refused("rate_kind"));
        RateKind::CarHigh
    });
    let gps = f.trip.is_some();
    let drive_date = if gps {
        None
    } else {
        let parsed = f.date.parse().ok();
        if parsed.is_none() {
            errors.push(refused("drive_date"));
        }
        parsed
    };
    let typed = f.stops.iter().filter(|s| !s.label.is_empty());
    if typed.clone().any(|s| s.location().is_none()) {
        errors.push(refused("route"));
    }
    let route: Vec<Location> = typed.filter_map(StopView::location).collect();
    let typed_distance_m = if f.read && !gps {
        let metres = format::parse_km(&f.km);
        if metres.is_none() {
            errors.push(refused("typed_distance_m"));
        }
        metres
    } else {
        None
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let distance_mode = match (gps, f.read) {
        (true, _) => DistanceMode::Gps,
        (false, true) => DistanceMode::Read,
        (false, false) => DistanceMode::Calculated,
    };
    let remark = Some(f.remark.trim().to_string()).filter(|r| !r.is_empty());
    Ok(ReportInput {
        employment_id,
        rate_kind,
        vehicle_id: f.vehicle,
        drive_date,
        purpose: f.purpose.trim().to_string(),
        remark,
        distance_mode,
        round_trip: f.round_trip && !gps,
        route: if gps { Vec::new() } else { route },
        typed_distance_m,
        starts_at_home: (distance_mode == DistanceMode::Read).then_some(f.starts_home),
        ends_at_home: (distance_mode == DistanceMode::Read).then_some(f.ends_home),
        trip_id: f.trip,
        four_km_rule: f.four_km,
        version: None,
    })
}

/// A service refusal that belongs next to a field; anything else is an error page.
fn field_errors(e: Error) -> Result<Vec<FieldError>, WebError> {
    match &e {
        Error::Problem(p) if p.kind == ProblemKind::Validation => {
            let field = p
                .extensions
                .get("field")
                .and_then(|f| f.as_str())
                .unwrap_or("");
            Ok(vec![refused(field)])
        }
        Error::Problem(p) if p.kind == ProblemKind::RouterUnavailable => Ok(vec![FieldError {
            target: "afstand-beregnet",
            message: DA.router_missing,
        }]),
        _ => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct NewParams {
    tur: Option<TripId>,
}

pub async fn new(
    state: web::Data<AppState>,
    signed: Signed,
    params: web::Query<NewParams>,
) -> Result<HttpResponse, WebError> {
    let trip = params.into_inner().tur;
    let heading = if trip.is_some() {
        DA.from_trip_title
    } else {
        DA.new_report_title
    };
    let Some(options) = options(&state, signed.caller(), trip).await? else {
        return no_person::page(&signed, heading, "new");
    };
    let fields = Fields {
        trip,
        read: state.router.is_none(),
        date: org::today().to_string(),
        ..Fields::default()
    };
    let page = form_page(
        &state,
        &signed,
        heading.to_string(),
        "/indberetninger/ny".to_string(),
        fields,
        options,
        Vec::new(),
        None,
    );
    render(StatusCode::OK, &page)
}

/// Re-shows the form: with one more via point, or with what was refused.
async fn reshow(
    state: &AppState,
    signed: &Signed,
    heading: String,
    action: String,
    fields: Fields,
    errors: Vec<FieldError>,
    editing: Option<ReportStatus>,
) -> Result<HttpResponse, WebError> {
    let Some(options) = options(state, signed.caller(), fields.trip).await? else {
        return no_person::page(signed, &heading, "new");
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = form_page(
        state, signed, heading, action, fields, options, errors, editing,
    );
    render(status, &page)
}

/// Adds an empty via point before the destination, if there is room.
fn add_via(fields: &mut Fields) {
    if fields.stops.len() < MAX_VIA + 2 {
        let at = fields.stops.len().max(2) - 1;
        fields
            .stops
            .resize_with(fields.stops.len().max(2), || StopView::empty(0));
        fields.stops.insert(at, StopView::empty(at));
    }
}

/// After a successful save: send it at once when asked, then show the report.
async fn finish(
    state: &AppState,
    caller: Caller,
    report: Report,
    send: bool,
) -> Result<HttpResponse, WebError> {
    let id = report.id;
    if send && report.status == ReportStatus::Draft {
        let expected = Some(Expected::Body(report.version));
        state
            .db
            .run(move |c| reports::decide(c, caller, id, expected, Decision::Submit))
            .await?;
        return Ok(see_other(&format!("/indberetninger/{id}?besked=indsendt")));
    }
    let done = if report.status == ReportStatus::Draft {
        "gemt"
    } else {
        "indsendt"
    };
    Ok(see_other(&format!("/indberetninger/{id}?besked={done}")))
}

pub async fn create(
    state: web::Data<AppState>,
    form: SignedForm,
) -> Result<HttpResponse, WebError> {
    let heading = if form.form.number::<i64>("tur").is_some() {
        DA.from_trip_title
    } else {
        DA.new_report_title
    };
    let target = Target {
        heading: heading.to_string(),
        action: "/indberetninger/ny".to_string(),
        editing: None,
    };
    submit(&state, form, target).await
}

/// Where a submitted form goes: a new report, or the edit of one (its id and status).
struct Target {
    heading: String,
    action: String,
    editing: Option<(ReportId, ReportStatus)>,
}

/// A submitted form, new or edited: one more via point, or the save (then the send, when
/// asked), or the form again with what was refused.
async fn submit(
    state: &AppState,
    form: SignedForm,
    target: Target,
) -> Result<HttpResponse, WebError> {
    let SignedForm { signed, form } = form;
    let mut fields = fields_of(&form);
    let Target {
        heading,
        action,
        editing,
    } = target;
    let status = editing.map(|(_, status)| status);
    if form.get("knap") == Some("tilfoej-via") {
        add_via(&mut fields);
        return reshow(state, &signed, heading, action, fields, Vec::new(), status).await;
    }
    let input = match input_of(&fields) {
        Ok(input) => input,
        Err(errors) => {
            return reshow(state, &signed, heading, action, fields, errors, status).await
        }
    };
    let (ctx, caller) = (context(state), signed.caller());
    let saved = match editing {
        None => reports::create(&ctx, caller, input).await,
        Some((id, _)) => {
            let expected = fields.version.map(Expected::Body);
            match reports::update(&ctx, caller, id, expected, input).await {
                // Changed meanwhile (withdrawn, approved): the report page shows how it is now.
                Err(Error::Problem(p))
                    if matches!(p.kind, ProblemKind::VersionConflict | ProblemKind::Conflict) =>
                {
                    return Ok(see_other(&format!("/indberetninger/{id}")));
                }
                other => other,
            }
        }
    };
    match saved {
        Ok(report) => finish(state, caller, report, form.get("knap") == Some("indsend")).await,
        Err(e) => {
            let errors = field_errors(e)?;
            reshow(state, &signed, heading, action, fields, errors, status).await
        }
    }
}

fn fields_of_report(r: &Report) -> Fields {
    Fields {
        employment: Some(r.employment_id),
        date: r.drive_date.to_string(),
        purpose: r.purpose.clone(),
        rate: r.rate_kind.as_str().to_string(),
        vehicle: r.vehicle_id,
        stops: r
            .route
            .iter()
            .enumerate()
            .map(|(i, l)| StopView::of(i, l))
            .collect(),
        round_trip: r.round_trip,
        starts_home: r.starts_at_home,
        ends_home: r.ends_at_home,
        four_km: r.four_km_rule,
        read: r.distance_mode == DistanceMode::Read,
        km: r.typed_distance_m.map(format::km_input).unwrap_or_default(),
        remark: r.remark.clone().unwrap_or_default(),
        trip: r.trip_id,
        version: Some(r.version),
    }
}

/// The report to edit: the owner's, through the same read as the API (404 otherwise).
async fn editable(state: &AppState, signed: &Signed, id: ReportId) -> Result<Report, WebError> {
    let caller = signed.caller();
    let report = state
        .db
        .run(move |c| reports::get(c, caller, id))
        .await
        .map_err(unseen)?;
    let mine = state
        .db
        .run(move |c| org::person_of_user_id(c, caller.user_id))
        .await?
        .is_some_and(|p| p.id == report.person_id);
    if !mine {
        return Err(Error::not_found("report").into());
    }
    Ok(report)
}

pub async fn edit(
    state: web::Data<AppState>,
    signed: Signed,
    id: web::Path<ReportId>,
) -> Result<HttpResponse, WebError> {
    let report = editable(&state, &signed, id.into_inner()).await?;
    let fields = fields_of_report(&report);
    reshow(
        &state,
        &signed,
        DA.edit_report_title.to_string(),
        format!("/indberetninger/{}/ret", report.id),
        fields,
        Vec::new(),
        Some(report.status),
    )
    .await
}

pub async fn save(
    state: web::Data<AppState>,
    id: web::Path<ReportId>,
    form: SignedForm,
) -> Result<HttpResponse, WebError> {
    let report = editable(&state, &form.signed, id.into_inner()).await?;
    let target = Target {
        heading: DA.edit_report_title.to_string(),
        action: format!("/indberetninger/{}/ret", report.id),
        editing: Some((report.id, report.status)),
    };
    submit(&state, form, target).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(label: &str, id: &str) -> StopView {
        StopView {
            label: label.into(),
            id: id.into(),
            lat: "56.1".into(),
            lon: "10.2".into(),
            ..StopView::empty(0)
        }
    }

    #[test]
    fn typed_km_become_metres_and_unchosen_addresses_are_refused() {
        let fields = Fields {
            employment: Some(EmploymentId(3)),
            date: "2026-12-01".into(),
            purpose: " Hjemmebesøg ".into(),
            rate: "car_high".into(),
            read: true,
            km: "12,3".into(),
            stops: vec![stop("Hjemvej 1", "a"), stop("", "")],
            ..Fields::default()
        };
        let input = input_of(&fields).unwrap();
        assert_eq!(input.typed_distance_m, Some(12_300));
        assert_eq!(input.distance_mode, DistanceMode::Read);
        assert_eq!(input.route.len(), 1);
        assert_eq!(input.purpose, "Hjemmebesøg");

        let typed_only = Fields {
            stops: vec![stop("Hjemvej 1", "")],
            km: "x".into(),
            ..fields
        };
        let targets: Vec<_> = input_of(&typed_only)
            .unwrap_err()
            .iter()
            .map(|e| e.target)
            .collect();
        assert_eq!(targets, ["stop-0-label", "km"]);
    }

    #[test]
    fn a_via_point_goes_before_the_destination() {
        let mut fields = Fields {
            stops: vec![stop("A", "a"), stop("B", "b")],
            ..Fields::default()
        };
        add_via(&mut fields);
        let labels: Vec<_> = fields.stops.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["A", "", "B"]);
    }
}
