//! Numbers about the database as a whole, for the `/metrics` gauges: feeds
//! by state, how late the most overdue feed is, and the file's size. Read
//! at scrape time, so they are never staler than the scrape itself.

use super::{Store, StoreError, parse_ts, ts};
use chrono::{DateTime, Utc};

/// Every state a feed can be reported in. `disabled` stands for feeds
/// switched off with `feeds disable`, whatever their last state; the rest
/// are the `feeds.state` values of enabled feeds.
pub const FEED_STATES: [&str; 5] = ["ok", "failing", "dead", "gone", "disabled"];

/// A snapshot of the database for the gauges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStats {
    /// `(state, feeds)` for each of [`FEED_STATES`], zero included.
    pub feeds_by_state: Vec<(&'static str, u64)>,
    /// The `next_check_at` of the most overdue feed that can be polled,
    /// `None` when no feed is due.
    pub oldest_due: Option<DateTime<Utc>>,
    /// [`database_bytes`]: the main file's size, without its WAL.
    pub database_bytes: u64,
}

impl Store {
    /// Reads the [`StoreStats`] as of `now`.
    pub async fn stats(&self, now: DateTime<Utc>) -> Result<StoreStats, StoreError> {
        self.call(move |c| {
            let mut st = c.prepare_cached(
                "SELECT CASE WHEN enabled = 1 THEN state ELSE 'disabled' END AS s, COUNT(*)
                 FROM feeds GROUP BY s",
            )?;
            let counted = st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let feeds_by_state = FEED_STATES
                .iter()
                .map(|&state| {
                    let n = counted.iter().find(|(s, _)| s == state).map_or(0, |c| c.1);
                    (state, n.max(0) as u64)
                })
                .collect();
            // The same condition as `due_feeds`, so the lag is that of a
            // feed the run loop would pick.
            let oldest: Option<String> = c.query_row(
                "SELECT MIN(next_check_at) FROM feeds
                 WHERE enabled = 1 AND state <> 'gone' AND next_check_at <= ?1",
                [ts(now)],
                |r| r.get(0),
            )?;
            Ok(StoreStats {
                feeds_by_state,
                oldest_due: oldest.as_deref().and_then(parse_ts),
                database_bytes: database_bytes(c)?,
            })
        })
        .await
    }
}

/// The database file's size: every page, free ones included (what the
/// file takes on disk), without the WAL file beside it.
pub(super) fn database_bytes(c: &rusqlite::Connection) -> rusqlite::Result<u64> {
    let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let page_size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok((pages.max(0) as u64).saturating_mul(page_size.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewFeed;
    use chrono::TimeZone;

    #[tokio::test]
    async fn counts_states_and_the_oldest_due_feed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let empty = store.stats(t0).await.unwrap();
        assert!(empty.feeds_by_state.iter().all(|(_, n)| *n == 0));
        assert_eq!(empty.feeds_by_state.len(), FEED_STATES.len());
        assert_eq!(empty.oldest_due, None);
        assert!(empty.database_bytes > 0, "the schema takes pages");

        let mut ids = Vec::new();
        for (i, url) in ["https://a.example/rss", "https://b.example/rss"]
            .into_iter()
            .enumerate()
        {
            let feed = NewFeed {
                url: url.to_string(),
                name: None,
                interval: None,
                origin: "cli",
            };
            let added = t0 + chrono::Duration::minutes(i as i64);
            ids.push(store.add_feed(feed, added).await.unwrap().0.id);
        }
        let now = t0 + chrono::Duration::hours(1);
        let stats = store.stats(now).await.unwrap();
        assert_eq!(stats.feeds_by_state[0], ("ok", 2));
        assert_eq!(stats.oldest_due, Some(t0), "the first feed is due longest");
        // Before either feed is due there is no lag.
        assert_eq!(
            store
                .stats(t0 - chrono::Duration::seconds(1))
                .await
                .unwrap()
                .oldest_due,
            None
        );

        store.enable_feed(ids[0], false, now).await.unwrap();
        let stats = store.stats(now).await.unwrap();
        assert!(stats.feeds_by_state.contains(&("ok", 1)));
        assert!(stats.feeds_by_state.contains(&("disabled", 1)));
        assert_eq!(
            stats.oldest_due,
            Some(t0 + chrono::Duration::minutes(1)),
            "a disabled feed is not due"
        );
        store.close().await;
    }
}
