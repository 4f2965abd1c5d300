//! Criterion benchmarks on the real Tønder fixture (23,368 access addresses).
//! For national-scale figures run `cargo run --release --example address_bench`.

use std::fs::File;

use criterion::{criterion_group, criterion_main, Criterion};
use korsel::address::*;

fn tonder() -> AddressIndex {
    let f = File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/addresses/dawa-tonder-2015/adresser.csv.gz"
    ))
    .unwrap();
    let mut store = AddressStore::new();
    store
        .import(
            DawaCsvReader::new(flate2::read::GzDecoder::new(f)).unwrap(),
            true,
        )
        .unwrap();
    AddressIndex::build(store.into_parts().0)
}

fn benches(c: &mut Criterion) {
    let idx = tonder();
    c.bench_function("nearest", |b| {
        b.iter(|| idx.nearest(std::hint::black_box(54.9372), std::hint::black_box(8.8572)))
    });
    c.bench_function("autocomplete prefix", |b| {
        b.iter(|| idx.autocomplete(std::hint::black_box("Løjtnant"), 10))
    });
    c.bench_function("autocomplete folded+husnr", |b| {
        b.iter(|| idx.autocomplete(std::hint::black_box("lojtnantparken 1"), 10))
    });
    c.bench_function("autocomplete typo", |b| {
        b.iter(|| idx.autocomplete(std::hint::black_box("Lojtnandparken 1"), 10))
    });
    c.bench_function("wash", |b| {
        b.iter(|| idx.wash(std::hint::black_box("A Hansensvej 6, 6792 Rømø")))
    });
}

criterion_group!(address, benches);
criterion_main!(address);
