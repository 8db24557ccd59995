//! The common first step of most tests: serve, configure, poll once, read
//! back, and check the invariants every stored article must meet.

use crate::app::App;
use crate::records::{Article, assert_article_invariants, now_secs};
use crate::server::TestServer;
use chrono::{DateTime, Utc};

/// One installation after its first `poll --all`.
pub struct Polled {
    pub server: TestServer,
    pub app: App,
    /// URLs of the feeds, in the order of the paths given.
    pub urls: Vec<String>,
    /// Every stored article.
    pub articles: Vec<Article>,
    /// Bounds of the poll, for checking first_seen and clamped dates.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Polled {
    /// The articles of the feed at `urls[i]`.
    pub fn of(&self, i: usize) -> Vec<Article> {
        self.articles
            .iter()
            .filter(|a| a.feed_url == self.urls[i])
            .cloned()
            .collect()
    }
}

/// Starts a server, configures one feed per path, polls them all once.
pub fn poll_paths(paths: &[&str]) -> Polled {
    let server = TestServer::start();
    poll_on(server, paths)
}

/// Like [`poll_paths`] on a server the caller prepared.
pub fn poll_on(server: TestServer, paths: &[&str]) -> Polled {
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let app = App::new(&urls);
    let from = now_secs();
    app.poll_all();
    let to = Utc::now();
    let articles = app.articles(&[]);
    for a in &articles {
        assert_article_invariants(a, from, to);
    }
    Polled {
        server,
        app,
        urls,
        articles,
        from,
        to,
    }
}
