//! The DMARC section of the human check report.

use std::fmt::Write;

use crate::auth::dmarc::discovery::StepAnswer;
use crate::auth::dmarc::record::Policy;
use crate::auth::dmarc::{DmarcReport, OrgDomain};
use crate::report::escape::term;
use crate::report::style;

fn word(p: Option<Policy>) -> &'static str {
    p.map_or("-", Policy::word)
}

fn step_text(answer: &StepAnswer) -> String {
    match answer {
        StepAnswer::Record { record } => format!("\"{}\"", term(record)),
        StepAnswer::Multiple { records } => format!("{records} DMARC records (all discarded)"),
        StepAnswer::NoDmarc { txt_records } => format!("{txt_records} TXT record(s), none DMARC"),
        StepAnswer::Nxdomain => "NXDOMAIN".into(),
        StepAnswer::Nodata => "no TXT record".into(),
        StepAnswer::Temperror { failure } => term(failure),
    }
}

fn org_line(o: &mut String, label: &str, e: &OrgDomain) {
    let _ = writeln!(
        o,
        "    {label}{}: {} ({})",
        term(&e.domain),
        e.org_domain
            .as_deref()
            .map_or_else(|| "unknown".to_string(), term),
        term(&e.how)
    );
}

/// The DMARC section of the check report: result and reason, where the policy was found and
/// how, the Organizational Domains, alignment, the disposition and why, and the other spec's
/// outcome when it differs.
pub(super) fn section(o: &mut String, d: &DmarcReport) {
    let _ = writeln!(
        o,
        "\n{}: {} — {}",
        style::heading("DMARC"),
        style::result(d.result),
        term(&d.reason)
    );
    let _ = writeln!(o, "  by {}", d.spec.title());
    if let Some(pd) = &d.policy_domain {
        let mut tags = format!("p={} sp={}", word(d.policy), word(d.subdomain_policy));
        match d.spec {
            crate::auth::dmarc::DmarcSpec::Rfc9989 => {
                let _ = write!(
                    tags,
                    " np={} t={} psd={}",
                    word(d.nonexistent_policy),
                    if d.testing { "y" } else { "n" },
                    d.psd.map_or("-", |p| match p {
                        crate::auth::dmarc::record::Psd::Y => "y",
                        crate::auth::dmarc::record::Psd::N => "n",
                        crate::auth::dmarc::record::Psd::U => "u",
                    })
                );
            }
            crate::auth::dmarc::DmarcSpec::Rfc7489 => {
                let _ = write!(tags, " pct={}", d.pct.map_or("-".into(), |p| p.to_string()));
            }
        }
        let mode = |m: Option<crate::auth::dmarc::record::Mode>| {
            m.map_or("-", |m| match m {
                crate::auth::dmarc::record::Mode::Relaxed => "r",
                crate::auth::dmarc::record::Mode::Strict => "s",
            })
        };
        let _ = writeln!(
            o,
            "  policy at _dmarc.{}: {tags} adkim={} aspf={}",
            term(pd),
            mode(d.adkim),
            mode(d.aspf)
        );
    }
    if !d.discovery.is_empty() {
        let _ = writeln!(o, "  discovery:");
        for s in &d.discovery {
            let _ = writeln!(o, "    {} → {}", term(&s.name), step_text(&s.answer));
        }
    }
    let orgs = &d.org_domains;
    if orgs.author.is_some() || orgs.spf.is_some() || !orgs.dkim.is_empty() {
        let _ = writeln!(o, "  organizational domains:");
        if let Some(e) = &orgs.author {
            org_line(o, "author ", e);
        }
        if let Some(e) = &orgs.spf {
            org_line(o, "SPF ", e);
        }
        for e in &orgs.dkim {
            org_line(o, "DKIM d=", e);
        }
    }
    for n in &d.notes {
        let _ = writeln!(o, "  note: {}", term(n));
    }
    if d.policy_domain.is_some() {
        let yn = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(
            o,
            "  aligned: SPF {}, DKIM {}; disposition: {} ({})",
            yn(d.spf_aligned),
            yn(d.dkim_aligned),
            d.disposition,
            term(&d.disposition_reason)
        );
    }
    if let Some(other) = &d.other_spec {
        let _ = writeln!(o, "  {}", term(&other.line));
    }
}
