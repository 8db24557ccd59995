//! The private-network guard: which addresses a fetch may connect to.
//!
//! Feed URLs come from users and from redirects chosen by remote servers, so
//! without a guard a feed could make the daemon probe its own network (an
//! admin panel on 127.0.0.1, a cloud metadata service on 169.254.169.254).
//! The check runs on the *resolved* address of every connection, in two
//! places, because reqwest takes two paths to an address:
//!
//! * a host name goes through [`GuardedResolver`], which drops non-public
//!   answers (so a name that resolves to 10.0.0.5 cannot slip through, and a
//!   rebinding answer is checked at the moment of connecting);
//! * an IP-literal host never reaches a resolver, so [`check_literal_host`]
//!   runs before every hop.

use super::error::FetchError;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::{Host, Url};

/// Decides whether an address may be connected to. A plain function so tests
/// can swap in a narrower rule without a second code path.
pub(crate) type AddressPolicy = fn(IpAddr) -> bool;

/// Our resolver's refusal, carried through reqwest's error chain so that
/// [`FetchError::from_reqwest`] can recognise it.
#[derive(Debug, thiserror::Error)]
#[error("refused to connect to non-public address {0}")]
pub(crate) struct BlockedAddress(pub(crate) IpAddr);

/// IPv4 ranges that are not reachable public unicast.
const BLOCKED_V4: &[(Ipv4Addr, u32)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8), // "this network"; 0.0.0.0 reaches localhost on Linux
    (Ipv4Addr::new(10, 0, 0, 0), 8), // private
    (Ipv4Addr::new(100, 64, 0, 0), 10), // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8), // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16), // link-local, cloud metadata services
    (Ipv4Addr::new(172, 16, 0, 0), 12), // private
    (Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24), // documentation (TEST-NET-1)
    (Ipv4Addr::new(192, 88, 99, 0), 24), // deprecated 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16), // private
    (Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation (TEST-NET-2)
    (Ipv4Addr::new(203, 0, 113, 0), 24), // documentation (TEST-NET-3)
    (Ipv4Addr::new(224, 0, 0, 0), 4), // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4), // reserved, and 255.255.255.255 broadcast
];

/// IPv6 ranges that are not reachable public unicast. Ranges that embed an
/// IPv4 address are handled by [`embedded_v4`] before this table is read.
const BLOCKED_V6: &[(Ipv6Addr, u32)] = &[
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96), // ::, ::1 and deprecated IPv4-compatible
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48), // local-use NAT64
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64), // discard-only
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32), // Teredo: hides an IPv4 address
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation (RFC 9637)
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7), // unique local
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10), // link-local
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10), // deprecated site-local
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8), // multicast
];

const V4_MAPPED: (Ipv6Addr, u32) = (Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96);
const NAT64: (Ipv6Addr, u32) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);
const SIX_TO_FOUR: (Ipv6Addr, u32) = (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);

/// True when `ip` is public unicast: not loopback, private, link-local,
/// unspecified, CGNAT, broadcast, multicast, reserved or documentation, and
/// not an IPv6 address that embeds such an IPv4 address.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !BLOCKED_V4.iter().any(|&(net, len)| in_v4(v4, net, len)),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_ip(IpAddr::V4(v4)),
            None => !BLOCKED_V6.iter().any(|&(net, len)| in_v6(v6, net, len)),
        },
    }
}

/// The IPv4 address a mapped, NAT64 or 6to4 address reaches.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    if in_v6(ip, V4_MAPPED.0, V4_MAPPED.1) || in_v6(ip, NAT64.0, NAT64.1) {
        Some(Ipv4Addr::from(bits as u32))
    } else if in_v6(ip, SIX_TO_FOUR.0, SIX_TO_FOUR.1) {
        Some(Ipv4Addr::from((bits >> 80) as u32))
    } else {
        None
    }
}

fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// Refuses a URL whose host is an IP literal the policy rejects. Host names
/// pass here; the resolver checks them.
pub(crate) fn check_literal_host(url: &Url, allowed: AddressPolicy) -> Result<(), FetchError> {
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) | None => return Ok(()),
    };
    if allowed(ip) {
        Ok(())
    } else {
        Err(FetchError::Blocked {
            addr: ip.to_string(),
        })
    }
}

/// A resolver that answers only with addresses the policy allows.
pub(crate) struct GuardedResolver {
    pub(crate) allowed: AddressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allowed = self.allowed;
        Box::pin(async move {
            // Port 0 is replaced by reqwest with the URL's port.
            let answers = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let (kept, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                answers.partition(|addr| allowed(addr.ip()));
            // A name with both public and private answers (split-horizon DNS)
            // still works through its public ones.
            if kept.is_empty() {
                return Err(match refused.first() {
                    Some(addr) => BlockedAddress(addr.ip()).into(),
                    None => format!("no addresses found for {host}").into(),
                });
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn public_ip_table() {
        let cases: &[(&str, bool)] = &[
            ("93.184.215.14", true),
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("172.32.0.1", true),
            ("100.128.0.1", true),
            ("192.0.3.1", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("192.0.0.8", false),
            ("192.0.2.1", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("224.0.0.1", false),
            ("239.255.255.250", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("2606:4700:4700::1111", true),
            ("2a00:1450:4001::200e", true),
            ("::", false),
            ("::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::7f00:1", false),
            ("64:ff9b::808:808", true),
            ("64:ff9b:1::1", false),
            ("2002:7f00:1::", false),
            ("2002:c0a8:101::1", false),
            ("2002:808:808::1", true),
            ("2001::1", false),
            ("2001:db8::1", false),
            ("3fff::1", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("febf::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("100::1", false),
        ];
        for &(text, public) in cases {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(is_public_ip(ip), public, "{text}");
        }
    }

    #[test]
    fn literal_hosts_are_checked_names_are_left_to_the_resolver() {
        let cases: &[(&str, Option<&str>)] = &[
            ("http://127.0.0.1:8080/feed", Some("127.0.0.1")),
            ("http://[::1]/feed", Some("::1")),
            ("http://[::ffff:192.168.0.1]/", Some("::ffff:192.168.0.1")),
            // WHATWG parsing turns these spellings into 127.0.0.1 too.
            ("http://0x7f.1/", Some("127.0.0.1")),
            ("http://2130706433/", Some("127.0.0.1")),
            ("https://8.8.8.8/feed", None),
            ("http://localhost/feed", None),
            ("https://example.com/feed", None),
        ];
        for &(text, blocked) in cases {
            let url = Url::parse(text).unwrap();
            let expected = blocked.map(|addr| FetchError::Blocked { addr: addr.into() });
            assert_eq!(
                check_literal_host(&url, is_public_ip).err(),
                expected,
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn resolver_refuses_names_with_only_private_answers() {
        let resolver = GuardedResolver {
            allowed: is_public_ip,
        };
        let name: Name = "localhost".parse().unwrap();
        let err = match resolver.resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        let blocked = err.downcast_ref::<BlockedAddress>().unwrap();
        assert!(blocked.0.is_loopback(), "{}", blocked.0);
    }

    #[tokio::test]
    async fn resolver_passes_allowed_answers() {
        let resolver = GuardedResolver { allowed: |_| true };
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<_> = resolver.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
        assert!(!addrs.is_empty());
    }
}
