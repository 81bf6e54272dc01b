//! The human `domain` report.

use std::fmt::Write;

use super::opt;
use crate::audit::DomainReport;
use crate::audit::findings::Severity;
use crate::report::escape::{clip, term};
use crate::report::style;

/// The human `domain` report: a checklist per domain by severity.
pub fn domain(r: &DomainReport) -> String {
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
                // The JSON word, padded here so that colour codes do not upset the columns.
                let word = format!("{:<7}", severity.word());
                let _ = writeln!(
                    o,
                    "  {} {:<30} {}",
                    styled_severity(&word, severity),
                    f.id,
                    term(&f.message)
                );
                if let Some(fix) = &f.fix {
                    let _ = writeln!(o, "  {:7} {:<30} fix: {}", "", "", term(fix));
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

fn styled_severity(word: &str, s: Severity) -> String {
    use colored::Colorize;
    match s {
        Severity::Error => word.red().bold().to_string(),
        Severity::Warning => word.yellow().bold().to_string(),
        Severity::Info => word.dimmed().to_string(),
    }
}
