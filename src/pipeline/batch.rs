//! `batch`: many messages (mbox, Maildir, folders of .eml) checked in parallel with one shared
//! DNS cache. Memory stays bounded: the reader streams, a bounded channel feeds the workers,
//! and results are written in input order through a reorder window no larger than the number
//! of messages in flight.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use serde::Serialize;

use crate::common::AuthResult;
use crate::dns::Dns;
use crate::message::mbox::{self, Item, ItemError};
use crate::pipeline::check;
use crate::pipeline::stage::CheckOptions;
use crate::report::model::{CheckReport, DnsStats};

/// `--shard K/N`: this run takes the messages whose stable hash falls in shard K (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, this run's shard (1-based, at most N).
    pub k: u64,
    /// N, the number of shards the input is split into.
    pub n: u64,
}

/// Why a `--shard` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("expected K/N, e.g. 2/8")]
    Shape,
    #[error("bad K in {0:?}")]
    BadK(String),
    #[error("bad N in {0:?}")]
    BadN(String),
    #[error("{0:?}: need 1 <= K <= N")]
    Range(String),
}

impl Shard {
    /// Read `K/N` (1 <= K <= N), as `--shard` gives it.
    pub fn parse(s: &str) -> Result<Shard, ShardError> {
        let (k, n) = s.split_once('/').ok_or(ShardError::Shape)?;
        let k: u64 = k.trim().parse().map_err(|_| ShardError::BadK(s.into()))?;
        let n: u64 = n.trim().parse().map_err(|_| ShardError::BadN(s.into()))?;
        if n == 0 || k == 0 || k > n {
            return Err(ShardError::Range(s.into()));
        }
        Ok(Shard { k, n })
    }

    /// FNV-1a over the path and the position in the file: the same message lands in the same
    /// shard on every machine and every run.
    pub fn takes(&self, item: &Item) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let index = item.index.to_le_bytes();
        for b in item.path.bytes().chain([0]).chain(index) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h % self.n == self.k - 1
    }
}

/// What a `batch` run is asked to do (from the command line).
pub struct BatchConfig {
    /// The mbox files, Maildirs and folders to read, in order.
    pub paths: Vec<PathBuf>,
    /// `--jobs`: how many worker threads check messages at once.
    pub jobs: usize,
    /// `--shard K/N`: the part of the input this run takes (all of it when absent).
    pub shard: Option<Shard>,
    /// `--max-size`: messages larger than this many bytes are not checked (reported as errors).
    pub max_size: u64,
    /// The options every message is checked with.
    pub check: CheckOptions,
    /// `--format human`: one text line per message instead of JSON lines.
    pub human: bool,
}

#[derive(Serialize)]
struct Source<'a> {
    path: &'a str,
    offset: Option<u64>,
    index: usize,
}

/// The schema of a batch line for an input that gave no report (check's lines carry check's).
pub const ERROR_SCHEMA: &str = "mailverdict.batch-error.v1";

#[derive(Serialize)]
struct ErrorLine<'a> {
    schema: &'static str,
    source: Source<'a>,
    error: &'a str,
}

/// Counts for the summary.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Messages read (skipped folder entries not included).
    pub messages: usize,
    /// How many messages got each verdict, by DMARC result word.
    pub verdicts: BTreeMap<String, usize>,
    /// Why messages did not pass, e.g. "dkim fail: body hash mismatch".
    pub reasons: BTreeMap<String, usize>,
    /// Messages that got no verdict (unreadable, oversized, not a message).
    pub errors: usize,
    /// Inputs that could not be opened.
    pub unreadable_inputs: usize,
    /// Folder entries passed over: FIFOs, sockets, devices, folders reached a second time.
    pub skipped: usize,
    /// Whether the run was stopped (Ctrl-C) before the end of the input.
    pub interrupted: bool,
}

/// How one message counts in the summary.
struct Outcome {
    verdict: Option<AuthResult>,
    reasons: Vec<String>,
    unreadable: bool,
    /// A folder entry passed over (not a regular file, a folder seen before): a note.
    skipped: bool,
}

/// Messages go to the workers in chunks, not one by one: a hand-off (a channel send, a lock, a
/// wake-up) costs about as much as a small message's whole check, so one per message would
/// be most of the run. A chunk closes at this many messages or bytes, whichever comes first.
const CHUNK_MESSAGES: usize = 16;
const CHUNK_BYTES: usize = 1 << 20;

/// A chunk of consecutive messages; `seq` orders the chunks.
struct Chunk {
    seq: usize,
    items: Vec<Item>,
}

/// A chunk checked: its output lines in one buffer, and each message's outcome in order.
struct Done {
    seq: usize,
    text: Vec<u8>,
    outcomes: Vec<Outcome>,
}

/// The part of a reason before its parenthesis, so that counts group.
fn short(reason: &str) -> &str {
    reason.split(" (").next().unwrap_or(reason).trim()
}

fn failure_reasons(r: &CheckReport) -> Vec<String> {
    if r.verdict.result == AuthResult::Pass {
        return Vec::new();
    }
    let mut out = Vec::new();
    if r.spf.result != AuthResult::Pass {
        out.push(format!("spf {}", r.spf.result.word()));
    }
    if r.dkim.is_empty() {
        out.push("dkim: no signature".into());
    }
    for d in r.dkim.iter().filter(|d| d.result != AuthResult::Pass) {
        out.push(format!(
            "dkim {}: {}",
            d.result.word(),
            short(&d.reason.to_string())
        ));
    }
    if r.dkim.iter().any(|d| d.result == AuthResult::Pass) && !r.dmarc.dkim_aligned {
        out.push("dkim pass not aligned".into());
    }
    out.push(format!("dmarc {}", r.dmarc.result.word()));
    out
}

/// The name a human line gives a message: its path, and its offset in an mbox.
fn label(item: &Item) -> String {
    match item.offset {
        Some(o) => format!("{}@{o}", item.path),
        None => item.path.clone(),
    }
}

/// Check one message and append its line to `text`.
fn process(
    item: &Item,
    dns: &Dns,
    opts: &CheckOptions,
    human: bool,
    text: &mut Vec<u8>,
) -> Outcome {
    let source = Source {
        path: &item.path,
        offset: item.offset,
        index: item.index,
    };
    let mut error = |e: &str, unreadable: bool, skipped: bool| {
        if human {
            human_line(
                text,
                &label(item),
                if skipped { "SKIPPED" } else { "ERROR" },
                e,
            );
        } else {
            json_line(
                text,
                &ErrorLine {
                    schema: ERROR_SCHEMA,
                    source: Source {
                        path: &item.path,
                        offset: item.offset,
                        index: item.index,
                    },
                    error: e,
                },
            );
        }
        Outcome {
            verdict: None,
            reasons: Vec::new(),
            unreadable,
            skipped,
        }
    };
    let bytes = match &item.bytes {
        Ok(b) => b,
        Err(e) => {
            let unreadable = matches!(e, ItemError::CannotOpen(_));
            return error(&e.to_string(), unreadable, e.is_skip());
        }
    };
    match check::check_message(bytes, dns, opts) {
        Ok(mut report) => {
            // Per-message query counts mean nothing with a cache shared by every message.
            report.dns = DnsStats::default();
            if human {
                human_line(
                    text,
                    &label(item),
                    &report.verdict.result.word().to_uppercase(),
                    &report.verdict.summary,
                );
            } else {
                report_line(text, &source, &report);
            }
            Outcome {
                verdict: Some(report.verdict.result),
                reasons: failure_reasons(&report),
                unreadable: false,
                skipped: false,
            }
        }
        Err(e) => error(&format!("not a message: {e}"), false, false),
    }
}

fn human_line(text: &mut Vec<u8>, label: &str, word: &str, what: &str) {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(label.len() + what.len() + 16);
    let _ = writeln!(
        line,
        "{}: {word} {}",
        crate::report::escape::term(label),
        crate::report::escape::term(what)
    );
    text.extend_from_slice(line.as_bytes());
}

/// One JSON line, serialized straight into `text` (no intermediate tree or string).
fn json_line<T: Serialize>(text: &mut Vec<u8>, v: &T) {
    let start = text.len();
    if let Err(e) = serde_json::to_writer(&mut *text, v) {
        text.truncate(start);
        text.extend_from_slice(
            format!("{{\"schema\":\"{ERROR_SCHEMA}\",\"error\":\"cannot serialise: {e}\"}}")
                .as_bytes(),
        );
    }
    text.push(b'\n');
}

/// A report's JSON line: `{"source":{...},` then the report's own keys. The report is written
/// by its own serializer and its opening brace overwritten by the comma, the same octets as a
/// `#[serde(flatten)]` wrapper gives without serde's flatten machinery (a map serializer that
/// goes through every field again) on each of the ~90 keys of every line.
fn report_line(text: &mut Vec<u8>, source: &Source, report: &CheckReport) {
    let start = text.len();
    text.extend_from_slice(b"{\"source\":");
    let written = serde_json::to_writer(&mut *text, source).and_then(|()| {
        let at = text.len();
        serde_json::to_writer(&mut *text, report)?;
        // A struct with fields (`schema` first) always opens with `{"`.
        if let Some(brace) = text.get_mut(at) {
            *brace = b',';
        }
        Ok(())
    });
    match written {
        Ok(()) => text.push(b'\n'),
        Err(e) => {
            text.truncate(start);
            json_line(
                text,
                &ErrorLine {
                    schema: ERROR_SCHEMA,
                    source: Source {
                        path: source.path,
                        offset: source.offset,
                        index: source.index,
                    },
                    error: &format!("cannot serialise: {e}"),
                },
            );
        }
    }
}

/// Check the messages of one chunk; `capacity` is the size the last chunk's text reached
/// (so the buffer is allocated once at its final size, not grown line by line).
fn process_chunk(
    chunk: &Chunk,
    dns: &Dns,
    opts: &CheckOptions,
    human: bool,
    capacity: usize,
) -> Done {
    let mut text = Vec::with_capacity(capacity);
    let outcomes = chunk
        .items
        .iter()
        .map(|item| process(item, dns, opts, human, &mut text))
        .collect();
    Done {
        seq: chunk.seq,
        text,
        outcomes,
    }
}

/// Run the batch, writing result lines to `out`; `progress` is told the count as it grows.
///
/// When `out` fails (a closed pipe: `batch ... | head -1`) the reader and the workers stop at
/// once, without the summary, and the error is returned: nothing waits on a writer that is gone.
pub fn run(
    cfg: &BatchConfig,
    dns: &Arc<Dns>,
    stop: &AtomicBool,
    out: &mut dyn Write,
    progress: &dyn Fn(usize),
) -> std::io::Result<Summary> {
    let jobs = cfg.jobs.max(1);
    // At most `window` chunks between the reader and the writer, however slow one is.
    let window = jobs * 4;
    let (token_tx, token_rx) = mpsc::sync_channel::<()>(window);
    for _ in 0..window {
        let _ = token_tx.send(());
    }
    let (item_tx, item_rx) = mpsc::sync_channel::<Chunk>(jobs * 2);
    let item_rx = Arc::new(std::sync::Mutex::new(item_rx));
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    // Set when the output fails: the reader and the workers stop taking work.
    let aborted_flag = AtomicBool::new(false);
    let aborted = &aborted_flag;
    let halted = || stop.load(Ordering::Relaxed) || aborted.load(Ordering::Relaxed);
    let mut summary = Summary::default();
    std::thread::scope(|s| -> std::io::Result<()> {
        s.spawn(move || {
            let mut seq = 0;
            let mut chunk = Vec::with_capacity(CHUNK_MESSAGES);
            let mut bytes = 0;
            let send = |chunk: Vec<Item>, seq: &mut usize| -> bool {
                if token_rx.recv().is_err() {
                    return false;
                }
                let sent = item_tx
                    .send(Chunk {
                        seq: *seq,
                        items: chunk,
                    })
                    .is_ok();
                *seq += 1;
                sent
            };
            let mut open = true;
            mbox::walk(&cfg.paths, cfg.max_size, &mut |item| {
                if halted() {
                    return false;
                }
                if cfg.shard.is_some_and(|sh| !sh.takes(&item)) {
                    return true;
                }
                bytes += item.bytes.as_ref().map_or(0, Vec::len);
                chunk.push(item);
                if chunk.len() < CHUNK_MESSAGES && bytes < CHUNK_BYTES {
                    return true;
                }
                bytes = 0;
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_MESSAGES));
                open = send(full, &mut seq);
                open
            });
            if open && !chunk.is_empty() && !halted() {
                send(chunk, &mut seq);
            }
        });
        for _ in 0..jobs {
            let rx = Arc::clone(&item_rx);
            let tx = done_tx.clone();
            let dns = Arc::clone(dns);
            let opts = &cfg.check;
            s.spawn(move || {
                let mut capacity = 0;
                loop {
                    let next = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    let Ok(chunk) = next else { return };
                    // Ctrl-C finishes what is in flight; a dead output does not.
                    if aborted.load(Ordering::Relaxed) {
                        return;
                    }
                    let done = process_chunk(&chunk, &dns, opts, cfg.human, capacity);
                    capacity = done.text.len();
                    if tx.send(done).is_err() {
                        return;
                    }
                }
            });
        }
        // Only the workers hold the item queue now: once they stop, the reader's send fails.
        drop(item_rx);
        drop(done_tx);
        let written = write_in_order(done_rx, &token_tx, out, &mut summary, progress);
        if written.is_err() {
            aborted.store(true, Ordering::Relaxed);
        }
        // The reader may wait for a token: without a sender it wakes up and stops.
        drop(token_tx);
        written
    })?;
    summary.interrupted = stop.load(Ordering::Relaxed);
    Ok(summary)
}

/// Chunks arrive out of order; the early ones wait for their turn. Each one written frees a
/// place in the window for the reader. Output is buffered and flushed whenever the writer has
/// caught up with the workers (so lines appear as soon as nothing else is ready, in few
/// writes). Returns at the first write error (`done` is dropped then, so the workers' next
/// send fails and they stop).
#[allow(clippy::needless_pass_by_value)] // owned so that returning drops it (see above)
fn write_in_order(
    done: mpsc::Receiver<Done>,
    tokens: &mpsc::SyncSender<()>,
    out: &mut dyn Write,
    summary: &mut Summary,
    progress: &dyn Fn(usize),
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut pending: HashMap<usize, Done> = HashMap::new();
    let mut next = 0;
    loop {
        let d = match done.try_recv() {
            Ok(d) => d,
            Err(mpsc::TryRecvError::Empty) => {
                out.flush()?;
                match done.recv() {
                    Ok(d) => d,
                    Err(_) => break,
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
        };
        pending.insert(d.seq, d);
        while let Some(d) = pending.remove(&next) {
            out.write_all(&d.text)?;
            for o in d.outcomes {
                count(summary, o);
            }
            next += 1;
            let _ = tokens.try_send(());
            progress(summary.messages);
        }
    }
    out.flush()
}

fn count(summary: &mut Summary, o: Outcome) {
    if o.skipped {
        summary.skipped += 1;
    } else {
        summary.messages += 1;
        match o.verdict {
            Some(v) => *summary.verdicts.entry(v.word().to_string()).or_default() += 1,
            None => summary.errors += 1,
        }
    }
    if o.unreadable {
        summary.unreadable_inputs += 1;
    }
    for r in o.reasons {
        *summary.reasons.entry(r).or_default() += 1;
    }
}

/// The summary as text (stderr with JSON lines, the end of the human report otherwise).
pub fn summary_text(s: &Summary) -> String {
    let mut o = format!("{} message(s)", s.messages);
    if s.interrupted {
        o.push_str(" (interrupted: the summary so far)");
    }
    o.push('\n');
    for (v, n) in &s.verdicts {
        o.push_str(&format!("  {v:<10} {n}\n"));
    }
    if s.errors > 0 {
        o.push_str(&format!("  {:<10} {}\n", "error", s.errors));
    }
    if s.skipped > 0 {
        o.push_str(&format!(
            "  {:<10} {} (not regular files, or folders reached twice)\n",
            "skipped", s.skipped
        ));
    }
    if !s.reasons.is_empty() {
        o.push_str("why messages did not pass:\n");
        let mut reasons: Vec<(&String, &usize)> = s.reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (r, n) in reasons {
            o.push_str(&format!("  {n:>6}  {}\n", crate::report::escape::term(r)));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_corpus() {
        let shards: Vec<Shard> = (1..=4).map(|k| Shard { k, n: 4 }).collect();
        for i in 0..200 {
            let item = Item {
                path: format!("m/{i}.eml"),
                offset: None,
                index: 0,
                bytes: Ok(Vec::new()),
            };
            assert_eq!(shards.iter().filter(|s| s.takes(&item)).count(), 1);
        }
        assert!(Shard::parse("0/4").is_err() && Shard::parse("5/4").is_err());
        assert_eq!(Shard::parse("2/8"), Ok(Shard { k: 2, n: 8 }));
    }
}
