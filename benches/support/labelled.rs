//! The labelled syndication sets (`tests/fixtures/syndication/*.toml`) as
//! raw entries, for the syndication bench and `examples/syndication_eval`.
//! Each reads its own subset of the fields.
#![allow(dead_code)]

use feedsieve::model::{Article, RawEntry};
use feedsieve::normalize::{self, NormalizeContext};
use serde::Deserialize;

#[derive(Deserialize)]
struct Set {
    item: Vec<Item>,
}

/// One labelled article (the fields these tools read).
#[derive(Deserialize)]
pub struct Item {
    pub id: String,
    pub publisher: String,
    pub feed_title: Option<String>,
    pub title: String,
    pub link: String,
    pub author: Option<String>,
    pub description: Option<String>,
    pub content: Option<String>,
    pub syndicated: bool,
    #[serde(default)]
    pub reasons: Vec<String>,
    pub source: Option<String>,
}

impl Item {
    /// The item as the parser would hand it on.
    pub fn entry(&self) -> RawEntry {
        RawEntry {
            link: Some(self.link.clone()),
            title: Some(self.title.clone()),
            summary: self.description.clone(),
            content: self.content.clone(),
            authors: self.author.iter().cloned().collect(),
            ..RawEntry::default()
        }
    }

    /// The item normalized as the pipeline would, its publisher the feed.
    pub fn article(&self, entry: &RawEntry, now: chrono::DateTime<chrono::Utc>) -> Article {
        let ctx = NormalizeContext {
            feed_url: &self.publisher,
            feed_language: None,
            now,
            max_future_skew: chrono::Duration::minutes(10),
        };
        normalize::normalize_entry(entry, &ctx)
    }
}

/// The items of one set file.
pub fn load(path: &std::path::Path) -> Result<Vec<Item>, Box<dyn std::error::Error>> {
    Ok(toml::from_str::<Set>(&std::fs::read_to_string(path)?)?.item)
}

/// The directory of the sets.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/syndication");
