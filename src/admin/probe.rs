//! `feedsieve healthcheck`: one GET of `/readyz`, for a container's
//! HEALTHCHECK or a load balancer script. No store, no logging set-up: it
//! must work beside a running daemon and answer in one line.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// The `/readyz` URL of a daemon listening on `listen`. A wildcard address
/// (0.0.0.0, ::) is reached through the loopback of the same family.
pub fn readyz_url(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/readyz", SocketAddr::new(ip, listen.port()))
}

/// How long `healthcheck` waits for the answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// `feedsieve healthcheck`: probes `url`, else `/readyz` on `listen`.
/// `Ok(line)` when ready, `Err(line)` otherwise, each line for stdout.
pub fn healthcheck(url: Option<&str>, listen: Option<SocketAddr>) -> Result<String, String> {
    let url = match (url, listen) {
        (Some(url), _) => url.to_string(),
        // Port 0 is "any free port": only the daemon's log knows which.
        (None, Some(listen)) if listen.port() == 0 => {
            return Err(
                "not ready: admin.listen has port 0; pass the bound address with --url".to_string(),
            );
        }
        (None, Some(listen)) => readyz_url(listen),
        (None, None) => {
            return Err("not ready: admin.listen is not set and no --url was given".to_string());
        }
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("not ready: cannot start the async runtime: {e}"))?
        .block_on(probe(&url, PROBE_TIMEOUT))
}

/// GETs `url`: `Ok(line)` on 200, `Err(line)` on anything else, each line
/// saying what was asked and what came back.
pub async fn probe(url: &str, timeout: Duration) -> Result<String, String> {
    // No proxy: an HTTP_PROXY set for feeds must not carry a loopback probe.
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| format!("not ready: cannot build the HTTP client: {e}"))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("not ready: {url}: {}", crate::fetch::describe(&e)))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let reason = body.lines().next().unwrap_or("").trim();
    if status == reqwest::StatusCode::OK {
        Ok(format!("ready: {url} answered {}", status.as_u16()))
    } else {
        Err(format!(
            "not ready: {url} answered {}: {reason}",
            status.as_u16()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_are_probed_on_loopback() {
        let url = |s: &str| readyz_url(s.parse().unwrap());
        assert_eq!(url("0.0.0.0:9464"), "http://127.0.0.1:9464/readyz");
        assert_eq!(url("[::]:9464"), "http://[::1]:9464/readyz");
        assert_eq!(url("10.1.2.3:80"), "http://10.1.2.3:80/readyz");
    }
}
