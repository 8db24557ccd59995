//! The near-duplicate index and the cluster links between articles.
//!
//! The store keeps `near_index` (one row per index key of an article,
//! with its publication time) and each article's `cluster_id`,
//! `duplicate_of` and `similarity`; which articles are near-duplicates is
//! decided by a [`NearMatcher`] the caller hands in, so no matching rule
//! lives here. Linking runs inside `record_poll`'s transaction on the
//! single writer thread: two feeds carrying the same story at the same
//! moment still end up in one cluster.

use super::ts;
use crate::model::{Article, Fingerprint, Syndication};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, params};
use std::sync::Arc;

/// An earlier article that shares an index key with a new one.
#[derive(Debug, Clone)]
pub struct NearCandidate {
    pub id: i64,
    pub cluster_id: i64,
    pub feed_url: String,
    pub site_url: Option<String>,
    pub url: Option<String>,
    pub simhash: u64,
    pub words: u32,
    /// The body (text, else summary), read only when the matcher needs it
    /// ([`NearMatcher::needs_body`]).
    pub body: Option<String>,
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
    /// Whether [`NearMatcher::similarity`] needs the candidate's body.
    fn needs_body(&self, article: &Article, candidate: &NearCandidate) -> bool;
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
                "SELECT a.cluster_id, COUNT(*),
                    MIN(COALESCE(a.published, a.first_seen)), MAX(COALESCE(a.published, a.first_seen)),
                    (SELECT r.title FROM articles r WHERE r.id = a.cluster_id),
                    json_group_array(DISTINCT COALESCE(f.site_url, f.url))
                 FROM articles a JOIN feeds f ON f.id = a.feed_id
                 WHERE a.cluster_id IS NOT NULL
                   AND (?1 IS NULL OR COALESCE(a.published, a.first_seen) >= ?1)
                 GROUP BY a.cluster_id HAVING COUNT(*) >= ?2
                 ORDER BY MAX(COALESCE(a.published, a.first_seen)) DESC, a.cluster_id DESC
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
                 FROM articles a JOIN feeds f ON f.id = a.feed_id
                 WHERE a.cluster_id = ?1 ORDER BY a.id LIMIT ?2",
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

/// Candidates whose bodies are read and compared shingle by shingle, at
/// most, per new article.
const BODIES_PER_ARTICLE: usize = 16;

/// Links each newly inserted article to the best earlier near-duplicate in
/// the window, or makes it the root of its own cluster, and indexes it.
pub(super) fn link_new(
    tx: &Connection,
    matcher: &dyn NearMatcher,
    feed: &NearFeed<'_>,
    inserted: &[(&Article, i64)],
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let mut candidates = tx.prepare_cached(
        "SELECT a.id, COALESCE(a.cluster_id, a.id), f.url, f.site_url, a.url, a.simhash, a.words
         FROM near_index n JOIN articles a ON a.id = n.article_id JOIN feeds f ON f.id = a.feed_id
         WHERE n.key = ?1 AND n.published BETWEEN ?2 AND ?3 AND n.article_id <> ?4
         ORDER BY n.published DESC LIMIT ?5",
    )?;
    let mut body =
        tx.prepare_cached("SELECT COALESCE(text, summary) FROM articles WHERE id = ?1")?;
    let mut index = tx.prepare_cached(
        "INSERT INTO near_index (key, article_id, published) VALUES (?1, ?2, ?3)",
    )?;
    let mut link = tx.prepare_cached(
        "UPDATE articles SET simhash = ?2, words = ?3, cluster_id = ?4, duplicate_of = ?5,
            similarity = ?6 WHERE id = ?1",
    )?;
    let mut reflag = tx.prepare_cached(
        "UPDATE articles SET syndicated = ?2, syndication_score = ?3, syndication_reasons = ?4,
            syndication_source = ?5 WHERE id = ?1",
    )?;
    let window = matcher.window();
    for (article, id) in inserted {
        let Some(fp) = &article.near else {
            link.execute(params![
                id,
                None::<i64>,
                None::<i64>,
                id,
                None::<i64>,
                None::<f64>
            ])?;
            continue;
        };
        let published = article.published.unwrap_or(now);
        let keys = matcher.keys(fp);
        let mut best: Option<(f32, NearCandidate)> = None;
        let mut seen = std::collections::HashSet::new();
        let mut bodies_read = 0;
        'keys: for key in &keys {
            let rows = candidates.query_map(
                params![
                    key,
                    ts(published - window),
                    ts(published + window),
                    id,
                    CANDIDATES_PER_KEY
                ],
                |r| {
                    Ok(NearCandidate {
                        id: r.get(0)?,
                        cluster_id: r.get(1)?,
                        feed_url: r.get(2)?,
                        site_url: r.get(3)?,
                        url: r.get(4)?,
                        simhash: r.get::<_, Option<i64>>(5)?.unwrap_or(0) as u64,
                        words: r.get::<_, Option<i64>>(6)?.unwrap_or(0).max(0) as u32,
                        body: None,
                    })
                },
            )?;
            for candidate in rows {
                let mut candidate = candidate?;
                if !seen.insert(candidate.id) {
                    continue;
                }
                if matcher.needs_body(article, &candidate) {
                    if bodies_read == BODIES_PER_ARTICLE {
                        continue;
                    }
                    bodies_read += 1;
                    candidate.body = body.query_row([candidate.id], |r| r.get(0))?;
                }
                if let Some(s) = matcher.similarity(article, &candidate) {
                    let better = best
                        .as_ref()
                        .is_none_or(|(bs, bc)| s > *bs || (s == *bs && candidate.id < bc.id));
                    if better {
                        best = Some((s, candidate));
                    }
                    // As good as a match gets: a flood of near-identical
                    // items must not cost a full scan each.
                    if s >= GOOD_ENOUGH {
                        break 'keys;
                    }
                }
            }
        }
        let (cluster, duplicate_of, similarity) = match &best {
            Some((s, c)) => (c.cluster_id, Some(c.id), Some(f64::from(*s))),
            None => (*id, None, None),
        };
        link.execute(params![
            id,
            fp.simhash as i64,
            fp.words,
            cluster,
            duplicate_of,
            similarity
        ])?;
        if let Some((s, c)) = &best
            && let Some(v) = matcher.copied(article, feed, c, *s)
        {
            reflag.execute(params![
                id,
                v.syndicated,
                f64::from(v.score),
                super::articles::reasons_json(&v.reasons),
                v.source
            ])?;
        }
        let published = ts(published);
        for key in keys {
            index.execute(params![key, id, published])?;
        }
    }
    Ok(())
}
