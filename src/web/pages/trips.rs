//! "Mine ture": the GPS trips the phone uploaded (date, km, start and end addresses), and one
//! trip's track on a map with a way to make a report of it.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::gps::PipelineParams;
use crate::domain::ids::TripId;
use crate::http::AppState;
use crate::services::trips::{self, Reader, Trip, TripEnd};
use crate::web::error::WebError;
use crate::web::map::{self, Drawing};
use crate::web::pages::report::track_markers;
use crate::web::pages::{page_request, Pager};
use crate::web::session::Signed;
use crate::web::texts::{Texts, DA};
use crate::web::{format, ok, Layout};

pub struct TripRow {
    pub href: String,
    pub date: String,
    pub km: String,
    pub uncertainty: String,
    pub start: String,
    pub end: String,
}

fn place(end: &TripEnd) -> String {
    end.address
        .as_ref()
        .map_or(DA.unknown_address.to_string(), |a| a.label.clone())
}

impl TripRow {
    fn of(t: &Trip) -> TripRow {
        TripRow {
            href: format!("/ture/{}", t.id),
            date: format::date(t.local_date),
            km: format::km(t.distance_m),
            uncertainty: format!("± {}", format::km(t.uncertainty_m)),
            start: place(&t.start),
            end: place(&t.end),
        }
    }
}

#[derive(Template)]
#[template(path = "trips.html")]
struct TripsPage {
    layout: Layout,
    t: &'static Texts,
    rows: Vec<TripRow>,
    pager: Pager,
}

#[derive(Deserialize)]
pub struct TripsParams {
    side: Option<u32>,
}

pub async fn list(
    state: web::Data<AppState>,
    signed: Signed,
    params: web::Query<TripsParams>,
) -> Result<HttpResponse, WebError> {
    let (user_id, page) = (signed.user.user_id, page_request(params.side));
    let found = state
        .db
        .run(move |c| trips::list_mine(c, user_id, page))
        .await?;
    ok(&TripsPage {
        layout: Layout::signed(&signed, DA.trips_title, "trips"),
        t: &DA,
        rows: found.items.iter().map(TripRow::of).collect(),
        pager: Pager::of(&found, "/ture", ""),
    })
}

#[derive(Template)]
#[template(path = "trip.html")]
struct TripPage {
    layout: Layout,
    t: &'static Texts,
    id: TripId,
    row: TripRow,
    map: Option<Drawing>,
    own: bool,
}

pub async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    id: web::Path<TripId>,
) -> Result<HttpResponse, WebError> {
    let caller = signed.caller();
    let reader = Reader {
        user_id: caller.user_id,
        is_admin: caller.admin,
    };
    let id = id.into_inner();
    let (trip, track) = state
        .db
        .run(move |c| {
            Ok((
                trips::get(c, reader, id)?,
                trips::cleaned_track(c, reader, id, &PipelineParams::default())?,
            ))
        })
        .await?;
    let row = TripRow::of(&trip);
    let heading = format!("{} {}", DA.trip_title, row.date);
    ok(&TripPage {
        layout: Layout::signed(&signed, &heading, "trips"),
        t: &DA,
        id: trip.id,
        map: map::draw(
            &track,
            &track_markers(&track),
            DA.map_label,
            state.settings.web.map_tile_url.as_deref(),
        ),
        own: trip.user_id == caller.user_id,
        row,
    })
}
