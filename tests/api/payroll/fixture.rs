//! Approved drive reports seeded straight into the database, because the reports endpoints live
//! on another branch: an org unit, persons and employments through the org repository, and
//! drive reports with their priced lines as plain rows. Once both branches are merged, an
//! end-to-end test through the real approval flow joins these.

use chrono::NaiveDate;
use diesel::prelude::*;
use korsel::db::org::{insert_employment, insert_org_unit, insert_person};
use korsel::db::org::{NewEmployment, NewOrgUnit, NewPerson};
use korsel::db::schema::{drive_reports, rate_types, report_lines, users};
use korsel::db::{utc_now, DbConnection};
use korsel::domain::ids::{EmploymentId, OrgUnitId, PersonId};

/// The version an approved report has here: created, submitted, approved.
pub const APPROVED_VERSION: i64 = 3;

/// One priced line: TF code, metres, øre per km, øre.
pub type Line = (&'static str, i64, i64, i64);

/// A person's employment: (person id, employment id).
pub type Employee = (PersonId, EmploymentId);

pub fn date(text: &str) -> NaiveDate {
    text.parse().expect("a YYYY-MM-DD date")
}

pub struct Seeder<'c> {
    conn: &'c mut DbConnection,
    unit: OrgUnitId,
    rate_type: i64,
    creator: i64,
}

impl<'c> Seeder<'c> {
    /// An org unit for everybody; reports are priced with the first seeded rate type and
    /// created by the bootstrap admin.
    pub fn new(conn: &'c mut DbConnection) -> Seeder<'c> {
        let now = utc_now();
        let unit = insert_org_unit(
            conn,
            &NewOrgUnit {
                external_id: "LOEN",
                name: "Løn",
                parent_id: None,
                four_km_rule_allowed: false,
                distance_to_border_m: None,
                address_registry_id: None,
                address_label: None,
                address_latitude: None,
                address_longitude: None,
                created_at: now,
                updated_at: now,
            },
        )
        .unwrap();
        let rate_type = rate_types::table
            .select(rate_types::id)
            .order(rate_types::id)
            .first(conn)
            .unwrap();
        let creator = users::table
            .select(users::id)
            .order(users::id)
            .first(conn)
            .unwrap();
        Seeder {
            conn,
            unit,
            rate_type,
            creator,
        }
    }

    pub fn employee(&mut self, name: &str, cpr: Option<&str>, employment_number: &str) -> Employee {
        let now = utc_now();
        let person = insert_person(
            self.conn,
            &NewPerson {
                external_id: &format!("P-{employment_number}"),
                name,
                username: None,
                cpr,
                email: None,
                created_at: now,
                updated_at: now,
            },
        )
        .unwrap();
        let employment = insert_employment(
            self.conn,
            &NewEmployment {
                person_id: person,
                org_unit_id: self.unit,
                employment_number,
                position: "Sundhedsplejerske",
                start_date: date("2019-01-01"),
                end_date: None,
                cost_centre: None,
                is_leader: false,
                created_at: now,
                updated_at: now,
            },
        )
        .unwrap();
        (person, employment)
    }

    /// An approved report of `reimbursable_m` metres priced as `lines`.
    pub fn approved(
        &mut self,
        who: Employee,
        drive_date: &str,
        purpose: &str,
        reimbursable_m: i64,
        lines: &[Line],
    ) -> i64 {
        self.report(who, "approved", drive_date, purpose, reimbursable_m, lines)
    }

    pub fn report(
        &mut self,
        (person, employment): Employee,
        status: &str,
        drive_date: &str,
        purpose: &str,
        reimbursable_m: i64,
        lines: &[Line],
    ) -> i64 {
        let now = utc_now();
        let amount_ore: i64 = lines.iter().map(|l| l.3).sum();
        let id: i64 = diesel::insert_into(drive_reports::table)
            .values((
                drive_reports::person_id.eq(person),
                drive_reports::employment_id.eq(employment),
                drive_reports::rate_type_id.eq(self.rate_type),
                drive_reports::drive_date.eq(date(drive_date)),
                drive_reports::purpose.eq(purpose),
                drive_reports::distance_mode.eq("read"),
                drive_reports::is_round_trip.eq(false),
                drive_reports::route.eq("[]"),
                drive_reports::typed_distance_m.eq(Some(reimbursable_m)),
                drive_reports::starts_at_home.eq(false),
                drive_reports::ends_at_home.eq(false),
                drive_reports::route_distance_m.eq(reimbursable_m),
                drive_reports::home_work_deduction_m.eq(0_i64),
                drive_reports::four_km_deduction_m.eq(0_i64),
                drive_reports::reimbursable_m.eq(reimbursable_m),
                drive_reports::amount_ore.eq(amount_ore),
                drive_reports::status.eq(status),
                drive_reports::version.eq(APPROVED_VERSION),
                drive_reports::created_by_user_id.eq(self.creator),
                drive_reports::created_at.eq(now),
                drive_reports::updated_at.eq(now),
            ))
            .returning(drive_reports::id)
            .get_result(self.conn)
            .unwrap();
        for (position, (tf_code, distance_m, ore_per_km, amount)) in lines.iter().enumerate() {
            diesel::insert_into(report_lines::table)
                .values((
                    report_lines::report_id.eq(id),
                    report_lines::position.eq(position as i64),
                    report_lines::tf_code.eq(*tf_code),
                    report_lines::rate_kind.eq(if *ore_per_km < 300 { "low" } else { "high" }),
                    report_lines::distance_m.eq(*distance_m),
                    report_lines::ore_per_km.eq(*ore_per_km),
                    report_lines::amount_ore.eq(*amount),
                ))
                .execute(self.conn)
                .unwrap();
        }
        id
    }
}

/// Status and version of a report.
pub fn state_of(conn: &mut DbConnection, report: i64) -> (String, i64) {
    drive_reports::table
        .find(report)
        .select((drive_reports::status, drive_reports::version))
        .first(conn)
        .unwrap()
}
