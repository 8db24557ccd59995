//! `[admin]`: the address of the operator HTTP listener (`/metrics`,
//! `/healthz`, `/readyz`). Kept apart from the other sections so the
//! listener's settings grow here, not in the big conversion function.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    /// `ip:port`; empty (the default) turns the listener off.
    pub listen: String,
}

/// `admin.listen` as a socket address, `None` when empty. Only literal IP
/// addresses are taken: a host name would be resolved at every start and
/// could quietly bind somewhere else than the operator meant.
pub(super) fn listen(raw: &RawAdmin) -> Result<Option<SocketAddr>, String> {
    let listen = raw.listen.trim();
    if listen.is_empty() {
        return Ok(None);
    }
    listen.parse::<SocketAddr>().map(Some).map_err(|_| {
        format!(
            "key `admin.listen`: expected an address like \"127.0.0.1:9464\" or \"[::1]:9464\", found {listen:?}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Option<SocketAddr>, String> {
        listen(&RawAdmin {
            listen: s.to_string(),
        })
    }

    #[test]
    fn empty_is_off() {
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("  "), Ok(None));
    }

    #[test]
    fn ip_and_port_are_taken() {
        assert_eq!(
            parse("127.0.0.1:9464"),
            Ok(Some(SocketAddr::from(([127, 0, 0, 1], 9464))))
        );
        assert_eq!(parse("[::1]:0").map(|a| a.map(|a| a.port())), Ok(Some(0)));
    }

    #[test]
    fn anything_else_names_the_key() {
        for bad in [
            "9464",
            "localhost:9464",
            "127.0.0.1",
            "127.0.0.1:99999",
            ":9464",
        ] {
            let err = parse(bad).expect_err(bad);
            assert!(err.contains("admin.listen"), "{err}");
            assert!(err.contains(bad), "{err}");
        }
    }
}
