//! Address registry imports started from the administration pages. The upload is streamed to
//! a temporary file, then imported in the background on the instance that received it (one
//! import at a time, as through the API), and the index swapped in when done. The run's row
//! (`address_import_runs`) tells every instance its state and result; the bytes read so far
//! are known only to the instance running it (a SQLite import holds the write lock for its
//! whole transaction, so progress cannot be written beside it).
//!
//! An instance stopped mid-run leaves its row `running`; its transaction was rolled back, so
//! nothing of the file was stored.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek};
use std::sync::{Arc, LazyLock, Mutex};

use chrono::NaiveDateTime;
use uuid::Uuid;

use crate::db::admin_imports::{self as repo, AddressRunRow};
use crate::db::{self, Database, DbConnection};
use crate::domain::ids::UserId;
use crate::error::{Error, Result};

use super::Registry;
use super::{import, load_index, CountingReader, ImportFormat, ImportOptions, ImportSummary};

/// Bytes read so far by the runs of this process, by run id.
static READ: LazyLock<Mutex<HashMap<String, u64>>> = LazyLock::new(Default::default);

fn set_read(id: &str, bytes: Option<u64>) {
    let mut read = READ.lock().unwrap_or_else(|p| p.into_inner());
    match bytes {
        Some(n) => read.insert(id.to_string(), n),
        None => read.remove(id),
    };
}

fn bytes_read(id: &str) -> Option<u64> {
    READ.lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(id)
        .copied()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    Done,
    Failed,
}

impl RunState {
    fn name(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
        }
    }

    fn of(name: &str) -> RunState {
        match name {
            "done" => RunState::Done,
            "failed" => RunState::Failed,
            _ => RunState::Running,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AddressRun {
    pub id: String,
    pub created_by: UserId,
    pub file_name: String,
    pub file_bytes: u64,
    pub state: RunState,
    /// Known on the instance running it, while it runs.
    pub bytes_read: Option<u64>,
    pub summary: Option<ImportSummary>,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

fn run_of(row: AddressRunRow) -> AddressRun {
    let state = RunState::of(&row.state);
    AddressRun {
        bytes_read: (state == RunState::Running)
            .then(|| bytes_read(&row.id))
            .flatten(),
        summary: row
            .summary
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok()),
        id: row.id,
        created_by: row.created_by,
        file_name: row.file_name,
        file_bytes: u64::try_from(row.file_bytes).unwrap_or_default(),
        state,
        error: row.error,
        created_at: row.created_at,
        finished_at: row.finished_at,
    }
}

/// Imports a stream into the registry (one transaction), then rebuilds the index and swaps it
/// in (not after a dry run).
pub fn import_and_install<R: Read>(
    conn: &mut DbConnection,
    registry: &Registry,
    input: R,
    format: ImportFormat,
    options: &ImportOptions,
) -> Result<ImportSummary> {
    let mut summary = import(conn, input, format, options)?;
    if summary.dry_run {
        return Ok(summary);
    }
    let loaded = load_index(conn)?;
    summary.index_size = loaded.index.len() as u64;
    registry.install(loaded);
    Ok(summary)
}

/// Records a new run of `file_name` for `user_id`; returns its id.
pub fn start(
    conn: &mut DbConnection,
    user_id: UserId,
    file_name: &str,
    file_bytes: u64,
) -> Result<String> {
    let id = Uuid::new_v4().to_string();
    repo::insert_address_run(
        conn,
        &AddressRunRow {
            id: id.clone(),
            created_by: user_id,
            file_name: file_name.chars().take(200).collect(),
            file_bytes: i64::try_from(file_bytes).unwrap_or(i64::MAX),
            state: RunState::Running.name().to_string(),
            summary: None,
            error: None,
            created_at: db::utc_now(),
            finished_at: None,
        },
    )?;
    Ok(id)
}

/// Runs the import of `file` for run `id` and records how it went. Await it in a spawned task.
pub async fn run(
    db: Database,
    registry: Arc<Registry>,
    id: String,
    mut file: File,
    format: ImportFormat,
) {
    let lock_holder = registry.clone();
    let _one_at_a_time = lock_holder.import_lock.lock().await;
    set_read(&id, Some(0));
    let progress_id = id.clone();
    let outcome = db
        .run(move |conn| {
            file.rewind()
                .map_err(|e| anyhow::anyhow!("cannot rewind the import file: {e}"))?;
            let input = CountingReader::new(file, |n| set_read(&progress_id, Some(n)));
            import_and_install(conn, &registry, input, format, &ImportOptions::default())
        })
        .await;
    let (state, summary, error) = match outcome {
        Ok(summary) => (RunState::Done, serde_json::to_string(&summary).ok(), None),
        Err(Error::Problem(p)) => (RunState::Failed, None, Some(p.detail)),
        Err(Error::Internal(e)) => {
            tracing::error!(error = format!("{e:#}"), run = %id, "address import failed");
            (RunState::Failed, None, Some("internal error".to_string()))
        }
    };
    let finish_id = id.clone();
    let recorded = db
        .run(move |conn| {
            repo::finish_address_run(
                conn,
                &finish_id,
                state.name(),
                summary.as_deref(),
                error.as_deref(),
                db::utc_now(),
            )?;
            Ok(())
        })
        .await;
    if let Err(e) = recorded {
        tracing::error!(error = %e, run = %id, "cannot record the end of an address import");
    }
    set_read(&id, None);
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<AddressRun> {
    repo::find_address_run(conn, id)?
        .map(run_of)
        .ok_or_else(|| Error::not_found("address import"))
}

/// The latest runs, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> Result<Vec<AddressRun>> {
    Ok(repo::recent_address_runs(conn, limit)?
        .into_iter()
        .map(run_of)
        .collect())
}
