//! The search index on a real SQLite file: built over a version 6 database
//! with rows, kept and dropped as `search.enabled` says, the triggers, the
//! tokenizer, and malformed queries.

use super::super::schema;
use super::*;
use rusqlite::Connection;

/// A version 6 database (what the release before search wrote) with one
/// feed and `articles` as (id, title, text).
fn version_6(path: &std::path::Path, articles: &[(i64, &str, &str)]) {
    let conn = Connection::open(path).unwrap();
    for sql in &schema::MIGRATIONS[..6] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 6).unwrap();
    conn.execute(
        "INSERT INTO feeds (id, url, added_url, next_check_at, created_at)
         VALUES (1, 'https://a.example/rss', 'https://a.example/rss',
                 '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        [],
    )
    .unwrap();
    for (id, title, text) in articles {
        conn.execute(
            "INSERT INTO articles (id, feed_id, item_key, title, text, content_hash, first_seen, last_seen)
             VALUES (?1, 1, ?1, ?2, ?3, 'h', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            params![id, title, text],
        )
        .unwrap();
    }
}

/// The store with the full-text index, as `search.enabled = true` opens it.
async fn open_searchable(path: &std::path::Path) -> Store {
    let options = crate::store::StoreOptions {
        search: SearchIndex::Build,
        ..Default::default()
    };
    Store::open_with(path, options).await.unwrap()
}

async fn ids(store: &Store, query: &str) -> Vec<i64> {
    store
        .search(query.to_string(), ArticleFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|h| h.article.id)
        .collect()
}

/// The index's own pages, to tell whether a statement wrote to it.
fn index_pages(path: &std::path::Path) -> Vec<(i64, Vec<u8>)> {
    let conn = Connection::open(path).unwrap();
    let mut st = conn
        .prepare("SELECT id, block FROM articles_fts_data ORDER BY id")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn the_index_is_built_over_the_rows_of_a_version_6_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.db");
    version_6(
        &path,
        &[
            (
                1,
                "Harbour strike ends",
                "Dockers return to work on Monday.",
            ),
            (2, "Budget vote", "The harbour authority gets new funds."),
            (3, "Weather", "Rain all week."),
        ],
    );
    let store = open_searchable(&path).await;
    assert_eq!(ids(&store, "dockers").await, vec![1]);
    assert_eq!(
        ids(&store, "harbour").await,
        vec![1, 2],
        "both found, the title match first"
    );
    assert!(ids(&store, "snow").await.is_empty());
    store.close().await;
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version as usize, schema::SCHEMA_VERSION);
    // 'integrity-check' with rank 1 also compares the index against the
    // content table.
    conn.execute(
        "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .unwrap();
}

#[tokio::test]
async fn triggers_follow_edits_and_deletes_but_not_touches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    version_6(&path, &[(1, "Old headline", "Original wording here.")]);
    open_searchable(&path).await.close().await;

    let before = index_pages(&path);
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE articles SET last_seen = '2026-02-01T00:00:00Z', summary = 's' WHERE id = 1",
        [],
    )
    .unwrap();
    // An edit that sets the title and text to what they were.
    conn.execute(
        "UPDATE articles SET title = title, text = text, content_hash = 'h2' WHERE id = 1",
        [],
    )
    .unwrap();
    assert_eq!(
        index_pages(&path),
        before,
        "no index write without a new title or text"
    );
    conn.execute(
        "UPDATE articles SET text = 'Revised wording here.' WHERE id = 1",
        [],
    )
    .unwrap();
    assert_ne!(index_pages(&path), before);
    drop(conn);

    let store = open_searchable(&path).await;
    assert!(ids(&store, "original").await.is_empty());
    assert_eq!(ids(&store, "revised").await, vec![1]);
    assert_eq!(ids(&store, "headline").await, vec![1]);
    store.remove_feed(crate::model::FeedId(1)).await.unwrap();
    assert!(ids(&store, "revised OR headline").await.is_empty());
    store.close().await;
    let conn = Connection::open(&path).unwrap();
    // The search joins `articles`, which hides a stale entry; the index
    // alone would hand the rowid to the next article stored under it.
    let stale: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'revised OR headline'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stale, 0, "the delete trigger removed the terms");
    conn.execute(
        "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .unwrap();
}

#[tokio::test]
async fn multilingual_text_folds_case_and_diacritics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    version_6(
        &path,
        &[
            (1, "Café culture", "Ein Gespräch über Kaffee."),
            (2, "Новости", "В Москве открылась ёлка."),
            (3, "Ειδήσεις", "Η ΑΘΗΝΑ σήμερα."),
            (4, "天气", "北京今天下雨。"),
        ],
    );
    let store = open_searchable(&path).await;
    assert_eq!(ids(&store, "cafe").await, vec![1]);
    assert_eq!(ids(&store, "gesprach").await, vec![1]);
    assert_eq!(ids(&store, "МОСКВЕ").await, vec![2]);
    assert_eq!(ids(&store, "αθηνα").await, vec![3]);
    // Diacritics are removed from Latin letters only: `ё` and Greek
    // accents stay, so those words must be searched as written.
    assert_eq!(ids(&store, "ёлка").await, vec![2]);
    assert!(ids(&store, "елка").await.is_empty());
    assert_eq!(ids(&store, "ειδήσεις").await, vec![3]);
    assert!(ids(&store, "ειδησεις").await.is_empty());
    // Han text is one token from punctuation to punctuation.
    assert_eq!(ids(&store, "北京今天下雨").await, vec![4]);
    assert!(ids(&store, "北京").await.is_empty());
    assert_eq!(
        ids(&store, "北京*").await,
        vec![4],
        "a prefix finds its start"
    );
    store.close().await;
}

#[tokio::test]
async fn snippets_mark_the_match_and_filters_apply() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    version_6(
        &path,
        &[
            (
                1,
                "Markets",
                "Shares fell sharply as the central bank raised rates.",
            ),
            (2, "Bank holiday", "Roads were quiet."),
        ],
    );
    let store = open_searchable(&path).await;
    let hits = store
        .search("bank".to_string(), ArticleFilter::default())
        .await
        .unwrap();
    assert_eq!(
        hits.iter().map(|h| h.article.id).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert!(hits[0].score > hits[1].score, "higher is better");
    assert_eq!(
        hits[1].snippet,
        "Shares fell sharply as the central **bank** raised rates."
    );
    assert_eq!(
        hits[0].snippet, "Roads were quiet.",
        "only the title matched"
    );
    let limited = store
        .search(
            "bank".to_string(),
            ArticleFilter {
                limit: Some(1),
                syndicated: Some(false),
                ..ArticleFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(limited.len(), 1);
    let flagged = store
        .search(
            "bank".to_string(),
            ArticleFilter {
                syndicated: Some(true),
                ..ArticleFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(flagged.is_empty());
    assert_eq!(
        ids(&store, "\"central bank\" NOT title:holiday").await,
        vec![1]
    );
    assert_eq!(ids(&store, "rais*").await, vec![1]);
    store.close().await;
}

#[tokio::test]
async fn a_malformed_query_is_a_bad_query_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    version_6(&path, &[(1, "Title", "Text")]);
    let store = open_searchable(&path).await;
    for query in ["\"unbalanced", "covid-19", "nosuchcolumn: word", "a AND"] {
        match store
            .search(query.to_string(), ArticleFilter::default())
            .await
        {
            Err(StoreError::BadQuery { query: q, reason }) => {
                assert_eq!(q, query);
                assert!(!reason.is_empty());
            }
            other => panic!("{query}: {other:?}"),
        }
    }
    assert_eq!(ids(&store, "\"title\"").await, vec![1]);
    store.close().await;
}

#[tokio::test]
async fn the_index_is_kept_or_dropped_as_asked_and_searching_without_it_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    version_6(&path, &[(1, "Harbour strike ends", "Dockers return.")]);
    let objects = |path: &std::path::Path| -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'articles_fts%'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    // Off from the start: no index, and a search says how to turn it on.
    let store = Store::open(&path).await.unwrap();
    let err = store
        .search("harbour".to_string(), ArticleFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::SearchOff), "{err:?}");
    assert!(err.to_string().contains("[search]"), "{err}");
    store.close().await;
    assert_eq!(objects(&path), 0);
    // Built, then kept by a command that leaves it alone.
    open_searchable(&path).await.close().await;
    assert!(
        objects(&path) > 3,
        "table, shadow tables and three triggers"
    );
    let store = Store::open(&path).await.unwrap();
    assert_eq!(ids(&store, "harbour").await, vec![1]);
    store.close().await;
    // Dropped: table, shadow tables and triggers all go, and storing an
    // article no longer touches it.
    let options = crate::store::StoreOptions {
        search: SearchIndex::Drop,
        ..Default::default()
    };
    let store = Store::open_with(&path, options).await.unwrap();
    assert!(matches!(
        store
            .search("harbour".to_string(), ArticleFilter::default())
            .await,
        Err(StoreError::SearchOff)
    ));
    store.close().await;
    assert_eq!(objects(&path), 0);
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO articles (id, feed_id, item_key, title, text, content_hash, first_seen, last_seen)
             VALUES (2, 1, '2', 't', 'x', 'h', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
}

#[test]
fn an_index_dropped_under_a_search_reads_as_search_off() {
    // The error SQLite gives when the table went between the check and
    // the query (a `run` with search off dropped it).
    let conn = Connection::open_in_memory().unwrap();
    let err = conn
        .prepare("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'x'")
        .unwrap_err();
    assert!(matches!(bad_query("x", err), StoreError::SearchOff));
    // A query FTS5 cannot parse stays a bad query.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    version_6(&path, &[(1, "Harbour", "Dockers.")]);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(CREATE_INDEX).unwrap();
    let err = conn
        .prepare("SELECT rowid FROM articles_fts WHERE articles_fts MATCH '\"x'")
        .and_then(|mut st| st.query_row([], |r| r.get::<_, i64>(0)))
        .unwrap_err();
    assert!(
        matches!(bad_query("\"x", err), StoreError::BadQuery { .. }),
        "unterminated string"
    );
}
