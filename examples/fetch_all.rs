//! Bare-HTTP baseline for `scripts/bench_poll.sh`: downloads every feed of
//! a running `serve_corpus` with reqwest at the same concurrency as the poll,
//! doing nothing with the bodies but count them, then fetches them all again
//! with `If-None-Match`. What `feedsieve poll` takes beyond these two passes
//! is its own cost.
//!
//! ```text
//! cargo run --release --example fetch_all -- http://127.0.0.1:PORT [--count N] [--concurrency C]
//! ```
//!
//! Prints one line per pass:
//! `fetch_all pass=full feeds=1000 ok=1000 not_modified=0 failed=0 bytes=... secs=...`.

use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use std::error::Error;
use std::time::{Duration, Instant};

/// What one request got.
enum Got {
    Body(usize),
    NotModified,
    Failed,
}

/// Totals of one pass.
#[derive(Default)]
struct Pass {
    ok: usize,
    not_modified: usize,
    failed: usize,
    bytes: usize,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let (base, count, concurrency) = parse_args()?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()?;
    let urls: Vec<String> = (0..count).map(|n| format!("{base}/feed/{n}")).collect();

    let t = Instant::now();
    let results: Vec<(Got, Option<String>)> = futures_util::stream::iter(&urls)
        .map(|url| fetch(&client, url, None))
        .buffered(concurrency)
        .collect()
        .await;
    report("full", &results, t.elapsed());

    let etags: Vec<Option<String>> = results.into_iter().map(|(_, etag)| etag).collect();
    let t = Instant::now();
    let results: Vec<(Got, Option<String>)> = futures_util::stream::iter(urls.iter().zip(&etags))
        .map(|(url, etag)| fetch(&client, url, etag.as_deref()))
        .buffered(concurrency)
        .collect()
        .await;
    report("conditional", &results, t.elapsed());
    Ok(())
}

/// `BASE_URL [--count N] [--concurrency C]`.
fn parse_args() -> Result<(String, usize, usize), Box<dyn Error>> {
    let usage = "usage: fetch_all BASE_URL [--count N] [--concurrency C]";
    let mut base = None;
    let mut count = 1_000;
    let mut concurrency = 32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, Box<dyn Error>> {
            let v = args.next().ok_or(format!("{name} needs a value"))?;
            Ok(v.parse().map_err(|e| format!("{name}: {e}"))?)
        };
        match arg.as_str() {
            "--count" => count = number("--count")?,
            "--concurrency" => concurrency = number("--concurrency")?.max(1),
            a if a.starts_with('-') => return Err(format!("unknown option {a:?}; {usage}").into()),
            a => base = Some(a.trim_end_matches('/').to_string()),
        }
    }
    Ok((base.ok_or(usage)?, count, concurrency))
}

/// Fetches one URL, reading the whole body; returns what came and the ETag.
async fn fetch(client: &reqwest::Client, url: &str, etag: Option<&str>) -> (Got, Option<String>) {
    let mut req = client.get(url);
    if let Some(tag) = etag {
        req = req.header(IF_NONE_MATCH, tag);
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(_) => return (Got::Failed, None),
    };
    let status = resp.status();
    let tag = resp
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match status {
        StatusCode::NOT_MODIFIED => (Got::NotModified, tag),
        s if s.is_success() => match resp.bytes().await {
            Ok(b) => (Got::Body(b.len()), tag),
            Err(_) => (Got::Failed, None),
        },
        _ => (Got::Failed, None),
    }
}

fn report(name: &str, results: &[(Got, Option<String>)], elapsed: Duration) {
    let mut pass = Pass::default();
    for (got, _) in results {
        match got {
            Got::Failed => pass.failed += 1,
            Got::NotModified => pass.not_modified += 1,
            Got::Body(n) => {
                pass.ok += 1;
                pass.bytes += n;
            }
        }
    }
    println!(
        "fetch_all pass={name} feeds={} ok={} not_modified={} failed={} bytes={} secs={:.3}",
        results.len(),
        pass.ok,
        pass.not_modified,
        pass.failed,
        pass.bytes,
        elapsed.as_secs_f64()
    );
}
