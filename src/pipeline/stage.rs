//! The path stage `check` and `trace` share: the Received chain, the client (IP, HELO, MAIL
//! FROM), iprev, DNSBL, existing Authentication-Results and transport posture.

use std::net::IpAddr;

use crate::auth::dmarc::DmarcSpec;
use crate::common::Clock;
use crate::dns::Dns;
use crate::message::info::MessageInfo;
use crate::message::{Author, Message};
use crate::path::authres::{self, FieldReport};
use crate::path::dnsbl::{self, DnsblResult};
use crate::path::iprev::{self, IprevReport};
use crate::path::trust::TrustedMta;
use crate::path::{PathInfo, chain};
use crate::transport::{self, DomainTransport, Role};

/// What a `check` or `trace` is asked to do beyond the message itself.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Client IP to evaluate instead of the one read from the path (`--ip`).
    pub ip: Option<IpAddr>,
    /// HELO name instead of the path's (`--helo`).
    pub helo: Option<String>,
    /// Envelope sender instead of Return-Path (`--mail-from`); "" is the null sender.
    pub mail_from: Option<String>,
    /// MTAs of ours (`--trusted-mta`).
    pub trusted: Vec<TrustedMta>,
    /// Infer internal hops from evidence the sender cannot choose (address class, recorded
    /// reverse name, forward-confirmed reverse DNS); off with `--no-internal-inference`.
    pub infer_internal: bool,
    /// The evaluation time.
    pub clock: Clock,
    /// The receiving host's name (SPF `%{r}`).
    pub receiver: String,
    /// `--authserv-id` when given: the only id whose Authentication-Results are trusted.
    pub authserv_id: Option<String>,
    /// DNS blocklist zones to look the origin up in.
    pub dnsbl: Vec<String>,
    /// Look up MTA-STS / DANE posture (on in check and trace, opt-in for filter and batch).
    pub transport: bool,
    /// The DMARC spec to evaluate by (`--dmarc-spec`).
    pub dmarc_spec: DmarcSpec,
}

/// What the Received chain and the header say, before any signature is checked or any DNS
/// question asked.
pub(crate) struct PathStage {
    pub path: PathInfo,
    pub message: MessageInfo,
    pub author: Author,
    pub ip: Option<IpAddr>,
    pub authentication_results: Vec<FieldReport>,
    /// Existing Received-SPF fields (RFC 7208 §9.1).
    pub received_spf: Vec<crate::path::received_spf::ReceivedSpfField>,
    /// The recipient and sender domains whose transport posture is looked up (empty without
    /// `transport`).
    pub transport_domains: Vec<(String, Role)>,
    pub errors: Vec<String>,
    /// iprev reports the internal-hop inference already made, by IP: the lookups stage asks
    /// for the origin's again, and the answer is the same (one run, one cache).
    pub iprev_done: Vec<IprevReport>,
}

/// The path stage's DNS lookups: iprev and DNSBL for the origin, transport posture.
pub(crate) struct PathLookups {
    pub iprev: Option<IprevReport>,
    pub dnsbl: Vec<DnsblResult>,
    pub transport: Vec<DomainTransport>,
}

/// Look up iprev, DNSBL and transport posture (concurrently on live DNS).
pub(crate) fn path_lookups(dns: &Dns, stage: &PathStage, opts: &CheckOptions) -> PathLookups {
    let parallel = dns.is_remote();
    let (iprev, (dnsbl, transport)) = crate::common::join(
        parallel,
        || {
            stage.ip.map(|ip| {
                let shown = ip.to_string();
                stage
                    .iprev_done
                    .iter()
                    .find(|r| r.ip == shown)
                    .cloned()
                    .unwrap_or_else(|| iprev::check(dns, ip))
            })
        },
        || {
            crate::common::join(
                parallel,
                || {
                    stage.ip.map_or_else(Vec::new, |ip| {
                        crate::common::map(parallel, &opts.dnsbl, |z| dnsbl::lookup(dns, ip, z))
                    })
                },
                || {
                    crate::common::map(parallel, &stage.transport_domains, |(domain, role)| {
                        transport::assess(dns, domain, *role, &stage.path)
                    })
                },
            )
        },
    );
    PathLookups {
        iprev,
        dnsbl,
        transport,
    }
}

pub(crate) fn path_stage(
    msg: &Message,
    input_len: usize,
    opts: &CheckOptions,
    dns: &Dns,
) -> PathStage {
    let date = msg.date().map(|d| d.to_timestamp());
    // Forward-confirmed reverse DNS for the internal-hop inference: the same questions iprev
    // asks, so they are answered from the cache when iprev asks them again.
    let mut iprev_done: Vec<IprevReport> = Vec::new();
    let mut fcrdns = |ip: IpAddr| {
        let report = iprev::check(dns, ip);
        let confirmed = report.confirmed.clone();
        iprev_done.push(report);
        confirmed
    };
    let mut walk = chain::Walk {
        trusted: &opts.trusted,
        infer: opts.infer_internal,
        fcrdns: &mut fcrdns,
    };
    let mut path = chain::analyse(msg, &mut walk, date, opts.clock.time_signed());
    let mut sources = Vec::new();
    let ip = match opts.ip {
        Some(ip) => {
            sources.push("ip: --ip".to_string());
            path.origin_override = true;
            path.path_origin_ip = path.origin_ip;
            Some(ip)
        }
        None => {
            let parsed = path.origin_ip;
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
    path.origin_ip = ip;
    path.helo = helo;
    path.mail_from = mail_from;
    path.sources = sources;

    let mut errors = Vec::new();
    if ip.is_none() {
        errors
            .push("no client IP: the Received path names none and --ip was not given".to_string());
    }
    let boundary = chain::boundary_position(msg, &path);
    let authentication_results = authres::collect(msg, boundary, opts.authserv_id.as_deref());
    let received_spf = crate::path::received_spf::collect(msg, boundary);
    for f in &authentication_results {
        if f.trust == authres::Trust::OursBelowBoundary {
            path.anomalies
                .push(crate::path::anomaly::Anomaly::ForgedAuthenticationResults {
                    field: f.field.clone(),
                    position: f.position,
                });
        }
    }
    let (author, from) = msg.author_and_addresses();
    let message = MessageInfo::read(msg, &author, from, input_len, date);
    let transport_domains = if opts.transport {
        transport_domains(msg, &path, message.from_domain.as_deref())
    } else {
        Vec::new()
    };
    PathStage {
        transport_domains,
        path,
        message,
        author,
        ip,
        authentication_results,
        received_spf,
        errors,
        iprev_done,
    }
}

/// The recipient domain (the trusted hop's `for`, else Delivered-To, else To) and the sender
/// domain (From), each once.
fn transport_domains(
    msg: &Message,
    path: &PathInfo,
    from_domain: Option<&str>,
) -> Vec<(String, Role)> {
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
        out.push((r, Role::Recipient));
    }
    if let Some(s) = from_domain
        && !out.iter().any(|(d, _)| d == s)
    {
        out.push((s.to_string(), Role::Sender));
    }
    out
}

impl CheckOptions {
    /// Defaults for an embedder: nothing overridden, no trusted MTAs (internal hops inferred),
    /// no DNSBL, transport on.
    pub fn new(clock: Clock) -> CheckOptions {
        CheckOptions {
            ip: None,
            helo: None,
            mail_from: None,
            trusted: Vec::new(),
            infer_internal: true,
            clock,
            receiver: "unknown".into(),
            authserv_id: None,
            dnsbl: Vec::new(),
            transport: true,
            dmarc_spec: DmarcSpec::default(),
        }
    }
}
