//! The words the fallback date parser understands: month names in the
//! languages our feeds are written in, zone abbreviations, and filler words
//! that sit between the parts of a date.
//!
//! feed-rs parses RFC 2822 and RFC 3339 but gives up on localized month
//! names ("1. März 2024", "5 января 2024") and on zone abbreviations outside
//! RFC 822 ("CEST", "IST"); those are what these tables exist for. All
//! entries are lowercase; callers lowercase their input first.

/// Month names and the abbreviations feeds use, with and without accents
/// (CMS templates often drop them) and Russian in the genitive case, which
/// is how a Russian date is written ("1 мая 2024"). "mar" doubles as the
/// French/Italian/Spanish abbreviation for Tuesday; the parser lets a later
/// month word win for exactly that reason.
#[rustfmt::skip]
const MONTHS: &[(&str, u32)] = &[
    // English
    ("january", 1), ("jan", 1), ("february", 2), ("feb", 2), ("march", 3), ("mar", 3),
    ("april", 4), ("apr", 4), ("may", 5), ("june", 6), ("jun", 6), ("july", 7), ("jul", 7),
    ("august", 8), ("aug", 8), ("september", 9), ("sept", 9), ("sep", 9), ("october", 10),
    ("oct", 10), ("november", 11), ("nov", 11), ("december", 12), ("dec", 12),
    // German (with Austrian "Jänner")
    ("januar", 1), ("jänner", 1), ("jän", 1), ("februar", 2), ("märz", 3), ("mär", 3),
    ("maerz", 3), ("mrz", 3), ("mai", 5), ("juni", 6), ("juli", 7), ("oktober", 10),
    ("okt", 10), ("dezember", 12), ("dez", 12),
    // French
    ("janvier", 1), ("janv", 1), ("février", 2), ("fevrier", 2), ("févr", 2), ("fevr", 2),
    ("fév", 2), ("fev", 2), ("mars", 3), ("avril", 4), ("avr", 4), ("juin", 6),
    ("juillet", 7), ("juil", 7), ("août", 8), ("aout", 8), ("septembre", 9), ("octobre", 10),
    ("novembre", 11), ("décembre", 12), ("decembre", 12), ("déc", 12),
    // Spanish
    ("enero", 1), ("ene", 1), ("febrero", 2), ("marzo", 3), ("abril", 4), ("abr", 4),
    ("mayo", 5), ("junio", 6), ("julio", 7), ("agosto", 8), ("ago", 8), ("septiembre", 9),
    ("setiembre", 9), ("set", 9), ("octubre", 10), ("noviembre", 11), ("diciembre", 12),
    ("dic", 12),
    // Portuguese
    ("janeiro", 1), ("fevereiro", 2), ("março", 3), ("marco", 3), ("maio", 5), ("junho", 6),
    ("julho", 7), ("setembro", 9), ("outubro", 10), ("out", 10), ("novembro", 11),
    ("dezembro", 12),
    // Dutch
    ("januari", 1), ("februari", 2), ("maart", 3), ("mrt", 3), ("mei", 5), ("augustus", 8),
    // Italian
    ("gennaio", 1), ("gen", 1), ("febbraio", 2), ("aprile", 4), ("maggio", 5), ("mag", 5),
    ("giugno", 6), ("giu", 6), ("luglio", 7), ("lug", 7), ("settembre", 9), ("ottobre", 10),
    ("ott", 10), ("dicembre", 12),
    // Russian: genitive, nominative, abbreviations
    ("января", 1), ("январь", 1), ("янв", 1), ("февраля", 2), ("февраль", 2), ("фев", 2),
    ("марта", 3), ("март", 3), ("мар", 3), ("апреля", 4), ("апрель", 4), ("апр", 4),
    ("мая", 5), ("май", 5), ("июня", 6), ("июнь", 6), ("июн", 6), ("июля", 7), ("июль", 7),
    ("июл", 7), ("августа", 8), ("август", 8), ("авг", 8), ("сентября", 9),
    ("сентябрь", 9), ("сент", 9), ("сен", 9), ("октября", 10), ("октябрь", 10), ("окт", 10),
    ("ноября", 11), ("ноябрь", 11), ("нояб", 11), ("ноя", 11), ("декабря", 12),
    ("декабрь", 12), ("дек", 12),
];

const HOUR: i32 = 3600;

/// Zone abbreviations and their UTC offsets in seconds.
///
/// RFC 822 defines only UT/GMT/Z and the eight North American zones; the
/// rest are what real feeds write. Several abbreviations are ambiguous and
/// we pick the reading our feeds mean: `BST` is British Summer Time (not
/// Bangladesh), `IST` is India (+05:30, not Irish or Israel), `CST` is US
/// Central as RFC 822 says (not China), `AST` is Atlantic (not Arabia).
/// `MEZ`/`MESZ` are the German spellings of CET/CEST.
#[rustfmt::skip]
const ZONES: &[(&str, i32)] = &[
    ("z", 0), ("ut", 0), ("utc", 0), ("gmt", 0), ("wet", 0),
    ("est", -5 * HOUR), ("edt", -4 * HOUR), ("cst", -6 * HOUR), ("cdt", -5 * HOUR),
    ("mst", -7 * HOUR), ("mdt", -6 * HOUR), ("pst", -8 * HOUR), ("pdt", -7 * HOUR),
    ("akst", -9 * HOUR), ("akdt", -8 * HOUR), ("hst", -10 * HOUR),
    ("ast", -4 * HOUR), ("adt", -3 * HOUR),
    ("bst", HOUR), ("west", HOUR), ("cet", HOUR), ("met", HOUR), ("mez", HOUR),
    ("cest", 2 * HOUR), ("mest", 2 * HOUR), ("mesz", 2 * HOUR),
    ("eet", 2 * HOUR), ("eest", 3 * HOUR), ("msk", 3 * HOUR),
    ("ist", 5 * HOUR + 1800), ("wib", 7 * HOUR),
    ("hkt", 8 * HOUR), ("sgt", 8 * HOUR), ("awst", 8 * HOUR),
    ("jst", 9 * HOUR), ("kst", 9 * HOUR),
    ("acst", 9 * HOUR + 1800), ("acdt", 10 * HOUR + 1800),
    ("aest", 10 * HOUR), ("aedt", 11 * HOUR),
    ("nzst", 12 * HOUR), ("nzdt", 13 * HOUR),
];

/// Zone words that mean UTC itself: `GMT+0200` adds the offset to these,
/// while `EST -0500` lets the number replace the word.
const UTC_NAMES: &[&str] = &["z", "ut", "utc", "gmt"];

/// Words that sit between date parts and carry no meaning for us:
/// "1 de mayo de 2024", "1. Mai 2024 um 10:00 Uhr", "5 января 2024 г.",
/// "1er mai", "May 1st", "May 1, 2024 at 10:00".
const FILLER: &[&str] = &[
    "de", "del", "do", "da", "of", "at", "on", "um", "uhr", "à", "a", "le", "el", "г", "года", "в",
    "st", "nd", "rd", "th", "er", "º",
];

pub(super) fn month(word: &str) -> Option<u32> {
    MONTHS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|&(_, m)| m)
}

pub(super) fn zone_offset(word: &str) -> Option<i32> {
    ZONES
        .iter()
        .find(|(name, _)| *name == word)
        .map(|&(_, off)| off)
}

pub(super) fn is_utc_name(word: &str) -> bool {
    UTC_NAMES.contains(&word)
}

pub(super) fn is_filler(word: &str) -> bool {
    FILLER.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_lowercase_and_unique() {
        let names = MONTHS
            .iter()
            .map(|(n, _)| n)
            .chain(ZONES.iter().map(|(n, _)| n));
        for name in names {
            assert_eq!(*name, name.to_lowercase(), "{name}");
        }
        for (i, (a, ma)) in MONTHS.iter().enumerate() {
            for (b, mb) in &MONTHS[i + 1..] {
                assert!(a != b || ma == mb, "{a} listed twice with different months");
            }
        }
        for w in FILLER {
            assert!(month(w).is_none() && zone_offset(w).is_none(), "{w}");
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(month("märz"), Some(3));
        assert_eq!(month("января"), Some(1));
        assert_eq!(month("mrt"), Some(3));
        assert_eq!(zone_offset("ist"), Some(19_800));
        assert_eq!(zone_offset("pdt"), Some(-25_200));
        assert!(month("xyz").is_none());
    }
}
