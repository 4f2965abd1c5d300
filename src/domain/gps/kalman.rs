//! Constant-velocity Kalman filter with a Rauch–Tung–Striebel backward pass, in a local
//! metric frame.
//!
//! State per axis is `[position, velocity]` with white-noise acceleration of spectral
//! density `q` (m²/s³). Measurements are positions with isotropic noise `sigma` (per axis)
//! and, where the phone's Doppler speed says the car stands still, a zero-velocity update.
//! Because every measurement is isotropic, the east and north axes share one 2×2
//! covariance, which keeps the filter cheap (one covariance recursion for both axes).

/// Local east/north frame (metres) around a reference point, using the WGS84 meridional
/// and prime-vertical radii at the reference latitude.
#[derive(Debug, Clone, Copy)]
pub(super) struct LocalFrame {
    lat0: f64,
    lon0: f64,
    m_per_deg_lat: f64,
    m_per_deg_lon: f64,
}

impl LocalFrame {
    pub(super) fn new(lat0: f64, lon0: f64) -> Self {
        const A: f64 = 6_378_137.0;
        const F: f64 = 1.0 / 298.257_223_563;
        let e2 = F * (2.0 - F);
        let s = lat0.to_radians().sin();
        let w = (1.0 - e2 * s * s).sqrt();
        let m = A * (1.0 - e2) / (w * w * w);
        let n = A / w;
        LocalFrame {
            lat0,
            lon0,
            m_per_deg_lat: m.to_radians(),
            m_per_deg_lon: (n * lat0.to_radians().cos()).to_radians().max(1e-3),
        }
    }

    /// Reference latitude and longitude, degrees.
    pub(super) fn lat0(self) -> f64 {
        self.lat0
    }

    pub(super) fn lon0(self) -> f64 {
        self.lon0
    }

    pub(super) fn to_local(self, lat: f64, lon: f64) -> (f64, f64) {
        let mut dlon = lon - self.lon0;
        if dlon > 180.0 {
            dlon -= 360.0;
        } else if dlon < -180.0 {
            dlon += 360.0;
        }
        (
            dlon * self.m_per_deg_lon,
            (lat - self.lat0) * self.m_per_deg_lat,
        )
    }

    pub(super) fn to_geo(self, x: f64, y: f64) -> (f64, f64) {
        let mut lon = self.lon0 + x / self.m_per_deg_lon;
        if lon > 180.0 {
            lon -= 360.0;
        } else if lon < -180.0 {
            lon += 360.0;
        }
        (self.lat0 + y / self.m_per_deg_lat, lon)
    }
}

/// One measurement for the smoother.
#[derive(Debug, Clone, Copy)]
pub(super) struct Meas {
    /// seconds since trip start, strictly increasing
    pub t: f64,
    pub x: f64,
    pub y: f64,
    /// per-axis standard deviation of the position, metres
    pub sigma: f64,
    /// apply a zero-velocity update (Doppler says stationary)
    pub zupt: bool,
}

/// Smoothed state at a measurement time.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct State {
    pub x: f64,
    pub y: f64,
    pub vx: f64,
    pub vy: f64,
    /// per-axis position variance after smoothing, m²
    pub var_pos: f64,
    /// per-axis velocity variance after smoothing, (m/s)²
    pub var_vel: f64,
}

/// Symmetric 2×2 covariance [[a, b], [b, c]].
#[derive(Debug, Clone, Copy, Default)]
struct Cov {
    a: f64,
    b: f64,
    c: f64,
}

/// Filtered state after the measurement update, with the interval from the previous
/// measurement (the backward pass recomputes the prediction from these).
#[derive(Debug, Clone, Copy)]
struct Filtered {
    s: [f64; 4], // [x, vx, y, vy]
    p: Cov,
    dt: f64,
}

/// Tuning of the smoother: process noise spectral density `q` (m²/s³), σ of a
/// zero-velocity update (m/s) and of the initial speed (m/s).
#[derive(Debug, Clone, Copy)]
pub(super) struct Tuning {
    pub q: f64,
    pub zupt_sigma: f64,
    pub init_speed_sigma: f64,
}

/// Kalman filter + RTS smoother that keeps its forward-pass buffer between runs.
#[derive(Debug, Default)]
pub(super) struct Smoother {
    filtered: Vec<Filtered>,
}

/// Covariance predicted over `dt` by the constant-velocity model.
fn predict(p: Cov, dt: f64, q: f64) -> Cov {
    Cov {
        a: p.a + 2.0 * dt * p.b + dt * dt * p.c + q * dt * dt * dt / 3.0,
        b: p.b + dt * p.c + q * dt * dt / 2.0,
        c: p.c + q * dt,
    }
}

impl Smoother {
    /// Run the forward filter and the RTS backward pass over the measurements (strictly
    /// increasing in time). `out` receives one state per measurement.
    pub(super) fn run(
        &mut self,
        meas: impl IntoIterator<Item = Meas>,
        tuning: Tuning,
        out: &mut Vec<State>,
    ) {
        let Tuning {
            q,
            zupt_sigma,
            init_speed_sigma,
        } = tuning;
        let filtered = &mut self.filtered;
        filtered.clear();
        out.clear();
        let mut meas = meas.into_iter();
        let Some(m0) = meas.next() else {
            return;
        };
        // Forward pass.
        let mut s = [m0.x, 0.0, m0.y, 0.0];
        let mut p = Cov {
            a: m0.sigma * m0.sigma,
            b: 0.0,
            c: init_speed_sigma * init_speed_sigma,
        };
        if m0.zupt {
            zupt_update(&mut s, &mut p, zupt_sigma);
        }
        filtered.push(Filtered { s, p, dt: 0.0 });
        let mut t_prev = m0.t;
        for m in meas {
            let dt = (m.t - t_prev).max(1e-3);
            t_prev = m.t;
            // predict
            s[0] += s[1] * dt;
            s[2] += s[3] * dt;
            let pred = predict(p, dt, q);
            // position update
            let r = m.sigma * m.sigma;
            let sden = pred.a + r;
            let k0 = pred.a / sden;
            let k1 = pred.b / sden;
            let ix = m.x - s[0];
            let iy = m.y - s[2];
            s[0] += k0 * ix;
            s[1] += k1 * ix;
            s[2] += k0 * iy;
            s[3] += k1 * iy;
            p = Cov {
                a: pred.a - pred.a * pred.a / sden,
                b: pred.b - pred.a * pred.b / sden,
                c: pred.c - pred.b * pred.b / sden,
            };
            if m.zupt {
                zupt_update(&mut s, &mut p, zupt_sigma);
            }
            filtered.push(Filtered { s, p, dt });
        }

        // Backward RTS pass, written from the end.
        let n = filtered.len();
        out.resize(n, State::default());
        let last = filtered[n - 1];
        let mut xs = last.s;
        let mut ps = last.p;
        out[n - 1] = to_state(xs, ps);
        for k in (0..n - 1).rev() {
            let dt = filtered[k + 1].dt;
            let Filtered { s: xk, p: f, .. } = filtered[k];
            let pr = predict(f, dt, q);
            // C = Pf F^T Pp^-1
            let m00 = f.a + dt * f.b;
            let m01 = f.b;
            let m10 = f.b + dt * f.c;
            let m11 = f.c;
            let det = pr.a * pr.c - pr.b * pr.b;
            if det.abs() < 1e-18 {
                out[k] = to_state(xk, f);
                xs = xk;
                ps = f;
                continue;
            }
            let (i00, i01, i11) = (pr.c / det, -pr.b / det, pr.a / det);
            let c00 = m00 * i00 + m01 * i01;
            let c01 = m00 * i01 + m01 * i11;
            let c10 = m10 * i00 + m11 * i01;
            let c11 = m10 * i01 + m11 * i11;
            // predicted state at k+1 from filtered k
            let px = xk[0] + xk[1] * dt;
            let py = xk[2] + xk[3] * dt;
            let dx0 = xs[0] - px;
            let dx1 = xs[1] - xk[1];
            let dy0 = xs[2] - py;
            let dy1 = xs[3] - xk[3];
            xs = [
                xk[0] + c00 * dx0 + c01 * dx1,
                xk[1] + c10 * dx0 + c11 * dx1,
                xk[2] + c00 * dy0 + c01 * dy1,
                xk[3] + c10 * dy0 + c11 * dy1,
            ];
            // Ps = Pf + C (Ps' - Pp) C^T
            let d = Cov {
                a: ps.a - pr.a,
                b: ps.b - pr.b,
                c: ps.c - pr.c,
            };
            let t00 = c00 * d.a + c01 * d.b;
            let t01 = c00 * d.b + c01 * d.c;
            let t10 = c10 * d.a + c11 * d.b;
            let t11 = c10 * d.b + c11 * d.c;
            ps = Cov {
                a: f.a + t00 * c00 + t01 * c01,
                b: f.b + t00 * c10 + t01 * c11,
                c: f.c + t10 * c10 + t11 * c11,
            };
            out[k] = to_state(xs, ps);
        }
    }
}

fn zupt_update(s: &mut [f64; 4], p: &mut Cov, zupt_sigma: f64) {
    let sden = p.c + zupt_sigma * zupt_sigma;
    let k0 = p.b / sden;
    let k1 = p.c / sden;
    let ix = -s[1];
    let iy = -s[3];
    s[0] += k0 * ix;
    s[1] += k1 * ix;
    s[2] += k0 * iy;
    s[3] += k1 * iy;
    *p = Cov {
        a: p.a - p.b * p.b / sden,
        b: p.b - p.b * p.c / sden,
        c: p.c - p.c * p.c / sden,
    };
}

fn to_state(s: [f64; 4], p: Cov) -> State {
    State {
        x: s[0],
        y: s[2],
        vx: s[1],
        vy: s[3],
        var_pos: p.a.max(0.0),
        var_vel: p.c.max(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smoothed(meas: &[Meas], q: f64, zupt_sigma: f64) -> Vec<State> {
        let tuning = Tuning {
            q,
            zupt_sigma,
            init_speed_sigma: 30.0,
        };
        let mut out = Vec::new();
        Smoother::default().run(meas.iter().copied(), tuning, &mut out);
        out
    }

    #[test]
    fn frame_round_trip() {
        let f = LocalFrame::new(55.7, 12.5);
        let (x, y) = f.to_local(55.71, 12.52);
        let (lat, lon) = f.to_geo(x, y);
        assert!((lat - 55.71).abs() < 1e-12 && (lon - 12.52).abs() < 1e-12);
        // 0.01° of latitude ≈ 1113 m at 55.7°N
        assert!((y - 1113.0).abs() < 3.0, "{y}");
    }

    #[test]
    fn smoother_recovers_constant_velocity() {
        let meas: Vec<Meas> = (0..50)
            .map(|i| {
                let t = i as f64;
                let noise = if i % 2 == 0 { 3.0 } else { -3.0 };
                Meas {
                    t,
                    x: 10.0 * t + noise,
                    y: 0.0,
                    sigma: 3.0,
                    zupt: false,
                }
            })
            .collect();
        let st = smoothed(&meas, 0.5, 0.3);
        for s in &st[5..45] {
            assert!((s.vx - 10.0).abs() < 0.5, "{}", s.vx);
        }
    }

    #[test]
    fn zupt_freezes_a_parked_car() {
        let meas: Vec<Meas> = (0..60)
            .map(|i| Meas {
                t: i as f64,
                x: if i % 3 == 0 { 4.0 } else { -2.0 },
                y: if i % 2 == 0 { 3.0 } else { -3.0 },
                sigma: 4.0,
                zupt: true,
            })
            .collect();
        let st = smoothed(&meas, 1.0, 0.2);
        let len: f64 = st
            .windows(2)
            .map(|w| ((w[1].x - w[0].x).powi(2) + (w[1].y - w[0].y).powi(2)).sqrt())
            .sum();
        assert!(len < 5.0, "{len}");
    }
}
