//! Article rows: the upsert that implements exact dedup within a feed, and
//! the queries behind `feedsieve articles`.
//!
//! Identity is `(feed_id, item_key)` under a UNIQUE constraint; `dedup`
//! decides the key. An insert that hits an existing key changes nothing
//! unless the content hash differs, in which case the row is edited in
//! place. Items that drop out of a feed are never deleted here; an item
//! retention deleted (it has a tombstone) is skipped.

use super::near::Linking;
use super::retention::Tombstones;
use super::{Store, StoreError, ts};
use crate::dedup::{KnownItem, KnownKeys};
use crate::model::{Article, Enclosure, FeedId, Reason, Syndication};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};
use serde::Serialize;
use std::collections::BTreeSet;

/// Counts from one batch upsert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertCounts {
    pub seen: u64,
    pub new: u64,
    pub updated: u64,
    /// New articles flagged as syndicated copy (for `/metrics`; the fetch
    /// log and `poll` output keep their three counts).
    #[serde(skip)]
    pub syndicated: u64,
    /// New articles linked to an earlier article as its near-duplicate.
    #[serde(skip)]
    pub near_duplicate: u64,
}

/// The columns an edit writes, numbered as [`upsert_articles`] binds them.
macro_rules! edited_columns {
    () => {
        "guid = ?3, url = ?4, title = ?5, authors = ?6, categories = ?7,
            published = ?8, published_raw = ?9,
            updated = CASE WHEN ?10 IS NOT NULL AND (updated IS NULL OR ?10 > updated) THEN ?10 ELSE ?18 END,
            updated_raw = ?11, summary = ?12, content_html = ?13, text = ?14, language = ?15,
            enclosures = ?16, content_hash = ?17, last_seen = ?18, furniture_lines = ?19,
            syndicated = ?20, syndication_score = ?21, syndication_reasons = ?22,
            syndication_source = ?23"
    };
}

/// Inserts new articles, edits changed ones and touches `last_seen` on the
/// rest, inside the caller's transaction. With `linking`, each article that
/// is not stored yet is first linked to its near-duplicates and written
/// with the link in the same INSERT (a second write of a fresh row would
/// cost as much as the first), then indexed, so the next article of the
/// same document finds it; when linking finds it is a stored item of this
/// feed under a key that changed, that row takes the new key and the new
/// content instead.
pub(super) fn upsert_articles(
    tx: &Connection,
    feed_id: FeedId,
    articles: &[Article],
    now: DateTime<Utc>,
    linking: Option<&Linking<'_>>,
) -> rusqlite::Result<UpsertCounts> {
    let now_s = ts(now);
    let mut insert = tx.prepare_cached(
        "INSERT INTO articles (feed_id, item_key, guid, url, title, authors, categories,
            published, published_raw, updated, updated_raw, summary, content_html, text,
            language, enclosures, content_hash, first_seen, last_seen, furniture_lines,
            syndicated, syndication_score, syndication_reasons, syndication_source,
            clustered, cluster_id, duplicate_of, similarity)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18,
            ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)
         ON CONFLICT(feed_id, item_key) DO NOTHING",
    )?;
    let mut exists =
        tx.prepare_cached("SELECT 1 FROM articles WHERE feed_id = ?1 AND item_key = ?2")?;
    // An edit keeps first_seen; `updated` takes the feed's own date when it
    // moved forward, else the time we noticed the change, because many feeds
    // edit items without touching their date.
    let mut edit = tx.prepare_cached(concat!(
        "UPDATE articles SET ",
        edited_columns!(),
        " WHERE feed_id = ?1 AND item_key = ?2 AND content_hash <> ?17"
    ))?;
    // The same edit of a row found by near-duplicate linking, which also
    // takes the item's new key.
    let mut rekey = tx.prepare_cached(concat!(
        "UPDATE articles SET item_key = ?2, ",
        edited_columns!(),
        " WHERE id = ?24 AND feed_id = ?1"
    ))?;
    let mut touch = tx.prepare_cached(
        "UPDATE articles SET last_seen = ?3 WHERE feed_id = ?1 AND item_key = ?2",
    )?;
    // An item the poll left unflagged as unchanged: if it changed since
    // (another process wrote it), nothing is written and the next poll
    // flags it.
    let mut touch_same = tx.prepare_cached(
        "UPDATE articles SET last_seen = ?3
         WHERE feed_id = ?1 AND item_key = ?2 AND content_hash = ?4",
    )?;
    let mut tombstones = Tombstones::of(tx, feed_id)?;
    let mut counts = UpsertCounts::default();
    for a in articles {
        counts.seen += 1;
        // Deleted by retention while the feed still lists it: not new.
        if tombstones.listed(&a.item_key, &now_s)? {
            continue;
        }
        if a.unflagged {
            touch_same.execute(params![feed_id.0, a.item_key, now_s, a.content_hash])?;
            continue;
        }
        let authors = json_list(&a.authors);
        let categories = json_list(&a.categories);
        let enclosures = serde_json::to_string(&a.enclosures).unwrap_or_else(|_| "[]".to_string());
        let near = match linking {
            Some(l) if !exists.exists(params![feed_id.0, a.item_key])? => l.link(tx, a)?,
            _ => NearLink::default(),
        };
        let s = near.verdict.as_ref().unwrap_or(&a.syndication);
        let reasons = reasons_json(&s.reasons);
        let p = params![
            feed_id.0,
            a.item_key,
            a.guid,
            a.url,
            a.title,
            authors,
            categories,
            a.published.map(ts),
            a.published_raw,
            a.updated.map(ts),
            a.updated_raw,
            a.summary,
            a.content_html,
            a.text,
            a.language,
            enclosures,
            a.content_hash,
            now_s,
            a.furniture_lines,
            s.syndicated,
            f64::from(s.score),
            reasons,
            s.source,
            near.clustered,
            near.cluster_id,
            near.duplicate_of,
            near.similarity,
        ];
        if let Some(id) = near.same_item {
            let mut edited = p[..23].to_vec();
            edited.push(&id);
            rekey.execute(edited.as_slice())?;
            counts.updated += 1;
        } else if insert.execute(p)? == 1 {
            counts.new += 1;
            counts.syndicated += u64::from(s.syndicated);
            counts.near_duplicate += u64::from(near.duplicate_of.is_some());
            if let Some(l) = linking {
                l.index(tx, a, tx.last_insert_rowid(), near.cluster_id)?;
            }
        // The edit takes the article's own columns, ?1 to ?23; links are
        // made once, at insert.
        } else if edit.execute(&p[..23])? == 1 {
            counts.updated += 1;
        } else {
            touch.execute(params![feed_id.0, a.item_key, now_s])?;
        }
    }
    Ok(counts)
}

/// What near-duplicate linking decided for a new article, written with it.
#[derive(Debug, Default)]
pub(super) struct NearLink {
    /// It went through linking (articles stored with clustering off did not).
    pub clustered: bool,
    /// The cluster's first article; NULL when this article is the first.
    pub cluster_id: Option<i64>,
    pub duplicate_of: Option<i64>,
    pub similarity: Option<f64>,
    /// The verdict with `cross_source_copy` added, when it changed.
    pub verdict: Option<Syndication>,
    /// A stored article of the same feed this one is, under a new key.
    pub same_item: Option<i64>,
}

pub(super) fn reasons_json(reasons: &[Reason]) -> String {
    serde_json::to_string(reasons).unwrap_or_else(|_| "[]".to_string())
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_string())
}

/// An article as read back, with its feed's URL. Field names are the
/// stable keys of `articles --format json/jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredArticle {
    pub id: i64,
    pub feed_id: i64,
    pub feed_url: String,
    pub guid: Option<String>,
    pub item_key: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub published: Option<String>,
    pub published_raw: Option<String>,
    pub updated: Option<String>,
    pub updated_raw: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub summary: Option<String>,
    pub text: Option<String>,
    pub content_html: Option<String>,
    pub language: Option<String>,
    pub enclosures: Vec<Enclosure>,
    pub content_hash: String,
    pub syndicated: bool,
    pub syndication_score: f64,
    /// Reason codes, strongest first.
    pub syndication_reasons: Vec<String>,
    pub syndication_source: Option<String>,
    /// The id of the first article of its near-duplicate cluster (its own
    /// id when it is the first); null when it was stored unlinked.
    pub cluster_id: Option<i64>,
    /// The earlier article it is a near-duplicate of.
    pub duplicate_of: Option<i64>,
    /// How similar it is to `duplicate_of` (1.0: identical).
    #[serde(skip)]
    pub similarity: Option<f64>,
    /// Furniture lines removed from `text` (for reclassifying).
    #[serde(skip)]
    pub furniture_lines: u32,
}

/// Which articles to read.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub feed: Option<FeedId>,
    /// Articles published (else updated, else first seen) at or after this.
    pub since: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
    /// Only flagged (`Some(true)`) or only unflagged (`Some(false)`) ones.
    pub syndicated: Option<bool>,
}

/// A `SELECT` of every article column, its feed's URL, site link and
/// copyright, then `$extra` columns (numbered from 32), followed by
/// `$tail`; one constant string per query.
macro_rules! select_articles {
    ($tail:expr) => {
        select_articles!("", $tail)
    };
    ($extra:literal, $tail:expr) => {
        concat!(
            "SELECT a.id, a.feed_id, f.url, a.guid, a.item_key, a.url, a.title, a.authors,
                a.categories, a.published, a.published_raw, a.updated, a.updated_raw,
                a.first_seen, a.last_seen, a.summary, a.text, a.content_html, a.language,
                a.enclosures, a.content_hash, a.syndicated, a.syndication_score,
                a.syndication_reasons, a.syndication_source, a.furniture_lines,
                f.site_url, f.rights,
                CASE WHEN a.cluster_id IS NOT NULL THEN a.cluster_id
                     WHEN a.clustered THEN a.id END,
                a.duplicate_of, a.similarity, f.title",
            $extra,
            " FROM articles a JOIN feeds f ON f.id = a.feed_id ",
            $tail
        )
    };
}
pub(super) use select_articles;

/// The conditions of an [`ArticleFilter`] on `articles a`, bound by
/// [`filter_params`] as `?1` (feed), `?2` (since), `?3` (limit, for the
/// caller's `LIMIT`) and `?4` (syndicated): `articles` and `search` filter
/// alike.
macro_rules! filter_conditions {
    () => {
        "(?1 IS NULL OR a.feed_id = ?1)
         AND (?2 IS NULL OR COALESCE(a.published, a.updated, a.first_seen) >= ?2)
         AND (?4 IS NULL OR a.syndicated = ?4)"
    };
}
pub(super) use filter_conditions;

/// The values of `?1` to `?4` of [`filter_conditions`]; no limit is -1.
pub(super) fn filter_params(
    filter: &ArticleFilter,
) -> (Option<i64>, Option<String>, i64, Option<bool>) {
    (
        filter.feed.map(|f| f.0),
        filter.since.map(ts),
        filter.limit.map(|l| l as i64).unwrap_or(-1),
        filter.syndicated,
    )
}

/// A stored article with what the flagger needs to know of its feed.
#[derive(Debug, Clone)]
pub struct ArticleInFeed {
    pub article: StoredArticle,
    pub site_url: Option<String>,
    pub rights: Option<String>,
    /// The feed's title.
    pub title: Option<String>,
}

fn in_feed_from_row(r: &Row<'_>) -> rusqlite::Result<ArticleInFeed> {
    Ok(ArticleInFeed {
        article: article_from_row(r)?,
        site_url: r.get(26)?,
        rights: r.get(27)?,
        title: r.get(31)?,
    })
}

pub(super) fn article_from_row(r: &Row<'_>) -> rusqlite::Result<StoredArticle> {
    let list = |i: usize| -> rusqlite::Result<Vec<String>> {
        let s: String = r.get(i)?;
        Ok(serde_json::from_str(&s).unwrap_or_default())
    };
    let enclosures: String = r.get(19)?;
    Ok(StoredArticle {
        id: r.get(0)?,
        feed_id: r.get(1)?,
        feed_url: r.get(2)?,
        guid: r.get(3)?,
        item_key: r.get(4)?,
        url: r.get(5)?,
        title: r.get(6)?,
        authors: list(7)?,
        categories: list(8)?,
        published: r.get(9)?,
        published_raw: r.get(10)?,
        updated: r.get(11)?,
        updated_raw: r.get(12)?,
        first_seen: r.get(13)?,
        last_seen: r.get(14)?,
        summary: r.get(15)?,
        text: r.get(16)?,
        content_html: r.get(17)?,
        language: r.get(18)?,
        enclosures: serde_json::from_str(&enclosures).unwrap_or_default(),
        content_hash: r.get(20)?,
        syndicated: r.get(21)?,
        syndication_score: r.get(22)?,
        syndication_reasons: list(23)?,
        syndication_source: r.get(24)?,
        furniture_lines: r.get::<_, i64>(25)?.clamp(0, i64::from(u32::MAX)) as u32,
        cluster_id: r.get(28)?,
        duplicate_of: r.get(29)?,
        similarity: r.get(30)?,
    })
}

impl Store {
    /// What the feed already stores under the keys an item with one of
    /// these base keys can have (the base key itself and its `#url:` /
    /// `#hash:` forms); `dedup` uses them to keep keys stable between polls.
    /// Only those rows are read, not the feed's whole history.
    pub async fn known_keys(
        &self,
        feed: FeedId,
        bases: BTreeSet<String>,
    ) -> Result<KnownKeys, StoreError> {
        self.call(move |c| {
            // Every key derived from `base` sorts in [base, base + "$"),
            // since `#` (0x23) sorts just before `$` (0x24); the index on
            // (feed_id, item_key) serves the range.
            // Tombstones of items retention deleted count as known (see
            // `store::retention`); an article under the same key wins.
            let mut st = c.prepare_cached(
                "SELECT item_key, content_hash, url FROM articles
                 WHERE feed_id = ?1 AND item_key >= ?2 AND item_key < ?3
                 UNION ALL
                 SELECT item_key, content_hash, url FROM tombstones
                 WHERE feed_id = ?1 AND item_key >= ?2 AND item_key < ?3",
            )?;
            let mut known = KnownKeys::new();
            for base in &bases {
                let end = format!("{base}$");
                let rows = st.query_map(params![feed.0, base, end], |r| {
                    let item = KnownItem {
                        content_hash: r.get(1)?,
                        url: r.get(2)?,
                    };
                    Ok((r.get::<_, String>(0)?, item))
                })?;
                for row in rows {
                    let (key, item) = row?;
                    if key == *base || key[base.len()..].starts_with('#') {
                        known.entry(key).or_insert(item);
                    }
                }
            }
            Ok(known)
        })
        .await
    }

    /// Articles newest first (by publication time, else update time, else first-seen time).
    pub async fn articles(&self, filter: ArticleFilter) -> Result<Vec<StoredArticle>, StoreError> {
        self.call(move |c| {
            let mut st = c.prepare(select_articles!(concat!(
                "WHERE ",
                filter_conditions!(),
                " ORDER BY COALESCE(a.published, a.updated, a.first_seen) DESC, a.id DESC
                 LIMIT ?3"
            )))?;
            let (feed, since, limit, syndicated) = filter_params(&filter);
            let rows = st.query_map(params![feed, since, limit, syndicated], article_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// One article with its feed's context; `NotFound` when there is none.
    pub async fn article_in_feed(&self, id: i64) -> Result<ArticleInFeed, StoreError> {
        self.call(move |c| {
            let mut st = c.prepare_cached(select_articles!("WHERE a.id = ?1"))?;
            let mut rows = st.query_map([id], in_feed_from_row)?;
            match rows.next() {
                Some(row) => Ok(row?),
                None => Err(StoreError::NotFound(format!("no article with id {id}"))),
            }
        })
        .await
    }

    /// Up to `limit` articles with ids above `after_id`, first seen at or
    /// after `since`, in id order: a batch of a walk over the table.
    pub async fn articles_in_feed_after(
        &self,
        after_id: i64,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<ArticleInFeed>, StoreError> {
        self.call(move |c| {
            let mut st = c.prepare_cached(select_articles!(
                "WHERE a.id > ?1 AND (?2 IS NULL OR a.first_seen >= ?2) ORDER BY a.id LIMIT ?3"
            ))?;
            let rows = st.query_map(
                params![after_id, since.map(ts), limit as i64],
                in_feed_from_row,
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Stores new syndication verdicts, each for the article's content as
    /// it was read (`content_hash`): an article a poll edited meanwhile
    /// keeps the verdict of its new text. Returns how many changed.
    pub async fn set_syndication(
        &self,
        verdicts: Vec<(i64, String, Syndication)>,
    ) -> Result<usize, StoreError> {
        self.call(move |c| {
            let tx = c.savepoint()?;
            let mut changed = 0;
            {
                let mut st = tx.prepare_cached(
                    "UPDATE articles SET syndicated = ?2, syndication_score = ?3,
                        syndication_reasons = ?4, syndication_source = ?5
                     WHERE id = ?1 AND content_hash = ?6
                       AND (syndicated <> ?2 OR syndication_score <> ?3
                        OR syndication_reasons <> ?4 OR syndication_source IS NOT ?5)",
                )?;
                for (id, hash, s) in &verdicts {
                    changed += st.execute(params![
                        id,
                        s.syndicated,
                        f64::from(s.score),
                        reasons_json(&s.reasons),
                        s.source,
                        hash
                    ])?;
                }
            }
            tx.commit()?;
            Ok(changed)
        })
        .await
    }

    /// Total number of stored articles.
    pub async fn article_count(&self) -> Result<i64, StoreError> {
        self.call(|c| Ok(c.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))?))
            .await
    }
}
