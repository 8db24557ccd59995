//! Parsing: a feed body's bytes → [`ParsedFeed`], pure (no IO, no clock).
//!
//! feed-rs does the format work (RSS 0.9x/1.0/2.0, Atom); around it this
//! module fixes what it gets wrong on real-world feeds:
//!
//! * `charset`: decodes the bytes itself (BOM, HTTP `charset=`, XML
//!   declaration, detection) because feed-rs ignores HTTP and fails a whole
//!   feed on one stray Latin-1 byte;
//! * `sniff`: names what a body that is not a feed is (an HTML page, an
//!   empty body) and finds a feed behind PHP warnings;
//! * `xml` drives feed-rs with a deterministic id generator whose ids are
//!   recognisable and reported as "no guid", and `scan` re-reads the XML in
//!   one streaming pass for the raw date strings, guids, `xml:base` and
//!   enclosures feed-rs drops; `entry` maps one item into a [`RawEntry`];
//! * `rewrite` turns documents feed-rs reads as empty or rejects whole
//!   (Atom 0.3, RSS under a UserLand or Netscape default namespace, Atom
//!   MIME types in `type`, a broken `xml:base`) into ones it reads, only
//!   when the root tag or a feed-rs failure says so;
//! * `json` reads JSON Feed itself: feed-rs rejects real JSON feeds over
//!   `http://` version URLs, numeric ids and a string for `tags`.
//!
//! Entities are never expanded beyond XML's five and character references:
//! `&nbsp;` stays literal (normalize decodes it). A document whose DTD
//! declares entities the way attacks do ("billion laughs", `SYSTEM
//! "file:///etc/passwd"`) is refused as `EntityDeclarations`.

mod charset;
mod entry;
mod json;
mod rewrite;
mod scan;
mod sniff;
mod xml;

#[cfg(test)]
mod tests;

pub use charset::decode_to_utf8;

use crate::model::ParsedFeed;
use std::borrow::Cow;
use url::Url;

/// Why a body could not be turned into a [`ParsedFeed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is something other than a feed (the URL points elsewhere).
    #[error("{0}")]
    NotAFeed(NotAFeedReason),
    /// The body is a feed, but too broken to read.
    #[error("malformed feed: {0}")]
    Malformed(String),
    /// The document declares entities the way attacks do (see
    /// `sniff::declares_hostile_entities`).
    #[error(
        "document declares nested or external xml entities (an entity-expansion attack?); refused"
    )]
    EntityDeclarations,
}

/// What a body that is not a feed turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAFeedReason {
    #[error("empty body")]
    EmptyBody,
    /// A web page: the subscription URL may be the site, not its feed.
    #[error("body is an html page, not a feed")]
    HtmlPage,
    #[error("body is neither xml nor json")]
    NotMarkup,
    #[error("body is an xml document with root <{0}>, not a feed")]
    UnknownXmlRoot(String),
    #[error("body is json but not a json feed")]
    NotJsonFeed,
}

impl From<NotAFeedReason> for ParseError {
    fn from(reason: NotAFeedReason) -> Self {
        ParseError::NotAFeed(reason)
    }
}

/// Parses a fetched feed body.
///
/// `content_type` is the HTTP `Content-Type` (its `charset=` is honoured);
/// `doc_url` is the URL the body came from after redirects: relative links
/// resolve against it.
pub fn parse_feed(
    body: &[u8],
    content_type: Option<&str>,
    doc_url: &str,
) -> Result<ParsedFeed, ParseError> {
    if body.trim_ascii().is_empty() {
        return Err(NotAFeedReason::EmptyBody.into());
    }
    let doc_base = Url::parse(doc_url)
        .ok()
        .filter(|url| !url.cannot_be_a_base());
    let tld = doc_base.as_ref().and_then(top_level_domain);
    let (text, _) = charset::decode_with_tld_hint(body, content_type, tld);
    let shape = sniff::classify(&text)?;
    if let sniff::Shape::Xml { start, .. } = shape
        && sniff::declares_hostile_entities(&text[start..])
    {
        return Err(ParseError::EntityDeclarations);
    }
    match shape {
        sniff::Shape::Json => json::parse(&text, doc_base.as_ref()),
        sniff::Shape::Xml { start: 0, root } => xml::parse(&text, root, doc_base.as_ref()),
        sniff::Shape::Xml { start, root } => {
            // Behind junk, the declaration was not at the start when the
            // text was decoded, so it may still name a legacy charset.
            let feed = charset::rewrite_declaration(Cow::Borrowed(&text[start..]));
            xml::parse(&feed, root, doc_base.as_ref())
        }
    }
}

/// `href` made absolute against `base`, in the `url` crate's serialization;
/// `None` when it is blank, unparseable, or relative with no base.
fn absolute_url(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    match Url::parse(href) {
        Ok(url) => Some(url.into()),
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(href).ok().map(Into::into),
        Err(_) => None,
    }
}

/// `Some(text)` unless it is empty or only whitespace; the text itself is
/// kept as given.
fn non_blank(text: String) -> Option<String> {
    (!text.trim().is_empty()).then_some(text)
}

/// The largest char boundary of `text` at or below `index` (the standard
/// library's `floor_char_boundary` is newer than this crate's MSRV).
fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn top_level_domain(url: &Url) -> Option<&str> {
    let host = url.host_str()?;
    host.rsplit('.').next().filter(|tld| !tld.is_empty())
}
