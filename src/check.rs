//! `check`: one message in, every mechanism verified, one verdict out. Builds the report; never
//! prints.

use std::net::IpAddr;

use crate::auth::dkim::Bodies;
use crate::auth::{arc, dkim, dmarc, iprev, spf};
use crate::config::At;
use crate::dns::Dns;
use crate::message::{Message, MessageError, to_crlf};
use crate::report::model::{AuthResult, CheckReport, DnsStats, MessageInfo, Verdict};
use crate::trace::{self, TrustedMta};

pub struct CheckOptions<'a> {
    pub ip: Option<IpAddr>,
    pub helo: Option<String>,
    pub mail_from: Option<String>,
    pub trusted: &'a [TrustedMta],
    pub at: At,
    pub now: u64,
    pub receiver: String,
}

pub fn check_message(
    input: &[u8],
    dns: &Dns,
    opts: &CheckOptions,
) -> Result<CheckReport, MessageError> {
    let wire = to_crlf(input);
    let msg = Message::parse(&wire)?;
    let mut errors = Vec::new();

    let mut path = trace::analyse(&msg, opts.trusted);
    let mut sources = Vec::new();
    let ip = match opts.ip {
        Some(ip) => {
            sources.push("ip: --ip".to_string());
            Some(ip)
        }
        None => {
            let parsed = path.origin_ip.as_deref().and_then(|s| s.parse().ok());
            if parsed.is_some() {
                sources.push(format!("ip: Received hop {}", path.trusted_hops));
            }
            parsed
        }
    };
    let helo = match &opts.helo {
        Some(h) => {
            sources.push("helo: --helo".into());
            Some(h.clone())
        }
        None => path.helo.clone(),
    };
    let mail_from = match &opts.mail_from {
        Some(m) => {
            sources.push("mail_from: --mail-from".into());
            Some(m.clone())
        }
        None => {
            let rp = msg.return_path();
            if rp.is_some() {
                sources.push("mail_from: Return-Path".into());
            }
            rp
        }
    };
    path.origin_ip = ip.map(|i| i.to_string());
    path.helo.clone_from(&helo);
    path.mail_from.clone_from(&mail_from);
    path.sources = sources;

    let at = match opts.at {
        At::Fixed(t) => t,
        At::Arrival => path
            .hops
            .iter()
            .filter_map(|h| h.timestamp.as_deref())
            .filter_map(mail_parser::DateTime::parse_rfc3339)
            .filter_map(|d| u64::try_from(d.to_timestamp()).ok())
            .max()
            .unwrap_or(opts.now),
    };

    let spf_report = match ip {
        Some(ip) => spf::evaluate(
            dns,
            &spf::SpfRequest {
                ip,
                mail_from: mail_from.clone().unwrap_or_default(),
                helo: helo.clone().unwrap_or_default(),
                helo_scope: false,
                domain: None,
                now: at,
                receiver: opts.receiver.clone(),
            },
        ),
        None => {
            errors.push("no client IP: the Received path names none and --ip was not given; SPF not evaluated".to_string());
            spf::not_evaluated(
                "no client IP to evaluate (no usable Received hop; give --ip)",
                mail_from.as_deref(),
                helo.as_deref(),
            )
        }
    };
    if ip.is_some() && mail_from.is_none() {
        errors.push(
            "no Return-Path: SPF evaluated the null sender (postmaster@HELO); give --mail-from"
                .into(),
        );
    }

    let bodies = Bodies::default();
    let mut dkim_reports = dkim::verify_all(&msg, dns, at, &bodies);
    let arc_report = arc::validate(&msg, dns, &bodies);
    let (names, from): (Vec<Option<String>>, Vec<String>) =
        msg.from_addresses().into_iter().unzip();
    let dmarc_report = dmarc::evaluate(dns, &from, &spf_report, &mut dkim_reports);
    let iprev_report = ip.map(|ip| iprev::check(dns, ip));

    let message = MessageInfo {
        from_name: names.into_iter().next().flatten(),
        from,
        from_domain: dmarc_report.from_domain.clone(),
        subject: msg.subject(),
        message_id: msg.first("Message-ID").map(|f| f.text()),
        date: msg
            .date()
            .map(|d| mail_parser::DateTime::from_timestamp(d.to_timestamp()).to_rfc3339()),
        size: input.len(),
    };
    let verdict = verdict(&dmarc_report);
    Ok(CheckReport {
        schema: "mailverdict.check.v1",
        verdict,
        message,
        path,
        spf: spf_report,
        dkim: dkim_reports,
        arc: arc_report,
        dmarc: dmarc_report,
        iprev: iprev_report,
        errors,
        dns: DnsStats {
            queries: dns.queries_sent(),
        },
    })
}

fn verdict(d: &crate::report::model::DmarcReport) -> Verdict {
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
        other => format!("DMARC {} : {}", other.word(), d.reason),
    };
    Verdict {
        result: d.result,
        summary,
    }
}

/// The exit code for a check verdict (README "Exit codes").
pub fn exit_code(result: AuthResult) -> i32 {
    use crate::error::code;
    match result {
        AuthResult::Pass => code::PASS,
        AuthResult::Fail | AuthResult::Permerror => code::FAIL,
        AuthResult::Temperror => code::TEMPFAIL,
        AuthResult::None | AuthResult::Neutral | AuthResult::Softfail | AuthResult::Policy => {
            code::NO_VERDICT
        }
    }
}
