//! RFC 8601 §5 for a stream: existing Authentication-Results fields that claim our
//! authserv-id are renamed as the message is copied, in bounded memory (long lines and fields
//! go through in pieces), a bare CR ending a line as it does for some readers.

use std::io::{BufRead, Write};

use super::RENAMED_FIELD;
use crate::message::Message;
use crate::path::authres;

/// The message with every Authentication-Results field that claims `ours` renamed
/// (RFC 8601 §5); all other bytes unchanged.
pub fn rename_our_fields<'a>(buf: &'a [u8], ours: &str) -> std::borrow::Cow<'a, [u8]> {
    if Message::parse(buf).is_err() {
        return std::borrow::Cow::Borrowed(buf);
    }
    let mut out = Vec::with_capacity(buf.len() + 64);
    let mut reader = buf;
    match copy_renaming(&mut reader, &mut out, ours) {
        Ok(()) if out != buf => std::borrow::Cow::Owned(out),
        _ => std::borrow::Cow::Borrowed(buf),
    }
}

/// Longest piece of a header line handled at once; a longer line goes through in pieces.
const LINE_CAP: usize = 8 * 1024;

/// How much of an Authentication-Results field is held to find its authserv-id (which comes
/// first in the value); the rest of a longer field is streamed.
const FIELD_CAP: usize = 16 * 1024;

/// Why copying the message failed: the input could not be read, or the output written.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("cannot read the message: {0}")]
    Read(std::io::Error),
    #[error("cannot write the message: {0}")]
    Write(std::io::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// A whole line, with its terminator (LF, CRLF or a bare CR) when it has one.
    Line,
    /// The first LINE_CAP octets of a longer line.
    Partial,
    Eof,
}

/// The next piece of a header line into `buf`. A bare CR ends a line too: some readers split
/// there, so what follows it is a field to them and must be judged as one.
fn next_piece(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<Piece> {
    buf.clear();
    loop {
        let avail = r.fill_buf()?;
        if buf.last() == Some(&b'\r') {
            // A CR ended the previous scan: either CRLF, or a bare CR ending the line alone.
            if avail.first() == Some(&b'\n') {
                buf.push(b'\n');
                r.consume(1);
            }
            return Ok(Piece::Line);
        }
        if avail.is_empty() {
            return Ok(if buf.is_empty() {
                Piece::Eof
            } else {
                Piece::Line
            });
        }
        let room = LINE_CAP - buf.len();
        let window = &avail[..avail.len().min(room)];
        match window.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                let lf = window[i] == b'\n';
                buf.extend_from_slice(&window[..=i]);
                r.consume(i + 1);
                if lf {
                    return Ok(Piece::Line);
                }
            }
            None => {
                let n = window.len();
                buf.extend_from_slice(window);
                r.consume(n);
                if buf.len() >= LINE_CAP {
                    return Ok(Piece::Partial);
                }
            }
        }
    }
}

/// The value of `line` when it starts an Authentication-Results field.
fn authres_value(line: &[u8]) -> Option<&[u8]> {
    let colon = line.iter().position(|&b| b == b':')?;
    let mut name = &line[..colon];
    while let [rest @ .., b' ' | b'\t'] = name {
        name = rest;
    }
    name.eq_ignore_ascii_case(b"Authentication-Results")
        .then(|| &line[colon + 1..])
}

/// Whether an Authentication-Results value claims `ours` as its authserv-id (`milter` deletes
/// the fields this says are claims).
pub(crate) fn claims(value: &[u8], ours: &str) -> bool {
    let text = String::from_utf8_lossy(value);
    let id = match authres::parse(&text, false) {
        Ok(p) => p.authserv_id,
        // Unparseable (or cut at FIELD_CAP): judge by the first word, so a malformed forgery
        // is renamed too.
        Err(_) => text
            .split(|c: char| c == ';' || c.is_whitespace())
            .find(|w| !w.is_empty())
            .map(str::to_string),
    };
    id.is_some_and(|id| id.eq_ignore_ascii_case(ours))
}

/// Write a held Authentication-Results field, renamed when it claims `ours`.
fn release(held: &[u8], ours: &str, out: &mut dyn Write) -> std::io::Result<()> {
    match authres_value(held) {
        Some(value) if claims(value, ours) => {
            let name_end = held.len() - value.len() - 1;
            // Keep the white space between the name and the colon as written.
            let name_len = held[..name_end]
                .iter()
                .rposition(|&b| b != b' ' && b != b'\t')
                .map_or(0, |i| i + 1);
            out.write_all(RENAMED_FIELD.as_bytes())?;
            out.write_all(&held[name_len..])
        }
        _ => out.write_all(held),
    }
}

/// Copy the message from `input` to `out`, renaming every Authentication-Results field of the
/// header that claims `ours` (RFC 8601 §5); every other octet unchanged. The header is read
/// line by line however long it is (also past `--max-size`, where the rest of an oversized
/// message is streamed), memory bounded by LINE_CAP and FIELD_CAP; the body is copied as is.
pub fn copy_renaming(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    ours: &str,
) -> Result<(), CopyError> {
    let mut line = Vec::with_capacity(LINE_CAP);
    let mut held: Option<Vec<u8>> = None;
    let mut at_line_start = true;
    loop {
        let piece = next_piece(input, &mut line).map_err(CopyError::Read)?;
        if piece == Piece::Eof {
            break;
        }
        let line_start = at_line_start;
        at_line_start = piece == Piece::Line;
        if line_start && !matches!(line.first(), Some(b' ' | b'\t')) {
            // A new field (or the end of the header) ends the one held.
            if let Some(h) = held.take() {
                release(&h, ours, out).map_err(CopyError::Write)?;
            }
            if line == b"\n" || line == b"\r\n" {
                out.write_all(&line).map_err(CopyError::Write)?;
                return copy_rest(input, out);
            }
            if authres_value(&line).is_some() {
                held = Some(line.clone());
                continue;
            }
        }
        if let Some(h) = held.as_mut() {
            if h.len() + line.len() <= FIELD_CAP {
                h.extend_from_slice(&line);
                continue;
            }
            // Too long to hold: judged on its first FIELD_CAP octets, the rest streamed.
            if let Some(h) = held.take() {
                release(&h, ours, out).map_err(CopyError::Write)?;
            }
        }
        out.write_all(&line).map_err(CopyError::Write)?;
    }
    if let Some(h) = held.take() {
        release(&h, ours, out).map_err(CopyError::Write)?;
    }
    Ok(())
}

/// The body, as is; a read error and a write error stay apart (both are exit 75).
pub(super) fn copy_rest(input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), CopyError> {
    loop {
        let n = {
            let chunk = match input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CopyError::Read(e)),
            };
            if chunk.is_empty() {
                return Ok(());
            }
            out.write_all(chunk).map_err(CopyError::Write)?;
            chunk.len()
        };
        input.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_only_fields_claiming_our_id() {
        let msg = b"Authentication-Results: mx.ours.test; spf=pass\r\nAuthentication-Results: other.test; spf=pass\r\nauthentication-results: MX.OURS.TEST ; garbage(\r\n\r\nbody\r\n";
        let out = rename_our_fields(msg, "mx.ours.test");
        let text = String::from_utf8_lossy(&out);
        assert_eq!(text.matches(RENAMED_FIELD).count(), 2, "{text}");
        assert!(text.contains("Authentication-Results: other.test; spf=pass"));
        assert!(text.ends_with("\r\n\r\nbody\r\n"));
    }

    fn renamed(msg: &[u8]) -> String {
        let mut out = Vec::new();
        copy_renaming(&mut &msg[..], &mut out, "mx.ours.test").expect("copies");
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn a_field_after_a_bare_cr_is_judged_as_a_field() {
        let msg = b"Subject: hi\rAuthentication-Results: mx.ours.test; dmarc=pass\r\n\r\nbody\r\n";
        assert_eq!(
            renamed(msg),
            "Subject: hi\rX-Original-Authentication-Results: mx.ours.test; dmarc=pass\r\n\r\nbody\r\n"
        );
    }

    #[test]
    fn long_lines_and_fields_stream_and_are_still_judged() {
        // The authserv-id on a continuation line, a field longer than FIELD_CAP, a header line
        // longer than LINE_CAP before it: every octet kept, the claim renamed.
        let long_line = format!("X-Long: {}\n", "a".repeat(3 * LINE_CAP));
        let long_field = format!(
            "Authentication-Results:\n mx.ours.test; spf=pass{}\n",
            "\n x".repeat(FIELD_CAP)
        );
        let msg = format!(
            "{long_line}{long_field}Authentication-Results: other.test; spf=pass\n\nAuthentication-Results: mx.ours.test; body\n"
        );
        let out = renamed(msg.as_bytes());
        assert_eq!(out.matches(RENAMED_FIELD).count(), 1);
        assert_eq!(
            out.replacen(RENAMED_FIELD, "Authentication-Results", 1),
            msg
        );
        assert!(out.contains(&format!("{long_line}{RENAMED_FIELD}:\n mx.ours.test")));
    }
}
