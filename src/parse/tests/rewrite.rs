//! Documents feed-rs 3 reads as empty or rejects whole, which the rewrite
//! turns into ones it reads: Atom 0.3, RSS under a default namespace, Atom
//! MIME types and a broken `xml:base`.

use super::parse_ok;
use crate::model::FeedFormat;
use crate::parse::{ParseError, parse_feed};
use chrono::{TimeZone, Utc};

#[test]
fn atom_03_reads_as_atom_10() {
    // feed-rs alone: no title and zero entries, without an error.
    let feed = parse_ok(
        include_bytes!("../testdata/atom03.xml"),
        "http://old.example.com/atom.xml",
    );
    assert_eq!(feed.format, FeedFormat::Atom);
    // mode="escaped" type="text/html": the escaped markup is HTML.
    assert_eq!(feed.title.as_deref(), Some("Old &amp; Blog"));
    assert_eq!(feed.site_url.as_deref(), Some("http://old.example.com/"));
    assert_eq!(feed.language.as_deref(), Some("en"));
    let [first, second] = &feed.entries[..] else {
        panic!("{:?}", feed.entries)
    };

    assert_eq!(first.title.as_deref(), Some("First post"));
    assert_eq!(first.guid.as_deref(), Some("tag:old.example.com,2004:1"));
    assert_eq!(
        first.link.as_deref(),
        Some("http://old.example.com/2004/06/first.html")
    );
    assert_eq!(first.authors, ["Ann Author"]);
    assert_eq!(first.summary.as_deref(), Some("A short summary"));
    assert_eq!(
        first.content.as_deref(),
        Some(r#"<p>See <a href="/about.html">about</a>.</p>"#)
    );
    // The relative link resolves against the entry's permalink.
    assert_eq!(
        first.base_url.as_deref(),
        Some("http://old.example.com/2004/06/first.html")
    );
    // <issued> is the publication date and <modified> the update, with
    // their raw strings; <created> loses to <issued>.
    assert_eq!(
        first.published,
        Some(Utc.with_ymd_and_hms(2004, 6, 1, 10, 0, 0).unwrap())
    );
    assert_eq!(
        first.published_raw.as_deref(),
        Some("2004-06-01T12:00:00+02:00")
    );
    assert_eq!(
        first.updated,
        Some(Utc.with_ymd_and_hms(2004, 6, 2, 8, 0, 0).unwrap())
    );
    assert_eq!(first.updated_raw.as_deref(), Some("2004-06-02T08:00:00Z"));

    assert_eq!(second.title.as_deref(), Some("Second <em>post</em>"));
    assert_eq!(
        second.link.as_deref(),
        Some("http://old.example.com/2004/06/second.html")
    );
    // mode="xml" application/xhtml+xml is inline XHTML, its <div> unwrapped.
    assert_eq!(
        second.content.as_deref(),
        Some("<p>Inline <b>XHTML</b></p>")
    );
    // 0.3 allowed <issued> without a zone: kept raw for normalize.
    assert_eq!(second.published, None);
    assert_eq!(second.published_raw.as_deref(), Some("2004-06-03T09:30:00"));
    assert_eq!(second.updated_raw.as_deref(), Some("2004-06-03T07:30:00Z"));
}

#[test]
fn atom_03_base64_and_unnamespaced_bodies() {
    // No xmlns at all, only version="0.3"; a base64 summary is decoded and
    // a base64 image dropped, not shown as text.
    let body = br#"<feed version="0.3"><title>T</title>
        <entry><title>A</title><id>a</id><issued>2004-01-01T00:00:00Z</issued>
        <summary type="text/html" mode="base64">PHA+SGkgJmFtcDsgYnllPC9wPg==</summary>
        <content type="image/png" mode="base64">iVBORw0KGgo=</content></entry></feed>"#;
    let feed = parse_ok(body, "http://x.example/atom");
    let [entry] = &feed.entries[..] else {
        panic!("{:?}", feed.entries)
    };
    assert_eq!(entry.summary.as_deref(), Some("<p>Hi &amp; bye</p>"));
    assert_eq!(entry.content, None);
    assert_eq!(
        entry.published,
        Some(Utc.with_ymd_and_hms(2004, 1, 1, 0, 0, 0).unwrap())
    );
    assert_eq!(entry.published_raw.as_deref(), Some("2004-01-01T00:00:00Z"));
}

#[test]
fn junk_after_an_atom_03_feed_keeps_the_rewrite() {
    // A stray end tag a template printed after </feed>: quick-xml stops
    // there, feed-rs never reads that far, and the entries must survive.
    let mut body = include_bytes!("../testdata/atom03.xml").to_vec();
    body.extend_from_slice(b"</div>\n");
    let feed = parse_ok(&body, "http://old.example.com/atom.xml");
    assert_eq!(feed.entries.len(), 2);
    // A document cut short is still an error, not an empty feed.
    let cut = &body[..body.len() / 2];
    match parse_feed(cut, None, "http://old.example.com/atom.xml") {
        Err(ParseError::Malformed(_)) => {}
        other => panic!("expected a malformed feed, got {other:?}"),
    }
}

#[test]
fn atom_10_mime_types_in_type() {
    // feed-rs alone fails the whole feed on the text/plain summary, the
    // empty text/plain content and the inline application/xhtml+xml.
    let body = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
        <entry><id>1</id><title>Plain</title><link href="/1"/>
          <summary type="text/plain">Fish &amp; chips</summary>
          <content type="text/plain">Plain &lt;body&gt;</content></entry>
        <entry><id>2</id><title>Empty</title><content type="text/plain"/></entry>
        <entry><id>3</id><title>Inline</title>
          <content type="application/xhtml+xml"><p>Para</p></content></entry>
        <entry><id>4</id><title>Picture</title><summary>Has a picture</summary>
          <content type="image/png">iVBORw0KGgo=</content></entry>
        </feed>"#;
    let feed = parse_ok(body, "https://mime.example/atom");
    let [plain, empty, inline, picture] = &feed.entries[..] else {
        panic!("{:?}", feed.entries)
    };
    assert_eq!(plain.link.as_deref(), Some("https://mime.example/1"));
    assert_eq!(plain.summary.as_deref(), Some("Fish & chips"));
    assert_eq!(plain.content.as_deref(), Some("Plain <body>"));
    assert_eq!(empty.title.as_deref(), Some("Empty"));
    assert_eq!(empty.content, None);
    assert_eq!(inline.content.as_deref(), Some("<p>Para</p>"));
    // A base64 image is not the article's text (feed-rs parses this one,
    // and returns the base64 as the body).
    assert_eq!(picture.content, None);
    assert_eq!(picture.summary.as_deref(), Some("Has a picture"));
}

#[test]
fn a_broken_xml_base_is_ignored() {
    // feed-rs alone: "no root element" for the root's, a url error for the
    // entry's. Both are dropped as if absent; the good one still applies.
    let body = br#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://[bad">
        <title>T</title>
        <entry xml:base="http://[bad"><id>1</id><title>One</title><link href="one.html"/></entry>
        <entry xml:base="https://cdn.example/2/"><id>2</id><title>Two</title>
          <link href="two.html"/><content type="html">&lt;img src="a.png"&gt;</content></entry>
        </feed>"#;
    let feed = parse_ok(body, "https://base.example/feeds/atom.xml");
    let [one, two] = &feed.entries[..] else {
        panic!("{:?}", feed.entries)
    };
    assert_eq!(feed.title.as_deref(), Some("T"));
    assert_eq!(
        one.link.as_deref(),
        Some("https://base.example/feeds/one.html")
    );
    assert_eq!(two.link.as_deref(), Some("https://cdn.example/2/two.html"));
    assert_eq!(two.base_url.as_deref(), Some("https://cdn.example/2/"));
}

#[test]
fn rss_under_a_userland_default_namespace() {
    // Radio UserLand's template; feed-rs alone: zero entries, no error.
    let body = br#"<?xml version="1.0"?>
        <rss version="2.0" xmlns="http://backend.userland.com/rss2"
             xmlns:dc="http://purl.org/dc/elements/1.1/">
        <channel><title>Radio Weblog</title><link>http://radio.example.com/</link>
        <item><title>First</title><link>http://radio.example.com/2003/01/01.html#a1</link>
          <description>&lt;p&gt;Hello&lt;/p&gt;</description>
          <guid>http://radio.example.com/2003/01/01.html#a1</guid>
          <pubDate>Wed, 01 Jan 2003 10:00:00 GMT</pubDate></item>
        <item><title>Second</title><guid isPermaLink="false">a2</guid>
          <dc:date>2003-01-02</dc:date></item>
        </channel></rss>"#;
    let feed = parse_ok(body, "http://radio.example.com/rss.xml");
    assert_eq!(feed.format, FeedFormat::Rss2);
    assert_eq!(feed.title.as_deref(), Some("Radio Weblog"));
    assert_eq!(feed.site_url.as_deref(), Some("http://radio.example.com/"));
    let [first, second] = &feed.entries[..] else {
        panic!("{:?}", feed.entries)
    };
    assert_eq!(
        first.link.as_deref(),
        Some("http://radio.example.com/2003/01/01.html#a1")
    );
    assert_eq!(first.summary.as_deref(), Some("<p>Hello</p>"));
    assert_eq!(
        first.published,
        Some(Utc.with_ymd_and_hms(2003, 1, 1, 10, 0, 0).unwrap())
    );
    assert_eq!(
        first.published_raw.as_deref(),
        Some("Wed, 01 Jan 2003 10:00:00 GMT")
    );
    assert_eq!(second.title.as_deref(), Some("Second"));
    assert_eq!(second.guid.as_deref(), Some("a2"));
    assert_eq!(second.link, None);
    assert_eq!(second.published_raw.as_deref(), Some("2003-01-02"));
}

#[test]
fn rss_090_under_the_netscape_namespace() {
    // RSS 0.90 is RDF with Netscape's default namespace: zero entries too.
    let body = br#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
        xmlns="http://my.netscape.com/rdf/simple/0.9/">
        <channel><title>Mozilla Dot Org</title><link>http://www.mozilla.org</link>
        <description>the Mozilla Organization web site</description></channel>
        <item><title>New Status Updates</title><link>http://www.mozilla.org/status/</link></item>
        <item><title>Bugzilla Reorganized</title><link>http://www.mozilla.org/bugs/</link></item>
        </rdf:RDF>"#;
    let feed = parse_ok(body, "http://www.mozilla.org/news.rdf");
    assert_eq!(feed.title.as_deref(), Some("Mozilla Dot Org"));
    let titles: Vec<_> = feed.entries.iter().map(|e| e.title.as_deref()).collect();
    assert_eq!(
        titles,
        [Some("New Status Updates"), Some("Bugzilla Reorganized")]
    );
    assert_eq!(
        feed.entries[1].link.as_deref(),
        Some("http://www.mozilla.org/bugs/")
    );
}
