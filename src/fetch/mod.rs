//! The HTTP client: one conditional GET of one feed URL, turned into a typed
//! [`Fetch`] the pipeline and scheduler can branch on.
//!
//! This stage owns everything between "here is a URL and the validators we
//! remembered" and "here are the body bytes, or the reason there are none":
//! conditional requests, redirects (followed by hand so every hop is recorded
//! and checked), a cap on the decompressed body, timeouts, the private-network
//! guard, and the server's hints (`Retry-After`, `Cache-Control`, `Expires`).
//! It knows no feed formats, touches no store, reads no wall clock and makes
//! no scheduling decision: hints are parsed here and resolved by the scheduler.
//!
//! * [`client`]: [`Fetcher`], the redirect loop and the capped body read.
//! * [`error`]: [`FetchError`] and the mapping from reqwest's errors.
//! * [`guard`]: which addresses may be connected to, enforced both in DNS
//!   resolution and on IP-literal hosts.
//! * [`hints`]: `Retry-After`, `Cache-Control`, `Expires` and `Date` parsing.

mod client;
mod error;
mod guard;
mod hints;

#[cfg(test)]
mod tests;

use crate::model::Validators;
use std::fmt;
use std::time::Duration;

pub use client::Fetcher;
pub use error::{FetchError, describe};
pub use guard::is_public_ip;
pub use hints::{CacheHints, RetryAfter};

/// How the client behaves; built once from the config by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    pub user_agent: String,
    /// Budget for one whole fetch: every hop of the redirect chain and the
    /// body read together.
    pub timeout: Duration,
    /// Budget for establishing one TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Cap on the decompressed body; a larger body fails with `TooLarge`.
    pub max_body_bytes: u64,
    /// How many redirects are followed before `TooManyRedirects`.
    pub max_redirects: u32,
    /// Turns off the guard against loopback, private, link-local and other
    /// non-public addresses. Only for tests and trusted intranet setups.
    pub allow_private_networks: bool,
}

/// Everything one fetch observed, whatever its result.
///
/// The fields outside `result` are filled as far as the fetch got, so a
/// failed fetch still tells the operator where it ended and how long it took.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// Status of the last HTTP response seen; `None` if no response arrived.
    pub status: Option<u16>,
    /// URL of the last hop attempted (the requested URL when nothing was
    /// followed, or the URL as given when it did not parse).
    pub final_url: String,
    /// Every redirect followed, in order.
    pub redirects: Vec<RedirectHop>,
    /// `Some(target)` when the fetch succeeded (`Ok`) after a chain in which
    /// every hop was 301 or 308: the feed has moved and its stored URL may be
    /// updated to `target`. `None` when any hop was temporary, or when the
    /// chain ended in an error (a permanent redirect into a 404, a loop or a
    /// blocked address is no reason to forget the old URL).
    pub permanent_redirect: Option<String>,
    /// Decompressed body bytes read off the wire, counted even when the read
    /// was cut short (`TooLarge`, `Timeout`); 0 when no body was read.
    pub bytes: u64,
    /// Time from the start of the fetch to its end (monotonic clock).
    pub elapsed: Duration,
    pub result: Result<FetchOutcome, FetchError>,
}

/// One redirect followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectHop {
    pub from: String,
    pub to: String,
    pub status: u16,
}

/// What a successful fetch produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// 304: the validators still match and there is nothing new to parse.
    /// The response may still say how long to wait.
    NotModified(CacheHints),
    Fetched(Body),
}

/// A 2xx response body and the headers later stages need.
#[derive(Clone, PartialEq, Eq)]
pub struct Body {
    /// Decompressed bytes, at most `max_body_bytes` long.
    pub bytes: Vec<u8>,
    /// The raw `Content-Type` header (charset detection happens in `parse`).
    pub content_type: Option<String>,
    /// The validators this response carried, to send on the next poll.
    /// Empty when the server sent none; the caller decides whether to keep
    /// older ones.
    pub validators: Validators,
    pub cache: CacheHints,
}

/// Prints the body's length, not its bytes: a `{:?}` of a fetch in a log line
/// or a failed assertion must not dump a megabyte of feed.
impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("content_type", &self.content_type)
            .field("validators", &self.validators)
            .field("cache", &self.cache)
            .finish()
    }
}
