//! Payroll export benchmark (BENCHMARKS.md): a batch of N approved reports on SQLite, made and
//! written through the same service code as the API and the CLI.
//!
//! ```sh
//! cargo build --release --example payroll_bench
//! target/release/examples/payroll_bench seed /tmp/payroll-100k.db 100000
//! cp /tmp/payroll-100k.db /tmp/run.db        # exporting consumes the approved reports
//! /usr/bin/time -v target/release/examples/payroll_bench export /tmp/run.db kmd-ind01 /tmp/out.txt
//! ```
//!
//! `seed` writes N approved reports (one per employee per working day, N/50 employees, every
//! tenth report split at the 20,000 km threshold into two TF codes) in one transaction.
//! `export` times the batch (ledger, snapshot, status moves, audit events) and the file
//! (written twice, to check that a re-download gives the same bytes), in separate processes
//! from the seeding, so that the maximum RSS is the export's own.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use korsel::app::open_database;
use korsel::config::{DatabaseUrl, PayrollSettings};
use korsel::db::{write_transaction, Database, DbConnection};
use korsel::domain::users::{Role, Roles};
use korsel::payroll::{CsvLayout, PayrollFormat};
use korsel::services::payroll::{self, Actor, CreateBatch};
use sha2::{Digest, Sha256};

const REPORTS_PER_EMPLOYEE: i64 = 50;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["seed", db, n] => seed(db, n.parse().context("N")?),
        ["export", db, format, out] => export(db, format.parse().map_err(anyhow::Error::msg)?, out),
        _ => bail!("usage: payroll_bench seed DB N | payroll_bench export DB csv|kmd-ind01 OUT"),
    }
}

fn open(db: &str) -> anyhow::Result<Database> {
    open_database(&DatabaseUrl::Sqlite(db.into()))
}

fn seed(db: &str, n: i64) -> anyhow::Result<()> {
    if Path::new(db).exists() {
        bail!("{db} exists; seed a fresh file");
    }
    let started = Instant::now();
    let mut conn = open(db)?.get()?;
    korsel::services::org::seed_rate_types(&mut conn)?;
    korsel::services::users::create(
        &mut conn,
        "bench",
        "bench-password",
        &Roles::new([Role::Admin]),
    )?;
    let employees = (n + REPORTS_PER_EMPLOYEE - 1) / REPORTS_PER_EMPLOYEE;
    let DbConnection::Sqlite(_) = &*conn else {
        bail!("the benchmark seeds SQLite only");
    };
    // Set-based seeding with recursive CTEs: one statement per table.
    let sql = format!(
        "INSERT INTO org_units (external_id, name, four_km_rule_allowed, created_at, updated_at)
           VALUES ('B', 'Bench', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
         WITH RECURSIVE e(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM e WHERE i < {employees})
         INSERT INTO persons (external_id, name, cpr, created_at, updated_at)
           SELECT 'P' || i, 'Medarbejder ' || i, printf('0101%06d', i),
                  '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM e;
         INSERT INTO employments (person_id, org_unit_id, employment_number, position, start_date,
                                  is_leader, created_at, updated_at)
           SELECT id, 1, printf('%06d', id), 'Sundhedsplejerske', '2020-01-01', 0,
                  '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM persons;
         WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < {n} - 1)
         INSERT INTO drive_reports (person_id, employment_id, rate_type_id, drive_date, purpose,
                distance_mode, is_round_trip, route, starts_at_home, ends_at_home,
                route_distance_m, home_work_deduction_m, four_km_deduction_m, reimbursable_m,
                amount_ore, status, version, created_by_user_id, created_at, updated_at)
           SELECT i / {REPORTS_PER_EMPLOYEE} + 1, i / {REPORTS_PER_EMPLOYEE} + 1, 1,
                  date('2026-01-01', '+' || (i % {REPORTS_PER_EMPLOYEE} * 7) || ' days'),
                  'Hjemmebesøg nr. ' || i, 'read', 0, '[]', 0, 0,
                  5000 + i % 40000, 0, 0, 5000 + i % 40000,
                  (5000 + i % 40000) * 394 / 1000, 'approved', 3, 1,
                  '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM r;
         INSERT INTO report_lines (report_id, position, tf_code, rate_kind, distance_m, ore_per_km,
                                   amount_ore)
           SELECT id, 1, '1111', 'car_high', CASE WHEN id % 10 = 0 THEN reimbursable_m / 2
                                              ELSE reimbursable_m END, 394,
                  CASE WHEN id % 10 = 0 THEN reimbursable_m / 2 * 394 / 1000 ELSE amount_ore END
           FROM drive_reports;
         INSERT INTO report_lines (report_id, position, tf_code, rate_kind, distance_m, ore_per_km,
                                   amount_ore)
           SELECT id, 2, '2222', 'car_high_above_20k', reimbursable_m - reimbursable_m / 2, 228,
                  (reimbursable_m - reimbursable_m / 2) * 228 / 1000
           FROM drive_reports WHERE id % 10 = 0;
         UPDATE rate_types SET tf_code = '1111' WHERE kind = 'car_high';
         UPDATE rate_types SET tf_code = '2222' WHERE kind = 'car_high_above_20k';
         UPDATE drive_reports SET amount_ore =
           (SELECT SUM(amount_ore) FROM report_lines WHERE report_id = drive_reports.id)
           WHERE id % 10 = 0;"
    );
    write_transaction(&mut conn, |c| c.batch_execute(&sql))?;
    println!(
        "seeded {n} approved reports of {employees} employees into {db} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn export(db: &str, format: PayrollFormat, out: &str) -> anyhow::Result<()> {
    let db = open(db)?;
    let mut conn = db.get()?;
    let settings = PayrollSettings {
        municipality_number: Some(751),
        employment_type: 1,
        ..PayrollSettings::default()
    };
    let input = CreateBatch {
        up_to: "2026-12-31".parse()?,
        format,
    };
    let started = Instant::now();
    let batch = payroll::create_batch(&mut conn, &input, Actor::CommandLine, &settings, false)?;
    let made = started.elapsed();

    let mut digests = Vec::new();
    let mut file_times = Vec::new();
    let mut rows = 0;
    for _ in 0..2 {
        let started = Instant::now();
        let mut file = BufWriter::new(std::fs::File::create(out)?);
        rows = payroll::write_batch_file(&db, batch.id, CsvLayout::default(), &mut file)?;
        file.flush()?;
        drop(file);
        file_times.push(started.elapsed());
        // Hashed as a stream, so the check itself stays out of the memory figures.
        let mut hasher = Sha256::new();
        std::io::copy(&mut std::fs::File::open(out)?, &mut hasher)?;
        digests.push(hasher.finalize());
    }
    if digests[0] != digests[1] {
        bail!("the two downloads differ");
    }
    let size = std::fs::metadata(out)?.len();
    println!(
        "{format}: {} reports, {} lines -> {rows} rows/records, {size} bytes; \
         batch {:.0} ms, file {:.0} ms (again {:.0} ms, identical), batch + file {:.0} ms",
        batch.report_count,
        batch.line_count,
        made.as_secs_f64() * 1e3,
        file_times[0].as_secs_f64() * 1e3,
        file_times[1].as_secs_f64() * 1e3,
        (made + file_times[0]).as_secs_f64() * 1e3,
    );
    Ok(())
}
