//! One-shot operator commands: managing feeds, reading and searching
//! articles, a single poll pass, explaining and refreshing syndication
//! flags, retention cleanup. Each takes a [`Store`](crate::store::Store) and a writer for
//! its output, so tests can run them against a real database and read what
//! they print.

pub mod articles;
pub mod cleanup;
pub mod feeds;
pub mod opml;
pub mod poll;
pub mod search;
pub mod syndication;
mod table;
