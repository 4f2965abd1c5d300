//! Core address types. Compact by design: names are interned `Arc<str>` shared
//! between all addresses on the same street / in the same postal district,
//! house numbers are stored inline, postnr/kommunekode as `u16`.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Interned, shared string (street names, postal district names, town names).
pub type Name = Arc<str>;

/// House number ("husnr") such as `12`, `12A`, stored inline (max 7 ASCII chars).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Husnr {
    len: u8,
    bytes: [u8; 7],
}

impl Husnr {
    /// Parse a house number: 1–7 ASCII alphanumerics (DAWA husnr is `\d{1,3}[A-Z]?`).
    /// Letters are upper-cased; surrounding whitespace is ignored.
    pub fn parse(s: &str) -> Option<Husnr> {
        let s = s.trim();
        if s.is_empty() || s.len() > 7 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let mut bytes = [0u8; 7];
        for (d, b) in bytes.iter_mut().zip(s.bytes()) {
            *d = b.to_ascii_uppercase();
        }
        Some(Husnr {
            len: s.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// Leading numeric part (0 if none; saturates at u16::MAX).
    pub fn number(&self) -> u16 {
        let mut n: u32 = 0;
        for &b in &self.bytes[..self.len as usize] {
            if !b.is_ascii_digit() {
                break;
            }
            n = (n * 10 + u32::from(b - b'0')).min(u32::from(u16::MAX));
        }
        n as u16
    }

    /// Suffix after the leading digits (e.g. "A" in "12A").
    pub fn suffix(&self) -> &str {
        let s = self.as_str();
        s.trim_start_matches(|c: char| c.is_ascii_digit())
    }
}

impl Ord for Husnr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.number(), self.suffix()).cmp(&(other.number(), other.suffix()))
    }
}
impl PartialOrd for Husnr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl fmt::Display for Husnr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for Husnr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}
impl Serialize for Husnr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
impl<'de> Deserialize<'de> for Husnr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Husnr::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("invalid husnr {s:?}")))
    }
}

/// An access address (DAWA "adgangsadresse", DAR "husnummer"): a street + house
/// number with a point. ~96 bytes; strings are shared.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessAddress {
    pub id: Uuid,
    pub vejnavn: Name,
    pub husnr: Husnr,
    pub supplerendebynavn: Option<Name>,
    /// Postal code, e.g. 6720 (format with `{:04}`; see [`AccessAddress::postnr_str`]).
    pub postnr: u16,
    pub postnrnavn: Name,
    /// Municipality code, e.g. 563 for "0563".
    pub kommunekode: u16,
    /// WGS84 latitude in degrees; NaN when the source had no coordinates.
    pub lat: f64,
    /// WGS84 longitude in degrees; NaN when the source had no coordinates.
    pub lon: f64,
    /// DAWA status (1 gældende, 2 nedlagt, 3 foreløbig, 4 henlagt) or DAR status mapped to it.
    pub status: u8,
    /// True for gældende/foreløbig addresses.
    pub active: bool,
}

/// Field-wise equality; coordinates compare bitwise so that two addresses
/// without coordinates (NaN) are equal (re-import idempotency).
impl PartialEq for AccessAddress {
    fn eq(&self, o: &Self) -> bool {
        self.id == o.id
            && self.vejnavn == o.vejnavn
            && self.husnr == o.husnr
            && self.supplerendebynavn == o.supplerendebynavn
            && self.postnr == o.postnr
            && self.postnrnavn == o.postnrnavn
            && self.kommunekode == o.kommunekode
            && self.lat.to_bits() == o.lat.to_bits()
            && self.lon.to_bits() == o.lon.to_bits()
            && self.status == o.status
            && self.active == o.active
    }
}

impl AccessAddress {
    pub fn postnr_str(&self) -> String {
        format!("{:04}", self.postnr)
    }
    pub fn kommunekode_str(&self) -> String {
        format!("{:04}", self.kommunekode)
    }
    pub fn has_coordinates(&self) -> bool {
        self.lat.is_finite() && self.lon.is_finite()
    }
    /// DAWA "betegnelse": `"{vejnavn} {husnr}[, {supplerendebynavn}], {postnr} {postnrnavn}"`.
    pub fn betegnelse(&self) -> String {
        let mut s = String::with_capacity(48);
        s.push_str(&self.vejnavn);
        s.push(' ');
        s.push_str(self.husnr.as_str());
        if let Some(b) = &self.supplerendebynavn {
            s.push_str(", ");
            s.push_str(b);
        }
        use fmt::Write;
        let _ = write!(s, ", {:04} {}", self.postnr, self.postnrnavn);
        s
    }
}

/// A unit address (DAWA "adresse", DAR "adresse"): floor/door within an access address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UnitAddress {
    pub id: Uuid,
    pub access_address_id: Uuid,
    pub etage: Option<Box<str>>,
    #[serde(rename = "dør")]
    pub dor: Option<Box<str>>,
    pub status: u8,
}

impl UnitAddress {
    /// DAWA betegnelse of the unit given its access address, e.g.
    /// `"Brammingevej 18, 1. tv, Bolbro, 5200 Odense V"`.
    pub fn betegnelse(&self, access: &AccessAddress) -> String {
        let mut s = format!("{} {}", access.vejnavn, access.husnr);
        if self.etage.is_some() || self.dor.is_some() {
            s.push(',');
            if let Some(e) = &self.etage {
                s.push(' ');
                s.push_str(e);
                s.push('.');
            }
            if let Some(d) = &self.dor {
                s.push(' ');
                s.push_str(d);
            }
        }
        if let Some(b) = &access.supplerendebynavn {
            s.push_str(", ");
            s.push_str(b);
        }
        s.push_str(&format!(", {:04} {}", access.postnr, access.postnrnavn));
        s
    }
}

/// Map DAWA `status` / `darstatus` to "active".
pub fn status_is_active(status: u8) -> bool {
    matches!(status, 1 | 3)
}

/// String interner: equal names share one allocation.
#[derive(Default, Debug)]
pub struct Interner {
    set: HashSet<Name>,
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn intern(&mut self, s: &str) -> Name {
        if let Some(n) = self.set.get(s) {
            return n.clone();
        }
        let n: Name = Arc::from(s);
        self.set.insert(n.clone());
        n
    }
    pub fn len(&self) -> usize {
        self.set.len()
    }
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn husnr_order_and_parse() {
        let a = Husnr::parse("9").unwrap();
        let b = Husnr::parse("10a").unwrap();
        let c = Husnr::parse("10").unwrap();
        assert_eq!(b.as_str(), "10A");
        assert!(a < c && c < b);
        assert_eq!(b.number(), 10);
        assert_eq!(b.suffix(), "A");
        assert!(Husnr::parse("").is_none());
        assert!(Husnr::parse("12345678").is_none());
        assert!(std::mem::size_of::<AccessAddress>() <= 96);
    }
}
