//! Identity: the one rule that decides an item's `item_key`, and with it what
//! counts as "the same item" within a feed.
//!
//! The store enforces the rule with `UNIQUE (feed_id, item_key)`; this module
//! only computes keys, from the batch and the keys the feed already has.
//!
//! # The rule ([`assign_keys`])
//!
//! 1. Candidate keys. The base key is `guid:<guid>` when the item has a
//!    non-blank guid/id, else `url:<canonical url>`, else
//!    `hash:<digest of title and text>`. Its disambiguated forms are
//!    `<base>#url:<canonical url>` (guids only) and `<base>#hash:<digest>`.
//! 2. Keys already stored win, so a key never changes between polls: an
//!    item whose content hash equals the stored row of one of its candidate
//!    keys takes that key; then an item whose URL equals a candidate row's
//!    URL (an edit); then, in document order, any stored candidate key no
//!    other item took (an edit that also moved).
//! 3. A new item takes its base key when no other item of the document has
//!    the same base key. Otherwise (feeds that put one guid on every item, or
//!    link every item to the home page) a guid is disambiguated by URL when
//!    that (guid, URL) pair is unique in the document, else by content; a URL
//!    by content. A key already taken under rule 2 is skipped for the next
//!    form. Items identical in every respect collapse to one.
//!
//! Near-duplicates across feeds (the same agency story carried by several
//! outlets) are [`near`]'s business: fingerprints and similarity.
//!
//! Items keyed by content (`#hash:`) cannot be edited in place: an edit is a
//! new item. Items are never merged across different base keys here: a
//! changed guid or URL on edited content is a near-duplicate question, not
//! an identity one.

pub mod near;

use crate::model::Article;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// What the store has under one key of a feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownItem {
    pub content_hash: String,
    pub url: Option<String>,
}

/// Keys a feed already has in the store.
pub type KnownKeys = HashMap<String, KnownItem>;

/// An item's candidate keys, most general first.
struct Candidates {
    base: String,
    by_url: Option<String>,
    by_hash: String,
}

impl Candidates {
    fn of(a: &Article) -> Candidates {
        let base = base_key(a);
        let by_url = match (base.starts_with("guid:"), a.url.as_deref()) {
            (true, Some(u)) => Some(format!("{base}#url:{u}")),
            _ => None,
        };
        let by_hash = format!("{base}#hash:{}", body_digest(a));
        Candidates {
            base,
            by_url,
            by_hash,
        }
    }

    fn all(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.base)
            .chain(self.by_url.as_ref())
            .chain(std::iter::once(&self.by_hash))
    }
}

/// Fills `item_key` on every article and drops exact repeats within the
/// batch (same key, first one kept). `known` holds what the feed already
/// has in the store.
pub fn assign_keys(articles: &mut Vec<Article>, known: &KnownKeys) {
    let cands: Vec<Candidates> = articles.iter().map(Candidates::of).collect();
    let mut keys: Vec<Option<String>> = vec![None; articles.len()];
    let mut taken: HashSet<String> = HashSet::new();

    // Rule 2, strongest evidence first.
    let same_content = |a: &Article, k: &KnownItem| k.content_hash == a.content_hash;
    let same_url = |a: &Article, k: &KnownItem| a.url.is_some() && k.url == a.url;
    let any = |_: &Article, _: &KnownItem| true;
    for matches in [
        &same_content as &dyn Fn(&Article, &KnownItem) -> bool,
        &same_url,
        &any,
    ] {
        for (i, a) in articles.iter().enumerate() {
            if keys[i].is_some() {
                continue;
            }
            let hit = cands[i].all().find(|k| {
                !taken.contains(*k) && known.get(*k).is_some_and(|item| matches(a, item))
            });
            if let Some(k) = hit {
                taken.insert(k.clone());
                keys[i] = Some(k.clone());
            }
        }
    }

    // Rule 3 for the rest.
    let mut base_count: HashMap<&str, usize> = HashMap::new();
    let mut pair_count: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    for (c, a) in cands.iter().zip(articles.iter()) {
        *base_count.entry(c.base.as_str()).or_default() += 1;
        *pair_count
            .entry((c.base.as_str(), a.url.as_deref()))
            .or_default() += 1;
    }
    for (i, (c, a)) in cands.iter().zip(articles.iter()).enumerate() {
        if keys[i].is_some() {
            continue;
        }
        let order: Vec<&String> = if base_count[c.base.as_str()] == 1 {
            c.all().collect()
        } else if pair_count[&(c.base.as_str(), a.url.as_deref())] == 1 {
            c.by_url.iter().chain(std::iter::once(&c.by_hash)).collect()
        } else {
            vec![&c.by_hash]
        };
        let key = order
            .into_iter()
            .find(|k| !taken.contains(*k))
            .unwrap_or(&c.by_hash)
            .clone();
        taken.insert(key.clone());
        keys[i] = Some(key);
    }

    let mut seen = HashSet::with_capacity(keys.len());
    let mut keep = Vec::with_capacity(keys.len());
    for (a, k) in articles.drain(..).zip(keys) {
        let k = k.unwrap_or_default();
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
            content_hash: format!("{title}|{}", url.unwrap_or("")),
            ..Article::default()
        }
    }

    fn edited(a: &Article) -> Article {
        Article {
            text: Some("edited body".to_string()),
            content_hash: format!("{}|edited", a.content_hash),
            ..a.clone()
        }
    }

    /// Polls `docs` in turn, storing each poll's keys; returns every poll's keys.
    fn polls(docs: Vec<Vec<Article>>) -> Vec<Vec<String>> {
        let mut known = KnownKeys::new();
        let mut out = Vec::new();
        for mut doc in docs {
            assign_keys(&mut doc, &known);
            for a in &doc {
                let item = KnownItem {
                    content_hash: a.content_hash.clone(),
                    url: a.url.clone(),
                };
                known.insert(a.item_key.clone(), item);
            }
            out.push(doc.into_iter().map(|a| a.item_key).collect());
        }
        out
    }

    fn keys(mut v: Vec<Article>, known: &KnownKeys) -> Vec<String> {
        assign_keys(&mut v, known);
        v.into_iter().map(|a| a.item_key).collect()
    }

    /// What the store would report after storing `v` under `keys`.
    fn stored(v: &[Article], keys: &[String]) -> KnownKeys {
        let items = v.iter().map(|a| KnownItem {
            content_hash: a.content_hash.clone(),
            url: a.url.clone(),
        });
        keys.iter().cloned().zip(items).collect()
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
        let known = stored(
            &[
                art(Some("same"), Some("https://x/1"), "A"),
                art(Some("same"), Some("https://x/2"), "B"),
            ],
            &first,
        );
        let second = keys(vec![art(Some("same"), Some("https://x/2"), "B")], &known);
        assert_eq!(second, vec![first[1].clone()]);
    }

    #[test]
    fn item_keeps_its_plain_key_when_the_feed_starts_reusing_its_guid() {
        let a = art(Some("same"), Some("https://x/1"), "A");
        let b = art(Some("same"), Some("https://x/2"), "B");
        let k = polls(vec![
            vec![a.clone()],
            vec![b.clone(), a.clone()],
            vec![b, edited(&a)],
        ]);
        assert_eq!(k[0], vec!["guid:same"]);
        assert_eq!(k[1], vec!["guid:same#url:https://x/2", "guid:same"]);
        assert_eq!(k[2][1], "guid:same", "an edit keeps the stored key");
    }

    #[test]
    fn keys_survive_neighbours_coming_and_going() {
        let a = art(Some("same"), Some("https://x/1"), "A");
        let b = art(Some("same"), Some("https://x/1"), "B");
        let c = art(Some("same"), Some("https://x/2"), "C");
        let k = polls(vec![
            vec![a.clone(), b.clone(), c.clone()],
            vec![a.clone(), c.clone()],
            vec![a.clone(), b, c.clone()],
            vec![edited(&a), c],
        ]);
        let a_key = &k[0][0];
        assert!(a_key.starts_with("guid:same#hash:"), "{a_key}");
        assert_eq!(&k[1][0], a_key, "B dropped out");
        assert_eq!(&k[2][0], a_key, "B came back");
        assert_eq!(k[1][1], k[0][2]);
        // Keyed by content, an edited A is a new item: documented.
        assert_ne!(&k[3][0], a_key);
        assert_eq!(k[3][1], k[0][2]);
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
