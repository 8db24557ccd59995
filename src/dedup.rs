//! Identity: the one rule that decides an item's `item_key`, and with it what
//! counts as "the same item" within a feed.
//!
//! The store enforces the rule with `UNIQUE (feed_id, item_key)`; this module
//! only computes keys, from the batch and the keys the feed already has.
//!
//! # The rule ([`assign_keys`])
//!
//! 1. The base key is `guid:<guid>` when the item has a non-blank guid/id,
//!    else `url:<canonical url>`, else `hash:<digest of title and text>`.
//! 2. When a base key occurs once in the document, it is the key, unless the
//!    feed already stored this item under a disambiguated form of it (rule 3),
//!    which is then kept so that the key does not change between polls.
//! 3. When several items of one document share a base key (feeds that put the
//!    same guid on every item, or link every item to the home page), each is
//!    disambiguated: a guid by `#url:<canonical url>` when that pair is
//!    unique, else by `#hash:<digest>`; a URL by `#hash:<digest>`. Items that
//!    are identical in every respect collapse to one. One exception keeps
//!    keys stable when a feed *starts* reusing a guid: the item whose content
//!    hash equals that of the row already stored under the plain base key
//!    keeps that key.
//!
//! Items are never merged across different base keys here: a changed guid or
//! URL on edited content is a near-duplicate question, not an identity one.

use crate::model::Article;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Keys a feed already has in the store, each with its content hash.
pub type KnownKeys = HashMap<String, String>;

/// Fills `item_key` on every article and drops exact repeats within the
/// batch (same key, first one kept). `known` holds the keys the feed already
/// has in the store.
pub fn assign_keys(articles: &mut Vec<Article>, known: &KnownKeys) {
    let bases: Vec<String> = articles.iter().map(base_key).collect();
    let mut base_count: HashMap<&str, usize> = HashMap::new();
    for b in &bases {
        *base_count.entry(b.as_str()).or_default() += 1;
    }
    // For guid-based keys, how many items share each (guid, url) pair.
    let mut pair_count: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    for (b, a) in bases.iter().zip(articles.iter()) {
        *pair_count
            .entry((b.as_str(), a.url.as_deref()))
            .or_default() += 1;
    }
    let keys: Vec<String> = bases
        .iter()
        .zip(articles.iter())
        .map(|(base, a)| {
            let by_url = a.url.as_deref().map(|u| format!("{base}#url:{u}"));
            let by_hash = format!("{base}#hash:{}", body_digest(a));
            if base_count[base.as_str()] == 1 {
                // Keep a key chosen on an earlier poll, when the document
                // then had a second item under this guid or URL.
                [by_url, Some(by_hash)]
                    .into_iter()
                    .flatten()
                    .find(|k| known.contains_key(k))
                    .unwrap_or_else(|| base.clone())
            } else if known.get(base.as_str()) == Some(&a.content_hash) {
                base.clone()
            } else if base.starts_with("guid:")
                && pair_count[&(base.as_str(), a.url.as_deref())] == 1
            {
                by_url.unwrap_or(by_hash)
            } else {
                by_hash
            }
        })
        .collect();
    let mut seen = HashSet::with_capacity(keys.len());
    let mut keep = Vec::with_capacity(keys.len());
    for (a, k) in articles.drain(..).zip(keys) {
        if seen.insert(k.clone()) {
            keep.push(Article { item_key: k, ..a });
        }
    }
    *articles = keep;
}

/// The key an item has before any disambiguation (rule 1).
pub fn base_key(a: &Article) -> String {
    if let Some(g) = a.guid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        format!("guid:{g}")
    } else if let Some(u) = a.url.as_deref() {
        format!("url:{u}")
    } else {
        format!("hash:{}", body_digest(a))
    }
}

/// Digest of what a reader would call the item's content: title and text
/// (summary when there is no text). Short, since it is part of a key.
fn body_digest(a: &Article) -> String {
    let mut h = Sha256::new();
    h.update(a.title.as_deref().unwrap_or("").as_bytes());
    h.update([0]);
    h.update(
        a.text
            .as_deref()
            .or(a.summary.as_deref())
            .unwrap_or("")
            .as_bytes(),
    );
    crate::model::hex(&h.finalize()[..10])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn art(guid: Option<&str>, url: Option<&str>, title: &str) -> Article {
        Article {
            guid: guid.map(String::from),
            url: url.map(String::from),
            title: Some(title.to_string()),
            text: Some(format!("body of {title}")),
            ..Article::default()
        }
    }

    fn keys(mut v: Vec<Article>, known: &KnownKeys) -> Vec<String> {
        assign_keys(&mut v, known);
        v.into_iter().map(|a| a.item_key).collect()
    }

    /// What the store would report after storing `v` under `keys`.
    fn stored(v: &[Article], keys: &[String]) -> KnownKeys {
        keys.iter()
            .cloned()
            .zip(v.iter().map(|a| a.content_hash.clone()))
            .collect()
    }

    #[test]
    fn unique_guids_are_keys() {
        let k = keys(
            vec![
                art(Some("a"), Some("https://x/1"), "A"),
                art(Some("b"), None, "B"),
            ],
            &KnownKeys::new(),
        );
        assert_eq!(k, vec!["guid:a", "guid:b"]);
    }

    #[test]
    fn falls_back_to_url_then_hash() {
        let k = keys(
            vec![
                art(None, Some("https://x/1"), "A"),
                art(Some("  "), None, "B"),
            ],
            &KnownKeys::new(),
        );
        assert_eq!(k[0], "url:https://x/1");
        assert!(k[1].starts_with("hash:"), "{}", k[1]);
    }

    #[test]
    fn hash_key_is_stable() {
        let a = keys(vec![art(None, None, "A")], &KnownKeys::new());
        let b = keys(vec![art(None, None, "A")], &KnownKeys::new());
        assert_eq!(a, b);
    }

    #[test]
    fn reused_guid_disambiguated_by_url_then_content() {
        let k = keys(
            vec![
                art(Some("same"), Some("https://x/1"), "A"),
                art(Some("same"), Some("https://x/2"), "B"),
                art(Some("same"), Some("https://x/2"), "C"),
            ],
            &KnownKeys::new(),
        );
        assert_eq!(k[0], "guid:same#url:https://x/1");
        assert!(k[1].starts_with("guid:same#hash:"));
        assert!(k[2].starts_with("guid:same#hash:"));
        assert_ne!(k[1], k[2]);
    }

    #[test]
    fn reused_guid_key_survives_when_the_other_item_drops_out() {
        let first = keys(
            vec![
                art(Some("same"), Some("https://x/1"), "A"),
                art(Some("same"), Some("https://x/2"), "B"),
            ],
            &KnownKeys::new(),
        );
        let known: KnownKeys = first.iter().map(|k| (k.clone(), String::new())).collect();
        let second = keys(vec![art(Some("same"), Some("https://x/2"), "B")], &known);
        assert_eq!(second, vec![first[1].clone()]);
    }

    #[test]
    fn item_keeps_its_plain_key_when_the_feed_starts_reusing_its_guid() {
        let a = Article {
            content_hash: "ha".to_string(),
            ..art(Some("same"), Some("https://x/1"), "A")
        };
        let b = Article {
            content_hash: "hb".to_string(),
            ..art(Some("same"), Some("https://x/2"), "B")
        };
        let first = keys(vec![a.clone()], &KnownKeys::new());
        assert_eq!(first, vec!["guid:same"]);
        let known = stored(std::slice::from_ref(&a), &first);
        let second = keys(vec![a, b], &known);
        assert_eq!(second[0], "guid:same", "the stored item keeps its key");
        assert_eq!(second[1], "guid:same#url:https://x/2");
    }

    #[test]
    fn identical_repeats_collapse() {
        let k = keys(
            vec![
                art(Some("g"), Some("https://x/1"), "A"),
                art(Some("g"), Some("https://x/1"), "A"),
            ],
            &KnownKeys::new(),
        );
        assert_eq!(k.len(), 1);
    }

    #[test]
    fn shared_url_without_guid_disambiguated_by_content() {
        let k = keys(
            vec![
                art(None, Some("https://x/"), "A"),
                art(None, Some("https://x/"), "B"),
            ],
            &KnownKeys::new(),
        );
        assert!(k[0].starts_with("url:https://x/#hash:"));
        assert_ne!(k[0], k[1]);
    }
}
