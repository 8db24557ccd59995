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

use super::articles::NearLink;
use super::ts;
use crate::dedup::near::{shingles_from_bytes, shingles_to_bytes};
use crate::model::{Article, Fingerprint, Syndication};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashSet;
use std::sync::Arc;

/// An earlier article that shares an index key with a new one. Its feed
/// and URL are read only for the one chosen, before
/// [`NearMatcher::copied`].
#[derive(Debug, Clone)]
pub struct NearCandidate {
    pub id: i64,
    pub feed_id: i64,
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
        self.call(move |c| {
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
            };
            // One read transaction, as `record_poll` has.
            let tx = c.transaction()?;
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
        // One query per key: the primary key (key, published) serves each
        // in order and stops at the limit, and the rows carry what the
        // SimHash test needs, so a chance collision costs no other read.
        let mut candidates = tx.prepare_cached(
            "SELECT article_id, feed_id, simhash, words FROM near_keys
             WHERE key = ?1 AND published BETWEEN ?2 AND ?3
             ORDER BY published DESC LIMIT ?4",
        )?;
        let mut stored_shingles =
            tx.prepare_cached("SELECT shingles FROM near_docs WHERE article_id = ?1")?;
        let mut stored_key = tx.prepare_cached("SELECT item_key FROM articles WHERE id = ?1")?;
        let published = article.published.unwrap_or(self.now).timestamp();
        let window = self.matcher.window().num_seconds();
        let mut best: Option<(f32, NearCandidate)> = None;
        let mut same_item: Option<(f32, i64)> = None;
        let mut seen = HashSet::new();
        let (mut shingles_read, mut listed_checks) = (0, 0);
        for key in self.matcher.keys(fp) {
            let mut rows = candidates.query(params![
                key,
                published - window,
                published + window,
                CANDIDATES_PER_KEY
            ])?;
            let mut done = false;
            while let Some(r) = rows.next()? {
                let mut candidate = NearCandidate {
                    id: r.get(0)?,
                    feed_id: r.get(1)?,
                    cluster_id: 0,
                    feed_url: String::new(),
                    site_url: None,
                    url: None,
                    simhash: r.get::<_, i64>(2)? as u64,
                    words: r.get::<_, i64>(3)?.max(0) as u32,
                    shingles: None,
                };
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
                    && same_item.is_none_or(|(bs, _)| s > bs)
                    && listed_checks < LISTED_CHECKS
                {
                    listed_checks += 1;
                    let key: Option<String> = stored_key
                        .query_row([candidate.id], |r| r.get(0))
                        .optional()?;
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
            // The rest of a key that found a near-copy is still read: the
            // same item under its old key may sit beside copies from other
            // feeds, and it must win over them.
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
                     WHERE d.article_id = ?1",
                )?
                .query_row([c.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?;
            // None: an index row outliving its article; no link then.
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
            "INSERT INTO near_docs (article_id, feed_id, cluster, published, simhash, words, shingles)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            id,
            self.feed_id,
            cluster.unwrap_or(id),
            ts(published),
            fp.simhash as i64,
            fp.words,
            shingles_to_bytes(&fp.shingles)
        ])?;
        let mut key_row = tx.prepare_cached(
            "INSERT OR IGNORE INTO near_keys (key, published, article_id, feed_id, simhash, words)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for key in self.matcher.keys(fp) {
            key_row.execute(params![
                key,
                published.timestamp(),
                id,
                self.feed_id,
                fp.simhash as i64,
                fp.words
            ])?;
        }
        Ok(())
    }
}
