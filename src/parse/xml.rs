//! Drives feed-rs over an XML feed and maps its result into [`ParsedFeed`].
//!
//! feed-rs is configured so that its output is deterministic and honest:
//! no sanitizing (normalize owns HTML cleaning), the document URL as base
//! for relative links, and an id generator that returns a sentinel instead
//! of a hash or a random UUID, so an item without `<guid>`/`<id>` is
//! reported as having none. Per-item data feed-rs drops comes from
//! [`scan`](super::scan), paired by index; when the counts disagree the
//! scan is ignored and feed-rs's data stands alone. Documents feed-rs
//! misreads go through [`rewrite`](super::rewrite) first (recognised by their
//! root tag) or after its failure; `scan` then reads the rewritten text.

use super::entry::{self, EntryContext};
use super::{NotAFeedReason, ParseError, non_blank, rewrite, scan, sniff};
use crate::model::{DocSchedule, FeedFormat, ParsedFeed};
use feed_rs::model::{Feed, FeedType, Link};
use feed_rs::parser::{ParseErrorKind, ParseFeedError};
use quick_xml::events::BytesStart;
use std::borrow::Cow;
use url::Url;

/// What the id generator returns. NUL cannot occur in XML text, so no real
/// `<guid>` can equal it.
pub(super) const GENERATED_ID: &str = "\u{0}feedsieve:no-id";

pub(super) fn parse(
    text: &str,
    root: &str,
    doc_base: Option<&Url>,
) -> Result<ParsedFeed, ParseError> {
    // Atom 0.3 and RSS under a foreign default namespace parse "fine" into
    // zero entries, so they are recognised by their root tag up front.
    let up_front = rewrite::root_needs_rewrite(text);
    let mut text = match up_front.then(|| rewrite::rewrite(text)).flatten() {
        Some(rewritten) => Cow::Owned(rewritten),
        None => Cow::Borrowed(text),
    };
    // Each repair is tried at most once, so feed-rs runs at most three times,
    // and more than once only on a document it would otherwise reject.
    let (mut rewritten, mut versioned) = (up_front, false);
    loop {
        let error = match run_feed_rs(&text, doc_base) {
            Ok(feed) => return Ok(build(feed, &text, doc_base)),
            Err(error) => error,
        };
        let no_root = matches!(
            error,
            ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot)
        );
        // feed-rs knows only `<rss version="2.0">`, "0.91" and "0.92"; real
        // feeds also say nothing, "2.01", "0.93" or "2.0.1" (UOL Notícias
        // serves a bare `<rss>`). Retry as the version it is closest to.
        let retry = if no_root && root == "rss" && !versioned {
            versioned = true;
            patch_rss_version(&text)
        } else {
            None
        };
        // A MIME type or a bad `xml:base` anywhere fails the whole feed;
        // the rewrite returns `None` when it finds nothing to change.
        let retry = retry.or_else(|| {
            if rewritten {
                return None;
            }
            rewritten = true;
            rewrite::rewrite(&text)
        });
        match retry {
            Some(retry) => text = Cow::Owned(retry),
            None => return Err(map_error(error, root)),
        }
    }
}

fn run_feed_rs(text: &str, doc_base: Option<&Url>) -> Result<Feed, ParseFeedError> {
    feed_rs::parser::Builder::new()
        .base_uri(doc_base.map(Url::as_str))
        .id_generator(|_, _, _| GENERATED_ID.to_owned())
        .sanitize_content(false)
        .build()
        .parse(text.as_bytes())
}

fn build(feed: Feed, text: &str, doc_base: Option<&Url>) -> ParsedFeed {
    let format = match feed.feed_type {
        FeedType::RSS0 => FeedFormat::Rss0,
        FeedType::RSS1 => FeedFormat::Rss1,
        FeedType::RSS2 => FeedFormat::Rss2,
        FeedType::Atom => FeedFormat::Atom,
        FeedType::JSON => FeedFormat::Json,
    };
    let scan = scan::scan_items(text, format, doc_base);
    let schedule = DocSchedule {
        ttl_mins: feed.ttl,
        ..scan.as_ref().map(|s| s.schedule).unwrap_or_default()
    };
    let mut scans = match scan.map(|s| s.items) {
        Some(scans) if scans.len() == feed.entries.len() => Some(scans.into_iter()),
        other => {
            tracing::debug!(
                format = ?format,
                entries = feed.entries.len(),
                scanned = other.map(|s| s.len()),
                "item scan disagrees with feed-rs, using feed-rs data only"
            );
            None
        }
    };
    let context = EntryContext {
        format,
        doc_base,
        // RFC 4287 4.2.1: an entry without <author> has the feed's.
        feed_authors: match format {
            FeedFormat::Atom => entry::author_names(&feed.authors),
            _ => Vec::new(),
        },
    };
    let entries = feed
        .entries
        .into_iter()
        .map(|item| entry::raw_entry(item, scans.as_mut().and_then(Iterator::next), &context))
        .collect();
    ParsedFeed {
        format,
        title: feed.title.and_then(|t| non_blank(t.content)),
        site_url: site_link(&feed.links).and_then(|l| super::absolute_url(&l.href, doc_base)),
        language: feed.language.and_then(|l| non_blank(l.trim().to_owned())),
        rights: feed.rights.and_then(|t| non_blank(t.content)),
        schedule,
        entries,
    }
}

/// The channel's own page: RSS `<link>`, Atom `rel="alternate"` (HTML when
/// there are several), else the first link that is not the feed itself or
/// a WebSub hub.
fn site_link(links: &[Link]) -> Option<&Link> {
    entry::preferred_alternate(links).or_else(|| {
        links.iter().find(|l| {
            !l.rel.as_deref().is_some_and(|rel| {
                ["self", "hub", "next", "previous", "prev", "first", "last"]
                    .iter()
                    .any(|skip| rel.eq_ignore_ascii_case(skip))
            })
        })
    })
}

fn map_error(error: ParseFeedError, root: &str) -> ParseError {
    match error {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => no_feed_root(root),
        ParseFeedError::XmlReader(e) => {
            let message = e.to_string();
            let detail = message.strip_prefix("Parser error: ").unwrap_or(&message);
            ParseError::Malformed(format!("invalid xml: {detail}"))
        }
        other => ParseError::Malformed(lowercase_first(&other.to_string())),
    }
}

fn no_feed_root(root: &str) -> ParseError {
    if root.is_empty() {
        ParseError::Malformed("no root element".to_owned())
    } else if sniff::is_feed_root(root) {
        ParseError::Malformed(format!(
            "<{root}> document has no channel or entries feed-rs can read"
        ))
    } else {
        NotAFeedReason::UnknownXmlRoot(root.to_owned()).into()
    }
}

/// Rewrites the root `<rss ...>` start tag with a version feed-rs accepts,
/// keeping every other attribute (namespace declarations above all).
fn patch_rss_version(text: &str) -> Option<String> {
    let open = find_root_tag(text)?;
    let close = open + tag_end(&text[open..])?;
    let tag = BytesStart::from_content(&text[open + 1..close], "rss".len());
    let mut version = None;
    let mut rebuilt = String::from("<rss");
    for attr in tag.attributes().with_checks(false).flatten() {
        if attr.key.as_ref() == "version" {
            version = Some(attr.value.into_owned());
            continue;
        }
        rebuilt.push_str(&format!(
            " {}=\"{}\"",
            attr.key.as_ref(),
            attr.value.replace('"', "&quot;")
        ));
    }
    let closest = match version.as_deref().map(str::trim) {
        Some(v) if v.starts_with("0.9") => "0.92",
        _ => "2.0",
    };
    rebuilt.push_str(&format!(" version=\"{closest}\">"));
    Some(format!("{}{rebuilt}{}", &text[..open], &text[close + 1..]))
}

/// Byte offset of the `<rss` that opens the root element.
fn find_root_tag(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find("<rss") {
        let at = from + at;
        let next = text[at + 4..].chars().next();
        if next.is_some_and(|c| c.is_whitespace() || c == '>') {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// Offset of the `>` closing the start tag at the beginning of `tag`,
/// skipping `>` inside quoted attribute values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
