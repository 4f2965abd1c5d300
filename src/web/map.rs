//! Maps without any outside service: a track or route drawn as SVG, with start/stop/end markers
//! and a scale bar. Points are projected with Web Mercator and measured in a local metric frame
//! (Mercator metres times cos φ₀ of the drawing's centre), so that an optional tile background
//! (`KORSEL_MAP_TILE_URL`) lines up. The line is simplified for drawing only (Douglas–Peucker,
//! half a pixel); distances are never computed from it.

use std::f64::consts::PI;
use std::fmt::Write;

const EARTH_RADIUS_M: f64 = 6_378_137.0;
const WIDTH: f64 = 640.0;
const MAX_HEIGHT: f64 = 440.0;
const PADDING: f64 = 28.0;
/// A drawing spans at least this many metres, so one point or a short trip is not a blur.
const MIN_SPAN_M: f64 = 300.0;
/// Vertices closer than this to the simplified line are left out (SVG pixels).
const TOLERANCE_PX: f64 = 0.5;
const MAX_TILES: usize = 48;

/// A marker on the map: `S`, `M` or a stop's number, with a title for screen readers.
#[derive(Debug, Clone)]
pub struct Marker {
    pub latitude: f64,
    pub longitude: f64,
    pub label: String,
    pub title: String,
    pub kind: MarkerKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    Start,
    Stop,
    End,
}

/// What the page embeds: the SVG markup and how many vertices were drawn of how many.
#[derive(Debug, Clone)]
pub struct Drawing {
    pub svg: String,
    pub drawn_vertices: usize,
    pub input_vertices: usize,
}

fn mercator(lat: f64, lon: f64) -> (f64, f64) {
    let lat = lat.clamp(-85.0, 85.0).to_radians();
    (
        EARTH_RADIUS_M * lon.to_radians(),
        EARTH_RADIUS_M * (PI / 4.0 + lat / 2.0).tan().ln(),
    )
}

/// The frame of one drawing: Mercator metres → SVG pixels.
struct Frame {
    min_x: f64,
    max_y: f64,
    /// SVG pixels per Mercator metre.
    scale: f64,
    /// Ground metres per Mercator metre at the centre (cos φ₀).
    ground: f64,
    height: f64,
}

impl Frame {
    fn fit(points: &[(f64, f64)], centre_lat: f64) -> Frame {
        let ground = centre_lat.to_radians().cos().max(0.01);
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in points {
            min_x = min_x.min(x);
            min_y = min_y.min(y);
            max_x = max_x.max(x);
            max_y = max_y.max(y);
        }
        // Grow a tiny extent to the minimum span, around its centre.
        let min_span = MIN_SPAN_M / ground;
        for (lo, hi) in [(&mut min_x, &mut max_x), (&mut min_y, &mut max_y)] {
            if *hi - *lo < min_span {
                let mid = (*hi + *lo) / 2.0;
                *lo = mid - min_span / 2.0;
                *hi = mid + min_span / 2.0;
            }
        }
        let inner_w = WIDTH - 2.0 * PADDING;
        let inner_h = MAX_HEIGHT - 2.0 * PADDING;
        let scale = (inner_w / (max_x - min_x)).min(inner_h / (max_y - min_y));
        let height = (max_y - min_y) * scale + 2.0 * PADDING;
        // Centre horizontally when the drawing is taller than wide.
        let spare = (inner_w - (max_x - min_x) * scale) / 2.0;
        Frame {
            min_x: min_x - spare / scale,
            max_y,
            scale,
            ground,
            height,
        }
    }

    fn pixel(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (
            PADDING + (x - self.min_x) * self.scale,
            PADDING + (self.max_y - y) * self.scale,
        )
    }

    /// Ground metres per SVG pixel.
    fn metres_per_pixel(&self) -> f64 {
        self.ground / self.scale
    }
}

/// Douglas–Peucker on pixels: the indices kept, first and last always.
pub fn simplify(points: &[(f64, f64)], tolerance: f64) -> Vec<usize> {
    if points.len() <= 2 {
        return (0..points.len()).collect();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((first, last)) = stack.pop() {
        let (a, b) = (points[first], points[last]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length = (dx * dx + dy * dy).sqrt();
        let mut worst = (0.0, first);
        for (i, p) in points.iter().enumerate().take(last).skip(first + 1) {
            let d = if length == 0.0 {
                ((p.0 - a.0).powi(2) + (p.1 - a.1).powi(2)).sqrt()
            } else {
                ((p.0 - a.0) * dy - (p.1 - a.1) * dx).abs() / length
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tolerance {
            keep[worst.1] = true;
            stack.push((first, worst.1));
            stack.push((worst.1, last));
        }
    }
    (0..points.len()).filter(|&i| keep[i]).collect()
}

/// 1, 2 or 5 times a power of ten, at most `metres`.
fn nice_length(metres: f64) -> f64 {
    let power = 10f64.powf(metres.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&l| l <= metres)
        .unwrap_or(power)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws `line` (latitude, longitude) and `markers`; `None` when there is nothing to draw.
/// `tile_url` (`{z}/{x}/{y}`) adds a background of map tiles.
pub fn draw(
    line: &[(f64, f64)],
    markers: &[Marker],
    label: &str,
    tile_url: Option<&str>,
) -> Option<Drawing> {
    let all: Vec<(f64, f64)> = line
        .iter()
        .copied()
        .chain(markers.iter().map(|m| (m.latitude, m.longitude)))
        .filter(|(lat, lon)| lat.is_finite() && lon.is_finite())
        .collect();
    if all.is_empty() {
        return None;
    }
    let centre_lat = all.iter().map(|p| p.0).sum::<f64>() / all.len() as f64;
    let projected: Vec<(f64, f64)> = all.iter().map(|&(lat, lon)| mercator(lat, lon)).collect();
    let frame = Frame::fit(&projected, centre_lat);
    let pixels: Vec<(f64, f64)> = projected[..line.len().min(projected.len())]
        .iter()
        .map(|&p| frame.pixel(p))
        .collect();
    let kept = simplify(&pixels, TOLERANCE_PX);

    let (w, h) = (WIDTH, frame.height);
    let mut svg = String::with_capacity(kept.len() * 16 + 2048);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0} {h:.0}" role="img" aria-labelledby="map-title"><title id="map-title">{}</title>"#,
        escape(label)
    );
    let _ = write!(
        svg,
        r##"<rect width="{w:.0}" height="{h:.0}" fill="#f7f9fb"/>"##
    );
    if let Some(url) = tile_url {
        tiles(&mut svg, &frame, url, h);
    }
    if kept.len() >= 2 {
        svg.push_str(r##"<polyline fill="none" stroke="#b00020" stroke-width="3" stroke-linejoin="round" stroke-linecap="round" points=""##);
        for &i in &kept {
            let (x, y) = pixels[i];
            let _ = write!(svg, "{x:.1},{y:.1} ");
        }
        svg.push_str(r#""/>"#);
    }
    for m in markers {
        let (x, y) = frame.pixel(mercator(m.latitude, m.longitude));
        let fill = match m.kind {
            MarkerKind::Start => "#1f5c08",
            MarkerKind::Stop => "#004993",
            MarkerKind::End => "#1a1a1a",
        };
        let _ = write!(
            svg,
            r##"<g><title>{}</title><circle cx="{x:.1}" cy="{y:.1}" r="12" fill="{fill}" stroke="#fff" stroke-width="2"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="13" font-weight="700" fill="#fff">{}</text></g>"##,
            escape(&m.title),
            y + 4.0,
            escape(&m.label)
        );
    }
    scale_bar(&mut svg, &frame, h);
    svg.push_str("</svg>");
    Some(Drawing {
        svg,
        drawn_vertices: if kept.len() >= 2 { kept.len() } else { 0 },
        input_vertices: line.len(),
    })
}

fn scale_bar(svg: &mut String, frame: &Frame, height: f64) {
    let metres = nice_length(160.0 * frame.metres_per_pixel());
    let px = metres / frame.metres_per_pixel();
    let (x0, y) = (PADDING, height - 12.0);
    let _ = write!(
        svg,
        r##"<g><rect x="{:.1}" y="{:.1}" width="{:.1}" height="22" fill="#fff" opacity="0.85"/><path d="M{x0:.1} {:.1} V{y:.1} H{:.1} V{:.1}" fill="none" stroke="#1a1a1a" stroke-width="2"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#1a1a1a">{}</text></g>"##,
        x0 - 4.0,
        y - 16.0,
        px + 70.0,
        y - 6.0,
        x0 + px,
        y - 6.0,
        x0 + px + 6.0,
        y - 1.0,
        crate::web::texts::scale_label(metres)
    );
}

/// Web Mercator tiles (`{z}/{x}/{y}`) under the drawing, at the zoom whose pixels are closest
/// to the drawing's.
fn tiles(svg: &mut String, frame: &Frame, url: &str, height: f64) {
    let world = 2.0 * PI * EARTH_RADIUS_M;
    let zoom = (frame.scale * world / 256.0)
        .log2()
        .floor()
        .clamp(0.0, 19.0) as u32;
    let span = world / f64::from(1u32 << zoom);
    let max_x = frame.min_x + WIDTH / frame.scale;
    let min_y = frame.max_y - height / frame.scale;
    let tile = |m: f64| ((m + world / 2.0) / span).floor() as i64;
    let row = |m: f64| ((world / 2.0 - m) / span).floor() as i64;
    let (x0, x1, y0, y1) = (tile(frame.min_x), tile(max_x), row(frame.max_y), row(min_y));
    let last = (1i64 << zoom) - 1;
    let mut count = 0;
    for ty in y0.max(0)..=y1.min(last) {
        for tx in x0.max(0)..=x1.min(last) {
            if count == MAX_TILES {
                return;
            }
            count += 1;
            let mx = -world / 2.0 + tx as f64 * span;
            let my = world / 2.0 - ty as f64 * span;
            let (px, py) = frame.pixel((mx, my));
            let href = url
                .replace("{z}", &zoom.to_string())
                .replace("{x}", &tx.to_string())
                .replace("{y}", &ty.to_string());
            let _ = write!(
                svg,
                r#"<image href="{}" x="{px:.1}" y="{py:.1}" width="{:.1}" height="{:.1}"/>"#,
                escape(&href),
                span * frame.scale + 0.5,
                span * frame.scale + 0.5
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(lat: f64, lon: f64, kind: MarkerKind) -> Marker {
        Marker {
            latitude: lat,
            longitude: lon,
            label: "S".into(),
            title: "Start <Hjemvej 1>".into(),
            kind,
        }
    }

    #[test]
    fn a_straight_track_of_ten_thousand_points_draws_as_one_segment() {
        let line: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (56.0 + i as f64 * 1e-5, 10.0))
            .collect();
        let d = draw(&line, &[], "kort", None).unwrap();
        assert_eq!(d.drawn_vertices, 2);
        assert_eq!(d.input_vertices, 10_000);
    }

    #[test]
    fn corners_survive_simplification() {
        let pts = [(0.0, 0.0), (50.0, 0.2), (100.0, 0.0), (100.0, 100.0)];
        assert_eq!(simplify(&pts, 0.5), vec![0, 2, 3]);
    }

    #[test]
    fn the_scale_bar_measures_ground_metres() {
        // 0.1° of latitude is about 11.1 km; the bar states a nice length that matches its
        // pixel length in the frame.
        let line = [(56.0, 10.0), (56.1, 10.0)];
        let projected: Vec<_> = line.iter().map(|&(a, b)| mercator(a, b)).collect();
        let frame = Frame::fit(&projected, 56.05);
        let (_, y0) = frame.pixel(projected[0]);
        let (_, y1) = frame.pixel(projected[1]);
        let ground = (y0 - y1).abs() * frame.metres_per_pixel();
        assert!((ground - 11_132.0).abs() < 30.0, "{ground}");
        assert_eq!(nice_length(3_700.0), 2_000.0);
        assert_eq!(nice_length(600.0), 500.0);
    }

    #[test]
    fn titles_are_escaped_and_tiles_only_when_configured() {
        let m = [
            marker(56.0, 10.0, MarkerKind::Start),
            marker(56.01, 10.01, MarkerKind::End),
        ];
        let plain = draw(&[], &m, "kort & rute", None).unwrap().svg;
        assert!(plain.contains("Start &lt;Hjemvej 1&gt;") && plain.contains("kort &amp; rute"));
        assert!(!plain.contains("<image"));
        let tiled = draw(&[], &m, "kort", Some("https://t.example/{z}/{x}/{y}.png"))
            .unwrap()
            .svg;
        assert!(
            tiled.contains(r#"<image href="https://t.example/"#),
            "{tiled}"
        );
        assert!(draw(&[], &[], "kort", None).is_none());
    }
}
