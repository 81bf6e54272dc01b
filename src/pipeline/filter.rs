//! `filter`: a message in, the same bytes out with one Authentication-Results field prepended.
//!
//! A filter never loses a message: whatever goes wrong (not a message, oversized, DNS failure,
//! the total deadline, a panic in a check) the original bytes are written, and only a failure
//! to read the whole input or to write all of the output asks the MTA to retry (exit 75); a
//! standard output that is closed or /dev/null is such a failure. A leading mbox `From ` line
//! stays first. The one change made to the original bytes is RFC 8601 §5's: existing
//! Authentication-Results fields that claim our authserv-id are renamed, so a forged claim
//! cannot pass for ours; the header is scanned as a stream, past `--max-size` too, and a bare
//! CR ends a line for that scan, as it does for some readers.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::dns::Dns;
use crate::message::Message;
use crate::pipeline::check;
use crate::pipeline::stage::CheckOptions;
use crate::report::arh;
use crate::report::model::CheckReport;

mod rename;
pub(crate) use rename::claims;
use rename::copy_rest;
pub use rename::{CopyError, copy_renaming, rename_our_fields};

/// What existing fields carrying our authserv-id are renamed to.
pub const RENAMED_FIELD: &str = "X-Original-Authentication-Results";

/// Extra header fields `filter` can add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraHeader {
    /// X-Mailverdict-Verdict: the DMARC result word
    Verdict,
    /// X-Mailverdict-Summary: the one-line summary
    Summary,
    /// Received-SPF (RFC 7208 §9.1): our SPF result for the client
    ReceivedSpf,
}

/// What a `filter` run is asked to do (from the command line).
#[derive(Clone)]
pub struct FilterConfig {
    /// `--authserv-id`: the id our Authentication-Results field carries (existing fields
    /// claiming it are renamed).
    pub authserv_id: String,
    /// `--deadline`: the total time for the check; past it the message goes out with
    /// `dmarc=temperror`.
    pub deadline: Duration,
    /// `--max-size`: larger messages are passed on unverified.
    pub max_size: u64,
    /// `--add-header`: extra fields to prepend besides Authentication-Results.
    pub extra: Vec<ExtraHeader>,
    /// The options the message is checked with.
    pub check: CheckOptions,
}

/// How the message was handled, for the log and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handling {
    /// Checked: the field carries the verdict.
    Verified,
    /// Not a message (why given): passed through unchanged, with no field added.
    NotAMessage(String),
    /// Larger than `--max-size`: passed on with a `none (not verified)` field.
    Oversized,
    /// The deadline came with this many lookups unanswered: they count as temporary errors,
    /// and the verdict is final wherever they could not change it (e.g. the policy is known
    /// and no unanswered lookup belongs to an aligned identifier).
    DecidedAtDeadline(usize),
    /// The deadline passed before a verdict: passed on with `dmarc=temperror`.
    Deadline,
    /// The check failed (panic, thread not started): passed on with a `none (not verified)` field.
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
    /// Standard output is closed (the runtime then puts /dev/null in its place) or is
    /// /dev/null: writing there would lose the message.
    #[error("standard output is closed or /dev/null, so the message would be lost")]
    Discarded,
}

impl From<CopyError> for FilterError {
    fn from(e: CopyError) -> FilterError {
        match e {
            CopyError::Read(e) => FilterError::Read(e),
            CopyError::Write(e) => FilterError::Write(e),
        }
    }
}

/// Run the filter on this process's standard input and output (what the command does).
/// A standard output that would swallow the message is a failure to pass it on, found before
/// anything is read.
pub fn run_stdio(dns: Arc<Dns>, cfg: &FilterConfig) -> Result<Handling, FilterError> {
    let mut log = std::io::stderr();
    if stdout_discards() {
        let e = FilterError::Discarded;
        let _ = writeln!(log, "mailverdict filter: {e}; exit 75 so the MTA retries");
        return Err(e);
    }
    run(
        dns,
        cfg,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut log,
    )
}

/// Whether fd 1 is /dev/null. Rust's runtime opens /dev/null on a closed fd 1 at start-up
/// (`filter >&-`), so writes "succeed" and the message vanishes; an fd 1 that cannot even be
/// duplicated is closed outright.
#[cfg(unix)]
fn stdout_discards() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return true;
    };
    let (Ok(ours), Ok(null)) = (
        std::fs::File::from(fd).metadata(),
        std::fs::metadata("/dev/null"),
    ) else {
        return false;
    };
    ours.file_type().is_char_device() && ours.rdev() == null.rdev()
}

#[cfg(not(unix))]
fn stdout_discards() -> bool {
    false
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
    // An mbox envelope line (procmail hands the filter one) stays first: a reader of the mbox
    // splits messages there, so our field goes right after it.
    let (envelope, rest) = buf.split_at(envelope_len(&buf));
    let eol = if first_line_has_crlf(rest) {
        "\r\n"
    } else {
        "\n"
    };
    let (prefix, handling) = if buf.len() as u64 > cfg.max_size {
        (
            arh::header(&cfg.authserv_id, &[oversized_clause(cfg.max_size)], eol),
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
        Handling::DecidedAtDeadline(n) => {
            let _ = writeln!(
                log,
                "mailverdict filter: deadline of {:?} reached with {n} DNS lookup(s) unanswered; \
                 they count as temporary errors, and the verdict stands where they could not \
                 change it",
                cfg.deadline
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
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, output);
    let written = (|| -> Result<(), FilterError> {
        out.write_all(envelope).map_err(FilterError::Write)?;
        out.write_all(prefix.as_bytes())
            .map_err(FilterError::Write)?;
        // The part read so far, then the rest of an oversized message, as one stream: fields
        // past --max-size are renamed too.
        let mut reader = std::io::BufReader::with_capacity(64 * 1024, Read::chain(rest, input));
        match &handling {
            Handling::NotAMessage(_) => copy_rest(&mut reader, &mut out)?,
            _ => copy_renaming(&mut reader, &mut out, &cfg.authserv_id)?,
        }
        out.flush().map_err(FilterError::Write)
    })();
    match written {
        Ok(()) => Ok(handling),
        Err(e) => {
            let _ = writeln!(log, "mailverdict filter: {e}; exit 75 so the MTA retries");
            Err(e)
        }
    }
}

/// Length of a leading mbox `From ` line (with its line end), 0 when there is none.
fn envelope_len(buf: &[u8]) -> usize {
    if !buf.starts_with(b"From ") {
        return 0;
    }
    buf.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1)
}

fn first_line_has_crlf(buf: &[u8]) -> bool {
    buf.iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && buf[i - 1] == b'\r')
}

/// Run the check on a worker thread under the total deadline. DNS is cut off a little before
/// it, so the check can still finish with what arrived: an attacker whose DNS answers slowly
/// then gets the verdict its missing answers cannot change, not a `temperror`.
fn verify(dns: Arc<Dns>, cfg: &FilterConfig, buf: &[u8], eol: &str) -> (String, Handling) {
    let started = Instant::now();
    dns.cut_off(dns_cut_off(started, cfg.deadline));
    let (tx, rx) = mpsc::channel();
    let input = buf.to_vec();
    let opts = cfg.check.clone();
    // A panic inside the check ends this thread only; the channel then reports it.
    let spawned = std::thread::Builder::new()
        .name("filter-check".into())
        .spawn(move || {
            let report = check::check_message(&input, &dns, &opts);
            let _ = tx.send(report.map(|r| (r, dns.cut_short())));
        });
    if spawned.is_err() {
        return (
            fallback(cfg, eol, INTERNAL_ERROR_CLAUSE),
            Handling::InternalError,
        );
    }
    let left = cfg.deadline.saturating_sub(started.elapsed());
    match rx.recv_timeout(left) {
        Ok(Ok((report, cut_short))) => {
            let handling = match cut_short {
                0 => Handling::Verified,
                n => Handling::DecidedAtDeadline(n),
            };
            (header_for(cfg, &report, eol), handling)
        }
        Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => (
            fallback(cfg, eol, INTERNAL_ERROR_CLAUSE),
            Handling::InternalError,
        ),
        Err(mpsc::RecvTimeoutError::Timeout) => (
            fallback(cfg, eol, &deadline_clause(cfg.deadline)),
            Handling::Deadline,
        ),
    }
}

/// When DNS is cut off for a check started at `started` with `deadline` (shared with
/// `milter`): a margin before the deadline, so the check can finish with what arrived.
pub(crate) fn dns_cut_off(started: Instant, deadline: Duration) -> Instant {
    let margin = (deadline / 10).min(Duration::from_millis(500));
    started + deadline - margin
}

// The clauses of a field written without a verdict; `milter` writes the same ones.

/// The clause for a message larger than `--max-size`.
pub(crate) fn oversized_clause(max_size: u64) -> String {
    format!("none (not verified: the message is larger than {max_size} bytes)")
}

/// The clause for a check that failed inside (a panic).
pub(crate) const INTERNAL_ERROR_CLAUSE: &str = "none (not verified: internal error)";

/// The clause for a check still running at the deadline.
pub(crate) fn deadline_clause(deadline: Duration) -> String {
    format!(
        "dmarc=temperror (deadline of {}s exceeded before a verdict)",
        deadline.as_secs_f64()
    )
}

/// A field without a verdict (oversized, deadline, internal error); shared with `milter`.
pub(crate) fn fallback(cfg: &FilterConfig, eol: &str, clause: &str) -> String {
    arh::header(&cfg.authserv_id, &[clause.to_string()], eol)
}

/// Field text for an extra header: one line, no controls.
fn one_line(s: &str) -> String {
    arh::unstructured(s, 900)
}

/// The fields `filter` prepends for a checked message; `milter` adds the same ones.
pub(crate) fn header_for(cfg: &FilterConfig, report: &CheckReport, eol: &str) -> String {
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
            ExtraHeader::ReceivedSpf => out.push_str(&crate::report::received_spf::field(
                &report.spf,
                &cfg.authserv_id,
                eol,
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_line_is_recognised() {
        assert_eq!(envelope_len(b"From a@b Mon\nSubject: x\n"), 13);
        assert_eq!(envelope_len(b"Subject: x\n"), 0);
        assert_eq!(envelope_len(b"From no line end"), 0);
    }
}
