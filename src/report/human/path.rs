//! The path sections of the human reports: the hop table, origin and warnings, then iprev,
//! DNSBL, transport posture and existing Authentication-Results.

use std::fmt::Write;

use super::opt;
use crate::path::authres::FieldReport;
use crate::path::dnsbl::DnsblResult;
use crate::path::iprev::IprevReport;
use crate::path::received_spf::ReceivedSpfField;
use crate::path::{Judgement, PathInfo};
use crate::report::escape::{clip, term};
use crate::report::model::TraceReport;
use crate::report::style;
use crate::transport::DomainTransport;

/// Width of the share-of-transit bar.
const BAR: usize = 10;

/// A bar of `BAR` cells for `share` in 0..=1: which hop ate the time.
fn bar(share: f64) -> String {
    let full = ((share * BAR as f64).round() as usize).min(BAR);
    format!("{}{}", "█".repeat(full), "·".repeat(BAR - full))
}

/// The hop table, in path order, as `trace` and `check` show it: one row per hop with its
/// delay as a human duration and its share of the transit, then a line with `via`, `id` and
/// `for` when the field has them, and the judgement of hops on our side with its reason.
fn hop_table(o: &mut String, p: &PathInfo, indent: &str) {
    let header = [
        "#", "from", "by", "with", "TLS", "at (UTC)", "delay", "share",
    ];
    // The time each hop took, of the time all hops took (negative delays, clock skew, count 0).
    let spent: i64 = p
        .hops
        .iter()
        .filter_map(|h| h.delay_seconds)
        .filter(|d| *d > 0)
        .sum();
    let mut rows: Vec<([String; 8], Vec<String>)> = Vec::new();
    for h in &p.hops {
        if let Some(raw) = &h.raw {
            let mut row: [String; 8] = Default::default();
            row[0] = h.index.to_string();
            row[1] = format!("unparsed: {}", term(&clip(raw, 70)));
            rows.push((row, Vec::new()));
            continue;
        }
        let from = match (&h.from_host, &h.from_ip) {
            (Some(host), Some(ip)) if *host != ip.to_string() => format!("{} [{ip}]", term(host)),
            (_, Some(ip)) => format!("[{ip}]"),
            (Some(host), None) => term(host),
            (None, None) => "-".into(),
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
        let delay = h.delay_seconds.map_or("-".to_string(), human_delay);
        let share = match h.delay_seconds {
            Some(d) if spent > 0 => {
                let f = d.max(0) as f64 / spent as f64;
                format!("{} {:>3.0}%", bar(f), f * 100.0)
            }
            _ => String::new(),
        };
        let mut number = h.index.to_string();
        if h.trusted {
            number.push('*');
        }
        let mut extra = Vec::new();
        let clauses: Vec<String> = [("via", &h.via), ("id", &h.id), ("for", &h.for_addr)]
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k} {}", term(&clip(v, 80)))))
            .collect();
        if !clauses.is_empty() {
            extra.push(clauses.join("  "));
        }
        match h.judgement {
            Judgement::Internal => extra.push(format!("internal: {}", term(&h.judgement_reason))),
            Judgement::Boundary => extra.push(format!("boundary: {}", term(&h.judgement_reason))),
            Judgement::External => {}
        }
        rows.push((
            [
                number,
                from,
                opt(&h.by_host),
                opt(&h.protocol),
                tls,
                at,
                delay,
                share,
            ],
            extra,
        ));
    }
    let mut widths = header.map(|h| h.chars().count());
    for (row, _) in &rows {
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
    let pad = " ".repeat(widths[0] + 2);
    for (row, extra) in rows {
        let _ = writeln!(o, "{}", line(row.to_vec()));
        for e in extra {
            let _ = writeln!(o, "{indent}{pad}{e}");
        }
    }
}

/// A delay as a human duration: `2s`, `1m 05s`, `5h 10m`, `-40s` (a clock behind).
fn human_delay(d: i64) -> String {
    let sign = if d < 0 { "-" } else { "" };
    format!("{sign}{}", crate::path::duration(d))
}

/// Origin, client values, transit and warnings under the hop table.
fn path_notes(o: &mut String, p: &PathInfo, indent: &str) {
    let internal = p
        .hops
        .iter()
        .filter(|h| h.judgement == Judgement::Internal)
        .count();
    let inference = if p.infer_internal {
        String::new()
    } else {
        "; internal-hop inference off".to_string()
    };
    match (&p.origin_ip, p.origin_hop) {
        (Some(ip), _) if p.origin_override => {
            let own = match (p.path_origin_ip, p.origin_hop) {
                (Some(own), Some(hop)) => format!("; the path's own origin is {own}, hop {hop}"),
                _ => "; the path names no origin".to_string(),
            };
            let _ = writeln!(o, "{indent}origin: {ip} (given with --ip{own})");
        }
        (Some(ip), Some(hop)) => {
            let whole = p
                .hops
                .iter()
                .find(|h| h.index == hop)
                .is_some_and(|h| h.judgement == Judgement::Internal);
            let how = if whole {
                "the whole path is internal".to_string()
            } else {
                format!(
                    "where mail entered the trusted part at {}",
                    opt(&p.boundary_host)
                )
            };
            let inside = match internal {
                0 => String::new(),
                1 => "; 1 hop internal".to_string(),
                k => format!("; {k} hops internal"),
            };
            let _ = writeln!(
                o,
                "{indent}origin: {ip} (hop {hop}, {how}{inside}{inference})"
            );
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
    let mut transit = Vec::new();
    if let Some(t) = p.received_transit_seconds {
        transit.push(format!("{} first to last Received", human_delay(t)));
    }
    if let Some(t) = p.date_transit_seconds {
        transit.push(format!("{} Date field to last Received", human_delay(t)));
    }
    if !transit.is_empty() {
        let _ = writeln!(o, "{indent}transit: {}", transit.join("; "));
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

/// Existing Received-SPF fields: who wrote each, trusted or not, and how it compares.
pub(super) fn received_spf_section(o: &mut String, fields: &[ReceivedSpfField]) {
    if fields.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n{}", style::heading("Existing Received-SPF"));
    for f in fields {
        let Some(result) = f.result else {
            let _ = writeln!(
                o,
                "  field {}: does not parse ({}): {}",
                f.position,
                f.error.map(|e| e.to_string()).unwrap_or_default(),
                term(&clip(f.raw.as_deref().unwrap_or_default(), 120))
            );
            continue;
        };
        let comparison = match (f.ours, f.agrees) {
            (Some(ours), Some(true)) => format!(" — agrees with ours ({})", ours.word()),
            (Some(ours), Some(false)) => format!(" — DISAGREES: ours is {}", ours.word()),
            _ => String::new(),
        };
        let client = f
            .client_ip
            .as_deref()
            .map(|c| format!(" client-ip={}", term(c)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "  field {} by {}: {}{client} — {}{comparison}",
            f.position,
            f.receiver.as_deref().map_or("-".to_string(), term),
            result.word(),
            if f.trusted { "trusted" } else { "untrusted" },
        );
        let _ = writeln!(o, "    {}", term(&f.trust.to_string()));
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
    received_spf_section(&mut o, &r.received_spf);
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
