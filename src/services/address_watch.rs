//! Keeps every instance's address index at the registry's generation. An import through any
//! instance or the CLI bumps the generation in the database; each instance notices it
//! (PostgreSQL: LISTEN/NOTIFY, looked at several times a second; polling as the fallback and
//! on SQLite), builds the new index in the background while answering from the old one, and
//! swaps it in whole.

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tokio::sync::mpsc;

use crate::config::DatabaseUrl;
use crate::db::address_registry::{self as registry_repo, CHANGED_CHANNEL};
use crate::db::Database;
use crate::services::addresses::{self as address_service, Registry};

/// How often the generation is read from the database, with or without notifications.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// How often the listening connection is looked at for notifications that arrived.
const LISTEN_CHECK_EVERY: Duration = Duration::from_millis(200);
/// Wait before connecting the listener again after losing it.
const RECONNECT_AFTER: Duration = Duration::from_secs(2);

/// Starts following the registry's generation for `registry` (on the current Tokio runtime;
/// it stops with it).
pub fn start(db: Database, registry: Arc<Registry>) {
    let (changed_tx, changed_rx) = mpsc::channel(1);
    let listening = match db.url() {
        DatabaseUrl::Postgres(url) => {
            let url = url.clone();
            std::thread::Builder::new()
                .name("address-registry-listener".into())
                .spawn(move || listen(&url, &changed_tx))
                .map_err(|e| tracing::warn!(error = %e, "cannot start the address registry listener; polling only"))
                .is_ok()
        }
        DatabaseUrl::Sqlite(_) => false,
    };
    tokio::spawn(follow(db, registry, listening.then_some(changed_rx)));
}

async fn follow(db: Database, registry: Arc<Registry>, mut changed: Option<mpsc::Receiver<()>>) {
    let mut failing = false;
    loop {
        let notified = async {
            match changed.as_mut() {
                Some(rx) => rx.recv().await.is_some(),
                None => std::future::pending().await,
            }
        };
        let listener_open = tokio::select! {
            open = notified => open,
            () = tokio::time::sleep(POLL_EVERY) => true,
        };
        if !listener_open {
            changed = None;
        }
        match catch_up(&db, &registry).await {
            Ok(()) => failing = false,
            Err(e) if !failing => {
                failing = true;
                tracing::error!(error = %e, "cannot follow the address registry; retrying");
            }
            Err(_) => {}
        }
    }
}

/// Builds and swaps in the stored generation's index when it is newer than the one held.
async fn catch_up(db: &Database, registry: &Arc<Registry>) -> crate::error::Result<()> {
    // An import through this instance installs the index it builds itself.
    let Ok(_no_import_meanwhile) = registry.import_lock.try_lock() else {
        return Ok(());
    };
    let stored = db.run(|conn| Ok(registry_repo::generation(conn)?)).await?;
    if stored <= registry.generation() {
        return Ok(());
    }
    let loaded = db.run(address_service::load_index).await?;
    let generation = loaded.generation;
    if registry.install(loaded) {
        tracing::info!(
            generation,
            "address index swapped to the registry's new generation"
        );
    }
    Ok(())
}

/// Listens for the import notifications on a connection of its own and passes them on, until
/// the follower is gone.
fn listen(url: &str, changed: &mpsc::Sender<()>) {
    while !changed.is_closed() {
        let mut conn = match PgConnection::establish(url) {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "cannot connect the address registry listener; polling meanwhile");
                std::thread::sleep(RECONNECT_AFTER);
                continue;
            }
        };
        if let Err(e) = conn.batch_execute(&format!("LISTEN {CHANGED_CHANNEL}")) {
            tracing::warn!(error = %e, "cannot listen for address registry changes; polling meanwhile");
            std::thread::sleep(RECONNECT_AFTER);
            continue;
        }
        while !changed.is_closed() {
            std::thread::sleep(LISTEN_CHECK_EVERY);
            let mut arrived = false;
            let mut lost = false;
            for notification in conn.notifications_iter() {
                match notification {
                    Ok(_) => arrived = true,
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the address registry listener; reconnecting");
                        lost = true;
                        break;
                    }
                }
            }
            if arrived {
                // A full channel already holds a wake-up: nothing is lost.
                let _ = changed.try_send(());
            }
            if lost {
                std::thread::sleep(RECONNECT_AFTER);
                break;
            }
        }
    }
}
