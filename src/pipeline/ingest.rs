//! What a poll does with a new body: parse and normalize it on the blocking
//! pool (one body per core at a time), look up the keys the feed already
//! has for these items, and assign identities.

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
    /// Parses, normalizes and keys a body of `feed` fetched from `doc_url`.
    /// The outer error is the store's; the inner one says, for the fetch
    /// log, why the body could not be read.
    pub async fn ingest(
        &self,
        feed: FeedId,
        bytes: Vec<u8>,
        content_type: Option<String>,
        doc_url: String,
    ) -> Result<Result<Ingested, String>, StoreError> {
        let skew = self.max_future_skew;
        let flagger = self.flagger.clone();
        let parsed = {
            let _slot = self.ingest_slots.acquire().await;
            tokio::task::spawn_blocking(move || {
                parse_and_normalize(
                    &bytes,
                    content_type.as_deref(),
                    &doc_url,
                    Utc::now(),
                    skew,
                    flagger.as_deref(),
                )
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
        Ok(Ok(ingested))
    }
}

/// The CPU part of a poll: parse and normalize one body, and, when a
/// `flagger` is given, flag syndicated copy and fingerprint each body for
/// near-duplicate matching (whose comparison text the rules define). Articles come back without
/// keys; [`Pipeline::ingest`] assigns them.
pub fn parse_and_normalize(
    bytes: &[u8],
    content_type: Option<&str>,
    doc_url: &str,
    now: DateTime<Utc>,
    max_future_skew: Duration,
    flagger: Option<&Flagger>,
) -> Result<Ingested, parse::ParseError> {
    let parsed = parse::parse_feed(bytes, content_type, doc_url)?;
    let ctx = NormalizeContext {
        feed_url: doc_url,
        feed_language: parsed.language.as_deref(),
        now,
        max_future_skew: chrono::Duration::from_std(max_future_skew)
            .unwrap_or(chrono::Duration::zero()),
    };
    let mut articles: Vec<Article> = parsed
        .entries
        .iter()
        .map(|e| normalize::normalize_entry(e, &ctx))
        .collect();
    let title = parsed
        .title
        .as_deref()
        .map(normalize::text::plain_line)
        .filter(|t| !t.is_empty());
    if let Some(flagger) = flagger {
        let feed = FeedContext {
            site_url: parsed.site_url.as_deref(),
            feed_url: doc_url,
            rights: parsed.rights.as_deref(),
            title: title.as_deref(),
        };
        for article in &mut articles {
            let compared = flagger.flag_and_compare(article, &feed);
            article.near = near::fingerprint(&compared);
        }
    }
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
