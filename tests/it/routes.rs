//! What the test server answers on a path: a [`Route`] and the response
//! built from it, including conditional-GET freshness (RFC 9110: ETag
//! first, Last-Modified only without one).

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use std::convert::Infallible;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

/// What the server answers on one path.
#[derive(Clone)]
pub enum Route {
    /// A body with validators: an ETag (hash of the body) and Last-Modified.
    Document {
        body: Bytes,
        content_type: String,
        etag: String,
        modified: DateTime<Utc>,
    },
    /// Bytes sent as they are with `Content-Encoding: gzip`.
    Gzip { body: Bytes, content_type: String },
    /// A body streamed in 64 KiB chunks without Content-Length.
    Chunked { body: Bytes, content_type: String },
    /// Headers at once, then one byte every `every`, `total` bytes in all.
    Trickle { every: Duration, total: usize },
    /// A bodyless status with extra headers (Location, Retry-After).
    Status {
        status: u16,
        headers: Vec<(HeaderName, String)>,
    },
}

impl Route {
    pub fn status(status: u16, headers: &[(HeaderName, &str)]) -> Route {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        Route::Status { status, headers }
    }
}

pub fn etag_of(body: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    body.hash(&mut h);
    format!("\"{:016x}\"", h.finish())
}
pub fn respond(route: Route, headers: &HeaderMap, ignore_conditional: bool) -> Response {
    let builder = Response::builder();
    let built = match route {
        Route::Document {
            body,
            content_type,
            etag,
            modified,
        } => {
            let last_modified = modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            let builder = builder
                .header(header::ETAG, &etag)
                .header(header::LAST_MODIFIED, last_modified);
            if !ignore_conditional && is_fresh(headers, &etag, modified) {
                builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
            } else {
                builder
                    .header(header::CONTENT_TYPE, content_type)
                    .body(Body::from(body))
            }
        }
        Route::Gzip { body, content_type } => builder
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_ENCODING, "gzip")
            .body(Body::from(body)),
        Route::Chunked { body, content_type } => {
            let chunks: Vec<Result<Bytes, Infallible>> = body
                .chunks(64 * 1024)
                .map(|c| Ok(body.slice_ref(c)))
                .collect();
            let stream = futures_util::stream::iter(chunks);
            builder
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from_stream(stream))
        }
        Route::Trickle { every, total } => {
            let stream = futures_util::stream::unfold(0, move |sent| async move {
                if sent == total {
                    return None;
                }
                tokio::time::sleep(every).await;
                Some((Ok::<_, Infallible>(Bytes::from_static(b" ")), sent + 1))
            });
            builder
                .header(header::CONTENT_TYPE, "application/rss+xml")
                .body(Body::from_stream(stream))
        }
        Route::Status { status, headers } => {
            let builder = headers
                .into_iter()
                .fold(builder.status(status), |b, (k, v)| b.header(k, v));
            builder.body(Body::empty())
        }
    };
    built.expect("valid test response")
}

/// RFC 9110: `If-None-Match` wins; `If-Modified-Since` counts only without it.
fn is_fresh(headers: &HeaderMap, etag: &str, modified: DateTime<Utc>) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    if let Some(inm) = text(header::IF_NONE_MATCH) {
        return inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*");
    }
    match text(header::IF_MODIFIED_SINCE).and_then(|v| DateTime::parse_from_rfc2822(v).ok()) {
        Some(since) => modified <= since,
        None => false,
    }
}

pub fn bare(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}
