//! Reads JSON Feed 1.0/1.1 into [`ParsedFeed`] without feed-rs.
//!
//! feed-rs's typed structs fail the whole feed on things real JSON feeds
//! do: a `http://jsonfeed.org/version/1` version URL (Pixel Envy), numeric
//! item ids (the spec says to coerce them to strings), `"tags": "a,b"`
//! instead of an array (Rosemary Orchard's WordPress plugin). It also
//! leaves relative URLs relative and mixes attachments into the links. So
//! the document is read as a `serde_json::Value` and each field taken when
//! it has a usable type, ignored otherwise.

use super::{NotAFeedReason, ParseError, absolute_url, non_blank};
use crate::model::{DocSchedule, Enclosure, FeedFormat, ParsedFeed, RawEntry};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use url::Url;

type Object = Map<String, Value>;

pub(super) fn parse(text: &str, doc_base: Option<&Url>) -> Result<ParsedFeed, ParseError> {
    let document: Value = serde_json::from_str(text)
        .map_err(|e| ParseError::Malformed(format!("invalid json: {e}")))?;
    let feed = document.as_object().ok_or(NotAFeedReason::NotJsonFeed)?;
    let items = feed.get("items").and_then(Value::as_array);
    let is_json_feed = match feed.get("version").and_then(Value::as_str) {
        // Any scheme: "http://jsonfeed.org/version/1" is common.
        Some(version) => version.contains("jsonfeed.org/version/"),
        // Missing version but JSON Feed's shape: accept, it is not ambiguous.
        None => items.is_some(),
    };
    if !is_json_feed {
        return Err(NotAFeedReason::NotJsonFeed.into());
    }
    let feed_authors = authors(feed);
    let entries = items
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|item| entry(item, &feed_authors, doc_base))
        .collect();
    Ok(ParsedFeed {
        format: FeedFormat::Json,
        title: string(feed, "title"),
        site_url: string(feed, "home_page_url").and_then(|u| absolute_url(&u, doc_base)),
        language: string(feed, "language"),
        rights: None,
        schedule: DocSchedule::default(),
        entries,
    })
}

fn entry(item: &Object, feed_authors: &[String], doc_base: Option<&Url>) -> RawEntry {
    let link = ["url", "external_url"]
        .iter()
        .find_map(|key| string(item, key).and_then(|u| absolute_url(&u, doc_base)));
    let mut authors = authors(item);
    if authors.is_empty() {
        // JSON Feed 1.1: an item without authors has the feed's.
        authors = feed_authors.to_vec();
    }
    let published_raw = string(item, "date_published").map(|d| d.trim().to_owned());
    let updated_raw = string(item, "date_modified").map(|d| d.trim().to_owned());
    RawEntry {
        guid: guid(item.get("id")),
        base_url: link
            .clone()
            .or_else(|| doc_base.map(|b| b.as_str().to_owned())),
        link,
        title: string(item, "title"),
        summary: string(item, "summary"),
        content: string(item, "content_html").or_else(|| string(item, "content_text")),
        authors,
        categories: tags(item.get("tags")),
        published: published_raw.as_deref().and_then(rfc3339),
        published_raw,
        updated: updated_raw.as_deref().and_then(rfc3339),
        updated_raw,
        language: string(item, "language"),
        enclosures: attachments(item, doc_base),
    }
}

/// A non-blank string field, as given.
fn string(object: &Object, key: &str) -> Option<String> {
    object
        .get(key)
        .and_then(Value::as_str)
        .and_then(|s| non_blank(s.to_owned()))
}

/// JSON Feed 1.0 says a non-string id must be coerced to a string.
fn guid(id: Option<&Value>) -> Option<String> {
    let id = match id? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!id.is_empty()).then_some(id)
}

/// Names from 1.1 `authors` and 1.0 `author`, without duplicates.
fn authors(object: &Object) -> Vec<String> {
    let listed = object
        .get("authors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let single = object.get("author");
    let mut names: Vec<String> = Vec::new();
    for author in listed.chain(single) {
        let name = match author {
            Value::Object(author) => string(author, "name"),
            Value::String(name) => non_blank(name.clone()),
            _ => None,
        };
        if let Some(name) = name.map(|n| n.trim().to_owned())
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// `tags` as an array, or as one comma-separated string.
fn tags(tags: Option<&Value>) -> Vec<String> {
    let raw: Vec<String> = match tags {
        Some(Value::Array(values)) => values
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(list)) => list.split(',').map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let mut terms: Vec<String> = Vec::new();
    for term in raw {
        let term = term.trim();
        if !term.is_empty() && !terms.iter().any(|known| known == term) {
            terms.push(term.to_owned());
        }
    }
    terms
}

fn attachments(item: &Object, doc_base: Option<&Url>) -> Vec<Enclosure> {
    let attachments = item.get("attachments").and_then(Value::as_array);
    attachments
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter_map(|attachment| {
            Some(Enclosure {
                url: string(attachment, "url").and_then(|u| absolute_url(&u, doc_base))?,
                mime_type: string(attachment, "mime_type"),
                length: attachment.get("size_in_bytes").and_then(size),
            })
        })
        .collect()
}

/// `size_in_bytes` as an integer, a float or a numeric string.
fn size(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// JSON Feed dates are RFC 3339; anything else is left to normalize via the
/// raw string.
fn rfc3339(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}
