//! Attacker-controlled text (headers, Received lines, TXT records) made safe for a terminal:
//! every code point that is invisible or changes how the text around it looks (C0/C1
//! controls, DEL, bidirectional controls, zero-width characters, line and paragraph
//! separators, tag characters, fillers, variation selectors) becomes a visible escape, so a
//! look-alike domain cannot hide in a report.

use std::fmt::Write;

pub use crate::common::clip;

/// Whether a code point is invisible or reorders / restyles its neighbours.
pub fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            u32::from(c),
            0x00AD // soft hyphen
            | 0x034F // combining grapheme joiner
            | 0x061C // Arabic letter mark
            | 0x115F | 0x1160 | 0x3164 | 0xFFA0 // Hangul fillers
            | 0x17B4 | 0x17B5 // Khmer inherent vowels
            | 0x180B..=0x180F // Mongolian selectors and vowel separator
            | 0x200B..=0x200F // zero-width space/joiners, LRM, RLM
            | 0x2028..=0x202E // line/paragraph separators, bidi embeddings and overrides
            | 0x2060..=0x206F // word joiner, invisible operators, bidi isolates, deprecated
            | 0x2800 // braille blank
            | 0xFE00..=0xFE0F // variation selectors
            | 0xFEFF // zero-width no-break space (BOM)
            | 0xFFF0..=0xFFFB // interlinear annotation, specials
            | 0x1D173..=0x1D17A // musical formatting
            | 0xE0000..=0xE0FFF // tag characters, variation selectors supplement
        )
}

/// Escape for a terminal: `\x1b`, `\u{202e}`, ... (tabs and newlines too: a report line is one
/// line).
pub fn term(s: &str) -> String {
    if !s.chars().any(invisible) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if invisible(c) {
            if u32::from(c) < 0x100 {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            } else {
                let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
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

    #[test]
    fn escapes_invisible_characters() {
        for c in [
            '\u{200b}',
            '\u{200d}',
            '\u{2028}',
            '\u{2029}',
            '\u{feff}',
            '\u{e0041}',
            '\u{3164}',
            '\u{115f}',
            '\u{ad}',
            '\u{2066}',
            '\u{fe0f}',
        ] {
            let escaped = term(&format!("pay{c}pal"));
            assert!(!escaped.contains(c) && escaped.contains('\\'), "{c:?}");
        }
        assert_eq!(term("bücher.test"), "bücher.test");
    }
}
