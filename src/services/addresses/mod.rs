//! The address registry: importing DAWA/DAR files into the database, building the in-memory
//! [`AddressIndex`] from it, and the shared [`Registry`] the HTTP layer and the trips issue use
//! (`match_point`). The CLI and the import endpoint run the same [`import`] function; the
//! index side (loading, snapshots, the shared registry) is in `index`.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use uuid::Uuid;

use crate::address::{
    AccessAddress, DarAddressPoint, DarAdresseReader, DarAdressepunktReader, DawaCsvReader,
    DawaJsonArrayReader, DawaNdjsonReader, Husnr, ImportError, ImportRow, Interner, UnitAddress,
};
use crate::db::address_registry as registry_repo;
use crate::db::addresses::{self as repo, AccessRow, UnitRow, CHUNK};
use crate::db::{write_transaction, DbConnection};
use crate::error::{Error, Problem, ProblemKind, Result};

/// Input formats of `korsel addresses import` and `POST /api/v1/addresses/import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    /// JSON array when the file starts with `[`, NDJSON when with `{`, CSV otherwise.
    Auto,
    /// DAWA CSV export of `adgangsadresser` or `adresser` (columns by header name).
    Csv,
    /// DAWA JSON array (nestet, flad or mini).
    Json,
    /// DAWA newline-delimited JSON.
    Ndjson,
    /// Datafordeler DAR 1.0 `Adresse` NDJSON: unit addresses (floor/door) of access addresses.
    DarAdresse,
    /// Datafordeler DAR 1.0 `Adressepunkt` NDJSON: new coordinates for known access addresses.
    DarAdressepunkt,
}

/// How an import treats its file and the registry. The defaults are the safe ones: any bad
/// row refuses the whole file, nothing is deactivated.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct ImportOptions {
    /// Mark active addresses that the file lacks inactive (for full exports).
    pub deactivate_missing: bool,
    /// `deactivate_missing` refuses when it would deactivate more than this share of the
    /// active registry, in per cent…
    pub max_deactivation_percent: f64,
    /// …unless this is set.
    pub allow_mass_deactivation: bool,
    /// Skip rows that were read whole but hold invalid values (counted and sampled in the
    /// summary) instead of refusing the file. Never together with `deactivate_missing`: an
    /// address in a skipped row would be deactivated.
    pub skip_invalid: bool,
    /// Do everything, report the counts, and store nothing.
    pub dry_run: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            deactivate_missing: false,
            max_deactivation_percent: 5.0,
            allow_mass_deactivation: false,
            skip_invalid: false,
            dry_run: false,
        }
    }
}

impl ImportOptions {
    fn validate(&self) -> Result<()> {
        if self.skip_invalid && self.deactivate_missing {
            return Err(Error::validation(
                "skip_invalid",
                "cannot be combined with deactivate_missing: the addresses of skipped rows \
                 would be deactivated; fix the file, or import without deactivating",
            ));
        }
        if !(0.0..=100.0).contains(&self.max_deactivation_percent) {
            return Err(Error::validation(
                "max_deactivation_percent",
                "must be between 0 and 100",
            ));
        }
        Ok(())
    }
}

/// What an import did. Counts are of distinct ids.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ImportSummary {
    pub format: Option<ImportFormat>,
    /// True when nothing was stored (`dry_run`): the counts say what the import would do.
    pub dry_run: bool,
    /// Data rows read (including rejected ones and repeats).
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub units_created: u64,
    pub units_updated: u64,
    pub units_unchanged: u64,
    /// Rows that were active and missing from this import (only with `deactivate_missing`).
    pub deactivated: u64,
    /// Active access addresses (or units) before the import, when `deactivate_missing` ran.
    pub active_before: u64,
    /// DAR points for access addresses that are not in the registry.
    pub skipped: u64,
    /// Rows skipped as invalid (only with `skip_invalid`); the first few are described in
    /// `error_samples`.
    pub errors: u64,
    pub error_samples: Vec<String>,
    pub seconds: f64,
    pub rows_per_second: f64,
    /// Active access addresses in the index after the import (0 when not rebuilt).
    pub index_size: u64,
}

const MAX_ERROR_SAMPLES: usize = 10;

enum Item {
    Row(Box<ImportRow>),
    Unit(UnitAddress),
    Point(DarAddressPoint),
}

type Items<'a> = Box<dyn Iterator<Item = std::result::Result<Item, ImportError>> + 'a>;

fn bad_input(e: impl std::fmt::Display) -> Error {
    Error::validation("file", e)
}

/// The file is refused because of its `row`-th data row: nothing was stored.
fn bad_row(row: u64, e: &ImportError) -> Error {
    let what = match e.row() {
        Some(_) => e.to_string(),
        None => format!("row {row}: {e}"),
    };
    let hint = if e.is_invalid_row() {
        "nothing was imported; fix the row, or skip invalid rows (skip_invalid)"
    } else {
        "nothing was imported; the file is broken (cut short, or not the format it claims)"
    };
    let problem = Problem::new(ProblemKind::Validation, format!("file: {what}; {hint}"))
        .with("field", "file")
        .with("row", e.row().unwrap_or(row));
    Error::Problem(problem)
}

/// Gzip files (`.gz`, as DAWA and Datafordeleren deliver them) are recognised by their magic
/// bytes and read through a decoder; anything else is read as it is.
fn decompressed<'a, R: BufRead + 'a>(mut input: R) -> Result<Box<dyn BufRead + 'a>> {
    const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
    let head = input.fill_buf().map_err(bad_input)?;
    if head.starts_with(&GZIP_MAGIC) {
        let decoder = flate2::bufread::MultiGzDecoder::new(input);
        Ok(Box::new(BufReader::with_capacity(256 * 1024, decoder)))
    } else {
        Ok(Box::new(input))
    }
}

/// Chooses the reader for `format` (peeking at the first byte for `auto`).
fn items<'a, R: BufRead + 'a>(
    mut input: R,
    format: ImportFormat,
) -> Result<(ImportFormat, Items<'a>)> {
    let format = match format {
        ImportFormat::Auto => {
            let first = loop {
                let buf = input.fill_buf().map_err(bad_input)?;
                if buf.is_empty() {
                    break None;
                }
                match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                    Some(i) => break Some(buf[i]),
                    None => {
                        let n = buf.len();
                        input.consume(n);
                    }
                }
            };
            match first {
                Some(b'[') => ImportFormat::Json,
                Some(b'{') => ImportFormat::Ndjson,
                _ => ImportFormat::Csv,
            }
        }
        f => f,
    };
    let items: Items<'a> = match format {
        ImportFormat::Csv => Box::new(
            DawaCsvReader::new(input)
                .map_err(bad_input)?
                .map(|r| r.map(|r| Item::Row(Box::new(r)))),
        ),
        ImportFormat::Json => {
            Box::new(DawaJsonArrayReader::new(input).map(|r| r.map(|r| Item::Row(Box::new(r)))))
        }
        ImportFormat::Ndjson => {
            Box::new(DawaNdjsonReader::new(input).map(|r| r.map(|r| Item::Row(Box::new(r)))))
        }
        ImportFormat::DarAdresse => {
            Box::new(DarAdresseReader::new(input).map(|r| r.map(Item::Unit)))
        }
        ImportFormat::DarAdressepunkt => {
            Box::new(DarAdressepunktReader::new(input).map(|r| r.map(Item::Point)))
        }
        ImportFormat::Auto => unreachable!("resolved above"),
    };
    Ok((format, items))
}

pub fn access_row(a: &AccessAddress) -> AccessRow {
    let (lat, lon) = if a.has_coordinates() {
        (Some(a.lat), Some(a.lon))
    } else {
        (None, None)
    };
    AccessRow {
        id: a.id.to_string(),
        vejnavn: a.vejnavn.to_string(),
        husnr: a.husnr.as_str().to_string(),
        supplerendebynavn: a.supplerendebynavn.as_deref().map(str::to_string),
        postnr: i32::from(a.postnr),
        postnrnavn: a.postnrnavn.to_string(),
        kommunekode: i32::from(a.kommunekode),
        lat,
        lon,
        status: i32::from(a.status),
        active: a.active,
    }
}

fn unit_row(u: &UnitAddress) -> UnitRow {
    UnitRow {
        id: u.id.to_string(),
        access_address_id: u.access_address_id.to_string(),
        etage: u.etage.as_deref().map(str::to_string),
        dor: u.dor.as_deref().map(str::to_string),
        status: i32::from(u.status),
        active: crate::address::model::status_is_active(u.status),
    }
}

/// A stored row back to the index's record; `None` for a row the index cannot hold.
pub fn access_address(row: &AccessRow, interner: &mut Interner) -> Option<AccessAddress> {
    Some(AccessAddress {
        id: Uuid::parse_str(&row.id).ok()?,
        vejnavn: interner.intern(&row.vejnavn),
        husnr: Husnr::parse(&row.husnr)?,
        supplerendebynavn: row.supplerendebynavn.as_deref().map(|s| interner.intern(s)),
        postnr: u16::try_from(row.postnr).ok()?,
        postnrnavn: interner.intern(&row.postnrnavn),
        kommunekode: u16::try_from(row.kommunekode).ok()?,
        lat: row.lat.unwrap_or(f64::NAN),
        lon: row.lon.unwrap_or(f64::NAN),
        status: u8::try_from(row.status).ok()?,
        active: row.active,
    })
}

/// Import state: pending chunks, the ids seen so far, the counters.
struct Importer<'c> {
    conn: &'c mut DbConnection,
    access: Vec<AccessRow>,
    units: Vec<UnitRow>,
    points: Vec<DarAddressPoint>,
    seen_access: HashSet<Uuid>,
    seen_units: HashSet<Uuid>,
    summary: ImportSummary,
}

impl Importer<'_> {
    fn flush_access(&mut self) -> Result<()> {
        if self.access.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = self.access.iter().map(|r| r.id.clone()).collect();
        let existing: HashMap<String, AccessRow> = repo::access_by_ids(self.conn, &ids)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let s = &mut self.summary;
        let changed: Vec<AccessRow> = std::mem::take(&mut self.access)
            .into_iter()
            .filter(|r| match existing.get(&r.id) {
                None => {
                    s.created += 1;
                    true
                }
                Some(old) if old == r => {
                    s.unchanged += 1;
                    false
                }
                Some(_) => {
                    s.updated += 1;
                    true
                }
            })
            .collect();
        repo::upsert_access(self.conn, &changed)?;
        Ok(())
    }

    fn flush_units(&mut self) -> Result<()> {
        if self.units.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = self.units.iter().map(|r| r.id.clone()).collect();
        let existing: HashMap<String, UnitRow> = repo::units_by_ids(self.conn, &ids)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let s = &mut self.summary;
        let changed: Vec<UnitRow> = std::mem::take(&mut self.units)
            .into_iter()
            .filter(|r| match existing.get(&r.id) {
                None => {
                    s.units_created += 1;
                    true
                }
                Some(old) if old == r => {
                    s.units_unchanged += 1;
                    false
                }
                Some(_) => {
                    s.units_updated += 1;
                    true
                }
            })
            .collect();
        repo::upsert_units(self.conn, &changed)?;
        Ok(())
    }

    /// DAR points move known access addresses; unknown ids are skipped.
    fn flush_points(&mut self) -> Result<()> {
        if self.points.is_empty() {
            return Ok(());
        }
        let points = std::mem::take(&mut self.points);
        let ids: Vec<String> = points.iter().map(|p| p.id.to_string()).collect();
        let mut existing: HashMap<String, AccessRow> = repo::access_by_ids(self.conn, &ids)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let mut changed = Vec::new();
        for (p, id) in points.iter().zip(ids) {
            let Some(mut row) = existing.remove(&id) else {
                self.summary.skipped += 1;
                continue;
            };
            let (lat, lon) = (Some(p.lat), Some(p.lon));
            if row.lat == lat && row.lon == lon {
                self.summary.unchanged += 1;
            } else {
                row.lat = lat;
                row.lon = lon;
                self.summary.updated += 1;
                changed.push(row);
            }
        }
        repo::upsert_access(self.conn, &changed)?;
        Ok(())
    }

    fn add(&mut self, item: Item) -> Result<()> {
        match item {
            Item::Row(row) => {
                let ImportRow { access, unit } = *row;
                if self.seen_access.insert(access.id) {
                    self.access.push(access_row(&access));
                    if self.access.len() >= CHUNK {
                        self.flush_access()?;
                    }
                }
                if let Some(unit) = unit {
                    self.add(Item::Unit(unit))?;
                }
            }
            Item::Unit(unit) => {
                if self.seen_units.insert(unit.id) {
                    self.units.push(unit_row(&unit));
                    if self.units.len() >= CHUNK {
                        self.flush_units()?;
                    }
                }
            }
            Item::Point(point) => {
                if self.seen_access.insert(point.id) {
                    self.points.push(point);
                    if self.points.len() >= CHUNK {
                        self.flush_points()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Marks active rows that this import did not contain inactive, unless they are more than
    /// the allowed share of the active ones.
    fn deactivate_missing(&mut self, units: bool, options: &ImportOptions) -> Result<()> {
        let mut active = 0u64;
        let mut after: Option<String> = None;
        let mut missing = Vec::new();
        loop {
            let page = if units {
                repo::active_unit_ids(self.conn, after.as_deref(), 10_000)?
            } else {
                repo::active_access_ids(self.conn, after.as_deref(), 10_000)?
            };
            let Some(last) = page.last().cloned() else {
                break;
            };
            active += page.len() as u64;
            let seen = if units {
                &self.seen_units
            } else {
                &self.seen_access
            };
            missing.extend(
                page.into_iter()
                    .filter(|id| Uuid::parse_str(id).map_or(true, |uuid| !seen.contains(&uuid))),
            );
            after = Some(last);
        }
        self.summary.active_before += active;
        let share = 100.0 * missing.len() as f64 / active.max(1) as f64;
        if share > options.max_deactivation_percent && !options.allow_mass_deactivation {
            let what = if units { "unit addresses" } else { "addresses" };
            return Err(Error::validation(
                "deactivate_missing",
                format!(
                    "the import would deactivate {} of {active} active {what} ({share:.1} %), \
                     more than the {} % allowed; nothing was imported. Check that the file is \
                     a complete export, or allow it (allow_mass_deactivation, \
                     --allow-mass-deactivation)",
                    missing.len(),
                    options.max_deactivation_percent
                ),
            ));
        }
        for chunk in missing.chunks(CHUNK) {
            let n = if units {
                repo::deactivate_units(self.conn, chunk)?
            } else {
                repo::deactivate_access(self.conn, chunk)?
            };
            self.summary.deactivated += n as u64;
        }
        Ok(())
    }
}

/// Why an import transaction ends without committing.
enum Rollback {
    Failed(Error),
    /// A dry run: everything was done and is undone; the summary says what it did.
    DryRun(Box<ImportSummary>),
}

impl From<Error> for Rollback {
    fn from(e: Error) -> Self {
        Rollback::Failed(e)
    }
}

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Self {
        Rollback::Failed(e.into())
    }
}

/// Imports a stream (gzip-compressed or not) in one transaction, all or nothing: the first
/// broken row refuses the whole file with 422 naming it, and so does the first invalid row
/// unless `skip_invalid`. Blocking.
pub fn import<R: Read>(
    conn: &mut DbConnection,
    input: R,
    format: ImportFormat,
    options: &ImportOptions,
) -> Result<ImportSummary> {
    options.validate()?;
    let started = Instant::now();
    let input = decompressed(BufReader::with_capacity(256 * 1024, input))?;
    let (format, rows) = items(input, format)?;
    let outcome = write_transaction(conn, |conn| -> std::result::Result<_, Rollback> {
        let mut importer = Importer {
            conn,
            access: Vec::with_capacity(CHUNK),
            units: Vec::with_capacity(CHUNK),
            points: Vec::new(),
            seen_access: HashSet::new(),
            seen_units: HashSet::new(),
            summary: ImportSummary {
                format: Some(format),
                dry_run: options.dry_run,
                ..ImportSummary::default()
            },
        };
        for item in rows {
            importer.summary.rows += 1;
            match item {
                Ok(item) => importer.add(item)?,
                Err(ImportError::Io(e)) => {
                    return Err(bad_input(format!("cannot read the input: {e}")).into())
                }
                Err(e) if options.skip_invalid && e.is_invalid_row() => {
                    importer.summary.errors += 1;
                    if importer.summary.error_samples.len() < MAX_ERROR_SAMPLES {
                        importer.summary.error_samples.push(e.to_string());
                    }
                }
                Err(e) => return Err(bad_row(importer.summary.rows, &e).into()),
            }
        }
        importer.flush_access()?;
        importer.flush_units()?;
        importer.flush_points()?;
        if options.deactivate_missing && format != ImportFormat::DarAdressepunkt {
            if !importer.seen_access.is_empty() {
                importer.deactivate_missing(false, options)?;
            }
            if !importer.seen_units.is_empty() {
                importer.deactivate_missing(true, options)?;
            }
        }
        if options.dry_run {
            return Err(Rollback::DryRun(Box::new(importer.summary)));
        }
        // Every import counts as a change, so the instances never skip one they should see.
        registry_repo::bump_generation(importer.conn)?;
        Ok(importer.summary)
    });
    let mut summary = match outcome {
        Ok(summary) => summary,
        Err(Rollback::DryRun(summary)) => *summary,
        Err(Rollback::Failed(e)) => return Err(e),
    };
    summary.seconds = started.elapsed().as_secs_f64();
    summary.rows_per_second = if summary.seconds > 0.0 {
        (summary.rows as f64 / summary.seconds).round()
    } else {
        0.0
    };
    tracing::info!(
        format = ?summary.format,
        rows = summary.rows,
        created = summary.created,
        updated = summary.updated,
        unchanged = summary.unchanged,
        units_created = summary.units_created,
        deactivated = summary.deactivated,
        errors = summary.errors,
        dry_run = summary.dry_run,
        seconds = summary.seconds,
        "address import finished"
    );
    Ok(summary)
}

/// Counts bytes read, for progress bars.
pub struct CountingReader<R, F: FnMut(u64)> {
    inner: R,
    read: u64,
    report: F,
}

impl<R: Read, F: FnMut(u64)> CountingReader<R, F> {
    pub fn new(inner: R, report: F) -> Self {
        CountingReader {
            inner,
            read: 0,
            report,
        }
    }
}

impl<R: Read, F: FnMut(u64)> Read for CountingReader<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.report)(self.read);
        Ok(n)
    }
}

/// [`import`] from a file; `progress` gets the bytes read so far.
pub fn import_file(
    conn: &mut DbConnection,
    path: &Path,
    format: ImportFormat,
    options: &ImportOptions,
    progress: impl FnMut(u64),
) -> Result<ImportSummary> {
    let file =
        File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    import(conn, CountingReader::new(file, progress), format, options)
}

mod index;
pub mod runs;

pub use index::{load_index, LoadedIndex, PointMatch, Registry};
