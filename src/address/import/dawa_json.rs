//! DAWA JSON (nestet, flad, mini) as a JSON array or NDJSON ([`DawaJsonArrayReader`], [`DawaNdjsonReader`]).

use super::*;

pub(super) fn lenient_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
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

pub(super) fn lenient_u8<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
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

pub(super) fn nonempty(s: &Option<String>) -> Option<&str> {
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
        if raw.needs_xy() {
            raw.set_xy(self.x, self.y);
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
    let b = peek_non_ws(r)?;
    if b.is_some() {
        r.consume(1);
    }
    Ok(b)
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
pub(super) fn next_line<R: BufRead>(r: &mut R, line: &mut String) -> std::io::Result<bool> {
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
