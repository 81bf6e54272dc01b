//! The human form of `check --explain dkim`: per signature, the body hash claimed and computed,
//! the canonical body and what `l=` leaves unsigned, the hashed header block line by line
//! (escaped, CRLF shown), and the key record.

use std::fmt::Write;

use crate::auth::dkim::explain::{BodyExplanation, DkimExplanation, HeaderExplanation};
use crate::report::escape::term;
use crate::report::style;

/// A selector may hold thousands of TXT records; the first few are shown, each whole (the
/// key is what is being debugged).
const MAX_RECORDS: usize = 5;

/// `check --explain dkim` as text.
pub fn explain_dkim(x: &DkimExplanation) -> String {
    let mut out = String::new();
    if x.signatures.is_empty() {
        out.push_str("DKIM: no DKIM-Signature field in the message\n");
    }
    for (n, s) in x.signatures.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "DKIM signature {} (header field {}): d={} s={} a={}",
            n + 1,
            s.field,
            term(s.domain.as_deref().unwrap_or("-")),
            term(s.selector.as_deref().unwrap_or("-")),
            term(s.algorithm.as_deref().unwrap_or("-")),
        );
        let _ = writeln!(
            out,
            "  result: {} — {}",
            style::result(s.result),
            term(&s.reason.to_string())
        );
        if let Some(b) = &s.body {
            body(&mut out, b);
        }
        if let Some(h) = &s.header {
            header(&mut out, h);
        }
        if let Some(k) = &s.key {
            let _ = writeln!(out, "  key record at {}:", term(&k.name));
            if let Some(e) = &k.lookup_error {
                let _ = writeln!(out, "    none: {}", term(e));
            }
            for r in k.records.iter().take(MAX_RECORDS) {
                let _ = writeln!(out, "    \"{}\"", term(r));
            }
            if k.records.len() > MAX_RECORDS {
                let _ = writeln!(out, "    ... {} more", k.records.len() - MAX_RECORDS);
            }
        }
    }
    if x.unexplained > 0 {
        let _ = writeln!(
            out,
            "\n{} more DKIM-Signature field(s) not verified (limit 10)",
            x.unexplained
        );
    }
    out
}

fn body(out: &mut String, b: &BodyExplanation) {
    let _ = writeln!(
        out,
        "  body ({}): {} octets after canonicalization",
        b.canonicalization, b.canonical_length
    );
    match b.length_tag {
        None => {
            let _ = writeln!(out, "    l= not used: the whole body is hashed");
        }
        Some(l) if b.shorter_than_length_tag => {
            let _ = writeln!(
                out,
                "    l={l}: longer than the body ({} octets): octets were removed after signing",
                b.canonical_length
            );
        }
        Some(l) => {
            let _ = writeln!(
                out,
                "    l={l}: {} of {} octets hashed; {} octets after them are not signed (anyone could have added them)",
                b.hashed_length, b.canonical_length, b.unsigned_bytes
            );
            if let Some(p) = &b.unsigned_preview {
                let _ = writeln!(out, "    unsigned tail begins: \"{}\"", crlf(p));
            }
        }
    }
    let _ = writeln!(out, "    claimed  bh={}", b.claimed_hash);
    match &b.computed_hash {
        Some(c) => {
            let verdict = if b.matches {
                "match"
            } else {
                "MISMATCH: the body (or its canonicalization) differs from what was signed"
            };
            let _ = writeln!(out, "    computed bh={c}  {verdict}");
        }
        None => {
            let _ = writeln!(out, "    computed bh=-  (the body is shorter than l=)");
        }
    }
}

fn header(out: &mut String, h: &HeaderExplanation) {
    let absent: Vec<&str> = h
        .signed
        .iter()
        .filter(|s| !s.present)
        .map(|s| s.name.as_str())
        .collect();
    let _ = writeln!(
        out,
        "  header block hashed ({}, {} octets; h={}):",
        h.canonicalization,
        h.block.len(),
        term(
            &h.signed
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(":")
        )
    );
    let lines: Vec<&str> = h.block.split("\r\n").collect();
    for (i, line) in lines.iter().enumerate() {
        let end = if i + 1 < lines.len() { "\\r\\n" } else { "" };
        let _ = writeln!(out, "    | {}{end}", term(line));
    }
    if !absent.is_empty() {
        let _ = writeln!(
            out,
            "    signed as absent (adding such a field breaks the signature): {}",
            term(&absent.join(", "))
        );
    }
}

/// Line ends shown, everything else escaped.
fn crlf(s: &str) -> String {
    term(&s.replace("\r\n", "\\r\\n"))
}
