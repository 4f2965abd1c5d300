//! The in-memory side of the address registry: the index of the current generation, loaded
//! from its stored snapshot or from the rows (and then snapshotted), and the [`Registry`] every
//! request reads while a new generation is built beside it.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use serde::Serialize;
use uuid::Uuid;

use super::access_address;
use crate::address::snapshot;
use crate::address::{AccessAddress, AddressIndex, Interner};
use crate::db::address_registry as registry_repo;
use crate::db::addresses as repo;
use crate::db::{consistent_read, is_unique_violation, write_transaction, DbConnection};
use crate::error::Result;

/// An index and the registry generation it holds.
pub struct LoadedIndex {
    pub generation: i64,
    pub index: AddressIndex,
}

/// Where [`load_index`] found the records of a generation.
enum Source {
    Snapshot(Vec<Vec<u8>>),
    Rows(Vec<AccessAddress>, usize),
}

/// Size of one stored snapshot part: large enough for few round trips, small enough for any
/// driver's value limits.
const SNAPSHOT_PART_BYTES: usize = 8 * 1024 * 1024;

/// Builds the index of the registry's current generation: from the snapshot stored with it
/// when there is one, otherwise from the active address rows (and then stores the snapshot, so
/// the next start and the other instances are quick). The generation and its data are read in
/// one consistent transaction, so an index never holds half an import. Blocking.
pub fn load_index(conn: &mut DbConnection) -> Result<LoadedIndex> {
    let started = Instant::now();
    let (generation, source) = consistent_read(conn, |conn| -> Result<_> {
        let generation = registry_repo::generation(conn)?;
        let parts = registry_repo::snapshot_parts(conn, generation)?;
        if !parts.is_empty() {
            return Ok((generation, Source::Snapshot(parts)));
        }
        let (records, skipped) = active_records(conn)?;
        Ok((generation, Source::Rows(records, skipped)))
    })?;
    let loaded = started.elapsed();
    let (index, from_snapshot) = match source {
        Source::Snapshot(parts) => match snapshot::decode(&parts.concat()) {
            Ok(records) => (AddressIndex::build(records), true),
            Err(e) => {
                tracing::warn!(generation, error = %e, "unreadable address index snapshot; reading the rows");
                let (records, _) = consistent_read(conn, active_records)?;
                (AddressIndex::build(records), false)
            }
        },
        Source::Rows(records, skipped) => {
            if skipped > 0 {
                tracing::warn!(skipped, "address rows the index cannot hold were left out");
            }
            (AddressIndex::build(records), false)
        }
    };
    tracing::info!(
        generation,
        addresses = index.len(),
        streets = index.street_count(),
        from_snapshot,
        load_ms = loaded.as_millis() as u64,
        build_ms = (started.elapsed() - loaded).as_millis() as u64,
        "address index built"
    );
    if !from_snapshot {
        store_snapshot(conn, generation, &index);
    }
    Ok(LoadedIndex { generation, index })
}

/// The active access addresses, and how many rows the index cannot hold.
fn active_records(conn: &mut DbConnection) -> Result<(Vec<AccessAddress>, usize)> {
    let mut interner = Interner::new();
    let mut records = Vec::new();
    let mut after: Option<String> = None;
    let mut skipped = 0usize;
    loop {
        let page = repo::active_access_page(conn, after.as_deref(), 50_000)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        for row in &page {
            match access_address(row, &mut interner) {
                Some(a) => records.push(a),
                None => skipped += 1,
            }
        }
    }
    Ok((records, skipped))
}

/// Stores the snapshot of `generation` unless an import has moved past it or another instance
/// stored it first. A failure only costs the next start its speed, so it is logged, not raised.
fn store_snapshot(conn: &mut DbConnection, generation: i64, index: &AddressIndex) {
    let started = Instant::now();
    let bytes = snapshot::encode(index.addresses());
    let parts: Vec<Vec<u8>> = bytes
        .chunks(SNAPSHOT_PART_BYTES)
        .map(<[u8]>::to_vec)
        .collect();
    drop(bytes);
    let stored = write_transaction(conn, |conn| -> diesel::QueryResult<bool> {
        if registry_repo::generation(conn)? != generation
            || registry_repo::has_snapshot(conn, generation)?
        {
            return Ok(false);
        }
        registry_repo::store_snapshot(conn, generation, &parts)?;
        Ok(true)
    });
    match stored {
        Ok(true) => tracing::info!(
            generation,
            bytes = parts.iter().map(Vec::len).sum::<usize>(),
            ms = started.elapsed().as_millis() as u64,
            "stored the address index snapshot"
        ),
        Ok(false) => {}
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => tracing::warn!(generation, error = %e, "cannot store the address index snapshot"),
    }
}

/// Result of [`Registry::match_point`]: owned, so it outlives the index it came from.
#[derive(Debug, Clone, Serialize)]
pub struct PointMatch {
    pub address_id: Uuid,
    pub text: String,
    pub distance_m: f64,
    /// `distance_m` within the registry's match tolerance.
    pub within_tolerance: bool,
    /// Distance from the point to the target (e.g. the home address).
    pub target_distance_m: Option<f64>,
    /// The point is within tolerance of the target.
    pub at_target: Option<bool>,
}

/// The shared, swappable index plus the registry's settings.
pub struct Registry {
    current: RwLock<SharedIndex>,
    /// Reverse geocoding answers "not found" beyond this distance.
    pub reverse_radius_m: f64,
    /// Default tolerance of [`Registry::match_point`].
    pub match_tolerance_m: f64,
    /// Serialises imports.
    pub import_lock: tokio::sync::Mutex<()>,
}

/// What a [`Registry`] holds: one generation's index, shared.
struct SharedIndex {
    generation: i64,
    index: Arc<AddressIndex>,
}

impl Registry {
    pub fn new(loaded: LoadedIndex, reverse_radius_m: f64, match_tolerance_m: f64) -> Self {
        Registry {
            current: RwLock::new(SharedIndex {
                generation: loaded.generation,
                index: Arc::new(loaded.index),
            }),
            reverse_radius_m,
            match_tolerance_m,
            import_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The current index (cheap: an `Arc` clone).
    pub fn index(&self) -> Arc<AddressIndex> {
        self.read().index.clone()
    }

    /// The generation of the current index.
    pub fn generation(&self) -> i64 {
        self.read().generation
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, SharedIndex> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Swaps in a fully built index, unless the registry already holds the same or a newer
    /// generation (two builds can finish out of order). Readers holding the old index keep it
    /// until they are done. Returns whether it was swapped in.
    pub fn install(&self, loaded: LoadedIndex) -> bool {
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if loaded.generation <= current.generation {
            return false;
        }
        *current = SharedIndex {
            generation: loaded.generation,
            index: Arc::new(loaded.index),
        };
        true
    }

    /// Nearest address within the reverse radius, and its distance.
    pub fn reverse(&self, lat: f64, lon: f64) -> Option<(AccessAddress, f64)> {
        let index = self.index();
        index
            .nearest_within(lat, lon, self.reverse_radius_m)
            .map(|(a, d)| (a.clone(), d))
    }

    /// For the trips issue: the nearest address to a GPS point, its distance, whether it is
    /// within `tolerance_m` (default: the registry's) and, given a target such as the
    /// employee's home (lat, lon), whether the point is within tolerance of that.
    pub fn match_point(
        &self,
        lat: f64,
        lon: f64,
        tolerance_m: Option<f64>,
        target: Option<(f64, f64)>,
    ) -> Option<PointMatch> {
        let index = self.index();
        let tolerance = tolerance_m.unwrap_or(self.match_tolerance_m);
        let m = index.match_point(lat, lon, tolerance, target)?;
        Some(PointMatch {
            address_id: m.address.id,
            text: m.address.betegnelse(),
            distance_m: m.distance_m,
            within_tolerance: m.within_tolerance,
            target_distance_m: m.target_distance_m,
            at_target: m.at_target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::access_row;
    use super::*;
    use crate::address::Husnr;

    fn address(i: u128, lat: f64, lon: f64) -> AccessAddress {
        AccessAddress {
            id: Uuid::from_u128(i),
            vejnavn: Arc::from("Hovedgaden"),
            husnr: Husnr::parse(&i.to_string()).unwrap(),
            supplerendebynavn: None,
            postnr: 6720,
            postnrnavn: Arc::from("Fanø"),
            kommunekode: 563,
            lat,
            lon,
            status: 1,
            active: true,
        }
    }

    #[test]
    fn match_point_reports_nearest_distance_and_home() {
        let index = AddressIndex::build(vec![
            address(1, 55.4400, 8.4000),
            address(2, 55.4500, 8.4000),
        ]);
        let registry = Registry::new(
            LoadedIndex {
                generation: 1,
                index,
            },
            500.0,
            100.0,
        );
        // ~55 m north of address 1.
        let m = registry
            .match_point(55.4405, 8.4000, None, Some((55.4400, 8.4000)))
            .unwrap();
        assert_eq!(m.address_id, Uuid::from_u128(1));
        assert!((m.distance_m - 55.6).abs() < 1.0, "{m:?}");
        assert!(m.within_tolerance);
        assert_eq!(m.at_target, Some(true));
        // ~555 m from both: beyond the tolerance and beyond the reverse radius.
        let m = registry.match_point(55.4450, 8.4000, None, None).unwrap();
        assert!(!m.within_tolerance && m.at_target.is_none());
        assert!(
            registry
                .match_point(55.4450, 8.4000, Some(600.0), None)
                .unwrap()
                .within_tolerance
        );
        assert!(registry.reverse(55.4450, 8.4000).is_none());
        assert!(registry.reverse(55.4401, 8.4000).is_some());
    }

    #[test]
    fn rows_round_trip_to_index_records() {
        let a = address(7, 55.1, 8.2);
        let row = access_row(&a);
        assert_eq!(row.id, a.id.to_string());
        let back = access_address(&row, &mut Interner::new()).unwrap();
        assert_eq!(back, a);
        let mut no_coords = a.clone();
        no_coords.lat = f64::NAN;
        let row = access_row(&no_coords);
        assert_eq!((row.lat, row.lon), (None, None));
    }
}
