//! Scores the built-in syndication rules on a labelled set, in-process, and
//! prints every miss with the rules that fired: the quick loop for working
//! on `src/syndication/builtin.toml`. The integration test runs the same set
//! through a real server and the binary.
//!
//! ```text
//! cargo run --example syndication_eval                      # tests/fixtures/syndication/labelled.toml
//! cargo run --example syndication_eval -- other-set.toml
//! ```

#[path = "../benches/support/labelled.rs"]
mod labelled;

use chrono::Utc;
use feedsieve::syndication::{FeedContext, Flagger, Options, RuleSet};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("{}/labelled.toml", labelled::DIR));
    let items = labelled::load(std::path::Path::new(&path))?;
    let flagger = Flagger {
        rules: RuleSet::build(&[], &[])?,
        options: Options {
            flag_agency_own_feed: false,
        },
    };
    let now = Utc::now();
    let (mut tp, mut fp, mut fneg, mut tn, mut reason_ok) = (0, 0, 0, 0, 0);
    for item in &items {
        let article = item.article(&item.entry(), now);
        let feed = FeedContext {
            site_url: Some(&item.publisher),
            feed_url: &item.publisher,
            rights: None,
            title: item.feed_title.as_deref(),
        };
        let c = flagger.classify(&article, &feed);
        let got = c.verdict.syndicated;
        match (item.syndicated, got) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fneg += 1,
            (false, false) => tn += 1,
        }
        let reasons: Vec<&str> = c.verdict.reasons.iter().map(|r| r.as_str()).collect();
        let reasons_match = item.reasons.iter().all(|r| reasons.contains(&r.as_str()));
        if item.syndicated && got && reasons_match {
            reason_ok += 1;
        }
        let source_match = !item.syndicated || item.source == c.verdict.source;
        if item.syndicated != got || (got && (!reasons_match || !source_match)) {
            println!(
                "{} {}: want {} {:?} {:?}, got {} {:?} {:?}",
                if item.syndicated != got {
                    "MISS"
                } else {
                    "reason"
                },
                item.id,
                item.syndicated,
                item.reasons,
                item.source,
                got,
                reasons,
                c.verdict.source
            );
            for h in &c.hits {
                println!(
                    "    {} {:?} own={} {:?}",
                    h.rule, h.strength, h.own_copy, h.matched
                );
            }
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    println!(
        "items {}: tp {tp} fp {fp} fn {fneg} tn {tn}; precision {precision:.3} recall {recall:.3}; \
         expected reasons found on {reason_ok}/{tp} true positives",
        items.len()
    );
    Ok(())
}
