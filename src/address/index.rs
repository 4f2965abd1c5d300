//! [`AddressIndex`]: compact in-memory index over access addresses with
//! nearest-neighbour (R-tree), id lookup, autocomplete ([`super::search`]) and
//! address washing ([`super::wash`]).
//!
//! Layout: addresses sorted by (folded street name, street name, husnr,
//! postnr) so each street is one contiguous range; a sorted street table gives
//! binary-search prefix lookup; `by_id` is a permutation sorted by UUID;
//! points are `f32` UTM32 coordinates (offset to the middle of Denmark, so
//! ~1.6 cm resolution) plus a `u32` row index, packed into compact tiles of <= 32 points (Z-order)
//! that are the leaves of an rstar R-tree.

use std::collections::HashMap;

use rstar::{ParentNode, PointDistance, RTree, RTreeNode, RTreeObject, AABB};
use uuid::Uuid;

use super::fold::{fold, lower_norm};
use super::model::{AccessAddress, Interner, Name};
use super::utm::{scale_factor_at, wgs84_to_utm32};

const E_OFF: f64 = 650_000.0;
const N_OFF: f64 = 6_225_000.0;

/// Points per R-tree leaf cell.
const CELL_SIZE: usize = 32;

/// A projected point: offset UTM32 metres (`f32`) and the address row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct TreePoint {
    pub(super) xy: [f32; 2],
    pub(super) idx: u32,
}

/// R-tree leaf object: a tile of up to `CELL_SIZE` spatially close points
/// stored contiguously in `AddressIndex::points` (STR packing). Indexing tiles
/// instead of single points keeps the R-tree ~16x smaller (cache-resident)
/// and the final scan contiguous.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Cell {
    env: AABB<[f32; 2]>,
    start: u32,
    len: u32,
}

impl RTreeObject for Cell {
    type Envelope = AABB<[f32; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

impl PointDistance for Cell {
    /// Squared distance from the point to the tile's bounding box: a lower
    /// bound (also in f32 arithmetic) of `grid_dist2` to any point in it.
    fn distance_2(&self, p: &[f32; 2]) -> f32 {
        self.env.distance_2(p)
    }
}

/// R-tree node sizing.
pub(super) struct TreeParams;
impl rstar::RTreeParams for TreeParams {
    const MIN_SIZE: usize = 4;
    const MAX_SIZE: usize = 12;
    const REINSERTION_COUNT: usize = 3;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

/// Max extent (metres) of a tile; a tile is closed early rather than grow beyond it.
const CELL_MAX_EXTENT: f32 = 250.0;

#[inline]
fn spread_bits(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    x = (x | (x << 1)) & 0x5555_5555_5555_5555;
    x
}

/// Morton (Z-order) key of a point at 1 m resolution.
#[inline]
fn morton(xy: [f32; 2]) -> u64 {
    let q = |v: f32| ((v + 1_000_000.0).clamp(0.0, 4_000_000.0)) as u32;
    spread_bits(q(xy[0])) | (spread_bits(q(xy[1])) << 1)
}

/// Squared distance from `p` to the box `[lo, hi]` (0 inside). Clamping makes
/// each |dx|, |dy| no larger than for any point in the box, and f32 rounding is
/// monotone, so this is an exact lower bound of `grid_dist2` to those points.
#[inline(always)]
fn box_d2(lo: [f32; 2], hi: [f32; 2], p: [f32; 2]) -> f32 {
    let dx = p[0].clamp(lo[0], hi[0]) - p[0];
    let dy = p[1].clamp(lo[1], hi[1]) - p[1];
    dx * dx + dy * dy
}

#[inline(always)]
fn node_d2(c: &RTreeNode<Cell>, p: [f32; 2]) -> f32 {
    let env = match c {
        RTreeNode::Leaf(cell) => cell.env,
        RTreeNode::Parent(pn) => pn.envelope(),
    };
    box_d2(env.lower(), env.upper(), p)
}

/// Pack points into compact tiles: Z-order sort, then greedy chunks of at
/// most `CELL_SIZE` points and `CELL_MAX_EXTENT` metres.
fn pack_cells(points: &mut [TreePoint]) -> Vec<Cell> {
    points.sort_unstable_by_key(|p| morton(p.xy));
    let mut cells = Vec::with_capacity(points.len() / CELL_SIZE * 2 + 1);
    let mut i = 0;
    while i < points.len() {
        let mut lo = points[i].xy;
        let mut hi = points[i].xy;
        let mut j = i + 1;
        while j < points.len() && j - i < CELL_SIZE {
            let p = points[j].xy;
            let nlo = [lo[0].min(p[0]), lo[1].min(p[1])];
            let nhi = [hi[0].max(p[0]), hi[1].max(p[1])];
            if nhi[0] - nlo[0] > CELL_MAX_EXTENT || nhi[1] - nlo[1] > CELL_MAX_EXTENT {
                break;
            }
            lo = nlo;
            hi = nhi;
            j += 1;
        }
        cells.push(Cell {
            env: AABB::from_corners(lo, hi),
            start: i as u32,
            len: (j - i) as u32,
        });
        i = j;
    }
    cells
}

/// The single distance function used by the index (and by brute force in
/// tests): squared UTM32 grid distance on the stored `f32` coordinates.
#[inline]
pub fn grid_dist2(a: [f32; 2], b: [f32; 2]) -> f32 {
    let dx = a[0] - b[0];
    let dy = a[1] - b[1];
    dx * dx + dy * dy
}

/// Project WGS84 (lat, lon) to the index's planar coordinates.
#[inline]
pub fn project(lat: f64, lon: f64) -> [f32; 2] {
    let (e, n) = wgs84_to_utm32(lat, lon);
    [(e - E_OFF) as f32, (n - N_OFF) as f32]
}

/// Convert a grid distance² at projected point `p` into ground metres.
#[inline]
fn to_metres(d2: f32, p: [f32; 2]) -> f64 {
    f64::from(d2).sqrt() / scale_factor_at(f64::from(p[0]) + E_OFF)
}

/// Ground distance in metres between two WGS84 points (UTM32 grid distance
/// corrected by the point scale factor; < 0.01 % error within Denmark).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (ea, na) = wgs84_to_utm32(a.0, a.1);
    let (eb, nb) = wgs84_to_utm32(b.0, b.1);
    ((ea - eb).powi(2) + (na - nb).powi(2)).sqrt() / scale_factor_at((ea + eb) / 2.0)
}

/// A street (distinct street name) and its range in the sorted address array.
#[derive(Debug)]
pub(super) struct Street {
    pub(super) name: Name,
    pub(super) folded: Box<str>,
    pub(super) lower: Box<str>,
    pub(super) start: u32,
    pub(super) end: u32,
}

/// Result of [`AddressIndex::match_point`].
#[derive(Clone, Debug)]
pub struct PointMatch<'a> {
    /// Nearest access address to the point.
    pub address: &'a AccessAddress,
    /// Distance from the point to that address, metres.
    pub distance_m: f64,
    /// `distance_m <= tolerance_m`.
    pub within_tolerance: bool,
    /// Distance from the point to the target (e.g. the home address), metres.
    pub target_distance_m: Option<f64>,
    /// Point within `tolerance_m` of the target ("starts at home").
    pub at_target: Option<bool>,
}

/// In-memory address index. Immutable after [`AddressIndex::build`]; share it
/// behind an `Arc` and rebuild to apply updates.
pub struct AddressIndex {
    pub(super) records: Vec<AccessAddress>,
    pub(super) by_id: Vec<u32>,
    /// R-tree over tiles of `points`.
    pub(super) tree: RTree<Cell, TreeParams>,
    /// Projected points grouped by tile.
    pub(super) points: Vec<TreePoint>,
    pub(super) streets: Vec<Street>,
    /// (street, byte offset) for every word start after the first, sorted by
    /// `streets[street].folded[offset..]`.
    pub(super) word_keys: Vec<(u32, u16)>,
    /// Folded postal district name per postnr (index = postnr).
    pub(super) town_folded: Vec<Option<Box<str>>>,
}

/// Apply `new[i] = old[perm[i]]` in place.
fn permute_in_place<T>(v: &mut [T], perm: &[u32]) {
    let mut done = vec![false; v.len()];
    for i in 0..v.len() {
        if done[i] {
            continue;
        }
        let mut j = i;
        loop {
            done[j] = true;
            let k = perm[j] as usize;
            if k == i {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

impl AddressIndex {
    /// Build the index. Ids are expected to be unique (use
    /// [`super::AddressStore`] to deduplicate); addresses without coordinates
    /// are searchable but not reverse-geocodable.
    pub fn build(mut records: Vec<AccessAddress>) -> Self {
        assert!(records.len() < u32::MAX as usize, "too many addresses");
        // 1. Re-intern names so equal strings share one allocation and pointer
        //    identity equals content identity.
        let mut interner = Interner::new();
        for r in records.iter_mut() {
            r.vejnavn = interner.intern(&r.vejnavn);
            r.postnrnavn = interner.intern(&r.postnrnavn);
            if let Some(s) = &r.supplerendebynavn {
                r.supplerendebynavn = Some(interner.intern(s));
            }
        }
        drop(interner);

        // 2. Distinct street names -> rank by (folded, name).
        let mut name_id: HashMap<usize, u32> = HashMap::new();
        let mut names: Vec<Name> = Vec::new();
        let mut rec_name: Vec<u32> = Vec::with_capacity(records.len());
        for r in &records {
            let key = r.vejnavn.as_ptr() as usize;
            let id = *name_id.entry(key).or_insert_with(|| {
                names.push(r.vejnavn.clone());
                (names.len() - 1) as u32
            });
            rec_name.push(id);
        }
        drop(name_id);
        let mut tmp: Vec<(Box<str>, Name, u32)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (fold(n).into_boxed_str(), n.clone(), i as u32))
            .collect();
        tmp.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut rank_of = vec![0u32; names.len()];
        for (rank, t) in tmp.iter().enumerate() {
            rank_of[t.2 as usize] = rank as u32;
        }
        drop(names);

        // 3. Sort addresses by (street rank, husnr number, suffix, postnr, id).
        let mut keys: Vec<(u64, u32)> = records
            .iter()
            .zip(&rec_name)
            .enumerate()
            .map(|(i, (r, &nid))| {
                let rank = u64::from(rank_of[nid as usize]).min((1 << 22) - 1);
                let num = u64::from(r.husnr.number()).min((1 << 14) - 1);
                let suf = u64::from(r.husnr.suffix().bytes().next().unwrap_or(0));
                let pn = u64::from(r.postnr).min((1 << 14) - 1);
                (
                    (rank << 42) | (num << 28) | (suf << 20) | (pn << 6),
                    i as u32,
                )
            })
            .collect();
        drop(rec_name);
        keys.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| records[a.1 as usize].id.cmp(&records[b.1 as usize].id))
        });
        let perm: Vec<u32> = keys.iter().map(|k| k.1).collect();
        let rank_sorted: Vec<u32> = keys.iter().map(|k| (k.0 >> 42) as u32).collect();
        drop(keys);
        permute_in_place(&mut records, &perm);
        drop(perm);

        // 4. Street table with ranges.
        let mut streets: Vec<Street> = tmp
            .into_iter()
            .map(|(folded, name, _)| Street {
                lower: lower_norm(&name).into_boxed_str(),
                name,
                folded,
                start: 0,
                end: 0,
            })
            .collect();
        let mut i = 0usize;
        while i < rank_sorted.len() {
            let r = rank_sorted[i];
            let mut j = i;
            while j < rank_sorted.len() && rank_sorted[j] == r {
                j += 1;
            }
            let s = &mut streets[r as usize];
            s.start = i as u32;
            s.end = j as u32;
            i = j;
        }
        drop(rank_sorted);
        // Re-allocate folded keys in sorted order for locality of prefix scans.
        for st in streets.iter_mut() {
            st.folded = Box::from(&*st.folded);
        }

        // 5. Id permutation.
        let mut ids: Vec<(Uuid, u32)> = records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i as u32))
            .collect();
        ids.sort_unstable();
        let by_id: Vec<u32> = ids.iter().map(|x| x.1).collect();
        drop(ids);

        // 6. R-tree.
        let mut points: Vec<TreePoint> = records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.has_coordinates())
            .map(|(i, r)| TreePoint {
                xy: project(r.lat, r.lon),
                idx: i as u32,
            })
            .collect();
        let cells = pack_cells(&mut points);
        points.shrink_to_fit();
        let tree = RTree::bulk_load_with_params(cells);

        // 7. Word-start keys.
        let mut word_keys: Vec<(u32, u16)> = Vec::new();
        for (si, s) in streets.iter().enumerate() {
            for (off, b) in s.folded.bytes().enumerate() {
                if b == b' ' && off + 1 < s.folded.len() && off < u16::MAX as usize {
                    word_keys.push((si as u32, (off + 1) as u16));
                }
            }
        }
        word_keys.sort_unstable_by(|a, b| {
            streets[a.0 as usize].folded[a.1 as usize..]
                .cmp(&streets[b.0 as usize].folded[b.1 as usize..])
        });

        // 8. Folded town names per postnr.
        let mut town_folded: Vec<Option<Box<str>>> = vec![None; 10_000];
        for r in &records {
            let slot = &mut town_folded[usize::from(r.postnr.min(9999))];
            if slot.is_none() {
                *slot = Some(fold(&r.postnrnavn).into_boxed_str());
            }
        }

        AddressIndex {
            records,
            by_id,
            tree,
            points,
            streets,
            word_keys,
            town_folded,
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
    /// All addresses (sorted by street, husnr, postnr).
    pub fn addresses(&self) -> &[AccessAddress] {
        &self.records
    }
    /// Number of distinct street names.
    pub fn street_count(&self) -> usize {
        self.streets.len()
    }
    /// Distinct street names in folded-alphabetical order.
    pub fn street_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.streets.iter().map(|s| &*s.name)
    }

    /// Lookup by id (binary search, O(log n)).
    pub fn get(&self, id: &Uuid) -> Option<&AccessAddress> {
        let pos = self
            .by_id
            .binary_search_by(|&i| self.records[i as usize].id.cmp(id))
            .ok()?;
        Some(&self.records[self.by_id[pos] as usize])
    }

    /// Nearest access address (like DAWA `/adgangsadresser/reverse`, no
    /// distance cap) and its distance in metres.
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<(&AccessAddress, f64)> {
        if !lat.is_finite() || !lon.is_finite() {
            return None;
        }
        let p = project(lat, lon);
        let mut best = (f32::INFINITY, u32::MAX);
        self.nn_dfs(self.tree.root(), p, &mut best);
        if best.1 == u32::MAX {
            return None;
        }
        Some((&self.records[best.1 as usize], to_metres(best.0, p)))
    }

    /// Depth-first branch-and-bound nearest neighbour over the tile R-tree:
    /// children visited in order of bounding-box distance, pruned once that
    /// lower bound exceeds the best distance found. No heap allocation.
    fn nn_dfs(&self, node: &ParentNode<Cell>, p: [f32; 2], best: &mut (f32, u32)) {
        let ch = node.children();
        let mut buf = [(0f32, 0u32); 32];
        let mut spill: Vec<(f32, u32)> = Vec::new();
        let order: &mut [(f32, u32)] = if ch.len() <= buf.len() {
            let mut m = 0;
            for (i, c) in ch.iter().enumerate() {
                let d = node_d2(c, p);
                if d <= best.0 {
                    buf[m] = (d, i as u32);
                    m += 1;
                }
            }
            &mut buf[..m]
        } else {
            for (i, c) in ch.iter().enumerate() {
                spill.push((node_d2(c, p), i as u32));
            }
            &mut spill[..]
        };
        // Insertion sort (tiny arrays).
        for i in 1..order.len() {
            let mut j = i;
            while j > 0 && order[j - 1].0 > order[j].0 {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
        for &(d, i) in order.iter() {
            if d > best.0 {
                break;
            }
            match &ch[i as usize] {
                RTreeNode::Leaf(cell) => {
                    for tp in &self.points[cell.start as usize..(cell.start + cell.len) as usize] {
                        let d = grid_dist2(tp.xy, p);
                        if d < best.0 {
                            *best = (d, tp.idx);
                        }
                    }
                }
                RTreeNode::Parent(pn) => self.nn_dfs(pn, p, best),
            }
        }
    }

    /// Nearest address only if within `max_m` metres.
    pub fn nearest_within(&self, lat: f64, lon: f64, max_m: f64) -> Option<(&AccessAddress, f64)> {
        self.nearest(lat, lon).filter(|(_, d)| *d <= max_m)
    }

    /// The `k` nearest addresses, closest first.
    pub fn nearest_k(&self, lat: f64, lon: f64, k: usize) -> Vec<(&AccessAddress, f64)> {
        if !lat.is_finite() || !lon.is_finite() || k == 0 {
            return Vec::new();
        }
        let p = project(lat, lon);
        let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
        for (cell, cd2) in self.tree.nearest_neighbor_iter_with_distance_2(&p) {
            if best.len() == k && cd2 > best[k - 1].0 {
                break;
            }
            for tp in &self.points[cell.start as usize..(cell.start + cell.len) as usize] {
                let d = grid_dist2(tp.xy, p);
                if best.len() < k || d < best[k - 1].0 {
                    let pos = best.partition_point(|b| b.0 <= d);
                    best.insert(pos, (d, tp.idx));
                    best.truncate(k);
                }
            }
        }
        best.into_iter()
            .map(|(d, i)| (&self.records[i as usize], to_metres(d, p)))
            .collect()
    }

    /// Brute-force nearest using exactly the same distance function as the
    /// R-tree (for tests and verification). O(n).
    pub fn nearest_brute_force(&self, lat: f64, lon: f64) -> Option<(&AccessAddress, f64)> {
        let p = project(lat, lon);
        let mut best: Option<(usize, f32)> = None;
        for (i, r) in self.records.iter().enumerate() {
            if !r.has_coordinates() {
                continue;
            }
            let d = grid_dist2(project(r.lat, r.lon), p);
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
        best.map(|(i, d)| (&self.records[i], to_metres(d, p)))
    }

    /// Match a GPS point: nearest address, its distance and whether it is within
    /// `tolerance_m`; if `target` (lat, lon) is given (e.g. the employee's home),
    /// also the distance to it and whether the point is within `tolerance_m` of
    /// it ("starts at home").
    pub fn match_point(
        &self,
        lat: f64,
        lon: f64,
        tolerance_m: f64,
        target: Option<(f64, f64)>,
    ) -> Option<PointMatch<'_>> {
        let (address, distance_m) = self.nearest(lat, lon)?;
        let target_distance_m = target.map(|t| distance_m_between((lat, lon), t));
        Some(PointMatch {
            address,
            distance_m,
            within_tolerance: distance_m <= tolerance_m,
            target_distance_m,
            at_target: target_distance_m.map(|d| d <= tolerance_m),
        })
    }
}

#[inline]
fn distance_m_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    distance_m(a, b)
}

#[cfg(test)]
mod tests {
    use super::super::fold::prefix_distance;
    use super::*;
    use std::sync::Arc;

    fn addr(i: u128, street: &str) -> AccessAddress {
        AccessAddress {
            id: Uuid::from_u128(i),
            vejnavn: Arc::from(street),
            husnr: super::super::model::Husnr::parse("1").unwrap(),
            supplerendebynavn: None,
            postnr: 6720,
            postnrnavn: Arc::from("Fanø"),
            kommunekode: 563,
            lat: 55.4 + i as f64 * 1e-4,
            lon: 8.4,
            status: 1,
            active: true,
        }
    }

    #[test]
    fn trie_fuzzy_equals_linear_scan() {
        let names = [
            "Hovedgaden",
            "Hovedvejen",
            "Hovedgade",
            "Kirkevej",
            "Kirkestræde",
            "Kirkegade",
            "Nørregade",
            "Nørrebrogade",
            "Norgesvej",
            "Sønderho Strandvej",
            "Strandvejen",
            "Sandvej",
            "Ø",
            "Åvej",
            "Aavej",
            "A B C Sti",
            "Abildvej",
            "Bakken",
            "Bakkevej",
            "Hvidovrevej",
        ];
        let idx = AddressIndex::build(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| addr(i as u128, n))
                .collect(),
        );
        for q in [
            "hovedgadn",
            "kirkvej",
            "norrebrogade",
            "sandvje",
            "strnd",
            "akken",
            "oevej",
            "xyzzy",
            "bakkevje",
        ] {
            for k in 1..=2 {
                let mut fast = idx.fuzzy_prefix_streets(q.as_bytes(), k);
                fast.sort_unstable();
                let mut slow: Vec<(usize, u32)> = idx
                    .streets
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.folded.as_bytes().first() == q.as_bytes().first())
                    .filter_map(|(si, s)| {
                        prefix_distance(q.as_bytes(), s.folded.as_bytes(), k)
                            .filter(|&d| d > 0)
                            .map(|d| (d, si as u32))
                    })
                    .collect();
                slow.sort_unstable();
                assert_eq!(fast, slow, "q={q} k={k}");
            }
        }
    }

    #[test]
    fn permutation() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e'];
        permute_in_place(&mut v, &[3, 0, 4, 1, 2]);
        assert_eq!(v, vec!['d', 'a', 'e', 'b', 'c']);
    }
}
