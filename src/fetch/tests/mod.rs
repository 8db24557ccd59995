//! Fetches against a real HTTP server on 127.0.0.1, one route per server
//! behaviour the client must handle. The server records every request so a
//! test can assert what was actually sent, not only what came back.

mod redirects;
mod responses;

use super::*;
use axum::Router;
use axum::body::{Body as AxumBody, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Response, Uri, header};
use chrono::{TimeZone, Utc};
use std::convert::Infallible;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const FEED: &[u8] = b"<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
const ETAG_V1: &str = "\"v1\"";
const LAST_MODIFIED: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
const MIB: u64 = 1024 * 1024;

#[derive(Clone)]
struct ServerState {
    port: u16,
    seen: Arc<Mutex<Vec<(String, HeaderMap)>>>,
    bomb: Arc<Vec<u8>>,
}

struct TestServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(String, HeaderMap)>>>,
}

impl TestServer {
    async fn start() -> TestServer {
        TestServer::start_with_bomb(Vec::new()).await
    }

    async fn start_with_bomb(bomb: Vec<u8>) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = ServerState {
            port: addr.port(),
            seen: Arc::clone(&seen),
            bomb: Arc::new(bomb),
        };
        let app = Router::new().fallback(serve).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestServer { addr, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<(String, HeaderMap)> {
        self.seen.lock().unwrap().clone()
    }
}

fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<AxumBody>) -> Response<AxumBody> {
    let mut builder = Response::builder().status(status);
    for &(name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(body.into()).unwrap()
}

fn redirect(status: u16, location: &str) -> Response<AxumBody> {
    reply(status, &[("location", location)], AxumBody::empty())
}

async fn serve(
    State(state): State<ServerState>,
    uri: Uri,
    headers: HeaderMap,
) -> Response<AxumBody> {
    let path = uri.path().to_owned();
    let if_none_match = headers.get(header::IF_NONE_MATCH).cloned();
    state.seen.lock().unwrap().push((path.clone(), headers));
    match path.as_str() {
        "/feed" if if_none_match.is_some_and(|v| v == ETAG_V1) => {
            reply(304, &[], AxumBody::empty())
        }
        "/feed" => reply(
            200,
            &[
                ("content-type", "application/rss+xml; charset=utf-8"),
                ("etag", ETAG_V1),
                ("last-modified", LAST_MODIFIED),
                ("cache-control", "public, max-age=300"),
                ("expires", "Thu, 22 Oct 2015 07:28:00 GMT"),
            ],
            FEED,
        ),
        "/gzip" => reply(200, &[("content-encoding", "gzip")], gzip(&[FEED])),
        "/bomb" => reply(200, &[("content-encoding", "gzip")], state.bomb.to_vec()),
        "/big" => reply(200, &[], vec![b'x'; 2 * MIB as usize]),
        "/gone" => reply(410, &[], AxumBody::empty()),
        "/missing" => reply(404, &[], AxumBody::empty()),
        "/limited" => reply(429, &[("retry-after", "120")], AxumBody::empty()),
        "/unavailable" => reply(503, &[("retry-after", LAST_MODIFIED)], AxumBody::empty()),
        "/moved" => redirect(301, "/moved/again"),
        "/moved/again" => redirect(308, "../feed"),
        "/moved-then-found" => redirect(301, "/found"),
        "/moved-to-gone" => redirect(301, "/gone"),
        "/found" => redirect(302, &format!("http://127.0.0.1:{}/feed", state.port)),
        "/loop" => redirect(302, "/loop"),
        "/no-location" => reply(302, &[], AxumBody::empty()),
        "/to-file" => redirect(302, "file:///etc/passwd"),
        "/to-other-ip" => redirect(302, &format!("http://127.0.0.2:{}/feed", state.port)),
        "/to-ipv6" => redirect(302, &format!("http://[::1]:{}/feed", state.port)),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            reply(200, &[], FEED)
        }
        "/trickle" => reply(200, &[], AxumBody::from_stream(trickle())),
        _ => reply(404, &[], AxumBody::empty()),
    }
}

/// A body that sends one byte every 100 ms for two seconds.
fn trickle() -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::unfold(0u32, |sent| async move {
        if sent == 20 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        Some((Ok(Bytes::from_static(b"x")), sent + 1))
    })
}

fn gzip(parts: &[&[u8]]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for part in parts {
        encoder.write_all(part).unwrap();
    }
    encoder.finish().unwrap()
}

fn settings() -> HttpSettings {
    HttpSettings {
        user_agent: "feedsieve-test/1".into(),
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        max_body_bytes: MIB,
        max_redirects: 5,
        allow_private_networks: true,
    }
}

async fn get(url: &str) -> Fetch {
    let fetcher = Fetcher::new(settings()).unwrap();
    fetcher.fetch(url, &Validators::default()).await
}

fn body(fetch: &Fetch) -> &Body {
    match &fetch.result {
        Ok(FetchOutcome::Fetched(body)) => body,
        other => panic!("expected a body, got {other:?}"),
    }
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
