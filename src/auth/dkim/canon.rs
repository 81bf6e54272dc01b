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
/// part-done, at a bare LF (the caller starts over line by line). A branch-free variant that
/// wrote every octet was measured slower than these predictable branches.
fn relaxed_in_place(buf: &mut Vec<u8>) -> bool {
    let mut w = 0;
    let mut pending = false;
    let mut prev = 0u8;
    for r in 0..buf.len() {
        let b = buf[r];
        match b {
            b' ' | b'\t' => pending = true,
            b'\r' if buf.get(r + 1) == Some(&b'\n') => {
                pending = false;
                buf[w] = b;
                w += 1;
            }
            b'\n' if prev != b'\r' => return false,
            _ => {
                if pending {
                    buf[w] = b' ';
                    w += 1;
                    pending = false;
                }
                buf[w] = b;
                w += 1;
            }
        }
        prev = b;
    }
    buf.truncate(w);
    true
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

    #[test]
    fn simple_body_keeps_whitespace_but_not_trailing_blank_lines() {
        assert_eq!(body(Canon::Simple, b""), b"\r\n");
        assert_eq!(body(Canon::Simple, b"a \r\n\r\n\r\n"), b"a \r\n");
        assert_eq!(body(Canon::Simple, b" \r\n"), b" \r\n");
    }
}
