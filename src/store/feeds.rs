//! Feed rows: adding, finding, listing, removing, and the due-feed query the
//! run loop ticks on.

use super::{Store, StoreError, parse_ts, ts};
use crate::config::FeedConfig;
use crate::model::{DocSchedule, FeedId, Posting, Validators};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;
use std::time::Duration;

/// A feed as stored, with its schedule and error state.
#[derive(Debug, Clone, Serialize)]
pub struct FeedRecord {
    pub id: FeedId,
    pub url: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub interval_secs: Option<u64>,
    /// Where the feed came from: `config`, `cli` or `opml`.
    pub origin: String,
    pub enabled: bool,
    #[serde(skip)]
    pub validators: Validators,
    #[serde(skip)]
    pub body_hash: Option<String>,
    pub state: String,
    pub next_check_at: DateTime<Utc>,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub last_outcome: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_errors: u32,
    /// When the current run of failures began.
    pub failing_since: Option<DateTime<Utc>>,
    /// A permanent redirect target seen on the last `moved_count`
    /// consecutive polls, not yet made the feed's URL.
    pub moved_to: Option<String>,
    pub moved_count: u32,
    /// What the last parsed document said about its schedule.
    #[serde(skip)]
    pub schedule: DocSchedule,
    /// The posting rate seen in the last parsed document.
    #[serde(skip)]
    pub posting: Option<Posting>,
    pub articles: i64,
}

/// A feed to add.
#[derive(Debug, Clone)]
pub struct NewFeed {
    pub url: String,
    pub name: Option<String>,
    pub interval: Option<Duration>,
    pub origin: &'static str,
}

/// A `SELECT` of every feed column followed by `$tail`; a macro so each
/// query stays one constant string. The last column is the article count:
/// `select_feeds!(with_count, ..)` counts, `select_feeds!(..)` reads 0, for
/// the hot due-feed query that does not need it.
macro_rules! select_feeds {
    (with_count, $tail:literal) => {
        select_feeds!(@ "(SELECT COUNT(*) FROM articles a WHERE a.feed_id = feeds.id)", $tail)
    };
    ($tail:literal) => {
        select_feeds!(@ "0", $tail)
    };
    (@ $count:literal, $tail:literal) => {
        concat!(
            "SELECT id, url, name, title, site_url, interval_secs, origin, enabled, \
             etag, last_modified, body_hash, state, next_check_at, last_checked_at, last_status, \
             last_outcome, last_error, consecutive_errors, failing_since, moved_to, moved_count, \
             ttl_mins, update_period_secs, skip_hours, skip_days, posting_since, posting_count, ",
            $count,
            " FROM feeds ",
            $tail
        )
    };
}

/// Puts a feed back to a fresh `ok` state, due at `?2`; a macro so that
/// `enable_feed` can narrow it and stay one constant string.
macro_rules! feed_reset_sql {
    () => {
        "UPDATE feeds SET state = 'ok', consecutive_errors = 0, failing_since = NULL, \
         last_error = NULL, moved_to = NULL, moved_count = 0, next_check_at = ?2 WHERE id = ?1"
    };
}

fn feed_from_row(r: &Row<'_>) -> rusqlite::Result<FeedRecord> {
    let next: String = r.get(12)?;
    let checked: Option<String> = r.get(13)?;
    Ok(FeedRecord {
        id: FeedId(r.get(0)?),
        url: r.get(1)?,
        name: r.get(2)?,
        title: r.get(3)?,
        site_url: r.get(4)?,
        interval_secs: r.get::<_, Option<i64>>(5)?.map(|v| v.max(0) as u64),
        origin: r.get(6)?,
        enabled: r.get(7)?,
        validators: Validators {
            etag: r.get(8)?,
            last_modified: r.get(9)?,
        },
        body_hash: r.get(10)?,
        state: r.get(11)?,
        next_check_at: parse_ts(&next).unwrap_or_default(),
        last_checked_at: checked.as_deref().and_then(parse_ts),
        last_status: r.get::<_, Option<i64>>(14)?.map(|v| v as u16),
        last_outcome: r.get(15)?,
        last_error: r.get(16)?,
        consecutive_errors: r.get::<_, i64>(17)?.max(0) as u32,
        failing_since: r
            .get::<_, Option<String>>(18)?
            .as_deref()
            .and_then(parse_ts),
        moved_to: r.get(19)?,
        moved_count: r.get::<_, i64>(20)?.max(0) as u32,
        schedule: DocSchedule {
            ttl_mins: r
                .get::<_, Option<i64>>(21)?
                .map(|v| v.clamp(0, i64::from(u32::MAX)) as u32),
            update_period_secs: r.get::<_, Option<i64>>(22)?.map(|v| v.max(0) as u64),
            skip_hours: r.get::<_, i64>(23)? as u32,
            skip_days: r.get::<_, i64>(24)? as u8,
        },
        posting: match (
            r.get::<_, Option<String>>(25)?,
            r.get::<_, Option<i64>>(26)?,
        ) {
            (Some(since), Some(posts)) => parse_ts(&since).map(|since| Posting {
                since,
                posts: posts.clamp(0, i64::from(u32::MAX)) as u32,
            }),
            _ => None,
        },
        articles: r.get(27)?,
    })
}

/// Adds a feed unless its URL is known, as a feed's URL or the URL it was
/// added under.
const FEED_INSERT: &str =
    "INSERT INTO feeds (url, added_url, name, interval_secs, origin, next_check_at, created_at)
     SELECT ?1, ?1, ?2, ?3, ?4, ?5, ?5
     WHERE NOT EXISTS (SELECT 1 FROM feeds WHERE url = ?1 OR added_url = ?1)";

impl Store {
    /// Adds a feed, due immediately. Returns the row and whether it was new;
    /// an existing URL is left as it is, and so is a feed that has moved
    /// away from this URL (it was added under it, then permanently
    /// redirected), so a moved config feed is not added back at every start.
    pub async fn add_feed(
        &self,
        feed: NewFeed,
        now: DateTime<Utc>,
    ) -> Result<(FeedRecord, bool), StoreError> {
        self.call(move |c| {
            let tx = c.savepoint()?;
            let created = tx.prepare_cached(FEED_INSERT)?.execute(params![
                feed.url,
                feed.name,
                feed.interval.map(|d| d.as_secs() as i64),
                feed.origin,
                ts(now)
            ])? == 1;
            let rec = tx.query_row(
                select_feeds!(
                    with_count,
                    "WHERE url = ?1 OR added_url = ?1 ORDER BY url = ?1 DESC LIMIT 1"
                ),
                [&feed.url],
                feed_from_row,
            )?;
            tx.commit()?;
            Ok((rec, created))
        })
        .await
    }

    /// Adds many feeds in one transaction, each due at `now`; URLs already
    /// present (or moved away from) are left as they are. Returns how many
    /// were added. An OPML import of 100,000 feeds is one commit, not
    /// 100,000.
    pub async fn add_feeds(
        &self,
        feeds: Vec<NewFeed>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.call(move |c| {
            let tx = c.savepoint()?;
            let mut added = 0;
            {
                let mut insert = tx.prepare_cached(FEED_INSERT)?;
                for feed in &feeds {
                    added += insert.execute(params![
                        feed.url,
                        feed.name,
                        feed.interval.map(|d| d.as_secs() as i64),
                        feed.origin,
                        ts(now)
                    ])?;
                }
            }
            tx.commit()?;
            Ok(added)
        })
        .await
    }

    /// Merges the `[[feeds]]` of the config file: new URLs are added, known
    /// ones take the file's name and interval. Returns how many were added.
    pub async fn merge_config_feeds(
        &self,
        feeds: Vec<FeedConfig>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.call(move |c| {
            let tx = c.savepoint()?;
            let mut added = 0;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO feeds (url, added_url, name, interval_secs, origin, next_check_at, created_at)
                     SELECT ?1, ?1, ?2, ?3, 'config', ?4, ?4
                     WHERE NOT EXISTS (SELECT 1 FROM feeds WHERE url = ?1 OR added_url = ?1)",
                )?;
                let mut update = tx.prepare(
                    "UPDATE feeds SET name = COALESCE(?2, name), interval_secs = ?3
                     WHERE url = ?1 OR added_url = ?1",
                )?;
                for f in &feeds {
                    let interval = f.interval.map(|d| d.as_secs() as i64);
                    if insert.execute(params![f.url, f.name, interval, ts(now)])? == 1 {
                        added += 1;
                    } else {
                        update.execute(params![f.url, f.name, interval])?;
                    }
                }
            }
            tx.commit()?;
            Ok(added)
        })
        .await
    }

    /// Finds a feed by numeric id or by URL.
    pub async fn find_feed(&self, selector: &str) -> Result<FeedRecord, StoreError> {
        let selector = selector.trim().to_string();
        self.call(move |c| {
            let by_id = selector.parse::<i64>().ok();
            // The stored form of a URL is the one `url::Url` prints, so look
            // up both the text as typed and its normalized form.
            let normalized = url::Url::parse(&selector).map(|u| u.to_string()).ok();
            let found = c
                .query_row(
                    select_feeds!(
                        with_count,
                        "WHERE id = ?1 OR url IN (?2, ?3) OR added_url IN (?2, ?3)
                         ORDER BY url IN (?2, ?3) DESC LIMIT 1"
                    ),
                    params![by_id, selector, normalized],
                    feed_from_row,
                )
                .optional()?;
            found.ok_or_else(|| StoreError::NotFound(format!("no feed matches {selector:?}")))
        })
        .await
    }

    /// Every feed, ordered by id, with article counts.
    pub async fn list_feeds(&self) -> Result<Vec<FeedRecord>, StoreError> {
        self.call(|c| {
            let mut st = c.prepare(select_feeds!(with_count, "ORDER BY id"))?;
            let rows = st.query_map([], feed_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Enabled feeds whose `next_check_at` has passed, most overdue first.
    /// Feeds that answered 410 Gone are never due.
    pub async fn due_feeds(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FeedRecord>, StoreError> {
        self.call(move |c| {
            let mut st = c.prepare_cached(select_feeds!(
                "WHERE enabled = 1 AND state <> 'gone' AND next_check_at <= ?1 ORDER BY next_check_at LIMIT ?2"
            ))?;
            let rows = st.query_map(params![ts(now), limit as i64], feed_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Every enabled feed, due or not, except those that are gone.
    pub async fn enabled_feeds(&self) -> Result<Vec<FeedRecord>, StoreError> {
        self.call(|c| {
            let mut st = c.prepare(select_feeds!(
                "WHERE enabled = 1 AND state <> 'gone' ORDER BY next_check_at"
            ))?;
            let rows = st.query_map([], feed_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// The earliest `next_check_at` after `after` among feeds that can be
    /// due, for the run loop's sleep. Feeds already due (and being polled)
    /// are not counted, so the loop does not wake for them.
    pub async fn next_due_after(
        &self,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.call(move |c| {
            let s: Option<String> = c.query_row(
                "SELECT MIN(next_check_at) FROM feeds
                 WHERE enabled = 1 AND state <> 'gone' AND next_check_at > ?1",
                [ts(after)],
                |r| r.get(0),
            )?;
            Ok(s.as_deref().and_then(parse_ts))
        })
        .await
    }

    /// Moves a feed's next check to `at` without touching anything else.
    pub async fn defer_feed(&self, id: FeedId, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.call(move |c| {
            c.execute(
                "UPDATE feeds SET next_check_at = ?2 WHERE id = ?1",
                params![id.0, ts(at)],
            )?;
            Ok(())
        })
        .await
    }

    /// Turns polling of a feed on or off. Enabling a feed that answered
    /// 410 Gone also resets it (see [`Store::reset_feed`]): the operator
    /// says it is back.
    pub async fn enable_feed(
        &self,
        id: FeedId,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> Result<FeedRecord, StoreError> {
        self.call(move |c| {
            let tx = c.savepoint()?;
            if tx.execute(
                "UPDATE feeds SET enabled = ?2 WHERE id = ?1",
                params![id.0, enabled],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("no feed with id {id}")));
            }
            if enabled {
                tx.execute(
                    concat!(feed_reset_sql!(), " AND state = 'gone'"),
                    params![id.0, ts(now)],
                )?;
            }
            let rec = tx.query_row(
                select_feeds!(with_count, "WHERE id = ?1"),
                [id.0],
                feed_from_row,
            )?;
            tx.commit()?;
            Ok(rec)
        })
        .await
    }

    /// Clears a feed's errors, state and redirect streak and makes it due
    /// at `now`; validators and history are kept.
    pub async fn reset_feed(&self, id: FeedId, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.call(move |c| {
            if c.execute(feed_reset_sql!(), params![id.0, ts(now)])? == 0 {
                return Err(StoreError::NotFound(format!("no feed with id {id}")));
            }
            Ok(())
        })
        .await
    }

    /// Deletes a feed with its articles and fetch log.
    pub async fn remove_feed(&self, id: FeedId) -> Result<bool, StoreError> {
        self.call_writer(move |c, writer| {
            let tx = c.savepoint()?;
            // The near-duplicate index has no foreign key (see the schema);
            // its rows go with the feed, in one scan.
            tx.execute("DELETE FROM near_keys WHERE feed_id = ?1", [id.0])?;
            let removed = tx.execute("DELETE FROM feeds WHERE id = ?1", [id.0])? == 1;
            tx.commit()?;
            writer.near.forget_feed(id.0);
            Ok(removed)
        })
        .await
    }
}
