//! Storage: one binary for SQLite and PostgreSQL through diesel's `MultiConnection`.

pub mod address_registry;
pub mod addresses;
pub mod admin_imports;
pub mod app_api;
pub mod app_settings;
pub mod column_types;
pub mod erase;
pub mod jobs;
pub mod login_failures;
pub mod oidc;
pub mod org;
pub mod org_generation;
pub mod outbox;
pub mod payroll;
pub mod queries;
pub mod refresh_tokens;
pub mod reports;
pub mod retention;
pub mod schema;
pub mod trips;
pub mod users;
pub mod web_sessions;

use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;
use crate::error::{Error, Result};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Establishes connections for the backend named by the URL scheme, so that connection errors
/// surface as they are (the derived `MultiConnection::establish` hides them).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

/// SQLite waits this long for a competing writer before giving up with "database is locked".
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        ConnectionManager { url }
    }

    pub fn establish(&self) -> ConnectionResult<DbConnection> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                PgConnection::establish(url).map(DbConnection::Postgresql)
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                     PRAGMA synchronous = NORMAL;"
                ))
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> std::result::Result<DbConnection, r2d2::Error> {
        self.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> std::result::Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// As diesel's own manager: a connection given back while its thread panics, or still inside
    /// a transaction (a panic or a failed rollback left it open) or with its transaction manager
    /// in an error state, is dropped instead of reused, so the next request starts clean.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledDb = PooledConnection<ConnectionManager>;

/// The pool plus what we know about where it points.
/// WAL lets readers run beside the one writer; it is persistent, so it is set once at start-up.
/// The switch needs the file to itself and SQLite does not wait for that (no busy handler), so
/// when another instance is starting on the same fresh file the switch is tried again for as
/// long as the busy timeout.
fn switch_to_wal(conn: &mut SqliteConnection) -> QueryResult<()> {
    let deadline = std::time::Instant::now() + Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS.into());
    loop {
        match conn.batch_execute("PRAGMA journal_mode = WAL;") {
            Err(e) if is_database_locked(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    url: DatabaseUrl,
}

impl Database {
    /// Connects (creating the SQLite file if needed) and runs pending migrations. Blocking.
    pub fn connect(url: &DatabaseUrl) -> anyhow::Result<Database> {
        let manager = ConnectionManager::new(url.clone());
        // Fail with the real connection error before building the pool.
        let mut first = manager
            .establish()
            .with_context(|| format!("cannot open {} database {}", url.kind(), url.redacted()))?;
        if let DbConnection::Sqlite(conn) = &mut first {
            switch_to_wal(conn).context("cannot switch SQLite to WAL mode")?;
        }
        drop(first);
        let max_size = match url {
            DatabaseUrl::Sqlite(_) => 8,
            DatabaseUrl::Postgres(_) => 16,
        };
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            .build(manager)
            .with_context(|| format!("cannot open {} database {}", url.kind(), url.redacted()))?;
        Ok(Database {
            pool,
            url: url.clone(),
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn get(&self) -> Result<PooledDb> {
        Ok(self.pool.get()?)
    }

    /// Runs pending migrations; returns (applied now, total known). Safe while other instances
    /// start on the same database: on PostgreSQL under the start-up lock, on SQLite inside one
    /// `BEGIN IMMEDIATE` transaction (diesel's per-migration transactions become savepoints).
    pub fn migrate(&self) -> anyhow::Result<(usize, usize)> {
        self.with_startup_lock(|conn| {
            let result = match conn {
                DbConnection::Sqlite(_) => write_transaction(conn, |conn| {
                    let DbConnection::Sqlite(c) = conn else {
                        unreachable!("the connection variant cannot change")
                    };
                    run_migrations(c, SQLITE_MIGRATIONS).map_err(MigrationFailure)
                }),
                DbConnection::Postgresql(c) => {
                    run_migrations(c, POSTGRES_MIGRATIONS).map_err(MigrationFailure)
                }
            };
            result.map_err(|e| anyhow::anyhow!("migration failed: {}", e.0))
        })
    }

    /// Runs `work` on one connection while this instance holds the start-up lock, so that
    /// instances starting at once on one database migrate and bootstrap one after the other.
    /// On PostgreSQL that is a session-level advisory lock (released when `work` ends, or by the
    /// server if the process dies). SQLite needs none: every start-up write is a
    /// `BEGIN IMMEDIATE` transaction, which already takes the file's one write lock.
    pub fn with_startup_lock<T>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut conn = self
            .pool
            .get()
            .context("no database connection for start-up")?;
        if let DbConnection::Sqlite(_) = &*conn {
            return work(&mut conn);
        }
        conn.batch_execute(&format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})"))
            .context("cannot take the start-up lock")?;
        let outcome = work(&mut conn);
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({STARTUP_LOCK_KEY})"))
            .context("cannot release the start-up lock")?;
        outcome
    }

    /// Runs blocking diesel work off the async executor, inside the caller's tracing span.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("database task panicked")))?
    }

    /// Liveness of the database itself: a round trip within `timeout`, and for SQLite the file
    /// still being where we opened it.
    pub fn ping(&self, timeout: Duration) -> anyhow::Result<()> {
        if let DatabaseUrl::Sqlite(path) = &self.url {
            std::fs::metadata(path)
                .with_context(|| format!("SQLite file {} is gone", path.display()))?;
        }
        let mut conn = self.pool.get_timeout(timeout)?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }
}

/// The advisory lock key of start-up on PostgreSQL: "korsel" in ASCII, so that it is unlikely
/// to meet another application's key on a shared server.
const STARTUP_LOCK_KEY: i64 = 0x6b6f_7273_656c;

/// A migration error carried through [`write_transaction`], which wants `From<diesel::Error>`.
struct MigrationFailure(Box<dyn std::error::Error + Send + Sync>);

impl From<diesel::result::Error> for MigrationFailure {
    fn from(e: diesel::result::Error) -> Self {
        MigrationFailure(Box::new(e))
    }
}

fn run_migrations<C>(
    conn: &mut C,
    migrations: EmbeddedMigrations,
) -> diesel::migration::Result<(usize, usize)>
where
    C: MigrationHarness<C::Backend> + diesel::Connection,
{
    let applied = conn.run_pending_migrations(migrations)?.len();
    let total = conn.applied_migrations()?.len();
    Ok((applied, total))
}

/// A transaction for work that writes. On SQLite it starts with `BEGIN IMMEDIATE`, taking the
/// write lock up front: a deferred transaction that reads and then writes can fail with
/// SQLITE_BUSY without waiting, where an immediate one waits its turn (busy_timeout).
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> std::result::Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
    E: From<diesel::result::Error>,
{
    if let DbConnection::Sqlite(inner) = conn {
        AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
        let outcome = work(conn);
        let DbConnection::Sqlite(inner) = conn else {
            unreachable!("the connection variant cannot change")
        };
        return match outcome {
            Ok(value) => match AnsiTransactionManager::commit_transaction(inner) {
                Ok(()) => Ok(value),
                Err(commit_error) => {
                    let _ = AnsiTransactionManager::rollback_transaction(inner);
                    Err(commit_error.into())
                }
            },
            Err(error) => {
                AnsiTransactionManager::rollback_transaction(inner)?;
                Err(error)
            }
        };
    }
    conn.transaction(work)
}

/// A read-only transaction that sees one state of the database throughout: REPEATABLE READ on
/// PostgreSQL; on SQLite (WAL) a read transaction keeps the snapshot of its first read anyway.
pub fn consistent_read<T, E, F>(conn: &mut DbConnection, work: F) -> std::result::Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        if let DbConnection::Postgresql(_) = conn {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        work(conn)
    })
}

/// Now, in UTC, truncated to microseconds so that it round-trips equal on both backends
/// (PostgreSQL keeps microseconds, SQLite would keep nanoseconds).
pub fn utc_now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// True when a diesel error is a unique-constraint violation.
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// True when a diesel error is SQLite's "database is locked": another connection held the file
/// for longer than this one would wait.
pub fn is_database_locked(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(_, info) if info.message().contains("database is locked")
    )
}

/// True when a diesel error is a foreign-key violation (a row still referenced elsewhere).
pub fn is_foreign_key_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Instances starting together on one fresh SQLite file all get it in WAL mode (the switch
    /// is refused with "database is locked" while another connection holds the file).
    #[test]
    fn instances_starting_together_on_a_new_sqlite_file_all_connect() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let url = DatabaseUrl::Sqlite(dir.path().join("korsel.db"));
            let starts: Vec<_> = (0..4)
                .map(|_| {
                    let url = url.clone();
                    std::thread::spawn(move || {
                        let db = Database::connect(&url)?;
                        let mut conn = db.get().map_err(anyhow::Error::from)?;
                        conn.batch_execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")?;
                        anyhow::Ok(())
                    })
                })
                .collect();
            for start in starts {
                start.join().unwrap().unwrap();
            }
        }
    }
}
