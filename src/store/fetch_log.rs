//! The fetch log: one row per fetch attempt, the operator's history of what
//! each feed answered and what it cost.

use super::articles::UpsertCounts;
use super::poll::PollRecord;
use super::{Store, StoreError, ts};
use crate::model::FeedId;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, params};
use serde::Serialize;
use std::path::Path;

/// One fetch attempt as logged.
#[derive(Debug, Clone, Serialize)]
pub struct FetchLogEntry {
    pub id: i64,
    pub feed_id: i64,
    pub started_at: String,
    pub url: String,
    pub status: Option<u16>,
    pub outcome: String,
    pub bytes: u64,
    pub items_seen: u64,
    pub items_new: u64,
    pub items_updated: u64,
    pub duration_ms: u64,
    pub error: Option<String>,
}

pub(super) fn insert(
    tx: &Connection,
    poll: &PollRecord,
    counts: UpsertCounts,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO fetch_log (feed_id, started_at, url, status, outcome, bytes, items_seen,
            items_new, items_updated, duration_ms, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        poll.feed_id.0,
        ts(poll.started_at),
        poll.url,
        poll.status,
        poll.outcome,
        poll.bytes as i64,
        counts.seen as i64,
        counts.new as i64,
        counts.updated as i64,
        poll.duration_ms as i64,
        poll.error
    ])?;
    Ok(())
}

impl Store {
    /// The newest `limit` fetch-log rows, optionally for one feed.
    pub async fn fetch_log(
        &self,
        feed: Option<FeedId>,
        limit: usize,
    ) -> Result<Vec<FetchLogEntry>, StoreError> {
        self.fetch_log_filtered(LogFilter {
            feed,
            limit,
            ..LogFilter::default()
        })
        .await
    }
}

/// Which fetch-log rows `log` shows.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub feed: Option<FeedId>,
    /// Only fetches started at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only fetches that recorded an error.
    pub errors_only: bool,
    pub limit: usize,
}

/// One `SELECT` of the log's columns with the filters of [`LogFilter`],
/// rows with `?1 < id <= ?2`; `$feed` is the feed condition (on `?3`) and
/// `$order` the tail. A macro so each variant stays one constant string:
/// with a feed, `feed_id = ?3` lets SQLite walk the `(feed_id, id)` index.
macro_rules! select_log {
    ($feed:literal, $order:literal) => {
        concat!(
            "SELECT id, feed_id, started_at, url, status, outcome, bytes, items_seen, items_new,
                items_updated, duration_ms, error
             FROM fetch_log
             WHERE id > ?1 AND id <= ?2 AND ",
            $feed,
            " AND (?4 IS NULL OR started_at >= ?4) AND (?5 = 0 OR error IS NOT NULL) ",
            $order
        )
    };
}

/// Matching rows with `after < id <= upto`: the newest `filter.limit`
/// first, or with `oldest_first` all of them in the order they were logged.
fn select(
    c: &Connection,
    filter: &LogFilter,
    after: i64,
    upto: i64,
    oldest_first: bool,
) -> rusqlite::Result<Vec<FetchLogEntry>> {
    let sql = match (filter.feed.is_some(), oldest_first) {
        (true, false) => select_log!("feed_id = ?3", "ORDER BY id DESC LIMIT ?6"),
        (false, false) => select_log!("?3 IS NULL", "ORDER BY id DESC LIMIT ?6"),
        (true, true) => select_log!("feed_id = ?3", "ORDER BY id LIMIT ?6"),
        (false, true) => select_log!("?3 IS NULL", "ORDER BY id LIMIT ?6"),
    };
    let limit = if oldest_first {
        -1
    } else {
        filter.limit.min(i64::MAX as usize) as i64
    };
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map(
        params![
            after,
            upto,
            filter.feed.map(|f| f.0),
            filter.since.map(ts),
            filter.errors_only,
            limit
        ],
        entry_from_row,
    )?;
    rows.collect()
}

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FetchLogEntry> {
    Ok(FetchLogEntry {
        id: r.get(0)?,
        feed_id: r.get(1)?,
        started_at: r.get(2)?,
        url: r.get(3)?,
        status: r.get::<_, Option<i64>>(4)?.map(|v| v as u16),
        outcome: r.get(5)?,
        bytes: r.get::<_, i64>(6)?.max(0) as u64,
        items_seen: r.get::<_, i64>(7)?.max(0) as u64,
        items_new: r.get::<_, i64>(8)?.max(0) as u64,
        items_updated: r.get::<_, i64>(9)?.max(0) as u64,
        duration_ms: r.get::<_, i64>(10)?.max(0) as u64,
        error: r.get(11)?,
    })
}

/// The id of the newest row, 0 when the log is empty.
fn newest_id(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row("SELECT COALESCE(MAX(id), 0) FROM fetch_log", [], |r| {
        r.get(0)
    })
}

impl Store {
    /// The newest `filter.limit` matching fetch-log rows, newest first.
    pub async fn fetch_log_filtered(
        &self,
        filter: LogFilter,
    ) -> Result<Vec<FetchLogEntry>, StoreError> {
        self.call(move |c| Ok(select(c, &filter, 0, i64::MAX, false)?))
            .await
    }
}

/// Reads rows as another process logs them, on a read-only connection of
/// its own: it never queues behind the writer thread or takes a write lock
/// from the daemon, and each read is a short transaction, so the daemon's
/// WAL checkpoints are not held back between reads.
pub struct LogFollower {
    conn: Connection,
    filter: LogFilter,
    /// Every row up to this id has been read (matching or not), so a
    /// filter that matches rarely does not rescan the rows it skipped.
    seen: i64,
}

impl LogFollower {
    /// Opens the database at `path` read-only and reads the newest
    /// `filter.limit` matching rows, returned oldest first; rows logged
    /// after them come from [`LogFollower::next_rows`].
    pub fn open(
        path: &Path,
        filter: LogFilter,
    ) -> Result<(LogFollower, Vec<FetchLogEntry>), StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        let mut follower = LogFollower {
            conn,
            filter,
            seen: 0,
        };
        let mut first = follower.read(|c, filter, _| {
            let upto = newest_id(c)?;
            Ok((select(c, filter, 0, upto, false)?, upto))
        })?;
        first.reverse();
        Ok((follower, first))
    }

    /// Matching rows logged since the last call, oldest first.
    pub fn next_rows(&mut self) -> Result<Vec<FetchLogEntry>, StoreError> {
        self.read(|c, filter, seen| {
            let upto = newest_id(c)?;
            Ok((select(c, filter, seen, upto, true)?, upto))
        })
    }

    /// Runs `f` in one read transaction (so the newest id and the rows come
    /// from the same snapshot) and records the id it read up to.
    fn read(
        &mut self,
        f: impl FnOnce(&Connection, &LogFilter, i64) -> rusqlite::Result<(Vec<FetchLogEntry>, i64)>,
    ) -> Result<Vec<FetchLogEntry>, StoreError> {
        let tx = self.conn.transaction()?;
        let (rows, upto) = f(&tx, &self.filter, self.seen)?;
        tx.commit()?;
        // The current end even when it is below the last one: a removed
        // feed takes its rows along, and SQLite hands the ids of the newest
        // deleted rows out again.
        self.seen = upto;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewFeed, PollRecord};
    use chrono::TimeZone;

    fn poll(feed: FeedId, at: DateTime<Utc>, error: Option<&str>) -> PollRecord {
        PollRecord {
            status: Some(if error.is_some() { 500 } else { 304 }),
            outcome: if error.is_some() {
                "http_error"
            } else {
                "not_modified"
            }
            .to_string(),
            error: error.map(str::to_string),
            ..PollRecord::started(feed, "https://example.com/rss".to_string(), at)
        }
    }

    #[tokio::test]
    async fn follower_reads_what_the_writer_commits_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = Store::open(&path).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let feed = NewFeed {
            url: "https://example.com/rss".to_string(),
            name: None,
            interval: None,
            origin: "cli",
        };
        let feed = store.add_feed(feed, t0).await.unwrap().0.id;
        for i in 0..4 {
            let error = (i % 2 == 1).then_some("http status 500");
            let at = t0 + chrono::Duration::minutes(i);
            store.record_poll(poll(feed, at, error)).await.unwrap();
        }
        let filter = LogFilter {
            errors_only: true,
            limit: 1,
            ..LogFilter::default()
        };
        let (mut follower, first) = LogFollower::open(&path, filter).unwrap();
        assert_eq!(first.iter().map(|e| e.id).collect::<Vec<_>>(), [4]);
        assert!(follower.next_rows().unwrap().is_empty());

        for i in 4..7 {
            let error = (i != 5).then_some("http status 500");
            let at = t0 + chrono::Duration::minutes(i);
            store.record_poll(poll(feed, at, error)).await.unwrap();
        }
        let next = follower.next_rows().unwrap();
        assert_eq!(next.iter().map(|e| e.id).collect::<Vec<_>>(), [5, 7]);
        assert_eq!(follower.seen, 7, "past the row the filter skipped");
        assert!(follower.next_rows().unwrap().is_empty());

        let since = store
            .fetch_log_filtered(LogFilter {
                since: Some(t0 + chrono::Duration::minutes(5)),
                limit: 10,
                ..LogFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(since.iter().map(|e| e.id).collect::<Vec<_>>(), [7, 6]);
    }
}
