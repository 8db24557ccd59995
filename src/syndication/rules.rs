//! Rules as data: the TOML schema of a rule and of an agency, and their
//! compilation into one [`RegexSet`] per text region.
//!
//! The built-in file (`builtin.toml`, embedded at build time) and the
//! user's `[[syndication.rules]]` share this schema; a user rule with a
//! built-in's id replaces it, and `syndication.disable_rules` drops
//! built-ins by id. Every pattern is compiled once, at start.

use crate::model::Reason;
use regex::{Regex, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};

/// How much one signal weighs (see `SYNDICATION.md`, "Reason codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// Flags on its own.
    Strong,
    /// Flags when it names an agency other than the publisher, or with a
    /// second medium signal of another reason.
    Medium,
    /// Only adds to the score.
    Weak,
}

/// Where a rule looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    Title,
    /// The first [`HEAD_CHARS`] characters of the text and of the summary.
    Head,
    /// The last [`TAIL_CHARS`] characters of the text and of the summary; a
    /// match must end the text (at most `max_trailing` characters after it)
    /// and must not follow a quotation mark: a footer, not a quotation.
    Tail,
    /// Each author name on its own.
    Author,
    Url,
    /// The channel's copyright (`<copyright>`, `<rights>`).
    Feed,
}

impl Region {
    pub const ALL: [Region; 6] = [
        Region::Title,
        Region::Head,
        Region::Tail,
        Region::Author,
        Region::Url,
        Region::Feed,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// Characters of the start of a body a `head` rule sees.
pub const HEAD_CHARS: usize = 300;
/// Characters of the end of a body a `tail` rule sees.
pub const TAIL_CHARS: usize = 700;
/// Default for how much text may follow a `tail` match.
const DEFAULT_MAX_TRAILING: usize = 200;

/// One rule as written in a rule file or the config.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable name, `family.what-it-matches`; shown by `explain`.
    pub id: String,
    pub reason: Reason,
    pub strength: Strength,
    pub region: Region,
    /// A Rust `regex` pattern. A named group `agency` captures the agency
    /// or partner when the rule does not name one itself.
    pub pattern: String,
    /// The agency or partner this rule names, when it is fixed.
    #[serde(default)]
    pub agency: Option<String>,
    /// `tail` rules: characters allowed after the match (default 200).
    #[serde(default)]
    pub max_trailing: Option<usize>,
    /// A pattern that, matching the same region, cancels this rule (a trap
    /// the main pattern cannot exclude: "GUNTUR (AP)" is Andhra Pradesh).
    #[serde(default)]
    pub unless: Option<String>,
    /// Name the first known agency mentioned in the matched text, when the
    /// rule names none itself ("... distributed automatically from the
    /// Reuters newswire ...").
    #[serde(default)]
    pub find_agency: bool,
}

/// An agency or partner: its canonical name, other names it goes by, and
/// the hosts it publishes on (its copy there is the origin, not a
/// republication).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgencySpec {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
}

/// A rule file: `[[agency]]` and `[[rule]]` tables.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default, rename = "agency")]
    pub agencies: Vec<AgencySpec>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
}

/// A name reduced for comparison with a host or a feed title: lower case,
/// letters and digits only, without a leading "the" or a trailing `.com`.
pub(super) fn squash(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let lower = lower.strip_prefix("the ").unwrap_or(&lower);
    let lower = [".com", ".net", ".org", ".co.uk", ".in"]
        .iter()
        .find_map(|tld| lower.strip_suffix(tld))
        .unwrap_or(lower);
    lower.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Checks one user rule as the rule set will compile it (placeholders
/// expanded, `unless` included), for config validation.
pub fn check_rule(rule: &RuleSpec) -> Result<(), String> {
    let builtin = builtin_file().map_err(|e| e.to_string())?;
    let alternation = agency_alternation(&builtin.agencies);
    Regex::new(&expand(&rule.pattern, &alternation)).map_err(|e| format!("pattern: {e}"))?;
    if let Some(unless) = &rule.unless {
        Regex::new(&expand(unless, &alternation)).map_err(|e| format!("unless: {e}"))?;
    }
    Ok(())
}

/// The rule file compiled into the binary.
pub const BUILTIN: &str = include_str!("builtin.toml");

/// [`BUILTIN`] parsed, once per process: config validation, every rule
/// set built (each reload, `explain`, `reclassify`) and the id check all
/// read it.
pub fn builtin_file() -> Result<&'static RuleFile, RulesError> {
    static FILE: std::sync::OnceLock<Result<RuleFile, String>> = std::sync::OnceLock::new();
    FILE.get_or_init(|| toml::from_str(BUILTIN).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| RulesError::Builtin(e.clone()))
}

/// A rule that does not compile, or a rule file that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("built-in rule file: {0}")]
    Builtin(String),
    #[error("rule {id:?}: {message}")]
    Rule { id: String, message: String },
    #[error("disable_rules names {0:?}, which is not a built-in rule")]
    UnknownDisabled(String),
}

pub(super) struct CompiledRule {
    pub spec: RuleSpec,
    pub regex: Regex,
    pub unless: Option<Regex>,
    /// Whether the pattern has named groups, which capture the agency.
    pub has_agency_group: bool,
}

/// The compiled rules and the agency table.
pub struct RuleSet {
    pub(super) rules: Vec<CompiledRule>,
    /// Per region: one set over the region's rules, and which rule each
    /// pattern of the set is.
    pub(super) regions: Vec<Option<(RegexSet, Vec<usize>)>>,
    pub(super) agencies: Vec<AgencySpec>,
    /// Any known agency name or alias, for `find_agency` rules.
    pub(super) agency_names: Option<Regex>,
    /// Each agency name and alias, [`squash`]ed, to the agency's name.
    pub(super) by_squashed: std::collections::HashMap<String, String>,
}

/// In a pattern, `{agency}` stands for an alternation of every agency name
/// and alias of the table (longest first), each as written or in capitals
/// (Reuters, REUTERS; never "reuters" or "conversation" in running text).
/// Short names (`AP`, `dpa`, `EFE`) only as written, which keeps the traps
/// out.
pub const AGENCY_PLACEHOLDER: &str = "{agency}";

/// A pattern as compiled: `{agency}` expanded, and every `\b` made an
/// ASCII word boundary. A Unicode `\b` sends the regex engine from its
/// lazy DFA to a backtracking-free but slow NFA on any non-ASCII text
/// (curly quotes, accents), which made flagging 200 times slower.
fn expand(pattern: &str, agencies: &str) -> String {
    pattern
        .replace(AGENCY_PLACEHOLDER, agencies)
        .replace(r"\b", r"(?-u:\b)")
}

fn agency_alternation(agencies: &[AgencySpec]) -> String {
    let mut names: Vec<&str> = agencies
        .iter()
        .flat_map(|a| std::iter::once(a.name.as_str()).chain(a.aliases.iter().map(String::as_str)))
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.dedup();
    let parts: Vec<String> = names
        .iter()
        .map(|n| {
            let escaped = regex::escape(n).replace(' ', r"\s+");
            let upper = n.to_uppercase();
            if n.chars().count() >= 5 && upper != *n {
                format!("{escaped}|{}", regex::escape(&upper).replace(' ', r"\s+"))
            } else {
                escaped
            }
        })
        .collect();
    format!("(?:{})", parts.join("|"))
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.len())
            .field("agencies", &self.agencies.len())
            .finish()
    }
}

impl RuleSet {
    /// The built-in rules, minus `disabled`, plus `extra` (an extra rule
    /// with a built-in's id replaces it).
    pub fn build(extra: &[RuleSpec], disabled: &[String]) -> Result<RuleSet, RulesError> {
        let builtin = builtin_file()?;
        if let Some(unknown) = disabled
            .iter()
            .find(|id| !builtin.rules.iter().any(|r| &r.id == *id))
        {
            return Err(RulesError::UnknownDisabled(unknown.clone()));
        }
        let mut specs: Vec<RuleSpec> = builtin
            .rules
            .iter()
            .filter(|r| !disabled.contains(&r.id) && !extra.iter().any(|e| e.id == r.id))
            .cloned()
            .collect();
        specs.extend(extra.iter().cloned());
        RuleSet::compile(specs, builtin.agencies.clone())
    }

    fn compile(specs: Vec<RuleSpec>, agencies: Vec<AgencySpec>) -> Result<RuleSet, RulesError> {
        let alternation = agency_alternation(&agencies);
        let mut rules = Vec::with_capacity(specs.len());
        for mut spec in specs {
            spec.pattern = expand(&spec.pattern, &alternation);
            let compile = |pattern: &str| {
                Regex::new(pattern).map_err(|e| RulesError::Rule {
                    id: spec.id.clone(),
                    message: e.to_string(),
                })
            };
            let regex = compile(&spec.pattern)?;
            let unless = match &spec.unless {
                Some(p) => Some(compile(&expand(p, &alternation))?),
                None => None,
            };
            let has_agency_group = regex.capture_names().any(|n| n.is_some());
            rules.push(CompiledRule {
                spec,
                regex,
                unless,
                has_agency_group,
            });
        }
        let agency_names = if agencies.is_empty() {
            None
        } else {
            Regex::new(&expand(r"\b(?:{agency})\b", &alternation)).ok()
        };
        let mut regions = Vec::with_capacity(Region::ALL.len());
        for region in Region::ALL {
            let members: Vec<usize> = (0..rules.len())
                .filter(|&i| rules[i].spec.region == region)
                .collect();
            if members.is_empty() {
                regions.push(None);
                continue;
            }
            let set = RegexSetBuilder::new(members.iter().map(|&i| &rules[i].spec.pattern))
                .size_limit(64 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .map_err(|e| RulesError::Rule {
                    id: format!("{region:?} rule set"),
                    message: e.to_string(),
                })?;
            regions.push(Some((set, members)));
        }
        let mut by_squashed = std::collections::HashMap::new();
        for a in &agencies {
            for name in std::iter::once(&a.name).chain(&a.aliases) {
                // The first agency to claim a spelling keeps it, as the
                // table's order decided before.
                by_squashed
                    .entry(squash(name))
                    .or_insert_with(|| a.name.clone());
            }
        }
        Ok(RuleSet {
            rules,
            regions,
            agencies,
            agency_names,
            by_squashed,
        })
    }

    /// How many rules are active.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub(super) fn region(&self, region: Region) -> Option<&(RegexSet, Vec<usize>)> {
        self.regions[region.index()].as_ref()
    }

    pub(super) fn max_trailing(rule: &RuleSpec) -> usize {
        rule.max_trailing.unwrap_or(DEFAULT_MAX_TRAILING)
    }

    /// The canonical name of an agency written as `name`, or `name` itself
    /// (tidied: up to the end of its sentence) when the table does not know
    /// it; `None` for a capitalised word that names nothing ("The", "It").
    pub(super) fn canonical_agency(&self, name: &str) -> Option<String> {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let name = name.split(". ").next().unwrap_or(&name);
        let name = name.trim_end_matches(['.', ',', ';', ':', '-']);
        const NOT_NAMES: &[&str] = &[
            "The", "This", "That", "It", "He", "She", "We", "They", "A", "An", "Our", "Its",
        ];
        if name.is_empty() || NOT_NAMES.contains(&name) {
            return None;
        }
        Some(
            self.by_squashed
                .get(&squash(name))
                .cloned()
                .unwrap_or_else(|| name.to_string()),
        )
    }

    /// The first known agency named in `text`, canonical.
    pub(super) fn agency_in(&self, text: &str) -> Option<String> {
        let found = self.agency_names.as_ref()?.find(text)?;
        self.canonical_agency(found.as_str())
    }

    /// Whether `host` is one of `agency`'s own: a host of the table, or a
    /// host that spells the name ("Harbour Gazette" on harbour-gazette.co.uk,
    /// "The Daily Hodl" on dailyhodl.com, "Bitcoinist.com": a site's own
    /// "appeared first on" footer).
    pub(super) fn publishes_on(&self, agency: &str, host: &str) -> bool {
        let name = squash(agency);
        if name.len() >= 4 && host.split('.').any(|label| squash(label) == name) {
            return true;
        }
        self.agencies
            .iter()
            .filter(|a| a.name == agency)
            .flat_map(|a| &a.hosts)
            .any(|h| {
                host == h
                    || host
                        .strip_suffix(h.as_str())
                        .is_some_and(|r| r.ends_with('.'))
            })
    }
}
