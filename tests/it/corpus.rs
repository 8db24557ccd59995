//! Real-world captures from `../shared/corpus` (third-party test data kept
//! outside the project): every file served and polled in one pass. Nothing
//! may crash, nearly all must ingest, and every stored item must be usable.

use crate::app::App;
use crate::bodies::content_type_for;
use crate::records::{now_secs, utc};
use crate::server::TestServer;
use chrono::{Duration, Utc};
use std::path::{Path, PathBuf};

/// Share of corpus files that must ingest.
const MIN_INGESTED: f64 = 0.90;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

/// Feed files under `dir`, sorted; licences and read-mes are not feeds.
fn feed_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable corpus dir") {
            let path = entry.expect("corpus entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                stack.push(path);
            } else if !name.starts_with('.')
                && !name.starts_with("LICENSE")
                && !name.ends_with(".md")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn real_world_corpus_ingests() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!("note: {} is absent; corpus test skipped", dir.display());
        return;
    }
    let files = feed_files(&dir);
    assert!(!files.is_empty(), "no feed files under {}", dir.display());
    let server = TestServer::start();
    let mut urls = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&dir)
            .expect("under the corpus")
            .to_string_lossy()
            .replace('\\', "/");
        let path = format!("/corpus/{rel}");
        let bytes = std::fs::read(file).expect("readable corpus file");
        server.serve(&path, bytes, content_type_for(&rel));
        urls.push((rel, server.url(&path)));
    }
    let feed_urls: Vec<String> = urls.iter().map(|(_, u)| u.clone()).collect();
    let app = App::new(&feed_urls);
    let from = now_secs();
    let out = app.run(&["poll", "--all"]);
    out.assert_success("poll --all over the corpus (a crash fails here)");
    let to = Utc::now();

    let feeds = app.feeds();
    let mut failed = Vec::new();
    for (rel, url) in &urls {
        let feed = feeds
            .iter()
            .find(|f| &f.url == url)
            .expect("every corpus feed listed");
        if feed.last_outcome.as_deref() != Some("fetched") {
            failed.push(format!(
                "{rel}: {:?}: {}",
                feed.last_outcome,
                feed.last_error.as_deref().unwrap_or("-")
            ));
        }
    }
    let ingested = urls.len() - failed.len();
    eprintln!("corpus: {ingested}/{} files ingested", urls.len());
    for f in &failed {
        eprintln!("corpus: failed {f}");
    }

    let articles = app.articles(&[]);
    let mut bad_items = Vec::new();
    let latest = to + Duration::seconds(600);
    for a in &articles {
        let who = format!("{} item {:?}", a.feed_url, a.item_key);
        if a.item_key.trim().is_empty() {
            bad_items.push(format!("{who}: empty item_key"));
        }
        if a.title().trim().is_empty() && a.text().trim().is_empty() {
            bad_items.push(format!("{who}: neither title nor text"));
        }
        if let Some(p) = a.published.as_deref().map(utc).filter(|p| *p > latest) {
            bad_items.push(format!("{who}: published {p} is in the future"));
        }
        if utc(&a.first_seen) < from - Duration::seconds(1) {
            bad_items.push(format!(
                "{who}: first_seen {} before the poll",
                a.first_seen
            ));
        }
    }
    eprintln!("corpus: {} articles stored", articles.len());
    assert!(
        bad_items.is_empty(),
        "{} unusable items:\n{}",
        bad_items.len(),
        bad_items.join("\n")
    );
    let share = ingested as f64 / urls.len() as f64;
    assert!(
        share >= MIN_INGESTED,
        "only {ingested}/{} corpus files ingested ({:.0} %), want ≥ {:.0} %:\n{}",
        urls.len(),
        share * 100.0,
        MIN_INGESTED * 100.0,
        failed.join("\n")
    );
}
