//! Optional DAWA-compatible upstream (`KORSEL_ADDRESS_UPSTREAM_URL`) for autocomplete, reverse
//! geocoding and lookup.
//!
//! Each request has a timeout and is retried at most twice, with exponential backoff and jitter,
//! on 429, 5xx, timeouts and connection errors. 410 Gone (what a shut-down DAWA answers) is not
//! retried. When the upstream fails, callers fall back to the local index; the outage is logged
//! once when it starts and once when it ends, and for [`COOL_DOWN`] after a failure the upstream
//! is not asked at all, so that an outage costs no latency.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::address::{AccessAddress, Husnr};

/// Attempts per request (1 + 2 retries).
const ATTEMPTS: u32 = 3;
/// After a failure the upstream is skipped this long.
pub const COOL_DOWN: Duration = Duration::from_secs(30);

/// The upstream could not answer; use the local index.
#[derive(Debug)]
pub struct Unavailable;

#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
    base: Arc<str>,
    state: Arc<Health>,
}

struct Health {
    /// True while an outage is in progress (logged once when set, once when cleared).
    down: AtomicBool,
    last_failure: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Upstream({})", self.base)
    }
}

enum Attempt {
    Done(Option<Value>),
    Retry(String),
    Fail(String),
}

impl Upstream {
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Upstream> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            .user_agent(concat!("korsel/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Upstream {
            client,
            base: Arc::from(base.trim_end_matches('/')),
            state: Arc::new(Health {
                down: AtomicBool::new(false),
                last_failure: Mutex::new(None),
            }),
        })
    }

    fn cooling_down(&self) -> bool {
        let last = *self
            .state
            .last_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        last.is_some_and(|t| t.elapsed() < COOL_DOWN)
    }

    fn failed(&self, why: &str) {
        *self
            .state
            .last_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        if !self.state.down.swap(true, Ordering::SeqCst) {
            tracing::warn!(
                upstream = %self.base,
                reason = why,
                "address upstream unavailable; answering from the local index until it recovers"
            );
        }
    }

    fn succeeded(&self) {
        if self.state.down.swap(false, Ordering::SeqCst) {
            tracing::info!(upstream = %self.base, "address upstream recovered");
        }
        *self
            .state
            .last_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
    }

    async fn attempt(&self, url: &str, query: &[(&str, String)]) -> Attempt {
        let response = match self.client.get(url).query(query).send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                return Attempt::Retry(e.to_string())
            }
            Err(e) => return Attempt::Fail(e.to_string()),
        };
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Attempt::Done(None);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Attempt::Retry(format!("HTTP {status}"));
        }
        if !status.is_success() {
            // 410 Gone and anything else unexpected: not worth retrying.
            return Attempt::Fail(format!("HTTP {status}"));
        }
        match response.json::<Value>().await {
            Ok(v) => Attempt::Done(Some(v)),
            Err(e) if e.is_timeout() => Attempt::Retry(e.to_string()),
            Err(e) => Attempt::Fail(format!("unreadable response: {e}")),
        }
    }

    /// GET `path`; `Ok(None)` for 404.
    async fn get_json(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<Value>, Unavailable> {
        if self.cooling_down() {
            return Err(Unavailable);
        }
        let url = format!("{}{}", self.base, path);
        let mut why = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                let base = 50u64 << attempt;
                let jitter = rand::rng().random_range(0..=base);
                tokio::time::sleep(Duration::from_millis(base + jitter)).await;
            }
            match self.attempt(&url, query).await {
                Attempt::Done(v) => {
                    self.succeeded();
                    return Ok(v);
                }
                Attempt::Retry(e) => why = e,
                Attempt::Fail(e) => {
                    why = e;
                    break;
                }
            }
        }
        self.failed(&why);
        Err(Unavailable)
    }

    /// `/adgangsadresser/autocomplete?q=&per_side=`: (tekst, address) pairs.
    pub async fn autocomplete(
        &self,
        q: &str,
        limit: usize,
    ) -> Result<Vec<(String, AccessAddress)>, Unavailable> {
        let v = self
            .get_json(
                "/adgangsadresser/autocomplete",
                &[("q", q.to_string()), ("per_side", limit.to_string())],
            )
            .await?;
        let Some(Value::Array(items)) = v else {
            return Ok(Vec::new());
        };
        Ok(items
            .iter()
            .filter_map(|item| {
                let data = item
                    .get("adgangsadresse")
                    .or_else(|| item.get("data"))
                    .unwrap_or(item);
                let address = parse_address(data)?;
                let text = item
                    .get("tekst")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| address.betegnelse());
                Some((text, address))
            })
            .take(limit)
            .collect())
    }

    /// `/adgangsadresser/reverse?x=lon&y=lat` (no distance cap upstream; the caller applies it).
    pub async fn reverse(&self, lat: f64, lon: f64) -> Result<Option<AccessAddress>, Unavailable> {
        let v = self
            .get_json(
                "/adgangsadresser/reverse",
                &[
                    ("x", lon.to_string()),
                    ("y", lat.to_string()),
                    ("struktur", "mini".to_string()),
                ],
            )
            .await?;
        Ok(v.as_ref().and_then(parse_address))
    }

    /// `/adgangsadresser/{id}`.
    pub async fn get(&self, id: Uuid) -> Result<Option<AccessAddress>, Unavailable> {
        let v = self
            .get_json(
                &format!("/adgangsadresser/{id}"),
                &[("struktur", "mini".to_string())],
            )
            .await?;
        Ok(v.as_ref().and_then(parse_address))
    }
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str().filter(|s| !s.is_empty())
}

fn number(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn code(s: Option<&str>) -> Option<u16> {
    s?.parse().ok().filter(|&c: &u16| c <= 9999)
}

/// An adgangsadresse in DAWA's mini, flad or nestet shape (fields looked up by name; unknown
/// fields ignored).
pub fn parse_address(v: &Value) -> Option<AccessAddress> {
    let id = Uuid::parse_str(text(v, &["id"])?).ok()?;
    let vejnavn = text(v, &["vejnavn"]).or_else(|| text(v, &["vejstykke", "navn"]))?;
    let husnr = Husnr::parse(text(v, &["husnr"])?)?;
    let postnr = code(text(v, &["postnr"]).or_else(|| text(v, &["postnummer", "nr"])))?;
    let postnrnavn = text(v, &["postnrnavn"]).or_else(|| text(v, &["postnummer", "navn"]))?;
    let kommunekode =
        code(text(v, &["kommunekode"]).or_else(|| text(v, &["kommune", "kode"]))).unwrap_or(0);
    let (lon, lat) = match (number(v, "x"), number(v, "y")) {
        (Some(x), Some(y)) => (x, y),
        _ => match (
            number(v, "wgs84koordinat_længde"),
            number(v, "wgs84koordinat_bredde"),
        ) {
            (Some(x), Some(y)) => (x, y),
            _ => v
                .get("adgangspunkt")
                .and_then(|p| p.get("koordinater"))
                .and_then(Value::as_array)
                .and_then(|c| Some((c.first()?.as_f64()?, c.get(1)?.as_f64()?)))
                .unwrap_or((f64::NAN, f64::NAN)),
        },
    };
    let status = v
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u8::try_from(s).ok())
        .unwrap_or(1);
    Some(AccessAddress {
        id,
        vejnavn: Arc::from(vejnavn),
        husnr,
        supplerendebynavn: text(v, &["supplerendebynavn"]).map(Arc::from),
        postnr,
        postnrnavn: Arc::from(postnrnavn),
        kommunekode,
        lat,
        lon,
        status,
        active: crate::address::model::status_is_active(status),
    })
}
