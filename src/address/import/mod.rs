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

use super::model::{status_is_active, AccessAddress, Husnr, Interner, UnitAddress};
use super::utm::utm32_to_wgs84;

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
// CSV
// ---------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct CsvCols {
    id: Option<usize>,
    status: Option<usize>,
    darstatus: Option<usize>,
    vejnavn: Option<usize>,
    husnr: Option<usize>,
    etage: Option<usize>,
    dor: Option<usize>,
    supplerendebynavn: Option<usize>,
    postnr: Option<usize>,
    postnrnavn: Option<usize>,
    kommunekode: Option<usize>,
    lat: Option<usize>,
    lon: Option<usize>,
    east: Option<usize>,
    north: Option<usize>,
    x: Option<usize>,
    y: Option<usize>,
    access_id: Option<usize>,
    access_status: Option<usize>,
    access_darstatus: Option<usize>,
}

/// Streaming reader for DAWA CSV exports of `adgangsadresser` or `adresser`.
///
/// Columns are found by header name. When the header has `adgangsadresseid`
/// the file is treated as `adresser`: every row yields a [`UnitAddress`] plus
/// the access address it belongs to. Coordinates are taken from
/// `wgs84koordinat_bredde/_længde`, else converted from
/// `etrs89koordinat_øst/_nord`, else from mini `x`/`y` (UTM32 if x > 1000).
pub struct DawaCsvReader<R: Read> {
    rdr: csv::Reader<R>,
    rec: csv::StringRecord,
    cols: CsvCols,
    row: u64,
    interner: Interner,
}

impl<R: Read> DawaCsvReader<R> {
    pub fn new(reader: R) -> Result<Self, ImportError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            // Every record has the header's number of fields: a row with more or fewer is a
            // broken file (a truncated last line, a stray delimiter), never skipped silently.
            .flexible(false)
            .from_reader(reader);
        let headers = rdr.headers()?.clone();
        let map: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim_start_matches('\u{feff}').trim().to_lowercase(), i))
            .collect();
        let find = |names: &[&str]| names.iter().find_map(|n| map.get(*n).copied());
        let cols = CsvCols {
            id: find(&["id"]),
            status: find(&["status"]),
            darstatus: find(&["darstatus"]),
            vejnavn: find(&["vejnavn", "adresseringsvejnavn"]),
            husnr: find(&["husnr", "husnummer"]),
            etage: find(&["etage"]),
            dor: find(&["dør", "doer", "dor"]),
            supplerendebynavn: find(&["supplerendebynavn"]),
            postnr: find(&["postnr", "postnummer"]),
            postnrnavn: find(&["postnrnavn", "postdistrikt"]),
            kommunekode: find(&["kommunekode"]),
            lat: find(&[
                "wgs84koordinat_bredde",
                "adgangspunkt_wgs84koordinat_bredde",
            ]),
            lon: find(&[
                "wgs84koordinat_længde",
                "wgs84koordinat_laengde",
                "adgangspunkt_wgs84koordinat_laengde",
            ]),
            east: find(&[
                "etrs89koordinat_øst",
                "etrs89koordinat_oest",
                "adgangspunkt_etrs89koordinat_oest",
            ]),
            north: find(&["etrs89koordinat_nord", "adgangspunkt_etrs89koordinat_nord"]),
            x: find(&["x"]),
            y: find(&["y"]),
            access_id: find(&["adgangsadresseid"]),
            access_status: find(&["adgangsadresse_status"]),
            access_darstatus: find(&["adgangsadresse_darstatus"]),
        };
        for (c, name) in [
            (cols.id, "id"),
            (cols.vejnavn, "vejnavn"),
            (cols.husnr, "husnr"),
            (cols.postnr, "postnr"),
            (cols.postnrnavn, "postnrnavn"),
        ] {
            if c.is_none() {
                return Err(ImportError::MissingColumn(name));
            }
        }
        Ok(Self {
            rdr,
            rec: csv::StringRecord::new(),
            cols,
            row: 0,
            interner: Interner::new(),
        })
    }

    /// True if this file holds `adresser` (units) rather than `adgangsadresser`.
    pub fn is_unit_file(&self) -> bool {
        self.cols.access_id.is_some()
    }

    fn convert(&mut self) -> Result<ImportRow, ImportError> {
        let row = self.row;
        let rec = &self.rec;
        let c = self.cols;
        let get = |i: Option<usize>| {
            i.and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let num = |i: Option<usize>, name: &'static str| -> Result<Option<f64>, ImportError> {
            get(i).map(|s| parse_f64(row, name, s)).transpose()
        };
        let small = |i: Option<usize>, name: &'static str| -> Result<Option<u8>, ImportError> {
            get(i)
                .map(|s| {
                    s.parse::<u8>()
                        .map_err(|_| field_err(row, name, format!("invalid status {s:?}")))
                })
                .transpose()
        };
        let unit_file = c.access_id.is_some();
        let mut raw = RawAddr {
            id: if unit_file {
                get(c.access_id)
            } else {
                get(c.id)
            },
            status: if unit_file {
                small(c.access_status, "adgangsadresse_status")?
            } else {
                small(c.status, "status")?
            },
            darstatus: if unit_file {
                small(c.access_darstatus, "adgangsadresse_darstatus")?
            } else {
                small(c.darstatus, "darstatus")?
            },
            vejnavn: get(c.vejnavn),
            husnr: get(c.husnr),
            supplerendebynavn: get(c.supplerendebynavn),
            postnr: get(c.postnr),
            postnrnavn: get(c.postnrnavn),
            kommunekode: get(c.kommunekode),
            lat: num(c.lat, "wgs84koordinat_bredde")?,
            lon: num(c.lon, "wgs84koordinat_længde")?,
            east: num(c.east, "etrs89koordinat_øst")?,
            north: num(c.north, "etrs89koordinat_nord")?,
        };
        if raw.lat.is_none() && raw.east.is_none() {
            if let (Some(x), Some(y)) = (num(c.x, "x")?, num(c.y, "y")?) {
                if x > 1000.0 {
                    raw.east = Some(x);
                    raw.north = Some(y);
                } else {
                    raw.lon = Some(x);
                    raw.lat = Some(y);
                }
            }
        }
        if unit_file && raw.id.is_none() {
            return Err(field_err(row, "adgangsadresseid", "missing"));
        }
        let access = build_access(row, &raw, &mut self.interner)?;
        let unit = if unit_file {
            let status = match (small(c.status, "status")?, small(c.darstatus, "darstatus")?) {
                (Some(s), _) => s,
                (None, Some(d)) => darstatus_to_status(d),
                _ => 1,
            };
            Some(UnitAddress {
                id: parse_uuid(row, "id", get(c.id))?,
                access_address_id: access.id,
                etage: boxed(get(c.etage)),
                dor: boxed(get(c.dor)),
                status,
            })
        } else {
            None
        };
        Ok(ImportRow { access, unit })
    }
}

impl<R: Read> Iterator for DawaCsvReader<R> {
    type Item = Result<ImportRow, ImportError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.rdr.read_record(&mut self.rec) {
            Ok(false) => None,
            Ok(true) => {
                self.row += 1;
                Some(self.convert())
            }
            Err(e) => {
                self.row += 1;
                Some(Err(e.into()))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// DAWA JSON (nestet / flad / mini), array or NDJSON
// ---------------------------------------------------------------------------

fn lenient_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_u8<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    Ok(lenient_f64(d)?
        .filter(|v| (0.0..=255.0).contains(v))
        .map(|v| v as u8))
}

#[derive(Deserialize, Default)]
struct JRef {
    #[serde(default, deserialize_with = "lenient_str")]
    navn: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    kode: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    nr: Option<String>,
}

#[derive(Deserialize, Default)]
struct JPoint {
    #[serde(default)]
    koordinater: Option<Vec<f64>>,
}

#[derive(Deserialize, Default)]
struct JAddr {
    #[serde(default, deserialize_with = "lenient_str")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_u8")]
    status: Option<u8>,
    #[serde(default, deserialize_with = "lenient_u8")]
    darstatus: Option<u8>,
    #[serde(default)]
    vejstykke: Option<JRef>,
    #[serde(default, deserialize_with = "lenient_str")]
    vejnavn: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    husnr: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    supplerendebynavn: Option<String>,
    #[serde(default)]
    postnummer: Option<JRef>,
    #[serde(default, deserialize_with = "lenient_str")]
    postnr: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    postnrnavn: Option<String>,
    #[serde(default)]
    kommune: Option<JRef>,
    #[serde(default, deserialize_with = "lenient_str")]
    kommunekode: Option<String>,
    #[serde(default)]
    adgangspunkt: Option<JPoint>,
    #[serde(default, deserialize_with = "lenient_f64")]
    x: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    y: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    wgs84koordinat_bredde: Option<f64>,
    #[serde(
        default,
        rename = "wgs84koordinat_længde",
        deserialize_with = "lenient_f64"
    )]
    wgs84koordinat_laengde: Option<f64>,
    #[serde(
        default,
        rename = "etrs89koordinat_øst",
        deserialize_with = "lenient_f64"
    )]
    etrs89koordinat_oest: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    etrs89koordinat_nord: Option<f64>,
    #[serde(default, deserialize_with = "lenient_str")]
    etage: Option<String>,
    #[serde(default, rename = "dør", deserialize_with = "lenient_str")]
    dor: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    adgangsadresseid: Option<String>,
    #[serde(default)]
    adgangsadresse: Option<Box<JAddr>>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl JAddr {
    fn raw(&self) -> RawAddr<'_> {
        let mut raw = RawAddr {
            id: nonempty(&self.id),
            status: self.status,
            darstatus: self.darstatus,
            vejnavn: nonempty(&self.vejnavn)
                .or_else(|| self.vejstykke.as_ref().and_then(|v| nonempty(&v.navn))),
            husnr: nonempty(&self.husnr),
            supplerendebynavn: nonempty(&self.supplerendebynavn),
            postnr: nonempty(&self.postnr)
                .or_else(|| self.postnummer.as_ref().and_then(|p| nonempty(&p.nr))),
            postnrnavn: nonempty(&self.postnrnavn)
                .or_else(|| self.postnummer.as_ref().and_then(|p| nonempty(&p.navn))),
            kommunekode: nonempty(&self.kommunekode)
                .or_else(|| self.kommune.as_ref().and_then(|k| nonempty(&k.kode))),
            lat: self.wgs84koordinat_bredde,
            lon: self.wgs84koordinat_laengde,
            east: self.etrs89koordinat_oest,
            north: self.etrs89koordinat_nord,
        };
        if raw.lat.is_none() {
            if let Some(k) = self
                .adgangspunkt
                .as_ref()
                .and_then(|p| p.koordinater.as_ref())
            {
                if k.len() >= 2 {
                    if k[0] > 1000.0 {
                        raw.east = Some(k[0]);
                        raw.north = Some(k[1]);
                    } else {
                        raw.lon = Some(k[0]);
                        raw.lat = Some(k[1]);
                    }
                }
            }
        }
        if raw.lat.is_none() && raw.east.is_none() {
            if let (Some(x), Some(y)) = (self.x, self.y) {
                if x > 1000.0 {
                    raw.east = Some(x);
                    raw.north = Some(y);
                } else {
                    raw.lon = Some(x);
                    raw.lat = Some(y);
                }
            }
        }
        raw
    }

    fn into_row(self, row: u64, interner: &mut Interner) -> Result<ImportRow, ImportError> {
        if let Some(nested) = &self.adgangsadresse {
            // nestet adresse
            let access = build_access(row, &nested.raw(), interner)?;
            let status = self
                .status
                .or(self.darstatus.map(darstatus_to_status))
                .unwrap_or(1);
            let unit = UnitAddress {
                id: parse_uuid(row, "id", nonempty(&self.id))?,
                access_address_id: access.id,
                etage: boxed(nonempty(&self.etage)),
                dor: boxed(nonempty(&self.dor)),
                status,
            };
            return Ok(ImportRow {
                access,
                unit: Some(unit),
            });
        }
        if let Some(aid) = nonempty(&self.adgangsadresseid) {
            // flad / mini adresse
            let mut raw = self.raw();
            raw.id = Some(aid);
            let access = build_access(row, &raw, interner)?;
            let unit = UnitAddress {
                id: parse_uuid(row, "id", nonempty(&self.id))?,
                access_address_id: access.id,
                etage: boxed(nonempty(&self.etage)),
                dor: boxed(nonempty(&self.dor)),
                status: self
                    .status
                    .or(self.darstatus.map(darstatus_to_status))
                    .unwrap_or(1),
            };
            return Ok(ImportRow {
                access,
                unit: Some(unit),
            });
        }
        let access = build_access(row, &self.raw(), interner)?;
        Ok(ImportRow { access, unit: None })
    }
}

fn next_non_ws<R: BufRead>(r: &mut R) -> std::io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(pos) = buf.iter().position(|b| !b.is_ascii_whitespace()) {
            let b = buf[pos];
            r.consume(pos + 1);
            return Ok(Some(b));
        }
        let n = buf.len();
        r.consume(n);
    }
}

fn peek_non_ws<R: BufRead>(r: &mut R) -> std::io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(pos) = buf.iter().position(|b| !b.is_ascii_whitespace()) {
            let b = buf[pos];
            r.consume(pos);
            return Ok(Some(b));
        }
        let n = buf.len();
        r.consume(n);
    }
}

/// Streaming reader for a DAWA JSON array (`[ {...}, {...} ]`) of
/// adgangsadresser or adresser in nestet, flad or mini structure. Elements are
/// deserialised one at a time; the array is never held in memory.
pub struct DawaJsonArrayReader<R: BufRead> {
    r: R,
    row: u64,
    started: bool,
    done: bool,
    interner: Interner,
}

impl<R: BufRead> DawaJsonArrayReader<R> {
    pub fn new(r: R) -> Self {
        Self {
            r,
            row: 0,
            started: false,
            done: false,
            interner: Interner::new(),
        }
    }

    fn step(&mut self) -> Result<Option<JAddr>, ImportError> {
        let row = self.row + 1;
        let json_err = |m: &str| ImportError::Json {
            row,
            message: m.to_string(),
        };
        if !self.started {
            self.started = true;
            match next_non_ws(&mut self.r)? {
                Some(b'[') => {}
                _ => return Err(json_err("expected '[' at start of input")),
            }
            if peek_non_ws(&mut self.r)? == Some(b']') {
                self.r.consume(1);
                return Ok(None);
            }
        } else {
            match next_non_ws(&mut self.r)? {
                Some(b',') => {}
                Some(b']') => return Ok(None),
                None => return Err(json_err("unexpected end of input inside array")),
                Some(b) => {
                    return Err(json_err(&format!(
                        "expected ',' or ']', found {:?}",
                        b as char
                    )))
                }
            }
        }
        self.row = row;
        let mut de = serde_json::Deserializer::from_reader(&mut self.r);
        JAddr::deserialize(&mut de)
            .map(Some)
            .map_err(|e| ImportError::Json {
                row,
                message: e.to_string(),
            })
    }
}

impl<R: BufRead> Iterator for DawaJsonArrayReader<R> {
    type Item = Result<ImportRow, ImportError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(j)) => Some(j.into_row(self.row, &mut self.interner)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                // Structural errors end the stream (we cannot resynchronise).
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Streaming reader for DAWA NDJSON (`?ndjson`): one JSON object per line.
pub struct DawaNdjsonReader<R: BufRead> {
    r: R,
    line: String,
    row: u64,
    interner: Interner,
}

impl<R: BufRead> DawaNdjsonReader<R> {
    pub fn new(r: R) -> Self {
        Self {
            r,
            line: String::new(),
            row: 0,
            interner: Interner::new(),
        }
    }
}

/// Read the next non-empty line; returns false at EOF.
fn next_line<R: BufRead>(r: &mut R, line: &mut String) -> std::io::Result<bool> {
    loop {
        line.clear();
        if r.read_line(line)? == 0 {
            return Ok(false);
        }
        if !line.trim().is_empty() {
            return Ok(true);
        }
    }
}

impl<R: BufRead> Iterator for DawaNdjsonReader<R> {
    type Item = Result<ImportRow, ImportError>;
    fn next(&mut self) -> Option<Self::Item> {
        match next_line(&mut self.r, &mut self.line) {
            Ok(false) => None,
            Err(e) => Some(Err(e.into())),
            Ok(true) => {
                self.row += 1;
                let row = self.row;
                Some(
                    serde_json::from_str::<JAddr>(&self.line)
                        .map_err(|e| line_error(row, e))
                        .and_then(|j| j.into_row(row, &mut self.interner)),
                )
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Datafordeleren DAR 1.0 NDJSON
// ---------------------------------------------------------------------------

/// Current DAR `Adressepunkt`: id and position (EPSG:25832 WKT `POINT (x y)`).
#[derive(Clone, Debug, PartialEq)]
pub struct DarAddressPoint {
    pub id: Uuid,
    pub easting: f64,
    pub northing: f64,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Deserialize)]
struct DarPunktRaw {
    #[serde(default, alias = "id_lokalId", deserialize_with = "lenient_str")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    registreringtil: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    virkningtil: Option<String>,
    #[serde(default)]
    position: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct DarAdresseRaw {
    #[serde(default, alias = "id_lokalId", deserialize_with = "lenient_str")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    registreringtil: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    virkningtil: Option<String>,
    #[serde(default, deserialize_with = "lenient_u8")]
    status: Option<u8>,
    #[serde(default, alias = "husnummer", deserialize_with = "lenient_str")]
    husnummer_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_str")]
    etagebetegnelse: Option<String>,
    #[serde(
        default,
        rename = "dørbetegnelse",
        alias = "doerbetegnelse",
        deserialize_with = "lenient_str"
    )]
    doerbetegnelse: Option<String>,
}

/// Parse `POINT (x y)` (or `{"wkt": "POINT (...)"}`).
fn parse_wkt_point(v: &serde_json::Value) -> Option<(f64, f64)> {
    let s = match v {
        serde_json::Value::String(s) => s.as_str(),
        serde_json::Value::Object(o) => o.get("wkt")?.as_str()?,
        _ => return None,
    };
    let s = s.trim();
    let s = s
        .strip_prefix("POINT")
        .or_else(|| s.strip_prefix("point"))?
        .trim();
    let s = s.strip_prefix('(')?.strip_suffix(')')?;
    let mut it = s.split_whitespace();
    let x = it.next()?.parse().ok()?;
    let y = it.next()?.parse().ok()?;
    Some((x, y))
}

/// DAR 1.0 `Adressepunkt` NDJSON reader. Yields only current versions
/// (`registreringtil` and `virkningtil` null); historical versions are skipped.
pub struct DarAdressepunktReader<R: BufRead> {
    r: R,
    line: String,
    row: u64,
}

impl<R: BufRead> DarAdressepunktReader<R> {
    pub fn new(r: R) -> Self {
        Self {
            r,
            line: String::new(),
            row: 0,
        }
    }
}

impl<R: BufRead> Iterator for DarAdressepunktReader<R> {
    type Item = Result<DarAddressPoint, ImportError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match next_line(&mut self.r, &mut self.line) {
                Ok(false) => return None,
                Err(e) => return Some(Err(e.into())),
                Ok(true) => {}
            }
            self.row += 1;
            let row = self.row;
            let raw: DarPunktRaw = match serde_json::from_str(&self.line) {
                Ok(r) => r,
                Err(e) => return Some(Err(line_error(row, e))),
            };
            if raw.registreringtil.is_some() || raw.virkningtil.is_some() {
                continue;
            }
            let id = match parse_uuid(row, "id", raw.id.as_deref()) {
                Ok(id) => id,
                Err(e) => return Some(Err(e)),
            };
            let Some((e, n)) = raw.position.as_ref().and_then(parse_wkt_point) else {
                return Some(Err(field_err(
                    row,
                    "position",
                    "missing or not a WKT POINT",
                )));
            };
            let (lat, lon) = utm32_to_wgs84(e, n);
            return Some(Ok(DarAddressPoint {
                id,
                easting: e,
                northing: n,
                lat,
                lon,
            }));
        }
    }
}

/// DAR 1.0 `Adresse` NDJSON reader → [`UnitAddress`] (id, husnummer id,
/// etage, dør). Only current versions are yielded. Resolving the husnummer to
/// street/postnr needs DAR `Husnummer`/`NavngivenVej`/`Postnummer`, which are
/// not supported (see [`dar_unsupported`]).
pub struct DarAdresseReader<R: BufRead> {
    r: R,
    line: String,
    row: u64,
}

impl<R: BufRead> DarAdresseReader<R> {
    pub fn new(r: R) -> Self {
        Self {
            r,
            line: String::new(),
            row: 0,
        }
    }
}

impl<R: BufRead> Iterator for DarAdresseReader<R> {
    type Item = Result<UnitAddress, ImportError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match next_line(&mut self.r, &mut self.line) {
                Ok(false) => return None,
                Err(e) => return Some(Err(e.into())),
                Ok(true) => {}
            }
            self.row += 1;
            let row = self.row;
            let raw: DarAdresseRaw = match serde_json::from_str(&self.line) {
                Ok(r) => r,
                Err(e) => return Some(Err(line_error(row, e))),
            };
            if raw.registreringtil.is_some() || raw.virkningtil.is_some() {
                continue;
            }
            let res = (|| {
                Ok(UnitAddress {
                    id: parse_uuid(row, "id", raw.id.as_deref())?,
                    access_address_id: parse_uuid(
                        row,
                        "husnummer_id",
                        raw.husnummer_id.as_deref(),
                    )?,
                    etage: boxed(nonempty(&raw.etagebetegnelse)),
                    dor: boxed(nonempty(&raw.doerbetegnelse)),
                    status: darstatus_to_status(raw.status.unwrap_or(3)),
                })
            })();
            return Some(res);
        }
    }
}

/// DAR entities whose record shape the reference does not document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DarEntity {
    Husnummer,
    NavngivenVej,
    NavngivenVejKommunedel,
    Postnummer,
}

/// Always returns [`ImportError::Unsupported`]: access addresses cannot be
/// built from DAR 1.0 files here because the `Husnummer`/`NavngivenVej`/
/// `Postnummer` shapes are not specified in the reference. Import DAWA CSV/JSON
/// instead, or extend this module once those shapes are pinned down.
pub fn dar_unsupported(entity: DarEntity) -> ImportError {
    ImportError::Unsupported(match entity {
        DarEntity::Husnummer => "DAR Husnummer NDJSON (shape not documented in dawa.md)",
        DarEntity::NavngivenVej => "DAR NavngivenVej NDJSON (shape not documented in dawa.md)",
        DarEntity::NavngivenVejKommunedel => {
            "DAR NavngivenVejKommunedel NDJSON (shape not documented in dawa.md)"
        }
        DarEntity::Postnummer => "DAR Postnummer NDJSON (shape not documented in dawa.md)",
    })
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
