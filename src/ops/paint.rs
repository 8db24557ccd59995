//! Colour in tables: only on a terminal, never when `NO_COLOR` is set to
//! a non-empty value (<https://no-color.org>) or `TERM` is `dumb`. JSON
//! output never goes through here.

use std::ffi::OsStr;
use std::io::IsTerminal;

/// The colours tables use, by meaning rather than by hue where it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// Needs attention now: a dead or gone feed, a failed fetch.
    Red,
    /// Will likely sort itself out, but watch it: a failing feed.
    Yellow,
    /// Not in play: a disabled feed.
    Dim,
}

/// Whether output is coloured; decided once per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    enabled: bool,
}

impl Paint {
    /// No colour.
    pub const PLAIN: Paint = Paint { enabled: false };

    /// Colour when standard output is a terminal and the environment
    /// does not opt out.
    pub fn for_stdout() -> Paint {
        Paint::decide(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        )
    }

    /// The rule behind [`Paint::for_stdout`], without the environment.
    pub fn decide(is_terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> Paint {
        // no-color.org: set *and non-empty* opts out; `NO_COLOR=` does not.
        let opted_out = no_color.is_some_and(|v| !v.is_empty());
        let dumb = term.is_some_and(|t| t == "dumb");
        Paint {
            enabled: is_terminal && !opted_out && !dumb,
        }
    }

    pub fn enabled(self) -> bool {
        self.enabled
    }

    /// `text` in `colour`, or unchanged when colour is off.
    pub fn paint(self, text: String, colour: Option<Colour>) -> String {
        match (self.enabled, colour) {
            (true, Some(c)) => {
                let code = match c {
                    Colour::Red => "31",
                    Colour::Yellow => "33",
                    Colour::Dim => "2",
                };
                format!("\x1b[{code}m{text}\x1b[0m")
            }
            _ => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(tty: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
        Paint::decide(tty, no_color.map(OsStr::new), term.map(OsStr::new)).enabled()
    }

    #[test]
    fn colour_only_on_a_terminal_that_has_not_opted_out() {
        assert!(decide(true, None, Some("xterm-256color")));
        assert!(decide(true, None, None));
        assert!(!decide(false, None, Some("xterm")), "a pipe or file");
        assert!(!decide(true, Some("1"), Some("xterm")));
        assert!(!decide(true, Some("false"), Some("xterm")), "any value");
        assert!(decide(true, Some(""), Some("xterm")), "empty means unset");
        assert!(!decide(true, None, Some("dumb")));
    }

    #[test]
    fn plain_leaves_text_alone() {
        let red = Some(Colour::Red);
        assert_eq!(Paint::PLAIN.paint("gone".into(), red), "gone");
        let on = Paint { enabled: true };
        assert_eq!(on.paint("gone".into(), red), "\x1b[31mgone\x1b[0m");
        assert_eq!(on.paint("ok".into(), None), "ok");
    }
}
