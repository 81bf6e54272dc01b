//! Colour, decided once per run (`--color`, `NO_COLOR`, `TERM=dumb`, terminal or not).

use colored::{ColoredString, Colorize};

use crate::common::AuthResult;

/// Turn colour on or off for the whole run.
pub fn init(enabled: bool) {
    colored::control::set_override(enabled);
}

/// A result word coloured by outcome: pass green, failures red, temporary or soft ones yellow.
pub fn result(r: AuthResult) -> ColoredString {
    let w = r.word();
    match r {
        AuthResult::Pass => w.green().bold(),
        AuthResult::Fail | AuthResult::Permerror => w.red().bold(),
        AuthResult::Softfail | AuthResult::Temperror | AuthResult::Policy => w.yellow().bold(),
        AuthResult::Neutral | AuthResult::None => w.normal().bold(),
    }
}

/// A section heading (bold).
pub fn heading(s: &str) -> ColoredString {
    s.bold()
}

/// Secondary text (dimmed).
pub fn dim(s: &str) -> ColoredString {
    s.dimmed()
}
