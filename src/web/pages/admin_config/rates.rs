//! "Takster": the rate types by year with their rate per km and TF codes; setting a year's TF
//! codes in one go (all or none), and adding a rate type, e.g. next year's. The services are
//! `/api/v1/rate-types`'s.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};

use super::notice;
use crate::domain::allowance::rates::{is_placeholder_tf_code, RateKind};
use crate::domain::ids::RateTypeId;
use crate::error::{Error, ProblemKind};
use crate::http::AppState;
use crate::services::org::{self, CreateRateType, RateType, TfCodes};
use crate::web::error::{status_of, WebError};
use crate::web::pages::payroll::placeholder_banner;
use crate::web::pages::Choice;
use crate::web::session::{AdminForm, Administrator, FormData, Signed};
use crate::web::texts::payroll::{self as texts, PayrollTexts, PT};
use crate::web::texts::rate_kind;
use crate::web::{format, render, see_other, Framed, Layout, NoticeQuery};

pub struct RateRow {
    pub id: RateTypeId,
    pub kind: &'static str,
    pub period: String,
    pub rate: String,
    pub tf_code: String,
    pub tf_code_2: String,
    pub placeholder: bool,
    pub tf_label: String,
    pub tf2_label: String,
}

pub struct YearGroup {
    pub year: i32,
    pub heading: String,
    pub save: String,
    pub rows: Vec<RateRow>,
    /// This year's TF codes were just refused.
    pub refused: bool,
}

/// The add form's values (kept when it is refused).
#[derive(Default)]
pub struct NewRate {
    pub kinds: Vec<Choice>,
    pub from: String,
    pub to: String,
    pub rate: String,
    pub tf_code: String,
    pub tf_code_2: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "admin_config/rates.html")]
struct RatesPage {
    layout: Layout,
    pt: &'static PayrollTexts,
    banner: bool,
    years: Vec<YearGroup>,
    new: NewRate,
    /// Why the new rate type was not added.
    add_error: Option<String>,
}

/// The rate types by year of their start, newest year first; `refused`: the year whose TF codes
/// were just refused.
fn years(rates: &[RateType], refused: Option<i32>) -> Vec<YearGroup> {
    let mut by_year: BTreeMap<i32, Vec<&RateType>> = BTreeMap::new();
    for r in rates {
        by_year.entry(r.valid_from.year()).or_default().push(r);
    }
    by_year
        .into_iter()
        .rev()
        .map(|(year, mut rates)| {
            rates.sort_by_key(|r| {
                (
                    r.valid_from,
                    RateKind::ALL.iter().position(|&k| k == r.kind),
                )
            });
            YearGroup {
                year,
                heading: texts::rates_year(year),
                save: texts::save_tf_codes_of(year),
                refused: refused == Some(year),
                rows: rates
                    .into_iter()
                    .map(|r| RateRow {
                        id: r.id,
                        kind: rate_kind(r.kind),
                        period: format!(
                            "{} – {}",
                            format::date(r.valid_from),
                            format::date(r.valid_to)
                        ),
                        rate: format::kroner(r.ore_per_km),
                        tf_code: r.tf_code.clone(),
                        tf_code_2: r.tf_code_2.clone().unwrap_or_default(),
                        placeholder: is_placeholder_tf_code(&r.tf_code)
                            || r.tf_code_2.as_deref().is_some_and(is_placeholder_tf_code),
                        tf_label: texts::tf_code_label(r.kind, true, year),
                        tf2_label: texts::tf_code_label(r.kind, false, year),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn kinds(selected: Option<RateKind>) -> Vec<Choice> {
    RateKind::ALL
        .iter()
        .map(|&k| Choice::new(k.as_str(), rate_kind(k), Some(k) == selected))
        .collect()
}

/// The add form for the year after the last rate period (this year's when there is none).
fn next_year(rates: &[RateType]) -> NewRate {
    let year = rates
        .iter()
        .map(|r| r.valid_to.year() + 1)
        .max()
        .unwrap_or_else(|| org::today().year());
    let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).map(|d| d.to_string());
    NewRate {
        kinds: kinds(None),
        from: day(1, 1).unwrap_or_default(),
        to: day(12, 31).unwrap_or_default(),
        ..NewRate::default()
    }
}

async fn page(
    state: &AppState,
    signed: &Signed,
    new: Option<NewRate>,
    tf_error: Option<i32>,
    add_error: Option<String>,
) -> Result<RatesPage, WebError> {
    let (rates, banner) = state
        .db
        .run(|c| Ok((org::all_rate_types(c)?, placeholder_banner(c)?)))
        .await?;
    Ok(RatesPage {
        layout: Layout::signed(signed, PT.rates_title, "rates"),
        pt: &PT,
        banner,
        years: years(&rates, tf_error),
        new: new.unwrap_or_else(|| next_year(&rates)),
        add_error,
    })
}

impl Framed for RatesPage {
    fn layout(&mut self) -> &mut Layout {
        &mut self.layout
    }
}

pub async fn show(
    state: web::Data<AppState>,
    Administrator(signed): Administrator,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    query.ok(page(&state, &signed, None, None, None).await?, notice)
}

/// A year's TF codes: `id` for each rate type on the form, with `tf-{id}` and `tf2-{id}`.
fn tf_codes_of(form: &FormData) -> Vec<TfCodes> {
    form.all("id")
        .into_iter()
        .filter_map(|id| id.parse::<RateTypeId>().ok())
        .map(|id| TfCodes {
            id,
            tf_code: form.get(&format!("tf-{id}")).unwrap_or("").to_string(),
            tf_code_2: form.text(&format!("tf2-{id}")),
        })
        .collect()
}

pub async fn set_tf_codes(
    state: web::Data<AppState>,
    AdminForm { signed, form, .. }: AdminForm,
) -> Result<HttpResponse, WebError> {
    let codes = tf_codes_of(&form);
    let saved = state.db.run(move |c| org::set_tf_codes(c, &codes)).await;
    match saved {
        Ok(_) => Ok(see_other("/admin/takster?besked=loenarter-gemt")),
        Err(Error::Problem(p)) if p.kind == ProblemKind::Validation => {
            let year = form
                .number::<i64>("aar")
                .and_then(|y| i32::try_from(y).ok());
            let page = page(&state, &signed, None, Some(year.unwrap_or(0)), None).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The add form's fields as typed, and the rate type they describe when they parse.
fn new_rate_of(form: &FormData) -> (NewRate, Option<CreateRateType>) {
    let field = |name: &str| form.get(name).unwrap_or("").trim().to_string();
    let kind: Option<RateKind> = form.get("kind").and_then(|k| k.parse().ok());
    let new = NewRate {
        kinds: kinds(kind),
        from: field("fra"),
        to: field("til"),
        rate: field("sats"),
        tf_code: field("tf"),
        tf_code_2: field("tf2"),
        description: field("beskrivelse"),
    };
    let input = (|| {
        let kind = kind?;
        Some(CreateRateType {
            kind,
            valid_from: new.from.parse().ok()?,
            valid_to: new.to.parse().ok()?,
            description: if new.description.is_empty() {
                rate_kind(kind).to_string()
            } else {
                new.description.clone()
            },
            tf_code: new.tf_code.clone(),
            tf_code_2: Some(new.tf_code_2.clone()).filter(|c| !c.is_empty()),
            ore_per_km: format::parse_kroner(&new.rate)?,
            unverified: false,
        })
    })();
    (new, input)
}

pub async fn add(
    state: web::Data<AppState>,
    AdminForm { signed, form, .. }: AdminForm,
) -> Result<HttpResponse, WebError> {
    let (new, input) = new_rate_of(&form);
    let refused = |reason: &str| format!("{} {reason}", PT.rate_refused);
    let Some(input) = input else {
        let error = refused(texts::rate_refusal(ProblemKind::Validation, None));
        let page = page(&state, &signed, Some(new), None, Some(error)).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let created = state.db.run(move |c| org::create_rate_type(c, input)).await;
    match created {
        Ok(_) => Ok(see_other("/admin/takster?besked=takst-tilfoejet")),
        Err(Error::Problem(p))
            if matches!(p.kind, ProblemKind::Validation | ProblemKind::Conflict) =>
        {
            let field = p.extensions.get("field").and_then(|f| f.as_str());
            let error = refused(texts::rate_refusal(p.kind, field));
            let page = page(&state, &signed, Some(new), None, Some(error)).await?;
            render(status_of(p.kind), &page)
        }
        Err(e) => Err(e.into()),
    }
}
