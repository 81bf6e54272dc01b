//! The human report: one verdict line, then one section per mechanism saying why. Every value
//! that came from the message or DNS goes through `escape::term`.

use std::fmt::Write;

use super::escape::{clip, term};
use super::model::{AuthResult, CheckReport, DkimReport};
use super::style;
use crate::auth::spf::{MAX_LOOKUPS, MAX_VOID_LOOKUPS, SpfReport, TraceNode};

fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "-".to_string(), term)
}

pub fn check(r: &CheckReport) -> String {
    let mut o = String::new();
    let word = match r.verdict.result {
        AuthResult::Pass => "PASS",
        AuthResult::Fail | AuthResult::Permerror => "FAIL",
        AuthResult::Temperror => "TEMPERROR",
        _ => "NO VERDICT",
    };
    let _ = writeln!(
        o,
        "{} {}",
        styled_word(word, r.verdict.result),
        term(&r.verdict.summary)
    );

    let _ = writeln!(o, "\n{}", style::heading("Message"));
    let m = &r.message;
    let from = if m.from.is_empty() {
        "-".to_string()
    } else {
        m.from
            .iter()
            .map(|a| term(a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &m.from_name {
        Some(name) => {
            let _ = writeln!(o, "  From:       \"{}\" <{from}>", term(name));
        }
        None => {
            let _ = writeln!(o, "  From:       {from}");
        }
    }
    let _ = writeln!(
        o,
        "  Subject:    {}",
        opt(&m.subject.as_ref().map(|s| clip(s, 200)))
    );
    let _ = writeln!(
        o,
        "  Message-ID: {}",
        opt(&m.message_id.as_ref().map(|s| clip(s, 200)))
    );
    let _ = writeln!(o, "  Date:       {}", opt(&m.date));

    path_section(&mut o, r);

    let _ = writeln!(
        o,
        "\n{}: {} — {}",
        style::heading("SPF"),
        style::result(r.spf.result),
        term(&r.spf.reason)
    );
    spf_body(&mut o, &r.spf, "  ");

    let _ = writeln!(o, "\n{}", style::heading("DKIM"));
    if r.dkim.is_empty() {
        let _ = writeln!(o, "  no DKIM-Signature");
    }
    for d in &r.dkim {
        dkim_line(&mut o, d);
    }

    let a = &r.arc;
    let _ = writeln!(
        o,
        "\n{}: {} — {}",
        style::heading("ARC"),
        style::result(a.result),
        term(&a.reason)
    );
    if a.instances > 0 {
        let mut line = format!("  {} instance(s)", a.instances);
        if let (Some(i), Some(p)) = (a.failing_instance, &a.failing_part) {
            let _ = write!(line, "; fails at i={i} ({})", p.to_uppercase());
        }
        if let Some(op) = a.oldest_pass {
            let _ = write!(line, "; oldest pass i={op}");
        }
        let _ = writeln!(o, "{line}");
        for s in &a.sets {
            let _ = writeln!(
                o,
                "    i={} d={} s={} cv={} AMS {} seal {}{}",
                s.instance,
                opt(&s.domain),
                opt(&s.selector),
                opt(&s.cv),
                s.ams.word(),
                s.seal.word(),
                s.authserv_id
                    .as_deref()
                    .map(|id| format!(" by {}", term(id)))
                    .unwrap_or_default()
            );
        }
    }

    let d = &r.dmarc;
    let _ = writeln!(
        o,
        "\n{}: {} — {}",
        style::heading("DMARC"),
        style::result(d.result),
        term(&d.reason)
    );
    if let Some(pd) = &d.policy_domain {
        let _ = writeln!(
            o,
            "  policy at _dmarc.{}: p={} sp={} pct={} adkim={} aspf={}",
            term(pd),
            opt(&d.policy),
            opt(&d.subdomain_policy),
            d.pct.map_or("-".into(), |p| p.to_string()),
            opt(&d.adkim),
            opt(&d.aspf)
        );
        let yn = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(
            o,
            "  aligned: SPF {}, DKIM {}; disposition: {}",
            yn(d.spf_aligned),
            yn(d.dkim_aligned),
            term(&d.disposition)
        );
    }

    if let Some(ip) = &r.iprev {
        let _ = writeln!(
            o,
            "\n{}: {} — {}",
            style::heading("iprev"),
            style::result(ip.result),
            term(&ip.reason)
        );
    }
    if !r.errors.is_empty() {
        let _ = writeln!(o, "\n{}", style::heading("Notes"));
        for e in &r.errors {
            let _ = writeln!(o, "  - {}", term(e));
        }
    }
    o
}

fn styled_word(word: &str, r: AuthResult) -> String {
    use colored::Colorize;
    match r {
        AuthResult::Pass => word.green().bold().to_string(),
        AuthResult::Fail | AuthResult::Permerror => word.red().bold().to_string(),
        _ => word.yellow().bold().to_string(),
    }
}

fn path_section(o: &mut String, r: &CheckReport) {
    let p = &r.path;
    let _ = writeln!(
        o,
        "\n{} ({} hop(s), {} trusted)",
        style::heading("Path"),
        p.hops.len(),
        p.trusted_hops
    );
    for h in &p.hops {
        if let Some(raw) = &h.raw {
            let _ = writeln!(o, "  {:>2}  unparsed: {}", h.index, term(&clip(raw, 160)));
            continue;
        }
        let from = match (&h.from_host, &h.from_ip) {
            (Some(host), Some(ip)) if host != ip => format!("{} [{}]", term(host), term(ip)),
            (_, Some(ip)) => format!("[{}]", term(ip)),
            (Some(host), None) => term(host),
            (None, None) => "?".into(),
        };
        let mut line = format!("  {:>2}  from {from} by {}", h.index, opt(&h.by_host));
        if let Some(p) = &h.protocol {
            let _ = write!(line, " with {}", term(p));
        }
        if let Some(t) = &h.tls_version {
            let _ = write!(line, " {}", term(t));
        }
        if let Some(ts) = &h.timestamp {
            let _ = write!(line, " at {}", term(ts));
        }
        if let Some(d) = h.delay_seconds {
            let _ = write!(line, " ({d:+}s)");
        }
        if h.trusted {
            let _ = write!(line, " {}", style::dim("trusted"));
        }
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(
        o,
        "  client: ip {} helo {} mail from {}",
        opt(&p.origin_ip),
        opt(&p.helo),
        p.mail_from
            .as_deref()
            .map_or("-".to_string(), |m| if m.is_empty() {
                "<>".into()
            } else {
                term(m)
            })
    );
    for a in &p.anomalies {
        let _ = writeln!(o, "  warning: {}", term(a));
    }
}

fn dkim_line(o: &mut String, d: &DkimReport) {
    let _ = writeln!(
        o,
        "  d={} s={}: {} — {}",
        opt(&d.domain),
        opt(&d.selector),
        style::result(d.result),
        term(&d.reason)
    );
    let mut facts = Vec::new();
    if let Some(a) = &d.algorithm {
        facts.push(term(a));
    }
    if let (Some(kt), Some(bits)) = (&d.key_type, d.key_bits) {
        facts.push(format!("{kt} {bits}-bit key"));
    }
    if let Some(c) = &d.canonicalization {
        facts.push(term(c));
    }
    if let Some(l) = d.body_length {
        facts.push(format!(
            "l={l} ({} body bytes unsigned)",
            d.body_unsigned_bytes.unwrap_or(0)
        ));
    }
    if d.algorithm.is_some() {
        facts.push(
            if d.from_signed {
                "From signed"
            } else {
                "From NOT signed"
            }
            .into(),
        );
        if !d.oversigned.is_empty() {
            facts.push(format!("over-signed: {}", term(&d.oversigned.join(", "))));
        }
        facts.push(if d.aligned { "aligned" } else { "not aligned" }.into());
    }
    if !facts.is_empty() {
        let _ = writeln!(o, "      {}", facts.join(", "));
    }
}

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
        let _ = writeln!(o, "{indent}  {}", term(note));
    }
}

pub fn spf(s: &SpfReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "SPF {} for {} (ip {}) — {}",
        style::result(s.result),
        opt(&s.domain),
        opt(&s.ip),
        term(&s.reason)
    );
    spf_body(&mut o, s, "  ");
    o
}
