//! HTTP semantics across polls: conditional GET and 304, servers that ignore
//! validators, items edited in place, gzip transfer, permanent redirects.

use crate::bodies::{fixture, fixture_text};
use crate::ingest::{poll_on, poll_paths};
use crate::records::{Article, now_secs, titled, utc};
use crate::server::{self, TestServer};
use chrono::Utc;

const RSS2: &str = "/fixtures/rss2.xml";
const ATOM: &str = "/fixtures/atom.xml";

/// The summary line `poll` ends with.
fn summary_line(stdout: &str) -> &str {
    stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("poll: "))
        .unwrap_or_else(|| panic!("no summary line in {stdout}"))
}

#[test]
fn second_poll_sends_validators_gets_304_and_stores_nothing() {
    let p = poll_paths(&[RSS2, ATOM]);
    assert_eq!(p.articles.len(), 6);
    let out = p.app.poll_all();
    let summary = summary_line(&out.stdout);
    assert!(
        summary.starts_with("poll: 2 feeds, 0 fetched, 2 not modified, 0 failed, 0 items new"),
        "{summary}"
    );
    let after = p.app.articles(&[]);
    assert_eq!(
        ids_and_hashes(&after),
        ids_and_hashes(&p.articles),
        "a 304 changes no article"
    );
    for (i, path) in [RSS2, ATOM].into_iter().enumerate() {
        let stats = p.server.stats(path);
        assert_eq!(stats.requests, 2, "{path}");
        assert_eq!(
            stats.if_none_match.len(),
            1,
            "{path}: only the second request can carry the ETag"
        );
        assert_eq!(
            stats.not_modified, 1,
            "{path}: the ETag sent back must match"
        );
        let log = p.app.fetch_log(&p.urls[i]);
        assert_eq!(log.len(), 2, "{path}: one fetch_log row per poll");
        assert_eq!(
            (log[0].outcome.as_str(), log[0].status),
            ("fetched", Some(200)),
            "{path}"
        );
        assert_eq!(log[0].items_new, p.of(i).len() as i64, "{path}");
        let size = fixture(path.trim_start_matches("/fixtures/")).len() as i64;
        assert_eq!(
            (log[0].bytes, log[1].bytes),
            (size, 0),
            "{path}: body bytes logged"
        );
        assert_eq!(
            (log[1].outcome.as_str(), log[1].status),
            ("not_modified", Some(304)),
            "{path}"
        );
        assert_eq!((log[1].items_new, log[1].items_updated), (0, 0), "{path}");
        let feed = p.app.feed(&p.urls[i]);
        assert_eq!(
            (feed.state.as_str(), feed.consecutive_errors),
            ("ok", 0),
            "{path}"
        );
        assert_eq!(feed.last_outcome.as_deref(), Some("not_modified"));
    }
}

fn ids_and_hashes(articles: &[Article]) -> Vec<(i64, String, String)> {
    let mut v: Vec<_> = articles
        .iter()
        .map(|a| (a.id, a.item_key.clone(), a.content_hash.clone()))
        .collect();
    v.sort();
    v
}

const NEW_ITEM: &str = r#"<item>
      <title>Central bank holds rates and flags slower growth</title>
      <link>https://news.example.com/world/2024/03/07/rates-hold</link>
      <guid isPermaLink="false">nc-2024-03-07-rates-hold</guid>
      <pubDate>Thu, 07 Mar 2024 12:00:00 GMT</pubDate>
      <description>Policymakers voted 7-2 to keep the main rate at 5.25%.</description>
    </item>
    "#;

/// `rss2.xml` with one item's text edited and a new item first.
fn edited_rss2() -> String {
    let original = fixture_text("rss2.xml");
    let edited = original.replace("by 312 votes to 289", "by 313 votes to 288");
    assert_ne!(edited, original, "the fixture holds the sentence to edit");
    edited.replacen("<item>", &format!("{NEW_ITEM}<item>"), 1)
}

#[test]
fn edited_item_is_updated_in_place_and_new_item_inserted() {
    let p = poll_paths(&[RSS2]);
    let old = titled(&p.articles, "Parliament passes").clone();
    assert_eq!(old.updated, None, "the fixture item has no update date");
    p.server.set_body(RSS2, edited_rss2());
    let second_from = now_secs();
    let out = p.app.poll_all();
    let second_to = Utc::now();
    assert!(
        summary_line(&out.stdout).contains("1 items new, 1 updated"),
        "{}",
        out.stdout
    );
    let after = p.app.articles(&[]);
    assert_eq!(
        after.len(),
        5,
        "one new item, no duplicate of the edited one"
    );
    let edited = titled(&after, "Parliament passes");
    assert_eq!(
        (edited.id, &edited.item_key),
        (old.id, &old.item_key),
        "edited in place"
    );
    assert_ne!(
        edited.content_hash, old.content_hash,
        "content hash follows the edit"
    );
    assert!(format!("{} {}", edited.summary(), edited.text()).contains("by 313 votes to 288"));
    assert_eq!(edited.first_seen, old.first_seen);
    let updated = utc(edited.updated.as_deref().expect("`updated` set on an edit"));
    assert!(
        updated >= second_from && updated <= second_to,
        "updated {updated} is the time the edit was seen"
    );
    for a in p.articles.iter().filter(|a| a.id != old.id) {
        let now = after
            .iter()
            .find(|b| b.id == a.id)
            .expect("older article kept");
        assert_eq!(now.content_hash, a.content_hash, "{:?} untouched", a.title);
        assert_eq!(now.updated, a.updated, "{:?} untouched", a.title);
    }
    let new = titled(&after, "Central bank holds rates");
    assert!(p.articles.iter().all(|a| a.id < new.id), "new row");
    let log = p.app.fetch_log(&p.urls[0]);
    let last = log.last().expect("log rows");
    assert_eq!(last.outcome, "fetched");
    assert_eq!(
        (last.items_seen, last.items_new, last.items_updated),
        (5, 1, 1),
        "{last:?}"
    );
    let stats = p.server.stats(RSS2);
    assert_eq!(
        (
            stats.requests,
            stats.not_modified,
            stats.if_none_match.len()
        ),
        (2, 0, 1)
    );
}

#[test]
fn server_ignoring_validators_with_same_body_is_unchanged() {
    let server = TestServer::start();
    server.ignore_conditional(true);
    let p = poll_on(server, &[RSS2]);
    let out = p.app.poll_all();
    assert!(
        summary_line(&out.stdout).contains("0 failed, 0 items new, 0 updated"),
        "{}",
        out.stdout
    );
    let stats = p.server.stats(RSS2);
    assert_eq!((stats.requests, stats.not_modified), (2, 0));
    assert_eq!(stats.if_none_match.len(), 1, "validators are still sent");
    let log = p.app.fetch_log(&p.urls[0]);
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[1].outcome.as_str(), log[1].status),
        ("unchanged", Some(200)),
        "{:?}",
        log[1]
    );
    assert_eq!((log[1].items_new, log[1].items_updated), (0, 0));
    assert!(log[1].error.is_none());
    assert_eq!(p.app.count("articles"), 4);
    // A real change behind the same deaf server is still noticed.
    p.server.set_body(RSS2, edited_rss2());
    p.app.poll_all();
    let log = p.app.fetch_log(&p.urls[0]);
    assert_eq!(
        (
            log[2].outcome.as_str(),
            log[2].items_new,
            log[2].items_updated
        ),
        ("fetched", 1, 1),
        "{:?}",
        log[2]
    );
    p.app.poll_all();
    let log = p.app.fetch_log(&p.urls[0]);
    assert_eq!(
        log[3].outcome, "unchanged",
        "compared with the latest body, not the first"
    );
    assert_eq!(p.app.count("articles"), 5);
}

#[test]
fn gzip_content_encoding_is_decoded() {
    let p = poll_paths(&[server::GZIP]);
    assert_eq!(p.articles.len(), 4);
    let a = titled(&p.articles, "Heatwave grips");
    assert_eq!(
        a.url.as_deref(),
        Some("https://news.example.com/world/2024/07/04/heatwave-europe")
    );
    let log = p.app.fetch_log(&p.urls[0]);
    assert_eq!(log[0].outcome, "fetched");
}

#[test]
fn permanent_redirect_is_followed_and_recorded() {
    let p = poll_paths(&[server::MOVED]);
    assert_eq!(p.articles.len(), 4, "the target's items are stored");
    let log = p.app.fetch_log(&p.urls[0]);
    assert_eq!(log[0].outcome, "redirected_permanently", "{:?}", log[0]);
    assert!(log[0].error.is_none());
    assert_eq!(
        (
            p.server.stats(server::MOVED).requests,
            p.server.stats(RSS2).requests
        ),
        (1, 1)
    );
    let feed = p.app.feed(&p.urls[0]);
    assert_eq!(feed.state, "ok");
    assert!(
        p.articles.iter().all(|a| a.feed_url == p.urls[0]),
        "stored under the configured feed"
    );
    // Relative links resolve against the document actually fetched.
    let a = titled(&p.articles, "Parliament passes");
    assert_eq!(
        a.url.as_deref(),
        Some(p.server.url("/world/2024/03/05/budget-vote").as_str())
    );
}
