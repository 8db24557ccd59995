//! Why a fetch produced no body, as a type the scheduler can branch on.
//!
//! reqwest's error is opaque about the cases we care about (a timeout, an
//! address our own resolver refused), so [`FetchError::from_reqwest`] digs
//! through its source chain once here and nobody else has to.

use super::guard::BlockedAddress;
use super::hints::RetryAfter;
use std::error::Error as StdError;

/// A fetch that ended without a usable response. `304 Not Modified` is not
/// one of these: it is [`super::FetchOutcome::NotModified`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// 410: the publisher says the feed is gone for good.
    #[error("feed is gone (http 410)")]
    Gone,
    /// 429, with the server's `Retry-After` when it sent a readable one.
    #[error("rate limited (http 429)")]
    RateLimited { retry_after: Option<RetryAfter> },
    /// Any other non-2xx final status (503 often carries `Retry-After`), or a
    /// 3xx that could not be followed.
    #[error("http status {code}")]
    Status {
        code: u16,
        retry_after: Option<RetryAfter>,
    },
    /// The connect timeout or the whole-fetch timeout ran out.
    #[error("request timed out")]
    Timeout,
    /// The decompressed body (or its declared `Content-Length`) exceeded the cap.
    #[error("response body exceeds {limit} bytes")]
    TooLarge { limit: u64 },
    /// The redirect chain was longer than allowed (a loop ends here too).
    #[error("more than {limit} redirects")]
    TooManyRedirects { limit: u32 },
    /// The host is, or resolved only to, a non-public address.
    #[error("refused to connect to non-public address {addr}")]
    Blocked { addr: String },
    /// The URL or a redirect target could not be parsed or is not http(s).
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    /// DNS failure, refused connection, TLS failure, broken body stream.
    #[error("network error: {0}")]
    Network(String),
    /// The HTTP client itself could not be built from the settings.
    #[error("cannot build http client: {0}")]
    Client(String),
}

impl FetchError {
    /// A stable snake_case label for logs, metrics and the store.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Gone => "gone",
            FetchError::RateLimited { .. } => "rate_limited",
            FetchError::Status { .. } => "http_error",
            FetchError::Timeout => "timeout",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::Blocked { .. } => "blocked",
            FetchError::InvalidUrl(_) => "invalid_url",
            FetchError::Network(_) => "network_error",
            FetchError::Client(_) => "client_error",
        }
    }

    /// The server's `Retry-After`, for the variants that can carry one.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            FetchError::RateLimited { retry_after } | FetchError::Status { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Classifies a reqwest error from sending a request or reading a body.
    pub(crate) fn from_reqwest(err: reqwest::Error) -> FetchError {
        // Our resolver's refusal reaches us wrapped in hyper's connect error;
        // it must surface as `Blocked`, not as a generic DNS failure.
        if let Some(blocked) = find_source::<BlockedAddress>(&err) {
            return FetchError::Blocked {
                addr: blocked.0.to_string(),
            };
        }
        if err.is_timeout() {
            return FetchError::Timeout;
        }
        FetchError::Network(describe(&err.without_url()))
    }
}

fn find_source<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// Joins an error and its causes, skipping a cause whose text its parent
/// already repeats: reqwest's top-level message alone ("error sending
/// request") never says what went wrong.
pub fn describe(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod unit {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Box<dyn StdError + Send + Sync>);

    #[test]
    fn kinds_are_stable_labels() {
        let cases = [
            (FetchError::Gone, "gone"),
            (
                FetchError::RateLimited { retry_after: None },
                "rate_limited",
            ),
            (
                FetchError::Status {
                    code: 500,
                    retry_after: None,
                },
                "http_error",
            ),
            (FetchError::Timeout, "timeout"),
            (FetchError::TooLarge { limit: 1 }, "too_large"),
            (
                FetchError::TooManyRedirects { limit: 1 },
                "too_many_redirects",
            ),
            (FetchError::Blocked { addr: "::1".into() }, "blocked"),
            (FetchError::InvalidUrl("x".into()), "invalid_url"),
            (FetchError::Network("x".into()), "network_error"),
            (FetchError::Client("x".into()), "client_error"),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind, "{err}");
        }
    }

    #[test]
    fn blocked_address_is_found_behind_wrappers() {
        let inner = BlockedAddress(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let outer = Outer(Box::new(inner));
        let found = find_source::<BlockedAddress>(&outer);
        assert_eq!(found.map(|b| b.0), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }

    #[test]
    fn describe_keeps_the_root_cause() {
        let outer = Outer(Box::new(std::io::Error::other("connection refused")));
        assert_eq!(describe(&outer), "outer: connection refused");
    }

    #[test]
    fn retry_after_is_exposed_for_both_variants() {
        let hint = Some(RetryAfter::Seconds(5));
        assert_eq!(
            FetchError::RateLimited { retry_after: hint }.retry_after(),
            hint
        );
        let status = FetchError::Status {
            code: 503,
            retry_after: hint,
        };
        assert_eq!(status.retry_after(), hint);
        assert_eq!(FetchError::Timeout.retry_after(), None);
    }
}
