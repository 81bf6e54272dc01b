//! The path sections of the human reports: the hop table, origin and warnings, then iprev,
//! DNSBL, transport posture and existing Authentication-Results.

use std::fmt::Write;

use super::opt;
use crate::path::PathInfo;
use crate::path::authres::FieldReport;
use crate::path::dnsbl::DnsblResult;
use crate::path::iprev::IprevReport;
use crate::report::escape::{clip, term};
use crate::report::model::TraceReport;
use crate::report::style;
use crate::transport::DomainTransport;

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
            (Some(host), Some(ip)) if *host != ip.to_string() => format!("{} [{ip}]", term(host)),
            (_, Some(ip)) => format!("[{ip}]"),
            (Some(host), None) => term(host),
            (None, None) => "?".into(),
        };
        let tls = match (&h.tls_version, h.tls) {
            (Some(v), _) => term(v),
            (None, true) => "yes".into(),
            (None, false) => "-".into(),
        };
        let at = h.timestamp.map_or("-".to_string(), |t| {
            mail_parser::DateTime::from_timestamp(t)
                .to_rfc3339()
                .replace('T', " ")
                .replace('Z', "")
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
                "{indent}origin: {ip} (hop {hop}, where mail entered the trusted part at {})",
                opt(&p.boundary_host)
            );
        }
        (Some(ip), None) => {
            let _ = writeln!(o, "{indent}origin: {ip} (given with --ip)");
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
        let _ = writeln!(o, "{indent}warning: {}", term(&a.to_string()));
    }
}

/// The Path heading, hop table and notes (`check` indents the table under its heading).
pub(super) fn path_section(o: &mut String, p: &PathInfo, indent: &str) {
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
            term(&f.trust.to_string())
        );
        if let Some(e) = &f.error {
            let _ = writeln!(o, "    does not parse: {}", e);
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
pub(super) fn path_extras(
    o: &mut String,
    iprev: Option<&IprevReport>,
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
            (None, Some(e)) => format!("MTA-STS error: {}", term(&e.to_string())),
            (None, None) => "no MTA-STS".to_string(),
        };
        let _ = writeln!(
            o,
            "  {} ({}): MX {mx}; {sts}",
            term(&t.domain),
            t.role.word()
        );
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

/// The human `trace` report.
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

/// What a reader sees next to what was evaluated: the author domain (both forms of an
/// internationalized name), why there is none, look-alike warnings, and what a PASS does not
/// vouch for (displayed fields and body text no aligned passing signature covers).
pub(super) fn author_lines(
    o: &mut String,
    m: &crate::message::info::MessageInfo,
    coverage: Option<&crate::message::coverage::Coverage>,
) {
    // Only where the evaluated domain differs from what the From line shows.
    match (&m.from_domain, &m.from_domain_unicode, &m.author_problem) {
        (Some(d), Some(u), _) => {
            let _ = writeln!(
                o,
                "  Evaluated:  {} (shown to readers as {})",
                term(d),
                term(u)
            );
        }
        (None, _, Some(p)) => {
            let _ = writeln!(o, "  Evaluated:  no author domain: {}", term(p));
        }
        _ => {}
    }
    if let Some(n) = &m.author_note {
        let _ = writeln!(o, "  Note:       {}", term(n));
    }
    for l in &m.lookalike {
        let _ = writeln!(o, "  {} {}", style::heading("Look-alike:"), term(l));
    }
    let Some(c) = coverage else {
        return;
    };
    for u in &c.uncovered {
        let _ = writeln!(o, "  {} {}", style::heading("Not vouched for:"), term(u));
    }
}
