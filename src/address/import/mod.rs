//! Streaming importers.
//!
//! * [`DawaCsvReader`]: DAWA `format=csv` exports of `adgangsadresser` and
//!   `adresser` (flad or mini), any year: columns are located by header name.
//! * [`DawaJsonArrayReader`] / [`DawaNdjsonReader`]: DAWA JSON (nestet, flad,
//!   mini) as a JSON array or NDJSON, for both adgangsadresser and adresser.
//! * [`DarAdressepunktReader`] / [`DarAdresseReader`]: Datafordeleren DAR 1.0
//!   NDJSON for the two entities whose shape the reference documents.
//!   `Husnummer`/`NavngivenVej`/`Postnummer` are not supported
//!   ([`ImportError::Unsupported`], see [`dar_unsupported`]).
//!
//! All readers are iterators yielding one record at a time and keep only one
//! row in memory. Per-row errors carry the 1-based data row number and the
//! column (field) name. [`AddressStore`] collects rows with upsert-by-id
//! semantics (re-importing the same data is idempotent).

use std::collections::HashMap;
use std::io::{BufRead, Read};

use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use crate::address::model::{status_is_active, AccessAddress, Husnr, Interner, UnitAddress};
use crate::address::utm::utm32_to_wgs84;

mod dar;
mod dawa_csv;
mod dawa_json;

pub use self::dar::*;
pub use self::dawa_csv::*;
pub use self::dawa_json::*;

/// Import errors.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// CSV syntax error (carries its own position).
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
    /// A required column is absent from the header.
    #[error("missing required column `{0}`")]
    MissingColumn(&'static str),
    /// A field of a data row is missing or malformed. `row` is 1-based and
    /// counts data rows / JSON elements / non-empty NDJSON lines.
    #[error("row {row}, column `{column}`: {message}")]
    Field {
        row: u64,
        column: &'static str,
        message: String,
    },
    /// A JSON element/line could not be parsed at all.
    #[error("row {row}: invalid JSON: {message}")]
    Json { row: u64, message: String },
    /// An NDJSON line is valid JSON but not an address record (a field of the wrong type, a
    /// required field missing).
    #[error("row {row}: not an address record: {message}")]
    Record { row: u64, message: String },
    /// The input format or entity is not supported by this crate (e.g. DAR
    /// `Husnummer`, whose shape is not documented in the reference).
    #[error("unsupported input: {0}")]
    Unsupported(&'static str),
}

impl ImportError {
    /// True for a row that was read whole but holds invalid values: the rest of the file is
    /// intact, so the row may be skipped when the caller asks for it. Every other error means
    /// the file itself is broken (cut short, not the format it claims, unreadable).
    pub fn is_invalid_row(&self) -> bool {
        matches!(self, ImportError::Field { .. } | ImportError::Record { .. })
    }

    /// The 1-based data row the error names, when it names one.
    pub fn row(&self) -> Option<u64> {
        match self {
            ImportError::Field { row, .. }
            | ImportError::Json { row, .. }
            | ImportError::Record { row, .. } => Some(*row),
            _ => None,
        }
    }
}

/// An NDJSON line that did not deserialise: a record of the wrong shape, or broken JSON (a
/// line cut short is the latter).
fn line_error(row: u64, e: serde_json::Error) -> ImportError {
    let message = e.to_string();
    if e.is_data() {
        ImportError::Record { row, message }
    } else {
        ImportError::Json { row, message }
    }
}

/// One imported row: an access address, plus the unit address when the source
/// row was an `adresse` (the access address is then derived from the same row).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRow {
    pub access: AccessAddress,
    pub unit: Option<UnitAddress>,
}

fn field_err(row: u64, column: &'static str, message: impl Into<String>) -> ImportError {
    ImportError::Field {
        row,
        column,
        message: message.into(),
    }
}

fn parse_uuid(row: u64, column: &'static str, s: Option<&str>) -> Result<Uuid, ImportError> {
    let s = s.ok_or_else(|| field_err(row, column, "missing"))?;
    Uuid::parse_str(s).map_err(|e| field_err(row, column, format!("invalid uuid {s:?}: {e}")))
}

fn parse_code(row: u64, column: &'static str, s: Option<&str>) -> Result<u16, ImportError> {
    let s = s.ok_or_else(|| field_err(row, column, "missing"))?;
    s.parse::<u16>()
        .ok()
        .filter(|&v| v <= 9999)
        .ok_or_else(|| field_err(row, column, format!("not a 4-digit code: {s:?}")))
}

fn parse_f64(row: u64, column: &'static str, s: &str) -> Result<f64, ImportError> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| field_err(row, column, format!("not a number: {s:?}")))
}

/// DAR 1.0 / DAWA `darstatus` -> DAWA `status`.
pub fn darstatus_to_status(d: u8) -> u8 {
    match d {
        2 => 3, // foreløbig
        3 => 1, // gældende
        4 => 2, // nedlagt
        5 => 4, // henlagt
        _ => 0, // intern forberedelse / unknown
    }
}

/// Raw fields of one address row, independent of source format.
#[derive(Default)]
struct RawAddr<'a> {
    id: Option<&'a str>,
    status: Option<u8>,
    darstatus: Option<u8>,
    vejnavn: Option<&'a str>,
    husnr: Option<&'a str>,
    supplerendebynavn: Option<&'a str>,
    postnr: Option<&'a str>,
    postnrnavn: Option<&'a str>,
    kommunekode: Option<&'a str>,
    lat: Option<f64>,
    lon: Option<f64>,
    east: Option<f64>,
    north: Option<f64>,
}

impl RawAddr<'_> {
    /// No coordinates yet: a generic x/y pair may supply them.
    fn needs_xy(&self) -> bool {
        self.lat.is_none() && self.east.is_none()
    }

    /// A generic x/y pair: UTM easting/northing when x is past 1,000, else longitude/latitude.
    fn set_xy(&mut self, x: Option<f64>, y: Option<f64>) {
        if let (Some(x), Some(y)) = (x, y) {
            if x > 1000.0 {
                self.east = Some(x);
                self.north = Some(y);
            } else {
                self.lon = Some(x);
                self.lat = Some(y);
            }
        }
    }
}

fn build_access(
    row: u64,
    raw: &RawAddr<'_>,
    interner: &mut Interner,
) -> Result<AccessAddress, ImportError> {
    let id = parse_uuid(row, "id", raw.id)?;
    let vejnavn = raw
        .vejnavn
        .ok_or_else(|| field_err(row, "vejnavn", "missing"))?;
    let husnr_s = raw
        .husnr
        .ok_or_else(|| field_err(row, "husnr", "missing"))?;
    let husnr = Husnr::parse(husnr_s)
        .ok_or_else(|| field_err(row, "husnr", format!("invalid house number {husnr_s:?}")))?;
    let postnr = parse_code(row, "postnr", raw.postnr)?;
    let postnrnavn = raw
        .postnrnavn
        .ok_or_else(|| field_err(row, "postnrnavn", "missing"))?;
    let kommunekode = match raw.kommunekode {
        Some(k) => parse_code(row, "kommunekode", Some(k))?,
        None => 0,
    };
    let (lat, lon) = match (raw.lat, raw.lon, raw.east, raw.north) {
        (Some(lat), Some(lon), _, _) => (lat, lon),
        (_, _, Some(e), Some(n)) => utm32_to_wgs84(e, n),
        _ => (f64::NAN, f64::NAN),
    };
    if lat.is_finite() && !(-90.0..=90.0).contains(&lat) {
        return Err(field_err(
            row,
            "wgs84koordinat_bredde",
            format!("latitude out of range: {lat}"),
        ));
    }
    let status = match (raw.status, raw.darstatus) {
        (Some(s), _) => s,
        (None, Some(d)) => darstatus_to_status(d),
        (None, None) => 1,
    };
    Ok(AccessAddress {
        id,
        vejnavn: interner.intern(vejnavn),
        husnr,
        supplerendebynavn: raw.supplerendebynavn.map(|s| interner.intern(s)),
        postnr,
        postnrnavn: interner.intern(postnrnavn),
        kommunekode,
        lat,
        lon,
        status,
        active: status_is_active(status),
    })
}

fn boxed(s: Option<&str>) -> Option<Box<str>> {
    s.map(Box::from)
}

// ---------------------------------------------------------------------------
// Collecting store
// ---------------------------------------------------------------------------

/// Counters from [`AddressStore::import`].
#[derive(Debug, Default)]
pub struct ImportStats {
    pub rows: u64,
    pub access_inserted: u64,
    pub access_updated: u64,
    pub units_inserted: u64,
    pub units_updated: u64,
    /// Row errors that were skipped (at most `MAX_KEPT_ERRORS` kept).
    pub errors: Vec<ImportError>,
    pub error_count: u64,
}

const MAX_KEPT_ERRORS: usize = 100;

/// In-memory collection of imported addresses with upsert-by-id semantics.
#[derive(Debug, Default)]
pub struct AddressStore {
    access: Vec<AccessAddress>,
    access_pos: HashMap<Uuid, u32>,
    units: Vec<UnitAddress>,
    unit_pos: HashMap<Uuid, u32>,
}

impl AddressStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Insert or replace by id. Returns true if it was new.
    pub fn upsert_access(&mut self, a: AccessAddress) -> bool {
        match self.access_pos.get(&a.id) {
            Some(&i) => {
                self.access[i as usize] = a;
                false
            }
            None => {
                self.access_pos.insert(a.id, self.access.len() as u32);
                self.access.push(a);
                true
            }
        }
    }

    /// Insert or replace by id. Returns true if it was new.
    pub fn upsert_unit(&mut self, u: UnitAddress) -> bool {
        match self.unit_pos.get(&u.id) {
            Some(&i) => {
                self.units[i as usize] = u;
                false
            }
            None => {
                self.unit_pos.insert(u.id, self.units.len() as u32);
                self.units.push(u);
                true
            }
        }
    }

    /// Consume a row stream. With `fail_fast` the first row error is returned;
    /// otherwise bad rows are skipped and reported in [`ImportStats::errors`].
    pub fn import<I>(&mut self, rows: I, fail_fast: bool) -> Result<ImportStats, ImportError>
    where
        I: IntoIterator<Item = Result<ImportRow, ImportError>>,
    {
        let mut st = ImportStats::default();
        for r in rows {
            st.rows += 1;
            match r {
                Ok(row) => {
                    if self.upsert_access(row.access) {
                        st.access_inserted += 1;
                    } else {
                        st.access_updated += 1;
                    }
                    if let Some(u) = row.unit {
                        if self.upsert_unit(u) {
                            st.units_inserted += 1;
                        } else {
                            st.units_updated += 1;
                        }
                    }
                }
                Err(e) if fail_fast => return Err(e),
                Err(e) => {
                    st.error_count += 1;
                    if st.errors.len() < MAX_KEPT_ERRORS {
                        st.errors.push(e);
                    }
                }
            }
        }
        Ok(st)
    }

    /// Update coordinates of access addresses from DAR address points whose id
    /// equals the access address id. Returns how many were updated.
    pub fn apply_points<I: IntoIterator<Item = DarAddressPoint>>(&mut self, points: I) -> usize {
        let mut n = 0;
        for p in points {
            if let Some(&i) = self.access_pos.get(&p.id) {
                let a = &mut self.access[i as usize];
                a.lat = p.lat;
                a.lon = p.lon;
                n += 1;
            }
        }
        n
    }

    pub fn access(&self) -> &[AccessAddress] {
        &self.access
    }
    pub fn units(&self) -> &[UnitAddress] {
        &self.units
    }
    pub fn access_by_id(&self, id: &Uuid) -> Option<&AccessAddress> {
        self.access_pos.get(id).map(|&i| &self.access[i as usize])
    }
    pub fn unit_by_id(&self, id: &Uuid) -> Option<&UnitAddress> {
        self.unit_pos.get(id).map(|&i| &self.units[i as usize])
    }
    /// The access address a unit belongs to.
    pub fn resolve_unit(&self, u: &UnitAddress) -> Option<&AccessAddress> {
        self.access_by_id(&u.access_address_id)
    }
    /// Split into the access addresses (for [`super::AddressIndex::build`]) and units.
    pub fn into_parts(self) -> (Vec<AccessAddress>, Vec<UnitAddress>) {
        (self.access, self.units)
    }
}
