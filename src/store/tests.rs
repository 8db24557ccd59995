//! Store tests on a real SQLite file: the upsert semantics behind exact
//! dedup, and the grouped commit of concurrent jobs.

use super::*;
use crate::model::{Article, FeedId, Validators};
use chrono::TimeZone;

fn article(key: &str, text: &str) -> Article {
    Article {
        item_key: key.to_string(),
        title: Some(format!("title {key}")),
        text: Some(text.to_string()),
        content_hash: crate::model::hex(text.as_bytes()),
        ..Article::default()
    }
}

fn poll(feed: FeedId, at: DateTime<Utc>, articles: Vec<Article>) -> PollRecord {
    PollRecord {
        status: Some(200),
        outcome: "fetched".to_string(),
        bytes: 10,
        duration_ms: 1,
        title: Some("Example".to_string()),
        validators: Some(Validators {
            etag: Some("\"v1\"".to_string()),
            last_modified: None,
        }),
        body_hash: Some("b1".to_string()),
        articles,
        ..PollRecord::started(feed, "https://example.com/rss".to_string(), at)
    }
}

async fn open_with_feed(dir: &tempfile::TempDir, url: &str) -> (Store, FeedId) {
    let store = Store::open(&dir.path().join("t.db")).await.unwrap();
    let feed = NewFeed {
        url: url.to_string(),
        name: None,
        interval: None,
        origin: "cli",
    };
    let id = store.add_feed(feed, Utc::now()).await.unwrap().0.id;
    (store, id)
}

#[tokio::test]
async fn upsert_counts_new_updated_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (store, feed) = open_with_feed(&dir, "https://example.com/rss").await;
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let first = store
        .record_poll(poll(
            feed,
            t0,
            vec![article("a", "one"), article("b", "two")],
        ))
        .await
        .unwrap();
    assert_eq!((first.seen, first.new, first.updated), (2, 2, 0));

    let t1 = t0 + chrono::Duration::hours(1);
    let second = store
        .record_poll(poll(
            feed,
            t1,
            vec![article("a", "one"), article("b", "two, edited")],
        ))
        .await
        .unwrap();
    assert_eq!((second.seen, second.new, second.updated), (2, 0, 1));

    let rows = store.articles(ArticleFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 2);
    let b = rows.iter().find(|r| r.item_key == "b").unwrap();
    assert_eq!(b.text.as_deref(), Some("two, edited"));
    assert_eq!(b.first_seen, "2026-01-01T00:00:00Z");
    // No date in the feed: the edit time becomes `updated`.
    assert_eq!(b.updated.as_deref(), Some("2026-01-01T01:00:00Z"));
    let a = rows.iter().find(|r| r.item_key == "a").unwrap();
    assert_eq!(a.updated, None);
    assert_eq!(a.last_seen, "2026-01-01T01:00:00Z");
}

/// Items a poll left unflagged because they were stored unchanged are only
/// touched: one edited meanwhile by another process, or gone, is not
/// written without a verdict.
#[tokio::test]
async fn unflagged_items_are_only_touched_and_only_while_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (store, feed) = open_with_feed(&dir, "https://example.com/rss").await;
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut flagged = article("b", "two, edited elsewhere");
    flagged.syndication.syndicated = true;
    store
        .record_poll(poll(feed, t0, vec![article("a", "one"), flagged]))
        .await
        .unwrap();
    let unflagged = |key: &str, text: &str| Article {
        unflagged: true,
        ..article(key, text)
    };
    let t1 = t0 + chrono::Duration::hours(1);
    let counts = store
        .record_poll(poll(
            feed,
            t1,
            vec![
                unflagged("a", "one"),
                // This poll read "two" before the edit above.
                unflagged("b", "two"),
                unflagged("c", "deleted meanwhile"),
            ],
        ))
        .await
        .unwrap();
    assert_eq!((counts.seen, counts.new, counts.updated), (3, 0, 0));
    let rows = store.articles(ArticleFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 2, "nothing inserted without a verdict");
    let a = rows.iter().find(|r| r.item_key == "a").unwrap();
    assert_eq!(a.last_seen, "2026-01-01T01:00:00Z");
    let b = rows.iter().find(|r| r.item_key == "b").unwrap();
    assert_eq!(b.text.as_deref(), Some("two, edited elsewhere"));
    assert!(b.syndicated, "the verdict stands");
    assert_eq!(b.last_seen, "2026-01-01T00:00:00Z");
}

#[tokio::test]
async fn concurrent_polls_all_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).await.unwrap();
    let now = Utc::now();
    let mut ids = Vec::new();
    for i in 0..40 {
        let feed = NewFeed {
            url: format!("https://example.com/{i}"),
            name: None,
            interval: None,
            origin: "cli",
        };
        ids.push(store.add_feed(feed, now).await.unwrap().0.id);
    }
    // Forty polls queued at once: the thread groups them under few commits.
    let handles: Vec<_> = ids
        .iter()
        .map(|&id| {
            let store = store.clone();
            let arts = (0..5)
                .map(|k| article(&format!("{k}"), &format!("{id} {k}")))
                .collect();
            tokio::spawn(async move { store.record_poll(poll(id, now, arts)).await })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap().unwrap().new, 5);
    }
    assert_eq!(store.article_count().await.unwrap(), 200);
    let log = store.fetch_log(None, 1000).await.unwrap();
    assert_eq!(log.len(), 40);
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

#[tokio::test]
async fn a_failing_job_rolls_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (store, feed) = open_with_feed(&dir, "https://example.com/rss").await;
    let now = Utc::now();
    // A poll for a feed id that does not exist violates the foreign key;
    // queued next to a good one, only the bad one fails.
    let bad = store.record_poll(poll(FeedId(999), now, vec![article("x", "x")]));
    let good = store.record_poll(poll(feed, now, vec![article("a", "a")]));
    let (bad, good) = tokio::join!(bad, good);
    assert!(bad.is_err());
    assert_eq!(good.unwrap().new, 1);
    assert_eq!(store.article_count().await.unwrap(), 1);
}

#[tokio::test]
async fn reopening_keeps_schema_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (store, feed) = open_with_feed(&dir, "https://example.com/rss").await;
    store
        .record_poll(poll(feed, Utc::now(), vec![article("a", "a")]))
        .await
        .unwrap();
    store.close().await;
    let store = Store::open(&dir.path().join("t.db")).await.unwrap();
    assert_eq!(store.article_count().await.unwrap(), 1);
    let f = store.find_feed("https://example.com/rss").await.unwrap();
    assert_eq!(f.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(f.title.as_deref(), Some("Example"));
    assert!(store.find_feed("42").await.is_err());
}

#[tokio::test]
async fn poll_of_a_removed_feed_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, feed) = open_with_feed(&dir, "https://example.com/rss").await;
    assert!(store.remove_feed(feed).await.unwrap());
    let err = store
        .record_poll(poll(feed, Utc::now(), vec![article("a", "a")]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    assert_eq!(store.article_count().await.unwrap(), 0);
    assert!(store.fetch_log(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn known_keys_reads_only_the_keys_of_the_given_bases() {
    let dir = tempfile::tempdir().unwrap();
    let (store, feed) = open_with_feed(&dir, "https://example.com/rss").await;
    let keys = [
        "guid:1",
        "guid:1#url:https://x/1",
        "guid:10",
        "guid:1!",
        "url:https://x/1",
    ];
    let arts = keys.iter().map(|k| article(k, k)).collect();
    store
        .record_poll(poll(feed, Utc::now(), arts))
        .await
        .unwrap();
    let bases = ["guid:1".to_string()].into_iter().collect();
    let known = store.known_keys(feed, bases).await.unwrap();
    let mut got: Vec<&str> = known.keys().map(String::as_str).collect();
    got.sort();
    assert_eq!(got, vec!["guid:1", "guid:1#url:https://x/1"]);
    assert_eq!(known["guid:1"].content_hash, crate::model::hex(b"guid:1"));
}

#[tokio::test]
async fn a_documents_schedule_is_kept_until_the_next_document() {
    use crate::model::{DocSchedule, Posting};
    let dir = tempfile::tempdir().unwrap();
    let (store, feed) = open_with_feed(&dir, "https://example.com/rss").await;
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let doc = DocSchedule {
        ttl_mins: Some(45),
        update_period_secs: Some(3600),
        skip_hours: 1 << 23 | 1,
        skip_days: 1 << 6,
    };
    let posting = Posting {
        since: t0 - chrono::Duration::hours(5),
        posts: 7,
    };
    let mut parsed = poll(feed, t0, Vec::new());
    parsed.schedule = Some((doc, Some(posting)));
    store.record_poll(parsed).await.unwrap();
    let read = |store: Store| async move { store.find_feed("1").await.unwrap() };
    let rec = read(store.clone()).await;
    assert_eq!((rec.schedule, rec.posting), (doc, Some(posting)));
    // A 304 or a failure (no document) keeps both.
    let mut failed = poll(feed, t0 + chrono::Duration::hours(1), Vec::new());
    failed.error = Some("timeout".into());
    store.record_poll(failed).await.unwrap();
    let rec = read(store.clone()).await;
    assert_eq!((rec.schedule, rec.posting), (doc, Some(posting)));
    // A new document without advice or dates clears them.
    let mut bare = poll(feed, t0 + chrono::Duration::hours(2), Vec::new());
    bare.schedule = Some((DocSchedule::default(), None));
    store.record_poll(bare).await.unwrap();
    let rec = read(store).await;
    assert_eq!((rec.schedule, rec.posting), (DocSchedule::default(), None));
}

#[tokio::test]
async fn a_version_1_database_is_migrated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        // What the first release created: migration 1 only, one feed.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO feeds (url, added_url, next_check_at, created_at)
             VALUES ('https://old.example/rss', 'https://old.example/rss',
                     '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path).await.unwrap();
    let rec = store.find_feed("https://old.example/rss").await.unwrap();
    assert_eq!(rec.schedule, crate::model::DocSchedule::default());
    assert_eq!(rec.posting, None);
    store.close().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version as usize, schema::SCHEMA_VERSION);
}

#[tokio::test]
async fn version_4_index_rows_move_to_near_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &schema::MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            "INSERT INTO feeds (id, url, added_url, next_check_at, created_at)
             VALUES (7, 'https://a.example/rss', 'https://a.example/rss',
                     '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO articles (id, feed_id, item_key, content_hash, first_seen, last_seen)
             VALUES (3, 7, 'k', 'h', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO near_docs (article_id, feed_id, cluster, published, simhash, words, shingles)
             VALUES (3, 7, 3, '2026-11-23T10:00:00Z', -5, 120, x'');
             INSERT INTO near_index (key, published, article_id)
             VALUES (42, '2026-11-23T10:00:00Z', 3), (43, '2026-11-23T10:00:00Z', 3);",
        )
        .unwrap();
    }
    Store::open(&path).await.unwrap().close().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: Vec<(i64, i64, i64, i64, i64, i64)> = conn
        .prepare("SELECT key, published, article_id, feed_id, simhash, words FROM near_keys ORDER BY key")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
        .unwrap()
        .timestamp();
    assert_eq!(rows, vec![(42, at, 3, 7, -5, 120), (43, at, 3, 7, -5, 120)]);
    let old: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'near_index'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old, 0);
    let generation: i64 = conn
        .query_row("SELECT n FROM near_generation", [], |r| r.get(0))
        .unwrap();
    assert_eq!(generation, 0, "migration 6 starts the index-write counter");
}

/// A matcher as the daemon builds it from the defaults.
fn clusterer() -> NearHandle {
    let flagger = std::sync::Arc::new(crate::syndication::Flagger {
        rules: crate::syndication::RuleSet::build(&[], &[]).unwrap(),
        options: crate::syndication::Options {
            flag_agency_own_feed: false,
        },
    });
    NearHandle(std::sync::Arc::new(crate::pipeline::Clusterer {
        flagger,
        config: crate::dedup::near::NearConfig::default(),
        window: chrono::Duration::days(7),
    }))
}

/// An article of `words` distinct words (seeded), fingerprinted.
fn story(key: &str, seed: usize, at: DateTime<Utc>) -> Article {
    let text: Vec<String> = (0..150).map(|i| format!("w{}", seed * 1000 + i)).collect();
    let text = text.join(" ");
    Article {
        published: Some(at),
        near: crate::dedup::near::fingerprint(&text),
        ..article(key, &text)
    }
}

fn near_counts(path: &std::path::Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let keys = conn
        .query_row("SELECT COUNT(*) FROM near_keys", [], |r| r.get(0))
        .unwrap();
    let unkeyed = conn
        .query_row("SELECT COUNT(*) FROM near_docs WHERE keyed = 0", [], |r| {
            r.get(0)
        })
        .unwrap();
    (keys, unkeyed)
}

async fn add(store: &Store, url: &str) -> FeedId {
    let feed = NewFeed {
        url: url.to_string(),
        name: None,
        interval: None,
        origin: "cli",
    };
    store.add_feed(feed, Utc::now()).await.unwrap().0.id
}

/// A store at `path` with feed a.example and one clustered story in it,
/// published at the returned time; its index rows are still pending.
async fn one_clustered_story(path: &std::path::Path) -> (Store, FeedId, DateTime<Utc>) {
    let store = Store::open(path).await.unwrap();
    let a = add(&store, "https://a.example/rss").await;
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let mut first = poll(a, at, vec![story("x", 1, at)]);
    first.near = Some(clusterer());
    store.record_poll(first).await.unwrap();
    (store, a, at)
}

#[tokio::test]
async fn pending_index_rows_are_found_before_they_are_written_and_written_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(&path).await.unwrap();
    let a = add(&store, "https://a.example/rss").await;
    let b = add(&store, "https://b.example/rss").await;
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let mut first = poll(a, at, vec![story("x", 1, at)]);
    first.near = Some(clusterer());
    store.record_poll(first).await.unwrap();
    // Not written yet: the fingerprint is stored, its keys are pending.
    assert_eq!(near_counts(&path), (0, 1));
    let mut second = poll(b, at, vec![story("y", 1, at), story("z", 2, at)]);
    second.url = "https://b.example/rss".to_string();
    second.near = Some(clusterer());
    store.record_poll(second).await.unwrap();
    let stored = store.articles(ArticleFilter::default()).await.unwrap();
    let copy = stored.iter().find(|s| s.item_key == "y").unwrap();
    let original = stored.iter().find(|s| s.item_key == "x").unwrap();
    let other = stored.iter().find(|s| s.item_key == "z").unwrap();
    assert_eq!(
        copy.duplicate_of,
        Some(original.id),
        "found through pending rows"
    );
    assert_eq!(other.duplicate_of, None);
    store.close().await;
    // Closing wrote every row: 4 bands + 2 lead shingles per article.
    assert_eq!(near_counts(&path), (18, 0));
}

#[tokio::test]
async fn rows_a_stopped_process_did_not_write_are_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let (a, b) = {
        let store = Store::open(&path).await.unwrap();
        let a = add(&store, "https://a.example/rss").await;
        let b = add(&store, "https://b.example/rss").await;
        let mut first = poll(a, at, vec![story("x", 1, at)]);
        first.near = Some(clusterer());
        store.record_poll(first).await.unwrap();
        store.close().await;
        (a, b)
    };
    // What a process killed before writing its rows leaves behind.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DELETE FROM near_keys; UPDATE near_docs SET keyed = 0;")
        .unwrap();
    let store = Store::open(&path).await.unwrap();
    let mut second = poll(b, at, vec![story("y", 1, at)]);
    second.near = Some(clusterer());
    store.record_poll(second).await.unwrap();
    let stored = store.articles(ArticleFilter::default()).await.unwrap();
    let original = stored.iter().find(|s| s.feed_id == a.0).unwrap();
    let copy = stored.iter().find(|s| s.feed_id == b.0).unwrap();
    assert_eq!(copy.duplicate_of, Some(original.id));
    store.close().await;
    assert_eq!(near_counts(&path), (12, 0));
}

#[tokio::test]
async fn a_removed_feeds_pending_rows_are_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (store, a, _) = one_clustered_story(&path).await;
    assert!(store.remove_feed(a).await.unwrap());
    store.close().await;
    assert_eq!(near_counts(&path), (0, 0));
}

#[tokio::test]
async fn the_mmap_option_reaches_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        mmap_bytes: 4 << 20,
        ..StoreOptions::default()
    };
    let store = Store::open_with(&dir.path().join("t.db"), options)
        .await
        .unwrap();
    let size: i64 = store
        .call(|c| Ok(c.query_row("PRAGMA mmap_size", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(size, 4 << 20);
    store.close().await;
}

#[tokio::test]
async fn a_same_text_item_a_day_later_is_a_new_item_but_one_moved_within_the_hour_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(&path).await.unwrap();
    let feed = add(&store, "https://a.example/rss").await;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let record = |articles: Vec<Article>, at| {
        let mut p = poll(feed, at, articles);
        p.near = Some(clusterer());
        p
    };
    store
        .record_poll(record(vec![story("monday", 1, t0)], t0))
        .await
        .unwrap();
    // The same boilerplate a day later, after Monday's item left the feed.
    let t1 = t0 + chrono::Duration::days(1);
    let counts = store
        .record_poll(record(vec![story("tuesday", 1, t1)], t1))
        .await
        .unwrap();
    assert_eq!((counts.new, counts.updated), (1, 0));
    // Tuesday's item moves to a new key, its date barely changed.
    let moved = story("tuesday-moved", 1, t1 + chrono::Duration::minutes(10));
    let counts = store.record_poll(record(vec![moved], t1)).await.unwrap();
    assert_eq!((counts.new, counts.updated), (0, 1));
    let keys: Vec<String> = store
        .articles(ArticleFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.item_key)
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.contains(&"monday".to_string()) && keys.contains(&"tuesday-moved".to_string()));
    store.close().await;
}

#[tokio::test]
async fn pending_rows_of_an_article_deleted_elsewhere_do_not_land_on_its_reused_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (store, _, _) = one_clustered_story(&path).await;
    // Another process removes the feed, and its article's id goes to a new
    // article of another feed, whose own index rows that process keeps.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch(
            "PRAGMA foreign_keys = ON;
             DELETE FROM feeds WHERE url = 'https://a.example/rss';
             INSERT INTO feeds (id, url, added_url, next_check_at, created_at)
             VALUES (99, 'https://b.example/rss', 'https://b.example/rss',
                     '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO articles (id, feed_id, item_key, content_hash, first_seen, last_seen)
             VALUES (1, 99, 'other', 'h', '2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z');
             INSERT INTO near_docs (article_id, feed_id, cluster, published, simhash, words, shingles, keyed)
             VALUES (1, 99, 1, '2026-11-24T00:00:00Z', 7, 120, x'', 0);",
        )
        .unwrap();
    drop(other);
    store.close().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let keys: i64 = conn
        .query_row("SELECT COUNT(*) FROM near_keys", [], |r| r.get(0))
        .unwrap();
    let keyed: i64 = conn
        .query_row(
            "SELECT keyed FROM near_docs WHERE article_id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        (keys, keyed),
        (0, 0),
        "no rows written, the new article left to its process"
    );
}

#[tokio::test]
async fn index_rows_another_process_wrote_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    // This process links one story: its key filter is built now.
    let (store, _, at) = one_clustered_story(&path).await;
    let b = add(&store, "https://b.example/rss").await;
    // Another process stores a second story and writes its index rows.
    let other = Store::open(&path).await.unwrap();
    let c = add(&other, "https://c.example/rss").await;
    let mut elsewhere = poll(c, at, vec![story("y", 2, at)]);
    elsewhere.near = Some(clusterer());
    other.record_poll(elsewhere).await.unwrap();
    other.close().await;
    // A copy of that story reaches this process: the filter must not hide
    // the other's keys.
    let mut copy = poll(b, at, vec![story("y-copy", 2, at)]);
    copy.near = Some(clusterer());
    store.record_poll(copy).await.unwrap();
    let stored = store.articles(ArticleFilter::default()).await.unwrap();
    let original = stored.iter().find(|s| s.item_key == "y").unwrap();
    let copied = stored.iter().find(|s| s.item_key == "y-copy").unwrap();
    assert_eq!(copied.duplicate_of, Some(original.id), "{copied:#?}");
    store.close().await;
}

/// The counts behind `feedsieve_items_syndicated_total` and
/// `feedsieve_items_near_duplicate_total`: new articles only, each once.
#[tokio::test]
async fn new_syndicated_and_near_duplicate_articles_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (store, _, at) = one_clustered_story(&path).await;
    let b = add(&store, "https://b.example/rss").await;
    let mut flagged = story("z", 3, at);
    flagged.syndication.syndicated = true;
    let mut copy = poll(b, at, vec![story("x-copy", 1, at), flagged]);
    copy.near = Some(clusterer());
    let counts = store.record_poll(copy.clone()).await.unwrap();
    assert_eq!((counts.new, counts.near_duplicate), (2, 1), "{counts:?}");
    let stored = store.articles(ArticleFilter::default()).await.unwrap();
    let flagged_in_b = stored
        .iter()
        .filter(|s| s.feed_url == "https://b.example/rss" && s.syndicated)
        .count() as u64;
    assert!(flagged_in_b >= 1, "{stored:#?}");
    assert_eq!(counts.syndicated, flagged_in_b, "{stored:#?}");
    let again = store.record_poll(copy).await.unwrap();
    assert_eq!(
        (again.new, again.syndicated, again.near_duplicate),
        (0, 0, 0),
        "{again:?}"
    );
    store.close().await;
}

#[tokio::test]
async fn cleanup_drops_the_pending_index_rows_of_what_it_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (store, a, at) = one_clustered_story(&path).await;
    let policy = RetentionPolicy {
        max_age: Some(chrono::Duration::days(1)),
        max_per_feed: None,
        fetch_log_max_age: None,
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let later = at + chrono::Duration::days(2);
    let dry = store
        .cleanup(policy, Some(clusterer()), later, true, &cancel)
        .await
        .unwrap();
    assert_eq!((dry.articles_deleted, dry.tombstones_written), (1, 1));
    assert_eq!(store.article_count().await.unwrap(), 1);
    let done = store
        .cleanup(policy, Some(clusterer()), later, false, &cancel)
        .await
        .unwrap();
    assert_eq!((done.articles_deleted, done.tombstones_written), (1, 1));
    assert!(done.incremental_vacuum);
    assert_eq!(store.article_count().await.unwrap(), 0);
    assert_eq!(store.tombstones(a).await.unwrap().len(), 1);
    // A poll reads its key as known, with the content it had.
    let known = store
        .known_keys(a, ["x".to_string()].into_iter().collect())
        .await
        .unwrap();
    assert_eq!(known["x"].content_hash, story("x", 1, at).content_hash);
    // The same item again is skipped; its tombstone records it as listed.
    store
        .record_poll(poll(a, later, vec![story("x", 1, at)]))
        .await
        .unwrap();
    assert_eq!(store.article_count().await.unwrap(), 0);
    assert_eq!(store.tombstones(a).await.unwrap()[0].1, ts(later));
    store.close().await;
    // Its rows were pending, never written: none land on the file.
    assert_eq!(near_counts(&path), (0, 0));
}

#[tokio::test]
async fn a_cancelled_cleanup_stops_before_its_first_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _, at) = one_clustered_story(&dir.path().join("t.db")).await;
    let policy = RetentionPolicy {
        max_age: None,
        max_per_feed: Some(1),
        fetch_log_max_age: None,
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    cancel.cancel();
    let r = store
        .cleanup(policy, None, at, false, &cancel)
        .await
        .unwrap();
    assert!(r.cancelled);
    assert_eq!(store.article_count().await.unwrap(), 1);
}

#[tokio::test]
async fn an_older_database_gives_pages_back_only_after_the_vacuum_conversion() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    {
        // A file with a table before this build: auto_vacuum stays NONE.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE before_retention (a)")
            .unwrap();
    }
    let store = Store::open(&path).await.unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let policy = RetentionPolicy::default();
    let r = store
        .cleanup(policy, None, Utc::now(), false, &cancel)
        .await
        .unwrap();
    assert!(!r.incremental_vacuum);
    assert!(store.convert_to_incremental_vacuum().await.unwrap());
    assert!(
        !store.convert_to_incremental_vacuum().await.unwrap(),
        "once"
    );
    let r = store
        .cleanup(policy, None, Utc::now(), false, &cancel)
        .await
        .unwrap();
    assert!(r.incremental_vacuum);
}

/// `retention.fetch_log_days`: the daily cleanup deletes older fetch-log
/// rows, with no article limit set, and a dry run only counts them.
#[tokio::test]
async fn cleanup_prunes_the_fetch_log_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(&path).await.unwrap();
    let now = Utc::now();
    let feed = add(&store, "https://a.example/rss").await;
    // Three polls 100, 95 and 1 days ago.
    for days in [100, 95, 1] {
        let at = now - chrono::Duration::days(days);
        store.record_poll(poll(feed, at, Vec::new())).await.unwrap();
    }
    let logged = |store: &Store| {
        let store = store.clone();
        async move { store.fetch_log(Some(feed), 10).await.unwrap().len() }
    };
    assert_eq!(logged(&store).await, 3);
    let policy = RetentionPolicy {
        fetch_log_max_age: Some(chrono::Duration::days(90)),
        ..RetentionPolicy::default()
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let dry = store
        .cleanup(policy, None, now, true, &cancel)
        .await
        .unwrap();
    assert_eq!(dry.fetch_log_deleted, 2);
    assert_eq!(logged(&store).await, 3, "a dry run deletes nothing");
    let done = store
        .cleanup(policy, None, now, false, &cancel)
        .await
        .unwrap();
    assert_eq!((done.fetch_log_deleted, done.articles_deleted), (2, 0));
    let left = store.fetch_log(Some(feed), 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert!(
        left[0].started_at > ts(now - chrono::Duration::days(2)),
        "{left:?}"
    );
    store.close().await;
}
