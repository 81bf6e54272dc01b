//! The SPF evaluation tree as text, for `spf` and the SPF section of `check`.

use std::fmt::Write;

use super::opt;
use crate::auth::spf::{MAX_LOOKUPS, MAX_VOID_LOOKUPS, SpfReport, TraceNode};
use crate::report::escape::{clip, term};
use crate::report::style;

/// The SPF record tree, lookups and limits: shared by `check` and `spf`.
pub fn spf_body(o: &mut String, s: &SpfReport, indent: &str) {
    if let Some(node) = &s.trace {
        trace_node(o, node, indent);
    }
    if s.ip.is_some() {
        let _ = writeln!(
            o,
            "{indent}DNS lookups: {} of {MAX_LOOKUPS}, void lookups: {} of {MAX_VOID_LOOKUPS}",
            s.lookups, s.void_lookups
        );
    }
    if let Some(e) = &s.explanation {
        let _ = writeln!(o, "{indent}explanation: {}", term(e));
    }
}

fn trace_node(o: &mut String, n: &TraceNode, indent: &str) {
    let record = n.record.as_deref().map_or_else(
        || "(no record)".to_string(),
        |r| format!("\"{}\"", term(&clip(r, 300))),
    );
    let _ = writeln!(o, "{indent}{}  {record}", term(&n.domain));
    for t in &n.terms {
        let detail = t
            .detail
            .as_deref()
            .map(|d| format!(" ({})", term(&clip(d, 200))))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "{indent}  {} -> {}{detail}  {}",
            term(&t.term),
            t.outcome,
            style::dim(&format!("lookups {}", t.lookups))
        );
        if let Some(child) = &t.child {
            trace_node(o, child, &format!("{indent}    "));
        }
    }
    if let Some(note) = &n.note
        && n.terms.is_empty()
    {
        let _ = writeln!(o, "{indent}  {}", term(&note.to_string()));
    }
}

/// The human `spf` report.
pub fn spf(s: &SpfReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "SPF {} for {} (ip {}) — {}",
        style::result(s.result),
        opt(&s.domain),
        opt(&s.ip),
        term(&s.reason.to_string())
    );
    spf_body(&mut o, s, "  ");
    o
}
