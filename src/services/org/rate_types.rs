//! Rate types: the rate table, its seed and the administration's create, update and list.

use super::*;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::org::{self as repo};
use crate::db::{write_transaction, DbConnection};
use crate::domain::allowance::rates::{seed_rates, RateKind};
use crate::domain::ids::RateTypeId;
use crate::domain::page::{Page, PageRequest};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct RateType {
    pub id: RateTypeId,
    pub kind: RateKind,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub description: String,
    pub tf_code: String,
    pub tf_code_2: Option<String>,
    pub requires_license_plate: bool,
    pub is_bicycle: bool,
    pub ore_per_km: i64,
    pub unverified: bool,
}

fn rate_description(kind: RateKind) -> &'static str {
    match kind {
        RateKind::CarHigh => "Car, high rate (with driving authorisation, first 20,000 km)",
        RateKind::CarHighAbove20k => "Car, high rate above 20,000 km in the year",
        RateKind::CarLow => "Car, low rate",
        RateKind::Bicycle => "Bicycle, moped or scooter",
    }
}

/// On an empty table, stores the rates of `domain::allowance::rates::seed_rates()`
/// (2022–2026; 2022 in two periods). Returns how many were inserted.
pub fn seed_rate_types(conn: &mut DbConnection) -> Result<usize> {
    write_transaction(conn, |conn| {
        if repo::count_rate_types(conn)? > 0 {
            return Ok(0);
        }
        let rates = seed_rates();
        for r in &rates {
            // One row per statement: no multi-row INSERT through the MultiConnection.
            repo::insert_rate_type(
                conn,
                &repo::NewRateType {
                    kind: r.kind,
                    valid_from: r.valid_from,
                    valid_to: r.valid_to,
                    description: rate_description(r.kind),
                    tf_code: &r.tf_code,
                    tf_code_2: None,
                    requires_license_plate: r.kind != RateKind::Bicycle,
                    is_bicycle: r.kind == RateKind::Bicycle,
                    ore_per_km: r.ore_per_km,
                    unverified: r.unverified,
                },
            )?;
        }
        Ok(rates.len())
    })
}

impl From<repo::RateTypeRow> for RateType {
    fn from(r: repo::RateTypeRow) -> Self {
        RateType {
            id: r.id,
            kind: r.kind,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            description: r.description,
            tf_code: r.tf_code,
            tf_code_2: r.tf_code_2,
            requires_license_plate: r.requires_license_plate,
            is_bicycle: r.is_bicycle,
            ore_per_km: r.ore_per_km,
            unverified: r.unverified,
        }
    }
}

pub fn get_rate_type(conn: &mut DbConnection, id: RateTypeId) -> Result<RateType> {
    Ok(repo::find_rate_type(conn, id)?
        .ok_or_else(|| Error::not_found("rate type"))?
        .into())
}

pub fn list_rate_types(conn: &mut DbConnection, page: PageRequest) -> Result<Page<RateType>> {
    let total = repo::count_rate_types(conn)?;
    let items = repo::list_rate_types(conn, page.offset(), page.limit())?
        .into_iter()
        .map(RateType::from)
        .collect();
    Ok(Page::new(items, page, total))
}

/// A new rate period (e.g. next year's rates), admin only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRateType {
    pub kind: RateKind,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub description: String,
    pub tf_code: String,
    #[serde(default)]
    pub tf_code_2: Option<String>,
    pub ore_per_km: i64,
    #[serde(default)]
    pub unverified: bool,
}

/// What an update may change: never the kind or the period (reports were paid by them).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateRateType {
    pub description: String,
    pub tf_code: String,
    #[serde(default)]
    pub tf_code_2: Option<String>,
    pub ore_per_km: i64,
    pub unverified: bool,
}

fn rate_changes(
    kind: RateKind,
    description: &str,
    tf_code: &str,
    tf_code_2: Option<&str>,
    ore_per_km: i64,
    unverified: bool,
) -> Result<repo::RateTypeChanges> {
    if !(0..=100_000).contains(&ore_per_km) {
        return Err(Error::validation(
            "ore_per_km",
            "must be between 0 and 100000 øre",
        ));
    }
    Ok(repo::RateTypeChanges {
        description: text("description", description, NAME_MAX)?,
        tf_code: text("tf_code", tf_code, ID_MAX)?,
        tf_code_2: opt_text("tf_code_2", tf_code_2, ID_MAX)?,
        requires_license_plate: kind != RateKind::Bicycle,
        is_bicycle: kind == RateKind::Bicycle,
        ore_per_km,
        unverified,
    })
}

/// The domain's view of a stored rate type.
pub(crate) fn rate_period(
    r: &repo::RateTypeRow,
) -> Result<crate::domain::allowance::rates::RatePeriod> {
    Ok(crate::domain::allowance::rates::RatePeriod {
        kind: r.kind,
        valid_from: r.valid_from,
        valid_to: r.valid_to,
        ore_per_km: r.ore_per_km,
        tf_code: r.tf_code.clone(),
        unverified: r.unverified,
    })
}

/// The stored table, for `domain::allowance::rates::validate_rate_table`.
fn rate_table(conn: &mut DbConnection) -> Result<Vec<crate::domain::allowance::rates::RatePeriod>> {
    repo::all_rate_types(conn)?
        .iter()
        .map(rate_period)
        .collect()
}

pub fn create_rate_type(conn: &mut DbConnection, input: CreateRateType) -> Result<RateType> {
    if input.valid_to < input.valid_from {
        return Err(Error::validation(
            "valid_to",
            "must not be before valid_from",
        ));
    }
    let changes = rate_changes(
        input.kind,
        &input.description,
        &input.tf_code,
        input.tf_code_2.as_deref(),
        input.ore_per_km,
        input.unverified,
    )?;
    write_transaction(conn, |conn| {
        let mut table = rate_table(conn)?;
        table.push(crate::domain::allowance::rates::RatePeriod {
            kind: input.kind,
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            ore_per_km: input.ore_per_km,
            tf_code: changes.tf_code.clone(),
            unverified: input.unverified,
        });
        crate::domain::allowance::rates::validate_rate_table(&table)
            .map_err(|e| Error::validation("valid_from", e))?;
        let id = repo::insert_rate_type(
            conn,
            &repo::NewRateType {
                kind: input.kind,
                valid_from: input.valid_from,
                valid_to: input.valid_to,
                description: &changes.description,
                tf_code: &changes.tf_code,
                tf_code_2: changes.tf_code_2.as_deref(),
                requires_license_plate: changes.requires_license_plate,
                is_bicycle: changes.is_bicycle,
                ore_per_km: changes.ore_per_km,
                unverified: changes.unverified,
            },
        )
        .map_err(conflict_on_unique("a rate of this kind from this date"))?;
        Ok(repo::find_rate_type(conn, id)?
            .ok_or_else(|| Error::not_found("rate type"))?
            .into())
    })
}

pub fn update_rate_type(
    conn: &mut DbConnection,
    id: RateTypeId,
    input: UpdateRateType,
) -> Result<RateType> {
    write_transaction(conn, |conn| update_in(conn, id, &input))
}

fn update_in(conn: &mut DbConnection, id: RateTypeId, input: &UpdateRateType) -> Result<RateType> {
    let row = repo::find_rate_type(conn, id)?.ok_or_else(|| Error::not_found("rate type"))?;
    let changes = rate_changes(
        row.kind,
        &input.description,
        &input.tf_code,
        input.tf_code_2.as_deref(),
        input.ore_per_km,
        input.unverified,
    )?;
    repo::update_rate_type(conn, id, &changes)?;
    Ok(repo::find_rate_type(conn, id)?
        .ok_or_else(|| Error::not_found("rate type"))?
        .into())
}

/// New TF codes for one rate type (the rest of it stays).
#[derive(Debug, Clone)]
pub struct TfCodes {
    pub id: RateTypeId,
    pub tf_code: String,
    pub tf_code_2: Option<String>,
}

/// Sets the TF codes of several rate types, all or none: each as [`update_rate_type`] with the
/// rate type's other fields unchanged.
pub fn set_tf_codes(conn: &mut DbConnection, codes: &[TfCodes]) -> Result<Vec<RateType>> {
    write_transaction(conn, |conn| {
        codes
            .iter()
            .map(|c| {
                let row = repo::find_rate_type(conn, c.id)?
                    .ok_or_else(|| Error::not_found("rate type"))?;
                let input = UpdateRateType {
                    description: row.description,
                    tf_code: c.tf_code.clone(),
                    tf_code_2: c.tf_code_2.clone(),
                    ore_per_km: row.ore_per_km,
                    unverified: row.unverified,
                };
                update_in(conn, c.id, &input)
            })
            .collect()
    })
}

/// Every rate type (for the administration's page, which groups them by year).
pub fn all_rate_types(conn: &mut DbConnection) -> Result<Vec<RateType>> {
    Ok(repo::all_rate_types(conn)?
        .into_iter()
        .map(RateType::from)
        .collect())
}
