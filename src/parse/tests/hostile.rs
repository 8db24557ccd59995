//! Bodies that are not feeds, broken feeds, wrong charsets and documents
//! built to hurt a parser.

use super::{parse_err, parse_ok};
use crate::parse::{NotAFeedReason, ParseError, parse_feed};
use encoding_rs::WINDOWS_1251;
use std::time::{Duration, Instant};

#[test]
fn html_page_is_not_a_feed() {
    let page = b"<!DOCTYPE html>\n<html lang=\"en\"><head><title>Blog</title>\
        <link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed\"></head><body></body></html>";
    let error = parse_err(page);
    assert_eq!(error, ParseError::NotAFeed(NotAFeedReason::HtmlPage));
    assert_eq!(error.to_string(), "body is an html page, not a feed");
}

#[test]
fn empty_and_blank_bodies() {
    assert_eq!(
        parse_err(b""),
        ParseError::NotAFeed(NotAFeedReason::EmptyBody)
    );
    assert_eq!(
        parse_err(b" \r\n\t "),
        ParseError::NotAFeed(NotAFeedReason::EmptyBody)
    );
    assert_eq!(parse_err(b"").to_string(), "empty body");
}

#[test]
fn random_bytes_are_not_a_feed() {
    // A fixed linear congruential generator: the same "random" bytes every run.
    let mut state: u32 = 0x2545_f491;
    let body: Vec<u8> = (0..4096)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect();
    assert!(matches!(parse_err(&body), ParseError::NotAFeed(_)));
    // A PNG served at a feed URL.
    assert!(matches!(
        parse_err(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        ParseError::NotAFeed(_)
    ));
}

#[test]
fn other_documents_are_named() {
    let opml = parse_err(br#"<?xml version="1.0"?><opml version="2.0"><body/></opml>"#);
    assert_eq!(
        opml.to_string(),
        "body is an xml document with root <opml>, not a feed"
    );
    let json = parse_err(br#"{"rss": {"version": "2.0", "channel": {}}}"#);
    assert_eq!(json, ParseError::NotAFeed(NotAFeedReason::NotJsonFeed));
}

#[test]
fn broken_documents_are_malformed_with_a_readable_message() {
    let truncated = parse_err(b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Cut");
    assert!(
        matches!(truncated, ParseError::Malformed(_)),
        "{truncated:?}"
    );
    let json = parse_err(br#"{"version": "https://jsonfeed.org/version/1", "items": [{"id": "#);
    assert!(
        json.to_string()
            .starts_with("malformed feed: invalid json: "),
        "{json}"
    );
    for error in [truncated, json] {
        let message = error.to_string();
        assert!(!message.ends_with('.'), "{message}");
        assert_eq!(
            message.chars().next(),
            message.chars().next().map(|c| c.to_ascii_lowercase())
        );
    }
}

#[test]
fn billion_laughs_are_refused_quickly() {
    let mut dtd = String::from("<!ENTITY lol0 \"lol\">");
    for level in 1..=9 {
        let refs = format!("&lol{};", level - 1).repeat(10);
        dtd.push_str(&format!("<!ENTITY lol{level} \"{refs}\">"));
    }
    let body = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE rss [{dtd}]><rss version=\"2.0\"><channel>\
         <title>&lol9;</title><item><title>&lol9;</title><description>&lol9;</description>\
         </item></channel></rss>"
    );
    let started = Instant::now();
    let result = parse_feed(body.as_bytes(), None, "https://example.com/feed");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(result, Err(ParseError::EntityDeclarations)),
        "{result:?}"
    );
}

#[test]
fn plain_entity_declaration_is_accepted() {
    let body = br#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY co 'ACME'>]>
        <rss version="2.0"><channel><title>t</title>
        <item><title>a&nbsp;b</title><link>https://example.com/a</link></item></channel></rss>"#;
    let feed = parse_ok(body, "https://example.com/feed");
    assert_eq!(feed.entries.len(), 1);
}

#[test]
fn doctype_without_entities_is_accepted() {
    // The Netscape RSS 0.91 DOCTYPE names an external DTD but declares nothing.
    let body = br#"<?xml version="1.0"?>
        <!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
          "http://my.netscape.com/publish/formats/rss-0.91.dtd">
        <rss version="0.91"><channel><title>t</title><link>https://example.com/</link>
        <description>d</description><item><title>a</title><link>https://example.com/a</link></item>
        </channel></rss>"#;
    let feed = parse_ok(body, "https://example.com/feed");
    assert_eq!(feed.entries.len(), 1);
}

#[test]
fn external_entities_are_never_read() {
    let body = br#"<?xml version="1.0"?>
        <!DOCTYPE rss [
          <!ENTITY xxe SYSTEM "file:///etc/passwd">
          <!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;
        ]>
        <rss version="2.0"><channel><title>&xxe;</title>
        <item><title>&xxe;</title><description>&xxe;</description><pubDate>&xxe;</pubDate></item>
        </channel></rss>"#;
    let started = Instant::now();
    let result = parse_feed(body, None, "https://example.com/feed");
    assert!(started.elapsed() < Duration::from_secs(2));
    let everything = format!("{result:?}");
    assert!(
        !everything.contains("root:"),
        "file contents leaked: {everything}"
    );
    assert!(
        matches!(result, Err(ParseError::EntityDeclarations)),
        "{result:?}"
    );
}

const RUSSIAN_TITLE: &str = "Новости: правительство объявило о реформе";

fn windows_1251_feed(declaration: &str) -> Vec<u8> {
    let doc = format!(
        "{declaration}<rss version=\"2.0\"><channel><title>Лента.ру</title>\
         <item><title>{RUSSIAN_TITLE}</title><link>https://lenta.example.ru/1</link>\
         <description>Подробности позже</description><pubDate>Пн, 02 мар 2020 10:00:00 +0300</pubDate>\
         </item></channel></rss>"
    );
    let (bytes, _, unmappable) = WINDOWS_1251.encode(&doc);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn windows_1251_feed_declared_in_xml() {
    let body = windows_1251_feed("<?xml version=\"1.0\" encoding=\"windows-1251\"?>");
    let feed = parse_ok(&body, "https://lenta.example.ru/rss");
    assert_eq!(feed.title.as_deref(), Some("Лента.ру"));
    assert_eq!(feed.entries[0].title.as_deref(), Some(RUSSIAN_TITLE));
    assert_eq!(
        feed.entries[0].published_raw.as_deref(),
        Some("Пн, 02 мар 2020 10:00:00 +0300")
    );
}

#[test]
fn windows_1251_feed_declared_only_over_http() {
    let body = windows_1251_feed("");
    let feed = parse_feed(
        &body,
        Some("application/rss+xml; charset=windows-1251"),
        "https://x.example/",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(feed.entries[0].title.as_deref(), Some(RUSSIAN_TITLE));
    assert_eq!(
        feed.entries[0].summary.as_deref(),
        Some("Подробности позже")
    );
}

#[test]
fn stray_latin1_byte_in_an_utf8_feed_does_not_lose_the_feed() {
    // feed-rs alone fails this whole document with "no root element".
    let mut body = b"<rss version=\"2.0\"><channel><title>Caf".to_vec();
    body.push(0xE9);
    body.extend_from_slice(
        "</title><item><title>“Smart” quotes</title></item></channel></rss>".as_bytes(),
    );
    let feed = parse_ok(&body, "https://cafe.example.fr/feed");
    assert_eq!(feed.title.as_deref(), Some("Café"));
    assert_eq!(feed.entries[0].title.as_deref(), Some("“Smart” quotes"));
}

#[test]
fn feed_behind_php_warnings() {
    let body = b"<br />\n<b>Warning</b>: Cannot modify header information in \
        <b>/var/www/wp-includes/feed-rss2.php</b> on line <b>8</b><br />\n\
        <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>WP</title>\
        <item><title>Caf\xc3\xa9</title><guid>p1</guid></item></channel></rss>";
    let feed = parse_ok(body, "https://wp.example.com/feed/");
    assert_eq!(feed.entries[0].guid.as_deref(), Some("p1"));
    // The bytes are UTF-8 whatever the late declaration says.
    assert_eq!(feed.entries[0].title.as_deref(), Some("Café"));
}
