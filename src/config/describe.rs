//! `check-config` output: the effective configuration as `key = value` lines.

use super::Config;

impl Config {
    /// `key = value` lines of the effective configuration, for `check-config`.
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let source = self.source.as_ref().map(|p| p.display().to_string());
        let _ = writeln!(
            s,
            "# loaded from {}",
            source.as_deref().unwrap_or("built-in defaults")
        );
        let _ = writeln!(
            s,
            "database.path = {:?}",
            self.database_path.display().to_string()
        );
        let _ = writeln!(
            s,
            "database.mmap_mb = {}",
            self.store.mmap_bytes / (1024 * 1024)
        );
        let h = &self.http;
        let _ = writeln!(s, "http.user_agent = {:?}", h.user_agent);
        let _ = writeln!(s, "http.timeout_secs = {}", h.timeout.as_secs());
        let _ = writeln!(
            s,
            "http.connect_timeout_secs = {}",
            h.connect_timeout.as_secs()
        );
        let _ = writeln!(s, "http.max_body_bytes = {}", h.max_body_bytes);
        let _ = writeln!(s, "http.max_redirects = {}", h.max_redirects);
        let _ = writeln!(
            s,
            "http.allow_private_networks = {}",
            h.allow_private_networks
        );
        let p = &self.scheduler.policy;
        let _ = writeln!(
            s,
            "scheduler.default_interval_secs = {}",
            p.default_interval.as_secs()
        );
        let _ = writeln!(
            s,
            "scheduler.min_interval_secs = {}",
            p.min_interval.as_secs()
        );
        let _ = writeln!(
            s,
            "scheduler.max_interval_secs = {}",
            p.max_interval.as_secs()
        );
        let _ = writeln!(
            s,
            "scheduler.max_backoff_secs = {}",
            p.max_backoff.as_secs()
        );
        let _ = writeln!(
            s,
            "scheduler.redirects_to_persist = {}",
            p.redirects_to_persist
        );
        let _ = writeln!(s, "scheduler.dead_after_secs = {}", p.dead_after.as_secs());
        let _ = writeln!(
            s,
            "scheduler.burst_spread_secs = {}",
            p.burst_spread.as_secs()
        );
        let _ = writeln!(s, "scheduler.adaptive = {}", p.adaptive);
        let host = &self.scheduler.per_host;
        let _ = writeln!(s, "scheduler.per_host_concurrency = {}", host.concurrency);
        let _ = writeln!(
            s,
            "scheduler.per_host_min_interval_ms = {}",
            host.min_interval.as_millis()
        );
        for g in &self.scheduler.host_groups {
            let _ = writeln!(
                s,
                "host group {:?}: concurrency {}, min_interval_ms {}",
                g.hosts,
                g.limits.concurrency,
                g.limits.min_interval.as_millis()
            );
        }
        let _ = writeln!(
            s,
            "scheduler.max_concurrent_fetches = {}",
            self.scheduler.max_concurrent_fetches
        );
        let _ = writeln!(
            s,
            "normalize.max_future_skew_secs = {}",
            self.max_future_skew.as_secs()
        );
        let _ = writeln!(
            s,
            "log.format = {:?}",
            format!("{:?}", self.log_format).to_lowercase()
        );
        let _ = writeln!(s, "log.level = {:?}", self.log_level);
        let listen = self.admin_listen.map(|a| a.to_string());
        let _ = writeln!(s, "admin.listen = {:?}", listen.unwrap_or_default());
        let _ = writeln!(
            s,
            "daemon.shutdown_grace_secs = {}",
            self.shutdown_grace.as_secs()
        );
        match &self.near_duplicates {
            Some(n) => {
                let _ = writeln!(
                    s,
                    "near_duplicates: max_distance {}, short_text_words {}, min_containment {}, window_days {}",
                    n.config.max_distance,
                    n.config.short_words,
                    n.config.min_containment,
                    n.window.as_secs() / 86_400
                );
            }
            None => {
                let _ = writeln!(s, "near_duplicates.enabled = false");
            }
        }
        let off = || "off".to_string();
        let r = &self.retention;
        let _ = writeln!(
            s,
            "retention.max_age_days = {}",
            r.max_age.map_or_else(off, |d| d.num_days().to_string())
        );
        let _ = writeln!(
            s,
            "retention.max_articles_per_feed = {}",
            r.max_per_feed.map_or_else(off, |n| n.to_string())
        );
        let _ = writeln!(
            s,
            "retention.fetch_log_days = {}",
            r.fetch_log_max_age
                .map_or_else(off, |d| d.num_days().to_string())
        );
        let _ = writeln!(s, "search.enabled = {}", self.search_enabled);
        let syn = &self.syndication;
        let _ = writeln!(s, "syndication.enabled = {}", syn.enabled);
        let _ = writeln!(
            s,
            "syndication.flag_agency_own_feed = {}",
            syn.options.flag_agency_own_feed
        );
        let _ = writeln!(s, "syndication.disable_rules = {:?}", syn.disable_rules);
        for rule in &syn.rules {
            let _ = writeln!(
                s,
                "syndication rule {:?}: {} ({:?}, {:?})",
                rule.id,
                rule.reason.as_str(),
                rule.strength,
                rule.region
            );
        }
        let _ = writeln!(s, "feeds = {} configured", self.feeds.len());
        for f in &self.feeds {
            let interval = f
                .interval
                .map(|d| format!(" every {}s", d.as_secs()))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {}{}{}",
                f.url,
                f.name
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                interval
            );
        }
        s
    }
}
