//! The human `check` report: the verdict line, then one section per mechanism.

use std::fmt::Write;

use super::opt;
use crate::auth::dkim::DkimReport;
use crate::common::AuthResult;
use crate::report::escape::{clip, term};
use crate::report::model::CheckReport;
use crate::report::style;

/// The human `check` report.
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
    super::path::author_lines(&mut o, m, Some(&r.coverage));
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
    super::path::path_section(&mut o, &r.path, "  ");

    let _ = writeln!(
        o,
        "\n{}: {} — {}",
        style::heading("SPF"),
        style::result(r.spf.result),
        term(&r.spf.reason.to_string())
    );
    super::spf::spf_body(&mut o, &r.spf, "  ");

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
        term(&a.reason.to_string())
    );
    if a.instances > 0 {
        let mut line = format!("  {} instance(s)", a.instances);
        if let (Some(i), Some(p)) = (a.failing_instance, &a.failing_part) {
            let _ = write!(line, "; fails at i={i} ({})", p.word().to_uppercase());
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

    super::dmarc::section(&mut o, &r.dmarc);

    super::path::path_extras(
        &mut o,
        r.iprev.as_ref(),
        &r.dnsbl,
        &r.transport,
        &r.authentication_results,
    );
    super::path::received_spf_section(&mut o, &r.received_spf);
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

/// One DKIM signature: result and reason, then its facts.
fn dkim_line(o: &mut String, d: &DkimReport) {
    let _ = writeln!(
        o,
        "  d={} s={}: {} — {}",
        opt(&d.domain),
        opt(&d.selector),
        style::result(d.result),
        term(&d.reason.to_string())
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
