//! One-shot operator commands: managing feeds, reading and searching
//! articles, a single poll pass, explaining and refreshing syndication
//! flags, inspecting state (`status`, `log`), retention cleanup. Each
//! takes a [`Store`](crate::store::Store) and a writer for
//! its output, so tests can run them against a real database and read what
//! they print.

pub mod articles;
pub mod cleanup;
pub mod feeds;
mod human;
pub mod log;
pub mod opml;
pub mod paint;
pub mod poll;
pub mod search;
pub mod status;
pub mod syndication;
mod table;
