//! Responses from a single hop: bodies, validators, size caps, statuses,
//! timeouts and connection failures.

use super::*;

#[tokio::test]
async fn ok_response_returns_body_validators_and_hints() {
    let server = TestServer::start().await;
    let url = server.url("/feed");
    let fetch = get(&url).await;
    let body = body(&fetch);
    assert_eq!(body.bytes, FEED);
    assert_eq!(
        body.content_type.as_deref(),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(body.validators.etag.as_deref(), Some(ETAG_V1));
    assert_eq!(
        body.validators.last_modified.as_deref(),
        Some(LAST_MODIFIED)
    );
    assert_eq!(body.cache.max_age_secs, Some(300));
    assert_eq!(
        body.cache.expires.map(|d| d.to_rfc2822()).as_deref(),
        Some("Thu, 22 Oct 2015 07:28:00 +0000")
    );
    assert_eq!((fetch.status, fetch.bytes), (Some(200), FEED.len() as u64));
    assert_eq!(fetch.final_url, url);
    assert!(fetch.redirects.is_empty() && fetch.permanent_redirect.is_none());

    let requests = server.requests();
    let sent = &requests[0].1;
    assert_eq!(header(sent, header::USER_AGENT), Some("feedsieve-test/1"));
    assert!(header(sent, header::ACCEPT).is_some_and(|a| a.starts_with("application/rss+xml")));
    assert_eq!(header(sent, header::IF_NONE_MATCH), None);
}

#[tokio::test]
async fn conditional_request_is_not_modified() {
    let server = TestServer::start().await;
    let validators = Validators {
        etag: Some(ETAG_V1.into()),
        last_modified: Some(LAST_MODIFIED.into()),
    };
    let fetcher = Fetcher::new(settings()).unwrap();
    let fetch = fetcher.fetch(&server.url("/feed"), &validators).await;
    assert!(matches!(fetch.result, Ok(FetchOutcome::NotModified(_))));
    assert_eq!((fetch.status, fetch.bytes), (Some(304), 0));
    let requests = server.requests();
    let sent = &requests[0].1;
    assert_eq!(header(sent, header::IF_NONE_MATCH), Some(ETAG_V1));
    assert_eq!(header(sent, header::IF_MODIFIED_SINCE), Some(LAST_MODIFIED));
}

#[tokio::test]
async fn gzip_body_is_decompressed() {
    let server = TestServer::start().await;
    let fetch = get(&server.url("/gzip")).await;
    assert_eq!(body(&fetch).bytes, FEED);
    assert_eq!(fetch.bytes, FEED.len() as u64);
    let requests = server.requests();
    let encodings = header(&requests[0].1, header::ACCEPT_ENCODING).unwrap_or_default();
    assert!(
        encodings.contains("gzip") && encodings.contains("br"),
        "{encodings}"
    );
}

#[tokio::test]
async fn gzip_bomb_stops_at_the_cap() {
    let zeros = vec![0u8; MIB as usize];
    let bomb = gzip(&vec![zeros.as_slice(); 200]);
    assert!(bomb.len() < 1024 * 1024, "the bomb itself is small");
    let server = TestServer::start_with_bomb(bomb).await;
    let started = Instant::now();
    let fetch = get(&server.url("/bomb")).await;
    assert_eq!(fetch.result, Err(FetchError::TooLarge { limit: MIB }));
    // Stopped within a few decoder chunks of the cap, not after 200 MiB.
    assert!(
        fetch.bytes > MIB && fetch.bytes < 2 * MIB,
        "{}",
        fetch.bytes
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn declared_length_over_the_cap_is_refused_unread() {
    let server = TestServer::start().await;
    let fetch = get(&server.url("/big")).await;
    assert_eq!(fetch.result, Err(FetchError::TooLarge { limit: MIB }));
    assert_eq!((fetch.status, fetch.bytes), (Some(200), 0));
}

#[tokio::test]
async fn error_statuses_map_to_typed_errors() {
    let server = TestServer::start().await;
    let date = Utc
        .with_ymd_and_hms(2015, 10, 21, 7, 28, 0)
        .single()
        .unwrap();
    let cases = [
        ("/gone", FetchError::Gone),
        (
            "/limited",
            FetchError::RateLimited {
                retry_after: Some(RetryAfter::Seconds(120)),
            },
        ),
        (
            "/unavailable",
            FetchError::Status {
                code: 503,
                retry_after: Some(RetryAfter::At(date)),
            },
        ),
        (
            "/missing",
            FetchError::Status {
                code: 404,
                retry_after: None,
            },
        ),
        (
            "/no-location",
            FetchError::Status {
                code: 302,
                retry_after: None,
            },
        ),
    ];
    for (path, expected) in cases {
        let fetch = get(&server.url(path)).await;
        assert_eq!(fetch.result, Err(expected), "{path}");
        assert_eq!(fetch.bytes, 0, "{path}");
    }
}

#[tokio::test]
async fn slow_response_times_out() {
    let server = TestServer::start().await;
    let fetcher = Fetcher::new(HttpSettings {
        timeout: Duration::from_millis(300),
        ..settings()
    })
    .unwrap();
    for (path, status) in [("/slow", None), ("/trickle", Some(200))] {
        let fetch = fetcher
            .fetch(&server.url(path), &Validators::default())
            .await;
        assert_eq!(fetch.result, Err(FetchError::Timeout), "{path}");
        assert_eq!(fetch.status, status, "{path}");
        assert!(
            fetch.elapsed < Duration::from_secs(2),
            "{path}: {:?}",
            fetch.elapsed
        );
    }
}

#[tokio::test]
async fn unreachable_and_malformed_urls_fail_cleanly() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let fetch = get(&format!("http://{closed}/feed")).await;
    assert_eq!(
        fetch.result.as_ref().map_err(|e| e.kind()),
        Err("network_error")
    );
    assert_eq!(fetch.status, None);

    let fetch = get("not a url").await;
    assert_eq!(fetch.result.map_err(|e| e.kind()), Err("invalid_url"));
    assert_eq!(fetch.final_url, "not a url");
}

#[test]
fn body_debug_shows_the_length_not_the_bytes() {
    let body = Body {
        bytes: vec![0; 4096],
        content_type: None,
        validators: Validators::default(),
        cache: CacheHints::default(),
    };
    let text = format!("{body:?}");
    assert!(text.contains("<4096 bytes>") && text.len() < 200, "{text}");
}
