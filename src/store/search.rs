//! Full-text search over articles' titles and texts: the FTS5 index of
//! migration 7 (`articles_fts`), queried for `feedsieve search`.
//!
//! The index is external-content: triggers on `articles` keep it in step
//! with every insert, edit of a title or text, and delete (a removed feed's
//! articles go by cascade, which fires the delete trigger too), so nothing
//! here writes to it.

use super::articles::{article_from_row, select_articles};
use super::{ArticleFilter, Store, StoreError, StoredArticle, ts};
use rusqlite::{ErrorCode, params};

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
            // bm25() is lower for better matches; the id breaks ties
            // newest first. The snippet is of the text (column 1): the
            // title is printed whole anyway.
            let mut st = c.prepare_cached(select_articles!(
                ", bm25(articles_fts, ?6, 1.0),
                   snippet(articles_fts, 1, ?7, ?7, '…', 24)",
                "JOIN articles_fts ON articles_fts.rowid = a.id
                 WHERE articles_fts MATCH ?5
                   AND (?1 IS NULL OR a.feed_id = ?1)
                   AND (?2 IS NULL OR COALESCE(a.published, a.updated, a.first_seen) >= ?2)
                   AND (?4 IS NULL OR a.syndicated = ?4)
                 ORDER BY 33, a.id DESC
                 LIMIT ?3"
            ))?;
            let limit = filter.limit.map(|l| l as i64).unwrap_or(-1);
            let rows = st.query_map(
                params![
                    filter.feed.map(|f| f.0),
                    filter.since.map(ts),
                    limit,
                    filter.syndicated,
                    query,
                    TITLE_WEIGHT,
                    MARK
                ],
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
