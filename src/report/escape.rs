//! Attacker-controlled text (headers, Received lines, TXT records) made safe for a terminal:
//! C0/C1 controls, DEL and bidirectional overrides become visible escapes.

use std::fmt::Write;

pub use crate::common::clip;

fn dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Escape for a terminal: `\x1b`, `\u{202e}`, ... (tabs and newlines too: a report line is one
/// line).
pub fn term(s: &str) -> String {
    if !s.chars().any(dangerous) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if dangerous(c) {
            if (c as u32) < 0x100 {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(term("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(term("x\u{202e}y\u{9b}"), "x\\u{202e}y\\x9b");
        assert_eq!(term("plain"), "plain");
    }
}
