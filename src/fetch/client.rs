//! [`Fetcher`]: one reqwest client and the loop that walks a redirect chain.
//!
//! reqwest's own redirect handling is switched off so that every hop can be
//! recorded (the pipeline needs to know when a feed has permanently moved)
//! and its IP-literal host checked by the guard before we connect. The whole
//! fetch runs against one deadline, so a slow chain of redirects or a body
//! that trickles in cannot outlive `HttpSettings::timeout`.

use super::error::FetchError;
use super::guard::{AddressPolicy, GuardedResolver, check_literal_host, is_public_ip};
use super::hints::{self, CacheHints};
use super::{Body, Fetch, FetchOutcome, HttpSettings, RedirectHop};
use crate::model::Validators;
use reqwest::header::{
    ACCEPT, CONTENT_TYPE, ETAG, HeaderMap, HeaderName, HeaderValue, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use reqwest::{Response, StatusCode, redirect};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::time::timeout_at;
use url::Url;

/// Feed types first; generic XML/JSON next; anything last, because plenty of
/// feeds are served as `text/html` or `application/octet-stream`.
const ACCEPT_FEEDS: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
     application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8";

/// The HTTP client. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// `None` when private networks are allowed.
    policy: Option<AddressPolicy>,
    timeout: Duration,
    max_body_bytes: u64,
    max_redirects: u32,
}

/// What a fetch has seen so far; becomes a [`Fetch`] when it ends.
struct Trace {
    status: Option<u16>,
    final_url: String,
    redirects: Vec<RedirectHop>,
    bytes: u64,
}

impl Fetcher {
    pub fn new(settings: HttpSettings) -> Result<Fetcher, FetchError> {
        let policy = (!settings.allow_private_networks).then_some(is_public_ip as AddressPolicy);
        Fetcher::with_policy(settings, policy)
    }

    /// Builds a fetcher with an explicit address policy; tests use this to
    /// allow their own server while still exercising the guard.
    pub(crate) fn with_policy(
        settings: HttpSettings,
        policy: Option<AddressPolicy>,
    ) -> Result<Fetcher, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_FEEDS));
        let mut builder = reqwest::Client::builder()
            .user_agent(settings.user_agent.as_str())
            .default_headers(headers)
            .connect_timeout(settings.connect_timeout)
            // A backstop only: `fetch` enforces one deadline over all hops.
            .timeout(settings.timeout)
            .redirect(redirect::Policy::none())
            // An environment proxy would connect on our behalf, bypassing the
            // guard's view of the real destination.
            .no_proxy()
            .gzip(true)
            .brotli(true)
            .deflate(true);
        if let Some(allowed) = policy {
            builder = builder.dns_resolver(Arc::new(GuardedResolver { allowed }));
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            policy,
            timeout: settings.timeout,
            max_body_bytes: settings.max_body_bytes,
            max_redirects: settings.max_redirects,
        })
    }

    /// Fetches `url` with a conditional GET. Never panics and never returns
    /// early: every failure is described in the returned [`Fetch`].
    pub async fn fetch(&self, url: &str, validators: &Validators) -> Fetch {
        let started = Instant::now();
        let deadline = tokio::time::Instant::from_std(started + self.timeout);
        let mut trace = Trace {
            status: None,
            final_url: url.to_owned(),
            redirects: Vec::new(),
            bytes: 0,
        };
        let result = self.follow(url, validators, deadline, &mut trace).await;
        let permanent = !trace.redirects.is_empty()
            && trace
                .redirects
                .iter()
                .all(|hop| matches!(hop.status, 301 | 308));
        Fetch {
            status: trace.status,
            permanent_redirect: (permanent && result.is_ok()).then(|| trace.final_url.clone()),
            final_url: trace.final_url,
            redirects: trace.redirects,
            bytes: trace.bytes,
            elapsed: started.elapsed(),
            result,
        }
    }

    async fn follow(
        &self,
        url: &str,
        validators: &Validators,
        deadline: tokio::time::Instant,
        trace: &mut Trace,
    ) -> Result<FetchOutcome, FetchError> {
        let mut current = parse_http_url(url)?;
        loop {
            trace.final_url = current.to_string();
            if let Some(allowed) = self.policy {
                check_literal_host(&current, allowed)?;
            }
            let request = self.request(current.clone(), validators);
            let response = timeout_at(deadline, request.send())
                .await
                .map_err(|_| FetchError::Timeout)?
                .map_err(FetchError::from_reqwest)?;
            let status = response.status();
            trace.status = Some(status.as_u16());
            if !is_followed_redirect(status) {
                return self.outcome(response, deadline, trace).await;
            }
            let Some(next) = redirect_target(&current, response.headers())? else {
                // A 3xx without Location cannot be followed; report the status.
                return Err(status_error(status, response.headers()));
            };
            if trace.redirects.len() >= self.max_redirects as usize {
                return Err(FetchError::TooManyRedirects {
                    limit: self.max_redirects,
                });
            }
            trace.redirects.push(RedirectHop {
                from: current.to_string(),
                to: next.to_string(),
                status: status.as_u16(),
            });
            current = next;
        }
    }

    /// Every hop carries the validators: they belong to the chain's final
    /// resource, which is the one whose response we stored them from.
    fn request(&self, url: Url, validators: &Validators) -> reqwest::RequestBuilder {
        let mut request = self.client.get(url);
        let conditional = [
            (IF_NONE_MATCH, validators.etag.as_deref()),
            (IF_MODIFIED_SINCE, validators.last_modified.as_deref()),
        ];
        for (name, value) in conditional {
            // A stored validator that is not a legal header value (a server
            // once sent raw UTF-8 in its ETag) is skipped rather than failing
            // every future poll of the feed.
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
                request = request.header(name, value);
            }
        }
        request
    }

    async fn outcome(
        &self,
        response: Response,
        deadline: tokio::time::Instant,
        trace: &mut Trace,
    ) -> Result<FetchOutcome, FetchError> {
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified(CacheHints::from_headers(
                response.headers(),
            )));
        }
        if !status.is_success() {
            return Err(status_error(status, response.headers()));
        }
        let headers = response.headers();
        let content_type = header_string(headers, &CONTENT_TYPE);
        let validators = Validators {
            etag: header_string(headers, &ETAG),
            last_modified: header_string(headers, &LAST_MODIFIED),
        };
        let cache = CacheHints::from_headers(headers);
        let bytes = read_capped(response, self.max_body_bytes, deadline, trace).await?;
        Ok(FetchOutcome::Fetched(Body {
            bytes,
            content_type,
            validators,
            cache,
        }))
    }
}

/// Reads the decompressed body chunk by chunk, failing as soon as it grows
/// past `cap`: a small gzip bomb can inflate to gigabytes, so the cap must
/// apply to what we hold in memory, never to what came over the wire.
async fn read_capped(
    mut response: Response,
    cap: u64,
    deadline: tokio::time::Instant,
    trace: &mut Trace,
) -> Result<Vec<u8>, FetchError> {
    // reqwest reports a length only for bodies it does not decompress.
    let declared = response.content_length();
    if declared.is_some_and(|len| len > cap) {
        return Err(FetchError::TooLarge { limit: cap });
    }
    let reserve = declared.unwrap_or(0).min(cap);
    let mut bytes = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    loop {
        let chunk = timeout_at(deadline, response.chunk())
            .await
            .map_err(|_| FetchError::Timeout)?
            .map_err(FetchError::from_reqwest)?;
        let Some(chunk) = chunk else {
            return Ok(bytes);
        };
        trace.bytes += chunk.len() as u64;
        if trace.bytes > cap {
            return Err(FetchError::TooLarge { limit: cap });
        }
        bytes.extend_from_slice(&chunk);
    }
}

fn parse_http_url(text: &str) -> Result<Url, FetchError> {
    let url =
        Url::parse(text.trim()).map_err(|e| FetchError::InvalidUrl(format!("{text}: {e}")))?;
    require_http(url)
}

fn require_http(url: Url) -> Result<Url, FetchError> {
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => Err(FetchError::InvalidUrl(format!("{url}: no host"))),
        other => Err(FetchError::InvalidUrl(format!(
            "{url}: unsupported scheme {other}"
        ))),
    }
}

/// 300 (multiple choices) and 304 are not redirects to follow.
fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The absolute target of a redirect, `None` when there is no `Location`.
fn redirect_target(current: &Url, headers: &HeaderMap) -> Result<Option<Url>, FetchError> {
    let Some(location) = headers.get(LOCATION) else {
        return Ok(None);
    };
    // Some servers put raw UTF-8 in Location; `Url::join` percent-encodes it.
    let location = std::str::from_utf8(location.as_bytes()).map_err(|_| {
        FetchError::InvalidUrl(format!("redirect from {current}: location is not utf-8"))
    })?;
    let target = current.join(location.trim()).map_err(|e| {
        FetchError::InvalidUrl(format!("redirect from {current} to {location}: {e}"))
    })?;
    require_http(target).map(Some)
}

fn status_error(status: StatusCode, headers: &HeaderMap) -> FetchError {
    let retry_after = hints::retry_after(headers);
    match status.as_u16() {
        410 => FetchError::Gone,
        429 => FetchError::RateLimited { retry_after },
        code => FetchError::Status { code, retry_after },
    }
}

fn header_string(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn redirect_targets_resolve_against_the_current_url() {
        let current = Url::parse("https://example.com/blog/feed.xml").unwrap();
        let cases: &[(&str, Result<Option<&str>, &str>)] = &[
            ("https://other.org/rss", Ok(Some("https://other.org/rss"))),
            ("/atom", Ok(Some("https://example.com/atom"))),
            ("new.xml", Ok(Some("https://example.com/blog/new.xml"))),
            ("//cdn.example.net/f", Ok(Some("https://cdn.example.net/f"))),
            ("ftp://example.com/feed", Err("invalid_url")),
            ("javascript:alert(1)", Err("invalid_url")),
        ];
        for &(location, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(LOCATION, HeaderValue::from_str(location).unwrap());
            let got = redirect_target(&current, &headers);
            let got = got.as_ref().map(|u| u.as_ref().map(Url::as_str));
            match expected {
                Ok(url) => assert_eq!(got, Ok(url), "{location}"),
                Err(kind) => assert_eq!(got.map_err(FetchError::kind), Err(kind), "{location}"),
            }
        }
        assert_eq!(redirect_target(&current, &HeaderMap::new()), Ok(None));
    }

    #[test]
    fn only_http_urls_are_fetched() {
        assert!(parse_http_url(" https://example.com/feed ").is_ok());
        for bad in [
            "file:///etc/passwd",
            "ftp://example.com/",
            "not a url",
            "http://",
        ] {
            assert_eq!(
                parse_http_url(bad).map_err(|e| e.kind()),
                Err("invalid_url"),
                "{bad}"
            );
        }
    }

    #[test]
    fn status_errors_carry_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("30"));
        let hint = Some(hints::RetryAfter::Seconds(30));
        assert_eq!(status_error(StatusCode::GONE, &headers), FetchError::Gone);
        assert_eq!(
            status_error(StatusCode::TOO_MANY_REQUESTS, &headers),
            FetchError::RateLimited { retry_after: hint }
        );
        assert_eq!(
            status_error(StatusCode::NOT_FOUND, &HeaderMap::new()),
            FetchError::Status {
                code: 404,
                retry_after: None
            }
        );
    }
}
