//! Redirect chains and the private-network guard, which must hold on every
//! hop of a chain and not only on the URL the caller passed in.

use super::*;

#[tokio::test]
async fn permanent_chain_reports_the_new_location() {
    let server = TestServer::start().await;
    let fetch = get(&server.url("/moved")).await;
    assert_eq!(body(&fetch).bytes, FEED);
    let hops: Vec<_> = fetch
        .redirects
        .iter()
        .map(|h| (h.to.as_str(), h.status))
        .collect();
    let again = server.url("/moved/again");
    let target = server.url("/feed");
    assert_eq!(hops, [(again.as_str(), 301), (target.as_str(), 308)]);
    assert_eq!(fetch.redirects[0].from, server.url("/moved"));
    assert_eq!(fetch.final_url, target);
    assert_eq!(fetch.permanent_redirect, Some(target));
}

#[tokio::test]
async fn temporary_or_failed_chains_are_not_a_move() {
    let server = TestServer::start().await;
    for path in ["/found", "/moved-then-found"] {
        let fetch = get(&server.url(path)).await;
        assert_eq!(body(&fetch).bytes, FEED, "{path}");
        assert_eq!(fetch.final_url, server.url("/feed"), "{path}");
        assert_eq!(fetch.permanent_redirect, None, "{path}");
    }
    let fetch = get(&server.url("/moved-to-gone")).await;
    assert_eq!(fetch.result, Err(FetchError::Gone));
    assert_eq!((fetch.status, fetch.redirects.len()), (Some(410), 1));
    assert_eq!(fetch.permanent_redirect, None);
}

#[tokio::test]
async fn redirect_loop_ends_at_the_limit() {
    let server = TestServer::start().await;
    let fetch = get(&server.url("/loop")).await;
    assert_eq!(fetch.result, Err(FetchError::TooManyRedirects { limit: 5 }));
    assert_eq!(fetch.redirects.len(), 5);
    assert_eq!(server.requests().len(), 6);
}

#[tokio::test]
async fn redirect_to_another_scheme_is_invalid() {
    let server = TestServer::start().await;
    let fetch = get(&server.url("/to-file")).await;
    assert_eq!(fetch.result.map_err(|e| e.kind()), Err("invalid_url"));
    assert!(fetch.redirects.is_empty());
}

#[tokio::test]
async fn guard_blocks_loopback_literal_and_name() {
    let server = TestServer::start().await;
    let fetcher = Fetcher::new(HttpSettings {
        allow_private_networks: false,
        ..settings()
    })
    .unwrap();
    let literal = fetcher
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    assert_eq!(
        literal.result,
        Err(FetchError::Blocked {
            addr: "127.0.0.1".into()
        })
    );
    let by_name = format!("http://localhost:{}/feed", server.addr.port());
    let named = fetcher.fetch(&by_name, &Validators::default()).await;
    match named.result {
        Err(FetchError::Blocked { addr }) => {
            let ip: IpAddr = addr.parse().unwrap();
            assert!(ip.is_loopback(), "{ip}");
        }
        other => panic!("expected blocked, got {other:?}"),
    }
    assert_eq!(named.status, None);
    assert!(server.requests().is_empty(), "the server was reached");
}

#[tokio::test]
async fn guard_checks_every_redirect_hop() {
    let server = TestServer::start().await;
    // Our test server stands in for a public host: only 127.0.0.1 is allowed.
    let only_test_server: guard::AddressPolicy = |ip| ip == IpAddr::V4(Ipv4Addr::LOCALHOST);
    let fetcher = Fetcher::with_policy(settings(), Some(only_test_server)).unwrap();
    let plain = fetcher
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    assert_eq!(body(&plain).bytes, FEED);
    for (path, addr) in [("/to-other-ip", "127.0.0.2"), ("/to-ipv6", "::1")] {
        let fetch = fetcher
            .fetch(&server.url(path), &Validators::default())
            .await;
        let expected = FetchError::Blocked { addr: addr.into() };
        assert_eq!(fetch.result, Err(expected), "{path}");
        assert_eq!(fetch.redirects.len(), 1, "{path}");
        assert_eq!(fetch.final_url, fetch.redirects[0].to, "{path}");
    }
    let paths: Vec<_> = server.requests().into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["/feed", "/to-other-ip", "/to-ipv6"]);
}
