//! The address registry: autocomplete, reverse geocoding, lookup, washing (any authenticated
//! user) and import (admin). Answers come from the in-memory index, or from the optional
//! upstream when one is configured and answering.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::shape::ok_json;
use crate::address::{AccessAddress, MatchKind, WashCategory};
use crate::error::{Error, ProblemKind};
use crate::http::body_rate::spool_to_file;
use crate::http::extract::{media_type, Admin, AuthUser};
use crate::http::AppState;
use crate::services::addresses::{self as service, ImportFormat, ImportOptions};
use crate::services::org::Location;

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;
/// Longest accepted `q` / `text`.
pub const MAX_TEXT: usize = 200;

/// One address as the API shows it. Coordinates are WGS84 (null when the source had none).
#[derive(Debug, Serialize)]
pub struct AddressOut {
    pub id: Uuid,
    /// `access` (adgangsadresse) or `unit` (adresse: floor/door of an access address).
    pub kind: &'static str,
    pub text: String,
    pub vejnavn: String,
    pub husnr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dor: Option<String>,
    pub supplerendebynavn: Option<String>,
    pub postnr: String,
    pub postnrnavn: String,
    pub kommunekode: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The access address; equals `id` for an access address.
    pub access_address_id: Uuid,
    pub status: u8,
}

impl AddressOut {
    pub fn access(a: &AccessAddress) -> Self {
        let has = a.has_coordinates();
        AddressOut {
            id: a.id,
            kind: "access",
            text: a.betegnelse(),
            vejnavn: a.vejnavn.to_string(),
            husnr: a.husnr.as_str().to_string(),
            etage: None,
            dor: None,
            supplerendebynavn: a.supplerendebynavn.as_deref().map(str::to_string),
            postnr: a.postnr_str(),
            postnrnavn: a.postnrnavn.to_string(),
            kommunekode: a.kommunekode_str(),
            lat: has.then_some(a.lat),
            lon: has.then_some(a.lon),
            access_address_id: a.id,
            status: a.status,
        }
    }
}

/// One autocomplete answer. `address` has exactly the shape a report stop or a person's address
/// takes (`registry_address_id`, `label`, `latitude`, `longitude`), so it can be posted as it
/// is; addresses without coordinates are not suggested (no route could use them).
#[derive(Debug, Serialize)]
pub struct SuggestionOut {
    pub address: Location,
    pub postnr: String,
    pub kommunekode: String,
    /// `exact_prefix`, `folded_prefix`, `word_prefix`, `typo`, `place` or `upstream`.
    #[serde(rename = "match")]
    pub match_kind: &'static str,
    /// 0..1, higher is better; results are sorted by it.
    pub score: f32,
}

fn kind_name(kind: MatchKind) -> &'static str {
    match kind {
        MatchKind::ExactPrefix => "exact_prefix",
        MatchKind::FoldedPrefix => "folded_prefix",
        MatchKind::WordPrefix => "word_prefix",
        MatchKind::Typo(_) => "typo",
        MatchKind::Place => "place",
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The stored-address shape of a registry address; `None` without coordinates.
fn location(id: Uuid, label: String, lat: f64, lon: f64) -> Option<Location> {
    Some(Location {
        registry_address_id: id.to_string(),
        label,
        latitude: finite(lat)?,
        longitude: finite(lon)?,
    })
}

#[derive(Deserialize)]
pub struct AutocompleteQuery {
    q: String,
    limit: Option<u32>,
}

fn check_text(field: &str, s: &str) -> Result<(), Error> {
    if s.trim().is_empty() {
        return Err(Error::validation(field, "must not be empty"));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(Error::validation(
            field,
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

pub async fn autocomplete(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<AutocompleteQuery>,
) -> Result<HttpResponse, Error> {
    let AutocompleteQuery { q, limit } = query.into_inner();
    check_text("q", &q)?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::validation(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if let Some(upstream) = &state.upstream {
        if let Ok(found) = upstream.autocomplete(&q, limit as usize).await {
            let n = found.len().max(1) as f32;
            let out: Vec<SuggestionOut> = found
                .into_iter()
                .enumerate()
                .filter_map(|(i, (text, a))| {
                    Some(SuggestionOut {
                        address: location(a.id, text, a.lat, a.lon)?,
                        postnr: a.postnr_str(),
                        kommunekode: a.kommunekode_str(),
                        match_kind: "upstream",
                        score: 1.0 - i as f32 / n,
                    })
                })
                .collect();
            return Ok(HttpResponse::Ok().json(out));
        }
    }
    let index = state.addresses.index();
    let out: Vec<SuggestionOut> = index
        .autocomplete(&q, limit as usize)
        .into_iter()
        .filter_map(|s| {
            Some(SuggestionOut {
                address: location(s.id, s.text, s.lat, s.lon)?,
                postnr: s.postnr,
                kommunekode: s.kommunekode,
                match_kind: kind_name(s.kind),
                score: s.score,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
pub struct ReverseQuery {
    lat: f64,
    lon: f64,
}

#[derive(Serialize)]
struct ReverseOut {
    address: AddressOut,
    distance_m: f64,
}

pub async fn reverse(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<ReverseQuery>,
) -> Result<HttpResponse, Error> {
    let ReverseQuery { lat, lon } = query.into_inner();
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(Error::validation("lat", "must be a number from -90 to 90"));
    }
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(Error::validation(
            "lon",
            "must be a number from -180 to 180",
        ));
    }
    let radius = state.addresses.reverse_radius_m;
    let beyond = || {
        Error::Problem(
            crate::error::Problem::new(
                ProblemKind::NotFound,
                format!("no address within {radius} m of this point"),
            )
            .with("radius_m", radius),
        )
    };
    if let Some(upstream) = &state.upstream {
        if let Ok(found) = upstream.reverse(lat, lon).await {
            let hit = found
                .filter(|a| a.has_coordinates())
                .map(|a| {
                    let d = crate::address::distance_m((lat, lon), (a.lat, a.lon));
                    (a, d)
                })
                .filter(|(_, d)| *d <= radius);
            return match hit {
                Some((a, d)) => Ok(HttpResponse::Ok().json(ReverseOut {
                    address: AddressOut::access(&a),
                    distance_m: d,
                })),
                None => Err(beyond()),
            };
        }
    }
    let (address, distance_m) = state.addresses.reverse(lat, lon).ok_or_else(beyond)?;
    Ok(HttpResponse::Ok().json(ReverseOut {
        address: AddressOut::access(&address),
        distance_m,
    }))
}

pub async fn show(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let Ok(id) = Uuid::parse_str(&id.into_inner()) else {
        return Err(Error::not_found("address"));
    };
    let index = state.addresses.index();
    if let Some(a) = index.get(&id) {
        return Ok(HttpResponse::Ok().json(AddressOut::access(a)));
    }
    let unit = state
        .db
        .run(move |conn| Ok(crate::db::addresses::unit(conn, &id.to_string())?))
        .await?;
    if let Some(unit) = unit.filter(|u| u.active) {
        let access = Uuid::parse_str(&unit.access_address_id)
            .ok()
            .and_then(|aid| index.get(&aid));
        if let Some(a) = access {
            let model = crate::address::UnitAddress {
                id,
                access_address_id: a.id,
                etage: unit.etage.clone().map(Into::into),
                dor: unit.dor.clone().map(Into::into),
                status: u8::try_from(unit.status).unwrap_or(0),
            };
            let mut out = AddressOut::access(a);
            out.id = id;
            out.kind = "unit";
            out.text = model.betegnelse(a);
            out.etage = unit.etage;
            out.dor = unit.dor;
            out.status = model.status;
            return Ok(HttpResponse::Ok().json(out));
        }
    }
    if let Some(upstream) = &state.upstream {
        if let Ok(Some(a)) = upstream.get(id).await {
            return Ok(HttpResponse::Ok().json(AddressOut::access(&a)));
        }
    }
    Err(Error::not_found("address"))
}

#[derive(Deserialize)]
pub struct WashQuery {
    text: String,
}

#[derive(Serialize)]
struct WashOut {
    category: &'static str,
    score: f32,
    distance: u32,
    address: AddressOut,
    parsed: crate::address::ParsedAddress,
    alternatives: Vec<AddressOut>,
}

pub async fn wash(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<WashQuery>,
) -> Result<HttpResponse, Error> {
    let text = query.into_inner().text;
    check_text("text", &text)?;
    let index = state.addresses.index();
    let result = index
        .wash(&text)
        .ok_or_else(|| Error::problem(ProblemKind::NotFound, "no address resembles this text"))?;
    Ok(HttpResponse::Ok().json(WashOut {
        category: match result.category {
            WashCategory::A => "A",
            WashCategory::B => "B",
            WashCategory::C => "C",
        },
        score: result.score,
        distance: result.distance,
        address: AddressOut::access(result.address),
        parsed: result.parsed.clone(),
        alternatives: result
            .alternatives
            .iter()
            .map(|a| AddressOut::access(a))
            .collect(),
    }))
}

#[derive(Deserialize)]
pub struct ImportQuery {
    format: Option<ImportFormat>,
    #[serde(default)]
    deactivate_missing: bool,
    max_deactivation_percent: Option<f64>,
    #[serde(default)]
    allow_mass_deactivation: bool,
    #[serde(default)]
    skip_invalid: bool,
    #[serde(default)]
    dry_run: bool,
}

impl ImportQuery {
    fn options(&self) -> ImportOptions {
        let defaults = ImportOptions::default();
        ImportOptions {
            deactivate_missing: self.deactivate_missing,
            max_deactivation_percent: self
                .max_deactivation_percent
                .unwrap_or(defaults.max_deactivation_percent),
            allow_mass_deactivation: self.allow_mass_deactivation,
            skip_invalid: self.skip_invalid,
            dry_run: self.dry_run,
        }
    }
}

/// The format a Content-Type names, when the query does not name one.
fn format_for(req: &HttpRequest) -> Result<ImportFormat, Error> {
    match media_type(req).as_str() {
        "text/csv" => Ok(ImportFormat::Csv),
        "application/json" => Ok(ImportFormat::Json),
        "application/x-ndjson" => Ok(ImportFormat::Ndjson),
        // A compressed file says nothing about what it holds: recognised after decompressing.
        "application/gzip" | "application/x-gzip" => Ok(ImportFormat::Auto),
        _ => Err(Error::problem(
            ProblemKind::UnsupportedMediaType,
            "send text/csv, application/json, application/x-ndjson or application/gzip",
        )),
    }
}

/// Streams the body to a temporary file, imports it in a blocking task (one transaction), then
/// rebuilds the index and swaps it in.
pub async fn import(
    state: web::Data<AppState>,
    _: Admin,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    body: web::Payload,
) -> Result<HttpResponse, Error> {
    let options = query.options();
    let format = query.format;
    let by_type = format_for(&req)?;
    let format = match format {
        None | Some(ImportFormat::Auto) => by_type,
        Some(f) => f,
    };
    let limit = state.settings.addresses.max_import_bytes;
    let (file, _) = spool_to_file(body, limit).await?;
    let _one_at_a_time = state.addresses.import_lock.lock().await;
    let registry = state.addresses.clone();
    ok_json(&state, move |conn| {
        service::runs::import_and_install(conn, &registry, file, format, &options)
    })
    .await
}
