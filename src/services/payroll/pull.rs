//! The pull API for an on-premise connector, and the connectors' API keys (see the module above).

use super::*;
use crate::domain::ids::BatchId;

/// IND01 codes of a batch, for a connector that writes the file itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ind01Codes {
    pub municipality_number: u16,
    pub employment_type: u8,
    pub extra_number: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingBatch {
    #[serde(flatten)]
    pub batch: Batch,
    /// For kmd-ind01 batches.
    pub ind01: Option<Ind01Codes>,
    /// In file order. `cpr` is set when the batch's format carries it.
    pub lines: Vec<ExportLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pending {
    /// Oldest first.
    pub batches: Vec<PendingBatch>,
}

/// The live batches payroll has not acknowledged (at most `limit`, oldest first), with their
/// lines; records the fetch. Every pull also logs overdue acknowledgements.
pub fn pending(conn: &mut DbConnection, limit: u32, settings: &PayrollSettings) -> Result<Pending> {
    let rows = write_transaction(conn, |conn| {
        let rows = repo::unacknowledged_batches(conn, i64::from(limit))?;
        let ids: Vec<BatchId> = rows.iter().map(|b| b.id).collect();
        repo::mark_fetched(conn, &ids, db::utc_now())?;
        ids.into_iter()
            .map(|id| find_batch(conn, id))
            .collect::<Result<Vec<_>>>()
    })?;
    let mut batches = Vec::with_capacity(rows.len());
    for row in rows {
        let ind01 = match batch_settings(&row)? {
            FileSettings::KmdInd01(config) => Some(Ind01Codes {
                municipality_number: config.municipality_number,
                employment_type: config.default_codes.employment_type,
                extra_number: config.default_codes.extra_number,
            }),
            FileSettings::Csv { .. } => None,
        };
        let mut lines = Vec::with_capacity(usize::try_from(row.line_count).unwrap_or(0));
        let page = |after_seq| Ok(repo::file_lines(conn, row.id, after_seq, FILE_PAGE)?);
        for_each_employment(page, |employment| {
            lines.extend(employment);
            Ok(())
        })?;
        batches.push(PendingBatch {
            batch: row.try_into()?,
            ind01,
            lines,
        });
    }
    log_overdue_acknowledgements(conn, db::utc_now(), settings.ack_timeout)?;
    Ok(Pending { batches })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledge {
    pub batch_ids: Vec<BatchId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledged {
    /// Acknowledged by this call.
    pub acknowledged: Vec<BatchId>,
    /// Acknowledged before (repeating an acknowledgement is harmless).
    pub already_acknowledged: Vec<BatchId>,
}

/// Marks batches processed by payroll, all or none: an unknown batch is a 404, a cancelled one
/// a 409 (its reports went back to approval; payroll must not keep them).
pub fn acknowledge(
    conn: &mut DbConnection,
    input: &Acknowledge,
    puller: &Puller,
) -> Result<Acknowledged> {
    if input.batch_ids.is_empty() || input.batch_ids.len() > MAX_ACK_BATCHES {
        return Err(Error::validation(
            "batch_ids",
            format!("name 1 to {MAX_ACK_BATCHES} batches"),
        ));
    }
    let mut ids = input.batch_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let out = write_transaction(conn, |conn| {
        let by = puller.name(conn)?;
        let now = db::utc_now();
        let mut out = Acknowledged {
            acknowledged: Vec::new(),
            already_acknowledged: Vec::new(),
        };
        for &id in &ids {
            if repo::acknowledge_batch(conn, id, now, &by)? {
                out.acknowledged.push(id);
                continue;
            }
            let batch = repo::find_batch(conn, id)?
                .ok_or_else(|| Error::not_found(&format!("payroll batch {id}")))?;
            if batch.cancelled_at.is_some() {
                return Err(Error::problem(
                    ProblemKind::Conflict,
                    format!(
                        "payroll batch {id} was cancelled: its reports must not be paid from it; \
                         nothing was acknowledged"
                    ),
                ));
            }
            out.already_acknowledged.push(id);
        }
        Ok(out)
    })?;
    if !out.acknowledged.is_empty() {
        tracing::info!(batches = ?out.acknowledged, by = ?puller, "payroll batches acknowledged");
    }
    Ok(out)
}

/// Live batches a connector fetched longer than `timeout` before `now` and has not acknowledged.
pub fn overdue_acknowledgements(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    timeout: Duration,
) -> Result<Vec<Batch>> {
    let timeout = chrono::Duration::from_std(timeout)
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("acknowledgement timeout")))?;
    repo::fetched_unacknowledged(conn, now - timeout)?
        .into_iter()
        .map(Batch::try_from)
        .collect()
}

/// Logs every overdue acknowledgement as an error (loud on purpose: until payroll acknowledges,
/// nobody knows whether the batch's reports were paid). Returns how many there were.
pub fn log_overdue_acknowledgements(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    timeout: Duration,
) -> Result<usize> {
    let overdue = overdue_acknowledgements(conn, now, timeout)?;
    for batch in &overdue {
        tracing::error!(
            batch_id = batch.id.0,
            reports = batch.report_count,
            fetched_at = ?batch.first_fetched_at,
            "payroll batch {} was fetched by the payroll connector and not acknowledged within {} \
             minutes: check the connector and payroll before anything is paid twice or not at all",
            batch.id,
            timeout.as_secs() / 60
        );
    }
    Ok(overdue.len())
}

// ================================================================ connector API keys

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<repo::ApiKeyRow> for ApiKey {
    fn from(r: repo::ApiKeyRow) -> Self {
        ApiKey {
            name: r.name,
            created_at: utc(r.created_at),
            last_used_at: r.last_used_at.map(utc),
            revoked_at: r.revoked_at.map(utc),
        }
    }
}

/// Creates a connector key; returns it with the secret, which is shown only now (only its
/// SHA-256 is stored).
pub fn create_api_key(conn: &mut DbConnection, name: &str) -> Result<(ApiKey, String)> {
    let name = required_text(name, KEY_NAME_MAX).map_err(|e| Error::validation("name", e))?;
    let name = name.as_str();
    let secret = format!("{API_KEY_PREFIX}{}", tokens::new_opaque_token());
    let key = write_transaction(conn, |conn| {
        let now = db::utc_now();
        repo::insert_api_key(conn, name, &tokens::hash_opaque_token(&secret), now).map_err(
            |e| {
                if is_unique_violation(&e) {
                    Error::problem(
                        ProblemKind::Conflict,
                        format!("a connector key named {name:?} already exists"),
                    )
                } else {
                    e.into()
                }
            },
        )?;
        Ok::<_, Error>(ApiKey {
            name: name.to_string(),
            created_at: utc(now),
            last_used_at: None,
            revoked_at: None,
        })
    })?;
    Ok((key, secret))
}

pub fn revoke_api_key(conn: &mut DbConnection, name: &str) -> Result<()> {
    if repo::revoke_api_key(conn, name, db::utc_now())? == 0 {
        return Err(Error::not_found(&format!("active connector key {name:?}")));
    }
    Ok(())
}

pub fn list_api_keys(conn: &mut DbConnection) -> Result<Vec<ApiKey>> {
    Ok(repo::list_api_keys(conn)?
        .into_iter()
        .map(ApiKey::from)
        .collect())
}

/// The connector a key belongs to (401 for an unknown or revoked key); records its use.
pub fn connector_for_key(conn: &mut DbConnection, key: &str) -> Result<Puller> {
    let hash = tokens::hash_opaque_token(key.trim());
    let row = repo::find_active_api_key(conn, &hash)?.ok_or_else(|| {
        Error::problem(
            ProblemKind::InvalidToken,
            "the API key is unknown or revoked",
        )
    })?;
    repo::touch_api_key(conn, row.id, db::utc_now())?;
    Ok(Puller::Connector(row.name))
}
