//! `articles`: the feed, time and count filters, newest-first order, and the
//! table / JSON / JSON-lines outputs.

use crate::ingest::{Polled, poll_paths};
use crate::records::{Article, utc};

fn ids(articles: &[Article]) -> Vec<i64> {
    articles.iter().map(|a| a.id).collect()
}

/// Three feeds, eight articles: dated, clamped and undated ones.
fn polled() -> Polled {
    let p = poll_paths(&[
        "/fixtures/rss2.xml",
        "/fixtures/atom.xml",
        "/fixtures/rss091.xml",
    ]);
    assert_eq!(p.articles.len(), 8);
    p
}

const SINCE: &str = "2024-03-08T12:00:00Z";

/// Ids at or after [`SINCE`] (publication time, else first seen), in order.
fn since_ids(all: &[Article], feed: Option<&str>) -> Vec<i64> {
    all.iter()
        .filter(|a| feed.is_none_or(|f| a.feed_url == f) && a.sort_time() >= utc(SINCE))
        .map(|a| a.id)
        .collect()
}

#[test]
fn articles_filter_by_feed_since_and_limit() {
    let p = polled();
    let all = &p.articles;
    let times: Vec<_> = all.iter().map(Article::sort_time).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    let rss2_id = p.app.feed(&p.urls[0]).id.to_string();
    let by_id = p.app.articles(&["--feed", &rss2_id]);
    assert_eq!(by_id.len(), 4);
    assert!(by_id.iter().all(|a| a.feed_url == p.urls[0]));
    let by_url = p.app.articles(&["--feed", &p.urls[1]]);
    assert_eq!(by_url.len(), 2);
    assert!(by_url.iter().all(|a| a.feed_url == p.urls[1]));

    let want = since_ids(all, None);
    assert!(
        !want.is_empty() && want.len() < all.len(),
        "the cut-off splits the set"
    );
    assert_eq!(ids(&p.app.articles(&["--since", SINCE])), want);
    let offset = p.app.articles(&["--since", "2024-03-08T13:00:00+01:00"]);
    assert_eq!(ids(&offset), want, "an offset in --since is honoured");
    assert_eq!(
        ids(&p.app.articles(&["--limit", "3"])),
        ids(&all[..3]),
        "the newest three"
    );
    let combined = p
        .app
        .articles(&["--feed", &rss2_id, "--since", SINCE, "--limit", "1"]);
    let mut first = since_ids(all, Some(&p.urls[0]));
    first.truncate(1);
    assert_eq!(ids(&combined), first);
}

#[test]
fn articles_formats_and_bad_arguments() {
    let p = polled();
    let all = &p.articles;
    let json = p.app.run(&["articles", "--format", "json"]);
    json.assert_success("articles --format json");
    let array: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).expect("a JSON array");
    let json_ids: Vec<i64> = array
        .iter()
        .map(|v| v["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(json_ids, ids(all), "json and jsonl agree");
    let table = p.app.run(&["articles", "--limit", "2"]);
    table.assert_success("articles");
    assert_eq!(
        table.stdout.lines().count(),
        3,
        "header and two rows: {}",
        table.stdout
    );
    assert!(table.stdout.contains(all[0].title()), "{}", table.stdout);

    let bad = p.app.run(&["articles", "--since", "yesterday"]);
    assert_eq!(bad.code(), Some(2), "a malformed --since is a usage error");
    assert!(bad.stderr.contains("--since"), "{}", bad.stderr);
    let unknown = p.app.run(&["articles", "--feed", "999"]);
    assert_eq!(unknown.code(), Some(1));
    assert!(
        unknown.stderr.contains("no feed matches"),
        "{}",
        unknown.stderr
    );
}
