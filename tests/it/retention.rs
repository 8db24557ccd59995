//! Retention: `cleanup` on a database filled by real polls of a test
//! server; what it deletes, the tombstones that keep deleted items out of
//! later polls, their expiry, `--dry-run`, the near-duplicate rows of
//! deleted articles, and the config check of the limits.

use crate::app::App;
use crate::process::Finished;
use crate::server::TestServer;
use chrono::{DateTime, Duration, Utc};

const LIMIT_3: (&str, &str) = ("FEEDSIEVE__RETENTION__MAX_ARTICLES_PER_FEED", "3");
const RSS: &str = "application/rss+xml";

/// An RSS document titled `channel` with item `n` (guid `item-n`) for each
/// of `items`, published `n` days before `base` unless given, each with a
/// long text of its own (so it is fingerprinted for near-duplicates).
fn feed(channel: &str, base: DateTime<Utc>, items: &[(u32, Option<DateTime<Utc>>)]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{channel}</title>\
         <link>http://127.0.0.1/</link><description>d</description>"
    );
    for &(n, at) in items {
        let at = at.unwrap_or(base - Duration::days(i64::from(n)));
        let text: Vec<String> = (0..150).map(|i| format!("w{}x{i}", n * 7919)).collect();
        s.push_str(&format!(
            "<item><guid isPermaLink=\"false\">item-{n}</guid><title>item {n}</title>\
             <link>http://127.0.0.1/a/{n}</link><pubDate>{}</pubDate>\
             <description>{}</description></item>",
            at.to_rfc2822(),
            text.join(" ")
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// Items 1..=n, item 1 the newest.
fn items(ns: impl IntoIterator<Item = u32>) -> Vec<(u32, Option<DateTime<Utc>>)> {
    ns.into_iter().map(|n| (n, None)).collect()
}

/// The counts of `cleanup`'s summary line: articles deleted, tombstones
/// written, tombstones dropped.
fn counts(out: &Finished) -> (u64, u64, u64) {
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("cleanup") && l.contains("articles deleted"))
        .unwrap_or_else(|| panic!("no summary line in {:?}", out.stdout));
    let words: Vec<&str> = line.split_whitespace().collect();
    let before = |w: &str, next: &str| -> u64 {
        let i = words
            .windows(2)
            .position(|p| p[0] == w && p[1].trim_end_matches(',') == next)
            .unwrap_or_else(|| panic!("no `{w} {next}` in {line:?}"));
        words[i - 1].parse().expect("a count")
    };
    (
        before("articles", "deleted"),
        before("tombstones", "written"),
        before("tombstones", "dropped"),
    )
}

fn cleanup(app: &App, args: &[&str], env: &[(&str, &str)]) -> Finished {
    let mut all = vec!["cleanup"];
    all.extend_from_slice(args);
    let out = app.run_env(&all, env);
    out.assert_success("cleanup");
    out
}

fn titles(app: &App) -> Vec<String> {
    let mut t: Vec<String> = app
        .articles(&[])
        .iter()
        .map(|a| a.title().to_string())
        .collect();
    t.sort();
    t
}

fn tombstones(app: &App) -> Vec<(String, String)> {
    let db = app.db();
    let mut st = db
        .prepare("SELECT item_key, last_listed FROM tombstones ORDER BY item_key")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Index rows (`near_docs`, `near_keys`) of articles with these ids.
fn near_rows(app: &App, ids: &[i64]) -> (i64, i64) {
    let db = app.db();
    let list = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let count = |table: &str| -> i64 {
        db.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE article_id IN ({list})"),
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    (count("near_docs"), count("near_keys"))
}

/// The ids of the articles with these titles.
fn ids_of(app: &App, titles: &[&str]) -> Vec<i64> {
    app.articles(&[])
        .iter()
        .filter(|a| titles.contains(&a.title()))
        .map(|a| a.id)
        .collect()
}

#[test]
fn the_newest_are_kept_and_a_re_served_document_does_not_bring_the_rest_back() {
    let server = TestServer::start();
    let now = Utc::now();
    server.serve("/r.xml", feed("A", now, &items(1..=5)), RSS);
    let app = App::new(&[server.url("/r.xml")]);
    app.poll_all();
    assert_eq!(app.count("articles"), 5);
    let gone = ids_of(&app, &["item 4", "item 5"]);
    let kept = ids_of(&app, &["item 1", "item 2", "item 3"]);
    assert_eq!(gone.len(), 2);
    let (docs, keys) = near_rows(&app, &gone);
    assert!(
        docs == 2 && keys > 0,
        "fingerprinted: {docs} docs, {keys} keys"
    );

    let dry = cleanup(&app, &["--dry-run"], &[LIMIT_3]);
    assert_eq!(counts(&dry), (2, 2, 0), "{}", dry.stdout);
    assert_eq!(app.count("articles"), 5, "a dry run deletes nothing");
    assert_eq!(app.count("tombstones"), 0);

    let real = cleanup(&app, &[], &[LIMIT_3]);
    assert_eq!(counts(&real), counts(&dry), "{}", real.stdout);
    assert!(
        real.stdout
            .contains(&format!("{}: 2 articles deleted", server.url("/r.xml"))),
        "{}",
        real.stdout
    );
    assert_eq!(titles(&app), ["item 1", "item 2", "item 3"]);
    let stones = tombstones(&app);
    let keys: Vec<&str> = stones.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["guid:item-4", "guid:item-5"]);
    assert_eq!(near_rows(&app, &gone), (0, 0), "their index rows went too");
    assert!(near_rows(&app, &kept).1 > 0, "the others' stayed");

    // The same items again, in a document that must be parsed (a new
    // channel title, and a server that ignores conditional GET).
    server.ignore_conditional(true);
    server.set_body("/r.xml", feed("A, edited", now, &items(1..=5)));
    app.poll_all();
    let log = app.fetch_log(&server.url("/r.xml"));
    let last = log.last().unwrap();
    assert_eq!((last.items_seen, last.items_new), (5, 0), "{last:?}");
    assert_eq!(titles(&app), ["item 1", "item 2", "item 3"]);
    let relisted = tombstones(&app);
    for ((_, before), (key, after)) in stones.iter().zip(&relisted) {
        assert!(after >= before, "{key}: last_listed {before} -> {after}");
    }
    // Nothing left to delete.
    assert_eq!(counts(&cleanup(&app, &[], &[LIMIT_3])), (0, 0, 0));
}

#[test]
fn a_tombstone_goes_once_its_item_is_unlisted_for_30_days_and_the_item_then_is_new() {
    let server = TestServer::start();
    let now = Utc::now();
    server.ignore_conditional(true);
    server.serve("/a.xml", feed("A", now, &items(1..=5)), RSS);
    server.serve("/b.xml", feed("B", now, &items(1..=5)), RSS);
    let (a, b) = (server.url("/a.xml"), server.url("/b.xml"));
    let app = App::new(&[a.clone(), b.clone()]);
    app.poll_all();
    assert_eq!(counts(&cleanup(&app, &[], &[LIMIT_3])), (4, 4, 0));

    // Feed A drops item 5; B goes quiet.
    server.set_body("/a.xml", feed("A2", now, &items(1..=4)));
    server.ignore_conditional(false);
    app.run(&["poll", "--feed", &a]).assert_success("poll a");
    // Forty days pass: every stored time moves back.
    let db = app.db();
    db.execute_batch(
        "UPDATE tombstones SET
            last_listed = strftime('%Y-%m-%dT%H:%M:%SZ', last_listed, '-40 days'),
            deleted_at = strftime('%Y-%m-%dT%H:%M:%SZ', deleted_at, '-40 days');
         UPDATE fetch_log SET started_at = strftime('%Y-%m-%dT%H:%M:%SZ', started_at, '-40 days');",
    )
    .unwrap();
    drop(db);
    // A is parsed again (still without item 5); B answers 304: its
    // document, which still lists its items, is not read again.
    server.set_body("/a.xml", feed("A3", now, &items(1..=4)));
    app.poll_all();
    let b_log = app.fetch_log(&b);
    assert_eq!(b_log.last().unwrap().outcome, "not_modified");

    let dry = cleanup(&app, &["--dry-run"], &[LIMIT_3]);
    assert_eq!(counts(&dry), (0, 0, 1), "{}", dry.stdout);
    assert_eq!(counts(&cleanup(&app, &[], &[LIMIT_3])), (0, 0, 1));
    let left: Vec<String> = app
        .db()
        .prepare(
            "SELECT f.url || ' ' || t.item_key FROM tombstones t JOIN feeds f ON f.id = t.feed_id
             ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        left,
        [
            format!("{a} guid:item-4"),
            format!("{b} guid:item-4"),
            format!("{b} guid:item-5"),
        ],
        "A's still-listed item and quiet B's keep theirs"
    );

    // Item 5 comes back to A: with its tombstone gone it is a new
    // article; item 4, still tombstoned, is not stored again.
    server.set_body("/a.xml", feed("A4", now, &items(1..=5)));
    app.run(&["poll", "--feed", &a]).assert_success("poll a");
    let of_a: Vec<String> = app
        .articles(&["--feed", &a])
        .iter()
        .map(|x| x.title().to_string())
        .collect();
    assert_eq!(of_a.len(), 4, "{of_a:?}");
    assert!(of_a.contains(&"item 5".to_string()), "{of_a:?}");
    assert!(!of_a.contains(&"item 4".to_string()), "{of_a:?}");

    // A removed feed takes its tombstones with it.
    app.run(&["feeds", "remove", &b])
        .assert_success("feeds remove");
    assert_eq!(tombstones(&app).len(), 1);
}

#[test]
fn max_age_deletes_by_publication_date_without_a_matcher_too() {
    let server = TestServer::start();
    let now = Utc::now();
    // Two items 100 and 60 days old; three within the week.
    let dated = vec![
        (1, Some(now - Duration::days(100))),
        (2, Some(now - Duration::days(60))),
        (3, Some(now - Duration::days(6))),
        (4, Some(now - Duration::days(2))),
        (5, Some(now - Duration::hours(3))),
    ];
    server.serve("/d.xml", feed("D", now, &dated), RSS);
    let app = App::new(&[server.url("/d.xml")]);
    app.poll_all();
    let old = ids_of(&app, &["item 1", "item 2"]);
    assert_eq!(near_rows(&app, &old).0, 2);
    let env = [
        ("FEEDSIEVE__RETENTION__MAX_AGE_DAYS", "30"),
        // Clustering off: index rows are found by a scan instead of keys.
        ("FEEDSIEVE__NEAR_DUPLICATES__ENABLED", "false"),
    ];
    let dry = cleanup(&app, &["--dry-run"], &env);
    assert_eq!(counts(&dry), (2, 2, 0), "{}", dry.stdout);
    assert_eq!(app.count("articles"), 5);
    assert_eq!(counts(&cleanup(&app, &[], &env)), (2, 2, 0));
    assert_eq!(titles(&app), ["item 3", "item 4", "item 5"]);
    assert_eq!(near_rows(&app, &old), (0, 0));
    // With a longer limit nothing else is old enough.
    let out = cleanup(&app, &[], &[("FEEDSIEVE__RETENTION__MAX_AGE_DAYS", "5")]);
    assert_eq!(counts(&out), (1, 1, 0));
    assert_eq!(titles(&app), ["item 4", "item 5"]);
}

#[test]
fn a_new_database_gives_pages_back_and_no_limit_deletes_nothing() {
    let server = TestServer::start();
    server.serve("/r.xml", feed("A", Utc::now(), &items(1..=5)), RSS);
    let app = App::new(&[server.url("/r.xml")]);
    app.poll_all();
    let mode: i64 = app
        .db()
        .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, 2, "incremental");
    let out = cleanup(&app, &[], &[]);
    assert!(out.stdout.contains("no limit set"), "{}", out.stdout);
    assert_eq!(counts(&out), (0, 0, 0));
    assert_eq!(app.count("articles"), 5);
}

#[test]
fn a_zero_age_limit_is_a_config_error_naming_the_key() {
    let app = App::with_raw_config("[retention]\nmax_age_days = 0\n");
    let out = app.run(&["cleanup"]);
    assert_eq!(out.code(), Some(78), "{}", out.stderr);
    assert!(
        out.stderr.contains("retention.max_age_days"),
        "{}",
        out.stderr
    );
}
