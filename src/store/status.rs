//! What `status` counts: articles per feed (all, and first seen since a
//! time), fetches and 304 answers per feed, and database-wide totals, read
//! in one transaction so the figures agree with each other.

use super::{Store, StoreError, ts};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::collections::HashMap;

/// Counts for one feed; a feed with no articles or fetches has none here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedCounts {
    pub articles: u64,
    /// Articles first seen at or after the `since` of [`Store::status_counts`].
    pub articles_since: u64,
    /// Rows of the fetch log.
    pub fetches: u64,
    /// Rows of the fetch log whose outcome is `not_modified` (a 304).
    pub not_modified: u64,
}

/// Counts over the whole database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub feeds: HashMap<i64, FeedCounts>,
    pub articles: u64,
    pub articles_since: u64,
    pub syndicated: u64,
    pub fetches: u64,
    pub not_modified: u64,
    /// Pages × page size: the main file as SQLite sees it, free pages
    /// included, the `-wal` file not.
    pub database_bytes: u64,
}

impl Store {
    /// Article and fetch counts per feed and in total; "new" means first
    /// seen at or after `since`.
    pub async fn status_counts(&self, since: DateTime<Utc>) -> Result<StatusCounts, StoreError> {
        self.call(move |c| {
            // One read snapshot, so a daemon committing meanwhile cannot
            // make the totals disagree with the rows.
            let tx = c.savepoint()?;
            let counts = read_counts(&tx, since)?;
            tx.commit()?;
            Ok(counts)
        })
        .await
    }
}

fn read_counts(c: &Connection, since: DateTime<Utc>) -> rusqlite::Result<StatusCounts> {
    let mut counts = StatusCounts::default();
    let as_u64 = |v: i64| v.max(0) as u64;
    // Answered from the (feed_id, item_key) index without reading a row.
    let mut st = c.prepare("SELECT feed_id, COUNT(*) FROM articles GROUP BY feed_id")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let n = as_u64(r.get(1)?);
        counts.feeds.entry(r.get(0)?).or_default().articles = n;
        counts.articles += n;
    }
    // `articles_first_seen` narrows this to the recent rows.
    let mut st = c.prepare(
        "SELECT feed_id, COUNT(*) FROM articles WHERE first_seen >= ?1 GROUP BY feed_id",
    )?;
    let mut rows = st.query([ts(since)])?;
    while let Some(r) = rows.next()? {
        let n = as_u64(r.get(1)?);
        counts.feeds.entry(r.get(0)?).or_default().articles_since = n;
        counts.articles_since += n;
    }
    let mut st = c.prepare(
        "SELECT feed_id, COUNT(*), SUM(outcome = 'not_modified') FROM fetch_log GROUP BY feed_id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (fetches, not_modified) = (as_u64(r.get(1)?), as_u64(r.get(2)?));
        let feed = counts.feeds.entry(r.get(0)?).or_default();
        feed.fetches = fetches;
        feed.not_modified = not_modified;
        counts.fetches += fetches;
        counts.not_modified += not_modified;
    }
    // A full scan, past each row's text to the flag at its end: no index
    // holds it. Seconds on millions of articles; fine for a command an
    // operator runs by hand.
    counts.syndicated = as_u64(c.query_row(
        "SELECT COUNT(*) FROM articles WHERE syndicated = 1",
        [],
        |r| r.get(0),
    )?);
    counts.database_bytes = super::stats::database_bytes(c)?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Article, FeedId};
    use crate::store::{NewFeed, PollRecord};
    use chrono::TimeZone;

    fn poll(feed: FeedId, at: DateTime<Utc>, outcome: &str, keys: &[&str]) -> PollRecord {
        PollRecord {
            status: Some(if outcome == "not_modified" { 304 } else { 200 }),
            outcome: outcome.to_string(),
            articles: keys
                .iter()
                .map(|k| Article {
                    item_key: k.to_string(),
                    content_hash: crate::model::hex(k.as_bytes()),
                    ..Article::default()
                })
                .collect(),
            ..PollRecord::started(feed, "https://example.com/rss".to_string(), at)
        }
    }

    #[tokio::test]
    async fn counts_per_feed_and_in_total() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut ids = Vec::new();
        for url in ["https://a.example/rss", "https://b.example/rss"] {
            let feed = NewFeed {
                url: url.to_string(),
                name: None,
                interval: None,
                origin: "cli",
            };
            ids.push(store.add_feed(feed, t0).await.unwrap().0.id);
        }
        let (a, b) = (ids[0], ids[1]);
        let day = chrono::Duration::days(1);
        store
            .record_poll(poll(a, t0, "fetched", &["1", "2"]))
            .await
            .unwrap();
        store
            .record_poll(poll(a, t0 + day, "fetched", &["1", "2", "3"]))
            .await
            .unwrap();
        store
            .record_poll(poll(a, t0 + day, "not_modified", &[]))
            .await
            .unwrap();
        store
            .record_poll(poll(a, t0 + day, "not_modified", &[]))
            .await
            .unwrap();
        store
            .record_poll(poll(b, t0, "http_error", &[]))
            .await
            .unwrap();

        let counts = store.status_counts(t0 + day).await.unwrap();
        let fa = counts.feeds[&a.0];
        assert_eq!(
            fa,
            FeedCounts {
                articles: 3,
                articles_since: 1,
                fetches: 4,
                not_modified: 2
            }
        );
        let fb = counts.feeds[&b.0];
        assert_eq!((fb.articles, fb.fetches, fb.not_modified), (0, 1, 0));
        assert_eq!(
            (
                counts.articles,
                counts.articles_since,
                counts.fetches,
                counts.not_modified
            ),
            (3, 1, 5, 2)
        );
        assert_eq!(counts.syndicated, 0);
        assert!(
            counts.database_bytes >= 4096 && counts.database_bytes % 4096 == 0,
            "{} bytes is not a whole number of pages",
            counts.database_bytes
        );
    }
}
