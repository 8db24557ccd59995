//! Serves the benchmark corpus over HTTP on 127.0.0.1, for load tests of a
//! real `feedsieve poll` (see `scripts/bench_poll.sh`).
//!
//! ```text
//! cargo run --release --example serve_corpus -- [PORT] [--count N]
//! ```
//!
//! `GET /feed/{n}` returns feed `n` of the corpus (`n < N`, default 1,000)
//! with an `ETag` and a `Last-Modified`, and answers a matching
//! `If-None-Match` (or, without one, a not-older `If-Modified-Since`) with
//! `304 Not Modified`, as a well-behaved publisher does. The first line on
//! stdout is the bound address (`127.0.0.1:PORT`; port 0, the default,
//! picks a free one). Runs until killed.

#[path = "../benches/support/corpus.rs"]
mod corpus;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use std::error::Error;
use std::sync::Arc;

/// One feed ready to serve.
struct Served {
    body: Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
    last_modified: HeaderValue,
    /// `last_modified` as a time, for `If-Modified-Since` comparisons.
    modified_at: DateTime<Utc>,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let (port, count) = parse_args()?;
    let feeds: Vec<Served> = corpus::corpus(corpus::SEED, count)
        .into_iter()
        .enumerate()
        .map(|(n, doc)| served(n, doc))
        .collect::<Result<_, _>>()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("{}", listener.local_addr()?);
    let items: usize = count * corpus::ITEMS_PER_FEED;
    let bytes: usize = feeds.iter().map(|f| f.body.len()).sum();
    eprintln!(
        "serving {count} feeds, {items} items, {:.1} MB at /feed/0 .. /feed/{}",
        bytes as f64 / 1e6,
        count.saturating_sub(1)
    );
    let app = Router::new()
        .route("/feed/{n}", get(feed))
        .with_state(Arc::new(feeds));
    axum::serve(listener, app).await?;
    Ok(())
}

/// `[PORT] [--count N]`.
fn parse_args() -> Result<(u16, usize), Box<dyn Error>> {
    let mut port = 0;
    let mut count = corpus::FEEDS;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--count" => {
                count = args
                    .next()
                    .ok_or("--count needs a value")?
                    .parse()
                    .map_err(|e| format!("--count: {e}"))?;
            }
            a if a.starts_with('-') => {
                return Err(format!(
                    "unknown option {a:?}; usage: serve_corpus [PORT] [--count N]"
                )
                .into());
            }
            p => port = p.parse().map_err(|e| format!("port {p:?}: {e}"))?,
        }
    }
    Ok((port, count))
}

fn served(n: usize, doc: corpus::FeedDoc) -> Result<Served, Box<dyn Error>> {
    // Each feed "changed" at its own minute, so dates differ between feeds.
    let modified_at = DateTime::<Utc>::from_timestamp(1_767_225_600 - n as i64 * 60, 0)
        .ok_or("timestamp out of range")?;
    let etag = format!("\"{:016x}-{}\"", fnv1a(&doc.body), doc.items);
    Ok(Served {
        content_type: HeaderValue::from_static(doc.content_type),
        etag: HeaderValue::from_str(&etag)?,
        last_modified: HeaderValue::from_str(
            &modified_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        )?,
        modified_at,
        body: Bytes::from(doc.body),
    })
}

async fn feed(
    State(feeds): State<Arc<Vec<Served>>>,
    Path(n): Path<usize>,
    headers: HeaderMap,
) -> Response {
    let Some(f) = feeds.get(n) else {
        return (StatusCode::NOT_FOUND, "no such feed\n").into_response();
    };
    let mut resp = if not_modified(f, &headers) {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(f.body.clone()));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, f.content_type.clone());
        r
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, f.etag.clone());
    h.insert(header::LAST_MODIFIED, f.last_modified.clone());
    resp
}

/// RFC 9110 §13.2.2: `If-None-Match` wins; `If-Modified-Since` counts only
/// without it.
fn not_modified(f: &Served, headers: &HeaderMap) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        let Ok(inm) = inm.to_str() else {
            return false;
        };
        let ours = f.etag.to_str().unwrap_or("");
        return inm
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == ours || tag.strip_prefix("W/") == Some(ours));
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
        .is_some_and(|since| since >= f.modified_at)
}

/// FNV-1a, 64 bits: a stable content tag without another dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
