//! The test HTTP server: axum on `127.0.0.1:0`, serving the fixtures the way
//! publishers do (ETag, Last-Modified, 304 on `If-None-Match`) and the ways
//! they go wrong (gzip bombs, redirect loops, trickling bodies, lying
//! charsets).
//!
//! Each test starts its own server, so counters and swapped bodies never
//! leak between tests. It runs on its own thread and runtime: the binary
//! under test is a child process, and the server has to outlive whatever the
//! test itself does. The thread ends with the test process.
//!
//! Every fixture file is served at `/fixtures/<name>`; the hostile routes
//! are the `pub const` paths below; [`crate::routes`] builds the answers.

use crate::bodies;
use crate::routes::{Route, bare, etag_of, respond};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The RSS 2.0 fixture, gzip-encoded on the wire.
pub const GZIP: &str = "/special/gzip";
/// [`bodies::BOMB_BYTES`] of zeros with `Content-Encoding: gzip` (about
/// 100 KB on the wire, built once per process).
pub const BOMB: &str = "/special/bomb";
/// A 3 MiB well-formed feed with Content-Length.
pub const OVERSIZE: &str = "/special/oversize";
/// The same 3 MiB, chunked, without Content-Length.
pub const OVERSIZE_CHUNKED: &str = "/special/oversize-chunked";
/// 302 to `/special/loop/b`, which redirects back here.
pub const LOOP: &str = "/special/loop/a";
/// 301 to `/fixtures/rss2.xml`.
pub const MOVED: &str = "/special/moved";
pub const GONE: &str = "/special/gone";
pub const SERVER_ERROR: &str = "/special/error";
/// 429 with `Retry-After: 120`.
pub const RATE_LIMITED: &str = "/special/rate-limited";
/// Headers at once, then one byte every 250 ms for 12 s.
pub const SLOW: &str = "/special/slow";
pub const HTML: &str = "/special/html";
/// 200, `application/rss+xml`, zero bytes.
pub const EMPTY: &str = "/special/empty";
/// 64 KiB of noise sent as `application/rss+xml`.
pub const RANDOM: &str = "/special/random";
pub const LAUGHS: &str = "/special/billion-laughs";
/// The windows-1251 feed with `charset=windows-1251` in Content-Type.
pub const CP1251: &str = "/special/cp1251";
/// The same without the XML declaration's encoding: only HTTP tells.
pub const CP1251_HEADER_ONLY: &str = "/special/cp1251-header-only";

/// What one path saw.
#[derive(Debug, Clone, Default)]
pub struct PathStats {
    pub requests: u32,
    pub not_modified: u32,
    /// `If-None-Match` values received, in order.
    pub if_none_match: Vec<String>,
}

#[derive(Default)]
struct Shared {
    routes: Mutex<HashMap<String, Route>>,
    stats: Mutex<HashMap<String, PathStats>>,
    /// When each request arrived, in order, with its path.
    arrivals: Mutex<Vec<(std::time::Instant, String)>>,
    ignore_conditional: AtomicBool,
}

pub struct TestServer {
    base: String,
    shared: Arc<Shared>,
}

impl TestServer {
    /// Binds `127.0.0.1:0` and serves every fixture plus the special routes.
    pub fn start() -> TestServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(handle).with_state(shared.clone());
        std::thread::Builder::new()
            .name("test-http-server".to_string())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                rt.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    axum::serve(listener, app).await.expect("test server runs");
                });
            })
            .expect("spawn server thread");
        // The socket is bound and listening already: connections made before
        // the thread gets going wait in the backlog.
        let server = TestServer { base, shared };
        server.install_defaults();
        server
    }

    fn install_defaults(&self) {
        for name in bodies::fixture_names() {
            let path = format!("/fixtures/{name}");
            self.serve(
                &path,
                bodies::fixture(&name),
                bodies::content_type_for(&name),
            );
        }
        let rss = "application/rss+xml";
        let gzipped = bodies::gzip(&bodies::fixture("rss2.xml"));
        self.route(
            GZIP,
            Route::Gzip {
                body: gzipped.into(),
                content_type: rss.into(),
            },
        );
        let bomb = Bytes::from_static(bodies::gzip_bomb());
        self.route(
            BOMB,
            Route::Gzip {
                body: bomb,
                content_type: rss.into(),
            },
        );
        let big = Bytes::from(bodies::oversize_feed(3 << 20));
        self.serve(OVERSIZE, big.clone(), rss);
        self.route(
            OVERSIZE_CHUNKED,
            Route::Chunked {
                body: big,
                content_type: rss.into(),
            },
        );
        self.route(
            LOOP,
            Route::status(302, &[(header::LOCATION, "/special/loop/b")]),
        );
        self.route(
            "/special/loop/b",
            Route::status(302, &[(header::LOCATION, LOOP)]),
        );
        self.route(
            MOVED,
            Route::status(301, &[(header::LOCATION, "/fixtures/rss2.xml")]),
        );
        self.route(GONE, Route::status(410, &[]));
        self.route(SERVER_ERROR, Route::status(500, &[]));
        self.route(
            RATE_LIMITED,
            Route::status(429, &[(header::RETRY_AFTER, "120")]),
        );
        let every = Duration::from_millis(250);
        self.route(SLOW, Route::Trickle { every, total: 48 });
        self.serve(
            HTML,
            bodies::fixture("page.html"),
            "text/html; charset=utf-8",
        );
        self.serve(EMPTY, Vec::new(), rss);
        self.serve(RANDOM, bodies::random_bytes(64 * 1024, 0x5eed), rss);
        self.serve(LAUGHS, bodies::fixture("billion_laughs.xml"), rss);
        let cp1251 = bodies::fixture("ru_cp1251.xml");
        let charset = "application/rss+xml; charset=windows-1251";
        self.serve(
            CP1251_HEADER_ONLY,
            bodies::without_encoding_declaration(&cp1251),
            charset,
        );
        self.serve(CP1251, cp1251, charset);
    }

    /// Absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn route(&self, path: &str, route: Route) {
        self.shared
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), route);
    }

    /// Serves `body` on `path` with validators.
    pub fn serve(&self, path: &str, body: impl Into<Bytes>, content_type: &str) {
        let body = body.into();
        let modified = Utc.with_ymd_and_hms(2024, 3, 7, 10, 0, 0).unwrap();
        let etag = etag_of(&body);
        let content_type = content_type.to_string();
        self.route(
            path,
            Route::Document {
                body,
                content_type,
                etag,
                modified,
            },
        );
    }

    /// Replaces the body of a document route, as a publisher editing the
    /// feed would: new ETag, Last-Modified one second later.
    pub fn set_body(&self, path: &str, new_body: impl Into<Bytes>) {
        let mut routes = self.shared.routes.lock().unwrap();
        match routes.get_mut(path) {
            Some(Route::Document {
                body,
                etag,
                modified,
                ..
            }) => {
                *body = new_body.into();
                *etag = etag_of(body);
                *modified += ChronoDuration::seconds(1);
            }
            _ => panic!("{path} is not a document route"),
        }
    }

    /// Makes the server answer 200 with the full body whatever the request's
    /// conditional headers say (many real servers do).
    pub fn ignore_conditional(&self, ignore: bool) {
        self.shared
            .ignore_conditional
            .store(ignore, Ordering::SeqCst);
    }

    /// Arrival times of every request so far, in order.
    pub fn arrivals(&self) -> Vec<std::time::Instant> {
        self.shared
            .arrivals
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| *t)
            .collect()
    }

    pub fn stats(&self, path: &str) -> PathStats {
        self.shared
            .stats
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_default()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    shared
        .arrivals
        .lock()
        .unwrap()
        .push((std::time::Instant::now(), path.clone()));
    let headers = req.headers().clone();
    let route = shared.routes.lock().unwrap().get(&path).cloned();
    let ignore = shared.ignore_conditional.load(Ordering::SeqCst);
    let response = match route {
        Some(route) => respond(route, &headers, ignore),
        None => bare(StatusCode::NOT_FOUND),
    };
    let mut stats = shared.stats.lock().unwrap();
    let s = stats.entry(path).or_default();
    s.requests += 1;
    if response.status() == StatusCode::NOT_MODIFIED {
        s.not_modified += 1;
    }
    if let Some(v) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        s.if_none_match.push(v.to_string());
    }
    response
}
