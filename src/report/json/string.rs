//! JSON string escaping (RFC 8259 §7), the octets serde_json writes: `\"`, `\\`, the short
//! escapes `\b \t \n \f \r`, `\u00XX` (lower-case hex) for the other controls, and everything
//! else, non-ASCII included, as it is.

/// Append `s` to `out` as a quoted JSON string.
pub(super) fn quoted(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    escaped(out, s);
    out.push(b'"');
}

/// Append `s` to `out` escaped, without quotes (a string written in pieces).
pub(super) fn escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(i) = next_special(bytes, start) {
        out.extend_from_slice(&bytes[start..i]);
        escape(out, bytes[i]);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// A value's `Display` written straight into `out` as one JSON string, without building the
/// text first (serde's default `collect_str` allocates a `String` for it).
pub(super) fn displayed(out: &mut Vec<u8>, value: &(impl std::fmt::Display + ?Sized)) -> bool {
    struct Escaping<'o>(&'o mut Vec<u8>);
    impl std::fmt::Write for Escaping<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            escaped(self.0, s);
            Ok(())
        }
    }
    out.push(b'"');
    let ok = std::fmt::write(&mut Escaping(out), format_args!("{value}")).is_ok();
    out.push(b'"');
    ok
}

/// Whether `s` needs no escape at all.
pub(super) fn plain(s: &str) -> bool {
    next_special(s.as_bytes(), 0).is_none()
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each octet of the word that is zero. Exact for the lowest octet it marks
/// (a borrow only carries upwards), which is all `special` reads.
fn zeros(w: u64) -> u64 {
    w.wrapping_sub(LOW) & !w & HIGH
}

/// Marks the octets that need an escape: a control (below 0x20), `"` or `\`. The lowest mark
/// is exact; 0 means none.
fn special(w: u64) -> u64 {
    // Below 0x20: subtracting 0x20 borrows into the high bit of an octet below 0x20 (its high
    // bit clear); octets of 0x80 and above are masked out by `!w`.
    let control = w.wrapping_sub(LOW * 0x20) & !w & HIGH;
    control | zeros(w ^ (LOW * u64::from(b'"'))) | zeros(w ^ (LOW * u64::from(b'\\')))
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The index of the first octet at or after `from` that needs an escape, read eight octets at
/// a time and the last few one by one.
fn next_special(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let mut words = rest.chunks_exact(8);
    let mut at = 0;
    for c in words.by_ref() {
        let mark = special(u64::from_le_bytes([
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
        ]));
        if mark != 0 {
            return Some(from + at + (mark.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = words.remainder();
    tail.iter()
        .position(|&b| needs_escape(b))
        .map(|i| from + at + i)
}

fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        b'\t' => b't',
        b'\n' => b'n',
        0x0C => b'f',
        b'\r' => b'r',
        _ => {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xF)]);
            return;
        }
    };
    out.push(b'\\');
    out.push(short);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character below 0x80 and some beyond, at every position of a word and of the
    /// padded last word, is escaped exactly as serde_json escapes it.
    #[test]
    fn every_octet_at_every_offset_matches_serde_json() {
        let mut text = String::new();
        for c in (0u32..0x80)
            .filter_map(char::from_u32)
            .chain(['é', '€', '😀'])
        {
            for pad in 0..17 {
                for tail in ["", "b", "bcdefghijk"] {
                    text.clear();
                    text.push_str(&"a".repeat(pad));
                    text.push(c);
                    text.push_str(tail);
                    let mut ours = Vec::new();
                    quoted(&mut ours, &text);
                    let theirs = serde_json::to_vec(&text).expect("serde_json");
                    assert_eq!(ours, theirs, "{c:?} after {pad} octets, then {tail:?}");
                }
            }
        }
    }

    /// The word test finds the first octet that needs an escape, whatever follows it (a
    /// second special octet, or octets at and above 0x80 whose borrows could mislead).
    #[test]
    fn the_word_test_finds_the_first_special_octet() {
        for b in 0..=255u8 {
            for at in 0..8 {
                for after in [b'a', 0x00, 0x1f, 0x20, b'"', 0x80, 0xff, 0xa2, 0xdc] {
                    let mut bytes = *b"abcdefgh";
                    bytes[at] = b;
                    bytes[at + 1..].fill(after);
                    let want = bytes.iter().position(|&b| needs_escape(b));
                    assert_eq!(next_special(&bytes, 0), want, "{bytes:x?}");
                }
            }
        }
    }
}
