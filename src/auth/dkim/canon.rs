//! DKIM canonicalization (RFC 6376 §3.4), written for the CRLF wire form.
//!
//! The relaxed body algorithm strips trailing white space from each line *before* dropping the
//! empty lines at the end, so a trailing line of spaces is an empty line and goes too (the case
//! mail-auth 0.13.3 gets wrong).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Canon {
    Simple,
    Relaxed,
}

impl Canon {
    pub fn parse(s: &str) -> Option<Canon> {
        match s.to_ascii_lowercase().as_str() {
            "simple" => Some(Canon::Simple),
            "relaxed" => Some(Canon::Relaxed),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Canon::Simple => "simple",
            Canon::Relaxed => "relaxed",
        }
    }
}

/// One header field in canonical form, CRLF-terminated. `raw` is the whole field as written.
pub fn header(canon: Canon, raw: &[u8], out: &mut Vec<u8>) {
    match canon {
        Canon::Simple => out.extend_from_slice(raw),
        Canon::Relaxed => {
            let colon = raw.iter().position(|&b| b == b':').unwrap_or(raw.len());
            let name = &raw[..colon];
            out.extend(
                name.iter()
                    .filter(|b| !matches!(b, b' ' | b'\t'))
                    .map(u8::to_ascii_lowercase),
            );
            out.push(b':');
            let value = raw.get(colon + 1..).unwrap_or_default();
            let mut pending_space = false;
            let mut started = false;
            for &b in value {
                match b {
                    b'\r' | b'\n' => {}
                    b' ' | b'\t' => pending_space = started,
                    _ => {
                        if pending_space {
                            out.push(b' ');
                            pending_space = false;
                        }
                        started = true;
                        out.push(b);
                    }
                }
            }
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// The canonical body.
pub fn body(canon: Canon, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    match canon {
        Canon::Simple => out.extend_from_slice(body),
        Canon::Relaxed => {
            out.extend_from_slice(body);
            if !relaxed_in_place(&mut out) {
                out.clear();
                relaxed_lines(body, &mut out);
            }
        }
    }
    // A last line without CRLF gets one (both algorithms) ...
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    // ... and empty lines at the end go.
    while out.ends_with(b"\r\n\r\n") {
        out.truncate(out.len() - 2);
    }
    if out == b"\r\n" && canon == Canon::Relaxed {
        out.clear();
    }
    if out.is_empty() && canon == Canon::Simple {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The relaxed body algorithm line by line (any line ends).
fn relaxed_lines(body: &[u8], out: &mut Vec<u8>) {
    for line in body.split_inclusive(|&b| b == b'\n') {
        let (content, ending) = match line.strip_suffix(b"\r\n") {
            Some(c) => (c, true),
            None => (
                line.strip_suffix(b"\n").unwrap_or(line),
                line.ends_with(b"\n"),
            ),
        };
        relaxed_line(content, out);
        if ending {
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// The relaxed body algorithm in place, for a body whose every LF follows a CR (the wire form
/// `check` builds): a run of white space becomes one space, or nothing before a CRLF or at the
/// end. The output is never longer than the input, so one copy of the body and one pass over
/// it do; this runs over every body octet of every relaxed signature. False, with `buf` left
/// part-done, at a bare LF (the caller starts over line by line).
///
/// Most text needs no change at all (single spaces between words, no tab, nothing before the
/// CRLF), so the pass looks [`WINDOW`] octets ahead at a time, with a test the compiler turns
/// into vector compares, and moves the octets before the first change as one block (or not at
/// all, while nothing has been dropped yet); it goes octet by octet only through a change and
/// the run of white space it is in.
fn relaxed_in_place(buf: &mut Vec<u8>) -> bool {
    let len = buf.len();
    let mut st = Relaxing {
        w: 0,
        pending: false,
        prev: 0,
    };
    let mut r = 0;
    // A window is tested against the octet after it too, so it never reaches the last octet.
    while r + WINDOW < len {
        let window = &buf[r..=r + WINDOW];
        // No run of white space is open here: the octet-by-octet loop below ends only after one.
        let entering_lf = window[0] == b'\n' && st.prev != b'\r';
        let run = if entering_lf {
            0
        } else {
            unchanged_prefix(window)
        };
        if run > 0 {
            st.prev = window[run - 1];
            if st.w != r {
                buf.copy_within(r..r + run, st.w);
            }
            st.w += run;
            r += run;
            if run == WINDOW {
                continue;
            }
        }
        loop {
            if !st.step(buf, r) {
                return false;
            }
            r += 1;
            if !st.pending || r >= len {
                break;
            }
        }
    }
    for i in r..len {
        if !st.step(buf, i) {
            return false;
        }
    }
    buf.truncate(st.w);
    true
}

/// Octets the relaxed pass tests at once.
const WINDOW: usize = 32;

/// How many of the first [`WINDOW`] octets of `window` relaxed canonicalization leaves as they
/// are, given the octet after them. (A window whose first octet is an LF is the caller's to
/// test.) Whether the whole window stays is asked first, in a form the compiler vectorizes;
/// only a window with a change is searched for it.
fn unchanged_prefix(window: &[u8]) -> usize {
    let pairs = || window.windows(2).take(WINDOW);
    if !pairs().fold(false, |any, p| any | changes(p[0], p[1])) {
        return WINDOW;
    }
    pairs().position(|p| changes(p[0], p[1])).unwrap_or(WINDOW)
}

/// Whether relaxed canonicalization changes octet `b`, followed by `n`: a tab, white space
/// before white space or a CR, or an octet before an LF that is not a CR (a bare LF).
fn changes(b: u8, n: u8) -> bool {
    let wsp = b == b' ' || b == b'\t';
    b == b'\t' || (wsp && (n == b' ' || n == b'\t' || n == b'\r')) || (n == b'\n' && b != b'\r')
}

/// The state of the in-place relaxed pass: where the next octet goes, whether a run of white
/// space is waiting to become one space, and the octet read before.
struct Relaxing {
    w: usize,
    pending: bool,
    prev: u8,
}

impl Relaxing {
    /// Take the octet at `r`; false at a bare LF.
    fn step(&mut self, buf: &mut [u8], r: usize) -> bool {
        let b = buf[r];
        match b {
            b' ' | b'\t' => self.pending = true,
            b'\r' if buf.get(r + 1) == Some(&b'\n') => {
                self.pending = false;
                buf[self.w] = b;
                self.w += 1;
            }
            b'\n' if self.prev != b'\r' => return false,
            _ => {
                if self.pending {
                    buf[self.w] = b' ';
                    self.w += 1;
                    self.pending = false;
                }
                buf[self.w] = b;
                self.w += 1;
            }
        }
        self.prev = b;
        true
    }
}

/// One body line's content (no line end), relaxed: runs of white space become one space,
/// trailing white space goes. Copied a word at a time rather than a byte at a time: this runs
/// over every body octet of every relaxed signature, so it is most of canonicalization's cost.
fn relaxed_line(content: &[u8], out: &mut Vec<u8>) {
    let wsp = |b: &u8| matches!(b, b' ' | b'\t');
    let mut rest = content;
    while let Some(i) = rest.iter().position(wsp) {
        out.extend_from_slice(&rest[..i]);
        let Some(j) = rest[i..].iter().position(|b| !wsp(b)) else {
            return;
        };
        out.push(b' ');
        rest = &rest[i + j..];
    }
    out.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_header_folds_and_lowercases() {
        let mut out = Vec::new();
        header(Canon::Relaxed, b"SubJect :  A \t b\r\n  c  \r\n", &mut out);
        assert_eq!(out, b"subject:A b c\r\n");
    }

    #[test]
    fn relaxed_body_drops_trailing_whitespace_only_lines() {
        assert_eq!(body(Canon::Relaxed, b"a \r\n \t\r\n\r\n"), b"a\r\n");
        assert_eq!(body(Canon::Relaxed, b""), b"");
        assert_eq!(body(Canon::Relaxed, b" \r\n"), b"");
        assert_eq!(body(Canon::Relaxed, b"x  y\r\nz"), b"x y\r\nz\r\n");
        // A bare LF (not the wire form) falls back to the line-by-line algorithm.
        assert_eq!(
            body(Canon::Relaxed, b"a  b \r\nc \nd\n\n"),
            b"a b\r\nc\r\nd\r\n"
        );
        assert_eq!(
            body(Canon::Relaxed, b" \t lead\t\tmid  end \t\r\nbare\rcr \r\n"),
            b" lead mid end\r\nbare\rcr\r\n"
        );
    }

    /// The in-place pass over CRLF bodies gives what the line-by-line algorithm gives, for
    /// every mix of white space, bare CR, blank lines and a last line without CRLF.
    #[test]
    fn in_place_relaxed_equals_line_by_line() {
        let parts: [&[u8]; 7] = [b"a", b" ", b"\t", b"\r\n", b"\r", b"bc", b"  \t"];
        let mut bodies = vec![Vec::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for b in &bodies {
                for p in parts {
                    next.push([b.as_slice(), p].concat());
                }
            }
            bodies = next;
        }
        for b in &bodies {
            let mut line_by_line = Vec::new();
            for line in b.split_inclusive(|&c| c == b'\n') {
                let (content, end) = match line.strip_suffix(b"\r\n") {
                    Some(c) => (c, true),
                    None => (line, false),
                };
                relaxed_line(content, &mut line_by_line);
                if end {
                    line_by_line.extend_from_slice(b"\r\n");
                }
            }
            let mut in_place = b.clone();
            assert!(relaxed_in_place(&mut in_place));
            assert_eq!(in_place, line_by_line, "{:?}", String::from_utf8_lossy(b));
        }
    }

    /// The same over bodies longer than the pass's window, with each kind of change put at
    /// every offset (so at every place in and across windows), after a change and not: the
    /// windows copied as a block give what octet by octet gives, and a bare LF anywhere is
    /// found.
    #[test]
    fn windowed_relaxed_equals_line_by_line_at_every_offset() {
        let base: Vec<u8> = b"a word or two\r\n".repeat(8);
        let changes: [&[u8]; 9] = [
            b" ",
            b"\t",
            b"  ",
            b" \r\n",
            b"\r",
            b"\n",
            b"\r\n\r\n",
            b"\t \r\n",
            b"x\r",
        ];
        let reference = |b: &[u8]| {
            let mut out = Vec::new();
            for line in b.split_inclusive(|&c| c == b'\n') {
                match line.strip_suffix(b"\r\n") {
                    Some(content) => {
                        relaxed_line(content, &mut out);
                        out.extend_from_slice(b"\r\n");
                    }
                    None => relaxed_line(line, &mut out),
                }
            }
            out
        };
        for lead in [&b""[..], b"  \t"] {
            for change in changes {
                for at in 0..=base.len() {
                    let body = [lead, &base[..at], change, &base[at..]].concat();
                    let bare_lf = body
                        .iter()
                        .enumerate()
                        .any(|(i, &c)| c == b'\n' && (i == 0 || body[i - 1] != b'\r'));
                    let mut in_place = body.clone();
                    let done = relaxed_in_place(&mut in_place);
                    assert_eq!(done, !bare_lf, "{:?}", String::from_utf8_lossy(&body));
                    if done {
                        assert_eq!(
                            in_place,
                            reference(&body),
                            "{:?}",
                            String::from_utf8_lossy(&body)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn simple_body_keeps_whitespace_but_not_trailing_blank_lines() {
        assert_eq!(body(Canon::Simple, b""), b"\r\n");
        assert_eq!(body(Canon::Simple, b"a \r\n\r\n\r\n"), b"a \r\n");
        assert_eq!(body(Canon::Simple, b" \r\n"), b" \r\n");
    }
}
