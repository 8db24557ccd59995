//! Full-text search over articles' titles and texts: an FTS5 index
//! (`articles_fts`) that exists while `search.enabled` is on, queried for
//! `feedsieve search`.
//!
//! The index is external-content: triggers on `articles` keep it in step
//! with every insert, edit of a title or text, and delete (a removed feed's
//! articles go by cascade, which fires the delete trigger too), so nothing
//! else writes to it.
//!
//! It is not a migration because it is not free: indexing a new article's
//! title and text costs the store more than the rest of storing it (about
//! 90 µs an article against 30-40, in `cargo bench --bench pipeline --
//! --store-only`), and a deployment that never searches should not pay for
//! it. Opening the store builds it when asked ([`SearchIndex::Build`]:
//! `run` and `poll` ask, at their first start after `search.enabled =
//! true`, over every stored article) and drops it when `run` starts with
//! search off.

use super::articles::{article_from_row, filter_conditions, filter_params, select_articles};
use super::{ArticleFilter, Store, StoreError, StoredArticle};
use rusqlite::{Connection, ErrorCode, params};
use std::time::Instant;
use tracing::info;

/// What opening the store does with the full-text index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchIndex {
    /// Leave it as it is: a one-shot command with search off must not
    /// take the index away from a daemon configured with it.
    #[default]
    Keep,
    /// Create it and index every stored article, unless it exists.
    Build,
    /// Remove it, so that storing articles no longer pays for it.
    Drop,
}

/// The index and the triggers that keep it in step with `articles`.
///
/// `unicode61 remove_diacritics 2` because the feeds are multilingual: it
/// folds case beyond ASCII (Cyrillic, Greek), splits on Unicode
/// punctuation, and lets `cafe` find `café` and `gesprach` find `Gespräch`
/// (2 also strips them from letters that carry several). Only Latin
/// letters lose diacritics: `ё` and Greek accents stay. No stemmer:
/// `porter` only knows English and would mangle the rest. Scripts written
/// without spaces (Chinese, Japanese, Thai) index whole runs as one token;
/// the `trigram` tokenizer would find words inside them, at about three
/// times the index size.
const CREATE_INDEX: &str = "
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text,
        content = 'articles', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    -- An external-content index forgets a row only when told the terms it
    -- indexed, so the old values go with the 'delete'. Deleting a feed
    -- removes its articles by cascade, which fires this trigger too.
    CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
    END;
    -- Only edits of the indexed columns: a poll touches `last_seen` on
    -- every unchanged item, and an edit may change only the summary or
    -- enclosures; neither should rewrite the index.
    CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles
    WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
";

const DROP_INDEX: &str = "
    DROP TRIGGER IF EXISTS articles_fts_insert;
    DROP TRIGGER IF EXISTS articles_fts_delete;
    DROP TRIGGER IF EXISTS articles_fts_update;
    DROP TABLE IF EXISTS articles_fts;
";

/// Whether the database holds the full-text index.
fn has_index(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'articles_fts')",
        [],
        |r| r.get(0),
    )
}

/// Builds or drops the index as `want` says, in one transaction (a build
/// interrupted halfway leaves no index, and the next open builds it again).
pub(super) fn apply_index(conn: &mut Connection, want: SearchIndex) -> rusqlite::Result<()> {
    let wanted = |exists| match (want, exists) {
        (SearchIndex::Build, false) => Some(CREATE_INDEX),
        (SearchIndex::Drop, true) => Some(DROP_INDEX),
        _ => None,
    };
    // Looked at without a lock first, the usual case being nothing to do;
    // then again under the write lock, since another process (a `run` and
    // a `poll` started together) may have done it meanwhile.
    if wanted(has_index(conn)?).is_none() {
        return Ok(());
    }
    let started = Instant::now();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let Some(sql) = wanted(has_index(&tx)?) else {
        return Ok(());
    };
    tx.execute_batch(sql)?;
    // Counted for the build's log line only.
    let built: Option<i64> = (want == SearchIndex::Build)
        .then(|| tx.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0)))
        .transpose()?;
    tx.commit()?;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if let Some(articles) = built {
        info!(articles, elapsed_ms, "full-text search index built");
    } else {
        info!(
            elapsed_ms,
            "full-text search index dropped (search.enabled is false)"
        );
    }
    Ok(())
}

/// A title hit counts this many times a text hit in the ranking: a word
/// in the headline says more about what the article is about than the
/// same word once in its body.
const TITLE_WEIGHT: f64 = 10.0;

/// One article that matched, best first.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub article: StoredArticle,
    /// BM25 relevance, negated so that higher is better.
    pub score: f64,
    /// Words of the text around the best match, matched terms between
    /// [`MARK`]s; the text's opening words when only the title matched.
    pub snippet: String,
}

/// What surrounds a matched term in a snippet: plain text, since the
/// snippet goes to terminals and JSON alike, and Markdown bold reads as
/// emphasis where it is rendered.
pub const MARK: &str = "**";

impl Store {
    /// Articles whose title or text match the FTS5 `query`, best first,
    /// narrowed by `filter` (its `limit` caps the hits). A query FTS5 cannot
    /// parse is [`StoreError::BadQuery`].
    pub async fn search(
        &self,
        query: String,
        filter: ArticleFilter,
    ) -> Result<Vec<SearchHit>, StoreError> {
        self.call(move |c| {
            if !has_index(c)? {
                return Err(StoreError::SearchOff);
            }
            // bm25() is lower for better matches; the id breaks ties
            // newest first. The snippet is of the text (column 1): the
            // title is printed whole anyway.
            let mut st = c.prepare_cached(select_articles!(
                ", bm25(articles_fts, ?6, 1.0),
                   snippet(articles_fts, 1, ?7, ?7, '…', 24)",
                concat!(
                    "JOIN articles_fts ON articles_fts.rowid = a.id
                     WHERE articles_fts MATCH ?5 AND ",
                    filter_conditions!(),
                    " ORDER BY 33, a.id DESC LIMIT ?3"
                )
            ))?;
            let (feed, since, limit, syndicated) = filter_params(&filter);
            let rows = st.query_map(
                params![feed, since, limit, syndicated, query, TITLE_WEIGHT, MARK],
                |r| {
                    Ok(SearchHit {
                        article: article_from_row(r)?,
                        score: -r.get::<_, f64>(32)?,
                        snippet: r.get::<_, Option<String>>(33)?.unwrap_or_default(),
                    })
                },
            )?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad_query(&query, e))
        })
        .await
    }
}

/// FTS5 parses the query when the statement first steps, and reports a
/// malformed one (`fts5: syntax error near "-"`, `unterminated string`,
/// `no such column: x`) as a plain SQLITE_ERROR. The statement itself is
/// constant and prepared above, so a plain SQLITE_ERROR while stepping it
/// can only come from the query; busy, I/O and corruption errors carry
/// codes of their own and stay database errors.
fn bad_query(query: &str, e: rusqlite::Error) -> StoreError {
    match e {
        // Dropped (a `run` with search off) between the check and the query.
        rusqlite::Error::SqliteFailure(_, Some(ref msg)) if msg.contains("no such table") => {
            StoreError::SearchOff
        }
        rusqlite::Error::SqliteFailure(f, msg) if f.code == ErrorCode::Unknown => {
            StoreError::BadQuery {
                query: query.to_string(),
                reason: msg.unwrap_or_else(|| "cannot parse it".to_string()),
            }
        }
        e => StoreError::Sqlite(e),
    }
}

#[cfg(test)]
mod tests;
