//! The near-duplicate index and the cluster links between articles.
//!
//! The store keeps `near_index` (one row per index key of an article,
//! with its publication time) and each article's `cluster_id`,
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
use rusqlite::{Connection, params};
use std::sync::Arc;

/// An earlier article that shares an index key with a new one. Its feed
/// and URL are read only for the one chosen, before
/// [`NearMatcher::copied`].
#[derive(Debug, Clone)]
pub struct NearCandidate {
    pub id: i64,
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
    /// The earlier article `article` would be linked to, and how similar
    /// it is, without storing anything: what `record_poll` would decide.
    /// For diagnostics and the lookup benchmark (`benches/near.rs`).
    pub async fn find_near(
        &self,
        article: Article,
        feed_url: String,
        matcher: NearHandle,
    ) -> Result<Option<(i64, f64)>, super::StoreError> {
        self.call(move |c| {
            let feed = NearFeed {
                feed_url: &feed_url,
                site_url: None,
                rights: None,
                title: None,
            };
            let found = link(c, matcher.0.as_ref(), &feed, &article, Utc::now())?;
            Ok(found.duplicate_of.zip(found.similarity))
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

/// A similarity that ends the search for a better candidate.
const GOOD_ENOUGH: f32 = 0.95;

/// Candidates whose shingles are read and compared, at most, per new
/// article.
const SHINGLES_PER_ARTICLE: usize = 16;

/// Decides, before a new article is inserted, which earlier article in the
/// window it is a near-duplicate of (the most similar; the first found at
/// [`GOOD_ENOUGH`]), and its verdict if that copy came from another host.
pub(super) fn link(
    tx: &Connection,
    matcher: &dyn NearMatcher,
    feed: &NearFeed<'_>,
    article: &Article,
    now: DateTime<Utc>,
) -> rusqlite::Result<NearLink> {
    let Some(fp) = &article.near else {
        return Ok(NearLink {
            clustered: true,
            ..NearLink::default()
        });
    };
    // One query per key: the primary key (key, published) serves each in
    // order and stops at the limit, where one query over all keys must
    // gather and sort every row of a crowded key first.
    let mut candidates = tx.prepare_cached(
        "SELECT d.article_id, d.cluster, d.simhash, d.words
         FROM near_index n JOIN near_docs d ON d.article_id = n.article_id
         WHERE n.key = ?1 AND n.published BETWEEN ?2 AND ?3
         ORDER BY n.published DESC LIMIT ?4",
    )?;
    let mut stored_shingles =
        tx.prepare_cached("SELECT shingles FROM near_docs WHERE article_id = ?1")?;
    let published = article.published.unwrap_or(now);
    let window = matcher.window();
    let mut best: Option<(f32, NearCandidate)> = None;
    let mut seen = std::collections::HashSet::new();
    let mut shingles_read = 0;
    'keys: for key in matcher.keys(fp) {
        let rows = candidates.query_map(
            params![
                key,
                ts(published - window),
                ts(published + window),
                CANDIDATES_PER_KEY
            ],
            |r| {
                Ok(NearCandidate {
                    id: r.get(0)?,
                    cluster_id: r.get(1)?,
                    feed_url: String::new(),
                    site_url: None,
                    url: None,
                    simhash: r.get::<_, i64>(2)? as u64,
                    words: r.get::<_, i64>(3)?.max(0) as u32,
                    shingles: None,
                })
            },
        )?;
        for candidate in rows {
            let mut candidate = candidate?;
            if !seen.insert(candidate.id) {
                continue;
            }
            if matcher.needs_shingles(article, &candidate) {
                if shingles_read == SHINGLES_PER_ARTICLE {
                    continue;
                }
                shingles_read += 1;
                let bytes: Vec<u8> = stored_shingles.query_row([candidate.id], |r| r.get(0))?;
                candidate.shingles = Some(shingles_from_bytes(&bytes));
            }
            let Some(s) = matcher.similarity(article, &candidate) else {
                continue;
            };
            let better = best
                .as_ref()
                .is_none_or(|(bs, bc)| s > *bs || (s == *bs && candidate.id < bc.id));
            if better {
                best = Some((s, candidate));
            }
            // As good as a match gets: a flood of near-identical items must
            // not cost a full scan each.
            if s >= GOOD_ENOUGH {
                break 'keys;
            }
        }
    }
    let mut verdict = None;
    if let Some((s, c)) = best.as_mut() {
        let mut origin = tx.prepare_cached(
            "SELECT f.url, f.site_url, a.url FROM articles a JOIN feeds f ON f.id = a.feed_id
             WHERE a.id = ?1",
        )?;
        (c.feed_url, c.site_url, c.url) =
            origin.query_row([c.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        verdict = matcher.copied(article, feed, c, *s);
    }
    Ok(NearLink {
        clustered: true,
        cluster_id: best.as_ref().map(|(_, c)| c.cluster_id),
        duplicate_of: best.as_ref().map(|(_, c)| c.id),
        similarity: best.as_ref().map(|(s, _)| f64::from(*s)),
        verdict,
    })
}

/// Stores a new article's fingerprint and index keys, so later articles
/// find it; `cluster` is its cluster's first article, `None` for itself.
pub(super) fn index(
    tx: &Connection,
    matcher: &dyn NearMatcher,
    feed_id: i64,
    article: &Article,
    id: i64,
    cluster: Option<i64>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let Some(fp) = &article.near else {
        return Ok(());
    };
    let published = ts(article.published.unwrap_or(now));
    tx.prepare_cached(
        "INSERT INTO near_docs (article_id, feed_id, cluster, published, simhash, words, shingles)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id,
        feed_id,
        cluster.unwrap_or(id),
        published,
        fp.simhash as i64,
        fp.words,
        shingles_to_bytes(&fp.shingles)
    ])?;
    let keys = serde_json::to_string(&matcher.keys(fp)).unwrap_or_else(|_| "[]".into());
    tx.prepare_cached(
        "INSERT OR IGNORE INTO near_index (key, article_id, published)
         SELECT value, ?2, ?3 FROM json_each(?1)",
    )?
    .execute(params![keys, id, published])?;
    Ok(())
}
