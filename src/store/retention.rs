//! Retention: deleting articles beyond `[retention]`'s limits, and the
//! tombstones that keep them from coming back.
//!
//! An article's age is its publication time, else its first-seen time
//! (the same `COALESCE(published, first_seen)` the near-duplicate index
//! uses; `updated` is left out, since many feeds bump it on every edit).
//! Within a feed, the articles over `max_articles_per_feed` are its oldest
//! by that age, and the articles over `max_age` are a run of its oldest
//! too, so what a feed loses is one prefix of its articles, oldest first:
//! [`doomed_prefix`] decides its length.
//!
//! Deleting runs in batches of [`BATCH`] articles, each its own job on the
//! writer thread: polls queued meanwhile run between two batches, so none
//! waits for more than one batch. Each deleted article leaves a tombstone
//! `(feed_id, item_key, deleted_at, last_listed)`: the upsert skips an
//! item with a tombstone and moves its `last_listed` on, so an item the
//! feed still lists is not stored again as new. A tombstone is dropped
//! when the feed has not listed its item for [`TOMBSTONE_DAYS`] and has
//! served a parsed document since it last did (a feed answering 304 for
//! months still lists what it listed, so its tombstones stay), and with
//! its feed (`ON DELETE CASCADE`). An item that comes back after its
//! tombstone is gone is a new article. A tombstone keeps the article's
//! content hash and URL, and `known_keys` reads it with the feed's
//! articles: the item keeps its key, and while unchanged it is not
//! flagged and fingerprinted again only to be skipped.
//!
//! With an article go its `near_docs` row (foreign key) and its
//! `near_keys` rows, which have no foreign key: they are found by their
//! keys, computed from the stored fingerprint by the matcher that wrote
//! them, one primary-key delete each; without a matcher (clustering off),
//! by one scan of `near_keys` per batch that had fingerprints. Its index
//! rows still pending on the writer thread are dropped. Other articles'
//! `duplicate_of` and `cluster_id` naming a deleted article are left as
//! they are: they are only ids (a cluster keeps its id when its first
//! article goes), and SQLite gives a new row the largest id plus one, so
//! the id of a deleted article with a later article still pointing at it
//! is never handed out again.
//!
//! Space: deleted pages go to SQLite's free list and are reused by new
//! rows. A database created with `auto_vacuum = INCREMENTAL` (every
//! database this build creates, see `open_connection`) also gives them
//! back to the file system with `PRAGMA incremental_vacuum`, a few
//! thousand pages per job. An older database (`auto_vacuum = NONE`) can
//! only switch with a full `VACUUM`, which rewrites the file under an
//! exclusive lock: [`Store::convert_to_incremental_vacuum`], run by hand
//! (`feedsieve cleanup --vacuum`) with the daemon stopped.

use super::near::PendingKeys;
use super::{Store, StoreError, Writer, parse_ts, ts};
use crate::model::{FeedId, Fingerprint};
use crate::store::NearHandle;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{CachedStatement, Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::HashSet;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// Articles deleted per job (one transaction).
pub const BATCH: usize = 500;

/// Fetch-log rows deleted per job: small rows, so more per batch than
/// articles, still a short write.
const LOG_BATCH: usize = 5_000;

/// Days a tombstone outlives the last document that listed its item.
pub const TOMBSTONE_DAYS: i64 = 30;

/// Pages returned to the file system per `incremental_vacuum` job (8 MiB
/// with 4 KiB pages).
const VACUUM_PAGES: i64 = 2000;

/// `[retention]`, checked. Both limits off: nothing is deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Delete articles older than this (publication time, else first seen).
    pub max_age: Option<Duration>,
    /// Keep at most this many articles per feed, the newest.
    pub max_per_feed: Option<u32>,
    /// Delete fetch-log rows older than this (`None`: keep them all).
    pub fetch_log_max_age: Option<Duration>,
}

impl RetentionPolicy {
    /// Whether any article limit is set.
    pub fn is_set(&self) -> bool {
        self.max_age.is_some() || self.max_per_feed.is_some()
    }
}

/// What one feed lost (or would lose).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedCleanup {
    pub feed_id: i64,
    pub feed_url: String,
    pub articles: u64,
}

/// What a cleanup did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CleanupReport {
    pub dry_run: bool,
    /// Feeds that lost articles, in id order.
    pub feeds: Vec<FeedCleanup>,
    pub articles_deleted: u64,
    pub tombstones_written: u64,
    pub tombstones_dropped: u64,
    /// Fetch-log rows older than `retention.fetch_log_days`.
    pub fetch_log_deleted: u64,
    /// Pages given back to the file system by `incremental_vacuum`.
    pub pages_freed: u64,
    /// Whether the database can give pages back (`auto_vacuum = INCREMENTAL`).
    pub incremental_vacuum: bool,
    /// Stopped between two batches by the cancellation token.
    pub cancelled: bool,
    pub elapsed_ms: u64,
}

/// How many of a feed's articles, read oldest first starting at rank
/// `first_rank` (0: its oldest), are to be deleted: a prefix of `ages`.
/// `total` is how many articles the feed has; `cutoff` is the oldest age
/// kept. Ages are RFC 3339 UTC text, which sorts as time.
pub fn doomed_prefix(
    ages: &[String],
    first_rank: usize,
    total: usize,
    max_per_feed: Option<u32>,
    cutoff: Option<&str>,
) -> usize {
    let excess = max_per_feed.map_or(0, |max| total.saturating_sub(max as usize));
    ages.iter()
        .enumerate()
        .take_while(|(i, age)| first_rank + i < excess || cutoff.is_some_and(|c| age.as_str() < c))
        .count()
}

/// Whether a tombstone listed last at `?L` in feed `?F` may go: not listed
/// for [`TOMBSTONE_DAYS`] (before `?C`), and a document with items was
/// parsed since (its poll started after the item was last listed).
macro_rules! expired {
    ($listed:literal, $feed:literal, $cutoff:literal) => {
        concat!(
            "(",
            $listed,
            " < ",
            $cutoff,
            " AND ",
            $listed,
            " < COALESCE(
                (SELECT l.started_at FROM fetch_log l
                 WHERE l.feed_id = ",
            $feed,
            " AND l.items_seen > 0
                 ORDER BY l.id DESC LIMIT 1), ''))"
        )
    };
}

/// One batch of one feed.
#[derive(Debug, Default)]
struct Batch {
    /// Articles deleted (dry: that would be).
    doomed: usize,
    /// Articles read.
    read: usize,
    tombstones: u64,
}

impl Store {
    /// Deletes (or, `dry_run`, counts) the articles beyond `policy`, in
    /// batches, writing tombstones; then drops expired tombstones, runs
    /// `PRAGMA optimize` and gives free pages back. `near` computes the
    /// index keys of deleted articles (see the module doc). Stops between
    /// batches when `cancel` fires.
    pub async fn cleanup(
        &self,
        policy: RetentionPolicy,
        near: Option<NearHandle>,
        now: DateTime<Utc>,
        dry_run: bool,
        cancel: &CancellationToken,
    ) -> Result<CleanupReport, StoreError> {
        let started = Instant::now();
        let mut report = CleanupReport {
            dry_run,
            ..CleanupReport::default()
        };
        // No article limit: no feed to walk, only the steps after.
        let feeds: Vec<(i64, String)> = if policy.is_set() {
            self.call(|c| {
                let mut st = c.prepare("SELECT id, url FROM feeds ORDER BY id")?;
                let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?
        } else {
            Vec::new()
        };
        let cutoff = policy.max_age.map(|age| ts(now - age));
        'feeds: for (feed_id, feed_url) in feeds {
            let mut lost = 0u64;
            // Dry, nothing goes, so the walk pages on; otherwise each batch
            // starts again from the feed's oldest remaining article.
            let mut rank = 0;
            loop {
                if cancel.is_cancelled() {
                    report.cancelled = true;
                    break 'feeds;
                }
                let (cutoff, near) = (cutoff.clone(), near.clone());
                let batch = self
                    .call_writer(move |c, writer| {
                        feed_batch(c, writer, feed_id, rank, policy, cutoff, near, now, dry_run)
                    })
                    .await?;
                lost += batch.doomed as u64;
                report.tombstones_written += batch.tombstones;
                if dry_run {
                    rank += batch.read;
                }
                if batch.doomed < BATCH || batch.read == 0 {
                    break;
                }
            }
            if lost > 0 {
                report.articles_deleted += lost;
                report.feeds.push(FeedCleanup {
                    feed_id,
                    feed_url,
                    articles: lost,
                });
            }
        }
        if !report.cancelled {
            report.tombstones_dropped = self.drop_tombstones(now, dry_run, cancel).await?;
        }
        if let Some(age) = policy.fetch_log_max_age
            && !cancel.is_cancelled()
        {
            report.fetch_log_deleted = self.prune_fetch_log(now - age, dry_run, cancel).await?;
        }
        report.incremental_vacuum = self
            .call(|c| Ok(c.query_row("PRAGMA auto_vacuum", [], |r| r.get::<_, i64>(0))? == 2))
            .await?;
        if !dry_run && !cancel.is_cancelled() {
            self.call(|c| Ok(c.execute_batch("PRAGMA optimize;")?))
                .await?;
            if report.incremental_vacuum {
                report.pages_freed = self.vacuum_free_pages(cancel).await?;
            }
        }
        report.cancelled |= cancel.is_cancelled();
        report.elapsed_ms = started.elapsed().as_millis().min(u128::from(u64::MAX)) as u64;
        Ok(report)
    }

    /// Drops (dry: counts) the tombstones whose items have not been listed
    /// for [`TOMBSTONE_DAYS`], in batches.
    async fn drop_tombstones(
        &self,
        now: DateTime<Utc>,
        dry_run: bool,
        cancel: &CancellationToken,
    ) -> Result<u64, StoreError> {
        let cutoff = ts(now - Duration::days(TOMBSTONE_DAYS));
        if dry_run {
            return self
                .call(move |c| {
                    let n: i64 = c.query_row(
                        concat!(
                            "SELECT COUNT(*) FROM tombstones t WHERE ",
                            expired!("t.last_listed", "t.feed_id", "?1")
                        ),
                        [&cutoff],
                        |r| r.get(0),
                    )?;
                    Ok(n as u64)
                })
                .await;
        }
        self.delete_in_batches(
            concat!(
                "DELETE FROM tombstones WHERE (feed_id, item_key) IN
                    (SELECT t.feed_id, t.item_key FROM tombstones t WHERE ",
                expired!("t.last_listed", "t.feed_id", "?1"),
                " LIMIT ?2)"
            ),
            cutoff,
            BATCH,
            cancel,
        )
        .await
    }

    /// Deletes (dry: counts) the fetch-log rows started before `cutoff`,
    /// [`LOG_BATCH`] per job. Ids grow with time, so the oldest rows are
    /// the lowest ids: the first row kept is found once, and every row
    /// below it goes.
    async fn prune_fetch_log(
        &self,
        cutoff: DateTime<Utc>,
        dry_run: bool,
        cancel: &CancellationToken,
    ) -> Result<u64, StoreError> {
        let cutoff = ts(cutoff);
        // `started_at` has no index: a batch that looked for old rows by
        // time would read on to the end of the table once fewer than a
        // batch were left. In id order the scan stops at the first row
        // kept, having read only the rows about to go. A row logged out of
        // order (a slow poll started earlier) is kept or goes with its
        // neighbours.
        let boundary: Option<i64> = self
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT id FROM fetch_log WHERE started_at >= ?1 ORDER BY id LIMIT 1",
                    [&cutoff],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await?;
        let below = boundary.unwrap_or(i64::MAX);
        if dry_run {
            return self
                .call(move |c| {
                    let n: i64 = c.query_row(
                        "SELECT COUNT(*) FROM fetch_log WHERE id < ?1",
                        [below],
                        |r| r.get(0),
                    )?;
                    Ok(n as u64)
                })
                .await;
        }
        self.delete_in_batches(
            "DELETE FROM fetch_log WHERE id IN
                (SELECT id FROM fetch_log WHERE id < ?1 ORDER BY id LIMIT ?2)",
            below,
            LOG_BATCH,
            cancel,
        )
        .await
    }

    /// Runs `delete` (bound with `?1` = `key`, `?2` = `batch`, deleting at
    /// most `batch` rows) as one writer job per batch, so polls run in
    /// between, until a batch deletes fewer or `cancel` fires; returns the
    /// rows deleted.
    async fn delete_in_batches<K>(
        &self,
        delete: &'static str,
        key: K,
        batch: usize,
        cancel: &CancellationToken,
    ) -> Result<u64, StoreError>
    where
        K: rusqlite::ToSql + Clone + Send + 'static,
    {
        let mut deleted = 0;
        while !cancel.is_cancelled() {
            let key = key.clone();
            let n = self
                .call(move |c| {
                    Ok(c.prepare_cached(delete)?
                        .execute(params![key, batch as i64])?)
                })
                .await?;
            deleted += n as u64;
            if n < batch {
                break;
            }
        }
        Ok(deleted)
    }

    /// Gives the free list back to the file system, [`VACUUM_PAGES`] per job.
    async fn vacuum_free_pages(&self, cancel: &CancellationToken) -> Result<u64, StoreError> {
        let mut freed = 0;
        while !cancel.is_cancelled() {
            let (before, after) = self
                .call(|c| {
                    let free = |c: &Connection| {
                        c.query_row("PRAGMA freelist_count", [], |r| r.get::<_, i64>(0))
                    };
                    let before = free(c)?;
                    if before > 0 {
                        c.execute_batch(&format!("PRAGMA incremental_vacuum({VACUUM_PAGES});"))?;
                    }
                    Ok((before, free(c)?))
                })
                .await?;
            freed += (before - after).max(0) as u64;
            if after == 0 || after >= before {
                break;
            }
        }
        Ok(freed)
    }

    /// Switches a database created before `auto_vacuum = INCREMENTAL` to it
    /// with a full `VACUUM`, which rewrites the whole file (it needs as much
    /// free disk again) and holds an exclusive lock meanwhile: for a
    /// one-shot command with the daemon stopped. Returns whether it had to.
    pub async fn convert_to_incremental_vacuum(&self) -> Result<bool, StoreError> {
        self.call(|c| {
            if c.query_row("PRAGMA auto_vacuum", [], |r| r.get::<_, i64>(0))? == 2 {
                return Ok(false);
            }
            c.execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
            Ok(true)
        })
        .await
    }

    /// The tombstones of a feed as `(item_key, last_listed)`, by key: for
    /// tests and diagnostics.
    pub async fn tombstones(&self, feed: FeedId) -> Result<Vec<(String, String)>, StoreError> {
        self.call(move |c| {
            let mut st = c.prepare(
                "SELECT item_key, last_listed FROM tombstones WHERE feed_id = ?1 ORDER BY item_key",
            )?;
            let rows = st.query_map([feed.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

/// One job: the next [`BATCH`] oldest articles of a feed from `rank` on,
/// and how many of them go; unless `dry_run`, deletes those with their
/// index rows and writes their tombstones, in one savepoint.
#[allow(clippy::too_many_arguments)]
fn feed_batch(
    c: &mut Connection,
    writer: &mut Writer,
    feed_id: i64,
    rank: usize,
    policy: RetentionPolicy,
    cutoff: Option<String>,
    near: Option<NearHandle>,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Batch, StoreError> {
    let tx = c.savepoint()?;
    let total: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM articles WHERE feed_id = ?1")?
        .query_row([feed_id], |r| r.get(0))?;
    let excess = policy.max_per_feed.map_or(0, |max| {
        (total.max(0) as usize).saturating_sub(max as usize)
    });
    if cutoff.is_none() && rank >= excess {
        // Within its count limit, and no age limit: nothing to sort.
        return Ok(Batch::default());
    }
    let oldest: Vec<(i64, String)> = tx
        .prepare_cached(
            "SELECT id, COALESCE(published, first_seen) AS age FROM articles
             WHERE feed_id = ?1 ORDER BY age, id LIMIT ?2 OFFSET ?3",
        )?
        .query_map(params![feed_id, BATCH as i64, rank as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let ages: Vec<String> = oldest.iter().map(|(_, age)| age.clone()).collect();
    let doomed = doomed_prefix(
        &ages,
        rank,
        total.max(0) as usize,
        policy.max_per_feed,
        cutoff.as_deref(),
    );
    let ids: Vec<i64> = oldest[..doomed].iter().map(|(id, _)| *id).collect();
    let tombstone_cutoff = ts(now - Duration::days(TOMBSTONE_DAYS));
    let mut batch = Batch {
        doomed,
        read: oldest.len(),
        tombstones: 0,
    };
    if dry_run {
        let mut kept = tx.prepare_cached(concat!(
            "SELECT NOT ",
            expired!("a.last_seen", "a.feed_id", "?2"),
            " FROM articles a WHERE a.id = ?1"
        ))?;
        for id in &ids {
            if kept.query_row(params![id, tombstone_cutoff], |r| r.get::<_, bool>(0))? {
                batch.tombstones += 1;
            }
        }
        return Ok(batch);
    }
    batch.tombstones = delete_articles(&tx, &ids, now, &tombstone_cutoff, near.as_ref())?;
    tx.commit()?;
    writer.near.forget_articles(&ids.into_iter().collect());
    Ok(batch)
}

/// Deletes articles, their index rows and fingerprints, and writes their
/// tombstones (but not for items whose tombstone would already have
/// expired). Returns the tombstones written.
fn delete_articles(
    tx: &Connection,
    ids: &[i64],
    now: DateTime<Utc>,
    tombstone_cutoff: &str,
    near: Option<&NearHandle>,
) -> rusqlite::Result<u64> {
    let mut tombstone = tx.prepare_cached(concat!(
        "INSERT INTO tombstones (feed_id, item_key, deleted_at, last_listed, content_hash, url)
         SELECT a.feed_id, a.item_key, ?2, a.last_seen, a.content_hash, a.url FROM articles a
         WHERE a.id = ?1 AND NOT ",
        expired!("a.last_seen", "a.feed_id", "?3"),
        " ON CONFLICT (feed_id, item_key) DO NOTHING"
    ))?;
    let mut fingerprint = tx.prepare_cached(
        "SELECT published, simhash, words, lead FROM near_docs WHERE article_id = ?1",
    )?;
    let mut delete_key = tx.prepare_cached(
        "DELETE FROM near_keys WHERE key = ?1 AND published = ?2 AND article_id = ?3",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM articles WHERE id = ?1")?;
    let now = ts(now);
    let (mut written, mut unmatched) = (0, Vec::new());
    for &id in ids {
        written += tombstone.execute(params![id, now, tombstone_cutoff])? as u64;
        if let Some((published, fp)) = fingerprint.query_row([id], stored_fingerprint).optional()? {
            match near {
                Some(NearHandle(m)) => {
                    for key in m.keys(&fp) {
                        delete_key.execute(params![key, published, id])?;
                    }
                }
                None => unmatched.push(id),
            }
        }
        delete.execute([id])?;
    }
    if !unmatched.is_empty() {
        delete_unmatched_keys(tx, &unmatched)?;
    }
    Ok(written)
}

/// A stored fingerprint as its index keys are computed from it (as
/// `PendingKeys::adopt` does), with its time in Unix seconds.
fn stored_fingerprint(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Fingerprint)> {
    let published: String = r.get(0)?;
    let lead: Option<Vec<u8>> = r.get(3)?;
    Ok((
        parse_ts(&published).map_or(0, |t| t.timestamp()),
        Fingerprint {
            simhash: r.get::<_, i64>(1)? as u64,
            words: r.get::<_, i64>(2)?.max(0) as u32,
            shingles: Vec::new(),
            lead: crate::dedup::near::shingles_from_bytes(&lead.unwrap_or_default()),
        },
    ))
}

/// Without a matcher the keys are unknown: one scan of `near_keys`.
fn delete_unmatched_keys(tx: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    let marks = vec!["?"; ids.len()].join(", ");
    tx.execute(
        &format!("DELETE FROM near_keys WHERE article_id IN ({marks})"),
        rusqlite::params_from_iter(ids),
    )?;
    Ok(())
}

/// The upsert's view of a feed's tombstones: an item listed with one is
/// skipped, and its `last_listed` moves on.
pub(super) struct Tombstones<'c> {
    feed: FeedId,
    /// `None` when the feed has none (most feeds): no lookup per item.
    touch: Option<CachedStatement<'c>>,
}

impl<'c> Tombstones<'c> {
    pub(super) fn of(tx: &'c Connection, feed: FeedId) -> rusqlite::Result<Tombstones<'c>> {
        let any: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM tombstones WHERE feed_id = ?1)")?
            .query_row([feed.0], |r| r.get(0))?;
        let touch = if any {
            Some(tx.prepare_cached(
                "UPDATE tombstones SET last_listed = ?3 WHERE feed_id = ?1 AND item_key = ?2",
            )?)
        } else {
            None
        };
        Ok(Tombstones { feed, touch })
    }

    /// Whether `key` was deleted by retention (and is to be skipped);
    /// records that the feed still lists it at `now`.
    pub(super) fn listed(&mut self, key: &str, now: &str) -> rusqlite::Result<bool> {
        match &mut self.touch {
            Some(st) => Ok(st.execute(params![self.feed.0, key, now])? == 1),
            None => Ok(false),
        }
    }
}

impl PendingKeys {
    /// Drops the pending rows of deleted articles.
    pub(crate) fn forget_articles(&mut self, ids: &HashSet<i64>) {
        self.retain(|article_id| !ids.contains(&article_id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ages(days: &[u32]) -> Vec<String> {
        days.iter()
            .map(|d| format!("2026-01-{d:02}T00:00:00Z"))
            .collect()
    }

    #[test]
    fn only_the_oldest_beyond_the_per_feed_limit_go() {
        let a = ages(&[1, 2, 3, 4, 5]);
        assert_eq!(doomed_prefix(&a, 0, 5, Some(3), None), 2);
        assert_eq!(doomed_prefix(&a, 0, 5, Some(5), None), 0);
        assert_eq!(doomed_prefix(&a, 0, 5, Some(9), None), 0);
        assert_eq!(doomed_prefix(&a, 0, 5, None, None), 0);
    }

    #[test]
    fn the_age_limit_takes_what_is_older_than_the_cutoff() {
        let a = ages(&[1, 2, 3, 4, 5]);
        assert_eq!(
            doomed_prefix(&a, 0, 5, None, Some("2026-01-03T00:00:00Z")),
            2
        );
        assert_eq!(
            doomed_prefix(&a, 0, 5, None, Some("2025-12-31T00:00:00Z")),
            0
        );
    }

    #[test]
    fn both_limits_take_the_longer_prefix() {
        let a = ages(&[1, 2, 3, 4, 5]);
        let cutoff = Some("2026-01-04T00:00:00Z");
        assert_eq!(doomed_prefix(&a, 0, 5, Some(4), cutoff), 3);
        assert_eq!(doomed_prefix(&a, 0, 5, Some(1), cutoff), 4);
    }

    #[test]
    fn a_later_page_counts_ranks_from_its_first() {
        // Ranks 3 and 4 of 6 with at most 2 kept: excess is 4, so rank 3
        // goes and rank 4 stays.
        let a = ages(&[10, 11]);
        assert_eq!(doomed_prefix(&a, 3, 6, Some(2), None), 1);
        assert_eq!(doomed_prefix(&a, 4, 6, Some(2), None), 0);
    }
}
