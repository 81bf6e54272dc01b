//! The summary of a `batch` run: how many messages got each verdict and why they did not pass.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::common::AuthResult;
use crate::report::model::CheckReport;

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
pub(super) struct Outcome {
    pub(super) verdict: Option<AuthResult>,
    pub(super) reasons: Vec<String>,
    pub(super) unreadable: bool,
    /// A folder entry passed over (not a regular file, a folder seen before): a note.
    pub(super) skipped: bool,
}

/// The part of a reason before its parenthesis, so that counts group.
fn short(reason: &str) -> &str {
    reason.split(" (").next().unwrap_or(reason).trim()
}

pub(super) fn failure_reasons(r: &CheckReport) -> Vec<String> {
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

pub(super) fn count(summary: &mut Summary, o: Outcome) {
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
