//! `check` and `trace`: build the report for one message; never print. Both share the path
//! stage (Received chain, client, iprev, DNSBL, existing Authentication-Results); `check` adds
//! SPF, DKIM, ARC and DMARC and compares trusted Authentication-Results with its own results.

use std::net::IpAddr;

use crate::auth::authres::{self, FieldReport};
use crate::auth::dkim::Bodies;
use crate::auth::{arc, dkim, dmarc, iprev, spf};
use crate::config::At;
use crate::dns::Dns;
use crate::dnsbl::{self, DnsblResult};
use crate::message::{Message, MessageError, to_crlf};
use crate::report::model::{
    AuthResult, CheckReport, DnsStats, IprevReport, MessageInfo, PathInfo, TraceReport, Verdict,
};
use crate::trace::{self, TrustedMta};
use crate::transport::{self, DomainTransport};

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub ip: Option<IpAddr>,
    pub helo: Option<String>,
    pub mail_from: Option<String>,
    pub trusted: Vec<TrustedMta>,
    pub at: At,
    pub now: u64,
    pub receiver: String,
    /// `--authserv-id` when given: the only id whose Authentication-Results are trusted.
    pub authserv_id: Option<String>,
    pub dnsbl: Vec<String>,
    /// Look up MTA-STS / DANE posture (on in check and trace, opt-in for filter and batch).
    pub transport: bool,
}

/// What the Received chain and the header say, before any signature is checked.
struct PathStage {
    path: PathInfo,
    message: MessageInfo,
    from: Vec<String>,
    ip: Option<IpAddr>,
    iprev: Option<IprevReport>,
    dnsbl: Vec<DnsblResult>,
    authentication_results: Vec<FieldReport>,
    transport: Vec<DomainTransport>,
    errors: Vec<String>,
}

fn path_stage(msg: &Message, input_len: usize, dns: &Dns, opts: &CheckOptions) -> PathStage {
    let clock = match opts.at {
        At::Fixed(t) => t,
        At::Arrival => opts.now,
    };
    let date = msg.date().map(|d| d.to_timestamp());
    let mut path = trace::analyse(
        msg,
        &opts.trusted,
        date,
        i64::try_from(clock).unwrap_or(i64::MAX),
    );
    let mut sources = Vec::new();
    let ip = match opts.ip {
        Some(ip) => {
            sources.push("ip: --ip".to_string());
            Some(ip)
        }
        None => {
            let parsed = path.origin_ip.as_deref().and_then(|s| s.parse().ok());
            if let (Some(_), Some(hop)) = (parsed, path.origin_hop) {
                sources.push(format!("ip: Received hop {hop}"));
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
    path.helo = helo;
    path.mail_from = mail_from;
    path.sources = sources;

    let mut errors = Vec::new();
    if ip.is_none() {
        errors
            .push("no client IP: the Received path names none and --ip was not given".to_string());
    }
    let boundary = trace::boundary_position(msg, &path);
    let authentication_results = authres::collect(msg, boundary, opts.authserv_id.as_deref());
    for f in &authentication_results {
        if f.trust.starts_with("claims our authserv-id from below") {
            path.anomalies.push(format!(
                "{} field {} claims our authserv-id from below the trust boundary (forged or relayed; not trusted)",
                f.field, f.position
            ));
        }
    }
    let (names, from): (Vec<Option<String>>, Vec<String>) =
        msg.from_addresses().into_iter().unzip();
    let message = MessageInfo {
        from_name: names.into_iter().next().flatten(),
        from_domain: match from.as_slice() {
            [one] => crate::message::domain_of(one),
            _ => None,
        },
        from: from.clone(),
        subject: msg.subject(),
        message_id: msg.first("Message-ID").map(|f| f.text()),
        date: date.map(|d| mail_parser::DateTime::from_timestamp(d).to_rfc3339()),
        size: input_len,
    };
    let transport = if opts.transport {
        transport_domains(msg, &path, message.from_domain.as_deref())
            .into_iter()
            .map(|(domain, role)| transport::assess(dns, &domain, role, &path))
            .collect()
    } else {
        Vec::new()
    };
    PathStage {
        transport,
        iprev: ip.map(|ip| iprev::check(dns, ip)),
        dnsbl: ip.map_or_else(Vec::new, |ip| {
            opts.dnsbl
                .iter()
                .map(|z| dnsbl::lookup(dns, ip, z))
                .collect()
        }),
        path,
        message,
        from,
        ip,
        authentication_results,
        errors,
    }
}

/// The recipient domain (the trusted hop's `for`, else Delivered-To, else To) and the sender
/// domain (From), each once.
fn transport_domains(
    msg: &Message,
    path: &PathInfo,
    from_domain: Option<&str>,
) -> Vec<(String, &'static str)> {
    let entry = path
        .hops
        .iter()
        .rev()
        .find(|h| h.trusted && h.for_addr.is_some());
    let recipient = entry
        .and_then(|h| h.for_addr.as_deref())
        .and_then(crate::message::domain_of)
        .or_else(|| {
            msg.first("Delivered-To")
                .and_then(|f| crate::message::domain_of(&f.text()))
        })
        .or_else(|| {
            msg.first("To")
                .and_then(|f| f.text().split(',').next().map(str::to_string))
                .and_then(|a| crate::message::domain_of(a.trim().trim_end_matches('>')))
        });
    let mut out = Vec::new();
    if let Some(r) = recipient {
        out.push((r, "recipient"));
    }
    if let Some(s) = from_domain
        && !out.iter().any(|(d, _)| d == s)
    {
        out.push((s.to_string(), "sender"));
    }
    out
}

pub fn trace_message(
    input: &[u8],
    dns: &Dns,
    opts: &CheckOptions,
) -> Result<TraceReport, MessageError> {
    let wire = to_crlf(input);
    let msg = Message::parse(&wire)?;
    let stage = path_stage(&msg, input.len(), dns, opts);
    Ok(TraceReport {
        schema: "mailverdict.trace.v1",
        message: stage.message,
        path: stage.path,
        iprev: stage.iprev,
        authentication_results: stage.authentication_results,
        dnsbl: stage.dnsbl,
        transport: stage.transport,
        dns: DnsStats {
            queries: dns.queries_sent(),
        },
    })
}

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
    let dmarc_report = dmarc::evaluate(dns, &stage.from, &spf_report, &mut dkim_reports);
    let message = stage.message;
    let verdict = verdict(&dmarc_report);
    let mut report = CheckReport {
        schema: "mailverdict.check.v1",
        verdict,
        message,
        path,
        spf: spf_report,
        dkim: dkim_reports,
        arc: arc_report,
        dmarc: dmarc_report,
        iprev: stage.iprev,
        authentication_results: Vec::new(),
        dnsbl: stage.dnsbl,
        transport: stage.transport,
        errors,
        dns: DnsStats::default(),
    };
    let mut fields = stage.authentication_results;
    authres::compare(&mut fields, &report);
    report.authentication_results = fields;
    report.dns.queries = dns.queries_sent();
    Ok(report)
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
        other => format!("DMARC {}: {}", other.word(), d.reason),
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
