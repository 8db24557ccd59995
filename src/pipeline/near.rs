//! The near-duplicate decisions the store asks for while it links a new
//! article ([`NearMatcher`]): fingerprints and similarity from
//! `dedup::near`, the comparison text and the `cross_source_copy` verdict
//! from `syndication`.

use crate::dedup::near::{self, NearConfig};
use crate::model::{Article, Fingerprint, Syndication};
use crate::store::{NearCandidate, NearFeed, NearMatcher};
use crate::syndication::{FeedContext, Flagger, publisher_host};
use std::sync::Arc;

/// Near-duplicate matching as configured in `[near_duplicates]`.
pub struct Clusterer {
    pub flagger: Arc<Flagger>,
    pub config: NearConfig,
    pub window: chrono::Duration,
}

impl NearMatcher for Clusterer {
    fn window(&self) -> chrono::Duration {
        self.window
    }

    fn keys(&self, fp: &Fingerprint) -> Vec<i64> {
        near::index_keys(fp, &self.config)
    }

    fn needs_shingles(&self, article: &Article, candidate: &NearCandidate) -> bool {
        article.near.as_ref().is_some_and(|fp| {
            near::needs_shingles(fp, candidate.words, candidate.simhash, &self.config)
        })
    }

    fn similarity(&self, article: &Article, candidate: &NearCandidate) -> Option<f32> {
        let fp = article.near.as_ref()?;
        let theirs = Fingerprint {
            simhash: candidate.simhash,
            words: candidate.words,
            shingles: candidate.shingles.clone().unwrap_or_default(),
            lead: Vec::new(),
        };
        near::similarity(fp, &theirs, &self.config)
    }

    fn copied(
        &self,
        article: &Article,
        feed: &NearFeed<'_>,
        candidate: &NearCandidate,
        similarity: f32,
    ) -> Option<Syndication> {
        let ours = publisher_host(feed.site_url, article.url.as_deref(), feed.feed_url);
        let theirs = publisher_host(
            candidate.site_url.as_deref(),
            candidate.url.as_deref(),
            &candidate.feed_url,
        );
        if ours == theirs {
            return None;
        }
        let ctx = FeedContext {
            site_url: feed.site_url,
            feed_url: feed.feed_url,
            rights: feed.rights,
            title: feed.title,
        };
        Some(self.flagger.classify_copied(article, &ctx, similarity))
    }
}
