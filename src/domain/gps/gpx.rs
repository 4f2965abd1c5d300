//! Minimal GPX 1.0/1.1 reader for `trkpt`/`rtept` with `<time>`, `<hdop>` and `<speed>`.
//!
//! Takes a `&str` (no I/O). `<hdop>` is read as the accuracy in metres (the OsmAnd
//! convention); `<speed>` (m/s) is read wherever it sits inside the point, so GPX 1.0
//! `<speed>`, OsmAnd `<extensions><speed>` and Garmin `<gpxtpx:speed>` all work.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::point::TrackPoint;

/// Why a GPX document could not be read. `index` is the 0-based point number.
#[derive(Debug, Clone, PartialEq)]
pub enum GpxError {
    /// No `<gpx` root element.
    NotGpx,
    /// A point's start tag or element is not closed.
    Unterminated { index: usize },
    /// `lat` or `lon` attribute missing.
    MissingAttribute { index: usize, name: &'static str },
    /// A number could not be parsed.
    InvalidNumber {
        index: usize,
        field: &'static str,
        value: String,
    },
    /// The point has no `<time>` (a distance pipeline needs times).
    MissingTime { index: usize },
    /// `<time>` is not an ISO 8601 / RFC 3339 time.
    InvalidTime { index: usize, value: String },
}

impl fmt::Display for GpxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpxError::NotGpx => write!(f, "not a GPX document"),
            GpxError::Unterminated { index } => write!(f, "point {index}: element not closed"),
            GpxError::MissingAttribute { index, name } => {
                write!(f, "point {index}: missing attribute `{name}`")
            }
            GpxError::InvalidNumber {
                index,
                field,
                value,
            } => write!(f, "point {index}: invalid number for {field}: {value:?}"),
            GpxError::MissingTime { index } => write!(f, "point {index}: no <time>"),
            GpxError::InvalidTime { index, value } => {
                write!(f, "point {index}: invalid time {value:?}")
            }
        }
    }
}

impl std::error::Error for GpxError {}

/// Parse the track and route points of a GPX document, in document order.
pub fn parse_gpx(xml: &str) -> Result<Vec<TrackPoint>, GpxError> {
    if !xml.contains("<gpx") {
        return Err(GpxError::NotGpx);
    }
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some((start, name)) = next_point_tag(xml, pos) {
        let index = out.len();
        let tag_end = find_tag_end(xml, start).ok_or(GpxError::Unterminated { index })?;
        let start_tag = &xml[start..tag_end];
        let self_closing = start_tag.trim_end_matches('>').ends_with('/');
        let (inner, next) = if self_closing {
            ("", tag_end)
        } else {
            let close = format!("</{name}");
            let rel = xml[tag_end..]
                .find(&close)
                .ok_or(GpxError::Unterminated { index })?;
            (&xml[tag_end..tag_end + rel], tag_end + rel + close.len())
        };
        let lat = number_attr(start_tag, "lat", index)?;
        let lon = number_attr(start_tag, "lon", index)?;
        let time_text = child_text(inner, "time").ok_or(GpxError::MissingTime { index })?;
        let timestamp = parse_time(time_text).ok_or_else(|| GpxError::InvalidTime {
            index,
            value: time_text.to_string(),
        })?;
        let accuracy = optional_number(inner, "hdop", index)?;
        let speed = optional_number(inner, "speed", index)?;
        out.push(TrackPoint {
            lat,
            lon,
            timestamp,
            accuracy,
            speed,
        });
        pos = next;
    }
    Ok(out)
}

fn next_point_tag(xml: &str, from: usize) -> Option<(usize, &'static str)> {
    let mut pos = from;
    loop {
        let rel = xml[pos..].find('<')?;
        let at = pos + rel;
        let rest = &xml[at + 1..];
        for name in ["trkpt", "rtept"] {
            if let Some(after) = rest.strip_prefix(name) {
                if after.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
                    return Some((at, name));
                }
            }
        }
        pos = at + 1;
    }
}

/// Index just past the `>` closing the tag starting at `start`, honouring quotes.
fn find_tag_end(xml: &str, start: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, &b) in xml.as_bytes()[start..].iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return Some(start + i + 1),
            None => {}
        }
    }
    None
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let bytes = tag.as_bytes();
    let mut search = 0;
    while let Some(rel) = tag[search..].find(name) {
        let at = search + rel;
        search = at + name.len();
        let before_ok = at > 0 && bytes[at - 1].is_ascii_whitespace();
        if !before_ok {
            continue;
        }
        let rest = tag[at + name.len()..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let q = rest.chars().next()?;
        if q != '"' && q != '\'' {
            continue;
        }
        let body = &rest[1..];
        let end = body.find(q)?;
        return Some(&body[..end]);
    }
    None
}

fn number_attr(tag: &str, name: &'static str, index: usize) -> Result<f64, GpxError> {
    let raw = attr(tag, name).ok_or(GpxError::MissingAttribute { index, name })?;
    raw.trim()
        .parse::<f64>()
        .map_err(|_| GpxError::InvalidNumber {
            index,
            field: name,
            value: raw.to_string(),
        })
}

fn optional_number(
    inner: &str,
    local: &'static str,
    index: usize,
) -> Result<Option<f64>, GpxError> {
    match child_text(inner, local) {
        None => Ok(None),
        Some("") => Ok(None),
        Some(t) => t
            .parse::<f64>()
            .map(Some)
            .map_err(|_| GpxError::InvalidNumber {
                index,
                field: local,
                value: t.to_string(),
            }),
    }
}

/// Text of the first element whose local name (namespace prefix stripped) is `local`.
fn child_text<'a>(inner: &'a str, local: &str) -> Option<&'a str> {
    let mut pos = 0;
    while let Some(rel) = inner[pos..].find('<') {
        let at = pos + rel;
        pos = at + 1;
        let rest = &inner[at + 1..];
        if rest.starts_with('/') || rest.starts_with('!') || rest.starts_with('?') {
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let qname = &rest[..name_end];
        let lname = qname.rsplit(':').next().unwrap_or(qname);
        if lname != local {
            continue;
        }
        let tag_end = find_tag_end(inner, at)?;
        if inner[..tag_end].ends_with("/>") {
            return Some("");
        }
        let text_end = inner[tag_end..]
            .find('<')
            .map_or(inner.len(), |r| tag_end + r);
        return Some(inner[tag_end..text_end].trim());
    }
    None
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // Times without a zone are taken as UTC (GPX mandates UTC).
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OSMAND: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="OsmAnd" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><trkseg>
    <trkpt lat="55.6761" lon="12.5683"><ele>10</ele><time>2026-08-16T09:20:00Z</time><hdop>8.8</hdop>
      <extensions><speed>13.5</speed></extensions></trkpt>
    <trkpt lon='12.5690' lat='55.6765'><time>2026-08-16T09:20:01.500+02:00</time></trkpt>
  </trkseg></trk>
  <rte><rtept lat="55.0" lon="12.0"><time>2026-08-16T09:30:00Z</time><gpxtpx:speed>2.5</gpxtpx:speed></rtept></rte>
</gpx>"#;

    #[test]
    fn parses_points_hdop_and_speed() {
        let pts = parse_gpx(OSMAND).expect("valid gpx");
        assert_eq!(pts.len(), 3);
        assert_eq!(pts[0].lat, 55.6761);
        assert_eq!(pts[0].lon, 12.5683);
        assert_eq!(pts[0].accuracy, Some(8.8));
        assert_eq!(pts[0].speed, Some(13.5));
        assert_eq!(pts[1].accuracy, None);
        assert_eq!(pts[1].lon, 12.5690);
        assert_eq!(
            pts[1].timestamp.to_rfc3339(),
            "2026-08-16T07:20:01.500+00:00"
        );
        assert_eq!(pts[2].speed, Some(2.5));
    }

    #[test]
    fn errors_are_reported_not_panicked() {
        assert_eq!(parse_gpx("hello"), Err(GpxError::NotGpx));
        let no_time = r#"<gpx><trk><trkseg><trkpt lat="1" lon="2"></trkpt></trkseg></trk></gpx>"#;
        assert_eq!(parse_gpx(no_time), Err(GpxError::MissingTime { index: 0 }));
        let bad_lat =
            r#"<gpx><trkpt lat="x" lon="2"><time>2026-01-01T00:00:00Z</time></trkpt></gpx>"#;
        assert!(matches!(
            parse_gpx(bad_lat),
            Err(GpxError::InvalidNumber { field: "lat", .. })
        ));
        let open = r#"<gpx><trkpt lat="1" lon="2"><time>2026-01-01T00:00:00Z</time>"#;
        assert_eq!(parse_gpx(open), Err(GpxError::Unterminated { index: 0 }));
        let bad_time = r#"<gpx><trkpt lat="1" lon="2"><time>yesterday</time></trkpt></gpx>"#;
        assert!(matches!(
            parse_gpx(bad_time),
            Err(GpxError::InvalidTime { .. })
        ));
    }

    #[test]
    fn empty_gpx_gives_no_points() {
        assert_eq!(parse_gpx("<gpx></gpx>"), Ok(vec![]));
    }
}
