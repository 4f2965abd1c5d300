//! In-memory Danish address registry: importers (DAWA CSV/JSON/NDJSON, DAR
//! 1.0 NDJSON subset), a compact index with reverse geocoding, autocomplete
//! and DAWA-datavask-like washing, and ETRS89/UTM32 ↔ WGS84 conversion.
//!
//! Only `super::`/`self::` paths are used so the module can be moved as is.

pub mod fold;
pub mod import;
pub mod index;
pub mod model;
pub mod search;
pub mod snapshot;
pub mod utm;
pub mod wash;

pub use self::import::{
    dar_unsupported, AddressStore, DarAddressPoint, DarAdresseReader, DarAdressepunktReader,
    DarEntity, DawaCsvReader, DawaJsonArrayReader, DawaNdjsonReader, ImportError, ImportRow,
    ImportStats,
};
pub use self::index::{distance_m, AddressIndex, PointMatch};
pub use self::model::{AccessAddress, Husnr, Interner, Name, UnitAddress};
pub use self::search::{MatchKind, Suggestion};
pub use self::utm::{utm32_to_wgs84, wgs84_to_utm32};
pub use self::wash::{ParsedAddress, WashCategory, WashResult};
