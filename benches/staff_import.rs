//! The staff import's preview (issue 15: "the imports preview 50,000 staff rows in ≤ 5 s"):
//! a generated municipality of 50,000 employments in 200 org units, with usernames, e-mail,
//! leaders and personal approvers, previewed on SQLite (a temporary file) two ways: the first
//! load (every row new) and the monthly re-import (every row already stored, one in a hundred
//! changed). The preview is `services::import::preview`: the import itself in a transaction
//! that is rolled back. Home addresses are left out (washing them needs an address registry;
//! `benches/address.rs` times washing).

use std::fmt::Write;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use korsel::config::DatabaseUrl;
use korsel::db::Database;
use korsel::services::import::{self, FileKind};
use korsel::services::staff_extras::AddressSource;

const ROWS: usize = 50_000;
const UNITS: usize = 200;

fn org_units() -> String {
    let mut csv = String::from("external_id,name,parent_external_id\nROOT,Kommunen,\n");
    for u in 0..UNITS {
        writeln!(csv, "U{u:03},Enhed {u},ROOT").unwrap();
    }
    csv
}

/// `changed_every`: every n-th row gets a new position (0: none).
fn staff(changed_every: usize) -> String {
    let mut csv = String::from(
        "external_id,name,username,employment_number,org_unit_external_id,position,start_date,\
         is_leader,approver_external_id,email\n",
    );
    for i in 0..ROWS {
        let unit = i % UNITS;
        let leader = i < UNITS;
        // One in ten has a personal approver: the leader of the next unit.
        let approver = if i >= UNITS && i % 10 == 0 {
            format!("P{:05}", (unit + 1) % UNITS)
        } else {
            String::new()
        };
        let position = if changed_every > 0 && i % changed_every == 0 {
            "Konsulent II"
        } else {
            "Konsulent"
        };
        writeln!(
            csv,
            "P{i:05},Person {i},person{i},E{i:06},U{unit:03},{position},2020-01-01,{leader},\
             {approver},person{i}@kommune.example"
        )
        .unwrap();
    }
    csv
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::connect(&DatabaseUrl::Sqlite(dir.path().join("bench.db"))).unwrap();
    db.migrate().unwrap();
    let mut conn = db.get().unwrap();
    import::import_org_units(&mut conn, org_units().as_bytes(), &mut |_, _| {}).unwrap();
    let first = staff(0);
    let mut group = c.benchmark_group("staff import preview, 50,000 rows");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("first load (all new)", |b| {
        b.iter(|| {
            let done = import::preview(
                &mut conn,
                FileKind::Staff,
                first.as_bytes(),
                AddressSource::Database,
            )
            .unwrap();
            assert_eq!(done.changes.counts.new, ROWS as u64);
        })
    });
    import::import_staff(
        &mut conn,
        first.as_bytes(),
        AddressSource::Database,
        &mut |_, _| {},
    )
    .unwrap();
    let monthly = staff(100);
    group.bench_function("re-import (1 % changed)", |b| {
        b.iter(|| {
            let done = import::preview(
                &mut conn,
                FileKind::Staff,
                monthly.as_bytes(),
                AddressSource::Database,
            )
            .unwrap();
            assert_eq!(done.changes.counts.changed, (ROWS / 100) as u64);
        })
    });
    group.finish();
}

criterion_group!(staff_import, benches);
criterion_main!(staff_import);
