//! `check`: the path stage, then SPF, DKIM, ARC and DMARC, the verdict, and the comparison of
//! trusted Authentication-Results with our own results. Builds the report; never prints.

use super::stage::{CheckOptions, path_stage};
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
    let stage = path_stage(&msg, input.len(), dns, opts);
    let mut errors = stage.errors;
    let path = stage.path;

    let newest = path
        .hops
        .iter()
        .filter_map(|h| h.timestamp)
        .filter_map(|t| u64::try_from(t).ok())
        .max();
    let at = opts.clock.for_message(newest);

    let spf_report = match stage.ip {
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
        None => spf::not_evaluated(
            "no client IP to evaluate (no usable Received hop; give --ip)",
            path.mail_from.as_deref(),
            path.helo.as_deref(),
        ),
    };
    if stage.ip.is_some() && path.mail_from.is_none() {
        errors.push(
            "no Return-Path: SPF evaluated the null sender (postmaster@HELO); give --mail-from"
                .into(),
        );
    }

    let bodies = Bodies::default();
    let (mut dkim_reports, unverified) = dkim::verify_all(&msg, dns, at, &bodies);
    if unverified > 0 {
        errors.push(format!(
            "{unverified} more DKIM-Signature field(s) not verified: at most {} are checked per message",
            dkim::MAX_SIGNATURES
        ));
    }
    let arc_report = arc::validate(&msg, dns, &bodies);
    let dmarc_report = dmarc::evaluate(dns, &stage.author, &spf_report, &mut dkim_reports);
    let mut fields = stage.authentication_results;
    authres::compare(&mut fields, |clause| {
        our_result(
            clause,
            &spf_report.result,
            &dmarc_report,
            arc_report.result,
            stage.iprev.as_ref().map(|i| i.result),
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
        path,
        spf: spf_report,
        dkim: dkim_reports,
        arc: arc_report,
        dmarc: dmarc_report,
        iprev: stage.iprev,
        authentication_results: fields,
        dnsbl: stage.dnsbl,
        transport: stage.transport,
        errors,
        dns: DnsStats {
            queries: dns.queries_sent(),
        },
    })
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
            d.applied_policy.as_deref().unwrap_or("none"),
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
