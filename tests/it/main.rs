//! Integration tests of the `feedsieve` binary: one test binary (`cargo test
//! --test it`), every test with its own temp dir, config, database and HTTP
//! server on 127.0.0.1, so all of them run in parallel.
//!
//! Harness: [`server`] (the HTTP server and its hostile routes),
//! [`routes`] (what it answers, conditional GET), [`bodies`] (fixture files
//! and generated bodies), [`app`] (config writer and binary runner),
//! [`process`] (bounded child processes, peak RSS), [`records`] (what the
//! binary prints, as types, and the invariants of an article), [`ingest`]
//! (serve + poll + read back in one call).
//!
//! Tests: [`formats`] (each syntax, field by field), [`charsets`]
//! (windows-1251, BOM), [`conditional`] (304, unchanged bodies, edits, gzip,
//! redirects), [`identity`] (reused and missing guids), [`bad_input`]
//! (hostile feeds in one pass, memory bound), [`config_errors`] (exit 78),
//! [`feeds_ops`] (feed commands, OPML, poll selection), [`articles_ops`]
//! (article filters and formats), [`search_ops`] (full-text search, CSV),
//! [`corpus`] (real-world captures), [`daemon`] (`run` and SIGTERM),
//! [`admin`] (`/metrics`, `/healthz`, `/readyz`, `healthcheck`),
//! [`polish`] (`--version`, completions), [`retention`] (`cleanup`,
//! tombstones), [`status_ops`] (`status`, `log`, `log --follow`,
//! colour).

mod app;
mod bodies;
mod ingest;
mod process;
mod records;
mod routes;
mod server;

mod admin;
mod articles_ops;
mod bad_input;
mod charsets;
mod conditional;
mod config_errors;
mod corpus;
mod daemon;
mod feeds_ops;
mod formats;
mod identity;
mod polish;
mod retention;
mod schedule;
mod search_ops;
mod status_ops;
mod syndication;
