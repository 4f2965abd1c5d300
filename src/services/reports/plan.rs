//! Planning a report's distance: the input checked against the caller's organisation data,
//! the deduction rule, and the routes asked for (outside any transaction).

use super::pricing::RateBook;
use super::*;
use crate::domain::ids::{PersonId, UserId};

use crate::db::org::{self as org_repo};
use crate::db::reports::{self as repo, ReportContent, TripFacts};
use crate::db::{is_unique_violation, DbConnection};
use crate::domain::allowance::{
    trip_distance, AllowanceError, DistanceMode, HomeRule, HomeWorkDistance, RateKind, TripInput,
};
use crate::domain::org::in_period;
use crate::domain::report::Purpose;
use crate::error::{Error, ProblemKind, Result};
use crate::routing::{Profile, RouteError, RouteService, Waypoint};
use crate::services::org::{self, opt_text, Location};

fn waypoint(l: &Location) -> Waypoint {
    Waypoint {
        latitude: l.latitude,
        longitude: l.longitude,
    }
}

/// Which deduction rule a report gets.
#[derive(Debug, Clone, Copy)]
enum RulePlan {
    Standard,
    FourKm { border_m: i64 },
    Norddjurs,
}

/// The routes a report needs, to be asked for outside any transaction.
#[derive(Debug, Clone, Default)]
struct RouteNeeds {
    /// Through the report's stops (`calculated*`).
    driven: Option<(Profile, Vec<Waypoint>)>,
    /// Home to work, by car (the standard deduction, when no override applies).
    home_work: Option<(Profile, Vec<Waypoint>)>,
    /// Work through the non-home stops (Norddjurs).
    work_route: Option<(Profile, Vec<Waypoint>)>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Routes {
    driven: Option<i64>,
    home_work: Option<i64>,
    work_route: Option<i64>,
}

/// Everything checked and decided before the routes are known.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) person_id: PersonId,
    pub(super) content: ReportContent,
    mode: DistanceMode,
    /// Typed (read) or trip (gps) metres; routed modes take `Routes::driven`.
    known_driven_m: Option<i64>,
    rule: RulePlan,
    override_m: Option<i64>,
    unit_allows_four_km: bool,
    needs: RouteNeeds,
    /// The border distance the phone app sent (4-km rule); `None`: the person's.
    report_border_m: Option<i64>,
}

fn is_home(stop: &Location, home: Option<&Location>, tolerance_m: f64) -> bool {
    home.is_some_and(|h| {
        stop.registry_address_id == h.registry_address_id
            || crate::address::distance_m(
                (stop.latitude, stop.longitude),
                (h.latitude, h.longitude),
            ) <= tolerance_m
    })
}

fn reject_field<T>(field: &str, value: &Option<T>, mode: DistanceMode, why: &str) -> Result<()> {
    if value.is_some() {
        return Err(Error::validation(
            field,
            format!("not used with distance mode {}: {why}", mode.as_str()),
        ));
    }
    Ok(())
}

/// Checks the input against the caller's organisation data (the report belongs to the
/// caller's person) and decides the deduction rule and the routes needed.
fn plan(
    conn: &mut DbConnection,
    norddjurs_method: bool,
    home_tolerance_m: f64,
    routes_measurable: bool,
    caller_user_id: UserId,
    input: ReportInput,
    given_trip: Option<TripFacts>,
) -> Result<Plan> {
    let me = org::my_person(conn, caller_user_id)?;
    let mode = input.distance_mode;
    let purpose = Purpose::parse(&input.purpose)
        .map_err(|e| Error::validation("purpose", e))?
        .into_string();
    let remark = opt_text("remark", input.remark.as_deref(), REMARK_MAX)?;
    if input.route.len() > MAX_STOPS {
        return Err(Error::validation(
            "route",
            format!("at most {MAX_STOPS} stops"),
        ));
    }
    let route = input
        .route
        .into_iter()
        .enumerate()
        .map(|(i, stop)| stop.validated(&format!("route/{i}/")))
        .collect::<Result<Vec<_>>>()?;

    // Mode-specific inputs: each mode takes what it needs and refuses what it would ignore.
    let trip: Option<TripFacts> = match mode {
        DistanceMode::Gps => {
            for (field, present) in [
                ("drive_date", input.drive_date.is_some()),
                ("typed_distance_m", input.typed_distance_m.is_some()),
                ("starts_at_home", input.starts_at_home.is_some()),
                ("ends_at_home", input.ends_at_home.is_some()),
                ("route", !route.is_empty()),
            ] {
                if present {
                    return Err(Error::validation(
                        field,
                        "a GPS report takes its date, distance and home flags from its trip",
                    ));
                }
            }
            let trip = match given_trip {
                Some(trip) => trip,
                None => {
                    let trip_id = input.trip_id.ok_or_else(|| {
                        Error::validation("trip_id", "a GPS report needs its trip")
                    })?;
                    repo::find_trip(conn, trip_id)?
                        .filter(|t| t.user_id == caller_user_id)
                        .ok_or_else(|| Error::validation("trip_id", "no such trip of yours"))?
                }
            };
            if trip.employment_id.is_some_and(|e| e != input.employment_id) {
                return Err(Error::validation(
                    "employment_id",
                    "the trip was recorded for another employment",
                ));
            }
            Some(trip)
        }
        DistanceMode::Read => {
            reject_field("trip_id", &input.trip_id, mode, "only for gps")?;
            None
        }
        DistanceMode::Calculated | DistanceMode::CalculatedWithoutExtraDistance => {
            reject_field("trip_id", &input.trip_id, mode, "only for gps")?;
            reject_field(
                "typed_distance_m",
                &input.typed_distance_m,
                mode,
                "the distance is the route's",
            )?;
            reject_field(
                "starts_at_home",
                &input.starts_at_home,
                mode,
                "it follows from the route",
            )?;
            reject_field(
                "ends_at_home",
                &input.ends_at_home,
                mode,
                "it follows from the route",
            )?;
            if route.len() < 2 {
                return Err(Error::validation(
                    "route",
                    "a calculated route needs at least two stops",
                ));
            }
            None
        }
    };
    let drive_date = match &trip {
        Some(t) => t.local_date,
        None => input
            .drive_date
            .ok_or_else(|| Error::validation("drive_date", "required"))?,
    };

    let employment = org_repo::find_employment(conn, input.employment_id)?
        .filter(|e| e.person_id == me.id)
        .ok_or_else(|| Error::validation("employment_id", "not one of your employments"))?;
    if !in_period(employment.start_date, employment.end_date, drive_date) {
        return Err(Error::validation(
            "employment_id",
            format!("the employment is not valid on {drive_date}"),
        ));
    }
    let unit = org_repo::find_org_unit(conn, employment.org_unit_id)?
        .ok_or_else(|| Error::not_found("org unit"))?;
    if input.four_km_rule && !unit.four_km_rule_allowed {
        return Err(allowance_error(
            "four_km_rule",
            AllowanceError::FourKmRuleNotAllowed,
        ));
    }

    if input.rate_kind == RateKind::CarHighAbove20k {
        return Err(Error::validation(
            "rate_kind",
            "car_high_above_20k is set by the 20,000 km rule; choose car_high",
        ));
    }
    let rates = RateBook::load(conn)?;
    let rate = rates
        .row_for(input.rate_kind, drive_date)
        .ok_or_else(|| {
            allowance_error(
                "rate_kind",
                AllowanceError::NoRate {
                    kind: input.rate_kind,
                    date: drive_date,
                },
            )
        })?
        .clone();
    let profile = if rate.is_bicycle {
        Profile::Bicycle
    } else {
        Profile::Driving
    };

    let vehicles = org_repo::vehicles_of(conn, me.id)?;
    let vehicle_id = match input
        .vehicle_id
        .or(trip.as_ref().and_then(|t| t.vehicle_id))
    {
        Some(id) => Some(
            vehicles
                .iter()
                .find(|v| v.id == id)
                .ok_or_else(|| Error::validation("vehicle_id", "not one of your vehicles"))?
                .id,
        ),
        None if rate.requires_license_plate => Some(
            vehicles
                .iter()
                .find(|v| v.is_primary)
                .ok_or_else(|| {
                    Error::validation(
                        "vehicle_id",
                        "this rate needs a vehicle; register one under /api/v1/me/vehicles",
                    )
                })?
                .id,
        ),
        None => None,
    };

    let typed_distance_m = match mode {
        DistanceMode::Read => {
            let typed = input
                .typed_distance_m
                .ok_or_else(|| Error::validation("typed_distance_m", "required for read"))?;
            if !(1..=MAX_TYPED_DISTANCE_M).contains(&typed) {
                return Err(Error::validation(
                    "typed_distance_m",
                    format!("must be between 1 and {MAX_TYPED_DISTANCE_M} metres"),
                ));
            }
            if remark.is_none() {
                return Err(Error::validation(
                    "remark",
                    "required when the distance is read off the odometer",
                ));
            }
            Some(typed)
        }
        _ => None,
    };

    let places = org::addresses_on(conn, me.id, drive_date)?;
    let home: Option<Location> = places.alternative_home.or(places.home).map(|a| a.location);
    let workplace = places
        .employments
        .into_iter()
        .find(|w| w.employment_id == employment.id);
    let override_m = workplace
        .as_ref()
        .and_then(|w| w.home_work_distance_override_m);
    let work: Option<Location> = workplace
        .and_then(|w| w.alternative_work.or(w.work))
        .map(|a| a.location);

    let (starts_at_home, ends_at_home, known_driven_m) = match (mode, &trip) {
        (DistanceMode::Gps, Some(t)) => (t.starts_at_home, t.ends_at_home, Some(t.distance_m)),
        (DistanceMode::Read, _) => (
            input.starts_at_home.unwrap_or(false),
            input.ends_at_home.unwrap_or(false),
            typed_distance_m,
        ),
        _ => (
            route
                .first()
                .is_some_and(|s| is_home(s, home.as_ref(), home_tolerance_m)),
            route
                .last()
                .is_some_and(|s| is_home(s, home.as_ref(), home_tolerance_m)),
            None,
        ),
    };

    let mut needs = RouteNeeds::default();
    if mode.is_routed() {
        needs.driven = Some((profile, route.iter().map(waypoint).collect()));
    }
    let deducts = mode != DistanceMode::CalculatedWithoutExtraDistance;
    // Norddjurs replaces the home-work deduction of routed and GPS reports: one starting at
    // home is paid the shorter of its route and the route from work through its other stops;
    // one that only ends at home gets no deduction (as OS2). Of a GPS trip only the end is
    // known, so one that starts and ends at home keeps the standard deduction.
    let norddjurs = norddjurs_method
        && !input.four_km_rule
        && match mode {
            DistanceMode::Calculated => true,
            DistanceMode::Gps => !(starts_at_home && ends_at_home),
            _ => false,
        };
    let rule = if input.four_km_rule {
        RulePlan::FourKm {
            // The person's own statement; before they make one, the unit's default.
            border_m: me
                .distance_to_border_m
                .or(unit.distance_to_border_m)
                .unwrap_or(0),
        }
    } else if norddjurs {
        if starts_at_home {
            let work = work.as_ref().ok_or_else(|| {
                Error::validation(
                    "employment_id",
                    format!("no work address is known for this employment on {drive_date}"),
                )
            })?;
            let mut points = vec![waypoint(work)];
            match &trip {
                Some(t) => points.push(Waypoint {
                    latitude: t.end_latitude,
                    longitude: t.end_longitude,
                }),
                None => points.extend(
                    route
                        .iter()
                        .filter(|s| !is_home(s, home.as_ref(), home_tolerance_m))
                        .map(waypoint),
                ),
            }
            // Only home stops: nothing to drive from work to, so the work route is 0 m.
            if points.len() >= 2 {
                needs.work_route = Some((profile, points));
            }
        }
        RulePlan::Norddjurs
    } else {
        RulePlan::Standard
    };
    let home_legs = starts_at_home || ends_at_home;
    if deducts
        && home_legs
        && matches!(rule, RulePlan::Standard)
        && override_m.is_none_or(|o| o <= 0)
    {
        let (Some(home), Some(work)) = (&home, &work) else {
            return Err(Error::validation(
                "starts_at_home",
                format!(
                    "the home-work deduction needs a home and a work address valid on {drive_date}"
                ),
            ));
        };
        if !routes_measurable && !mode.is_routed() {
            // A request that names no route must not be told to change its distance mode (a
            // routed one is told that its route cannot be measured first).
            let field = if starts_at_home {
                "starts_at_home"
            } else {
                "ends_at_home"
            };
            return Err(Error::validation(field, NO_ROUTER_FOR_HOME_WORK));
        }
        needs.home_work = Some((Profile::Driving, vec![waypoint(home), waypoint(work)]));
    }

    let content = ReportContent {
        employment_id: employment.id,
        rate_type_id: rate.id,
        vehicle_id,
        trip_id: trip.as_ref().map(|t| t.id),
        drive_date,
        purpose,
        remark,
        distance_mode: mode,
        is_round_trip: input.round_trip,
        route: serde_json::to_string(&route).map_err(|e| Error::Internal(e.into()))?,
        typed_distance_m,
        starts_at_home,
        ends_at_home,
        four_km_rule: input.four_km_rule,
        route_distance_m: 0,
        home_work_deduction_m: 0,
    };
    Ok(Plan {
        person_id: me.id,
        content,
        mode,
        known_driven_m,
        rule,
        override_m,
        unit_allows_four_km: unit.four_km_rule_allowed,
        report_border_m: None,
        needs,
    })
}

/// Without a route service: why the report cannot be priced, for each route it may need.
const NO_ROUTER_FOR_DRIVEN: &str = "no route service is configured (KORSEL_ROUTER_URL), so a \
     calculated route cannot be measured; report the distance read off the odometer (distance \
     mode \"read\") or a recorded trip (\"gps\")";
const NO_ROUTER_FOR_HOME_WORK: &str = "the home-work deduction needs the distance from home to \
     work, and no route service is configured to measure it: ask an administrator to set a \
     home-work distance override for this employment, or to configure a route service \
     (KORSEL_ROUTER_URL)";
const NO_ROUTER_FOR_WORK_ROUTE: &str = "the Norddjurs method (KORSEL_NORDDJURS_METHOD) compares \
     the route from work, and no route service is configured (KORSEL_ROUTER_URL) to measure it";

async fn ask(
    router: Option<&dyn RouteService>,
    need: &Option<(Profile, Vec<Waypoint>)>,
    without_router: &str,
) -> Result<Option<i64>> {
    let Some((profile, points)) = need else {
        return Ok(None);
    };
    let router =
        router.ok_or_else(|| Error::problem(ProblemKind::RouterUnavailable, without_router))?;
    match router.route(*profile, points).await {
        Ok(metres) => Ok(Some(metres)),
        Err(RouteError::NoRoute(why)) => Err(Error::validation("route", why)),
        Err(e @ RouteError::Unavailable(_)) => {
            tracing::warn!(error = %e, "route service failed");
            Err(Error::problem(
                ProblemKind::RouterUnavailable,
                "the route service did not answer; try again shortly",
            ))
        }
    }
}

async fn fetch_routes(router: Option<&dyn RouteService>, needs: &RouteNeeds) -> Result<Routes> {
    // The three are independent: asked at the same time, a report waits for the slowest only.
    let (driven, home_work, work_route) = tokio::try_join!(
        ask(router, &needs.driven, NO_ROUTER_FOR_DRIVEN),
        ask(router, &needs.home_work, NO_ROUTER_FOR_HOME_WORK),
        ask(router, &needs.work_route, NO_ROUTER_FOR_WORK_ROUTE),
    )?;
    Ok(Routes {
        driven,
        home_work,
        work_route,
    })
}

/// The report's content with its distances, and its distance before the day's 4 km.
fn finish(plan: &Plan, routes: Routes) -> Result<(ReportContent, i64)> {
    let driven_m = match plan.known_driven_m {
        Some(m) => m,
        None => routes
            .driven
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("routed report without a route")))?,
    };
    crate::services::report_limits::distance(plan.mode, driven_m)?;
    let home_work = HomeWorkDistance {
        override_m: plan.override_m,
        route_m: routes.home_work.unwrap_or(0),
    };
    let home_rule = match plan.rule {
        RulePlan::Standard => HomeRule::Standard { home_work },
        RulePlan::FourKm { border_m } => HomeRule::FourKm {
            border_from_person_m: border_m,
            border_from_report_m: plan.report_border_m,
        },
        RulePlan::Norddjurs => HomeRule::Norddjurs {
            work_route_m: routes.work_route.unwrap_or(0),
            home_work,
        },
    };
    let distance = trip_distance(&TripInput {
        mode: plan.mode,
        driven_m,
        starts_at_home: plan.content.starts_at_home,
        ends_at_home: plan.content.ends_at_home,
        round_trip: plan.content.is_round_trip,
        home_rule,
        org_unit_allows_four_km: plan.unit_allows_four_km,
    })
    .map_err(|e| allowance_error("route", e))?;
    let content = ReportContent {
        route_distance_m: distance.driven_m,
        home_work_deduction_m: distance.home_deduction_m,
        ..plan.content.clone()
    };
    Ok((content, distance.distance_m))
}

pub(super) fn trip_taken(e: diesel::result::Error) -> Error {
    if is_unique_violation(&e) {
        Error::problem(
            ProblemKind::Conflict,
            "this trip already has a report; edit that one",
        )
    } else {
        e.into()
    }
}

pub(super) async fn planned(
    ctx: &Context,
    user_id: UserId,
    input: ReportInput,
    source: Source,
) -> Result<(Plan, i64)> {
    let (norddjurs, tolerance) = (ctx.norddjurs_method, ctx.home_tolerance_m);
    let routes_measurable = ctx.router.is_some();
    let Source {
        trip,
        stops,
        border_m,
        ..
    } = source;
    let plan = ctx
        .db
        .run(move |c| {
            plan(
                c,
                norddjurs,
                tolerance,
                routes_measurable,
                user_id,
                input,
                trip,
            )
        })
        .await?;
    let plan = Plan {
        report_border_m: border_m,
        ..plan
    };
    let routes = fetch_routes(ctx.router.as_deref(), &plan.needs).await?;
    let (mut content, distance_m) = finish(&plan, routes)?;
    if !stops.is_empty() {
        content.route = serde_json::to_string(&stops).map_err(|e| Error::Internal(e.into()))?;
    }
    Ok((Plan { content, ..plan }, distance_m))
}
