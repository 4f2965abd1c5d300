//! A compact binary snapshot of an index's records, so that a server starts from a few large
//! values instead of reading and parsing every address row.
//!
//! Layout (little-endian): the magic line, the name table (count, then length + UTF-8 bytes per
//! name), the record count, then one fixed-size record per address: id (16 bytes), street,
//! supplementary town (`NO_NAME` when absent) and postal district as name-table indices (u32),
//! husnr (8 bytes: length + 7 ASCII bytes), postnr and kommunekode (u16), lat and lon (f64,
//! NaN without coordinates), status and active (u8).

use std::collections::HashMap;

use uuid::Uuid;

use super::model::{AccessAddress, Husnr, Name};

const MAGIC: &[u8] = b"korsel address index snapshot 1\n";
const NO_NAME: u32 = u32::MAX;
const RECORD_BYTES: usize = 16 + 4 * 3 + 8 + 2 * 2 + 8 * 2 + 2;

/// Encodes the records (in the order given: pass the index's own order, and rebuilding from
/// the snapshot sorts already sorted data).
pub fn encode(records: &[AccessAddress]) -> Vec<u8> {
    // Names are interned in an index, so one allocation is one name; keying by pointer avoids
    // hashing millions of strings. A name seen through two allocations is stored twice, which
    // is still correct.
    let mut index_of: HashMap<(usize, usize), u32> = HashMap::new();
    let mut names: Vec<Name> = Vec::new();
    let mut name_index = |name: &Name| -> u32 {
        *index_of
            .entry((name.as_ptr() as usize, name.len()))
            .or_insert_with(|| {
                names.push(name.clone());
                (names.len() - 1) as u32
            })
    };
    let mut body = Vec::with_capacity(records.len() * RECORD_BYTES);
    for r in records {
        let street = name_index(&r.vejnavn);
        let town = r
            .supplerendebynavn
            .as_ref()
            .map_or(NO_NAME, &mut name_index);
        let district = name_index(&r.postnrnavn);
        body.extend_from_slice(r.id.as_bytes());
        for index in [street, town, district] {
            body.extend_from_slice(&index.to_le_bytes());
        }
        let husnr = r.husnr.as_str().as_bytes();
        let mut husnr_bytes = [0u8; 8];
        husnr_bytes[0] = husnr.len() as u8;
        husnr_bytes[1..=husnr.len()].copy_from_slice(husnr);
        body.extend_from_slice(&husnr_bytes);
        body.extend_from_slice(&r.postnr.to_le_bytes());
        body.extend_from_slice(&r.kommunekode.to_le_bytes());
        body.extend_from_slice(&r.lat.to_le_bytes());
        body.extend_from_slice(&r.lon.to_le_bytes());
        body.push(r.status);
        body.push(u8::from(r.active));
    }
    let names_len: usize = names.iter().map(|n| 4 + n.len()).sum();
    let mut out = Vec::with_capacity(MAGIC.len() + 8 + names_len + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(names.len() as u32).to_le_bytes());
    for name in &names {
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Reads `bytes` front to back; every read names what was cut short.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err(format!("the snapshot ends inside {what}"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn field<const N: usize>(record: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&record[at..at + N]);
    out
}

/// Decodes a snapshot written by [`encode`]; an error says what is wrong with it.
pub fn decode(bytes: &[u8]) -> Result<Vec<AccessAddress>, String> {
    let mut reader = Reader { bytes };
    if reader.take(MAGIC.len(), "the header")? != MAGIC {
        return Err("not an address index snapshot of this version".into());
    }
    let name_count = reader.u32("the name count")? as usize;
    let mut names: Vec<Name> = Vec::with_capacity(name_count.min(bytes.len() / 4));
    for _ in 0..name_count {
        let len = reader.u32("a name length")? as usize;
        let text = std::str::from_utf8(reader.take(len, "a name")?)
            .map_err(|_| "a name is not UTF-8".to_string())?;
        names.push(Name::from(text));
    }
    let count = reader.u32("the record count")? as usize;
    if reader.bytes.len() != count * RECORD_BYTES {
        return Err(format!(
            "{count} records need {} bytes, the snapshot has {}",
            count * RECORD_BYTES,
            reader.bytes.len()
        ));
    }
    let name = |index: u32| -> Result<Name, String> {
        names
            .get(index as usize)
            .cloned()
            .ok_or_else(|| format!("name {index} is not in the table"))
    };
    reader
        .bytes
        .chunks_exact(RECORD_BYTES)
        .map(|r| {
            let town = u32::from_le_bytes(field(r, 20));
            let husnr_len = usize::from(r[28]).min(7);
            let husnr = std::str::from_utf8(&r[29..29 + husnr_len])
                .ok()
                .and_then(Husnr::parse)
                .ok_or_else(|| "a house number is not valid".to_string())?;
            Ok(AccessAddress {
                id: Uuid::from_bytes(field(r, 0)),
                vejnavn: name(u32::from_le_bytes(field(r, 16)))?,
                supplerendebynavn: if town == NO_NAME {
                    None
                } else {
                    Some(name(town)?)
                },
                postnrnavn: name(u32::from_le_bytes(field(r, 24)))?,
                husnr,
                postnr: u16::from_le_bytes(field(r, 36)),
                kommunekode: u16::from_le_bytes(field(r, 38)),
                lat: f64::from_le_bytes(field(r, 40)),
                lon: f64::from_le_bytes(field(r, 48)),
                status: r[56],
                active: r[57] != 0,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn address(i: u128, street: &Name, town: Option<&Name>, lat: f64) -> AccessAddress {
        AccessAddress {
            id: Uuid::from_u128(i),
            vejnavn: street.clone(),
            husnr: Husnr::parse(&format!("{i}B")).unwrap(),
            supplerendebynavn: town.cloned(),
            postnr: 6720,
            postnrnavn: Arc::from("Fanø"),
            kommunekode: 563,
            lat,
            lon: 8.4,
            status: 3,
            active: i % 2 == 0,
        }
    }

    #[test]
    fn records_round_trip_with_shared_names_and_missing_coordinates() {
        let street: Name = Arc::from("Hovedgaden");
        let town: Name = Arc::from("Sønderho");
        let records = vec![
            address(1, &street, Some(&town), 55.44),
            address(2, &street, None, f64::NAN),
            address(3, &Arc::from("Ålevej"), Some(&town), 55.1),
        ];
        let bytes = encode(&records);
        assert_eq!(decode(&bytes).unwrap(), records);
        assert_eq!(decode(&encode(&[])).unwrap(), vec![]);
    }

    #[test]
    fn damaged_snapshots_are_refused() {
        let street: Name = Arc::from("Hovedgaden");
        let bytes = encode(&[address(1, &street, None, 55.0)]);
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode(b"something else").is_err());
        let mut bad_name = bytes.clone();
        let record_start = bytes.len() - RECORD_BYTES;
        bad_name[record_start + 16..record_start + 20].copy_from_slice(&7u32.to_le_bytes());
        assert!(decode(&bad_name).unwrap_err().contains("name 7"));
    }
}
