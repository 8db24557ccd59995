//! One fixture per syntax: what each field of the result must hold.

use super::parse_ok;
use crate::model::{Enclosure, FeedFormat};
use chrono::{TimeZone, Utc};

#[test]
fn rss_091_with_netscape_doctype() {
    // The DOCTYPE names an external DTD on a long-dead host: nothing is fetched.
    let feed = parse_ok(
        include_bytes!("../testdata/rss091.xml"),
        "http://writetheweb.com/rss.xml",
    );
    assert_eq!(feed.format, FeedFormat::Rss0);
    assert_eq!(feed.title.as_deref(), Some("WriteTheWeb"));
    assert_eq!(feed.site_url.as_deref(), Some("http://writetheweb.com/"));
    assert_eq!(feed.language.as_deref(), Some("en-us"));
    assert_eq!(feed.entries.len(), 2);
    let first = &feed.entries[0];
    assert_eq!(first.guid, None);
    assert_eq!(
        first.link.as_deref(),
        Some("http://writetheweb.com/read.php?item=24")
    );
    // `&amp;nbsp;` is the literal text `&nbsp;`, left for normalize.
    assert!(
        first
            .summary
            .as_deref()
            .is_some_and(|s| s.contains("Gnutella&nbsp;-allowing"))
    );
    // A relative <link> resolves against the document URL.
    assert_eq!(
        feed.entries[1].link.as_deref(),
        Some("http://writetheweb.com/read.php?item=23")
    );
}

#[test]
fn rss_10_rdf_keeps_raw_dates_and_stays_aligned() {
    let feed = parse_ok(
        include_bytes!("../testdata/rss10.rdf"),
        "http://xml.com/news.rss",
    );
    assert_eq!(feed.format, FeedFormat::Rss1);
    assert_eq!(feed.title.as_deref(), Some("XML.com"));
    assert_eq!(feed.site_url.as_deref(), Some("http://xml.com/pub"));
    assert_eq!(feed.language.as_deref(), Some("en"));
    // feed-rs drops the middle item (no <link>); the scan must drop it too,
    // or the third item would get the second's dates.
    assert_eq!(feed.entries.len(), 2);
    let [first, second] = &feed.entries[..] else {
        unreachable!()
    };
    assert_eq!(
        first.guid.as_deref(),
        Some("http://xml.com/pub/2000/08/09/xslt/xslt.html")
    );
    assert_eq!(first.authors, ["Bob DuCharme"]);
    assert_eq!(
        first.published,
        Some(Utc.with_ymd_and_hms(2000, 8, 9, 11, 0, 0).unwrap())
    );
    assert_eq!(
        first.published_raw.as_deref(),
        Some("2000-08-09T12:00:00+01:00")
    );
    assert_eq!(second.title.as_deref(), Some("Putting RDF to Work"));
    assert_eq!(second.published, None);
    assert_eq!(second.published_raw.as_deref(), Some("09.08.2000 14:30"));
    assert_eq!(second.updated_raw.as_deref(), Some("2000-08-10 09:00:00"));
}

#[test]
fn rss_20_with_content_encoded_and_dc_creator() {
    let feed = parse_ok(
        include_bytes!("../testdata/rss20.xml"),
        "https://news.example.de/feed/",
    );
    assert_eq!(feed.format, FeedFormat::Rss2);
    assert_eq!(feed.title.as_deref(), Some("Tagesblog & Co"));
    // The channel <link>, not the atom:link rel="self" before it.
    assert_eq!(feed.site_url.as_deref(), Some("https://news.example.de/"));
    assert_eq!(feed.schedule.ttl_mins, Some(30));
    let [first, second, third] = &feed.entries[..] else {
        panic!("{:?}", feed.entries)
    };

    assert_eq!(
        first.guid.as_deref(),
        Some("https://news.example.de/?p=101")
    );
    // <comments> comes first in the item but is not the permalink.
    assert_eq!(
        first.link.as_deref(),
        Some("https://news.example.de/2020/03/erste/")
    );
    assert_eq!(first.authors, ["Anna Schmidt"]);
    assert_eq!(first.categories, ["Politik", "Inland"]);
    assert_eq!(first.summary.as_deref(), Some("<p>Kurz&nbsp;gesagt.</p>"));
    assert_eq!(
        first.content.as_deref(),
        Some(r#"<p>Der ganze Text mit <a href="/mehr">Link</a>.</p>"#)
    );
    assert_eq!(
        first.base_url.as_deref(),
        Some("https://news.example.de/2020/03/erste/")
    );
    // German weekday and month, CEST: feed-rs cannot, normalize may.
    assert_eq!(first.published, None);
    assert_eq!(
        first.published_raw.as_deref(),
        Some("Di, 03 Mär 2020 10:00:00 CEST")
    );
    assert_eq!(first.updated, None);
    let urls: Vec<&str> = first.enclosures.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://cdn.example.de/audio/erste.mp3",
            "https://news.example.de/audio/erste.ogg",
            "https://cdn.example.de/img/erste.jpg",
        ]
    );
    assert_eq!(
        first.enclosures[0],
        Enclosure {
            url: "https://cdn.example.de/audio/erste.mp3".into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(12345),
        }
    );

    // `x@y.com (Name)` gives the name; an address alone gives nothing.
    assert_eq!(second.authors, ["Max Mustermann"]);
    assert_eq!(
        second.published,
        Some(Utc.with_ymd_and_hms(2020, 3, 3, 10, 0, 0).unwrap())
    );
    assert_eq!(
        second.updated,
        Some(Utc.with_ymd_and_hms(2020, 3, 4, 8, 0, 0).unwrap())
    );
    assert_eq!(second.updated_raw.as_deref(), Some("2020-03-04T08:00:00Z"));

    // No <link>: the guid (isPermaLink defaults to true) is the permalink.
    assert_eq!(
        third.link.as_deref(),
        Some("https://news.example.de/podcast/7")
    );
    assert_eq!(third.published_raw.as_deref(), Some("2020-03-05 12:00:00"));
}

#[test]
fn atom_with_xml_base_and_relative_links() {
    let feed = parse_ok(
        include_bytes!("../testdata/atom.xml"),
        "https://blog.example.org/atom.xml",
    );
    assert_eq!(feed.format, FeedFormat::Atom);
    assert_eq!(feed.title.as_deref(), Some("Example Blog"));
    // rel="alternate", not self or hub.
    assert_eq!(feed.site_url.as_deref(), Some("https://blog.example.org/"));
    assert_eq!(feed.language.as_deref(), Some("en"));
    let [first, second] = &feed.entries[..] else {
        panic!("{:?}", feed.entries)
    };

    assert_eq!(first.guid.as_deref(), Some("tag:blog.example.org,2024:1"));
    // Entry xml:base "/2024/05/" on top of the feed's; the HTML alternate
    // wins over the JSON one listed first.
    assert_eq!(
        first.link.as_deref(),
        Some("https://blog.example.org/2024/05/first.html")
    );
    // The content element's own xml:base is what its HTML resolves against.
    assert_eq!(
        first.base_url.as_deref(),
        Some("https://blog.example.org/assets/")
    );
    assert_eq!(first.title.as_deref(), Some("Relative &amp; based"));
    assert_eq!(first.summary.as_deref(), Some("Short"));
    assert_eq!(
        first.content.as_deref(),
        Some(r#"<img src="pic.png"> Body"#)
    );
    // No <author> on the entry: the feed's (RFC 4287 4.2.1).
    assert_eq!(first.authors, ["Feed Author"]);
    assert_eq!(first.categories, ["rust", "Feeds"]);
    assert_eq!(first.language.as_deref(), Some("fr"));
    assert_eq!(
        first.published,
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 7, 0, 0).unwrap())
    );
    assert_eq!(first.updated, None);
    assert_eq!(first.updated_raw.as_deref(), Some("2024-05-02 10:00"));
    assert_eq!(
        first.enclosures,
        [Enclosure {
            url: "https://blog.example.org/2024/05/first.mp3".into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(4242),
        }]
    );

    assert_eq!(
        second.link.as_deref(),
        Some("https://blog.example.org/second.html")
    );
    assert_eq!(second.authors, ["Guest"]);
    assert_eq!(second.content.as_deref(), Some("<p>Hello <b>xhtml</b></p>"));
    // The feed-level xml:base is still in effect for the entry.
    assert_eq!(
        second.base_url.as_deref(),
        Some("https://blog.example.org/")
    );
    assert_eq!(
        second.updated,
        Some(Utc.with_ymd_and_hms(2024, 5, 3, 10, 0, 0).unwrap())
    );
}

#[test]
fn json_feed_11() {
    let feed = parse_ok(
        include_bytes!("../testdata/jsonfeed11.json"),
        "https://json.example.net/feed.json",
    );
    assert_eq!(feed.format, FeedFormat::Json);
    assert_eq!(feed.title.as_deref(), Some("JSON Example"));
    assert_eq!(feed.site_url.as_deref(), Some("https://json.example.net/"));
    assert_eq!(feed.language.as_deref(), Some("en-GB"));
    let [first, second] = &feed.entries[..] else {
        panic!("{:?}", feed.entries)
    };

    assert_eq!(first.guid.as_deref(), Some("2"));
    assert_eq!(
        first.link.as_deref(),
        Some("https://json.example.net/2024/second")
    );
    assert_eq!(first.content.as_deref(), Some("<p>Hello <b>world</b></p>"));
    assert_eq!(first.summary.as_deref(), Some("Greeting"));
    assert_eq!(first.authors, ["Jay Son"]);
    assert_eq!(first.categories, ["news", "json"]);
    assert_eq!(first.language.as_deref(), Some("fr"));
    assert_eq!(
        first.published,
        Some(Utc.with_ymd_and_hms(2024, 6, 1, 17, 0, 0).unwrap())
    );
    assert_eq!(first.updated, None);
    assert_eq!(first.updated_raw.as_deref(), Some("2024-06-02 08:00"));
    assert_eq!(
        first.enclosures,
        [Enclosure {
            url: "https://json.example.net/media/second.m4a".into(),
            mime_type: Some("audio/x-m4a".into()),
            length: Some(89_970_236),
        }]
    );

    // A numeric id is coerced, content_text stands in for content_html,
    // external_url for url, and a "a, b" string for a tag list.
    assert_eq!(second.guid.as_deref(), Some("1"));
    assert_eq!(
        second.link.as_deref(),
        Some("https://elsewhere.example.com/story")
    );
    assert_eq!(second.content.as_deref(), Some("Plain text only"));
    assert_eq!(second.authors, ["Guest Writer"]);
    assert_eq!(second.categories, ["workflow", "omnifocus"]);
}

#[test]
fn rss_without_version_is_read_as_rss_2() {
    // UOL Notícias serves a bare <rss>; feed-rs alone says "no root element".
    let body = br#"<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>UOL</title>
        <item><title>A</title><link>http://uol.example/a</link><dc:date>2020-01-01</dc:date></item>
        </channel></rss>"#;
    let feed = parse_ok(body, "http://uol.example/rss");
    assert_eq!(feed.format, FeedFormat::Rss2);
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].published_raw.as_deref(), Some("2020-01-01"));
    let old = parse_ok(
        br#"<rss version="0.93"><channel><item><title>B</title></item></channel></rss>"#,
        "http://x.example/",
    );
    assert_eq!(old.format, FeedFormat::Rss0);
}

#[test]
fn channel_scheduling_advice() {
    use crate::model::DocSchedule;
    let rss2 = br#"<?xml version="1.0"?>
<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel><title>T</title><link>https://example.com/</link>
  <ttl>15</ttl>
  <sy:updatePeriod> hourly </sy:updatePeriod>
  <sy:updateFrequency>2</sy:updateFrequency>
  <skipHours><hour>0</hour><hour>1</hour><hour>24</hour><hour>nine</hour></skipHours>
  <skipDays><day>Saturday</day><day>sunday</day><day>Caturday</day></skipDays>
  <item><title>a</title><guid>a</guid>
    <!-- an item's own elements of the same names are not the channel's -->
    <sy:updatePeriod>yearly</sy:updatePeriod><hour>5</hour></item>
</channel></rss>"#;
    let feed = parse_ok(rss2, "https://example.com/rss");
    assert_eq!(
        feed.schedule,
        DocSchedule {
            ttl_mins: Some(15),
            update_period_secs: Some(1800),
            skip_hours: 0b11,
            skip_days: 0b110_0000,
        }
    );
    // RSS 1.0, where the module was born: defaults are daily and 1.
    let rss1 = br#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel rdf:about="https://example.com/"><title>T</title><link>https://example.com/</link>
  <description>d</description><sy:updateFrequency>4</sy:updateFrequency></channel>
<item rdf:about="https://example.com/1"><title>a</title><link>https://example.com/1</link></item>
</rdf:RDF>"#;
    let feed = parse_ok(rss1, "https://example.com/rdf");
    assert_eq!(feed.schedule.update_period_secs, Some(6 * 3600));
    // No advice at all, and nonsense advice, are both nothing.
    let plain = br#"<rss version="2.0"><channel><title>T</title>
  <sy:updatePeriod>fortnightly</sy:updatePeriod><item><guid>a</guid></item></channel></rss>"#;
    let feed = parse_ok(plain, "https://example.com/rss");
    assert_eq!(feed.schedule, DocSchedule::default());
}
