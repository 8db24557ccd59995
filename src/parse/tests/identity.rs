//! Guids are reported exactly as given, or as `None`: never invented.

use super::parse_ok;

#[test]
fn items_without_guid_or_link_parse_identically_twice() {
    // feed-rs would give such items a random UUID (without a base URI) or a
    // hash; either would make the same item look new on every poll.
    let body = br#"<rss version="2.0"><channel><title>t</title>
        <item><title>First</title><description>one</description></item>
        <item><title>Second</title><description>two</description></item>
        </channel></rss>"#;
    let once = parse_ok(body, "https://example.com/feed");
    let twice = parse_ok(body, "https://example.com/feed");
    assert_eq!(once, twice);
    assert!(
        once.entries.iter().all(|e| e.guid.is_none()),
        "{:?}",
        once.entries
    );
    // The same for Atom entries without <id>, without a document URL to hash.
    let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <entry><title>No id</title></entry></feed>"#;
    let once = parse_ok(atom, "not a url");
    assert_eq!(once, parse_ok(atom, "not a url"));
    assert_eq!(once.entries[0].guid, None);
}

#[test]
fn one_guid_on_every_item_keeps_every_item() {
    // Some CMS templates print the channel's URL as every item's guid.
    let body = br#"<rss version="2.0"><channel><title>t</title>
        <item><title>A</title><link>https://example.com/a</link><guid>https://example.com/</guid></item>
        <item><title>B</title><link>https://example.com/b</link><guid>https://example.com/</guid></item>
        <item><title>C</title><link>https://example.com/c</link><guid>https://example.com/</guid></item>
        </channel></rss>"#;
    let feed = parse_ok(body, "https://example.com/feed");
    assert_eq!(feed.entries.len(), 3);
    assert!(
        feed.entries
            .iter()
            .all(|e| e.guid.as_deref() == Some("https://example.com/"))
    );
    let links: Vec<_> = feed
        .entries
        .iter()
        .filter_map(|e| e.link.as_deref())
        .collect();
    assert_eq!(
        links,
        [
            "https://example.com/a",
            "https://example.com/b",
            "https://example.com/c"
        ]
    );
}

#[test]
fn guids_are_given_exactly_and_blank_ones_are_none() {
    let body = br#"<rss version="2.0"><channel>
        <item><title>A</title><guid isPermaLink="false">  42 &amp; more  </guid></item>
        <item><title>B</title><guid>   </guid></item>
        </channel></rss>"#;
    let feed = parse_ok(body, "https://example.com/feed");
    assert_eq!(feed.entries[0].guid.as_deref(), Some("42 & more"));
    assert_eq!(
        feed.entries[0].link, None,
        "isPermaLink=false guids are not links"
    );
    assert_eq!(feed.entries[1].guid, None);
}

#[test]
fn items_outside_the_first_channel_do_not_shift_the_scan() {
    // Broken generators put items after </channel>; feed-rs ignores them,
    // and so must the scan, or raw dates would land on the wrong items.
    let body = br#"<rss version="2.0"><channel><title>t</title>
        <item><title>In</title><guid>in</guid><pubDate>raw one</pubDate></item>
        </channel>
        <item><title>Out</title><guid>out</guid><pubDate>raw two</pubDate></item>
        </rss>"#;
    let feed = parse_ok(body, "https://example.com/feed");
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].guid.as_deref(), Some("in"));
    assert_eq!(feed.entries[0].published_raw.as_deref(), Some("raw one"));
}

#[test]
fn when_the_scan_disagrees_feed_rs_data_stands_alone() {
    // feed-rs skips the second item (foreign namespace); the scan counts it.
    // Pairing by index would be wrong, so only feed-rs's fields are used:
    // guids still exact or None, never the generator's sentinel.
    let body = br#"<rss version="2.0"><channel><title>t</title>
        <item><title>A</title><guid>g1</guid><pubDate>Tue, 03 Mar 2020 11:00:00 +0100</pubDate></item>
        <item xmlns="http://example.com/not-rss"><title>B</title><guid>g2</guid></item>
        <item><title>C</title><pubDate>not a date</pubDate></item>
        </channel></rss>"#;
    let feed = parse_ok(body, "https://example.com/feed");
    assert_eq!(feed.entries.len(), 2);
    let [a, c] = &feed.entries[..] else {
        unreachable!()
    };
    assert_eq!(a.guid.as_deref(), Some("g1"));
    assert!(a.published.is_some());
    assert_eq!(
        a.updated, None,
        "feed-rs's copy of pubDate is not an update"
    );
    assert_eq!(a.published_raw, None);
    assert_eq!(c.guid, None);
    assert_eq!(c.title.as_deref(), Some("C"));
}

#[test]
fn a_lone_atom_entry_document() {
    let body = br#"<entry xmlns="http://www.w3.org/2005/Atom"><id>urn:e1</id><title>Solo</title>
        <link href="/solo"/><updated>2024-01-01 10:00</updated></entry>"#;
    let feed = parse_ok(body, "https://example.com/solo.atom");
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].guid.as_deref(), Some("urn:e1"));
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("https://example.com/solo")
    );
    assert_eq!(
        feed.entries[0].updated_raw.as_deref(),
        Some("2024-01-01 10:00")
    );
}
