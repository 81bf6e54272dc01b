//! `check`: the path stage, then SPF, DKIM, ARC and DMARC, the verdict, and the comparison of
//! trusted Authentication-Results with our own results. Builds the report; never prints.

use super::stage::{CheckOptions, PathStage, path_lookups, path_stage};
use crate::auth::dkim::{Bodies, DkimReport};
use crate::auth::dmarc::DmarcReport;
use crate::auth::{arc, dkim, dmarc, spf};
use crate::common::AuthResult;
use crate::dns::Dns;
use crate::message::coverage;
use crate::message::{Message, MessageError, to_crlf};
use crate::path::authres::{self, Clause};
use crate::report::model::{CheckReport, DnsStats, Verdict};

/// Check one message: every mechanism, the DMARC verdict and the reasons.
pub fn check_message(
    input: &[u8],
    dns: &Dns,
    opts: &CheckOptions,
) -> Result<CheckReport, MessageError> {
    let wire = to_crlf(input);
    let msg = Message::parse(&wire)?;
    let stage = path_stage(&msg, input.len(), opts, dns);
    let mut errors = stage.errors.clone();
    let newest = stage
        .path
        .hops
        .iter()
        .filter_map(|h| h.timestamp)
        .filter_map(|t| u64::try_from(t).ok())
        .max();
    let at = opts.clock.for_message(newest);
    if stage.ip.is_some() && stage.path.mail_from.is_none() {
        errors.push(
            "no Return-Path: SPF evaluated the null sender (postmaster@HELO); give --mail-from"
                .into(),
        );
    }

    // The mechanisms are independent until DMARC: on live DNS they run concurrently, so a check
    // costs about its longest chain of dependent round trips, not their sum.
    let parallel = dns.is_remote();
    let bodies = Bodies::default();
    let ((spf_report, (mut dkim_reports, unverified)), (arc_report, (lookups, ()))) =
        crate::common::join(
            parallel,
            || {
                crate::common::join(
                    parallel,
                    || evaluate_spf(dns, &stage, at, opts),
                    || dkim::verify_all(&msg, dns, at, &bodies),
                )
            },
            || {
                crate::common::join(
                    parallel,
                    || arc::validate(&msg, dns, &bodies),
                    || {
                        crate::common::join(
                            parallel,
                            || path_lookups(dns, &stage, opts),
                            || prefetch_dmarc(dns, &stage, parallel),
                        )
                    },
                )
            },
        );
    if unverified > 0 {
        errors.push(format!(
            "{unverified} more DKIM-Signature field(s) not verified: at most {} are checked per message",
            dkim::MAX_SIGNATURES
        ));
    }
    let dmarc_report = dmarc::evaluate(
        dns,
        &stage.author,
        &spf_report,
        &mut dkim_reports,
        opts.dmarc_spec,
    );
    let mut fields = stage.authentication_results;
    let mut received_spf = stage.received_spf;
    crate::path::received_spf::compare(&mut received_spf, spf_report.result, stage.ip);
    authres::compare(&mut fields, |clause| {
        our_result(
            clause,
            &spf_report.result,
            &dmarc_report,
            arc_report.result,
            lookups.iprev.as_ref().map(|i| i.result),
            &dkim_reports,
        )
    });
    // What the PASS vouches for (issue 12 item 9): displayed fields and body covered by an
    // aligned passing signature; anything else is said in the verdict.
    let signatures: Vec<coverage::Signature> = dkim_reports
        .iter()
        .map(|d| coverage::Signature {
            signed: &d.signed_headers,
            pass: d.result == AuthResult::Pass,
            aligned: d.aligned,
            body_unsigned_bytes: d.body_unsigned_bytes,
        })
        .collect();
    let display_address = match (&stage.message.from_name, &stage.message.from_domain) {
        (Some(name), Some(d)) => {
            crate::message::author::carries_address_of(name, d).map(|other| (name.clone(), other))
        }
        _ => None,
    };
    let coverage = coverage::assess(&msg, &signatures, display_address);
    let mut verdict = verdict(&dmarc_report);
    if verdict.result == AuthResult::Pass && !coverage.uncovered.is_empty() {
        verdict.summary = format!(
            "{}; but not vouched for: {}",
            verdict.summary,
            coverage.uncovered.join("; ")
        );
    }
    Ok(CheckReport {
        schema: "mailverdict.check.v2",
        verdict,
        coverage,
        message: stage.message,
        path: stage.path,
        spf: spf_report,
        dkim: dkim_reports,
        arc: arc_report,
        dmarc: dmarc_report,
        iprev: lookups.iprev,
        authentication_results: fields,
        received_spf,
        dnsbl: lookups.dnsbl,
        transport: lookups.transport,
        errors,
        dns: DnsStats::of(dns),
    })
}

fn evaluate_spf(dns: &Dns, stage: &PathStage, at: u64, opts: &CheckOptions) -> spf::SpfReport {
    let path = &stage.path;
    match stage.ip {
        Some(ip) => spf::evaluate(
            dns,
            &spf::SpfRequest {
                ip,
                mail_from: path.mail_from.clone().unwrap_or_default(),
                helo: path.helo.clone().unwrap_or_default(),
                helo_scope: false,
                domain: None,
                now: at,
                receiver: opts.receiver.clone(),
            },
        ),
        None => spf::not_evaluated(path.mail_from.as_deref(), path.helo.as_deref()),
    }
}

/// On live DNS, ask for the DMARC records while SPF and DKIM run (the cache keeps the answers
/// for the evaluation that needs SPF's and DKIM's results).
fn prefetch_dmarc(dns: &Dns, stage: &PathStage, parallel: bool) {
    if let (true, crate::message::Author::Domain(d)) = (parallel, &stage.author) {
        // The RFC 9989 tree walk's names; RFC 7489's (the domain and its PSL organizational
        // domain) are among them.
        let names: Vec<String> = crate::auth::dmarc::discovery::walk_names(d)
            .iter()
            .map(|n| format!("_dmarc.{n}"))
            .collect();
        crate::common::map(true, &names, |n| {
            let _ = dns.txt(n);
        });
    }
}

/// Our result for one claimed clause of a trusted Authentication-Results field, when we
/// computed a comparable one.
fn our_result(
    clause: &Clause,
    spf: &AuthResult,
    dmarc: &DmarcReport,
    arc: AuthResult,
    iprev: Option<AuthResult>,
    dkim: &[DkimReport],
) -> Option<AuthResult> {
    match clause.method.as_str() {
        "spf" => Some(*spf),
        "dmarc" => Some(dmarc.result),
        "arc" => Some(arc),
        "iprev" => iprev,
        "dkim" => {
            let mine: Vec<authres::OurDkim> = dkim
                .iter()
                .map(|s| authres::OurDkim {
                    header_b: s.header_b.as_deref(),
                    domain: s.domain.as_deref(),
                    result: s.result,
                })
                .collect();
            Some(authres::our_dkim(clause, &mine))
        }
        _ => None,
    }
}

fn verdict(d: &DmarcReport) -> Verdict {
    let domain = d.from_domain.clone().unwrap_or_else(|| "?".into());
    let summary = match d.result {
        AuthResult::Pass => format!("DMARC pass for {domain}: {}", d.reason),
        AuthResult::Fail => format!(
            "DMARC fail for {domain} (policy {} -> {}): {}",
            d.applied_policy.map_or("none", |p| p.word()),
            d.disposition,
            d.reason
        ),
        AuthResult::None => format!("no verdict for {domain}: {}", d.reason),
        AuthResult::Temperror => format!("temporary error for {domain}: {}", d.reason),
        other => format!("DMARC {}: {}", other.word(), d.reason),
    };
    Verdict {
        result: d.result,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Clock;
    use crate::dns::Zone;

    fn dns(zone: &str) -> Dns {
        let mut z = Zone::default();
        z.add_text(zone).expect("zone");
        Dns::new(Box::new(z))
    }

    const ZONE: &str = "example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n\
                        _dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n";

    fn message(from: &str) -> Vec<u8> {
        format!(
            "Return-Path: <bounce@example.com>\r\nReceived: from mail.example.com (mail.example.com [192.0.2.10]) by mx.test with ESMTPS; Mon, 23 Nov 2026 10:15:02 +0000\r\nFrom: {from}\r\nSubject: hi\r\n\r\nbody\r\n"
        )
        .into_bytes()
    }

    /// An aligned SPF pass is a DMARC pass, with the reason naming it; no DKIM signature.
    #[test]
    fn aligned_spf_pass_is_the_verdict() {
        let r = check_message(
            &message("a@example.com"),
            &dns(ZONE),
            &CheckOptions::new(Clock::fixed(1_795_400_000)),
        )
        .expect("a message");
        assert_eq!(r.spf.result, AuthResult::Pass);
        assert_eq!(r.dmarc.result, AuthResult::Pass);
        assert!(r.dmarc.spf_aligned && !r.dmarc.dkim_aligned);
        assert!(
            r.verdict.summary.starts_with("DMARC pass for example.com"),
            "{}",
            r.verdict.summary
        );
        assert!(r.dkim.is_empty());
    }

    /// A client outside the policy and a reject policy: fail, disposition reject.
    #[test]
    fn unaligned_client_fails_with_the_policy() {
        let mut opts = CheckOptions::new(Clock::fixed(1_795_400_000));
        opts.ip = Some("203.0.113.9".parse().expect("ip"));
        let r = check_message(&message("a@example.com"), &dns(ZONE), &opts).expect("message");
        assert_eq!(
            (r.spf.result, r.dmarc.result),
            (AuthResult::Fail, AuthResult::Fail)
        );
        assert_eq!(r.dmarc.disposition.word(), "reject");
    }

    /// Two From addresses: no single author domain, DMARC permerror with the author problem.
    #[test]
    fn several_authors_are_a_permerror() {
        let r = check_message(
            &message("a@example.com, b@other.test"),
            &dns(ZONE),
            &CheckOptions::new(Clock::fixed(0)),
        )
        .expect("message");
        assert_eq!(r.dmarc.result, AuthResult::Permerror);
        assert_eq!(
            r.dmarc.reason.to_string(),
            "2 From addresses of 2 different domains (example.com, other.test): DMARC needs exactly one author domain"
        );
    }

    /// A trusted claim is compared per method; a method we do not evaluate is not compared.
    #[test]
    fn claims_compare_with_our_results() {
        let clause = |method: &str, props: &[(&str, &str, &str)]| Clause {
            method: method.into(),
            method_version: None,
            result: "pass".into(),
            result_comment: None,
            reason: None,
            properties: props
                .iter()
                .map(|(t, p, v)| crate::path::authres::Property {
                    ptype: (*t).into(),
                    property: (*p).into(),
                    value: (*v).into(),
                })
                .collect(),
        };
        let r = check_message(
            &message("a@example.com"),
            &dns(ZONE),
            &CheckOptions::new(Clock::fixed(0)),
        )
        .expect("message");
        let ours = |c: &Clause| our_result(c, &r.spf.result, &r.dmarc, r.arc.result, None, &r.dkim);
        assert_eq!(ours(&clause("spf", &[])), Some(AuthResult::Pass));
        assert_eq!(ours(&clause("iprev", &[])), None);
        // A claimed DKIM result with no signature of ours to match: ours is none (it disagrees).
        assert_eq!(
            ours(&clause("dkim", &[("header", "d", "example.com")])),
            Some(AuthResult::None)
        );
        assert_eq!(ours(&clause("x-unknown", &[])), None);
    }
}
