//! Bulk-approval benchmark (BENCHMARKS.md): one approver approves 100 pending reports in one
//! `bulk_approve` call, on SQLite or PostgreSQL, through the same service code as
//! `POST /api/v1/approvals/bulk`.
//!
//! ```sh
//! cargo build --release --example approval_bench
//! target/release/examples/approval_bench sqlite
//! target/release/examples/approval_bench postgres postgres://postgres@127.0.0.1/postgres
//! ```
//!
//! The organisation is a municipality-sized one (`--units` units of `--staff-per-unit` people,
//! each unit with a leader), so that what approver resolution costs shows: the approver leads the
//! unit of the 100 employees whose reports are approved. Each run creates and submits one `read`
//! report per employee in a year of its own (so the re-pricing of a run sees one report per
//! person) and times only the bulk approval. SQLite runs in a temporary file; PostgreSQL in a
//! fresh database made from the admin URL and dropped at the end.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use chrono::NaiveDate;
use diesel::prelude::*;
use korsel::app::open_database;
use korsel::config::DatabaseUrl;
use korsel::db::{Database, DbConnection};
use korsel::domain::allowance::{DistanceMode, RateKind};
use korsel::domain::ids::{EmploymentId, OrgUnitId, PersonId, UserId};
use korsel::domain::users::{Role, Roles};
use korsel::services::org::{self, CreateEmployment, CreateOrgUnit, CreatePerson};
use korsel::services::reports::{
    self, BulkItem, BulkOutcome, Caller, Context, Decision, Expected, ReportInput,
};

const APPROVED_PER_RUN: usize = 100;
const PASSWORD: &str = "bench-password";

struct Options {
    units: usize,
    staff_per_unit: usize,
    runs: usize,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = Options {
        units: 40,
        staff_per_unit: 50,
        runs: 5,
    };
    let mut positional = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| -> anyhow::Result<usize> {
            rest.next()
                .with_context(|| format!("{name} needs a value"))?
                .parse()
                .with_context(|| format!("{name} must be a number"))
        };
        match arg.as_str() {
            "--units" => options.units = value("--units")?,
            "--staff-per-unit" => options.staff_per_unit = value("--staff-per-unit")?,
            "--runs" => options.runs = value("--runs")?,
            _ => positional.push(arg.as_str()),
        }
    }
    let runtime = tokio::runtime::Runtime::new()?;
    match positional.as_slice() {
        ["sqlite"] => {
            let dir = tempfile::tempdir()?;
            let url = DatabaseUrl::Sqlite(dir.path().join("approval-bench.db"));
            runtime.block_on(bench("sqlite", &url, &options))
        }
        ["postgres", admin_url] => {
            let name = format!("korsel_bench_{}", uuid::Uuid::new_v4().simple());
            let mut admin = PgConnection::establish(admin_url)
                .with_context(|| format!("cannot connect to {admin_url}"))?;
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
            let base = admin_url
                .split('?')
                .next()
                .and_then(|u| u.rsplit_once('/'))
                .map(|(base, _)| base)
                .context("the admin URL needs a database path")?;
            let url = DatabaseUrl::Postgres(format!("{base}/{name}"));
            let outcome = runtime.block_on(bench("postgres", &url, &options));
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)?;
            outcome
        }
        _ => bail!(
            "usage: approval_bench sqlite | approval_bench postgres ADMIN_URL \
             [--units N] [--staff-per-unit N] [--runs N]"
        ),
    }
}

/// The approver and the employees whose reports they approve.
struct Seeded {
    approver: Caller,
    employees: Vec<(Caller, EmploymentId)>,
}

async fn bench(backend: &str, url: &DatabaseUrl, options: &Options) -> anyhow::Result<()> {
    let db = open_database(url)?;
    let started = Instant::now();
    let seeded = {
        let db = db.clone();
        let (units, staff) = (options.units, options.staff_per_unit);
        tokio::task::spawn_blocking(move || seed(&db, units, staff)).await??
    };
    println!(
        "{backend}: seeded {} units of {} staff (+{APPROVED_PER_RUN} employees) in {:.1} s",
        options.units,
        options.staff_per_unit,
        started.elapsed().as_secs_f64()
    );
    let ctx = Context {
        db: db.clone(),
        router: None,
        norddjurs_method: false,
        home_tolerance_m: 100.0,
        max_amount_ore: korsel::domain::report_limits::DEFAULT_MAX_AMOUNT_ORE,
    };
    let mut times = Vec::with_capacity(options.runs);
    for run in 0..options.runs {
        let drive_date = run_date(run)?;
        let mut items = Vec::with_capacity(APPROVED_PER_RUN);
        for &(employee, employment_id) in &seeded.employees {
            items.push(pending_report(&ctx, employee, employment_id, drive_date).await?);
        }
        let started = Instant::now();
        let results = reports::bulk_approve(&ctx, seeded.approver, items, None).await?;
        let took = started.elapsed();
        let approved = results
            .iter()
            .filter(|r| matches!(r.outcome, BulkOutcome::Approved))
            .count();
        if approved != APPROVED_PER_RUN {
            bail!("run {run}: {approved} of {APPROVED_PER_RUN} approved: {results:?}");
        }
        println!(
            "{backend}: run {run}: {APPROVED_PER_RUN} approved in {:.1} ms",
            took.as_secs_f64() * 1e3
        );
        times.push(took);
    }
    times.sort();
    let median = times
        .get(times.len() / 2)
        .copied()
        .unwrap_or(Duration::ZERO);
    println!(
        "{backend}: median of {} runs: {:.1} ms per bulk approval of {APPROVED_PER_RUN} \
         ({:.2} ms per report)",
        times.len(),
        median.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3 / APPROVED_PER_RUN as f64
    );
    Ok(())
}

/// Each run in a year (and month) of its own, within the seeded rate table (2022–2026).
fn run_date(run: usize) -> anyhow::Result<NaiveDate> {
    let year = 2022 + (run % 5) as i32;
    let month = 1 + (run / 5 % 12) as u32;
    NaiveDate::from_ymd_opt(year, month, 3).context("run date")
}

fn seed(db: &Database, units: usize, staff_per_unit: usize) -> anyhow::Result<Seeded> {
    let mut conn = db.get()?;
    let conn: &mut DbConnection = &mut conn;
    org::seed_rate_types(conn)?;
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).context("start date")?;
    let mut employment_number = 0;
    let mut person = |conn: &mut DbConnection,
                      unit: OrgUnitId,
                      name: String,
                      username: Option<String>,
                      is_leader: bool|
     -> anyhow::Result<(PersonId, EmploymentId)> {
        employment_number += 1;
        let person = org::create_person(
            conn,
            CreatePerson {
                external_id: format!("P{employment_number}"),
                name,
                username,
                cpr: None,
                email: None,
            },
        )?;
        let employment = org::create_employment(
            conn,
            CreateEmployment {
                person_id: person.summary.id,
                org_unit_id: unit,
                employment_number: format!("{employment_number:06}"),
                position: "Sundhedsplejerske".into(),
                start_date: start,
                end_date: None,
                cost_centre: None,
                is_leader,
            },
        )?;
        Ok((person.summary.id, employment.id))
    };
    let unit = |conn: &mut DbConnection, n: usize, parent: Option<OrgUnitId>| {
        org::create_org_unit(
            conn,
            CreateOrgUnit {
                external_id: format!("U{n}"),
                name: format!("Enhed {n}"),
                parent_id: parent,
                four_km_rule_allowed: false,
                distance_to_border_m: None,
                address: None,
            },
        )
        .map(|u| u.id)
    };
    let root = unit(conn, 0, None)?;
    for n in 1..=units {
        let id = unit(conn, n, Some(root))?;
        for s in 0..staff_per_unit {
            person(conn, id, format!("Medarbejder {n}-{s}"), None, s == 0)?;
        }
    }
    let approved_unit = unit(conn, units + 1, Some(root))?;
    let user = |conn: &mut DbConnection, username: &str, roles: &[Role]| {
        korsel::services::users::create(conn, username, PASSWORD, &Roles::new(roles.to_vec()))
            .map(|u| u.id)
    };
    let approver_user = user(conn, "leder", &[Role::Employee, Role::Approver])?;
    person(
        conn,
        approved_unit,
        "Leder".into(),
        Some("leder".into()),
        true,
    )?;
    let mut employees = Vec::with_capacity(APPROVED_PER_RUN);
    for n in 0..APPROVED_PER_RUN {
        let username = format!("medarbejder{n}");
        let user_id = user(conn, &username, &[Role::Employee])?;
        let (_, employment) = person(
            conn,
            approved_unit,
            format!("Godkendt Medarbejder {n}"),
            Some(username),
            false,
        )?;
        employees.push((caller(user_id, false), employment));
    }
    Ok(Seeded {
        approver: caller(approver_user, true),
        employees,
    })
}

fn caller(user_id: UserId, approver: bool) -> Caller {
    Caller {
        user_id,
        admin: false,
        approver,
        payroll: false,
    }
}

/// Creates and submits one report of `employee`; the item that approves its current version.
async fn pending_report(
    ctx: &Context,
    employee: Caller,
    employment_id: EmploymentId,
    drive_date: NaiveDate,
) -> anyhow::Result<BulkItem> {
    let draft = reports::create(
        ctx,
        employee,
        ReportInput {
            employment_id,
            rate_kind: RateKind::Bicycle,
            vehicle_id: None,
            drive_date: Some(drive_date),
            purpose: "Hjemmebesøg".into(),
            remark: Some("Aflæst kilometertæller".into()),
            distance_mode: DistanceMode::Read,
            round_trip: false,
            route: Vec::new(),
            typed_distance_m: Some(12_340),
            starts_at_home: None,
            ends_at_home: None,
            trip_id: None,
            four_km_rule: false,
            version: None,
        },
    )
    .await?;
    let id = draft.id;
    let version = draft.version;
    let submitted = ctx
        .db
        .run(move |c| {
            reports::decide(
                c,
                employee,
                id,
                Some(Expected::Body(version)),
                Decision::Submit,
            )
        })
        .await?;
    Ok(BulkItem {
        id,
        version: submitted.version,
    })
}
