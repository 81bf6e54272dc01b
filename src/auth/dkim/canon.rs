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
            for line in body.split_inclusive(|&b| b == b'\n') {
                let (content, ending) = match line.strip_suffix(b"\r\n") {
                    Some(c) => (c, true),
                    None => (
                        line.strip_suffix(b"\n").unwrap_or(line),
                        line.ends_with(b"\n"),
                    ),
                };
                let mut pending_space = false;
                for &b in content {
                    if b == b' ' || b == b'\t' {
                        pending_space = true;
                    } else {
                        if pending_space {
                            out.push(b' ');
                            pending_space = false;
                        }
                        out.push(b);
                    }
                }
                if ending {
                    out.extend_from_slice(b"\r\n");
                }
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
    }

    #[test]
    fn simple_body_keeps_whitespace_but_not_trailing_blank_lines() {
        assert_eq!(body(Canon::Simple, b""), b"\r\n");
        assert_eq!(body(Canon::Simple, b"a \r\n\r\n\r\n"), b"a \r\n");
        assert_eq!(body(Canon::Simple, b" \r\n"), b" \r\n");
    }
}
