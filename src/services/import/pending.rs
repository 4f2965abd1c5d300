//! Uploaded org-units and staff files waiting for their preview to be applied or cancelled.
//! They are kept in the database (`import_previews`), not in one process, so any instance can
//! show and apply them. A file is the uploader's alone, lives [`PENDING_FOR`], and is used once:
//! applying deletes it in the import's own transaction, so a failed import keeps it and a
//! second apply finds nothing.
//!
//! Applying imports what the file says, as the CLI and the API would at that moment: when the
//! stored data changed since the preview was shown, the result differs from the preview by
//! exactly those changes (the import is an idempotent upsert of the file's records).

use chrono::{Duration, NaiveDateTime};
use uuid::Uuid;

use crate::db::admin_imports::{self as repo, PreviewRow};
use crate::db::{write_transaction, DbConnection};
use crate::domain::ids::UserId;
use crate::error::{Error, Result};
use crate::services::staff_extras::AddressSource;

use super::{import_file, preview, FileImport, FileKind};

/// How long an uploaded file waits for its preview to be applied.
pub const PENDING_FOR: Duration = Duration::hours(2);

/// A file waiting for its preview to be applied.
pub struct Pending {
    pub id: String,
    pub kind: FileKind,
    pub file_name: String,
    pub data: Vec<u8>,
    pub expires_at: NaiveDateTime,
}

fn pending_of(row: PreviewRow) -> Result<Pending> {
    let kind = FileKind::from_slug(&row.kind)
        .ok_or_else(|| anyhow::anyhow!("import preview of unknown kind {:?}", row.kind))?;
    Ok(Pending {
        id: row.id,
        kind,
        file_name: row.file_name,
        data: row.data,
        expires_at: row.expires_at,
    })
}

fn gone() -> Error {
    Error::not_found("import preview")
}

/// Keeps an uploaded file for `user_id`'s preview; returns its id. Expired files go.
pub fn store(
    conn: &mut DbConnection,
    user_id: UserId,
    kind: FileKind,
    file_name: &str,
    data: Vec<u8>,
    now: NaiveDateTime,
) -> Result<String> {
    let id = Uuid::new_v4().to_string();
    let name: String = file_name.chars().take(200).collect();
    write_transaction(conn, |conn| {
        repo::delete_expired_previews(conn, now)?;
        repo::insert_preview(
            conn,
            &PreviewRow {
                id: id.clone(),
                kind: kind.slug().to_string(),
                file_name: name,
                data,
                created_by: user_id,
                created_at: now,
                expires_at: now + PENDING_FOR,
            },
        )?;
        Ok(id.clone())
    })
}

/// `user_id`'s waiting file `id`; not found when unknown, expired, used or someone else's.
pub fn find(
    conn: &mut DbConnection,
    id: &str,
    user_id: UserId,
    now: NaiveDateTime,
) -> Result<Pending> {
    pending_of(repo::find_preview(conn, id, user_id, now)?.ok_or_else(gone)?)
}

/// The waiting file and what importing it would change (nothing is stored).
pub fn show(
    conn: &mut DbConnection,
    id: &str,
    user_id: UserId,
    addresses: AddressSource,
    now: NaiveDateTime,
) -> Result<(Pending, Result<FileImport>)> {
    let pending = find(conn, id, user_id, now)?;
    let previewed = preview(conn, pending.kind, &pending.data, addresses);
    Ok((pending, previewed))
}

/// Imports the waiting file in one transaction with its removal: all or nothing.
pub fn apply(
    conn: &mut DbConnection,
    id: &str,
    user_id: UserId,
    addresses: AddressSource,
    now: NaiveDateTime,
) -> Result<(Pending, FileImport)> {
    write_transaction(conn, |conn| {
        let pending = find(conn, id, user_id, now)?;
        if repo::delete_preview(conn, id, user_id)? != 1 {
            return Err(gone());
        }
        let done = import_file(conn, pending.kind, &pending.data, addresses, &mut |_, _| {})?;
        Ok((pending, done))
    })
}

/// Drops the waiting file.
pub fn cancel(conn: &mut DbConnection, id: &str, user_id: UserId) -> Result<()> {
    if repo::delete_preview(conn, id, user_id)? == 0 {
        return Err(gone());
    }
    Ok(())
}
