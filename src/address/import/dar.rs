//! Datafordeleren DAR 1.0 NDJSON ([`DarAdressepunktReader`], [`DarAdresseReader`]).

use super::*;

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

/// A DAR record with bitemporal validity: current when neither end is set.
trait Versioned: serde::de::DeserializeOwned {
    fn is_current(&self) -> bool;
}

impl Versioned for DarPunktRaw {
    fn is_current(&self) -> bool {
        self.registreringtil.is_none() && self.virkningtil.is_none()
    }
}

impl Versioned for DarAdresseRaw {
    fn is_current(&self) -> bool {
        self.registreringtil.is_none() && self.virkningtil.is_none()
    }
}

/// The NDJSON lines of a DAR file, read as current versions with their row numbers (historical
/// versions are skipped, blank lines too).
struct CurrentVersions<R: BufRead> {
    r: R,
    line: String,
    row: u64,
}

impl<R: BufRead> CurrentVersions<R> {
    fn new(r: R) -> Self {
        Self {
            r,
            line: String::new(),
            row: 0,
        }
    }

    fn next_current<T: Versioned>(&mut self) -> Option<Result<(u64, T), ImportError>> {
        loop {
            match next_line(&mut self.r, &mut self.line) {
                Ok(false) => return None,
                Err(e) => return Some(Err(e.into())),
                Ok(true) => {}
            }
            self.row += 1;
            let row = self.row;
            let raw: T = match serde_json::from_str(&self.line) {
                Ok(r) => r,
                Err(e) => return Some(Err(line_error(row, e))),
            };
            if raw.is_current() {
                return Some(Ok((row, raw)));
            }
        }
    }
}

/// `dar_reader!(Reader, Raw => Item, convert)`: a reader over the current versions of `Raw`,
/// each made into an `Item` by `convert(row, raw)`.
macro_rules! dar_reader {
    ($(#[$doc:meta])* $name:ident, $raw:ty => $item:ty, $convert:expr) => {
        $(#[$doc])*
        pub struct $name<R: BufRead> {
            lines: CurrentVersions<R>,
        }

        impl<R: BufRead> $name<R> {
            pub fn new(r: R) -> Self {
                Self {
                    lines: CurrentVersions::new(r),
                }
            }
        }

        impl<R: BufRead> Iterator for $name<R> {
            type Item = Result<$item, ImportError>;
            fn next(&mut self) -> Option<Self::Item> {
                let convert: fn(u64, $raw) -> Result<$item, ImportError> = $convert;
                Some(self.lines.next_current()?.and_then(|(row, raw)| convert(row, raw)))
            }
        }
    };
}

dar_reader!(
    /// DAR 1.0 `Adressepunkt` NDJSON reader. Yields only current versions
    /// (`registreringtil` and `virkningtil` null); historical versions are skipped.
    DarAdressepunktReader, DarPunktRaw => DarAddressPoint, |row, raw| {
        let id = parse_uuid(row, "id", raw.id.as_deref())?;
        let Some((e, n)) = raw.position.as_ref().and_then(parse_wkt_point) else {
            return Err(field_err(row, "position", "missing or not a WKT POINT"));
        };
        let (lat, lon) = utm32_to_wgs84(e, n);
        Ok(DarAddressPoint {
            id,
            easting: e,
            northing: n,
            lat,
            lon,
        })
    }
);

dar_reader!(
    /// DAR 1.0 `Adresse` NDJSON reader → [`UnitAddress`] (id, husnummer id,
    /// etage, dør). Only current versions are yielded. Resolving the husnummer to
    /// street/postnr needs DAR `Husnummer`/`NavngivenVej`/`Postnummer`, which are
    /// not supported (see [`dar_unsupported`]).
    DarAdresseReader, DarAdresseRaw => UnitAddress, |row, raw| {
        Ok(UnitAddress {
            id: parse_uuid(row, "id", raw.id.as_deref())?,
            access_address_id: parse_uuid(row, "husnummer_id", raw.husnummer_id.as_deref())?,
            etage: boxed(nonempty(&raw.etagebetegnelse)),
            dor: boxed(nonempty(&raw.doerbetegnelse)),
            status: darstatus_to_status(raw.status.unwrap_or(3)),
        })
    }
);

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
