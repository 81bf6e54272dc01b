//! The human report: one verdict line, then one section per mechanism saying why. Every value
//! that came from the message or DNS goes through `escape::term`.

use std::fmt::Write;

use super::escape::{clip, term};
use super::model::{AuthResult, CheckReport, DkimReport, PathInfo, TraceReport};
use super::style;
use crate::auth::authres::FieldReport;
use crate::auth::spf::{MAX_LOOKUPS, MAX_VOID_LOOKUPS, SpfReport, TraceNode};
use crate::dnsbl::DnsblResult;
use crate::transport::DomainTransport;

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

    o.push('\n');
    path_section(&mut o, &r.path, "  ");

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

    path_extras(
        &mut o,
        r.iprev.as_ref(),
        &r.dnsbl,
        &r.transport,
        &r.authentication_results,
    );
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

/// The hop table, in path order, as `trace` and `check` show it.
fn hop_table(o: &mut String, p: &PathInfo, indent: &str) {
    let header = ["#", "from", "by", "with", "TLS", "at (UTC)", "delay"];
    let mut rows: Vec<[String; 7]> = Vec::new();
    for h in &p.hops {
        if let Some(raw) = &h.raw {
            rows.push([
                h.index.to_string(),
                format!("unparsed: {}", term(&clip(raw, 70))),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
            continue;
        }
        let from = match (&h.from_host, &h.from_ip) {
            (Some(host), Some(ip)) if host != ip => format!("{} [{}]", term(host), term(ip)),
            (_, Some(ip)) => format!("[{}]", term(ip)),
            (Some(host), None) => term(host),
            (None, None) => "?".into(),
        };
        let tls = match (&h.tls_version, h.tls) {
            (Some(v), _) => term(v),
            (None, true) => "yes".into(),
            (None, false) => "-".into(),
        };
        let at = h.timestamp.as_deref().map_or("-".to_string(), |t| {
            term(&t.replace('T', " ").replace('Z', ""))
        });
        let delay = h
            .delay_seconds
            .map_or("-".to_string(), |d| format!("{d:+}s"));
        let mut number = h.index.to_string();
        if h.trusted {
            number.push('*');
        }
        rows.push([
            number,
            from,
            opt(&h.by_host),
            opt(&h.protocol),
            tls,
            at,
            delay,
        ]);
    }
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let mut out = String::from(indent);
        for (k, (cell, w)) in cells.iter().zip(widths).enumerate() {
            out.push_str(cell);
            if k + 1 < cells.len() {
                out.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        out.trim_end().to_string()
    };
    let _ = writeln!(
        o,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    );
    for row in rows {
        let _ = writeln!(o, "{}", line(row.to_vec()));
    }
}

/// Origin, client values, transit and warnings under the hop table.
fn path_notes(o: &mut String, p: &PathInfo, indent: &str) {
    match (&p.origin_ip, p.origin_hop) {
        (Some(ip), Some(hop)) => {
            let _ = writeln!(
                o,
                "{indent}origin: {} (hop {hop}, where mail entered the trusted part at {})",
                term(ip),
                opt(&p.boundary_host)
            );
        }
        (Some(ip), None) => {
            let _ = writeln!(o, "{indent}origin: {} (given with --ip)", term(ip));
        }
        _ => {
            let _ = writeln!(o, "{indent}origin: unknown");
        }
    }
    let _ = writeln!(
        o,
        "{indent}client: helo {}, mail from {}",
        opt(&p.helo),
        p.mail_from
            .as_deref()
            .map_or("-".to_string(), |m| if m.is_empty() {
                "<>".into()
            } else {
                term(m)
            })
    );
    if let Some(t) = p.total_transit_seconds {
        let _ = writeln!(o, "{indent}total transit: {t}s");
    }
    for a in &p.anomalies {
        let _ = writeln!(o, "{indent}warning: {}", term(a));
    }
}

/// The Path heading, hop table and notes (`check` indents the table under its heading).
fn path_section(o: &mut String, p: &PathInfo, indent: &str) {
    let _ = writeln!(
        o,
        "{} ({} hop(s), {} trusted, marked *)",
        style::heading("Path"),
        p.hops.len(),
        p.trusted_hops
    );
    hop_table(o, p, indent);
    path_notes(o, p, indent);
}

fn dnsbl_lines(o: &mut String, list: &[DnsblResult]) {
    for d in list {
        let state = match (d.listed, &d.error) {
            (Some(true), _) => format!(
                "LISTED ({}){}",
                d.codes.join(", "),
                d.reason
                    .as_deref()
                    .map(|r| format!(": {}", term(&clip(r, 200))))
                    .unwrap_or_default()
            ),
            (Some(false), _) => "not listed".to_string(),
            (None, e) => format!("unknown ({})", term(e.as_deref().unwrap_or("error"))),
        };
        let _ = writeln!(
            o,
            "\n{}: {} at {}: {state}",
            style::heading("DNSBL"),
            term(&d.ip),
            term(&d.zone)
        );
    }
}

fn authres_section(o: &mut String, fields: &[FieldReport]) {
    if fields.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n{}", style::heading("Existing Authentication-Results"));
    for f in fields {
        let id = f
            .parsed
            .authserv_id
            .as_deref()
            .map_or("-".to_string(), term);
        let inst = f
            .parsed
            .instance
            .map(|i| format!(" i={i}"))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "  {}{inst} (field {}) by {id}: {} — {}",
            f.field,
            f.position,
            if f.trusted { "trusted" } else { "untrusted" },
            term(&f.trust)
        );
        if let Some(e) = &f.error {
            let _ = writeln!(o, "    does not parse: {}", term(e));
        }
        for (k, c) in f.parsed.results.iter().enumerate() {
            let comparison = match (
                f.ours.get(k).copied().flatten(),
                f.agrees.get(k).copied().flatten(),
            ) {
                (Some(ours), Some(true)) => format!(" — agrees with ours ({})", ours.word()),
                (Some(ours), Some(false)) => format!(" — DISAGREES: ours is {}", ours.word()),
                _ => String::new(),
            };
            let props: Vec<String> = c
                .properties
                .iter()
                .map(|p| {
                    format!(
                        "{}.{}={}",
                        term(&p.ptype),
                        term(&p.property),
                        term(&clip(&p.value, 80))
                    )
                })
                .collect();
            let _ = writeln!(
                o,
                "    {}={} {}{comparison}",
                term(&c.method),
                term(&c.result),
                props.join(" ")
            );
        }
    }
}

/// What `check` and `trace` both show after the path: iprev, DNSBL, transport, existing
/// Authentication-Results.
fn path_extras(
    o: &mut String,
    iprev: Option<&super::model::IprevReport>,
    dnsbl: &[DnsblResult],
    transport: &[DomainTransport],
    authres: &[FieldReport],
) {
    if let Some(ip) = iprev {
        let _ = writeln!(
            o,
            "\n{}: {} — {}",
            style::heading("iprev"),
            style::result(ip.result),
            term(&ip.reason)
        );
    }
    dnsbl_lines(o, dnsbl);
    transport_section(o, transport);
    authres_section(o, authres);
}

fn transport_section(o: &mut String, list: &[DomainTransport]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n{}", style::heading("Transport"));
    for t in list {
        let mx = if t.mx.is_empty() {
            "none".to_string()
        } else {
            term(&t.mx.join(", "))
        };
        let sts = match (&t.mta_sts.id, &t.mta_sts.error) {
            (Some(id), _) => format!("MTA-STS id={}", term(id)),
            (None, Some(e)) => format!("MTA-STS error: {}", term(e)),
            (None, None) => "no MTA-STS".to_string(),
        };
        let _ = writeln!(o, "  {} ({}): MX {mx}; {sts}", term(&t.domain), t.role);
        if let Some(e) = &t.mx_error {
            let _ = writeln!(o, "    {}", term(e));
        }
        for d in t
            .dane
            .iter()
            .filter(|d| !d.records.is_empty() || d.error.is_some())
        {
            let what = match &d.error {
                Some(e) => term(e),
                None => format!(
                    "TLSA {} (DNSSEC {})",
                    term(&d.records.join("; ")),
                    d.dnssec.word().to_lowercase()
                ),
            };
            let _ = writeln!(o, "    _25._tcp.{}: {what}", term(&d.mx));
        }
        let _ = writeln!(o, "    {}", term(&t.verdict));
    }
}

pub fn trace(r: &TraceReport) -> String {
    let mut o = String::new();
    path_section(&mut o, &r.path, "");
    path_extras(
        &mut o,
        r.iprev.as_ref(),
        &r.dnsbl,
        &r.transport,
        &r.authentication_results,
    );
    o
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

pub fn domain(r: &crate::domain::DomainReport) -> String {
    use crate::domain::findings::Severity;
    let mut o = String::new();
    for d in &r.domains {
        let _ = writeln!(o, "{} {}", style::heading("Domain"), term(&d.domain));
        if let Some(rec) = &d.spf.record {
            let _ = writeln!(
                o,
                "  SPF    \"{}\" ({} lookups)",
                term(&clip(rec, 200)),
                d.spf.total_lookups
            );
        }
        if let Some(rec) = &d.dmarc.record {
            let _ = writeln!(
                o,
                "  DMARC  \"{}\" at _dmarc.{}",
                term(&clip(rec, 200)),
                opt(&d.dmarc.policy_domain)
            );
        }
        if !d.mx.hosts.is_empty() {
            let hosts: Vec<String> =
                d.mx.hosts
                    .iter()
                    .map(|h| format!("{} {}", h.preference, term(&h.host)))
                    .collect();
            let _ = writeln!(o, "  MX     {}", hosts.join(", "));
        }
        for severity in [Severity::Error, Severity::Warning, Severity::Info] {
            for f in d.findings.iter().filter(|f| f.severity == severity) {
                let word = match severity {
                    Severity::Error => "error",
                    Severity::Warning => "warn ",
                    Severity::Info => "info ",
                };
                let _ = writeln!(
                    o,
                    "  {} {:<30} {}",
                    styled_severity(word, severity),
                    f.id,
                    term(&f.message)
                );
                if let Some(fix) = &f.fix {
                    let _ = writeln!(o, "  {:5} {:<30} fix: {}", "", "", term(fix));
                }
            }
        }
        if d.incomplete {
            let _ = writeln!(
                o,
                "  (incomplete: DNS failures left part of the audit undone)"
            );
        }
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "{} error(s), {} warning(s) in {} domain(s){}",
        r.errors,
        r.warnings,
        r.domains.len(),
        if r.incomplete { "; incomplete" } else { "" }
    );
    o
}

fn styled_severity(word: &str, s: crate::domain::findings::Severity) -> String {
    use crate::domain::findings::Severity;
    use colored::Colorize;
    match s {
        Severity::Error => word.red().bold().to_string(),
        Severity::Warning => word.yellow().bold().to_string(),
        Severity::Info => word.dimmed().to_string(),
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
