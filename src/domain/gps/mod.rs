//! Driven distance from phone GPS logs of car trips.
//!
//! Pure code: no I/O, no database.
//!
//! Pipeline of [`compute_distance`] (see `shared/reference/gps-distance.md` §3–§8):
//! 1. hygiene: drop non-finite/out-of-range/(0,0) fixes and negative accuracies, sort by
//!    time, resolve equal timestamps (keep the better accuracy), drop stale re-sends
//!    (position bit-identical to the previous fix);
//! 2. accuracy gate relative to the trip: accuracy > max(4 × median, 30 m) is dropped;
//! 3. teleports: split where the implied speed beyond the fixes' noise exceeds physics
//!    (60 m/s) or the Doppler speeds (+ what the car can gain within dt), then drop the
//!    smallest short pieces whose removal reconciles their neighbours (sandwich test
//!    generalised to runs);
//! 4. stationary periods (parked, lights): fixes staying near their running mean for
//!    ≥ 20 s with no Doppler speed saying "moving" collapse to their mean;
//! 5. constant-velocity Kalman filter + RTS smoother in a local WGS84-scaled ENU frame,
//!    accuracy as measurement noise, zero-velocity updates where Doppler ≈ 0, and a
//!    second pass without fixes whose residual exceeds 5σ;
//! 6. length: per interval the WGS84 geodesic length between consecutive smoothed
//!    positions (every smoothed fix is kept: nothing is simplified before measuring),
//!    scaled by the ratio of the cubic-Hermite curve (smoothed velocities, Doppler
//!    magnitudes) to its chord (sparse sampling cuts corners), fused with the Doppler
//!    trapezoid v̄·dt by inverse variance where the car moves; gaps (long intervals with
//!    movement) are bridged with v̄·dt bounded by [chord, 1.4 × chord] and listed.
//!
//! What is summed in step 6 (default [`LengthMethod::KarneyChord`]): the Karney geodesic
//! length of each interval, which for intervals shorter than 2 km is evaluated as the
//! straight earth-centred (ECEF) chord c between the two points on the WGS84 ellipsoid
//! times (1 + c²K/24), K = 1/(M·N) the Gaussian curvature at the first point — the arc
//! length of a curve of the geodesic's curvature over its chord. A unit test builds
//! segments with `geo::Geodesic` (latitudes 54–58°, azimuths every 5°, 0–2 km) and
//! requires agreement with `geo::Geodesic`'s inverse within 1 µm (observed: ≤ 20 nm,
//! Karney's own accuracy is ≈ 15 nm). Intervals of 2 km or more go through
//! `geo::Geodesic`. [`LengthMethod::Karney`] (every interval through `geo::Geodesic`)
//! remains as the reference; it gives the same distances and costs ≈ 2.8 ms more per
//! 10,000 intervals.

mod clean;
mod codec;
mod distance;
mod geodesy;
mod gpx;
mod kalman;
mod path;
mod point;

#[cfg(test)]
mod proptests;

pub use self::codec::{decode_track, encode_track, CodecError};
pub use self::distance::{
    compute_distance, naive_distance, CleanPoint, DistanceReport, DroppedCounts, Gap, LengthMethod,
    PipelineParams,
};
pub use self::gpx::{parse_gpx, GpxError};
pub use self::path::{path_distance, PathParams, PathReport};
pub use self::point::TrackPoint;
