//! What a poll does with a new body: parse and normalize it on the blocking
//! pool (one body per core at a time), look up the keys the feed already
//! has for these items, assign identities, and flag and fingerprint the
//! items that will be written (new or changed: an unchanged item is only
//! touched, so its flags would be thrown away).

use super::Pipeline;
use crate::dedup::{self, KnownKeys, near};
use crate::model::{Article, DocSchedule, FeedId, Posting};
use crate::normalize::{self, NormalizeContext};
use crate::parse;
use crate::scheduler;
use crate::store::StoreError;
use crate::syndication::{FeedContext, Flagger};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::time::Duration;
use tracing::error;

/// The parsed, normalized and keyed content of a body.
#[derive(Debug)]
pub struct Ingested {
    /// Channel title as plain text.
    pub title: Option<String>,
    pub site_url: Option<String>,
    /// The channel's copyright line.
    pub rights: Option<String>,
    /// The document's scheduling advice (`<ttl>`, `sy:*`, `skipHours`...).
    pub schedule: DocSchedule,
    /// The document's posting rate (see [`scheduler::observe_posting`]).
    pub posting: Option<Posting>,
    pub articles: Vec<Article>,
}

impl Pipeline {
    /// Parses, normalizes and keys a body of `feed` fetched from `doc_url`,
    /// and flags what will be written. A `fresh` feed (no body stored yet:
    /// its first poll) has every item flagged with the parse, in one task,
    /// since all are new; otherwise only new and changed items are, once
    /// the stored keys are known. The outer error is the store's; the
    /// inner one says, for the fetch log, why the body could not be read.
    pub async fn ingest(
        &self,
        feed: FeedId,
        bytes: Vec<u8>,
        content_type: Option<String>,
        doc_url: String,
        fresh: bool,
    ) -> Result<Result<Ingested, String>, StoreError> {
        let skew = self.max_future_skew;
        let url = doc_url.clone();
        let flag_all = self.flagger.clone().filter(|_| fresh);
        let parsed = {
            let _slot = self.ingest_slots.acquire().await;
            tokio::task::spawn_blocking(move || {
                let mut ingested =
                    parse_and_normalize(&bytes, content_type.as_deref(), &url, Utc::now(), skew)?;
                if let Some(flagger) = flag_all {
                    flag_articles(&mut ingested, &url, &flagger, &KnownKeys::new());
                }
                Ok::<_, parse::ParseError>(ingested)
            })
            .await
        };
        let mut ingested = match parsed {
            Ok(Ok(ingested)) => ingested,
            Ok(Err(e)) => return Ok(Err(e.to_string())),
            Err(join) => {
                error!(error = %join, "parser task panicked");
                return Ok(Err(format!("parser crashed: {join}")));
            }
        };
        let bases: BTreeSet<String> = ingested.articles.iter().map(dedup::base_key).collect();
        let known: KnownKeys = self.store.known_keys(feed, bases).await?;
        dedup::assign_keys(&mut ingested.articles, &known);
        let Some(flagger) = self.flagger.clone().filter(|_| !fresh) else {
            return Ok(Ok(ingested));
        };
        if !ingested.articles.iter().any(|a| changed(a, &known)) {
            // Nothing to flag: only marks them, no need for the pool.
            flag_articles(&mut ingested, &doc_url, &flagger, &known);
            return Ok(Ok(ingested));
        }
        let flagged = {
            let _slot = self.ingest_slots.acquire().await;
            tokio::task::spawn_blocking(move || {
                flag_articles(&mut ingested, &doc_url, &flagger, &known);
                ingested
            })
            .await
        };
        match flagged {
            Ok(ingested) => Ok(Ok(ingested)),
            Err(join) => {
                error!(error = %join, "flagging task panicked");
                Ok(Err(format!("flagging crashed: {join}")))
            }
        }
    }
}

/// Whether `article` (keyed) will be written: new, or changed since stored.
fn changed(article: &Article, known: &KnownKeys) -> bool {
    known
        .get(&article.item_key)
        .is_none_or(|k| k.content_hash != article.content_hash)
}

/// Flags syndicated copy among the articles of `ingested` that will be
/// written (see [`changed`]; all of them with an empty `known`) and
/// fingerprints their bodies for near-duplicate matching, whose comparison
/// text the rules define. The others keep no verdict and no fingerprint
/// and are marked `unflagged`: the store only touches them.
pub fn flag_articles(ingested: &mut Ingested, doc_url: &str, flagger: &Flagger, known: &KnownKeys) {
    let feed = FeedContext {
        site_url: ingested.site_url.as_deref(),
        feed_url: doc_url,
        rights: ingested.rights.as_deref(),
        title: ingested.title.as_deref(),
    };
    for article in &mut ingested.articles {
        if changed(article, known) {
            let compared = flagger.flag_and_compare(article, &feed);
            article.near = near::fingerprint(&compared);
        } else {
            article.unflagged = true;
        }
    }
}

/// The CPU part of a poll: parse and normalize one body. Articles come back
/// without keys and unflagged; [`Pipeline::ingest`] assigns keys and has
/// [`flag_articles`] flag what will be written.
pub fn parse_and_normalize(
    bytes: &[u8],
    content_type: Option<&str>,
    doc_url: &str,
    now: DateTime<Utc>,
    max_future_skew: Duration,
) -> Result<Ingested, parse::ParseError> {
    let parsed = parse::parse_feed(bytes, content_type, doc_url)?;
    let ctx = NormalizeContext {
        feed_url: doc_url,
        feed_language: parsed.language.as_deref(),
        now,
        max_future_skew: chrono::Duration::from_std(max_future_skew)
            .unwrap_or(chrono::Duration::zero()),
    };
    let articles: Vec<Article> = parsed
        .entries
        .iter()
        .map(|e| normalize::normalize_entry(e, &ctx))
        .collect();
    let title = parsed
        .title
        .as_deref()
        .map(normalize::text::plain_line)
        .filter(|t| !t.is_empty());
    // A date with a raw string kept beside it was clamped to the fetch time:
    // not a publication time.
    let posting = scheduler::observe_posting(
        articles
            .iter()
            .filter(|a| a.published_raw.is_none())
            .filter_map(|a| a.published),
        now,
    );
    Ok(Ingested {
        title,
        site_url: parsed.site_url,
        rights: parsed.rights,
        schedule: parsed.schedule,
        posting,
        articles,
    })
}

/// Digest of a whole response body, compared between polls to spot servers
/// that resend identical bytes.
pub fn body_hash(bytes: &[u8]) -> String {
    crate::model::hex(&Sha256::digest(bytes)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::KnownItem;
    use crate::syndication::{Options, RuleSet};

    const FOOTER: &str = "(This story has not been edited by Devdiscourse staff and is \
        auto-generated from a syndicated feed.)";

    fn body() -> String {
        let item = |n: usize| {
            format!(
                "<item><guid>https://example.com/{n}</guid><link>https://example.com/{n}</link>\
                 <title>Story {n}</title><description>The minister arrived on Tuesday for \
                 talks number {n} on trade, energy and security, officials said. {FOOTER}\
                 </description></item>"
            )
        };
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Example</title>\
             <link>https://example.com/</link>{}</channel></rss>",
            (1..=3).map(item).collect::<String>()
        )
    }

    #[test]
    fn only_new_and_changed_items_are_flagged_and_fingerprinted() {
        let url = "https://example.com/rss";
        let parse = || {
            let mut ing =
                parse_and_normalize(body().as_bytes(), None, url, Utc::now(), Duration::ZERO)
                    .unwrap();
            dedup::assign_keys(&mut ing.articles, &KnownKeys::new());
            ing
        };
        let stored = parse();
        // Item 1 is stored as it is, item 2 with other content, item 3 not.
        let mut known = KnownKeys::new();
        for (a, hash) in stored.articles.iter().zip(["same", "old"]) {
            let content_hash = if hash == "same" {
                a.content_hash.clone()
            } else {
                "an earlier version".to_string()
            };
            known.insert(
                a.item_key.clone(),
                KnownItem {
                    content_hash,
                    url: a.url.clone(),
                },
            );
        }
        let mut ing =
            parse_and_normalize(body().as_bytes(), None, url, Utc::now(), Duration::ZERO).unwrap();
        dedup::assign_keys(&mut ing.articles, &known);
        let flagger = Flagger {
            rules: RuleSet::build(&[], &[]).unwrap(),
            options: Options {
                flag_agency_own_feed: false,
            },
        };
        flag_articles(&mut ing, url, &flagger, &known);
        let flagged: Vec<(bool, bool, bool)> = ing
            .articles
            .iter()
            .map(|a| (a.syndication.syndicated, a.near.is_some(), a.unflagged))
            .collect();
        assert_eq!(
            flagged,
            vec![
                (false, false, true),
                (true, true, false),
                (true, true, false)
            ]
        );
        // With nothing stored, everything is flagged.
        let mut all = parse();
        flag_articles(&mut all, url, &flagger, &KnownKeys::new());
        assert!(all.articles.iter().all(|a| a.syndication.syndicated));
    }
}
