//! Free-form dates: RFC 822 and everything feeds write instead of it.
//!
//! Instead of a list of formats (which never ends), the string is split into
//! numbers, clock times, offsets and words, and each piece is recognised on
//! its own: a four-digit number is a year, a month word is the month, and so
//! on. That one rule covers "Wed, 1 May 24 10:00 EST", "May 1, 2024 10:00
//! AM", "1. Mai 2024 um 10:00 Uhr" and "1 de mayo de 2024" alike.

use super::date::{Cursor, to_utc};
use super::date_names::{is_filler, is_utc_name, month, zone_offset};
use chrono::{DateTime, NaiveDate, Utc};

/// One meaningful piece of a free-form date.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Num { value: u32, digits: usize },
    Time(u32, u32, u32),
    Offset(i32),
    Word(&'a str),
}

/// Splits a lowercased date into tokens. Punctuation separates; a sign
/// followed by digits is an offset only right after a time or a zone word
/// (so the `-` in `01-May-2024` is a separator); parenthesized comments such
/// as `(Central European Summer Time)` are skipped. Digit runs longer than
/// four are refused, which is what rejects Unix timestamps.
fn tokenize(s: &str) -> Option<Vec<Token<'_>>> {
    let bytes = s.as_bytes();
    let mut tokens = Vec::with_capacity(8);
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        let after_time_or_zone = match tokens.last() {
            Some(Token::Time(..)) => true,
            Some(Token::Word(w)) => zone_offset(w).is_some(),
            _ => false,
        };
        if c.is_ascii_digit() {
            let start = i;
            let digits = s[i..].bytes().take_while(u8::is_ascii_digit).count();
            i += digits;
            if digits <= 2 && bytes.get(i) == Some(&b':') {
                let mut cursor = Cursor {
                    s: bytes,
                    pos: start,
                };
                let (h, m, sec) = cursor.clock()?;
                tokens.push(Token::Time(h, m, sec));
                i = cursor.pos;
            } else if digits <= 4 {
                let value = s[start..i].parse().ok()?;
                tokens.push(Token::Num { value, digits });
            } else {
                return None;
            }
        } else if matches!(c, '+' | '-')
            && after_time_or_zone
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            let mut cursor = Cursor {
                s: bytes,
                pos: i + 1,
            };
            let off = cursor.offset()?;
            tokens.push(Token::Offset(if c == '-' { -off } else { off }));
            i = cursor.pos;
        } else if c.is_alphabetic() {
            let len: usize = s[i..]
                .chars()
                .take_while(|c| c.is_alphabetic())
                .map(char::len_utf8)
                .sum();
            tokens.push(Token::Word(&s[i..i + len]));
            i += len;
        } else if c == '(' {
            i = s[i..].find(')').map_or(s.len(), |close| i + close + 1);
        } else {
            i += c.len_utf8();
        }
    }
    Some(tokens)
}

/// The parts of a free-form date collected from its tokens.
#[derive(Debug, Default)]
struct Parts {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    time: Option<(u32, u32, u32)>,
    pm: Option<bool>,
    offset: Option<i32>,
    /// The offset so far came from `GMT`/`UTC`, so a number after it adds.
    offset_is_utc_word: bool,
    seen_number: bool,
}

impl Parts {
    /// Folds one token in; `None` when it contradicts what came before or
    /// is a word we do not understand after the date has begun.
    fn take(&mut self, token: Token<'_>) -> Option<()> {
        match token {
            Token::Num { value, digits } => {
                self.seen_number = true;
                match digits {
                    4 if self.year.is_none() => self.year = i32::try_from(value).ok(),
                    1 | 2 if self.day.is_none() => self.day = Some(value),
                    // RFC 5322 section 4.3: 00-49 are 2000-2049, 50-99 are 1950-1999.
                    1 | 2 if self.year.is_none() => {
                        self.year = Some(if value < 50 { 2000 } else { 1900 } + value as i32);
                    }
                    _ => return None,
                }
            }
            Token::Time(h, m, s) => {
                self.seen_number = true;
                if self.time.replace((h, m, s)).is_some() {
                    return None;
                }
            }
            Token::Offset(off) => {
                let base = if self.offset_is_utc_word {
                    self.offset.unwrap_or(0)
                } else {
                    0
                };
                self.offset = Some(base + off);
                self.offset_is_utc_word = false;
            }
            Token::Word(word) => self.take_word(word)?,
        }
        Some(())
    }

    fn take_word(&mut self, word: &str) -> Option<()> {
        if let Some(m) = month(word) {
            // Last month word wins: in "mar. 5 mars 2024" the first is Tuesday.
            self.month = Some(m);
        } else if let Some(off) = zone_offset(word) {
            // In "-0500 EST" the number already said it.
            if self.offset.is_none() {
                self.offset = Some(off);
                self.offset_is_utc_word = is_utc_name(word);
            }
        } else if self.time.is_some() && matches!(word, "am" | "pm") {
            self.pm = Some(word == "pm");
        } else if !is_filler(word) && self.seen_number {
            return None;
        }
        // Words before the first number are weekdays ("Wed", "Mittwoch",
        // "mié") or labels ("Published:"); weekdays are ignored even when
        // they are wrong for the date, as they often are.
        Some(())
    }

    fn finish(self) -> Option<DateTime<Utc>> {
        let date = NaiveDate::from_ymd_opt(self.year?, self.month?, self.day?)?;
        let (mut hour, minute, second) = self.time.unwrap_or((0, 0, 0));
        if let Some(pm) = self.pm {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour = hour % 12 + if pm { 12 } else { 0 };
        }
        // No zone: UTC, see `parse_date`.
        to_utc(date, (hour, minute, second), self.offset.unwrap_or(0))
    }
}

/// RFC 822-like and free-form dates: day, month word and year in any order,
/// optional time, zone name and/or numeric offset.
pub(super) fn parse_loose(lower: &str) -> Option<DateTime<Utc>> {
    let mut parts = Parts::default();
    for token in tokenize(lower)? {
        parts.take(token)?;
    }
    parts.finish()
}
