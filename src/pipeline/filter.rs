//! `filter`: a message in, the same bytes out with one Authentication-Results field prepended.
//!
//! A filter never loses a message: whatever goes wrong (not a message, oversized, DNS failure,
//! the total deadline, a panic in a check) the original bytes are written, and only a failure
//! to read the whole input or to write the output asks the MTA to retry (exit 75). The one
//! change made to the original bytes is RFC 8601 §5's: existing Authentication-Results fields
//! that claim our authserv-id are renamed, so a forged claim cannot pass for ours.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use crate::dns::Dns;
use crate::message::Message;
use crate::path::authres;
use crate::pipeline::check;
use crate::pipeline::stage::CheckOptions;
use crate::report::arh;
use crate::report::model::CheckReport;

/// What existing fields carrying our authserv-id are renamed to.
pub const RENAMED_FIELD: &str = "X-Original-Authentication-Results";

/// Extra header fields `filter` can add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraHeader {
    /// X-Mailverdict-Verdict: the DMARC result word
    Verdict,
    /// X-Mailverdict-Summary: the one-line summary
    Summary,
}

pub struct FilterConfig {
    pub authserv_id: String,
    pub deadline: Duration,
    pub max_size: u64,
    pub extra: Vec<ExtraHeader>,
    pub check: CheckOptions,
}

/// How the message was handled, for the log and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handling {
    Verified,
    NotAMessage(String),
    Oversized,
    Deadline,
    InternalError,
}

/// Why the message could not be passed on (the MTA should keep it and retry).
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// The message could not be read in full.
    #[error("cannot read the message ({0})")]
    Read(std::io::Error),
    /// The message could not be written out.
    #[error("cannot write the message ({0})")]
    Write(std::io::Error),
}

/// Run the filter: how the message was handled once it was written, or why it could not be.
pub fn run(
    dns: Arc<Dns>,
    cfg: &FilterConfig,
    input: &mut dyn Read,
    output: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<Handling, FilterError> {
    let mut buf = Vec::new();
    if let Err(e) = Read::take(&mut *input, cfg.max_size + 1).read_to_end(&mut buf) {
        let e = FilterError::Read(e);
        let _ = writeln!(log, "mailverdict filter: {e}; exit 75 so the MTA retries");
        return Err(e);
    }
    let eol = if first_line_has_crlf(&buf) {
        "\r\n"
    } else {
        "\n"
    };
    let (prefix, handling) = if buf.len() as u64 > cfg.max_size {
        let clause = format!(
            "none (not verified: the message is larger than {} bytes)",
            cfg.max_size
        );
        (
            arh::header(&cfg.authserv_id, &[clause], eol),
            Handling::Oversized,
        )
    } else {
        match Message::parse(&buf) {
            Err(e) => (String::new(), Handling::NotAMessage(e.to_string())),
            Ok(_) => verify(dns, cfg, &buf, eol),
        }
    };
    match &handling {
        Handling::Verified => {}
        Handling::NotAMessage(why) => {
            let _ = writeln!(
                log,
                "mailverdict filter: input is not a message ({why}); passed through unchanged"
            );
        }
        Handling::Oversized => {
            let _ = writeln!(
                log,
                "mailverdict filter: message larger than {} bytes; passed through unverified",
                cfg.max_size
            );
        }
        Handling::Deadline => {
            let _ = writeln!(
                log,
                "mailverdict filter: deadline of {:?} exceeded; passed through with temperror",
                cfg.deadline
            );
        }
        Handling::InternalError => {
            let _ = writeln!(
                log,
                "mailverdict filter: internal error while checking; passed through unverified"
            );
        }
    }
    let body = match &handling {
        Handling::NotAMessage(_) => std::borrow::Cow::Borrowed(&buf[..]),
        _ => rename_our_fields(&buf, &cfg.authserv_id),
    };
    let written = output
        .write_all(prefix.as_bytes())
        .and_then(|()| output.write_all(&body))
        .and_then(|()| std::io::copy(input, output).map(|_| ()))
        .and_then(|()| output.flush());
    match written {
        Ok(()) => Ok(handling),
        Err(e) => {
            let e = FilterError::Write(e);
            let _ = writeln!(log, "mailverdict filter: {e}; exit 75 so the MTA retries");
            Err(e)
        }
    }
}

fn first_line_has_crlf(buf: &[u8]) -> bool {
    buf.iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && buf[i - 1] == b'\r')
}

/// Run the check on a worker thread under the total deadline.
fn verify(dns: Arc<Dns>, cfg: &FilterConfig, buf: &[u8], eol: &str) -> (String, Handling) {
    let (tx, rx) = mpsc::channel();
    let input = buf.to_vec();
    let opts = cfg.check.clone();
    // A panic inside the check ends this thread only; the channel then reports it.
    let spawned = std::thread::Builder::new()
        .name("filter-check".into())
        .spawn(move || {
            let report = check::check_message(&input, &dns, &opts);
            let _ = tx.send(report);
        });
    if spawned.is_err() {
        return (
            fallback(cfg, eol, "none (not verified: internal error)"),
            Handling::InternalError,
        );
    }
    match rx.recv_timeout(cfg.deadline) {
        Ok(Ok(report)) => (header_for(cfg, &report, eol), Handling::Verified),
        Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => (
            fallback(cfg, eol, "none (not verified: internal error)"),
            Handling::InternalError,
        ),
        Err(mpsc::RecvTimeoutError::Timeout) => (
            fallback(
                cfg,
                eol,
                &format!(
                    "dmarc=temperror (deadline of {}s exceeded before a verdict)",
                    cfg.deadline.as_secs_f64()
                ),
            ),
            Handling::Deadline,
        ),
    }
}

fn fallback(cfg: &FilterConfig, eol: &str, clause: &str) -> String {
    arh::header(&cfg.authserv_id, &[clause.to_string()], eol)
}

/// Field text for an extra header: one line, no controls.
fn one_line(s: &str) -> String {
    arh::unstructured(s, 900)
}

fn header_for(cfg: &FilterConfig, report: &CheckReport, eol: &str) -> String {
    let mut out = arh::header(&cfg.authserv_id, &arh::clauses(report), eol);
    for extra in &cfg.extra {
        match extra {
            ExtraHeader::Verdict => {
                out.push_str(&format!(
                    "X-Mailverdict-Verdict: {}{eol}",
                    report.verdict.result.word()
                ));
            }
            ExtraHeader::Summary => {
                out.push_str(&format!(
                    "X-Mailverdict-Summary: {}{eol}",
                    one_line(&report.verdict.summary)
                ));
            }
        }
    }
    out
}

/// The message with every Authentication-Results field that claims `ours` renamed
/// (RFC 8601 §5); all other bytes unchanged.
pub fn rename_our_fields<'a>(buf: &'a [u8], ours: &str) -> std::borrow::Cow<'a, [u8]> {
    let Ok(msg) = Message::parse(buf) else {
        return std::borrow::Cow::Borrowed(buf);
    };
    let base = buf.as_ptr() as usize;
    let mut spans = Vec::new();
    for f in msg.all("Authentication-Results") {
        let text = String::from_utf8_lossy(f.value);
        let id = match authres::parse(&text, false) {
            Ok(p) => p.authserv_id,
            // Unparseable: judge by the first word, so a malformed forgery is renamed too.
            Err(_) => text
                .split(|c: char| c == ';' || c.is_whitespace())
                .find(|w| !w.is_empty())
                .map(str::to_string),
        };
        if id.is_some_and(|id| id.eq_ignore_ascii_case(ours)) {
            let start = f.name.as_ptr() as usize - base;
            spans.push(start..start + f.name.len());
        }
    }
    if spans.is_empty() {
        return std::borrow::Cow::Borrowed(buf);
    }
    let mut out = Vec::with_capacity(buf.len() + spans.len() * 16);
    let mut at = 0;
    for span in spans {
        out.extend_from_slice(&buf[at..span.start]);
        out.extend_from_slice(RENAMED_FIELD.as_bytes());
        at = span.end;
    }
    out.extend_from_slice(&buf[at..]);
    std::borrow::Cow::Owned(out)
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
}
