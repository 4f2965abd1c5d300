//! Static files, embedded in the binary (the app works in a closed network: no CDN, no web
//! fonts). Each is served under a URL with its content hash, so browsers may keep it for a year
//! and a new release is fetched at once.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::services::tokens::sha256_hex;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 3] = [
    Asset {
        name: "korsel.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/korsel.css"),
    },
    Asset {
        // htmx 2.0.11 (npm htmx.org, 0BSD; static/htmx-LICENSE.txt).
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/htmx.min.js"),
    },
    Asset {
        name: "korsel.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/korsel.js"),
    },
];

/// The first 12 hex digits of each asset's SHA-256, in `ASSETS` order.
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| sha256_hex(a.bytes)[..12].to_string())
        .collect()
});

/// The URL of an embedded asset, e.g. `/static/3f2a…/korsel.css`.
pub fn url(name: &str) -> String {
    let index = ASSETS
        .iter()
        .position(|a| a.name == name)
        .unwrap_or_else(|| panic!("no embedded asset {name}"));
    format!("/static/{}/{}", HASHES[index], name)
}

/// `GET /static/{hash}/{name}`: the asset when the hash is the current one; anything else is
/// a 404 (an old hash must not be cached for a year under new content).
pub async fn serve(path: web::Path<(String, String)>) -> HttpResponse {
    let (hash, name) = path.into_inner();
    let found = ASSETS
        .iter()
        .zip(HASHES.iter())
        .find(|(a, h)| a.name == name && **h == hash);
    match found {
        Some((asset, _)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, asset.content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.bytes),
        // The request-context middleware turns this into the usual problem+json 404.
        None => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_content_hash() {
        let css = url("korsel.css");
        assert!(
            css.starts_with("/static/") && css.ends_with("/korsel.css"),
            "{css}"
        );
        assert_eq!(css.len(), "/static/".len() + 12 + "/korsel.css".len());
        assert_ne!(url("htmx.min.js"), url("korsel.js"));
    }
}
