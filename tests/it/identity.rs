//! Item identity across polls for feeds with weak identifiers: one guid on
//! every item, or no guids at all. Keys must be distinct within a poll and
//! stable across polls, so nothing is stored twice and nothing is lost.

use crate::bodies::fixture_text;
use crate::ingest::{Polled, poll_paths};
use crate::records::{Article, titled};
use std::collections::BTreeMap;

/// `(item_key → (id, title))` of a feed's articles.
fn keys(articles: &[Article]) -> BTreeMap<String, (i64, String)> {
    articles
        .iter()
        .map(|a| (a.item_key.clone(), (a.id, a.title().to_string())))
        .collect()
}

/// Edits only the channel's `<lastBuildDate>`, so the body differs (no 304,
/// no "unchanged" shortcut) while every item stays the same.
fn touch_channel(p: &Polled, path: &str, fixture: &str, from: &str, to: &str) {
    let body = fixture_text(fixture);
    let changed = body.replace(from, to);
    assert_ne!(changed, body, "{fixture} holds {from:?}");
    p.server.set_body(path, changed);
}

/// Polls again after a harmless channel change and checks that the same
/// keys map to the same rows and that the pass stored nothing.
fn assert_stable_after_repoll(p: &Polled, path: &str, fixture: &str, from: &str, to: &str) {
    let before = keys(&p.articles);
    touch_channel(p, path, fixture, from, to);
    p.app.poll_all();
    let log = p.app.fetch_log(&p.urls[0]);
    let last = log.last().expect("log rows");
    assert_eq!(
        last.outcome, "fetched",
        "the changed body is parsed again: {last:?}"
    );
    assert_eq!(
        (last.items_new, last.items_updated),
        (0, 0),
        "re-poll stored nothing: {last:?}"
    );
    assert_eq!(last.items_seen, before.len() as i64, "{last:?}");
    let after = keys(&p.app.articles(&[]));
    assert_eq!(after, before, "item keys and rows are stable across polls");
}

#[test]
fn one_guid_on_every_item_still_stores_three_items() {
    let path = "/fixtures/same_guid.xml";
    let p = poll_paths(&[path]);
    let titles: Vec<&str> = p.articles.iter().map(Article::title).collect();
    assert_eq!(
        p.articles.len(),
        3,
        "three distinct items despite one guid: {titles:?}"
    );
    assert_eq!(keys(&p.articles).len(), 3, "distinct item keys");
    for a in &p.articles {
        assert_eq!(
            a.guid.as_deref(),
            Some("https://jornal.example.pt/"),
            "guid kept as written"
        );
    }
    let metro = titled(&p.articles, "Metro do Porto");
    assert_eq!(
        metro.url.as_deref(),
        Some("https://jornal.example.pt/cidade/metro-linha-rosa")
    );
    assert_eq!(metro.published.as_deref(), Some("2024-03-11T08:45:00Z"));
    assert_eq!(metro.language.as_deref(), Some("pt"));
    assert_stable_after_repoll(
        &p,
        path,
        "same_guid.xml",
        "<lastBuildDate>Mon, 11 Mar 2024 09:00:00 +0000",
        "<lastBuildDate>Mon, 11 Mar 2024 09:30:00 +0000",
    );
}

#[test]
fn items_without_guid_get_stable_keys() {
    let path = "/fixtures/no_guid.xml";
    let p = poll_paths(&[path]);
    assert_eq!(p.articles.len(), 3);
    assert_eq!(keys(&p.articles).len(), 3, "distinct item keys");
    let darsena = titled(&p.articles, "Darsena");
    assert_eq!(darsena.guid, None, "no guid invented");
    assert_eq!(
        darsena.url.as_deref(),
        Some("https://gazzetta.example.it/cronaca/2024/03/12/darsena-riapre")
    );
    assert_eq!(darsena.published.as_deref(), Some("2024-03-12T05:30:00Z"));
    let brief = titled(&p.articles, "Passo dello Stelvio");
    assert_eq!(
        (brief.guid.as_deref(), brief.url.as_deref()),
        (None, None),
        "neither guid nor link"
    );
    assert!(format!("{} {}", brief.summary(), brief.text()).contains("fino a nuovo avviso"));
    assert_stable_after_repoll(
        &p,
        path,
        "no_guid.xml",
        "<lastBuildDate>Tue, 12 Mar 2024 07:00:00 +0100",
        "<lastBuildDate>Tue, 12 Mar 2024 08:00:00 +0100",
    );
}

/// An item that leaves the document and comes back keeps its row: items are
/// never deleted, and the returning item is not stored twice.
#[test]
fn item_dropping_out_and_returning_is_not_duplicated() {
    let path = "/fixtures/no_guid.xml";
    let p = poll_paths(&[path]);
    let before = keys(&p.articles);
    let body = fixture_text("no_guid.xml");
    let start = body
        .find("<item>\n      <title>Sciopero")
        .expect("second item");
    let end = start + body[start..].find("</item>").expect("item end") + "</item>".len();
    p.server
        .set_body(path, format!("{}{}", &body[..start], &body[end..]));
    p.app.poll_all();
    assert_eq!(
        keys(&p.app.articles(&[])),
        before,
        "the dropped item stays stored"
    );
    p.server.set_body(path, body);
    p.app.poll_all();
    assert_eq!(
        keys(&p.app.articles(&[])),
        before,
        "the returning item reuses its row"
    );
    let log = p.app.fetch_log(&p.urls[0]);
    assert!(log.iter().skip(1).all(|l| l.items_new == 0), "{log:?}");
}
