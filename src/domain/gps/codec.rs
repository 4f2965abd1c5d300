//! Compact binary encoding of a raw GPS track, stored in the trip's own row.
//!
//! A 50,000-point upload is about 5 MB of JSON; stored as rows it would be 50,000 rows per trip.
//! This encoding keeps every fix, in upload order, in about 9–11 bytes each:
//!
//! ```text
//! version: u8 = 1
//! count:   varint
//! per fix: zigzag varint Δlat, Δlon   (1e-7 degree, ≈ 1 cm)
//!          zigzag varint Δtime         (milliseconds; upload order need not be time order)
//!          varint accuracy             (decimetres + 1; 0 = none)
//!          varint speed                (cm/s + 1; 0 = none)
//! ```
//!
//! Deltas are against the previous fix, so a fix costs a few bytes whatever its absolute
//! position. Decoding gives back each value rounded to the stated resolution, well below GPS
//! noise. Fixes the pipeline would drop as invalid (out of range, non-finite) cannot be encoded:
//! the upload validation rejects them first.

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::point::TrackPoint;

const VERSION: u8 = 1;
const DEGREE_SCALE: f64 = 1e7;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    #[error("fix {index}: {field} cannot be encoded")]
    Unencodable { index: usize, field: &'static str },
    #[error("the stored track is corrupt: {0}")]
    Corrupt(&'static str),
}

/// Encodes `points` in upload order.
pub fn encode_track(points: &[TrackPoint]) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(2 + points.len() * 11);
    out.push(VERSION);
    put_varint(&mut out, points.len() as u64);
    let (mut lat0, mut lon0, mut t0) = (0i64, 0i64, 0i64);
    for (index, p) in points.iter().enumerate() {
        let unencodable = |field| CodecError::Unencodable { index, field };
        let lat = scaled_degrees(p.lat, 90.0).ok_or_else(|| unencodable("lat"))?;
        let lon = scaled_degrees(p.lon, 180.0).ok_or_else(|| unencodable("lon"))?;
        let t = p.timestamp.timestamp_millis();
        put_varint(&mut out, zigzag(lat - lat0));
        put_varint(&mut out, zigzag(lon - lon0));
        put_varint(&mut out, zigzag(t.wrapping_sub(t0)));
        put_varint(&mut out, optional_scaled(p.accuracy, 10.0));
        put_varint(&mut out, optional_scaled(p.speed, 100.0));
        (lat0, lon0, t0) = (lat, lon, t);
    }
    Ok(out)
}

/// Decodes what [`encode_track`] wrote.
pub fn decode_track(bytes: &[u8]) -> Result<Vec<TrackPoint>, CodecError> {
    let mut input = bytes;
    let version = take_byte(&mut input)?;
    if version != VERSION {
        return Err(CodecError::Corrupt("unknown version"));
    }
    let count = usize::try_from(take_varint(&mut input)?)
        .map_err(|_| CodecError::Corrupt("count out of range"))?;
    // Each fix takes at least 5 bytes; a corrupt count must not allocate gigabytes.
    if count > input.len() / 5 {
        return Err(CodecError::Corrupt("count larger than the data"));
    }
    let mut points = Vec::with_capacity(count);
    let (mut lat, mut lon, mut t) = (0i64, 0i64, 0i64);
    for _ in 0..count {
        lat += unzigzag(take_varint(&mut input)?);
        lon += unzigzag(take_varint(&mut input)?);
        t = t.wrapping_add(unzigzag(take_varint(&mut input)?));
        let accuracy = optional_unscaled(take_varint(&mut input)?, 10.0);
        let speed = optional_unscaled(take_varint(&mut input)?, 100.0);
        let timestamp = DateTime::<Utc>::from_timestamp_millis(t)
            .ok_or(CodecError::Corrupt("timestamp out of range"))?;
        points.push(TrackPoint {
            lat: lat as f64 / DEGREE_SCALE,
            lon: lon as f64 / DEGREE_SCALE,
            timestamp,
            accuracy,
            speed,
        });
    }
    if !input.is_empty() {
        return Err(CodecError::Corrupt("trailing bytes"));
    }
    Ok(points)
}

fn scaled_degrees(value: f64, limit: f64) -> Option<i64> {
    (value.is_finite() && value.abs() <= limit).then(|| (value * DEGREE_SCALE).round() as i64)
}

/// Non-negative finite values at 1/scale resolution, shifted by one so 0 means "none".
/// Negative or non-finite values (iOS reports -1 for "invalid") are stored as none.
fn optional_scaled(value: Option<f64>, scale: f64) -> u64 {
    match value {
        Some(v) if v.is_finite() && v >= 0.0 => (v * scale).round().min(u32::MAX as f64) as u64 + 1,
        _ => 0,
    }
}

fn optional_unscaled(raw: u64, scale: f64) -> Option<f64> {
    (raw > 0).then(|| (raw - 1) as f64 / scale)
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn take_byte(input: &mut &[u8]) -> Result<u8, CodecError> {
    let (&first, rest) = input
        .split_first()
        .ok_or(CodecError::Corrupt("unexpected end"))?;
    *input = rest;
    Ok(first)
}

fn take_varint(input: &mut &[u8]) -> Result<u64, CodecError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = take_byte(input)?;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
    }
    Err(CodecError::Corrupt("varint too long"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(ms).expect("valid")
    }

    #[test]
    fn round_trips_to_the_stated_resolution() {
        let points = vec![
            TrackPoint {
                lat: 55.443_123_456,
                lon: 8.401_987_654,
                timestamp: at(1_772_435_523_250),
                accuracy: Some(6.54),
                speed: Some(12.345),
            },
            TrackPoint::new(55.4432, 8.4021, at(1_772_435_524_250)),
            // Out of time order and with iOS's "invalid" markers: kept as uploaded.
            TrackPoint {
                lat: -33.9,
                lon: -179.99,
                timestamp: at(1_772_435_520_000),
                accuracy: Some(-1.0),
                speed: Some(-1.0),
            },
        ];
        let decoded = decode_track(&encode_track(&points).unwrap()).unwrap();
        assert_eq!(decoded.len(), 3);
        assert!((decoded[0].lat - 55.443_123_5).abs() < 1e-9);
        assert!((decoded[0].lon - 8.401_987_7).abs() < 1e-9);
        assert_eq!(decoded[0].timestamp, at(1_772_435_523_250));
        assert_eq!(decoded[0].accuracy, Some(6.5));
        assert_eq!(decoded[0].speed, Some(12.35));
        assert_eq!(decoded[1].accuracy, None);
        assert_eq!(decoded[2].timestamp, at(1_772_435_520_000));
        assert_eq!((decoded[2].accuracy, decoded[2].speed), (None, None));
        assert!((decoded[2].lon + 179.99).abs() < 1e-9);
    }

    #[test]
    fn a_one_hertz_drive_takes_about_ten_bytes_per_fix() {
        let points: Vec<TrackPoint> = (0..10_000)
            .map(|i| TrackPoint {
                lat: 55.0 + f64::from(i) * 1.1e-4,
                lon: 12.0 + f64::from(i) * 0.7e-4,
                timestamp: at(1_772_435_523_000 + i64::from(i) * 1_000),
                accuracy: Some(4.0 + f64::from(i % 7)),
                speed: Some(13.9),
            })
            .collect();
        let bytes = encode_track(&points).unwrap();
        assert!(bytes.len() < 12 * points.len(), "{} bytes", bytes.len());
    }

    #[test]
    fn rejects_what_it_cannot_encode_and_corrupt_input() {
        let bad = [TrackPoint::new(91.0, 8.0, at(0))];
        assert_eq!(
            encode_track(&bad),
            Err(CodecError::Unencodable {
                index: 0,
                field: "lat"
            })
        );
        let good = encode_track(&[TrackPoint::new(55.0, 8.0, at(0))]).unwrap();
        assert!(decode_track(&good[..good.len() - 1]).is_err());
        assert!(decode_track(&[]).is_err());
        assert!(decode_track(&[2, 0]).is_err());
        assert!(decode_track(&[1, 0xff, 0xff, 0xff, 0x7f]).is_err());
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(decode_track(&trailing).is_err());
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(
            fixes in prop::collection::vec(
                (-90.0f64..=90.0, -180.0f64..=180.0, 0i64..4_000_000_000_000,
                 prop::option::of(0.0f64..500.0), prop::option::of(0.0f64..70.0)),
                0..200)
        ) {
            let points: Vec<TrackPoint> = fixes
                .iter()
                .map(|&(lat, lon, ms, accuracy, speed)| TrackPoint {
                    lat, lon, timestamp: at(ms), accuracy, speed,
                })
                .collect();
            let decoded = decode_track(&encode_track(&points).unwrap()).unwrap();
            prop_assert_eq!(decoded.len(), points.len());
            for (d, p) in decoded.iter().zip(&points) {
                prop_assert!((d.lat - p.lat).abs() <= 0.6e-7);
                prop_assert!((d.lon - p.lon).abs() <= 0.6e-7);
                prop_assert_eq!(d.timestamp, p.timestamp);
                prop_assert_eq!(d.accuracy.is_some(), p.accuracy.is_some());
                if let (Some(a), Some(b)) = (d.accuracy, p.accuracy) {
                    prop_assert!((a - b).abs() <= 0.05 + 1e-9);
                }
                if let (Some(a), Some(b)) = (d.speed, p.speed) {
                    prop_assert!((a - b).abs() <= 0.005 + 1e-9);
                }
            }
        }
    }
}
