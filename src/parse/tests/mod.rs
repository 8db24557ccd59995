//! End-to-end tests of [`parse_feed`](super::parse_feed): one file per
//! concern, fixtures under `src/parse/testdata/` or inline.

mod corpus;
mod formats;
mod hostile;
mod identity;
mod rewrite;

use super::{ParseError, parse_feed};
use crate::model::ParsedFeed;

/// Parses a fixture that must parse; a failure names the fixture.
fn parse_ok(body: &[u8], doc_url: &str) -> ParsedFeed {
    match parse_feed(body, None, doc_url) {
        Ok(feed) => feed,
        Err(e) => panic!("{doc_url}: {e}"),
    }
}

fn parse_err(body: &[u8]) -> ParseError {
    match parse_feed(body, None, "https://example.com/feed") {
        Ok(feed) => panic!("expected an error, got {feed:?}"),
        Err(e) => e,
    }
}
