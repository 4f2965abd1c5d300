//! National-scale benchmark for the address index.
//!
//!     cargo run --release --example address_bench [-- N_ADDRESSES]
//!
//! Builds a synthetic set of 2.5 M access addresses over Denmark's extent with
//! real Danish street names (from the Fanø/Tønder DAWA fixtures) recombined
//! into ~60 k distinct names, all 1,075 real postnumre, clustered in towns, and
//! reports build time, resident memory (VmRSS / VmHWM from /proc/self/status),
//! reverse-geocode and autocomplete latency (median / p99 per query).
//! Fixture directory: `$ADDRESS_FIXTURES` or ../shared/fixtures/addresses beside the crate.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::sync::Arc;
use std::time::{Duration, Instant};

use korsel::address::*;
use uuid::Uuid;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn mem(label: &str) -> (u64, u64) {
    let (rss, hwm) = (status_kb("VmRSS:"), status_kb("VmHWM:"));
    println!(
        "  memory {label:<28} VmRSS {:>7.1} MB   VmHWM {:>7.1} MB",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    (rss, hwm)
}

const SUFFIXES: &[&str] = &[
    "vej", "gade", "stræde", "sti", "allé", "vænget", "toften", "marken", "bakken", "parken",
    "have", "haven", "plads", "torv", "gyde", "lund", "højen", "engen", "vangen", "kær", "dalen",
    "hegn", "skov", "strand", "agre", "ager", "mose", "holm", "bjerg", "mark", "toft", "gård",
    "vang", "stien", "vejen", "gaden", "huse", "bro", "enge", "løkke",
];
const PREFIXES: &[&str] = &[
    "", "", "", "", "Nørre ", "Søndre ", "Østre ", "Vestre ", "Gamle ", "Ny ", "Store ", "Lille ",
    "Øvre ", "Nedre ",
];

fn real_street_names(dir: &str) -> Vec<String> {
    let mut names = BTreeSet::new();
    let v: serde_json::Value = serde_json::from_reader(BufReader::new(
        File::open(format!("{dir}/dawa-fano-2015/vejstykker.json")).unwrap(),
    ))
    .unwrap();
    for e in v.as_array().unwrap() {
        if let Some(n) = e["navn"].as_str() {
            names.insert(n.to_string());
        }
    }
    let f = File::open(format!("{dir}/dawa-fano-2015/adgangsadresser.csv")).unwrap();
    for r in DawaCsvReader::new(f).unwrap().flatten() {
        names.insert(r.access.vejnavn.to_string());
    }
    let g = flate2::read::GzDecoder::new(
        File::open(format!("{dir}/dawa-tonder-2015/adresser.csv.gz")).unwrap(),
    );
    for r in DawaCsvReader::new(g).unwrap().flatten() {
        names.insert(r.access.vejnavn.to_string());
    }
    names.into_iter().collect()
}

fn recombine(real: &[String], want: usize, rng: &mut Rng) -> Vec<String> {
    // Stems: last word minus a known suffix, with the leading words kept.
    let mut stems: Vec<String> = Vec::new();
    for n in real {
        let lower = n.to_lowercase();
        if let Some(suf) = SUFFIXES
            .iter()
            .filter(|s| lower.ends_with(*s) && lower.len() > s.len() + 2)
            .max_by_key(|s| s.len())
        {
            let stem = &n[..n.len() - suf.len()];
            if !stem.ends_with(' ') {
                stems.push(stem.to_string());
            }
        } else if !n.contains(' ') {
            stems.push(n.clone());
        }
    }
    stems.sort();
    stems.dedup();
    let mut out: HashSet<String> = real.iter().cloned().collect();
    while out.len() < want {
        let stem = &stems[rng.below(stems.len())];
        let suf = SUFFIXES[rng.below(SUFFIXES.len())];
        let pre = PREFIXES[rng.below(PREFIXES.len())];
        out.insert(format!("{pre}{stem}{suf}"));
    }
    let mut v: Vec<String> = out.into_iter().collect();
    v.sort();
    v
}

struct Town {
    nr: u16,
    navn: Arc<str>,
    kommune: u16,
}

fn towns(dir: &str) -> Vec<Town> {
    let v: serde_json::Value = serde_json::from_reader(BufReader::new(
        File::open(format!("{dir}/dawa-fano-2015/postnumre.json")).unwrap(),
    ))
    .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            Some(Town {
                nr: p["nr"].as_str()?.parse().ok()?,
                navn: Arc::from(p["navn"].as_str()?),
                kommune: p["kommuner"]
                    .get(0)
                    .and_then(|k| k["kode"].as_str())
                    .and_then(|k| k.parse().ok())
                    .unwrap_or(0),
            })
        })
        .collect()
}

fn generate(n: usize, names: &[Arc<str>], towns: &[Town], rng: &mut Rng) -> Vec<AccessAddress> {
    let weights: Vec<f64> = towns.iter().map(|_| rng.f64().powi(3) + 0.02).collect();
    let wsum: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(n);
    let letters = ["A", "B", "C"];
    for (ti, t) in towns.iter().enumerate() {
        let target = ((weights[ti] / wsum) * n as f64).round() as usize;
        let (clat, clon) = if (3700..3800).contains(&t.nr) {
            (55.05 + rng.f64() * 0.22, 14.70 + rng.f64() * 0.40) // Bornholm
        } else {
            (54.75 + rng.f64() * 2.9, 8.15 + rng.f64() * 4.4)
        };
        let radius_m = (target as f64).sqrt() * 12.0 + 300.0;
        let mut made = 0;
        let mut used_names: HashSet<usize> = HashSet::new();
        while made < target && out.len() < n {
            let mut ni = rng.below(names.len());
            while !used_names.insert(ni) {
                ni = rng.below(names.len());
            }
            let houses = (3 + rng.below(55)).min(target - made).max(1);
            let ang = rng.f64() * std::f64::consts::TAU;
            let r0 = rng.f64().sqrt() * radius_m;
            let (mut x, mut y) = (r0 * ang.cos(), r0 * ang.sin());
            let dir = rng.f64() * std::f64::consts::TAU;
            for h in 1..=houses {
                x += 14.0 * dir.cos();
                y += 14.0 * dir.sin();
                let side = if h % 2 == 0 { 9.0 } else { -9.0 };
                let lat = clat + (y + side * dir.cos()) / 111_320.0;
                let lon = clon + (x - side * dir.sin()) / (111_320.0 * clat.to_radians().cos());
                let hs = if rng.below(20) == 0 {
                    format!("{h}{}", letters[rng.below(3)])
                } else {
                    h.to_string()
                };
                out.push(AccessAddress {
                    id: Uuid::from_u64_pair(rng.next(), rng.next()),
                    vejnavn: names[ni].clone(),
                    husnr: Husnr::parse(&hs).unwrap(),
                    supplerendebynavn: None,
                    postnr: t.nr,
                    postnrnavn: t.navn.clone(),
                    kommunekode: t.kommune,
                    lat,
                    lon,
                    status: 1,
                    active: true,
                });
            }
            made += houses;
        }
    }
    // Top up rounding shortfall in the largest town.
    while out.len() < n {
        let mut a = out[rng.below(out.len())].clone();
        a.id = Uuid::from_u64_pair(rng.next(), rng.next());
        a.lat += (rng.f64() - 0.5) * 0.001;
        out.push(a);
    }
    out.truncate(n);
    out
}

fn pct(v: &mut [u64], p: f64) -> f64 {
    v.sort_unstable();
    v[((v.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

fn ascii_fold_variant(s: &str, rng: &mut Rng) -> String {
    let alt = rng.below(2) == 0;
    s.chars()
        .map(|c| match c {
            'ø' => {
                if alt {
                    "oe".into()
                } else {
                    "o".into()
                }
            }
            'æ' => "ae".to_string(),
            'å' => "aa".to_string(),
            'Ø' => "Oe".into(),
            'Æ' => "Ae".into(),
            'Å' => "Aa".into(),
            c => c.to_lowercase().to_string(),
        })
        .collect()
}

fn typo(s: &str, rng: &mut Rng) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 5 {
        return s.to_string();
    }
    let i = 1 + rng.below(c.len() - 2);
    match rng.below(3) {
        0 => {
            c.remove(i);
        }
        1 => c.swap(i, i + 1),
        _ => c[i] = ['e', 'a', 'r', 'n'][rng.below(4)],
    }
    c.into_iter().collect()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_500_000);
    let dir = std::env::var("ADDRESS_FIXTURES").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/addresses").into()
    });
    let mut rng = Rng(0x5EED_2026);
    println!("address_bench: {n} synthetic access addresses");
    let (base_rss, _) = mem("baseline");

    let real = real_street_names(&dir);
    let names: Vec<Arc<str>> = recombine(&real, 60_000, &mut rng)
        .into_iter()
        .map(Arc::from)
        .collect();
    let towns = towns(&dir);
    println!(
        "  {} real street names -> {} recombined names, {} postnumre",
        real.len(),
        names.len(),
        towns.len()
    );
    let t = Instant::now();
    let data = generate(n, &names, &towns, &mut rng);
    println!(
        "  generated {} addresses in {:.2?}",
        data.len(),
        t.elapsed()
    );
    let (in_rss, _) = mem("input generated");

    // Keep a small sample for queries (the input itself moves into the index).
    let mut sample: Vec<AccessAddress> = (0..20_000)
        .map(|_| data[rng.below(data.len())].clone())
        .collect();
    drop(names);

    let t = Instant::now();
    let idx = AddressIndex::build(data);
    let build = t.elapsed();
    println!(
        "  BUILD {:.2?} ({} addresses, {} streets)",
        build,
        idx.len(),
        idx.street_count()
    );
    let (after_rss, _) = mem("after build");
    println!(
        "  index resident ≈ {:.1} MB (VmRSS after build − baseline), input-only ≈ {:.1} MB",
        (after_rss.saturating_sub(base_rss)) as f64 / 1024.0,
        (in_rss.saturating_sub(base_rss)) as f64 / 1024.0
    );

    // Reverse geocoding: points within ~100 m of real addresses.
    let q: Vec<(f64, f64)> = (0..200_000)
        .map(|_| {
            let a = &sample[rng.below(sample.len())];
            (
                a.lat + (rng.f64() - 0.5) * 0.0018,
                a.lon + (rng.f64() - 0.5) * 0.003,
            )
        })
        .collect();
    let t = Instant::now();
    let mut acc = 0.0f32;
    for &(lat, lon) in &q {
        acc += korsel::address::index::project(lat, lon)[0];
    }
    std::hint::black_box(acc);
    println!(
        "  (of which WGS84->UTM32 projection: {:.3} µs/query)",
        t.elapsed().as_nanos() as f64 / q.len() as f64 / 1000.0
    );
    let mut times = Vec::with_capacity(q.len());
    let mut sink = 0.0;
    for &(lat, lon) in &q {
        let t = Instant::now();
        let r = idx.nearest(lat, lon);
        times.push(t.elapsed().as_nanos() as u64);
        sink += r.map(|x| x.1).unwrap_or(0.0);
    }
    let total: Duration = times.iter().map(|&x| Duration::from_nanos(x)).sum();
    println!(
        "  REVERSE (near addresses) n={} median {:.2} µs  p99 {:.2} µs  mean {:.2} µs  (mean dist {:.1} m)",
        q.len(),
        pct(&mut times, 0.5),
        pct(&mut times, 0.99),
        total.as_nanos() as f64 / q.len() as f64 / 1000.0,
        sink / q.len() as f64
    );
    let mut times = Vec::with_capacity(100_000);
    for _ in 0..100_000 {
        let (lat, lon) = (54.55 + rng.f64() * 3.2, 8.07 + rng.f64() * 7.1);
        let t = Instant::now();
        let r = idx.nearest(lat, lon);
        times.push(t.elapsed().as_nanos() as u64);
        std::hint::black_box(r);
    }
    println!(
        "  REVERSE (uniform over bbox, incl. sea) n={} median {:.2} µs  p99 {:.2} µs",
        times.len(),
        pct(&mut times, 0.5),
        pct(&mut times, 0.99)
    );

    if std::env::var("REVERSE_ONLY").is_ok() {
        return;
    }
    // Autocomplete.
    let mut queries: Vec<(&str, String, Arc<str>)> = Vec::new();
    for (i, a) in sample.iter_mut().enumerate().take(20_000) {
        let name = a.vejnavn.to_string();
        let q = match i % 6 {
            0 => {
                let k = 3 + rng.below(name.chars().count().saturating_sub(2).max(1));
                (
                    "prefix",
                    name.chars().take(k).collect::<String>().to_lowercase(),
                )
            }
            1 => (
                "street+husnr+postnr",
                format!("{} {}, {:04}", name, a.husnr, a.postnr),
            ),
            2 => (
                "typo+husnr",
                format!("{} {}", typo(&name, &mut rng), a.husnr),
            ),
            3 => (
                "ascii-folded+husnr",
                format!("{} {}", ascii_fold_variant(&name, &mut rng), a.husnr),
            ),
            4 => (
                "street+partial husnr",
                format!("{} {}", name, a.husnr.number() / 10 + 1),
            ),
            _ => ("full betegnelse", a.betegnelse()),
        };
        queries.push((q.0, q.1, a.vejnavn.clone()));
    }
    let mut all = Vec::new();
    let mut by_kind: std::collections::BTreeMap<&str, (Vec<u64>, usize, usize)> =
        Default::default();
    for (kind, q, street) in &queries {
        let t = Instant::now();
        let r = idx.autocomplete(q, 10);
        let dt = t.elapsed().as_nanos() as u64;
        all.push(dt);
        let e = by_kind.entry(kind).or_default();
        e.0.push(dt);
        e.2 += 1;
        if r.iter().any(|s| s.text.starts_with(&**street)) {
            e.1 += 1;
        }
    }
    println!(
        "  AUTOCOMPLETE n={} (limit 10) median {:.1} µs  p99 {:.1} µs  max {:.1} µs",
        all.len(),
        pct(&mut all, 0.5),
        pct(&mut all, 0.99),
        pct(&mut all, 1.0)
    );
    for (k, (mut v, hit, cnt)) in by_kind {
        println!(
            "    {k:<22} median {:>7.1} µs  p99 {:>7.1} µs  expected street in top 10: {:>5.1} %",
            pct(&mut v, 0.5),
            pct(&mut v, 0.99),
            100.0 * hit as f64 / cnt as f64
        );
    }

    // Wash.
    let mut wt = Vec::new();
    for a in sample.iter().take(5_000) {
        let t = Instant::now();
        let r = idx.wash(&a.betegnelse());
        wt.push(t.elapsed().as_nanos() as u64);
        std::hint::black_box(r);
    }
    println!(
        "  WASH exact n={} median {:.1} µs  p99 {:.1} µs",
        wt.len(),
        pct(&mut wt, 0.5),
        pct(&mut wt, 0.99)
    );
    let mut wt = Vec::new();
    let mut cats = [0usize; 4];
    for a in sample.iter().skip(5_000).take(5_000) {
        let text = format!(
            "{} {}, {:04} {}",
            typo(&a.vejnavn, &mut rng),
            a.husnr,
            a.postnr,
            a.postnrnavn
        );
        let t = Instant::now();
        let r = idx.wash(&text);
        wt.push(t.elapsed().as_nanos() as u64);
        match r {
            Some(r) if r.address.id == a.id => cats[r.category as usize] += 1,
            _ => cats[3] += 1,
        }
    }
    println!(
        "  WASH street typo n={} median {:.1} µs  p99 {:.1} µs  (correct: A {} / B {} / C {}; wrong/none {})",
        wt.len(),
        pct(&mut wt, 0.5),
        pct(&mut wt, 0.99),
        cats[0],
        cats[1],
        cats[2],
        cats[3]
    );
    mem("end");
}
