//! Organisation and people: org units, persons, employments, substitutes, personal approvers,
//! addresses, vehicles and rate types. Plain queries; the rules live in services and domain.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::allowance::RateKind;
use crate::domain::ids::{
    AddressId, EmploymentId, OrgUnitId, PersonId, PersonalApproverId, RateTypeId, SubstituteId,
    VehicleId,
};

use super::queries::table_queries;
use super::schema::{
    employments, home_work_overrides, org_units, person_addresses, personal_approvers, persons,
    rate_types, substitutes, vehicles,
};
use super::DbConnection;

// ---------------------------------------------------------------- org units

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = org_units)]
pub struct OrgUnitRow {
    pub id: OrgUnitId,
    pub external_id: String,
    pub name: String,
    pub parent_id: Option<OrgUnitId>,
    pub four_km_rule_allowed: bool,
    pub distance_to_border_m: Option<i64>,
    pub address_registry_id: Option<String>,
    pub address_label: Option<String>,
    pub address_latitude: Option<f64>,
    pub address_longitude: Option<f64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The fields an org unit update may touch (all of them but the external id).
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = org_units, treat_none_as_null = true)]
pub struct OrgUnitChanges {
    pub name: String,
    pub parent_id: Option<OrgUnitId>,
    pub four_km_rule_allowed: bool,
    pub distance_to_border_m: Option<i64>,
    pub address_registry_id: Option<String>,
    pub address_label: Option<String>,
    pub address_latitude: Option<f64>,
    pub address_longitude: Option<f64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = org_units)]
pub struct NewOrgUnit<'a> {
    pub external_id: &'a str,
    pub name: &'a str,
    pub parent_id: Option<OrgUnitId>,
    pub four_km_rule_allowed: bool,
    pub distance_to_border_m: Option<i64>,
    pub address_registry_id: Option<&'a str>,
    pub address_label: Option<&'a str>,
    pub address_latitude: Option<f64>,
    pub address_longitude: Option<f64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

table_queries!(org_units: OrgUnitId => OrgUnitRow {
    insert insert_org_unit(NewOrgUnit<'_>);
    find find_org_unit;
    count count_org_units;
    list list_org_units;
    all all_org_units;
    update update_org_unit(OrgUnitChanges);
    find_by find_org_unit_by_external_id(external_id);
});

// ---------------------------------------------------------------- persons

/// A stored person. `Debug` leaves the CPR number out.
#[derive(Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = persons)]
pub struct PersonRow {
    pub id: PersonId,
    pub external_id: String,
    pub name: String,
    pub username: Option<String>,
    pub cpr: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub distance_to_border_m: Option<i64>,
    pub email: Option<String>,
}

/// Sets (or clears) a person's home-to-border distance; the staff import never touches it.
pub fn set_distance_to_border(
    conn: &mut DbConnection,
    id: PersonId,
    distance_m: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(persons::table.find(id))
        .set((
            persons::distance_to_border_m.eq(distance_m),
            persons::updated_at.eq(now),
        ))
        .execute(conn)
}

#[derive(Clone, PartialEq, AsChangeset)]
#[diesel(table_name = persons, treat_none_as_null = true)]
pub struct PersonChanges {
    pub name: String,
    pub username: Option<String>,
    pub cpr: Option<String>,
    pub email: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = persons, treat_none_as_default_value = false)]
pub struct NewPerson<'a> {
    pub external_id: &'a str,
    pub name: &'a str,
    pub username: Option<&'a str>,
    pub cpr: Option<&'a str>,
    pub email: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl std::fmt::Debug for PersonRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonRow")
            .field("id", &self.id)
            .field("external_id", &self.external_id)
            .field("name", &self.name)
            .field("username", &self.username)
            .field("cpr", &self.cpr.as_ref().map(|_| "**********"))
            .finish()
    }
}

table_queries!(persons: PersonId => PersonRow {
    insert insert_person(NewPerson<'_>);
    insert_all insert_persons(NewPerson<'_>);
    all all_persons;
    find find_person;
    count count_persons;
    list list_persons;
    update update_person(PersonChanges);
    find_by find_person_by_external_id(external_id);
    find_by find_person_by_username(username);
});

/// The ids of the persons with these external ids, as (external id, id).
pub fn person_ids_by_external_id(
    conn: &mut DbConnection,
    external_ids: &[&str],
) -> QueryResult<Vec<(String, PersonId)>> {
    let mut found = Vec::with_capacity(external_ids.len());
    for chunk in external_ids.chunks(super::queries::INSERT_CHUNK) {
        found.extend(
            persons::table
                .filter(persons::external_id.eq_any(chunk))
                .select((persons::external_id, persons::id))
                .load::<(String, PersonId)>(conn)?,
        );
    }
    Ok(found)
}

pub fn persons_by_ids(conn: &mut DbConnection, ids: &[PersonId]) -> QueryResult<Vec<PersonRow>> {
    persons::table
        .filter(persons::id.eq_any(ids))
        .order(persons::id.asc())
        .select(PersonRow::as_select())
        .load(conn)
}

// ---------------------------------------------------------------- employments

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = employments)]
pub struct EmploymentRow {
    pub id: EmploymentId,
    pub person_id: PersonId,
    pub org_unit_id: OrgUnitId,
    pub employment_number: String,
    pub position: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub cost_centre: Option<String>,
    pub is_leader: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An employment's person and employment number are fixed; these may change.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = employments, treat_none_as_null = true)]
pub struct EmploymentChanges {
    pub org_unit_id: OrgUnitId,
    pub position: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub cost_centre: Option<String>,
    pub is_leader: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = employments, treat_none_as_default_value = false)]
pub struct NewEmployment<'a> {
    pub person_id: PersonId,
    pub org_unit_id: OrgUnitId,
    pub employment_number: &'a str,
    pub position: &'a str,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub cost_centre: Option<&'a str>,
    pub is_leader: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

table_queries!(employments: EmploymentId => EmploymentRow {
    insert insert_employment(NewEmployment<'_>);
    insert_all insert_employments(NewEmployment<'_>);
    find find_employment;
    all all_employments;
    update update_employment(EmploymentChanges);
    find_by find_employment_by_number(employment_number);
});

pub fn count_employments(conn: &mut DbConnection, person: Option<PersonId>) -> QueryResult<i64> {
    let mut q = employments::table.into_boxed();
    if let Some(p) = person {
        q = q.filter(employments::person_id.eq(p));
    }
    q.count().get_result(conn)
}

pub fn list_employments(
    conn: &mut DbConnection,
    person: Option<PersonId>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<EmploymentRow>> {
    let mut q = employments::table.into_boxed();
    if let Some(p) = person {
        q = q.filter(employments::person_id.eq(p));
    }
    q.order(employments::id.asc())
        .offset(offset)
        .limit(limit)
        .select(EmploymentRow::as_select())
        .load(conn)
}

// ---------------------------------------------------------------- substitutes

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = substitutes)]
pub struct SubstituteRow {
    pub id: SubstituteId,
    pub org_unit_id: OrgUnitId,
    pub substitute_person_id: PersonId,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub takes_over: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = substitutes)]
pub struct NewSubstitute {
    pub org_unit_id: OrgUnitId,
    pub substitute_person_id: PersonId,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub takes_over: bool,
    pub created_at: NaiveDateTime,
}

table_queries!(substitutes: SubstituteId => SubstituteRow {
    insert insert_substitute(NewSubstitute);
    find find_substitute;
    delete delete_substitute;
    count count_substitutes;
    list list_substitutes;
    all all_substitutes;
});

// ---------------------------------------------------------------- personal approvers

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = personal_approvers)]
pub struct PersonalApproverRow {
    pub id: PersonalApproverId,
    pub person_id: PersonId,
    pub approver_person_id: PersonId,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = personal_approvers, treat_none_as_default_value = false)]
pub struct NewPersonalApprover {
    pub person_id: PersonId,
    pub approver_person_id: PersonId,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
}

table_queries!(personal_approvers: PersonalApproverId => PersonalApproverRow {
    insert insert_personal_approver(NewPersonalApprover);
    insert_all insert_personal_approvers(NewPersonalApprover);
    find find_personal_approver;
    delete delete_personal_approver;
    count count_personal_approvers;
    list list_personal_approvers;
    all all_personal_approvers;
});

// ---------------------------------------------------------------- addresses

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = person_addresses)]
pub struct AddressRow {
    pub id: AddressId,
    pub person_id: PersonId,
    pub employment_id: Option<EmploymentId>,
    pub kind: String,
    pub registry_address_id: String,
    pub label: String,
    pub latitude: f64,
    pub longitude: f64,
    pub valid_from: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = person_addresses)]
pub struct NewAddress<'a> {
    pub person_id: PersonId,
    pub employment_id: Option<EmploymentId>,
    pub kind: &'a str,
    pub registry_address_id: &'a str,
    pub label: &'a str,
    pub latitude: f64,
    pub longitude: f64,
    pub valid_from: NaiveDate,
    pub created_at: NaiveDateTime,
}

table_queries!(person_addresses: AddressId => AddressRow {
    insert insert_address(NewAddress<'_>);
    find find_address;
    delete delete_address;
});

/// Every address of a person, newest validity first.
pub fn addresses_of(conn: &mut DbConnection, person_id: PersonId) -> QueryResult<Vec<AddressRow>> {
    person_addresses::table
        .filter(person_addresses::person_id.eq(person_id))
        .order((
            person_addresses::valid_from.desc(),
            person_addresses::id.desc(),
        ))
        .select(AddressRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = home_work_overrides)]
pub struct OverrideRow {
    pub id: i64,
    pub person_id: PersonId,
    pub employment_id: EmploymentId,
    pub distance_m: i64,
    pub valid_from: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = home_work_overrides)]
pub struct NewOverride {
    pub person_id: PersonId,
    pub employment_id: EmploymentId,
    pub distance_m: i64,
    pub valid_from: NaiveDate,
    pub created_at: NaiveDateTime,
}

table_queries!(home_work_overrides => OverrideRow {
    insert insert_override(NewOverride);
});

pub fn overrides_of(conn: &mut DbConnection, person_id: PersonId) -> QueryResult<Vec<OverrideRow>> {
    home_work_overrides::table
        .filter(home_work_overrides::person_id.eq(person_id))
        .order((
            home_work_overrides::valid_from.desc(),
            home_work_overrides::id.desc(),
        ))
        .select(OverrideRow::as_select())
        .load(conn)
}

// ---------------------------------------------------------------- vehicles

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = vehicles)]
pub struct VehicleRow {
    pub id: VehicleId,
    pub person_id: PersonId,
    pub plate: String,
    pub description: String,
    pub is_primary: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = vehicles)]
pub struct NewVehicle<'a> {
    pub person_id: PersonId,
    pub plate: &'a str,
    pub description: &'a str,
    pub is_primary: bool,
    pub created_at: NaiveDateTime,
}

table_queries!(vehicles: VehicleId => VehicleRow {
    insert insert_vehicle(NewVehicle<'_>);
    find find_vehicle;
    delete delete_vehicle;
});

pub fn vehicles_of(conn: &mut DbConnection, person_id: PersonId) -> QueryResult<Vec<VehicleRow>> {
    vehicles::table
        .filter(vehicles::person_id.eq(person_id))
        .order(vehicles::id.asc())
        .select(VehicleRow::as_select())
        .load(conn)
}

pub fn clear_primary_vehicle(conn: &mut DbConnection, person_id: PersonId) -> QueryResult<usize> {
    diesel::update(vehicles::table.filter(vehicles::person_id.eq(person_id)))
        .set(vehicles::is_primary.eq(false))
        .execute(conn)
}

pub fn set_primary_vehicle(conn: &mut DbConnection, id: VehicleId) -> QueryResult<usize> {
    diesel::update(vehicles::table.find(id))
        .set(vehicles::is_primary.eq(true))
        .execute(conn)
}

// ---------------------------------------------------------------- rate types

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = rate_types)]
pub struct RateTypeRow {
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

#[derive(Debug, Insertable)]
#[diesel(table_name = rate_types)]
pub struct NewRateType<'a> {
    pub kind: RateKind,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub description: &'a str,
    pub tf_code: &'a str,
    pub tf_code_2: Option<&'a str>,
    pub requires_license_plate: bool,
    pub is_bicycle: bool,
    pub ore_per_km: i64,
    pub unverified: bool,
}

table_queries!(rate_types: RateTypeId => RateTypeRow {
    insert insert_rate_type(NewRateType<'_>);
    count count_rate_types;
    find find_rate_type;
    all all_rate_types;
});

pub fn list_rate_types(
    conn: &mut DbConnection,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<RateTypeRow>> {
    rate_types::table
        .order((rate_types::valid_from.asc(), rate_types::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(RateTypeRow::as_select())
        .load(conn)
}

pub fn set_personal_approver_end(
    conn: &mut DbConnection,
    id: PersonalApproverId,
    end_date: Option<NaiveDate>,
) -> QueryResult<usize> {
    diesel::update(personal_approvers::table.find(id))
        .set(personal_approvers::end_date.eq(end_date))
        .execute(conn)
}

pub fn set_substitute_terms(
    conn: &mut DbConnection,
    id: SubstituteId,
    end_date: Option<NaiveDate>,
    takes_over: bool,
) -> QueryResult<usize> {
    diesel::update(substitutes::table.find(id))
        .set((
            substitutes::end_date.eq(end_date),
            substitutes::takes_over.eq(takes_over),
        ))
        .execute(conn)
}

/// A rate type's kind and period are fixed; these may change.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = rate_types, treat_none_as_null = true)]
pub struct RateTypeChanges {
    pub description: String,
    pub tf_code: String,
    pub tf_code_2: Option<String>,
    pub requires_license_plate: bool,
    pub is_bicycle: bool,
    pub ore_per_km: i64,
    pub unverified: bool,
}

pub fn update_rate_type(
    conn: &mut DbConnection,
    id: RateTypeId,
    changes: &RateTypeChanges,
) -> QueryResult<usize> {
    diesel::update(rate_types::table.find(id))
        .set(changes)
        .execute(conn)
}
