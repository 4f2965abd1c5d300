//! GPS trips uploaded by phones (JSON or GPX) and read back by their owner and approvers.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::shape::{checked, ok_json};
use crate::domain::gps::{parse_gpx, GpxError, PipelineParams};
use crate::domain::ids::{EmploymentId, TripId, VehicleId};
use crate::domain::page::PageRequest;
use crate::domain::users::Role;
use crate::error::{Error, ProblemKind};
use crate::http::extract::{media_type, read_body, AuthUser};
use crate::http::AppState;
use crate::services::trips::{self, Reader, TripContext, TripUpload, Uploaded};

/// For GPX uploads, which carry only points: the trip's other fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpxParams {
    client_trip_id: Option<Uuid>,
    employment_id: Option<EmploymentId>,
    vehicle_id: Option<VehicleId>,
    purpose: Option<String>,
}

fn reader(user: &AuthUser) -> Reader {
    Reader {
        user_id: user.id(),
        is_admin: user.has(Role::Admin),
    }
}

/// `POST /api/v1/trips`: 201 with the new trip, or 200 with the trip an identical earlier
/// upload created.
pub async fn upload(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: web::Query<GpxParams>,
    body: web::Payload,
) -> Result<HttpResponse, Error> {
    let media_type = media_type(&req);
    let bytes = read_body(body, state.settings.trips.max_upload_bytes).await?;
    let upload = match media_type.as_str() {
        "application/json" => from_json(&bytes)?,
        "application/gpx+xml" => from_gpx(&bytes, query.into_inner())?,
        _ => {
            return Err(Error::problem(
                ProblemKind::UnsupportedMediaType,
                "send application/json or application/gpx+xml",
            ))
        }
    };
    let user_id = user.id();
    let app = state.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let ctx = TripContext {
                registry: &app.addresses,
                params: &PipelineParams::default(),
                home_radius_m: app.settings.trips.home_radius_m,
                address_radius_m: app.settings.addresses.reverse_radius_m,
                now: chrono::Utc::now(),
            };
            trips::upload(conn, user_id, upload, &ctx)
        })
        .await?;
    Ok(match outcome {
        Uploaded::Created(trip) => HttpResponse::Created()
            .insert_header(("Location", format!("/api/v1/trips/{}", trip.id)))
            .json(trip),
        Uploaded::Replayed(trip) => HttpResponse::Ok().json(trip),
    })
}

/// Data errors name their place (`points[3].timestamp: ...`), so a phone developer can find it.
/// A valid body is parsed once without path tracking; only a refused one is parsed again with it,
/// for the message.
fn from_json(bytes: &[u8]) -> Result<TripUpload, Error> {
    if let Ok(upload) = serde_json::from_slice(bytes) {
        return Ok(upload);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let upload: TripUpload = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            Error::validation(&field_of(&path, &inner.to_string()), inner)
        } else {
            Error::problem(
                ProblemKind::MalformedJson,
                format!("malformed JSON: {inner}"),
            )
        }
    })?;
    deserializer
        .end()
        .map_err(|e| Error::problem(ProblemKind::MalformedJson, format!("malformed JSON: {e}")))?;
    Ok(upload)
}

/// The path of a data error, completed with the field a "missing field" or "unknown field"
/// message names (serde reports those at the enclosing object).
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        (".", Some(name)) => name.to_string(),
        (_, Some(name)) if !path.ends_with(name) => format!("{path}.{name}"),
        _ => path.to_string(),
    }
}

fn from_gpx(bytes: &[u8], params: GpxParams) -> Result<TripUpload, Error> {
    let client_trip_id = params.client_trip_id.ok_or_else(|| {
        Error::validation(
            "client_trip_id",
            "a GPX upload needs the client_trip_id query parameter",
        )
    })?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::validation("body", "a GPX document must be UTF-8"))?;
    let points = parse_gpx(text).map_err(|e| match e {
        GpxError::NotGpx => Error::validation("body", e),
        _ => Error::validation(&gpx_field(&e), e),
    })?;
    Ok(TripUpload {
        client_trip_id,
        points,
        employment_id: params.employment_id,
        vehicle_id: params.vehicle_id,
        purpose: params.purpose,
    })
}

fn gpx_field(e: &GpxError) -> String {
    match e {
        GpxError::NotGpx => "body".into(),
        GpxError::Unterminated { index } => format!("points[{index}]"),
        GpxError::MissingAttribute { index, name } => format!("points[{index}].{name}"),
        GpxError::InvalidNumber { index, field, .. } => format!("points[{index}].{field}"),
        GpxError::MissingTime { index } | GpxError::InvalidTime { index, .. } => {
            format!("points[{index}].timestamp")
        }
    }
}

pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let page = checked(page)?;
    let user_id = user.id();
    ok_json(&state, move |conn| trips::list_mine(conn, user_id, page)).await
}

pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<TripId>,
) -> Result<HttpResponse, Error> {
    let (reader, id) = (reader(&user), id.into_inner());
    ok_json(&state, move |conn| trips::get(conn, reader, id)).await
}

pub async fn track(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<TripId>,
) -> Result<HttpResponse, Error> {
    let (reader, id) = (reader(&user), id.into_inner());
    let geojson = state
        .db
        .run(move |conn| trips::track_geojson(conn, reader, id, &PipelineParams::default()))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .json(geojson))
}
