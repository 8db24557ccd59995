//! Real-world captures from `../shared/corpus` (skipped when absent) and a
//! throughput comparison with bare feed-rs on the same files.
//!
//! The corpus is third-party data kept outside the repository; its README
//! asks that it be read in place, not copied.

use crate::parse::parse_feed;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn corpus_files() -> Option<Vec<PathBuf>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        eprintln!("corpus skipped: {} is absent", root.display());
        return None;
    }
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                dirs.push(path);
            } else if name != "README.md" && !name.starts_with("LICENSE") {
                files.push(path);
            }
        }
    }
    files.sort();
    Some(files)
}

fn doc_url(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("https://corpus.example/{name}")
}

#[test]
fn corpus_files_parse_and_every_item_has_text() {
    let Some(files) = corpus_files() else { return };
    assert!(
        !files.is_empty(),
        "the corpus folder exists but holds no files"
    );
    let (mut parsed, mut entries) = (0usize, 0usize);
    let mut failures = Vec::new();
    let mut violations = Vec::new();
    for path in &files {
        let Ok(body) = std::fs::read(path) else {
            failures.push(format!("{}: unreadable", path.display()));
            continue;
        };
        let url = doc_url(path);
        let outcome = std::panic::catch_unwind(|| parse_feed(&body, None, &url));
        let name = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
            .unwrap_or(path);
        match outcome {
            Err(_) => panic!("parse_feed panicked on {}", name.display()),
            Ok(Err(e)) => failures.push(format!("{}: {e}", name.display())),
            Ok(Ok(feed)) => {
                parsed += 1;
                entries += feed.entries.len();
                for (i, entry) in feed.entries.iter().enumerate() {
                    if entry.title.is_none() && entry.summary.is_none() && entry.content.is_none() {
                        violations.push(format!(
                            "{} item {i}: no title, summary or content",
                            name.display()
                        ));
                    }
                    // A parsed date always comes from an element the scan
                    // also reads: a missing raw string means the scan and
                    // feed-rs disagreed about the items.
                    if entry.published.is_some() && entry.published_raw.is_none() {
                        violations.push(format!(
                            "{} item {i}: published without raw string",
                            name.display()
                        ));
                    }
                }
            }
        }
    }
    println!(
        "corpus: {parsed} of {} files parsed, {entries} entries",
        files.len()
    );
    for failure in &failures {
        println!("  not parsed: {failure}");
    }
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(
        parsed * 10 >= files.len() * 9,
        "only {parsed} of {} parsed: {failures:#?}",
        files.len()
    );
}

/// `cargo test --release --lib parse::tests::corpus -- --ignored --nocapture`
#[test]
#[ignore = "timing run; use --release"]
fn throughput_against_bare_feed_rs() {
    let Some(files) = corpus_files() else { return };
    let bodies: Vec<(Vec<u8>, String)> = files
        .iter()
        .filter_map(|p| Some((std::fs::read(p).ok()?, doc_url(p))))
        .filter(|(body, url)| {
            parse_feed(body, None, url).is_ok() && feed_rs::parser::parse(&body[..]).is_ok()
        })
        .collect();
    let rounds = 20;
    let started = Instant::now();
    let mut ours = 0usize;
    for _ in 0..rounds {
        for (body, url) in &bodies {
            ours += parse_feed(body, None, url).map_or(0, |f| f.entries.len());
        }
    }
    let ours_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut bare = 0usize;
    for _ in 0..rounds {
        for (body, _) in &bodies {
            bare += feed_rs::parser::parse(&body[..]).map_or(0, |f| f.entries.len());
        }
    }
    let bare_secs = started.elapsed().as_secs_f64();
    // The part this module adds in front of and beside feed-rs.
    let started = Instant::now();
    for _ in 0..rounds {
        for (body, url) in &bodies {
            let (text, _) = crate::parse::decode_to_utf8(body, None);
            if let Ok(crate::parse::sniff::Shape::Xml { start, .. }) =
                crate::parse::sniff::classify(&text)
            {
                let base = url::Url::parse(url).ok();
                let format = if text.contains("<feed") {
                    crate::model::FeedFormat::Atom
                } else {
                    crate::model::FeedFormat::Rss2
                };
                std::hint::black_box(crate::parse::scan::scan_items(
                    &text[start..],
                    format,
                    base.as_ref(),
                ));
            }
        }
    }
    let extra_secs = started.elapsed().as_secs_f64();
    println!(
        "{} files x {rounds}: parse_feed {:.0} items/s ({ours} items in {ours_secs:.2}s), \
         bare feed-rs {:.0} items/s ({bare} items in {bare_secs:.2}s)",
        bodies.len(),
        ours as f64 / ours_secs,
        bare as f64 / bare_secs,
    );
    println!("of which decoding, sniffing and the item scan: {extra_secs:.2}s");
}
