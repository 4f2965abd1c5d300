//! DAWA `format=csv` exports ([`DawaCsvReader`]).

use super::*;

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
        if raw.needs_xy() {
            raw.set_xy(num(c.x, "x")?, num(c.y, "y")?);
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
