//! Canonical article URLs.
//!
//! The same story reaches us as `HTTP://Example.com:80/a?utm_source=rss#top`
//! from one feed and `http://example.com/a` from another; identity and
//! near-duplicate matching downstream compare URLs as strings, so every URL we
//! store goes through [`canonicalize`] first. The rules only remove what cannot
//! change which page a server returns (case of scheme and host, default port,
//! fragment, click-tracking parameters); the path and the remaining query are
//! kept byte for byte, because servers do treat `/a` and `/a/` differently.

use url::Url;

/// Query parameter names that only identify a campaign or a click, compared
/// ASCII-case-insensitively. A name is removed when it starts with one of
/// these prefixes.
const TRACKING_PREFIXES: &[&str] = &["utm_"];

/// Exact tracking parameter names, lowercase. Kept deliberately short: every
/// entry must be something no site uses to select content. `ref` and
/// `source` are not here because GitHub and others route on them.
const TRACKING_PARAMS: &[&str] = &[
    // ad networks: Google, Meta, Microsoft, Twitter/X, TikTok, LinkedIn, Yandex
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "yclid",
    "_openstat",
    "igshid",
    // mail and marketing automation: Mailchimp, HubSpot, Marketo, Vero
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "vero_id",
    "oly_anon_id",
    "oly_enc_id",
    // share and syndication tags news sites append to their own feed links
    // (BBC `at_medium=RSS`, Guardian `CMP=`, MSN `ocid=`, NYT `smid=`)
    "ref_src",
    "ref_url",
    "cmpid",
    "cmp",
    "at_medium",
    "at_campaign",
    "ocid",
    "smid",
    "ns_mchannel",
    "ns_source",
    "ns_campaign",
    "ns_linkname",
    "ns_fee",
    "wt.mc_id",
    "__twitter_impression",
];

/// Resolves `raw` against `base` and returns the canonical form, or `None`
/// when it is empty, unparseable, or not `http`/`https`.
///
/// Scheme and host are lowercased (IDN hosts become punycode) and default
/// ports dropped by the `url` crate's parser; this function then drops the
/// fragment and the tracking parameters listed above, keeping the other
/// parameters in their original order and spelling.
pub fn canonicalize(raw: &str, base: Option<&Url>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut url = match base {
        Some(base) => base.join(raw).ok()?,
        // Protocol-relative links (`//cdn.example.com/x`) turn up in feeds
        // whose authors tested them only in a browser. Without a base we
        // cannot know the scheme; https is what such sites serve today.
        None if raw.starts_with("//") => Url::parse(&format!("https:{raw}")).ok()?,
        None => Url::parse(raw).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    url.set_fragment(None);
    if let Some(query) = url.query() {
        let kept = strip_tracking(query);
        if kept.as_deref() != Some(query) {
            url.set_query(kept.as_deref());
        }
    }
    Some(url.into())
}

/// Returns the query without tracking parameters and empty pairs, or `None`
/// when nothing is left (so the URL loses its `?`).
fn strip_tracking(query: &str) -> Option<String> {
    let mut kept = String::with_capacity(query.len());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        if is_tracking(name) {
            continue;
        }
        if !kept.is_empty() {
            kept.push('&');
        }
        kept.push_str(pair);
    }
    (!kept.is_empty()).then_some(kept)
}

fn is_tracking(name: &str) -> bool {
    let starts_with_ci = |prefix: &str| {
        name.len() >= prefix.len()
            && name.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    TRACKING_PREFIXES.iter().any(|p| starts_with_ci(p))
        || TRACKING_PARAMS.iter().any(|p| name.eq_ignore_ascii_case(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(raw: &str) -> Option<String> {
        canonicalize(raw, None)
    }

    fn base() -> Url {
        Url::parse("https://example.com/news/2024/index.html").unwrap()
    }

    #[test]
    fn relative_link_resolves_against_base() {
        let b = base();
        assert_eq!(
            canonicalize("story.html", Some(&b)).as_deref(),
            Some("https://example.com/news/2024/story.html")
        );
        assert_eq!(
            canonicalize("/about", Some(&b)).as_deref(),
            Some("https://example.com/about")
        );
        assert_eq!(
            canonicalize("../x?id=3", Some(&b)).as_deref(),
            Some("https://example.com/news/x?id=3")
        );
    }

    #[test]
    fn absolute_link_ignores_base() {
        let b = base();
        assert_eq!(
            canonicalize("http://other.org/p", Some(&b)).as_deref(),
            Some("http://other.org/p")
        );
    }

    #[test]
    fn scheme_and_host_lowercased_default_port_and_fragment_dropped() {
        assert_eq!(
            canon("HTTP://Example.COM:80/a#frag").as_deref(),
            Some("http://example.com/a")
        );
    }

    #[test]
    fn https_default_port_dropped_and_path_kept() {
        assert_eq!(
            canon("https://x.com:443/").as_deref(),
            Some("https://x.com/")
        );
        assert_eq!(
            canon("https://x.com:8443/a/").as_deref(),
            Some("https://x.com:8443/a/")
        );
    }

    #[test]
    fn trailing_slash_and_path_case_are_kept() {
        assert_eq!(
            canon("https://x.com/Some/Path/").as_deref(),
            Some("https://x.com/Some/Path/")
        );
    }

    #[test]
    fn tracking_params_removed_others_kept_in_order() {
        assert_eq!(
            canon("https://x.com/a?id=7&utm_source=rss&UTM_Medium=feed&fbclid=abc&page=2")
                .as_deref(),
            Some("https://x.com/a?id=7&page=2")
        );
    }

    #[test]
    fn remaining_params_keep_their_encoding() {
        assert_eq!(
            canon("https://x.com/s?q=a%20b+c&gclid=1&tag=%E2%9C%93").as_deref(),
            Some("https://x.com/s?q=a%20b+c&tag=%E2%9C%93")
        );
    }

    #[test]
    fn only_tracking_params_leaves_no_question_mark() {
        assert_eq!(
            canon("https://x.com/a?utm_source=rss&utm_campaign=x&mc_eid=1").as_deref(),
            Some("https://x.com/a")
        );
        assert_eq!(
            canon("https://x.com/a?").as_deref(),
            Some("https://x.com/a")
        );
        assert_eq!(
            canon("https://x.com/a?&&").as_deref(),
            Some("https://x.com/a")
        );
    }

    #[test]
    fn bbc_style_feed_params_removed() {
        assert_eq!(
            canon("https://www.bbc.co.uk/news/articles/c1?at_medium=RSS&at_campaign=rss")
                .as_deref(),
            Some("https://www.bbc.co.uk/news/articles/c1")
        );
    }

    #[test]
    fn non_http_scheme_rejected() {
        assert_eq!(canon("javascript:alert(1)"), None);
        assert_eq!(canon("mailto:a@b.c"), None);
        assert_eq!(canon("ftp://x.com/file"), None);
        assert_eq!(canonicalize("data:text/html,hi", Some(&base())), None);
    }

    #[test]
    fn garbage_and_empty_rejected() {
        assert_eq!(canon("not a url"), None);
        assert_eq!(canon("http://"), None);
        assert_eq!(canon("   "), None);
        assert_eq!(canon("http://exa mple.com/"), None);
    }

    #[test]
    fn idn_host_becomes_punycode() {
        assert_eq!(
            canon("https://Bücher.example/straße").as_deref(),
            Some("https://xn--bcher-kva.example/stra%C3%9Fe")
        );
    }

    #[test]
    fn whitespace_trimmed_and_protocol_relative_tolerated() {
        assert_eq!(
            canon("  \n https://x.com/a \t").as_deref(),
            Some("https://x.com/a")
        );
        assert_eq!(
            canon("//cdn.x.com/p").as_deref(),
            Some("https://cdn.x.com/p")
        );
        let http_base = Url::parse("http://example.com/").unwrap();
        assert_eq!(
            canonicalize("//cdn.x.com/p", Some(&http_base)).as_deref(),
            Some("http://cdn.x.com/p")
        );
    }

    #[test]
    fn ref_param_is_not_tracking() {
        assert_eq!(
            canon("https://github.com/o/r/blob/x?ref=main").as_deref(),
            Some("https://github.com/o/r/blob/x?ref=main")
        );
    }
}
