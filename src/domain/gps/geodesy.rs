//! Segment lengths on the WGS84 ellipsoid for the distance pipeline (split from `distance.rs`,
//! issue 12): the vertex preparation, the chord-with-curvature and mid-latitude formulas, and
//! Karney's geodesic, with the tests that hold them to Karney.

use geo::{Distance, Geodesic, Point};

use super::distance::LengthMethod;

/// Intervals shorter than this (metres) are measured by the chord formula of
/// [`LengthMethod::KarneyChord`] / [`LengthMethod::MidLatitudeEllipsoid`], longer ones
/// by Karney's geodesic.
const SHORT_SEGMENT_M: f64 = 2_000.0;

const WGS84_A: f64 = 6_378_137.0;
const WGS84_F: f64 = 1.0 / 298.257_223_563;
const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// A point of a polyline to measure, prepared once for the segments on both sides of it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Vertex {
    lat: f64,
    lon: f64,
    /// earth-centred, earth-fixed coordinates on the ellipsoid, metres
    /// ([`LengthMethod::KarneyChord`] only)
    ecef: [f64; 3],
    /// Gaussian curvature 1/(M·N) of the ellipsoid here over 24, 1/m²: the arc-over-chord
    /// coefficient ([`LengthMethod::KarneyChord`] only)
    curvature_24: f64,
}

impl Vertex {
    /// A vertex at (`lat`, `lon`), preferably near `angles`' reference point.
    pub(super) fn new(lat: f64, lon: f64, method: LengthMethod, angles: &NearAngles) -> Self {
        if method != LengthMethod::KarneyChord {
            return Vertex {
                lat,
                lon,
                ecef: [0.0; 3],
                curvature_24: 0.0,
            };
        }
        let (sin_lat, cos_lat) = angles.sin_cos(lat);
        let (sin_lon, cos_lon) = angles.sin_cos(lon);
        let w2 = 1.0 - WGS84_E2 * sin_lat * sin_lat;
        let n = WGS84_A / w2.sqrt();
        Vertex {
            lat,
            lon,
            ecef: [
                n * cos_lat * cos_lon,
                n * cos_lat * sin_lon,
                n * (1.0 - WGS84_E2) * sin_lat,
            ],
            curvature_24: w2 * w2 / (24.0 * WGS84_A * WGS84_A * (1.0 - WGS84_E2)),
        }
    }
}

/// Sines and cosines of angles (degrees) near the two reference angles of a trip (its
/// latitude and longitude): sin/cos(r + d) by angle addition, with sin d and cos d from
/// their Taylor series, whose first omitted terms are below 1e-21 for |d| ≤ 0.01 rad
/// (≈ 64 km); farther angles go to libm. A trip stays close to its start and centroid, so
/// this replaces two libm `sincos` per vertex.
pub(super) struct NearAngles {
    /// (reference, sin, cos) for each of the two reference angles, radians
    refs: [(f64, f64, f64); 2],
}

impl NearAngles {
    const MAX_OFFSET_RAD: f64 = 0.01;

    pub(super) fn new(lat: f64, lon: f64) -> Self {
        let reference = |deg: f64| {
            let r = deg.to_radians();
            let (s, c) = r.sin_cos();
            (r, s, c)
        };
        NearAngles {
            refs: [reference(lat), reference(lon)],
        }
    }

    pub(super) fn sin_cos(&self, deg: f64) -> (f64, f64) {
        let x = deg.to_radians();
        let Some(&(r, sin_r, cos_r)) = self
            .refs
            .iter()
            .find(|(r, _, _)| (x - r).abs() <= Self::MAX_OFFSET_RAD)
        else {
            return x.sin_cos();
        };
        let d = x - r;
        let d2 = d * d;
        let sin_d = d * (1.0 - d2 / 6.0 * (1.0 - d2 / 20.0 * (1.0 - d2 / 42.0)));
        let cos_d = 1.0 - d2 / 2.0 * (1.0 - d2 / 12.0 * (1.0 - d2 / 30.0 * (1.0 - d2 / 56.0)));
        (sin_r * cos_d + cos_r * sin_d, cos_r * cos_d - sin_r * sin_d)
    }
}

pub(super) fn karney(a: &Vertex, b: &Vertex) -> f64 {
    Geodesic.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// Length of the segment between two vertices on WGS84.
#[inline]
pub(super) fn segment_length(a: &Vertex, b: &Vertex, method: LengthMethod) -> f64 {
    let short = match method {
        LengthMethod::Karney => return karney(a, b),
        LengthMethod::KarneyChord => {
            // The geodesic is a space curve whose curvature is the ellipsoid's normal
            // curvature along it, which lies between 1/N and 1/M, i.e. within 0.7 % of
            // √(1/(M·N)). An arc of curvature κ over its chord c is
            // c·(1 + κ²c²/24 + O(κ⁴c⁴)); at c = 2 km the correction is 4e-9 relative,
            // so the curvature's spread and the neglected terms are < 1e-10 relative.
            let [dx, dy, dz] = [0, 1, 2].map(|i| b.ecef[i] - a.ecef[i]);
            let c2 = dx * dx + dy * dy + dz * dz;
            c2.sqrt() * (1.0 + c2 * a.curvature_24)
        }
        LengthMethod::MidLatitudeEllipsoid => {
            let (s, c) = (0.5 * (a.lat + b.lat)).to_radians().sin_cos();
            let w2 = 1.0 - WGS84_E2 * s * s;
            let w = w2.sqrt();
            let m = WGS84_A * (1.0 - WGS84_E2) / (w2 * w);
            let n = WGS84_A / w;
            let mut dlon = b.lon - a.lon;
            if dlon > 180.0 {
                dlon -= 360.0;
            } else if dlon < -180.0 {
                dlon += 360.0;
            }
            let dy = m * (b.lat - a.lat).to_radians();
            let dx = n * c * dlon.to_radians();
            (dx * dx + dy * dy).sqrt()
        }
    };
    if short > SHORT_SEGMENT_M {
        karney(a, b)
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Destination;

    /// Length with the sines and cosines from libm (reference angles far away).
    fn length(a: (f64, f64), b: (f64, f64), method: LengthMethod) -> f64 {
        let libm = NearAngles::new(-89.0, -179.0);
        segment_length(
            &Vertex::new(a.0, a.1, method, &libm),
            &Vertex::new(b.0, b.1, method, &libm),
            method,
        )
    }

    #[test]
    fn mid_latitude_formula_matches_karney() {
        for &(lat, lon) in &[
            (55.7, 12.5),
            (57.5, 9.9),
            (0.0, 0.0),
            (-45.0, 170.0),
            (70.0, 25.0),
        ] {
            for &(dn, de) in &[(100.0, 0.0), (0.0, 100.0), (700.0, 700.0), (-1500.0, 300.0)] {
                let b = (
                    lat + dn / 111_000.0,
                    lon + de / (111_000.0 * f64::cos(f64::to_radians(lat))),
                );
                let k = length((lat, lon), b, LengthMethod::Karney);
                let m = length((lat, lon), b, LengthMethod::MidLatitudeEllipsoid);
                assert!(
                    (k - m).abs() / k < 1e-6,
                    "{lat},{lon} {dn},{de}: {k} vs {m}"
                );
            }
        }
    }

    /// The chord formula of the default method is Karney's length: the segment is built
    /// with geo's Geodesic (direct problem) and measured back (inverse problem) for
    /// latitudes 54–58°, every 5° of azimuth and lengths 0–2 km; both must agree within
    /// 1 µm (Karney itself is accurate to ≈ 15 nm).
    #[test]
    fn chord_formula_matches_karney_on_short_segments() {
        let mut worst = 0.0f64;
        for lat_step in 0..=16 {
            let lat = 54.0 + 0.25 * lat_step as f64;
            let lon = 8.0 + 0.37 * lat_step as f64;
            for az_step in 0..72 {
                let azimuth = 5.0 * az_step as f64 + 0.3;
                for &dist in &[
                    0.0, 1e-3, 0.05, 0.7, 3.0, 14.0, 55.0, 120.0, 333.3, 900.0, 1500.0, 1999.0,
                ] {
                    let a = Point::new(lon, lat);
                    let b = Geodesic.destination(a, azimuth, dist);
                    let k = Geodesic.distance(a, b);
                    let c = length((lat, lon), (b.y(), b.x()), LengthMethod::KarneyChord);
                    let err = (c - k).abs();
                    worst = worst.max(err);
                    assert!(
                        err < 1e-6,
                        "{lat}° {azimuth}° {dist} m: chord {c} vs Karney {k}"
                    );
                }
            }
        }
        assert!(worst > 0.0, "the comparison must have measured something");
    }

    #[test]
    fn angles_near_the_reference_are_exact() {
        let near = NearAngles::new(56.1, 10.2);
        for i in -300..=300 {
            // ±1.5° around both references: the series inside 0.57°, libm beyond
            let d = 0.005 * i as f64;
            for deg in [56.1 + d, 10.2 + d, -40.0 + d] {
                let (s, c) = near.sin_cos(deg);
                let (s0, c0) = deg.to_radians().sin_cos();
                assert!((s - s0).abs() < 4e-16 && (c - c0).abs() < 4e-16, "{deg}");
            }
            let v = Vertex::new(56.1 + d, 10.2 - d, LengthMethod::KarneyChord, &near);
            let libm = NearAngles::new(-89.0, -179.0);
            let w = Vertex::new(56.1 + d, 10.2 - d, LengthMethod::KarneyChord, &libm);
            for k in 0..3 {
                assert!((v.ecef[k] - w.ecef[k]).abs() < 1e-8, "{d}");
            }
        }
    }

    #[test]
    fn long_segments_and_the_antimeridian_are_karney() {
        let cases = [
            ((55.7, 12.5), (55.75, 12.56)), // ≈ 6.9 km: beyond the chord formula
            ((56.0, 179.99), (56.0, -179.99)), // 1.2 km across the antimeridian
            ((-33.9, 151.2), (51.5, -0.1)), // antipodal-ish: Karney
        ];
        for (a, b) in cases {
            let k = length(a, b, LengthMethod::Karney);
            let c = length(a, b, LengthMethod::KarneyChord);
            assert!((c - k).abs() < 1e-6, "{a:?} {b:?}: {c} vs {k}");
        }
    }

    #[test]
    fn karney_is_not_haversine() {
        // 1 km east-west at 55.7°N: haversine (mean radius) reads ≈ 0.34 % short
        let a = (55.7, 12.5);
        let b = (
            55.7,
            12.5 + 1000.0 / (111_320.0 * f64::cos(f64::to_radians(55.7))),
        );
        let k = length(a, b, LengthMethod::Karney);
        let h = geo::Haversine.distance(Point::new(a.1, a.0), Point::new(b.1, b.0));
        assert!((k - h) / k > 0.003 && (k - h) / k < 0.004, "{k} {h}");
    }
}
