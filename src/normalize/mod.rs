//! Raw entry → [`Article`]: canonical URL, UTC dates, clean text, sanitized
//! HTML and a content fingerprint.
//!
//! This stage exists so that everything downstream (identity, near-duplicate
//! matching, syndication rules, the store) compares values in one form,
//! whatever the publisher's feed looked like. It is pure: no IO, no clock
//! (`pipeline` passes `now` in), no knowledge of other items; identity
//! (`item_key`) is left to `dedup`.
//!
//! * [`url`]: canonical article and enclosure URLs.
//! * [`date`]: fallback date parsing and the future-date clamp.
//! * [`html`]: the sanitization policy for bodies.
//! * [`text`]: plain text for titles, labels and bodies; furniture removal.
//!
//! Each HTML body is parsed once: the sanitizer's output is both the stored
//! HTML and, through a linear scan, the source of the plain text.

pub mod date;
pub mod html;
pub mod text;
pub mod url;

mod body;
mod date_loose;
mod date_names;
mod entity;
mod extract;
mod hash;

use crate::model::{Article, Enclosure, RawEntry};
use ::url::Url;
use chrono::{DateTime, Utc};

/// What normalization needs to know beyond the entry itself.
#[derive(Debug, Clone, Copy)]
pub struct NormalizeContext<'a> {
    /// URL the feed was fetched from: the base of last resort for links.
    pub feed_url: &'a str,
    /// Channel language, used when the item has none.
    pub feed_language: Option<&'a str>,
    pub now: DateTime<Utc>,
    /// How far past `now` a date may lie before it is clamped to `now`.
    pub max_future_skew: chrono::Duration,
}

/// Normalizes one raw entry. `item_key` is left empty for `dedup`.
pub fn normalize_entry(entry: &RawEntry, ctx: &NormalizeContext) -> Article {
    let base = link_base(entry.base_url.as_deref(), ctx.feed_url);
    let base = base.as_ref();
    let body = body::build_body(entry.summary.as_deref(), entry.content.as_deref(), base);
    let (published, published_raw) = date::resolve_date(
        entry.published,
        entry.published_raw.as_deref(),
        ctx.now,
        ctx.max_future_skew,
    );
    let (updated, updated_raw) = date::resolve_date(
        entry.updated,
        entry.updated_raw.as_deref(),
        ctx.now,
        ctx.max_future_skew,
    );
    let mut article = Article {
        guid: entry
            .guid
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_owned),
        item_key: String::new(),
        url: entry
            .link
            .as_deref()
            .and_then(|link| url::canonicalize(link, base)),
        title: entry
            .title
            .as_deref()
            .map(text::plain_line)
            .filter(|t| !t.is_empty()),
        authors: labels(&entry.authors),
        categories: labels(&entry.categories),
        published,
        published_raw,
        updated,
        updated_raw,
        summary: body.summary,
        content_html: body.content_html,
        text: body.text,
        language: language(entry.language.as_deref(), ctx.feed_language),
        enclosures: enclosures(&entry.enclosures, base),
        content_hash: String::new(),
        furniture_lines: body.furniture_lines,
        syndication: Default::default(),
        near: None,
        unflagged: false,
    };
    // Over what a reader sees, not the dates: see `hash` for why.
    article.content_hash = hash::content_hash(&article);
    article
}

/// The URL relative links resolve against: the entry's base (its
/// `xml:base`, else its link, as the parser chose), else the feed URL. A
/// base that is not a web URL (an Atom `tag:` id used as `xml:base`) cannot
/// resolve anything, so it is skipped.
fn link_base(entry_base: Option<&str>, feed_url: &str) -> Option<Url> {
    let web = |s: &str| {
        Url::parse(s.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    };
    entry_base.and_then(web).or_else(|| web(feed_url))
}

/// Authors or categories: cleaned, empties dropped, exact duplicates
/// dropped keeping first occurrence (feeds repeat `<category>` per
/// taxonomy, and multi-author items list the byline twice).
fn labels(raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for item in raw {
        let item = text::label(item);
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// BCP 47-ish, lowercased, with `_` read as `-` (`en_US` is a common
/// Java/PHP locale spelling for `en-us`).
fn language(entry: Option<&str>, feed: Option<&str>) -> Option<String> {
    [entry, feed]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.to_lowercase().replace('_', "-"))
}

/// Enclosures with canonical absolute URLs; ones whose URL does not survive
/// canonicalization are dropped, as are repeats of a URL (podcast feeds
/// list the same file as `<enclosure>` and `<media:content>`).
fn enclosures(raw: &[Enclosure], base: Option<&Url>) -> Vec<Enclosure> {
    let mut out: Vec<Enclosure> = Vec::with_capacity(raw.len());
    for enclosure in raw {
        let Some(url) = url::canonicalize(&enclosure.url, base) else {
            continue;
        };
        if out.iter().any(|e| e.url == url) {
            continue;
        }
        let mime_type = enclosure
            .mime_type
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        out.push(Enclosure {
            url,
            mime_type,
            length: enclosure.length,
        });
    }
    out
}

#[cfg(test)]
mod tests;
