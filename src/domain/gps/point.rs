//! Input point type.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One GPS fix as uploaded by a phone.
///
/// * `accuracy` is the horizontal accuracy in metres as phones report it
///   (Android `getAccuracy()`, iOS `horizontalAccuracy`: radius of the ~68 % circle).
/// * `speed` is the Doppler speed in m/s (`Location.getSpeed()`), when the phone sent one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    pub lat: f64,
    pub lon: f64,
    pub timestamp: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
}

impl TrackPoint {
    /// A fix with position and time only.
    pub fn new(lat: f64, lon: f64, timestamp: DateTime<Utc>) -> Self {
        TrackPoint {
            lat,
            lon,
            timestamp,
            accuracy: None,
            speed: None,
        }
    }

    /// True when the coordinates are finite, in range and not the (0, 0) "null island"
    /// that stale or failed fixes report.
    pub fn has_valid_position(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && self.lat.abs() <= 90.0
            && self.lon.abs() <= 180.0
            && !(self.lat.abs() < 1e-6 && self.lon.abs() < 1e-6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_uses_exact_field_names() {
        let json = r#"{"lat":55.1,"lon":12.2,"timestamp":"2026-08-16T09:20:00Z","accuracy":8.8,"speed":0.05}"#;
        let p: TrackPoint = serde_json::from_str(json).expect("valid json");
        assert_eq!(p.accuracy, Some(8.8));
        assert_eq!(p.speed, Some(0.05));
        let back = serde_json::to_string(&p).expect("serialize");
        assert!(back.contains("\"timestamp\""));
        let q: TrackPoint =
            serde_json::from_str(r#"{"lat":1.0,"lon":2.0,"timestamp":"2026-08-16T09:20:00.5Z"}"#)
                .expect("optional fields may be absent");
        assert_eq!(q.accuracy, None);
        assert_eq!(q.speed, None);
    }

    #[test]
    fn validity() {
        let t = DateTime::<Utc>::from_timestamp(0, 0).expect("epoch");
        assert!(TrackPoint::new(55.0, 12.0, t).has_valid_position());
        assert!(!TrackPoint::new(0.0, 0.0, t).has_valid_position());
        assert!(!TrackPoint::new(f64::NAN, 12.0, t).has_valid_position());
        assert!(!TrackPoint::new(95.0, 12.0, t).has_valid_position());
    }
}
