//! Property test: R-tree nearest == brute-force nearest (same distance function)
//! for 10,000 random points in and around Fanø.

use std::fs::File;
use std::sync::OnceLock;

use korsel::address::*;
use proptest::prelude::*;

fn index() -> &'static AddressIndex {
    static IDX: OnceLock<AddressIndex> = OnceLock::new();
    IDX.get_or_init(|| {
        let f = File::open(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/addresses/dawa-fano-2015/adgangsadresser.csv"
        ))
        .unwrap();
        AddressIndex::build(
            DawaCsvReader::new(f)
                .unwrap()
                .map(|r| r.unwrap().access)
                .collect(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn nearest_equals_brute_force(lat in 55.28f64..55.52, lon in 8.28f64..8.56) {
        let idx = index();
        let (a, d) = idx.nearest(lat, lon).unwrap();
        let (b, bd) = idx.nearest_brute_force(lat, lon).unwrap();
        // Equal distance (bitwise, same function); ids equal unless an exact tie.
        prop_assert_eq!(d.to_bits(), bd.to_bits());
        if a.id != b.id {
            prop_assert!((a.lat, a.lon) == (b.lat, b.lon) || d == bd);
        }
        let k = idx.nearest_k(lat, lon, 3);
        prop_assert_eq!(k[0].1.to_bits(), d.to_bits());
        prop_assert!(k.windows(2).all(|w| w[0].1 <= w[1].1));
        // Sanity vs an independent metric: spherical haversine (R = 6371 km) is
        // 0.1–0.35 % short of the ellipsoid at 55° N; allow 0.5 % + 5 cm.
        let h = haversine((lat, lon), (a.lat, a.lon));
        prop_assert!((h - d).abs() < 0.005 * h + 0.05, "h={} d={}", h, d);
    }
}

fn tonder() -> &'static AddressIndex {
    static IDX: OnceLock<AddressIndex> = OnceLock::new();
    IDX.get_or_init(|| {
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
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Larger set (23,368 access addresses, a few without coordinates).
    #[test]
    fn tonder_nearest_equals_brute_force(lat in 54.85f64..55.30, lon in 8.3f64..9.3) {
        let idx = tonder();
        let (a, d) = idx.nearest(lat, lon).unwrap();
        let (b, bd) = idx.nearest_brute_force(lat, lon).unwrap();
        prop_assert_eq!(d.to_bits(), bd.to_bits());
        prop_assert!(a.id == b.id || d == bd);
    }
}

fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_008.8;
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dp = p2 - p1;
    let dl = (b.1 - a.1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}
