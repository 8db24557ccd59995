//! feedsieve: a daemon that polls news feeds, normalizes and deduplicates
//! their items, and stores them as articles in SQLite.
//!
//! # Layout
//!
//! The modules follow the data as it flows through one poll of one feed:
//!
//! ```text
//! config ─▶ scheduler ─▶ fetch ─▶ parse ─▶ normalize ─▶ dedup ─▶ syndication ─▶ store
//!              ▲                                                                  │
//!              └──────────── next_check_at, validators, error counts ◀────────────┘
//! ```
//!
//! * [`config`]: defaults → file → `FEEDSIEVE__*` environment, validated once
//!   into a typed [`config::Config`].
//! * [`scheduler`]: which feeds are due and when each is checked next.
//! * [`fetch`]: the HTTP client (conditional GET, size cap, timeouts,
//!   redirects, private-address guard), returning a typed outcome.
//! * [`parse`]: bytes → [`model::ParsedFeed`] (charset repair, feed-rs,
//!   deterministic ids, raw date strings).
//! * [`normalize`]: [`model::RawEntry`] → [`model::Article`] (canonical URL,
//!   UTC dates, plain text, sanitized HTML, content hash).
//! * [`dedup`]: the identity rule that gives every article its `item_key`.
//! * [`syndication`]: rules (data, not code) that flag agency or partner
//!   copy republished without editing, with their reasons.
//! * [`store`]: SQLite schema, migrations and the single writer thread; the
//!   only module that speaks SQL.
//! * [`pipeline`]: the one place that runs the stages in order for a feed.
//! * [`daemon`]: the `run` loop, the daily retention cleanup, signals and
//!   shutdown.
//! * [`ops`]: one-shot operator commands (feeds, articles, OPML, cleanup).
//! * [`admin`]: the daemon's HTTP listener (`/metrics`, `/healthz`,
//!   `/readyz`) and the `healthcheck` probe.
//!
//! Stages (`fetch`, `parse`, `normalize`, `dedup`, `syndication`) are leaves: they depend on
//! [`model`] and their own crates, never on each other or on the store, and
//! read no clock; `pipeline` hands them what they need.

pub mod admin;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod fetch;
pub mod model;
pub mod normalize;
pub mod ops;
pub mod parse;
pub mod pipeline;
pub mod scheduler;
pub mod store;
pub mod syndication;
