//! Pipeline on a synthetic 10,000-point trip (1 Hz, curvy road, AR(1) noise, parked
//! jitter, a few spikes, Doppler speed).

use chrono::{Duration, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use korsel::domain::gps::{compute_distance, LengthMethod, PipelineParams, TrackPoint};

fn synth(n: usize) -> Vec<TrackPoint> {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
        .single()
        .expect("valid date");
    let (lat0, lon0) = (55.7f64, 12.5f64);
    let m_lon = 111_320.0 * lat0.to_radians().cos();
    let (mut x, mut y, mut heading) = (0.0f64, 0.0f64, 0.0f64);
    let (mut ex, mut ey) = (0.0f64, 0.0f64);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let phase = i % 600;
        let speed = if phase < 60 { 0.0 } else { 14.0 };
        heading += 0.02 * (i as f64 / 90.0).sin();
        x += speed * heading.cos();
        y += speed * heading.sin();
        ex = 0.9 * ex + 2.0 * (uniform() - 0.5) * 2.0;
        ey = 0.9 * ey + 2.0 * (uniform() - 0.5) * 2.0;
        let spike = if i % 997 == 500 { 300.0 } else { 0.0 };
        out.push(TrackPoint {
            lat: lat0 + (y + ey + spike) / 111_320.0,
            lon: lon0 + (x + ex) / m_lon,
            timestamp: t0 + Duration::seconds(i as i64),
            accuracy: Some(5.0 + 5.0 * uniform()),
            speed: if i % 10 == 3 {
                None
            } else {
                Some(speed + 0.3 * uniform())
            },
        });
    }
    out
}

fn bench(c: &mut Criterion) {
    let pts = synth(10_000);
    let variants = [
        ("compute_distance_10k", LengthMethod::KarneyChord),
        (
            "compute_distance_10k_karney_every_interval",
            LengthMethod::Karney,
        ),
        (
            "compute_distance_10k_mid_latitude",
            LengthMethod::MidLatitudeEllipsoid,
        ),
    ];
    for (name, length_method) in variants {
        let params = PipelineParams {
            length_method,
            ..PipelineParams::default()
        };
        c.bench_function(name, |b| {
            b.iter(|| compute_distance(black_box(&pts), black_box(&params)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
