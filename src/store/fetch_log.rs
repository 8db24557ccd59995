//! The fetch log: one row per fetch attempt, the operator's history of what
//! each feed answered and what it cost.

use super::articles::UpsertCounts;
use super::poll::PollRecord;
use super::{Store, StoreError, ts};
use crate::model::FeedId;
use rusqlite::{Connection, params};
use serde::Serialize;

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
        self.call(move |c| {
            let mut st = c.prepare(
                "SELECT id, feed_id, started_at, url, status, outcome, bytes, items_seen, items_new,
                    items_updated, duration_ms, error
                 FROM fetch_log WHERE (?1 IS NULL OR feed_id = ?1) ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = st.query_map(params![feed.map(|f| f.0), limit as i64], |r| {
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
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
