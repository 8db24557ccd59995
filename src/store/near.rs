//! The near-duplicate index and the cluster links between articles.
//!
//! The store keeps `near_docs` (each article's fingerprint) and
//! `near_keys` (one row per index key of an article, with its publication
//! time, feed and SimHash) and each article's `cluster_id`,
//! `duplicate_of` and `similarity`; which articles are near-duplicates is
//! decided by a [`NearMatcher`] the caller hands in, so no matching rule
//! lives here. Linking runs inside `record_poll`'s transaction on the
//! single writer thread: two feeds carrying the same story at the same
//! moment still end up in one cluster.
//!
//! A new article's fingerprint is written with it; its `near_keys` rows
//! wait in memory on the writer thread ([`PendingKeys`]) and are written in
//! key order, in batches (every 50,000 rows or 60 seconds, and on close),
//! because keys are hashes and rows written one poll at a time each landed
//! on a random page. Lookups read the pending rows too. A process that
//! dies before writing them leaves `near_docs.keyed` = 0, and the next one
//! recomputes them. Another process on the same file (a `feedsieve poll`
//! beside the daemon) sees them once written.
//!
//! Most keys of a new article have no rows at all; a Bloom filter of the
//! keys written and pending (`KeyFilter`) skips their queries. It is built
//! at the first lookup, and again whenever another process has written
//! index rows (`near_generation`, checked inside the write transaction),
//! so rows written elsewhere are never hidden.
//!
//! Within one feed, a near-duplicate of a stored item published within
//! two hours of it whose key is no longer in the document is that item
//! under a new guid or URL: the stored row takes the new key (see
//! [`Linking::link`]).

use super::articles::NearLink;
use super::ts;
use crate::dedup::near::{shingles_from_bytes, shingles_to_bytes};
use crate::model::{Article, Fingerprint, Syndication};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};
use tracing::warn;

/// An earlier article that shares an index key with a new one. Its feed
/// and URL are read only for the one chosen, before
/// [`NearMatcher::copied`].
#[derive(Debug, Clone)]
pub struct NearCandidate {
    pub id: i64,
    pub feed_id: i64,
    /// Publication (else first-seen) time, Unix seconds.
    pub published: i64,
    /// Read only for the one chosen.
    pub cluster_id: i64,
    pub feed_url: String,
    pub site_url: Option<String>,
    pub url: Option<String>,
    pub simhash: u64,
    pub words: u32,
    /// Its stored shingles, read only when the matcher needs them
    /// ([`NearMatcher::needs_shingles`]).
    pub shingles: Option<Vec<u32>>,
}

/// The feed an article being linked came in.
#[derive(Debug, Clone, Copy)]
pub struct NearFeed<'a> {
    pub feed_url: &'a str,
    pub site_url: Option<&'a str>,
    pub rights: Option<&'a str>,
    pub title: Option<&'a str>,
}

/// The near-duplicate decisions the store asks for while it links a new
/// article.
pub trait NearMatcher: Send + Sync {
    /// How far apart in publication time two articles may be.
    fn window(&self) -> Duration;
    /// The index keys of a fingerprint.
    fn keys(&self, fp: &Fingerprint) -> Vec<i64>;
    /// Whether [`NearMatcher::similarity`] needs the candidate's shingles.
    fn needs_shingles(&self, article: &Article, candidate: &NearCandidate) -> bool;
    /// How similar `article` is to `candidate`, when near-duplicates.
    fn similarity(&self, article: &Article, candidate: &NearCandidate) -> Option<f32>;
    /// The article's new verdict when it copies `candidate` from another
    /// host (`cross_source_copy`); `None` when the verdict stands.
    fn copied(
        &self,
        article: &Article,
        feed: &NearFeed<'_>,
        candidate: &NearCandidate,
        similarity: f32,
    ) -> Option<Syndication>;
}

/// A matcher handed to `record_poll`.
#[derive(Clone)]
pub struct NearHandle(pub Arc<dyn NearMatcher>);

impl std::fmt::Debug for NearHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NearHandle")
    }
}

/// One near-duplicate cluster, as `feedsieve clusters` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClusterSummary {
    pub cluster_id: i64,
    pub size: i64,
    /// Publication (else first-seen) time of its earliest and latest article.
    pub first_published: String,
    pub last_published: String,
    /// The title of its first article.
    pub title: Option<String>,
    /// The site links (else feed URLs) of the feeds that carried it.
    pub sites: Vec<String>,
}

/// One member of a cluster, for `explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterMember {
    pub id: i64,
    pub duplicate_of: Option<i64>,
    pub similarity: Option<f64>,
    pub feed_url: String,
    pub title: Option<String>,
}

impl super::Store {
    /// For each of `articles`, the earlier article it would be linked to
    /// and how similar it is, without storing anything: what `record_poll`
    /// would decide, in one call to the writer thread as a poll's items
    /// are. For diagnostics and the lookup benchmark (`benches/near.rs`).
    pub async fn find_near(
        &self,
        articles: Vec<Article>,
        feed_url: String,
        matcher: NearHandle,
    ) -> Result<Vec<Option<(i64, f64)>>, super::StoreError> {
        self.call_writer(move |c, writer| {
            writer.near.adopt(matcher.0.as_ref());
            // One read transaction, as `record_poll` has (a savepoint: the
            // job may run inside a group's transaction).
            let tx = c.savepoint()?;
            writer.near.refresh_filter(&tx);
            let linking = Linking {
                matcher: matcher.0.as_ref(),
                feed: NearFeed {
                    feed_url: &feed_url,
                    site_url: None,
                    rights: None,
                    title: None,
                },
                // No feed of the database: every match is another item.
                feed_id: 0,
                doc_keys: HashSet::new(),
                now: Utc::now(),
                pending: RefCell::new(&mut writer.near),
            };
            let mut found = Vec::with_capacity(articles.len());
            for article in &articles {
                let link = linking.link(&tx, article)?;
                found.push(link.duplicate_of.zip(link.similarity));
            }
            Ok(found)
        })
        .await
    }

    /// Clusters of at least `min_size` articles with an article published
    /// (else first seen) at or after `since`, most recently active first.
    pub async fn clusters(
        &self,
        since: Option<DateTime<Utc>>,
        min_size: usize,
        limit: Option<usize>,
    ) -> Result<Vec<ClusterSummary>, super::StoreError> {
        self.call(move |c| {
            let mut st = c.prepare(
                "SELECT d.cluster, COUNT(*), MIN(d.published), MAX(d.published),
                    (SELECT r.title FROM articles r WHERE r.id = d.cluster),
                    json_group_array(DISTINCT COALESCE(f.site_url, f.url))
                 FROM near_docs d JOIN feeds f ON f.id = d.feed_id
                 WHERE (?1 IS NULL OR d.published >= ?1)
                 GROUP BY d.cluster HAVING COUNT(*) >= ?2
                 ORDER BY MAX(d.published) DESC, d.cluster DESC
                 LIMIT ?3",
            )?;
            let rows = st.query_map(
                params![
                    since.map(ts),
                    min_size as i64,
                    limit.map_or(-1, |l| l as i64)
                ],
                |r| {
                    let sites: String = r.get(5)?;
                    Ok(ClusterSummary {
                        cluster_id: r.get(0)?,
                        size: r.get(1)?,
                        first_published: r.get(2)?,
                        last_published: r.get(3)?,
                        title: r.get(4)?,
                        sites: serde_json::from_str(&sites).unwrap_or_default(),
                    })
                },
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// The members of a cluster in id order (at most `limit`).
    pub async fn cluster_members(
        &self,
        cluster_id: i64,
        limit: usize,
    ) -> Result<Vec<ClusterMember>, super::StoreError> {
        self.call(move |c| {
            let mut st = c.prepare_cached(
                "SELECT a.id, a.duplicate_of, a.similarity, f.url, a.title
                 FROM near_docs d JOIN articles a ON a.id = d.article_id JOIN feeds f ON f.id = d.feed_id
                 WHERE d.cluster = ?1 ORDER BY a.id LIMIT ?2",
            )?;
            let rows = st.query_map(params![cluster_id, limit as i64], |r| {
                Ok(ClusterMember {
                    id: r.get(0)?,
                    duplicate_of: r.get(1)?,
                    similarity: r.get(2)?,
                    feed_url: r.get(3)?,
                    title: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

/// Candidates read per index key, the nearest in time first. A template
/// (market reports, weather) or a feed of near-identical items shares its
/// lead with hundreds of articles a week; comparing each new one with all
/// of them made ingestion quadratic.
const CANDIDATES_PER_KEY: i64 = 32;

/// A similarity that ends the search for a better candidate once the key
/// that found it has been read to its end.
const GOOD_ENOUGH: f32 = 0.95;

/// Candidates whose shingles are read and compared, at most, per new
/// article.
const SHINGLES_PER_ARTICLE: usize = 16;

/// The stored candidates under one index key, newest first. The primary
/// key (key, published) serves it in order and stops at the limit, and the
/// rows carry what the SimHash test needs, so a chance band collision
/// costs no other read.
const CANDIDATES_SQL: &str = "SELECT article_id, feed_id, simhash, words, published FROM near_keys
     WHERE key = ?1 AND published BETWEEN ?2 AND ?3
     ORDER BY published DESC LIMIT ?4";

/// How far apart in publication time a stored item and a new one of the
/// same feed may be and still be one item under a changed key. A moved
/// item keeps its date, or nearly; a feed's next daily or weekly item of
/// the same boilerplate does not, and must not overwrite the last one
/// when that has dropped out of the document.
const SAME_ITEM_SECS: i64 = 2 * 3600;

/// Same-feed matches whose key is looked up (is it still listed?), at
/// most, per new article.
const LISTED_CHECKS: usize = 16;

/// Everything linking needs to know about the poll being stored.
pub(super) struct Linking<'a> {
    pub matcher: &'a dyn NearMatcher,
    pub feed: NearFeed<'a>,
    pub feed_id: i64,
    /// The keys of every item in the stored document. A near-duplicate in
    /// the same feed whose key is still listed is another item; one whose
    /// key has gone is the same item under a new guid or URL.
    pub doc_keys: HashSet<&'a str>,
    pub now: DateTime<Utc>,
    /// Index rows not written yet: read by lookups, added to by `index`.
    pub pending: RefCell<&'a mut PendingKeys>,
}

impl Linking<'_> {
    /// Decides, before a new article is inserted, what it is: the same item
    /// as a stored article of this feed whose key changed (an http→https
    /// move, a slug edit, a new guid), or a new article near-duplicating an
    /// earlier one in the window (the most similar; at [`GOOD_ENOUGH`] the
    /// search ends), with its verdict if that copy came from another host.
    pub(super) fn link(&self, tx: &Connection, article: &Article) -> rusqlite::Result<NearLink> {
        let Some(fp) = &article.near else {
            return Ok(NearLink {
                clustered: true,
                ..NearLink::default()
            });
        };
        let mut stored = tx.prepare_cached(CANDIDATES_SQL)?;
        let mut stored_shingles =
            tx.prepare_cached("SELECT shingles FROM near_docs WHERE article_id = ?1")?;
        // With its feed: an index row can outlive its article (deleted by
        // retention or `feeds remove`), and the id may belong to another
        // feed's article by now, which must never be taken for this item.
        let mut stored_key =
            tx.prepare_cached("SELECT item_key FROM articles WHERE id = ?1 AND feed_id = ?2")?;
        let published = article.published.unwrap_or(self.now).timestamp();
        let window = self.matcher.window().num_seconds();
        let span = (published - window, published + window);
        let mut best: Option<(f32, NearCandidate)> = None;
        let mut same_item: Option<(f32, i64)> = None;
        let mut seen = HashSet::new();
        let (mut shingles_read, mut listed_checks) = (0, 0);
        for key in self.matcher.keys(fp) {
            let mut done = false;
            for mut candidate in self.key_candidates(&mut stored, key, span)? {
                if !seen.insert(candidate.id) {
                    continue;
                }
                if self.matcher.needs_shingles(article, &candidate) {
                    if shingles_read == SHINGLES_PER_ARTICLE {
                        continue;
                    }
                    shingles_read += 1;
                    let bytes: Option<Vec<u8>> = stored_shingles
                        .query_row([candidate.id], |r| r.get(0))
                        .optional()?;
                    candidate.shingles = Some(shingles_from_bytes(&bytes.unwrap_or_default()));
                }
                let Some(s) = self.matcher.similarity(article, &candidate) else {
                    continue;
                };
                done |= s >= GOOD_ENOUGH;
                if candidate.feed_id == self.feed_id
                    && (candidate.published - published).abs() <= SAME_ITEM_SECS
                    && same_item.is_none_or(|(bs, _)| s > bs)
                    && listed_checks < LISTED_CHECKS
                {
                    listed_checks += 1;
                    let key: Option<String> = stored_key
                        .query_row([candidate.id, self.feed_id], |r| r.get(0))
                        .optional()?;
                    // Its key is gone from the document: the same item.
                    if key.is_some_and(|k| !self.doc_keys.contains(k.as_str())) {
                        same_item = Some((s, candidate.id));
                        continue;
                    }
                }
                let better = best
                    .as_ref()
                    .is_none_or(|(bs, bc)| s > *bs || (s == *bs && candidate.id < bc.id));
                if better {
                    best = Some((s, candidate));
                }
            }
            // A key that found a near-copy is read to its end before the
            // search stops: the same item under its old key may sit beside
            // copies from other feeds, and it must win over them.
            if done {
                break;
            }
        }
        if let Some((_, id)) = same_item {
            return Ok(NearLink {
                clustered: true,
                same_item: Some(id),
                ..NearLink::default()
            });
        }
        let mut link = NearLink {
            clustered: true,
            ..NearLink::default()
        };
        if let Some((s, mut c)) = best {
            let origin = tx
                .prepare_cached(
                    "SELECT d.cluster, f.url, f.site_url, a.url
                     FROM near_docs d JOIN articles a ON a.id = d.article_id
                     JOIN feeds f ON f.id = a.feed_id
                     WHERE d.article_id = ?1 AND d.feed_id = ?2",
                )?
                .query_row([c.id, c.feed_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            // None: an index row outliving its article (its id may have
            // gone to another article since); no link then.
            if let Some(origin) = origin {
                (c.cluster_id, c.feed_url, c.site_url, c.url) = origin;
                link.verdict = self.matcher.copied(article, &self.feed, &c, s);
                link.cluster_id = Some(c.cluster_id);
                link.duplicate_of = Some(c.id);
                link.similarity = Some(f64::from(s));
            }
        }
        Ok(link)
    }

    /// The articles under index `key` published in `lo..=hi`, newest
    /// first: the rows not written yet, then the table's through `stored`
    /// ([`CANDIDATES_SQL`]; at most [`CANDIDATES_PER_KEY`] of each), unless
    /// the key filter says the table has none.
    fn key_candidates(
        &self,
        stored: &mut rusqlite::Statement<'_>,
        key: i64,
        (lo, hi): (i64, i64),
    ) -> rusqlite::Result<Vec<NearCandidate>> {
        let mut found: Vec<NearCandidate> = self
            .pending
            .borrow()
            .candidates(key, lo, hi)
            .map(KeyRow::candidate)
            .collect();
        // Most keys of a new article have no rows: no query for those.
        if !self.pending.borrow().may_hold(key) {
            return Ok(found);
        }
        let rows = stored.query_map(params![key, lo, hi, CANDIDATES_PER_KEY], |r| {
            Ok(KeyRow {
                key,
                article_id: r.get(0)?,
                feed_id: r.get(1)?,
                published: r.get(4)?,
                simhash: r.get::<_, i64>(2)? as u64,
                words: r.get::<_, i64>(3)?.max(0) as u32,
            })
        })?;
        for row in rows {
            found.push(row?.candidate());
        }
        Ok(found)
    }

    /// Stores a new article's fingerprint and index keys, so later articles
    /// find it; `cluster` is its cluster's first article, `None` for itself.
    pub(super) fn index(
        &self,
        tx: &Connection,
        article: &Article,
        id: i64,
        cluster: Option<i64>,
    ) -> rusqlite::Result<()> {
        let Some(fp) = &article.near else {
            return Ok(());
        };
        let published = article.published.unwrap_or(self.now);
        tx.prepare_cached(
            "INSERT INTO near_docs
                (article_id, feed_id, cluster, published, simhash, words, shingles, lead, keyed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
        )?
        .execute(params![
            id,
            self.feed_id,
            cluster.unwrap_or(id),
            ts(published),
            fp.simhash as i64,
            fp.words,
            shingles_to_bytes(&fp.shingles),
            shingles_to_bytes(&fp.lead)
        ])?;
        let mut pending = self.pending.borrow_mut();
        for key in self.matcher.keys(fp) {
            pending.push(KeyRow {
                key,
                published: published.timestamp(),
                article_id: id,
                feed_id: self.feed_id,
                simhash: fp.simhash,
                words: fp.words,
            });
        }
        Ok(())
    }
}

/// Pending rows written at once, at most: about 8,000 long articles.
const FLUSH_ROWS: usize = 50_000;

/// How long a pending row may wait to be written. Other processes on the
/// same database (a `feedsieve poll` beside the daemon) only see written
/// rows, and a process that dies leaves its pending rows to be recomputed
/// by the next one.
const FLUSH_AGE: StdDuration = StdDuration::from_secs(60);

/// One `near_keys` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct KeyRow {
    key: i64,
    published: i64,
    article_id: i64,
    feed_id: i64,
    simhash: u64,
    words: u32,
}

impl KeyRow {
    /// The candidate this row offers: what the index holds of it, the rest
    /// read later if it is chosen.
    fn candidate(&self) -> NearCandidate {
        NearCandidate {
            id: self.article_id,
            feed_id: self.feed_id,
            published: self.published,
            cluster_id: 0,
            feed_url: String::new(),
            site_url: None,
            url: None,
            simhash: self.simhash,
            words: self.words,
            shingles: None,
        }
    }
}

/// A fingerprint stored without its index rows by a process that stopped
/// before writing them.
#[derive(Debug)]
struct Unkeyed {
    article_id: i64,
    feed_id: i64,
    published: i64,
    fingerprint: Fingerprint,
}

/// Index rows of new articles, kept on the database thread and written to
/// `near_keys` in batches sorted by key: written one at a time, each row
/// landed on a random page of the index and every commit rewrote a page
/// per row (most of the cost of clustering on ingest). Lookups read these
/// rows before the table's. The fingerprints themselves are written with
/// their articles (`near_docs.keyed` = 0 until their rows are), so nothing
/// is lost when the process dies: the next one recomputes the rows.
#[derive(Debug, Default)]
pub(crate) struct PendingKeys {
    rows: Vec<KeyRow>,
    /// The last row added under each key, as an index into `rows`.
    last: HashMap<i64, usize>,
    /// For each row, the row added before it under the same key: with
    /// `last`, a list per key, newest first, without an allocation per key.
    earlier: Vec<Option<usize>>,
    /// Left by an earlier process; keyed with the first matcher given.
    unkeyed: Vec<Unkeyed>,
    /// When the oldest pending row was added.
    since: Option<Instant>,
    /// Which keys may have rows, built at the first lookup.
    filter: Option<KeyFilter>,
}

impl PendingKeys {
    /// The fingerprints an earlier process stored without index rows.
    pub(crate) fn load(conn: &Connection) -> rusqlite::Result<PendingKeys> {
        let mut st = conn.prepare(
            "SELECT article_id, feed_id, published, simhash, words, lead
             FROM near_docs WHERE keyed = 0 ORDER BY article_id",
        )?;
        let unkeyed = st
            .query_map([], |r| {
                let published: String = r.get(2)?;
                let lead: Option<Vec<u8>> = r.get(5)?;
                Ok(Unkeyed {
                    article_id: r.get(0)?,
                    feed_id: r.get(1)?,
                    published: super::parse_ts(&published).map_or(0, |t| t.timestamp()),
                    fingerprint: Fingerprint {
                        simhash: r.get::<_, i64>(3)? as u64,
                        words: r.get::<_, i64>(4)?.max(0) as u32,
                        shingles: Vec::new(),
                        lead: shingles_from_bytes(&lead.unwrap_or_default()),
                    },
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(PendingKeys {
            unkeyed,
            ..PendingKeys::default()
        })
    }

    /// Computes the rows of fingerprints left unkeyed by an earlier
    /// process, now that a matcher says what the keys are.
    pub(crate) fn adopt(&mut self, matcher: &dyn NearMatcher) {
        for doc in std::mem::take(&mut self.unkeyed) {
            for key in matcher.keys(&doc.fingerprint) {
                self.push(KeyRow {
                    key,
                    published: doc.published,
                    article_id: doc.article_id,
                    feed_id: doc.feed_id,
                    simhash: doc.fingerprint.simhash,
                    words: doc.fingerprint.words,
                });
            }
        }
    }

    /// Makes the key filter ready for lookups in `conn`'s transaction:
    /// builds it when it is missing, too small, or another process has
    /// written index rows since (the filter would hide them). Called once
    /// the transaction holds the write lock, so no other process can write
    /// rows between this check and the lookups.
    pub(crate) fn refresh_filter(&mut self, conn: &Connection) {
        let stale = match &mut self.filter {
            None => true,
            Some(f) => f.outgrown() || f.written_elsewhere(conn),
        };
        if stale {
            self.filter = match KeyFilter::build(conn, self.rows.iter().map(|r| r.key)) {
                Ok(f) => Some(f),
                Err(e) => {
                    warn!(error = %e, "near-duplicate key filter not built; every key is looked up");
                    None
                }
            };
        }
    }

    /// Whether the table may hold rows under `key` (always, without a
    /// filter).
    fn may_hold(&self, key: i64) -> bool {
        self.filter.as_ref().is_none_or(|f| f.may_contain(key))
    }

    fn push(&mut self, row: KeyRow) {
        if let Some(f) = &mut self.filter {
            f.insert(row.key);
        }
        self.earlier
            .push(self.last.insert(row.key, self.rows.len()));
        self.rows.push(row);
        self.since.get_or_insert_with(Instant::now);
    }

    /// How many rows are pending: a mark to [`PendingKeys::truncate`] to.
    pub(crate) fn mark(&self) -> usize {
        self.rows.len()
    }

    /// Drops the rows added since `mark` (their articles were rolled back).
    pub(crate) fn truncate(&mut self, mark: usize) {
        if mark >= self.rows.len() {
            return;
        }
        self.rows.truncate(mark);
        self.reindex();
    }

    /// Starts again from what the database holds, after a transaction
    /// that added rows failed: every fingerprint without written rows is
    /// unkeyed there, whatever this process held in memory.
    pub(crate) fn reload(&mut self, conn: &Connection) {
        match PendingKeys::load(conn) {
            Ok(fresh) => *self = fresh,
            Err(e) => warn!(error = %e, "near-duplicate index rows not reloaded"),
        }
    }

    /// Drops the rows of a removed feed.
    pub(crate) fn forget_feed(&mut self, feed_id: i64) {
        self.rows.retain(|r| r.feed_id != feed_id);
        self.unkeyed.retain(|d| d.feed_id != feed_id);
        self.reindex();
    }

    /// Keeps the pending rows and unkeyed fingerprints of the articles
    /// `keep` accepts (by id).
    pub(super) fn retain(&mut self, keep: impl Fn(i64) -> bool) {
        self.rows.retain(|r| keep(r.article_id));
        self.unkeyed.retain(|d| keep(d.article_id));
        self.reindex();
    }

    fn reindex(&mut self) {
        self.last.clear();
        self.earlier.clear();
        for (i, row) in self.rows.iter().enumerate() {
            self.earlier.push(self.last.insert(row.key, i));
        }
        if self.rows.is_empty() {
            self.since = None;
        }
    }

    /// The pending rows under `key` published in `lo..=hi`, newest
    /// added first, at most [`CANDIDATES_PER_KEY`].
    fn candidates(&self, key: i64, lo: i64, hi: i64) -> impl Iterator<Item = &KeyRow> {
        std::iter::successors(self.last.get(&key).copied(), |&i| self.earlier[i])
            .map(|i| &self.rows[i])
            .filter(move |r| (lo..=hi).contains(&r.published))
            .take(CANDIDATES_PER_KEY as usize)
    }

    /// Writes the pending rows when there are many or they have waited
    /// [`FLUSH_AGE`].
    pub(crate) fn flush_when_due(&mut self, conn: &mut Connection) {
        let due =
            self.rows.len() >= FLUSH_ROWS || self.since.is_some_and(|t| t.elapsed() >= FLUSH_AGE);
        if due {
            self.flush(conn);
        }
    }

    /// Writes every pending row in one transaction, sorted by key so each
    /// page of the index is written once, and marks their fingerprints
    /// keyed. On failure they stay pending (and are logged).
    pub(crate) fn flush(&mut self, conn: &mut Connection) {
        if self.rows.is_empty() {
            return;
        }
        match write_rows(conn, &self.rows) {
            Ok(()) => {
                if let Some(f) = &mut self.filter {
                    f.seen_own_write(conn);
                }
                self.rows.clear();
                self.last.clear();
                self.earlier.clear();
                self.since = None;
            }
            Err(e) => {
                warn!(rows = self.rows.len(), error = %e, "near-duplicate index rows not written yet")
            }
        }
    }
}

/// Filter bits per key, at least: with two probes, about 1.4% of absent
/// keys pass when a filter is that full (it is sized for twice its keys,
/// rounded up to a power of two, so usually fewer).
const FILTER_BITS_PER_KEY: usize = 12;

/// The smallest filter, in bits (16 KiB).
const FILTER_MIN_BITS: usize = 1 << 17;

/// The largest filter, in bits (16 MiB, reached at some 2.8 million index
/// rows, about 470,000 long articles): past some 11 million rows it fills
/// up and lets more absent keys through, which costs queries, never a
/// missed candidate.
const FILTER_MAX_BITS: usize = 1 << 27;

/// A Bloom filter of the keys in `near_keys` and pending: a key it has
/// never seen has no rows, so its lookup is skipped (most keys of a new
/// article; at a million articles every 16-bit SimHash band has rows, but
/// lead shingles still mostly do not). Keys of deleted rows stay set,
/// which only costs a query. Rows another process writes are not in it:
/// when `near_generation`, which every write of index rows bumps, has
/// moved on without this process, it is built again from the table.
#[derive(Debug)]
struct KeyFilter {
    bits: Vec<u64>,
    /// Keys set, for growing.
    keys: usize,
    /// `PRAGMA data_version` when last checked: unchanged, no other
    /// connection has committed, and the generation need not be read.
    data_version: i64,
    /// `near_generation.n` as of the rows the filter holds.
    generation: i64,
}

impl KeyFilter {
    /// A filter of every key in `near_keys` and of `pending`.
    fn build(conn: &Connection, pending: impl Iterator<Item = i64>) -> rusqlite::Result<KeyFilter> {
        let (data_version, generation) = (data_version(conn)?, generation(conn)?);
        let rows: i64 = conn.query_row("SELECT COUNT(*) FROM near_keys", [], |r| r.get(0))?;
        let pending: Vec<i64> = pending.collect();
        let want = (rows.max(0) as usize + pending.len()) * 2 * FILTER_BITS_PER_KEY;
        let len = want
            .next_power_of_two()
            .clamp(FILTER_MIN_BITS, FILTER_MAX_BITS);
        let mut filter = KeyFilter {
            bits: vec![0; len / 64],
            keys: 0,
            data_version,
            generation,
        };
        let mut st = conn.prepare("SELECT key FROM near_keys")?;
        let mut keys = st.query([])?;
        while let Some(row) = keys.next()? {
            filter.insert(row.get(0)?);
        }
        for key in pending {
            filter.insert(key);
        }
        Ok(filter)
    }

    /// The two bit positions of `key`.
    fn probes(&self, key: i64) -> [usize; 2] {
        let h = crate::dedup::near::mix(key as u64);
        let mask = (self.bits.len() * 64 - 1) as u64;
        [(h & mask) as usize, ((h >> 32) & mask) as usize]
    }

    fn insert(&mut self, key: i64) {
        for bit in self.probes(key) {
            self.bits[bit / 64] |= 1 << (bit % 64);
        }
        self.keys += 1;
    }

    fn may_contain(&self, key: i64) -> bool {
        self.probes(key)
            .iter()
            .all(|bit| self.bits[bit / 64] & (1 << (bit % 64)) != 0)
    }

    /// Holding more keys than it was sized for, and allowed to grow.
    fn outgrown(&self) -> bool {
        let len = self.bits.len() * 64;
        len < FILTER_MAX_BITS && self.keys * FILTER_BITS_PER_KEY > len
    }

    /// Whether another process has written index rows it does not hold
    /// (or the check failed: then build again to be safe). Only a commit
    /// by another connection can have, so the generation is read only
    /// when `PRAGMA data_version` has moved.
    fn written_elsewhere(&mut self, conn: &Connection) -> bool {
        let Ok(version) = data_version(conn) else {
            return true;
        };
        if version == self.data_version {
            return false;
        }
        self.data_version = version;
        generation(conn).ok() != Some(self.generation)
    }

    /// Takes in this process's own write of index rows (whose keys it
    /// holds), which bumped the generation.
    fn seen_own_write(&mut self, conn: &Connection) {
        match generation(conn) {
            Ok(n) if n == self.generation + 1 => self.generation = n,
            // Someone else wrote too: build again at the next lookup.
            _ => {
                self.generation = -1;
                self.data_version = i64::MIN;
            }
        }
    }
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

fn generation(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT n FROM near_generation", [], |r| r.get(0))
}

/// Rows per multi-row `INSERT` in [`write_rows`]: one statement per row
/// cost more than the B-tree insert itself.
const ROWS_PER_STATEMENT: usize = 100;

/// `INSERT OR IGNORE` of `n` index rows in one statement.
fn insert_rows_sql(n: usize) -> String {
    let values = vec!["(?, ?, ?, ?, ?, ?)"; n].join(", ");
    format!(
        "INSERT OR IGNORE INTO near_keys (key, published, article_id, feed_id, simhash, words)
         VALUES {values}"
    )
}

/// Splits `items` into full chunks of [`ROWS_PER_STATEMENT`] and single
/// items, so that statements come in two shapes only and both stay in the
/// statement cache.
fn statement_chunks<T>(items: &[T]) -> impl Iterator<Item = &[T]> {
    let full = items.chunks_exact(ROWS_PER_STATEMENT);
    let rest = full.remainder().chunks(1);
    full.chain(rest)
}

fn write_rows(conn: &mut Connection, rows: &[KeyRow]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Fingerprints first: an article another process deleted meanwhile
    // (`feeds remove`) has none left, and its rows are dropped. Its id may
    // already belong to a new article (ids of deleted rows are reused), so
    // a fingerprint counts only with its feed and time: another's is left
    // unkeyed for the process that stored it.
    let mut docs: Vec<(i64, i64, i64)> = rows
        .iter()
        .map(|r| (r.article_id, r.feed_id, r.published))
        .collect();
    docs.sort_unstable();
    docs.dedup();
    let mut mark = tx.prepare_cached(
        "UPDATE near_docs SET keyed = 1
         WHERE article_id = ?1 AND feed_id = ?2 AND unixepoch(published) = ?3 AND keyed = 0",
    )?;
    let mut live: HashSet<(i64, i64, i64)> = HashSet::with_capacity(docs.len());
    for doc in docs {
        if mark.execute(params![doc.0, doc.1, doc.2])? == 1 {
            live.insert(doc);
        }
    }
    drop(mark);
    let mut sorted: Vec<&KeyRow> = rows
        .iter()
        .filter(|r| live.contains(&(r.article_id, r.feed_id, r.published)))
        .collect();
    sorted.sort_unstable();
    for chunk in statement_chunks(&sorted) {
        let mut st = tx.prepare_cached(&insert_rows_sql(chunk.len()))?;
        let values = chunk.iter().flat_map(|r| {
            [
                r.key,
                r.published,
                r.article_id,
                r.feed_id,
                r.simhash as i64,
                i64::from(r.words),
            ]
        });
        st.execute(rusqlite::params_from_iter(values))?;
    }
    tx.execute("UPDATE near_generation SET n = n + 1", [])?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_filter_keeps_every_key_and_passes_few_others() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE near_keys (key INTEGER, published INTEGER, article_id INTEGER,
                 feed_id INTEGER, simhash INTEGER, words INTEGER);
             CREATE TABLE near_generation (n INTEGER NOT NULL);
             INSERT INTO near_generation VALUES (0);",
        )
        .unwrap();
        let mut insert = conn
            .prepare("INSERT INTO near_keys VALUES (?1, 0, 0, 0, 0, 0)")
            .unwrap();
        // Keys shaped as the index makes them: band or lead tag, then bits.
        let key = |i: i64| ((i % 5) << 32) | (i * 7919);
        for i in 0..10_000 {
            insert.execute([key(i)]).unwrap();
        }
        let mut filter = KeyFilter::build(&conn, (10_000..12_000).map(key)).unwrap();
        assert!((0..12_000).all(|i| filter.may_contain(key(i))));
        let passed = (0..20_000)
            .map(|i| key(i) + 1)
            .filter(|k| filter.may_contain(*k))
            .count();
        assert!(passed < 20_000 / 50, "{passed} of 20000 absent keys passed");
        assert!(!filter.outgrown());
        for i in 12_000..60_000 {
            filter.insert(key(i));
        }
        assert!((0..60_000).all(|i| filter.may_contain(key(i))));
        assert!(filter.outgrown(), "sized for 12,000 keys, holding 60,000");
    }

    #[test]
    fn the_key_filter_is_built_again_only_after_index_rows_written_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut ours = Connection::open(&path).unwrap();
        crate::store::schema::migrate(&mut ours).unwrap();
        let theirs = Connection::open(&path).unwrap();
        let mut filter = KeyFilter::build(&ours, std::iter::empty()).unwrap();
        assert!(!filter.written_elsewhere(&ours));
        // Another process commits something else: nothing to rebuild.
        theirs
            .execute_batch(
                "INSERT INTO feeds (url, added_url, next_check_at, created_at)
                 VALUES ('https://x.example/', 'https://x.example/', '2026-01-01T00:00:00Z',
                         '2026-01-01T00:00:00Z')",
            )
            .unwrap();
        assert!(!filter.written_elsewhere(&ours));
        // This process writes index rows: still its own.
        filter.insert(7);
        ours.execute("UPDATE near_generation SET n = n + 1", [])
            .unwrap();
        filter.seen_own_write(&ours);
        assert!(!filter.written_elsewhere(&ours));
        // Another process writes index rows: build again.
        theirs
            .execute_batch(
                "INSERT INTO near_keys VALUES (9, 0, 2, 1, 0, 0);
                 UPDATE near_generation SET n = n + 1;",
            )
            .unwrap();
        assert!(filter.written_elsewhere(&ours));
        let rebuilt = KeyFilter::build(&ours, std::iter::empty()).unwrap();
        assert!(rebuilt.may_contain(9));
    }
}
