//! Maps one feed-rs entry, plus what the item scan saw, into a [`RawEntry`].
//!
//! The choices here are about which of several candidates the document
//! meant: which link is the permalink, which base the content's relative
//! links use, which dates were really written, what an author's name is.
//! Text fields pass through as given; normalize cleans them.

use super::scan::ItemScan;
use super::xml::GENERATED_ID;
use super::{absolute_url, non_blank};
use crate::model::{Enclosure, FeedFormat, RawEntry};
use feed_rs::model::{Category, Content, Entry, Link, Person};
use url::Url;

/// What every entry of one feed shares.
pub(super) struct EntryContext<'a> {
    pub format: FeedFormat,
    pub doc_base: Option<&'a Url>,
    /// Feed-level authors an entry without its own inherits (Atom only).
    pub feed_authors: Vec<String>,
}

pub(super) fn raw_entry(item: Entry, scan: Option<ItemScan>, cx: &EntryContext<'_>) -> RawEntry {
    let is_rss = matches!(
        cx.format,
        FeedFormat::Rss0 | FeedFormat::Rss1 | FeedFormat::Rss2
    );
    let guid = match &scan {
        Some(scan) => scan.guid.clone(),
        None => Some(item.id.trim().to_owned()).filter(|id| !id.is_empty() && id != GENERATED_ID),
    };
    let permalink_guid = scan.as_ref().is_none_or(|s| s.guid_is_permalink);
    let link = permalink(&item.links)
        .and_then(|l| absolute_url(&l.href, cx.doc_base))
        // RSS 2.0: a guid is the permalink unless isPermaLink="false"; many
        // podcasts and Scripting News give no <link> at all.
        .or_else(|| {
            let guid = guid.as_deref().filter(|_| is_rss && permalink_guid)?;
            let url = Url::parse(guid).ok()?;
            matches!(url.scheme(), "http" | "https").then(|| url.into())
        });
    let updated = match &scan {
        // Only a real <updated> element: feed-rs copies an RSS item's
        // pubDate into `updated`, and does not parse `dcterms:modified`.
        Some(scan) if scan.has_updated_element() => item.updated,
        Some(_) => None,
        None if is_rss && item.updated == item.published => None,
        None => item.updated,
    };
    let mut authors = author_names(&item.authors);
    if authors.is_empty() {
        authors.clone_from(&cx.feed_authors);
    }
    let enclosures = enclosures(&item, scan.as_ref(), cx.doc_base);
    let (published_raw, updated_raw, scan_base, scan_language) = match scan {
        Some(s) => (s.published_raw, s.updated_raw, s.base, s.language),
        None => (None, None, None, None),
    };
    let content_base = item
        .base
        .as_deref()
        .and_then(|b| absolute_url(b, cx.doc_base));
    let base_url = scan_base
        .map(String::from)
        .or(content_base)
        .or_else(|| link.clone())
        .or_else(|| cx.doc_base.map(|b| b.as_str().to_owned()));
    RawEntry {
        guid,
        link,
        title: item.title.and_then(|t| non_blank(t.content)),
        summary: item.summary.and_then(|t| non_blank(t.content)),
        content: item
            .content
            .filter(is_text_content)
            .and_then(|c| c.body)
            .and_then(non_blank),
        base_url,
        authors,
        categories: categories(&item.categories),
        published: item.published,
        published_raw,
        updated,
        updated_raw,
        language: scan_language.or(item.language).and_then(non_blank),
        enclosures,
    }
}

/// Atom 1.0 allows any MIME type on `<content>`, and feed-rs hands a base64
/// image or PDF back as the body. Only text is kept, as the rewrite does for
/// documents feed-rs rejects. feed-rs types its own readings `text/plain`,
/// `text/html` and `application/xhtml`.
fn is_text_content(content: &Content) -> bool {
    let media_type = content.content_type.as_str();
    let starts = |prefix: &str| {
        media_type
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    starts("text/") || starts("application/xhtml")
}

/// The alternate link, the HTML one when there are several (Atom feeds
/// offering JSON or AMP twins). Shared by item permalinks and the channel's
/// site link.
pub(super) fn preferred_alternate(links: &[Link]) -> Option<&Link> {
    // feed-rs gives RSS links no rel and marks <comments> with a target;
    // it defaults a missing Atom rel to "alternate".
    let alternate = |l: &&Link| {
        l.target.is_none()
            && l.rel
                .as_deref()
                .is_none_or(|r| r.eq_ignore_ascii_case("alternate"))
    };
    links
        .iter()
        .filter(alternate)
        .find(|l| is_html_or_untyped(l))
        .or_else(|| links.iter().find(alternate))
}

/// The item's permalink: an alternate link (HTML when there are several,
/// as Atom feeds offering JSON or AMP twins have), else the first link
/// without a rel, else the first link that is not plumbing.
fn permalink(links: &[Link]) -> Option<&Link> {
    preferred_alternate(links)
        .or_else(|| links.iter().find(|l| l.rel.is_none()))
        .or_else(|| {
            links.iter().find(|l| {
                !l.rel.as_deref().is_some_and(|rel| {
                    [
                        "enclosure",
                        "self",
                        "edit",
                        "edit-media",
                        "replies",
                        "license",
                    ]
                    .iter()
                    .any(|skip| rel.eq_ignore_ascii_case(skip))
                })
            })
        })
}

fn is_html_or_untyped(link: &Link) -> bool {
    link.media_type
        .as_deref()
        .is_none_or(|t| t.starts_with("text/html") || t.starts_with("application/xhtml"))
}

/// Display names, in order, without duplicates. RSS `<author>` is an email
/// address by spec: `x@y.com (Name)` gives `Name`, and an address alone
/// gives nothing (it is not a name, and often `noreply@blogger.com`).
pub(super) fn author_names(people: &[Person]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for person in people {
        let Some(name) = person
            .name
            .as_deref()
            .map(clean_name)
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        if !names.iter().any(|known| known == name) {
            names.push(name.to_owned());
        }
    }
    names
}

/// feed-rs leaves the parentheses of `x@y.com (Name)` around the name.
fn clean_name(name: &str) -> &str {
    let name = name.trim();
    match name.strip_prefix('(').and_then(|n| n.strip_suffix(')')) {
        Some(inner) => inner.trim(),
        None => name,
    }
}

/// Category terms (Atom's `label` when the term is blank), without duplicates.
fn categories(categories: &[Category]) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for category in categories {
        let term = Some(category.term.trim())
            .filter(|t| !t.is_empty())
            .or_else(|| {
                category
                    .label
                    .as_deref()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
            });
        if let Some(term) = term
            && !terms.iter().any(|known| known == term)
        {
            terms.push(term.to_owned());
        }
    }
    terms
}

/// Every attachment the item names, first occurrence of each URL kept:
/// RSS `<enclosure>` (all of them, from the scan: feed-rs keeps one kind
/// when an item also has MediaRSS), MediaRSS content, Atom `rel="enclosure"`.
fn enclosures(item: &Entry, scan: Option<&ItemScan>, doc_base: Option<&Url>) -> Vec<Enclosure> {
    let mut found: Vec<Enclosure> = scan.map(|s| s.enclosures.clone()).unwrap_or_default();
    let media = item.media.iter().flat_map(|m| &m.content).filter_map(|c| {
        Some(Enclosure {
            url: absolute_url(c.url.as_ref()?.as_str(), doc_base)?,
            mime_type: c.content_type.as_ref().map(|t| t.to_string()),
            length: c.size,
        })
    });
    let links = item
        .links
        .iter()
        .filter(|l| {
            l.rel
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case("enclosure"))
        })
        .filter_map(|l| {
            Some(Enclosure {
                url: absolute_url(&l.href, doc_base)?,
                mime_type: l.media_type.clone().and_then(non_blank),
                length: l.length,
            })
        });
    for enclosure in media.chain(links) {
        if !found.iter().any(|known| known.url == enclosure.url) {
            found.push(enclosure);
        }
    }
    found
}
