//! Near-duplicates: the same text carried by several outlets, whatever
//! their headlines, footers and inserted furniture.
//!
//! Bodies are compared as a comparison text (datelines, disclaimers, credit
//! lines and furniture removed by the syndication rules, then case-folded
//! with quotes, dashes and punctuation dropped; see
//! `syndication::Flagger::flag_and_compare`), cut into word 3-shingles:
//!
//! * long texts (at least `short_words` words on both sides): 64-bit SimHash
//!   over the shingles, near-duplicate at a Hamming distance of at most
//!   `max_distance` (Manku, Jain and Das Sarma, WWW 2007: k = 3 for 64-bit
//!   fingerprints over billions of pages);
//!   News texts are short for SimHash: appending "(With inputs from PTI)"
//!   to a 143-word story moved its fingerprint 4 bits. So long pairs up to
//!   [`VERIFY_DISTANCE`] bits apart are checked shingle by shingle and
//!   count when at least [`LONG_CONTAINMENT`] of the shorter text is in the
//!   other (a template with other figures stays well below);
//! * a short text (an RSS description of a sentence or two) against any
//!   text: the share of the shorter text's shingles found in the other
//!   (containment), at least `min_containment`.
//!
//! A shared title alone never matches (titles are not compared), and a
//! template with different facts does not either: numbers are words, and
//! every changed figure changes three shingles.
//!
//! Candidates come from an index the store keeps ([`index_keys`]): the four
//! 16-bit bands of the SimHash (two fingerprints within distance 3 agree on
//! at least one band) and the hashes of the first shingles (a truncated
//! description starts where its article starts).

use crate::model::Fingerprint;

/// Long pairs at most this many bits apart are verified by containment.
pub const VERIFY_DISTANCE: u32 = 16;

/// The containment a long pair beyond `max_distance` must reach.
pub const LONG_CONTAINMENT: f32 = 0.9;

/// How many shingles, from the start of the text, take part in
/// containment: enough for a lead paragraph and well beyond, and 512 bytes
/// stored per article.
pub const MAX_SHINGLES: usize = 128;

/// How many leading shingles are indexed.
pub const LEAD_SHINGLES: usize = 2;

/// Fewer words than this cannot be told from a template or a teaser.
pub const MIN_WORDS: usize = 8;

/// The `[near_duplicates]` tunables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearConfig {
    pub max_distance: u32,
    /// Below this many words a text is short and compared by containment.
    pub short_words: u32,
    pub min_containment: f32,
}

impl Default for NearConfig {
    fn default() -> Self {
        NearConfig {
            max_distance: 3,
            short_words: 100,
            min_containment: 0.8,
        }
    }
}

/// FNV-1a, 64 bits: a fixed hash, so fingerprints stored by one build are
/// comparable with the next (std's hasher makes no such promise).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// [`fnv1a`] of four byte strings at once: one byte of each in turn, so
/// the four multiply chains overlap instead of each waiting on its own
/// last multiplication (most of a fingerprint's time was this wait).
fn fnv1a_x4(s: [&[u8]; 4]) -> [u64; 4] {
    let step = |h: u64, b: &u8| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    let mut h = [0xcbf2_9ce4_8422_2325u64; 4];
    let common = s.iter().map(|b| b.len()).min().unwrap_or(0);
    let [a, b, c, d] = s.map(|x| &x[..common]);
    for (((x0, x1), x2), x3) in a.iter().zip(b).zip(c).zip(d) {
        h = [
            step(h[0], x0),
            step(h[1], x1),
            step(h[2], x2),
            step(h[3], x3),
        ];
    }
    for (h, rest) in h.iter_mut().zip(s.map(|x| &x[common..])) {
        *h = rest.iter().fold(*h, step);
    }
    h
}

/// Mixes a hash's bits (SplitMix64's finalizer), so SimHash sees well
/// spread bits even from similar shingles.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Byte `i` spread out: bit `b` of `i` becomes byte `b` of the result
/// (0 or 1), so eight bit counters advance with one addition.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut b = 0;
        while b < 8 {
            if (i >> b) & 1 == 1 {
                table[i] |= 1 << (8 * b);
            }
            b += 1;
        }
        i += 1;
    }
    table
};

/// The SimHash of `hashes`: bit `b` is set when more than half of them
/// have it set. Counted eight bits per addition in byte lanes, emptied
/// before a lane could overflow.
fn simhash(hashes: &[u64]) -> u64 {
    let mut ones = [0u32; 64];
    for chunk in hashes.chunks(255) {
        let mut lanes = [0u64; 8];
        for h in chunk {
            for (j, lane) in lanes.iter_mut().enumerate() {
                *lane += SPREAD[((h >> (8 * j)) & 0xff) as usize];
            }
        }
        for (j, lane) in lanes.iter().enumerate() {
            for b in 0..8 {
                ones[8 * j + b] += ((lane >> (8 * b)) & 0xff) as u32;
            }
        }
    }
    let n = hashes.len() as u32;
    ones.iter()
        .enumerate()
        .filter(|(_, c)| 2 * **c > n)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// The fingerprint of a comparison text (words joined by single spaces,
/// as `Flagger::flag_and_compare` gives it); `None` when it has fewer
/// than [`MIN_WORDS`] words. A shingle is three words with their spaces,
/// hashed as they stand in the text.
pub fn fingerprint(text: &str) -> Option<Fingerprint> {
    // Where each word starts, and the text's end as a last "start".
    let mut starts: Vec<usize> = Vec::with_capacity(text.len() / 5);
    if !text.is_empty() {
        starts.push(0);
    }
    starts.extend(word_starts_after_first(text));
    let words = starts.len();
    if words < MIN_WORDS {
        return None;
    }
    starts.push(text.len() + 1);
    let bytes = text.as_bytes();
    let shingle = |w: &[usize]| &bytes[w[0]..w[3] - 1];
    let windows: Vec<&[usize]> = starts.windows(4).collect();
    let mut hashes: Vec<u64> = Vec::with_capacity(windows.len());
    let mut fours = windows.chunks_exact(4);
    for four in &mut fours {
        let h = fnv1a_x4([
            shingle(four[0]),
            shingle(four[1]),
            shingle(four[2]),
            shingle(four[3]),
        ]);
        hashes.extend(h.map(mix));
    }
    hashes.extend(fours.remainder().iter().map(|w| mix(fnv1a(shingle(w)))));
    let lead = hashes
        .iter()
        .take(LEAD_SHINGLES)
        .map(|h| *h as u32)
        .collect();
    let mut shingles: Vec<u32> = hashes
        .iter()
        .take(MAX_SHINGLES)
        .map(|h| *h as u32)
        .collect();
    shingles.sort_unstable();
    shingles.dedup();
    Some(Fingerprint {
        simhash: simhash(&hashes),
        words: u32::try_from(words).unwrap_or(u32::MAX),
        shingles,
        lead,
    })
}

/// The start of every word after the first: one past each space.
fn word_starts_after_first(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b' ')
        .map(|(i, _)| i + 1)
}

/// Bits in which two SimHashes differ.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Shingles as stored: little-endian `u32`s.
pub fn shingles_to_bytes(shingles: &[u32]) -> Vec<u8> {
    shingles.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Shingles read back; a truncated tail is ignored.
pub fn shingles_from_bytes(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The share of `short`'s shingles also in `long` (both sorted).
pub fn containment(short: &[u32], long: &[u32]) -> f32 {
    if short.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < short.len() && j < long.len() {
        match short[i].cmp(&long[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f32 / short.len() as f32
}

/// Whether deciding on `a` against a fingerprint of `words` words and
/// `simhash` needs that text's shingles (its SimHash alone will not do).
pub fn needs_shingles(a: &Fingerprint, words: u32, simhash: u64, config: &NearConfig) -> bool {
    let long = a.words >= config.short_words && words >= config.short_words;
    let d = distance(a.simhash, simhash);
    !long || (d > config.max_distance && d <= VERIFY_DISTANCE)
}

/// How similar two bodies are (1.0 identical), when they are
/// near-duplicates under `config`; `None` otherwise. A fingerprint without
/// shingles (read back from the index) only takes part by SimHash.
pub fn similarity(a: &Fingerprint, b: &Fingerprint, config: &NearConfig) -> Option<f32> {
    let long = a.words >= config.short_words && b.words >= config.short_words;
    let threshold = if long {
        let d = distance(a.simhash, b.simhash);
        if d <= config.max_distance {
            return Some(1.0 - d as f32 / 64.0);
        }
        if d > VERIFY_DISTANCE {
            return None;
        }
        LONG_CONTAINMENT.max(config.min_containment)
    } else {
        config.min_containment
    };
    if a.shingles.is_empty() || b.shingles.is_empty() {
        return None;
    }
    let (short, long) = if a.shingles.len() <= b.shingles.len() {
        (a, b)
    } else {
        (b, a)
    };
    let c = containment(&short.shingles, &long.shingles);
    (c >= threshold).then_some(c)
}

/// The index keys of a fingerprint: its lead shingles (tagged 4), and for
/// a long text its four SimHash bands (band number in the high bits). A
/// short text is compared by containment only, so its bands would find
/// nothing and only cost index rows (RSS feeds of descriptions are common).
pub fn index_keys(fp: &Fingerprint, config: &NearConfig) -> Vec<i64> {
    let mut keys: Vec<i64> = if fp.words >= config.short_words {
        (0..4)
            .map(|band| (band << 32) | ((fp.simhash >> (16 * band)) & 0xffff) as i64)
            .collect()
    } else {
        Vec::new()
    };
    keys.extend(fp.lead.iter().map(|h| (4 << 32) | i64::from(*h)));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(text: &str) -> Fingerprint {
        let words: Vec<&str> = text.split_whitespace().collect();
        fingerprint(&words.join(" ")).expect("long enough")
    }

    const STORY: &str = "the foreign minister arrived in the capital on tuesday for two days of talks \
        on trade energy and regional security the foreign office said he is due to meet his \
        counterpart and the prime minister officials said adding that agreements on rail links \
        and wheat supplies could be signed during the visit which is the first by a minister \
        of his rank in more than a decade analysts said the visit signalled a warming of ties \
        after years of distance and that both sides were keen to expand trade beyond the \
        current level of about one billion dollars a year the two countries also plan to \
        discuss cooperation in counterterrorism and the situation in the region officials said";

    #[test]
    fn a_copy_with_small_edits_is_near_and_the_distance_is_small() {
        let a = fp(STORY);
        let edited = STORY.replace("analysts said", "analysts noted");
        let b = fp(&edited);
        assert!(a.words >= 100);
        let d = distance(a.simhash, b.simhash);
        assert!(d <= 3, "distance {d}");
        assert!(similarity(&a, &b, &NearConfig::default()).is_some());
    }

    #[test]
    fn a_lead_paragraph_is_contained_in_its_article() {
        let lead: String = STORY
            .split_whitespace()
            .take(30)
            .collect::<Vec<_>>()
            .join(" ");
        let (short, long) = (fp(&lead), fp(STORY));
        assert_eq!(short.lead, long.lead, "same opening, same lead keys");
        let s = similarity(&short, &long, &NearConfig::default()).expect("contained");
        assert!(s >= 0.99, "{s}");
    }

    #[test]
    fn a_copy_with_a_footer_added_is_verified_by_containment() {
        let a = fp(STORY);
        let b = fp(&format!("{STORY} with inputs from pti and agencies"));
        assert!(similarity(&a, &b, &NearConfig::default()).is_some());
        let d = distance(a.simhash, b.simhash);
        let bare = Fingerprint {
            shingles: Vec::new(),
            lead: Vec::new(),
            ..b.clone()
        };
        assert_eq!(
            needs_shingles(&a, bare.words, bare.simhash, &NearConfig::default()),
            d > 3
        );
    }

    #[test]
    fn template_stories_with_other_figures_are_not_near() {
        let story = |points: u32, close: u32, pct: &str, gainer: &str, loser: &str| {
            format!(
                "the sensex rose {points} points or {pct} per cent to close at {close} on \
                 monday led by gains in {gainer} while {loser} was the top loser among the \
                 thirty stocks the nifty also ended higher brokers said foreign funds were \
                 net buyers on friday according to exchange data"
            )
        };
        let a = fp(&story(412, 81234, "0.51", "infosys", "titan"));
        let b = fp(&story(158, 80977, "0.19", "reliance", "itc"));
        let c = similarity(&a, &b, &NearConfig::default());
        assert_eq!(
            c,
            None,
            "containment {}",
            containment(&a.shingles, &b.shingles)
        );
    }

    /// The fingerprint as first written (one counter per bit and shingle):
    /// stored fingerprints must stay comparable with new ones.
    fn reference(words: &[&str]) -> (u64, Vec<u32>) {
        let hashes: Vec<u64> = words
            .windows(3)
            .map(|w| mix(fnv1a(w.join(" ").as_bytes())))
            .collect();
        let mut counts = [0i32; 64];
        for h in &hashes {
            for (bit, count) in counts.iter_mut().enumerate() {
                *count += if h >> bit & 1 == 1 { 1 } else { -1 };
            }
        }
        let simhash = (0..64)
            .filter(|b| counts[*b] > 0)
            .fold(0, |acc, b| acc | 1 << b);
        let mut shingles: Vec<u32> = hashes
            .iter()
            .take(MAX_SHINGLES)
            .map(|h| *h as u32)
            .collect();
        shingles.sort_unstable();
        shingles.dedup();
        (simhash, shingles)
    }

    #[test]
    fn fingerprints_match_the_reference_computation() {
        let long = STORY.repeat(4);
        for text in [
            STORY,
            long.as_str(),
            "one two three four five six seven eight",
            "élan vital über straße a très long naïve café déjà vu señor x",
        ] {
            let words: Vec<&str> = text.split_whitespace().collect();
            let fp = fingerprint(&words.join(" ")).unwrap();
            let (simhash, shingles) = reference(&words);
            assert_eq!(fp.simhash, simhash, "{} words", words.len());
            assert_eq!(fp.shingles, shingles);
            assert_eq!(fp.words as usize, words.len());
            // The lead keys are the first shingles in text order.
            let first: Vec<u32> = words
                .windows(3)
                .take(LEAD_SHINGLES)
                .map(|w| mix(fnv1a(w.join(" ").as_bytes())) as u32)
                .collect();
            assert_eq!(fp.lead, first);
        }
    }

    #[test]
    fn unrelated_texts_are_far_apart() {
        let other = "the city council approved a new budget for parks and libraries on \
            thursday after a long debate over road repairs and school funding that lasted \
            into the night with residents speaking for and against the plan";
        let a = fp(STORY);
        let b = fp(other);
        assert_eq!(similarity(&a, &b, &NearConfig::default()), None);
        assert!(distance(a.simhash, b.simhash) > 10);
    }

    #[test]
    fn too_short_texts_have_no_fingerprint_and_keys_are_tagged() {
        assert_eq!(fingerprint("a b c"), None);
        assert_eq!(fingerprint(""), None);
        let config = NearConfig::default();
        let keys = index_keys(&fp(STORY), &config);
        assert_eq!(keys.len(), 4 + LEAD_SHINGLES);
        let short = fp("one two three four five six seven eight nine ten");
        assert_eq!(index_keys(&short, &config).len(), LEAD_SHINGLES);
        assert!(
            keys[..4]
                .iter()
                .enumerate()
                .all(|(b, k)| k >> 32 == b as i64)
        );
        assert!(keys[4..].iter().all(|k| k >> 32 == 4));
    }
}
