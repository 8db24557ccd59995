//! The store: SQLite schema, migrations and the single writer thread.
//!
//! This is the only module that speaks SQL, so a second backend
//! (PostgreSQL for multi-instance deployments) replaces this module and
//! nothing else. One `rusqlite::Connection` lives on a dedicated OS thread;
//! [`Store`] is a cheap, cloneable async handle that sends closures to it
//! (the tokio-rusqlite design), so the runtime never blocks on disk and
//! SQLite sees exactly one writer.
//!
//! Each public method is atomic: its writes run inside one savepoint. When
//! several jobs are queued (many feeds finishing at once), the thread runs
//! them inside one enclosing transaction and commits once: every feed's
//! batch still succeeds or rolls back on its own, but the commit cost (WAL
//! frames for the shared index pages) is paid once per group instead of
//! once per feed. Callers get their answer only after that commit.

mod articles;
mod feeds;
mod fetch_log;
mod near;
mod poll;
mod retention;
mod schema;
mod search;
mod stats;
mod status;

pub use articles::UpsertCounts;
pub use articles::{ArticleFilter, ArticleInFeed, StoredArticle};
pub use feeds::{FeedRecord, NewFeed};
pub use fetch_log::{FetchLogEntry, LogFilter, LogFollower};
pub use near::{ClusterMember, ClusterSummary, NearCandidate, NearFeed, NearHandle, NearMatcher};
pub use poll::PollRecord;
pub use retention::{CleanupReport, FeedCleanup, RetentionPolicy};
pub use schema::SCHEMA_VERSION;
pub use search::{SearchHit, SearchIndex};
pub use stats::{FEED_STATES, StoreStats};
pub use status::{FeedCounts, StatusCounts};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Errors from the store. Callers only report them, except `NotFound` and
/// `BadQuery`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot open database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("{0}")]
    NotFound(String),
    /// A full-text query SQLite could not parse; a usage error.
    #[error(
        "bad search query {query:?}: {reason} (words with punctuation go in double quotes, e.g. \"covid-19\")"
    )]
    BadQuery { query: String, reason: String },
    /// `feedsieve search` on a database without the full-text index.
    #[error(
        "this database has no full-text index: set `enabled = true` under [search] in the \
         configuration; the next `feedsieve run` or `feedsieve poll` builds it over the stored articles"
    )]
    SearchOff,
    #[error("the database thread has stopped")]
    Closed,
    #[error("database commit failed: {0}")]
    Commit(String),
}

/// A unit of work for the database thread. It runs, then returns the
/// function that delivers its answer; the thread calls that after the
/// enclosing commit, passing the commit's error if there was one.
type Job = Box<dyn FnOnce(&mut Connection, &mut Writer) -> Reply + Send>;
type Reply = Box<dyn FnOnce(Option<&rusqlite::Error>) + Send>;

/// Most jobs grouped under one commit.
const MAX_GROUP: usize = 64;

/// What the database thread keeps besides its connection.
#[derive(Default)]
pub(crate) struct Writer {
    /// Near-duplicate index rows not written to `near_keys` yet.
    pub near: near::PendingKeys,
}

/// How the database file is opened (`[database]` besides its path).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// Bytes of the file read through memory mapping (`PRAGMA mmap_size`);
    /// 0: none.
    pub mmap_bytes: u64,
    /// What opening does with the full-text index (`search.enabled`).
    pub search: SearchIndex,
}

/// Async handle to the database thread. Clone it freely.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, sets WAL mode and
    /// applies migrations before returning.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, StoreOptions::default()).await
    }

    /// [`Store::open`] with options.
    pub async fn open_with(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("feedsieve-store".to_string())
            .spawn(move || {
                let opened = open_connection(&path, options).and_then(|c| {
                    let near = near::PendingKeys::load(&c).map_err(|source| StoreError::Open {
                        path: path.display().to_string(),
                        source,
                    })?;
                    Ok((c, Writer { near }))
                });
                let (mut conn, mut writer) = match opened {
                    Ok(opened) => {
                        let _ = ready_tx.send(Ok(()));
                        opened
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                // Runs until every `Store` handle is dropped; queued jobs
                // finish first, so no transaction is cut in half.
                while let Ok(first) = rx.recv() {
                    let mut group = vec![first];
                    group.extend(rx.try_iter().take(MAX_GROUP - 1));
                    run_group(&mut conn, &mut writer, group);
                    writer.near.flush_when_due(&mut conn);
                }
                writer.near.flush(&mut conn);
                let _ = conn.execute_batch("PRAGMA optimize;");
            })
            .map_err(|e| StoreError::Open {
                path: "store thread".to_string(),
                source: rusqlite::Error::InvalidParameterName(e.to_string()),
            })?;
        ready_rx.await.map_err(|_| StoreError::Closed)??;
        Ok(Store {
            jobs,
            thread: Arc::new(Mutex::new(Some(thread))),
        })
    }

    /// Runs `f` on the database thread and returns its result.
    async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.call_writer(move |conn, _| f(conn)).await
    }

    /// [`Store::call`] for the jobs that also use the thread's own state.
    async fn call_writer<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection, &mut Writer) -> Result<R, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn, writer| {
            let result = f(conn, writer);
            Box::new(move |commit_error: Option<&rusqlite::Error>| {
                let result = match (result, commit_error) {
                    (Ok(_), Some(e)) => Err(StoreError::Commit(e.to_string())),
                    (r, _) => r,
                };
                let _ = tx.send(result);
            })
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Waits for the database thread to finish its queue and close the file.
    /// Other clones of this handle must have been dropped for this to return.
    pub async fn close(self) {
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        drop(self.jobs);
        if let Some(handle) = thread {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }

    /// A trivial query: the database thread is alive and answering.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.call(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    /// `PRAGMA integrity_check`, returning "ok" on a sound database.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        self.call(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
            .await
    }
}

/// Runs queued jobs, grouped under one transaction when there are several.
fn run_group(conn: &mut Connection, writer: &mut Writer, group: Vec<Job>) {
    if group.len() == 1 {
        for job in group {
            job(conn, writer)(None);
        }
        return;
    }
    let began = conn.execute_batch("BEGIN IMMEDIATE");
    let replies: Vec<Reply> = group.into_iter().map(|job| job(conn, writer)).collect();
    let commit_error = match began {
        Ok(()) => conn.execute_batch("COMMIT").err(),
        // Without the enclosing transaction each job committed on its own.
        Err(_) => None,
    };
    if commit_error.is_some() {
        let _ = conn.execute_batch("ROLLBACK");
        // Rows of articles that were not stored after all are among the
        // pending ones; the database knows which fingerprints remain.
        writer.near.reload(conn);
    }
    for reply in replies {
        reply(commit_error.as_ref());
    }
}

fn open_connection(path: &Path, options: StoreOptions) -> Result<Connection, StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            source: rusqlite::Error::InvalidParameterName(e.to_string()),
        })?;
    }
    let mut conn = Connection::open(path).map_err(open_err)?;
    // `auto_vacuum` first: it only takes effect on a file nothing has been
    // written to yet (switching to WAL writes the header). A new database
    // then gives the pages retention frees back to the file system; an
    // older one keeps NONE (free pages are reused, the file does not
    // shrink) until `cleanup --vacuum` rewrites it (`store::retention`).
    conn.execute_batch(
        "PRAGMA auto_vacuum = INCREMENTAL;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )
    .map_err(open_err)?;
    // Plans must not depend on bound values. Without this, SQLite (built
    // with STAT4) marks a statement whose `LIMIT ?` or range it planned
    // with to be prepared again on every new binding, and a cached
    // statement was parsed afresh on each run: the near-duplicate lookup
    // spent most of its time in the parser.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(open_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(
        None,
        "mmap_size",
        options.mmap_bytes.min(i64::MAX as u64) as i64,
    )
    .map_err(open_err)?;
    schema::migrate(&mut conn).map_err(open_err)?;
    search::apply_index(&mut conn, options.search).map_err(open_err)?;
    Ok(conn)
}

/// The one text form of a timestamp in the database.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
